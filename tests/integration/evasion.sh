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
#    bundled in one segment with the scanner's INVITE, with a REGISTER of a
#    banned user, or with a malformed INVITE; the benign twins
#    (same tricks, harmless User-Agent, or the same bytes again) reach
#    Kamailio (doc/tcp.md); each asserts the counters the trick must move
#    (tcp_rst_ignored, tcp_syn_ignored, tcp_bad_checksum, tcp_retransmissions,
#    tcp_rtx_mismatches, tcp_hostile)
#  - two User-Agent headers and decoy transactions over TCP (kernel
#    connections, one segment): the scanner banned; the decoy drops the
#    segment with the guess in it; retransmissions pass
#  - two credentials headers over UDP (two Authorization, or Authorization
#    beside Proxy-Authorization) naming different users: dropped as
#    malformed; the same user in both reaches Kamailio
#  - decoy transactions for enumeration over UDP: each probe of a user that
#    does not exist followed by a decoy under its key naming another target
#    (the source is banned by enumeration detection all the same)
#  - last, with ua_ban_ip: no (reload): the scanner's INVITE bundled behind
#    an OPTIONS is still dropped, segment and all, and nobody is banned
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

CONF_SRC="$SIPWARDEN_SRC/tests/integration/conf/evasion.yml"
RAWSEND=(/usr/bin/python3 "$SIPWARDEN_SRC/tests/integration/rawsend.py")
lab_require_tools ip ss kamailio python3 iptables ipset timeout
/usr/bin/python3 -c 'import scapy' 2>/dev/null ||
	lab_fail "python3-scapy missing: apt-get install python3-scapy (or run tools/install-deps.sh)"
lab_up
# A copy: the last section reloads it with ua_ban_ip: no.
CONF="$LAB_RUN/evasion.yml"
cp "$CONF_SRC" "$CONF"
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

