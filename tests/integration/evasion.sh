#!/bin/bash
# Integration: evasion techniques of an attacker who has read the source
# (issue 16), as real packets in the lab against Kamailio. Each technique is
# sent in its malicious form (dropped, its source banned where the policy
# bans) and as its benign twin (reaches Kamailio), over IPv4 and IPv6.
#  - IP fragments: a REGISTER whose User-Agent friendly-scanner sits in a
#    later fragment, fragments in order and last first; the same REGISTER
#    with a harmless User-Agent reaches Kamailio (sipwarden-rules makes the
#    kernel reassemble before the queue, doc/design.md)
#  - two User-Agent headers over UDP: a benign one first, friendly-scanner
#    second (dropped, banned); two benign ones (reach Kamailio)
#  - decoy transactions over UDP: each wrong guess followed by a request
#    under its Call-ID, CSeq and From tag naming another user (the guessed
#    user is banned at failed_auth_attempts); retransmissions ban nobody
#  - TCP stream tricks, each on a connection driven by hand (rawsend.py tcp):
#    an RST or a SYN outside the window in the middle of a scanner's INVITE,
#    a segment the kernel discards (wrong checksum, ACK of unsent data)
#    followed by other bytes at the same sequence number, and an OPTIONS
#    bundled with the scanner's INVITE in one segment; the benign twins
#    (same tricks, harmless User-Agent, or the same bytes again) reach
#    Kamailio (doc/tcp.md); each asserts the counters the trick must move
#    (tcp_rst_ignored, tcp_syn_ignored, tcp_bad_checksum, tcp_retransmissions,
#    tcp_rtx_mismatches, tcp_hostile)
# Sections below are independent; each uses its own source addresses
# (attackers 203.0.113.66-79 / 2001:db8:a::66-79, one per check, since a
# ban of one would hide the next; clients 203.0.113.10-29 / 2001:db8:c::).
# IPv6 attackers share one /64, which an IPv6 ban covers (dos_ipv6_prefix):
# the IPv6 malicious checks run last within each section's family order.
set -euo pipefail

: "${SIPWARDEN_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
export SIPWARDEN_SRC
# shellcheck source=SCRIPTDIR/../lab/lab.sh
. "$SIPWARDEN_SRC/tests/lab/lab.sh"
# shellcheck source=SCRIPTDIR/lib_sw.sh
. "$SIPWARDEN_SRC/tests/integration/lib_sw.sh"
trap lab_down EXIT

CONF="$SIPWARDEN_SRC/tests/integration/conf/evasion.yml"
RAWSEND=(/usr/bin/python3 "$SIPWARDEN_SRC/tests/integration/rawsend.py")
lab_require_tools ip ss kamailio python3 iptables ipset timeout
/usr/bin/python3 -c 'import scapy' 2>/dev/null ||
	lab_fail "python3-scapy missing: apt-get install python3-scapy (or run tools/install-deps.sh)"
lab_up
lab_kamailio_start
lab_rules install "$CONF"
lab_sipwarden_start "$CONF"
# rawsend.py's hand-driven TCP: the client kernels know nothing of those
# connections and would reset them; only their own RSTs (unmarked) go.
for ns in "$LAB_NS_CLI" "$LAB_NS_ATK"; do
	for ipt in iptables ip6tables; do
		ip netns exec "$ns" "$ipt" -w -A OUTPUT -p tcp --sport 41000:41999 \
			--tcp-flags RST RST -m mark ! --mark 0x5e -j DROP
	done
done

# ev_rcv TAG — requests Kamailio received whose From user is TAG.
ev_rcv() { lab_kamailio_rcv_count "fu=$1 "; }

# ev_banned ADDR — an IP ban covers ADDR (daemon table; an IPv6 source may
# be banned as its /64).
ev_banned() { [ -n "$(sw_ban_key "$1")" ]; }

# ev_dropped_banned ADDR TAG — nothing tagged TAG reached Kamailio, and ADDR
# is banned, in the daemon and in the kernel set.
ev_dropped_banned() {
	local key
	lab_wait_for "ev_banned $1" 3 || true
	key=$(sw_ban_key "$1")
	echo "Kamailio received $(ev_rcv "$2") tagged $2; ban covering $1: ${key:-none}"
	[ "$(ev_rcv "$2")" -eq 0 ] && [ -n "$key" ] && sw_in_set "$key"
}

# ev_passed TAG [N] — Kamailio received at least N (1) requests tagged TAG.
ev_passed() {
	lab_wait_for "[ \$(ev_rcv $1) -ge ${2:-1} ]" 3 || true
	echo "Kamailio received $(ev_rcv "$1") tagged $1"
	[ "$(ev_rcv "$1")" -ge "${2:-1}" ]
}

