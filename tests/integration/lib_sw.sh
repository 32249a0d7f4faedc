# shellcheck shell=bash
# Helpers shared by the sipwarden integration tests (on top of tests/lab/lab.sh).

SIPC=(/usr/bin/python3 "$LAB_SIPCLIENT")
SWLOG="$LAB_RUN/sipwarden.log"
KLOG="$LAB_RUN/kamailio.log"

# The operator's world before sipwarden: rtpengine's kernel-forwarding hook
# (a placeholder stands in for `-j RTPENGINE --id 0`, whose module the test
# kernel lacks) and an operator rule after it that drops one client's SIP.
sw_operator_rules() {
	local ipt src
	for ipt in iptables ip6tables; do
		if [ "$ipt" = iptables ]; then src=203.0.113.29; else src=2001:db8:c::29; fi
		lab_srv "$ipt" -w -N rtpengine
		lab_srv "$ipt" -w -I INPUT -p udp -j rtpengine
		lab_srv "$ipt" -w -I rtpengine -p udp -m udp --dport 30000:40000 \
			-m comment --comment "placeholder for -j RTPENGINE --id 0" -j RETURN
		lab_srv "$ipt" -w -A INPUT -s "$src" -p udp -m udp --dport 5060 \
			-m comment --comment "operator: block this client" -j DROP
	done
}

# Every rule sipwarden does not own, in order, with its table: what must stay
# byte-for-byte the same through install, start, stop, kill and remove.
sw_foreign_rules() {
	local ipt
	for ipt in iptables ip6tables; do
		lab_srv "$ipt-save" | awk -v f="$ipt" '/^\*/ { t = $0 } /^-A/ && !/sipwarden/ { print f, t, $0 }'
	done
}

# sw_banned_in_set ADDR — the kernel set holds ADDR; prints its timeout.
sw_set_timeout() {
	local set=sipwarden4
	case $1 in *:*) set=sipwarden6 ;; esac
	lab_srv ipset list "$set" | awk -v a="$1" '$1 == a { print $3 }'
}

sw_register() { # sw_register SRC USER [SERVER]
	local src=$1 user=$2 srv=${3:-}
	if [ -z "$srv" ]; then
		case $src in *:*) srv=$LAB_SRV6 ;; *) srv=$LAB_SRV4 ;; esac
	fi
	lab_sipclient "$LAB_NS_CLI" register --src "$src" --server "$srv" --user "$user" \
		--domain example.org --password "pw-$user" --timeout 2
}

sw_sipsak() { # sw_sipsak SRC USER
	local src=$1 user=$2
	lab_cli_src "$src" || return 1
	lab_cli timeout 20 sipsak -U -i -C "sip:$user@$src" -s "sip:$user@$LAB_SRV4" \
		-a "pw-$user" -u "$user" -H "$src" -x 60 -vv
}

# Packets ever queued to sipwarden's queues (id_seq column summed).
sw_queued_total() {
	lab_srv cat /proc/net/netfilter/nfnetlink_queue | awk '{ s += $8 } END { print s + 0 }'
}

# Packets dropped by the kernel ban rules (raw/sipwarden-ban), v4 + v6.
sw_kernel_drops() {
	{
		lab_srv iptables -w -t raw -n -v -x -L sipwarden-ban
		lab_srv ip6tables -w -t raw -n -v -x -L sipwarden-ban
	} | awk '$3 == "DROP" { s += $1 } END { print s + 0 }'
}

# A sanitizer build reports to the daemon's stderr: any report fails the test.
sw_sanitizer_clean() {
	if grep -nE 'Sanitizer|runtime error:' "$LAB_RUN"/sipwarden.log* 2>/dev/null; then
		return 1
	fi
	return 0
}

# ---- helpers of ua_sanity.sh and control.sh

SWMSGS="$SIPWARDEN_SRC/tests/integration/msgs"

# sipwardenctl against the lab daemon's socket (a filesystem socket: any
# network namespace reaches it).
sw_ctl() { "$SIPWARDEN_BUILD/sipwardenctl" --socket "$LAB_RUN/control.sock" "$@"; }

# sw_register_from NS SRC USER [sipclient register options...] — REGISTER as
# USER@example.org (password pw-USER) from any namespace, e.g. --ua UA.
sw_register_from() {
	local ns=$1 src=$2 user=$3 srv=$LAB_SRV4
	shift 3
	case $src in *:*) srv=$LAB_SRV6 ;; esac
	lab_sipclient "$ns" register --src "$src" --server "$srv" --user "$user" \
		--domain example.org --password "pw-$user" --timeout 2 "$@"
}

# sw_send NS SRC FILE [--wait S] — one message from a template in msgs/
# (exactly one packet, no retransmission); exit 0 if a reply came.
sw_send() {
	local ns=$1 src=$2 file=$3 srv=$LAB_SRV4
	shift 3
	case $src in *:*) srv=$LAB_SRV6 ;; esac
	lab_sipclient "$ns" send --src "$src" --server "$srv" --file "$SWMSGS/$file" "$@"
}

# sw_in_set ADDR — the kernel ban set holds ADDR.
sw_in_set() { [ -n "$(sw_set_timeout "$1")" ]; }

# sw_set_members FAMILY(4|6) — the members of sipwarden4/6, one a line.
sw_set_members() {
	lab_srv ipset list "sipwarden$1" | awk 'm { print $1 } /^Members:/ { m = 1 }'
}

# sw_daemon_alive — the recorded sipwarden process is still running.
sw_daemon_alive() {
	local pid
	pid=$(lab_pid_get sipwarden)
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# sw_rcv_src ADDR — requests from ADDR that reached Kamailio.
sw_rcv_src() { lab_kamailio_rcv_count "src=$1 "; }

# sw_json_get 'PYTHON EXPR over j' — evaluate an expression (it may span
# lines) over the JSON on stdin (j is the parsed document); prints the result.
sw_json_get() {
	/usr/bin/python3 -c 'import json, sys; j = json.load(sys.stdin); print(eval("(" + sys.argv[1] + ")"))' "$1"
}

# sw_ban_remaining KIND KEY — remaining seconds of a ban (from --json bans);
# prints nothing when there is no such ban.
sw_ban_remaining() {
	sw_ctl --json bans | sw_json_get \
		"next((str(b['remaining']) for b in j['bans'] if b['kind'] == '$1' and b['key'] == '$2'), '')"
}

# sw_f2b_ips LOG FILTER_OR_REGEX — the addresses fail2ban-regex finds, sorted.
sw_f2b_ips() {
	fail2ban-regex -r -o ip "$1" "$2" | sort -u
}

# sw_ban_key ADDR — the key of the IP ban that covers ADDR, as `bans` shows
# it: the address itself, or the network it was banned with (an IPv6 source
# may be banned as its /64, dos_ipv6_prefix); prints nothing if none does.
sw_ban_key() {
	sw_ctl --json bans | /usr/bin/python3 -c '
import ipaddress, json, sys
a = ipaddress.ip_address(sys.argv[1])
for b in json.load(sys.stdin)["bans"]:
    if b["kind"] != "ip":
        continue
    n = ipaddress.ip_network(b["key"], strict=False)
    if n.version == a.version and a in n:
        print(b["key"])
        break
' "$1"
}