# The bundles whose second message is dropped for another reason than a
# ban of the source: the OPTIONS (From TAGo) alone would pass, so nothing
# tagged TAG or TAGo may reach Kamailio, and the source stays unbanned.
check_tcp_bundle_benign() { # SCENARIO SRC TAG UA
	tcp_case "$1" "$2" "$3" "$4" && ev_passed "$3" && ev_passed "${3}o"
}
check_tcp_bundle_dropped() { # SCENARIO SRC TAG UA
	case $2 in 2001:db8:a:*) ev_unban_atk6 ;; esac
	tcp_case "$1" "$2" "$3" "$4" || return 1
	sleep 0.5
	echo "Kamailio received $(ev_rcv "$3") tagged $3, $(ev_rcv "${3}o") tagged ${3}o;" \
		"ban covering $2: $(sw_ban_key "$2")"
	[ "$(ev_rcv "$3")" -eq 0 ] && [ "$(ev_rcv "${3}o")" -eq 0 ] && ! ev_banned "$2"
}
check_tcp_bundle_user() { # SRC TAG — user TAG banned by the operator first
	sw_ctl ban user "$2@example.org" >/dev/null || return 1
	check_tcp_bundle_dropped bundlereg "$1" "$2" Linphone/5.0
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
	lab_check "tcp $f: OPTIONS + REGISTER of a user not banned: both arrive" \
		check_tcp_bundle_benign bundlereg "${c}11" "bregok$f" Linphone/5.0
	lab_check "tcp $f: OPTIONS + REGISTER of a banned user in one segment: both dropped" \
		counted tcp_hostile check_tcp_bundle_user "${a}66" "bregbad$f"
	lab_check "tcp $f: OPTIONS + well-formed INVITE: both arrive" \
		check_tcp_bundle_benign bundlemal "${c}12" "bmalok$f" twin
	lab_check "tcp $f: OPTIONS + INVITE without Call-ID in one segment: both dropped" \
		counted tcp_hostile check_tcp_bundle_dropped bundlemal "${a}67" "bmalbad$f" bad
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

# ---- two User-Agent headers and decoys over TCP -----------------------------
# The same tricks over a kernel TCP connection, all messages in one segment.

# ev_tcp SRC KIND A B — one connection from SRC, one segment, replies read
# for a second. KIND twoua: a REGISTER From A with User-Agent Mozilla/5.0
# then user-agent B. KIND decoy: a REGISTER of user A with A's credentials
# and, under its Call-ID, CSeq and From tag, B's (B = A: a retransmission,
# same branch).
ev_tcp() {
	local ns
	ns=$(lab_ns_name_of "$1")
	ip netns exec "$ns" /usr/bin/python3 - "$1" "$(srv_of "$1")" "$2" "$3" "$4" "$RANDOM" <<'PY'
import socket, sys, time
src, srv, kind, a, b, rnd = sys.argv[1:]
fam = socket.AF_INET6 if ":" in src else socket.AF_INET
host = "[%s]" % src if ":" in src else src
s = socket.socket(fam, socket.SOCK_STREAM)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.bind((src, 0))
s.settimeout(3)
s.connect((srv, 5060))
port = s.getsockname()[1]
def msg(name, br, ua):
    creds = ("Authorization: Digest username=\"%s\", realm=\"example.org\", nonce=\"0123abcd\", "
             "uri=\"sip:example.org\", response=\"0123456789abcdef0123456789abcdef\"\r\n" % name
             if kind == "decoy" else "")
    return ("REGISTER sip:example.org SIP/2.0\r\n"
            "Via: SIP/2.0/TCP %s:%d;branch=z9hG4bK%s%s\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:%s@example.org>;tag=t%s\r\n"
            "To: <sip:%s@example.org>\r\n"
            "Call-ID: tc%s-%s@swtest-tcp\r\n"
            "CSeq: 2 REGISTER\r\n"
            "Contact: <sip:%s@%s:%d;transport=tcp>\r\n"
            "%sUser-Agent: %s\r\nContent-Length: 0\r\n\r\n"
            % (host, port, rnd, br, a, rnd, a, rnd, a, a, host, port, creds, ua)).encode()
if kind == "twoua":
    data = msg(a, "a", "Mozilla/5.0\r\nuser-agent: " + b)
else:
    data = msg(a, "a", "Zoiper rv2.10") + msg(b, "a" if a == b else "b", "Zoiper rv2.10")
s.sendall(data)
end, got = time.time() + 1.0, b""
while time.time() < end:
    try:
        s.settimeout(max(0.05, end - time.time()))
        d = s.recv(65535)
    except OSError:
        break
    if not d:
        break
    got += d
print("%d bytes in one segment; replies: %s" % (len(data), [l for l in got.decode(errors="replace").split("\r\n") if l.startswith("SIP/2.0")]))
s.close()
PY
}
check_tcp_two_ua_benign() { # SRC TAG
	ev_tcp "$1" twoua "$2" "Zoiper rv2.10" && ev_passed "$2"
}
check_tcp_two_ua_scanner() { # SRC TAG
	ev_unban_atk6
	ev_tcp "$1" twoua "$2" friendly-scanner || true
	ev_dropped_banned "$1" "$2"
}
check_tcp_decoy_benign() { # SRC USER — a retransmission in the segment
	ev_tcp "$1" decoy "$2" "$2" && ev_passed "$2" 2 && ! ev_user_banned "$2"
}
check_tcp_decoy_attack() { # SRC USER DECOY — the decoy drops the segment
	ev_unban_atk6
	ev_tcp "$1" decoy "$2" "$3" || true
	sleep 0.5
	echo "Kamailio received $(ev_rcv "$2") from $2; ban covering $1: $(sw_ban_key "$1")"
	[ "$(ev_rcv "$2")" -eq 0 ] && ! ev_banned "$1"
}
lab_check "tcp v4: two benign User-Agents: the REGISTER reaches Kamailio" \
	check_tcp_two_ua_benign 203.0.113.15 twouatcpok4
lab_check "tcp v4: benign User-Agent then friendly-scanner: dropped, source banned" \
	check_tcp_two_ua_scanner 203.0.113.66 twouatcpbad4
lab_check "tcp v4: credentials retransmitted in one segment: both reach Kamailio, no ban" \
	check_tcp_decoy_benign 203.0.113.16 172
lab_check "tcp v4: a guess and its decoy in one segment: neither reaches Kamailio" \
	counted tcp_hostile check_tcp_decoy_attack 203.0.113.67 164 165
lab_check "tcp v6: two benign User-Agents: the REGISTER reaches Kamailio" \
	check_tcp_two_ua_benign 2001:db8:c::15 twouatcpok6
lab_check "tcp v6: credentials retransmitted in one segment: both reach Kamailio, no ban" \
	check_tcp_decoy_benign 2001:db8:c::16 173
lab_check "tcp v6: a guess and its decoy in one segment: neither reaches Kamailio" \
	counted tcp_hostile check_tcp_decoy_attack 2001:db8:a::67 166 167
lab_check "tcp v6: benign User-Agent then friendly-scanner: dropped, source banned" \
	check_tcp_two_ua_scanner 2001:db8:a::66 twouatcpbad6

# ---- two credentials headers (UDP) -----------------------------------------
# A guess keyed on a decoy user: two Authorization headers, or a decoy
# Authorization beside the real Proxy-Authorization, naming different users.
# Judged malformed (never reach Kamailio, no ban: a malformed message bans
# nobody). The twin names the same user in Proxy-Authorization and
# Authorization.

check_creds_benign() { # SRC N
	sw_send "$(lab_ns_name_of "$1")" "$1" register_two_creds_ok.sip || true
	ev_passed twocredok "$2"
}
# ev_malformed — messages judged malformed so far (stats, verdicts by reason).
ev_malformed() { sw_ctl --json stats | sw_json_get "j['verdicts'].get('malformed', 0)"; }
check_creds_bad() { # SRC FILE TAG
	local before
	ev_unban_atk6
	before=$(ev_malformed)
	sw_send "$(lab_ns_name_of "$1")" "$1" "$2" --wait 1 || true
	lab_wait_for "[ \$(ev_malformed) -gt $before ]" 5 || true
	echo "Kamailio received $(ev_rcv "$3") tagged $3; malformed: $before -> $(ev_malformed);" \
		"ban covering $1: $(sw_ban_key "$1")"
	[ "$(ev_rcv "$3")" -eq 0 ] && [ "$(ev_malformed)" -gt "$before" ] && ! ev_banned "$1"
}
lab_check "udp v4: the same user in Proxy-Authorization and Authorization reaches Kamailio" \
	check_creds_benign 203.0.113.14 1
lab_check "udp v4: two Authorization headers naming two users: dropped" \
	check_creds_bad 203.0.113.69 register_two_creds_bad.sip twocredbad
lab_check "udp v4: decoy Authorization beside Proxy-Authorization: dropped" \
	check_creds_bad 203.0.113.69 register_proxy_creds_bad.sip proxycredbad
lab_check "udp v6: the same user in Proxy-Authorization and Authorization reaches Kamailio" \
	check_creds_benign 2001:db8:c::14 2
lab_check "udp v6: two Authorization headers naming two users: dropped" \
	check_creds_bad 2001:db8:a::69 register_two_creds_bad.sip twocredbad
lab_check "udp v6: decoy Authorization beside Proxy-Authorization: dropped" \
	check_creds_bad 2001:db8:a::69 register_proxy_creds_bad.sip proxycredbad

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

# ---- decoy transactions for enumeration (UDP) ------------------------------
# A probe of extension EXT (no such user: Kamailio answers 404) and, in the
# same burst, a decoy under its Call-ID, CSeq and From tag whose To names
# another target: the decoy is dropped (malformed), the 404 is charged to
# EXT, and the eleventh distinct extension bans the source by enumeration
# (enum_distinct_users 10), as without decoys. (A decoy that arrives after
# the 404 is a probe of its own target and counted as one: it only brings
# the ban closer.) The twin: each probe sent
# twice unchanged (a retransmission) for a few extensions: no ban.

ev_enum_pair() { # ev_enum_pair SRC EXT SECOND_TO ROUND — two datagrams, one burst
	local ns
	ns=$(lab_ns_name_of "$1")
	ip netns exec "$ns" /usr/bin/python3 - "$1" "$(srv_of "$1")" "$2" "$3" "$4" <<'PY'
import socket, sys
src, srv, ext, second, rnd = sys.argv[1:]
fam = socket.AF_INET6 if ":" in src else socket.AF_INET
host = "[%s]" % src if ":" in src else src
s = socket.socket(fam, socket.SOCK_DGRAM)
s.bind((src, 0))
port = s.getsockname()[1]
def msg(to, br):
    return ("REGISTER sip:example.org SIP/2.0\r\n"
            "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%s%s;rport\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:%s@example.org>;tag=e%s\r\n"
            "To: <sip:%s@example.org>\r\n"
            "Call-ID: en%s-%s@swtest-enumdecoy\r\n"
            "CSeq: 1 REGISTER\r\n"
            "User-Agent: Zoiper rv2.10\r\nContent-Length: 0\r\n\r\n"
            % (host, port, rnd, br, ext, rnd, to, rnd, ext)).encode()
s.sendto(msg(ext, "a"), (srv, 5060))
s.sendto(msg(second, "a" if second == ext else "b"), (srv, 5060))
s.settimeout(1.0)
try:
    s.recvfrom(65535)
except OSError:
    pass
PY
}
# ev_rcv_to TARGET — requests Kamailio received whose To user is TARGET.
ev_rcv_to() { lab_kamailio_rcv_count "tu=$1 "; }
check_enum_decoy_attack() { # SRC FIRST_EXT DECOY_TO
	local i=0
	ev_unban_atk6
	while [ $i -lt 15 ] && ! ev_banned "$1"; do
		ev_enum_pair "$1" $(($2 + i)) "$3" "$RANDOM$i"
		i=$((i + 1))
	done
	lab_wait_for "ev_banned $1" 3 || true
	echo "probes sent: $i; decoys that reached Kamailio after their 404: $(ev_rcv_to "$3");" \
		"ban covering $1: $(sw_ban_key "$1")"
	# 11 distinct targets ban; one more probe may go while the ban is
	# published.
	ev_banned "$1" && [ "$i" -le 12 ]
}
check_enum_decoy_benign() { # SRC FIRST_EXT
	local i n0
	n0=$(sw_rcv_src "$1")
	for i in 0 1 2 3; do ev_enum_pair "$1" $(($2 + i)) $(($2 + i)) "$RANDOM$i"; done
	sleep 0.5
	echo "Kamailio received $(($(sw_rcv_src "$1") - n0)) of 8; ban covering $1: $(sw_ban_key "$1")"
	[ $(($(sw_rcv_src "$1") - n0)) -eq 8 ] && ! ev_banned "$1"
}
lab_check "udp v4: 4 probes each sent twice (retransmissions): all arrive, no ban" \
	check_enum_decoy_benign 203.0.113.29 300
lab_check "udp v4: probes each followed by a decoy target: banned by enumeration" \
	check_enum_decoy_attack 203.0.113.79 310 enumdecoy4
lab_check "udp v6: 4 probes each sent twice (retransmissions): all arrive, no ban" \
	check_enum_decoy_benign 2001:db8:c::29 330
lab_check "udp v6: probes each followed by a decoy target: banned by enumeration" \
	check_enum_decoy_attack 2001:db8:a::79 340 enumdecoy6

# ---- bundling with ua_ban_ip: no (reload) ---------------------------------
# The scanner's INVITE is dropped without a ban: bundled behind an OPTIONS
# it still drops the segment (both messages), and nobody is banned.
check_reload_no_ua_ban() {
	printf "  ua_ban_ip: 'no'\n" >>"$CONF"
	sw_ctl reload || return 1
	lab_wait_for "grep -q 'configuration reloaded' '$LAB_RUN/sipwarden.log'" 5
}
lab_check "reload with ua_ban_ip: no" check_reload_no_ua_ban
check_tcp_scanner_noban() { # SRC TAG
	case $1 in 2001:db8:a:*) ev_unban_atk6 ;; esac
	tcp_case bundle "$1" "$2" friendly-scanner || return 1
	sleep 0.5
	echo "Kamailio received $(ev_rcv "$2") tagged $2; ban covering $1: $(sw_ban_key "$1")"
	[ "$(ev_rcv "$2")" -eq 0 ] && ! ev_banned "$1"
}
lab_check "tcp v4, ua_ban_ip no: OPTIONS + INVITE, benign: both arrive" \
	check_tcp_benign bundle 203.0.113.13 bundlenbok4 2
lab_check "tcp v4, ua_ban_ip no: OPTIONS + scanner INVITE: both dropped, no ban" \
	counted tcp_hostile check_tcp_scanner_noban 203.0.113.68 bundlenbbad4
lab_check "tcp v6, ua_ban_ip no: OPTIONS + INVITE, benign: both arrive" \
	check_tcp_benign bundle 2001:db8:c::13 bundlenbok6 2
lab_check "tcp v6, ua_ban_ip no: OPTIONS + scanner INVITE: both dropped, no ban" \
	counted tcp_hostile check_tcp_scanner_noban 2001:db8:a::68 bundlenbbad6

lab_sipwarden_stop
lab_check "daemon log free of sanitizer reports" sw_sanitizer_clean
lab_summary