# ---- IP fragments (UDP) --------------------------------------------------

frag_case() { # frag_case SRC UA TAG [--reverse]
	local n
	n=$(lab_ns_of "$1" "${RAWSEND[@]}" frag "$1" "$(srv_of "$1")" "$2" --tag "$3" "${@:4}") || return 1
	echo "sent REGISTER tagged $3 from $1 as $n fragments ${4:-in order}"
}
lab_ns_of() { # lab_ns_of SRC CMD... — run CMD in the namespace owning SRC
	case $1 in
	203.0.113.[1-2][0-9] | 2001:db8:c::*) shift; lab_cli "$@" ;;
	*) shift; lab_atk "$@" ;;
	esac
}
srv_of() { case $1 in *:*) echo "$LAB_SRV6" ;; *) echo "$LAB_SRV4" ;; esac; }

check_frag_benign() {
	local src=$1 tag=$2
	shift 2
	frag_case "$src" "Linphone/5.0" "$tag" "$@" && ev_passed "$tag"
}
check_frag_scanner() {
	local src=$1 tag=$2
	shift 2
	frag_case "$src" "friendly-scanner" "$tag" "$@" && ev_dropped_banned "$src" "$tag"
}
lab_check "fragments v4 in order: benign REGISTER reaches Kamailio" check_frag_benign 203.0.113.21 fragok4
lab_check "fragments v4 reversed: benign REGISTER reaches Kamailio" \
	check_frag_benign 203.0.113.21 fragok4r --reverse
lab_check "fragments v6 in order: benign REGISTER reaches Kamailio" check_frag_benign 2001:db8:c::21 fragok6
lab_check "fragments v6 reversed: benign REGISTER reaches Kamailio" \
	check_frag_benign 2001:db8:c::21 fragok6r --reverse
lab_check "fragments v4 in order: UA in a later fragment dropped, source banned" \
	check_frag_scanner 203.0.113.70 fragbad4
lab_check "fragments v4 reversed: UA in a later fragment dropped, source banned" \
	check_frag_scanner 203.0.113.71 fragbad4r --reverse
lab_check "fragments v6 in order: UA in a later fragment dropped, source banned" \
	check_frag_scanner 2001:db8:a::70 fragbad6
check_frag_v6_reversed() {
	# The /64 of 2001:db8:a::70 is banned by now: lift it, so that this
	# verdict is the User-Agent rule's and not the ban's.
	sw_ctl unban ip "$(sw_ban_key 2001:db8:a::71)" >/dev/null || true
	check_frag_scanner 2001:db8:a::71 fragbad6r --reverse
}
lab_check "fragments v6 reversed: UA in a later fragment dropped, source banned" check_frag_v6_reversed

fragments_count() { sw_ctl --json stats | sw_json_get "j['fragments']"; }
check_no_unreassembled() {
	local n
	n=$(fragments_count)
	echo "unreassembled fragments that reached the queue: $n"
	[ "$n" -eq 0 ]
}
lab_check "no fragment reached the queue unreassembled" check_no_unreassembled

# ---- TCP stream tricks ----------------------------------------------------

# ev_unban_atk6 — lift the ban of the IPv6 attackers' /64 (left by an earlier
# check), so that the next verdict is the rule's under test, not the ban's.
ev_unban_atk6() {
	local key
	key=$(sw_ban_key "$LAB_ATK6_FIRST")
	[ -z "$key" ] || sw_ctl unban ip "$key" >/dev/null
}

tcp_case() { # tcp_case SCENARIO SRC TAG UA
	local out
	out=$(lab_ns_of "$2" "${RAWSEND[@]}" tcp "$1" "$2" "$(srv_of "$2")" "$3" "$4") || return 1
	echo "from $2: $out"
}
check_tcp_benign() { # SCENARIO SRC TAG N
	tcp_case "$1" "$2" "$3" "${5:-Linphone/5.0}" && ev_passed "$3" "$4"
}
check_tcp_scanner() { # SCENARIO SRC TAG
	case $2 in 2001:db8:a:*) ev_unban_atk6 ;; esac
	tcp_case "$1" "$2" "$3" friendly-scanner && ev_dropped_banned "$2" "$3"
}
check_tcp_unjudged() { # SCENARIO SRC TAG — dropped before any judge: not banned
	case $2 in 2001:db8:a:*) ev_unban_atk6 ;; esac
	tcp_case "$1" "$2" "$3" friendly-scanner || return 1
	sleep 0.5
	echo "Kamailio received $(ev_rcv "$3") tagged $3"
	[ "$(ev_rcv "$3")" -eq 0 ]
}

