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