# ev_ctr NAME — a counter of sipwardenctl stats (counters.h).
ev_ctr() { sw_ctl --json stats | sw_json_get "j['$1']"; }
# counted "NAME..." CHECK ARGS... — CHECK passes and each counter NAME grew
# while it ran: the trick was seen for what it is, not passed by chance.
# Counters are published after each batch; the wait only covers the
# control round trip, never a rate.
counted() {
	local names=$1 n b i=0 before=()
	shift
	for n in $names; do before+=("$(ev_ctr "$n")"); done
	"$@" || return 1
	for n in $names; do
		b=${before[i]}
		i=$((i + 1))
		if ! lab_wait_for "[ \$(ev_ctr $n) -gt $b ]" 5; then
			echo "counter $n did not move from $b"
			return 1
		fi
		echo "counter $n: $b -> $(ev_ctr "$n")"
	done
}

# Each trick over IPv4 then IPv6: benign twin first, then the attack. The
# counters the trick must move are asserted with it (sipwardenctl(8), TCP
# COUNTERS): an ignored RST/SYN, a wrong checksum, a matching retransmission
# for the twins; and for the attacks, the connection made hostile (and the
# retransmission mismatch of the invalid-ACK insertion).
tcp_tricks() { # tcp_tricks FAMILY CLIENT_PREFIX ATTACKER_PREFIX
	local f=$1 c=$2 a=$3
	lab_check "tcp $f: RST seq 0xdeadbeef mid-INVITE, benign: INVITE and OPTIONS arrive" \
		counted tcp_rst_ignored check_tcp_benign rst "${c}22" "rstok$f" 2
	lab_check "tcp $f: RST seq 0xdeadbeef mid-INVITE, scanner: dropped, source banned" \
		counted "tcp_rst_ignored tcp_hostile" check_tcp_scanner rst "${a}72" "rstbad$f"
	lab_check "tcp $f: spoofed SYN mid-INVITE, benign: INVITE and OPTIONS arrive" \
		counted tcp_syn_ignored check_tcp_benign syn "${c}23" "synok$f" 2
	lab_check "tcp $f: spoofed SYN mid-INVITE, scanner: dropped, source banned" \
		counted "tcp_syn_ignored tcp_hostile" check_tcp_scanner syn "${a}73" "synbad$f"
	lab_check "tcp $f: bad-checksum segment then the same bytes: they arrive" \
		counted tcp_bad_checksum check_tcp_benign csum "${c}24" "csumok$f" 1 twin
	lab_check "tcp $f: bad-checksum OPTIONS then scanner INVITE at its seq: dropped, banned" \
		counted "tcp_bad_checksum tcp_hostile" check_tcp_scanner csum "${a}74" "csumbad$f"
	lab_check "tcp $f: segment with an invalid ACK, then the same bytes: they arrive" \
		counted tcp_retransmissions check_tcp_benign ack "${c}25" "ackok$f" 1 twin
	lab_check "tcp $f: OPTIONS with an invalid ACK, then scanner INVITE at its seq: dropped" \
		counted "tcp_rtx_mismatches tcp_hostile" check_tcp_unjudged ack "${a}75" "ackbad$f"
	lab_check "tcp $f: OPTIONS + INVITE in one segment, benign: both arrive" \
		check_tcp_benign bundle "${c}26" "bundleok$f" 2
	lab_check "tcp $f: OPTIONS + scanner INVITE in one segment: dropped, source banned" \
		counted tcp_hostile check_tcp_scanner bundle "${a}76" "bundlebad$f"
}
tcp_tricks v4 203.0.113. 203.0.113.
tcp_tricks v6 2001:db8:c:: 2001:db8:a::

# ---- two User-Agent headers (UDP) ------------------------------------------
# Kamailio's $ua reads the first; a scanner puts a benign one first and its
# own second (in another case). Its twin names two benign agents.

check_two_ua_benign() { # SRC N
	sw_send "$(lab_ns_name_of "$1")" "$1" register_two_ua_ok.sip || true
	ev_passed twouaok "$2"
}
check_two_ua_scanner() { # SRC
	ev_unban_atk6
	sw_send "$(lab_ns_name_of "$1")" "$1" register_two_ua_bad.sip --wait 1 || true
	ev_dropped_banned "$1" twouabad
}
lab_ns_name_of() { case $1 in 203.0.113.[1-2][0-9] | 2001:db8:c::*) echo "$LAB_NS_CLI" ;; *) echo "$LAB_NS_ATK" ;; esac; }
lab_check "udp v4: two benign User-Agents: the REGISTER reaches Kamailio" check_two_ua_benign 203.0.113.27 1
lab_check "udp v4: benign User-Agent then friendly-scanner: dropped, source banned" \
	check_two_ua_scanner 203.0.113.77
lab_check "udp v6: two benign User-Agents: the REGISTER reaches Kamailio" check_two_ua_benign 2001:db8:c::27 2
lab_check "udp v6: benign User-Agent then friendly-scanner: dropped, source banned" \
	check_two_ua_scanner 2001:db8:a::77

# ---- decoy transactions (UDP) ---------------------------------------------
# A wrong guess for USER and, right behind it in the same burst, a decoy
# under the same Call-ID, CSeq and From tag naming another user: the decoy
# is dropped (malformed), Kamailio's 401 is charged to USER, who is banned
# at failed_auth_attempts (3). A decoy that arrives after the 401 (Kamailio
# may answer before it is judged) opens a transaction of its own and is
# charged to its own user: it never spares USER, so only USER's ban is
# asserted. The twin: the same request twice (a retransmission, same
# branch) is no decoy: both copies reach Kamailio and nobody is banned.

ev_pair() { # ev_pair SRC USER SECOND_USERNAME ROUND — two datagrams, one burst
	local ns
	ns=$(lab_ns_name_of "$1")
	ip netns exec "$ns" /usr/bin/python3 - "$1" "$(srv_of "$1")" "$2" "$3" "$4" <<'PY'
import socket, sys
src, srv, user, second, rnd = sys.argv[1:]
fam = socket.AF_INET6 if ":" in src else socket.AF_INET
host = "[%s]" % src if ":" in src else src
s = socket.socket(fam, socket.SOCK_DGRAM)
s.bind((src, 0))
port = s.getsockname()[1]
def msg(name, br):
    return ("REGISTER sip:example.org SIP/2.0\r\n"
            "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%s%s;rport\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:%s@example.org>;tag=t%s\r\n"
            "To: <sip:%s@example.org>\r\n"
            "Call-ID: dc%s-%s@swtest-decoy\r\n"
            "CSeq: 2 REGISTER\r\n"
            "Authorization: Digest username=\"%s\", realm=\"example.org\", nonce=\"0123abcd\", "
            "uri=\"sip:example.org\", response=\"0123456789abcdef0123456789abcdef\"\r\n"
            "User-Agent: Zoiper rv2.10\r\nContent-Length: 0\r\n\r\n"
            % (host, port, rnd, br, user, rnd, user, rnd, user, name)).encode()
s.sendto(msg(user, "a"), (srv, 5060))
s.sendto(msg(second, "a" if second == user else "b"), (srv, 5060))
s.settimeout(1.0)
try:
    s.recvfrom(65535)
except OSError:
    pass
PY
}
ev_user_banned() { sw_ctl --json bans user | grep -q "\"$1@example.org\""; }
check_decoy_attack() { # SRC USER DECOY
	local i
	ev_unban_atk6
	for i in 1 2 3; do ev_pair "$1" "$2" "$3" "$RANDOM$i"; done
	lab_wait_for "ev_user_banned $2" 3 || true
	echo "user $2 banned: $(ev_user_banned "$2" && echo yes || echo no);" \
		"decoy $3 banned: $(ev_user_banned "$3" && echo yes || echo no);" \
		"Kamailio received $(ev_rcv "$2") from $2"
	ev_user_banned "$2"
}
check_decoy_benign() { # SRC USER
	ev_pair "$1" "$2" "$2" "$RANDOM"
	sleep 0.5
	echo "Kamailio received $(ev_rcv "$2") from $2"
	[ "$(ev_rcv "$2")" -ge 2 ] && ! ev_user_banned "$2"
}
lab_check "udp v4: retransmitted credentials: both copies reach Kamailio, nobody banned" \
	check_decoy_benign 203.0.113.28 170
lab_check "udp v4: 3 guesses each followed by a decoy transaction: the guessed user is banned" \
	check_decoy_attack 203.0.113.78 160 161
lab_check "udp v6: retransmitted credentials: both copies reach Kamailio, nobody banned" \
	check_decoy_benign 2001:db8:c::28 171
# The TCP v6 checks above leave the attackers' /64 banned.
ev_unban_atk6
lab_check "udp v6: 3 guesses each followed by a decoy transaction: the guessed user is banned" \
	check_decoy_attack 2001:db8:a::78 162 163

lab_sipwarden_stop
lab_check "daemon log free of sanitizer reports" sw_sanitizer_clean
lab_summary
