#!/bin/bash
# Integration: nobody can turn sipwarden against the operator's own users,
# peers and infrastructure (issue 17). Each attack as real packets, spoofed
# where an attacker would spoof (tests/integration/spoof.py writes frames
# straight onto the router's interface towards the server):
#  - a scanner "from" 127.0.0.1 and "from" the server's own address: dropped
#    as martian sources, nothing banned, the server keeps answering
#  - a scanner "from" 2001:db8:5::99, the /64 neighbour of the whitelisted
#    peer 2001:db8:5::10: banned alone (/128), never the /64; the peer keeps
#    registering
#  - 1000 spoofed scanner sources fill the ban table (max_bans 200): the
#    least valuable automatic bans are evicted, and a real user ban for
#    alice (three wrong passwords) is still made
#  - account lockout: three spoofed credentialed REGISTERs for alice make
#    the server send three 401s and alice is banned, yet alice keeps
#    registering from the address she registered from before
#  - gateway mode (sipwarden on the router): a guesser's forged "200 OK from
#    the server", sent from the clients' side after each real 401, is not
#    read as the server's; the guesser's user is banned. Over TCP too: a
#    forged server segment from the clients' side is not read, a real TCP
#    reply through the router is
#  - through all of it the legitimate client keeps registering
set -euo pipefail

: "${SIPWARDEN_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
export SIPWARDEN_SRC
# shellcheck source=SCRIPTDIR/../lab/lab.sh
. "$SIPWARDEN_SRC/tests/lab/lab.sh"
# shellcheck source=SCRIPTDIR/lib_sw.sh
. "$SIPWARDEN_SRC/tests/integration/lib_sw.sh"
trap lab_down EXIT

lab_require_tools ip kamailio python3 iptables ip6tables ipset timeout
[ -x "$SIPWARDEN_BUILD/sipwarden" ] || lab_fail "build sipwarden first ($SIPWARDEN_BUILD)"
lab_up
lab_kamailio_start
CONF="$SIPWARDEN_SRC/tests/integration/conf/abuse.yml"
lab_rules install "$CONF"
lab_sipwarden_start "$CONF"

# The whitelisted peer lives on the server's /64, on the router.
PEER6=2001:db8:5::10
lab_net ip addr add "$PEER6/64" dev srv0 nodad
SRV_MAC=$(lab_srv cat /sys/class/net/eth0/address)

# spoof SRC TEXT [spoof.py options...] — datagrams "from" SRC to the server.
spoof() {
	local src=$1 text=$2 dst=$LAB_SRV4
	shift 2
	case $src in *:*) dst=$LAB_SRV6 ;; esac
	lab_net /usr/bin/python3 "$SIPWARDEN_SRC/tests/integration/spoof.py" --iface srv0 \
		--dst-mac "$SRV_MAC" --src "$src" --dst "$dst" --text "$text" "$@"
}

# A REGISTER from sipvicious' UA: a ban of its source if it were real.
scanner_msg() {
	cat <<-MSG
	REGISTER sip:example.org SIP/2.0
	Via: SIP/2.0/UDP \${SRC}:5060;branch=z9hG4bK-\${N}-spoof;rport
	From: <sip:100@example.org>;tag=spoof\${N}
	To: <sip:100@example.org>
	Call-ID: spoof-\${N}@example.org
	CSeq: 1 REGISTER
	Contact: <sip:100@\${SRC}:5060>
	User-Agent: friendly-scanner
	Max-Forwards: 70
	Content-Length: 0

	MSG
}

stat_of() { sw_ctl --json stats | sw_json_get "j['$1']"; }

legit_registers() {
	sw_register 203.0.113.10 110 && sw_register 2001:db8:c::10 111
}
lab_check "the legitimate client registers (v4 and v6) before the attacks" legit_registers

check_loopback_and_server() {
	local m0 m1
	m0=$(stat_of martian)
	spoof 127.0.0.1 "$(scanner_msg)" || return 1
	spoof "$LAB_SRV4" "$(scanner_msg)" || return 1
	spoof 0.0.0.0 "$(scanner_msg)" || return 1
	spoof 224.0.0.9 "$(scanner_msg)" || return 1
	lab_wait_for "[ \$(stat_of martian) -ge $((m0 + 4)) ]" 5 || return 1
	m1=$(stat_of martian)
	echo "martian sources counted: $m0 -> $m1"
	sw_ctl bans ip
	[ -z "$(sw_ban_key 127.0.0.1)" ] && [ -z "$(sw_ban_key "$LAB_SRV4")" ] &&
		[ -z "$(sw_ban_key 0.0.0.0)" ] && ! sw_in_set 127.0.0.1 && ! sw_in_set "$LAB_SRV4" &&
		[ "$(sw_set_members 4 | wc -l)" -eq 0 ]
}
lab_check "a scanner spoofing 127.0.0.1 / the server's address is dropped, nothing banned" \
	check_loopback_and_server

check_neighbour_of_peer() {
	spoof 2001:db8:5::99 "$(scanner_msg)" || return 1
	lab_wait_for "[ -n \"\$(sw_ban_key 2001:db8:5::99)\" ]" 5 || return 1
	sw_ctl bans ip
	sw_set_members 6
	[ "$(sw_ban_key 2001:db8:5::99)" = 2001:db8:5::99 ] &&
		[ -z "$(sw_ban_key "$PEER6")" ] && ! sw_in_set 2001:db8:5::/64 &&
		sw_in_set 2001:db8:5::99
}
lab_check "a scanner spoofing the whitelisted peer's /64 neighbour is banned alone" \
	check_neighbour_of_peer

# The host's addresses are followed as they change (RTM_NEWADDR): an
# address added to the server while sipwarden runs is never banned either.
check_new_host_address() {
	local m0
	lab_srv ip addr add 198.51.100.9/24 dev eth0
	sleep 0.5
	m0=$(stat_of martian)
	spoof 198.51.100.9 "$(scanner_msg)" || return 1
	lab_wait_for "[ \$(stat_of martian) -gt $m0 ]" 5 || return 1
	[ -z "$(sw_ban_key 198.51.100.9)" ] && ! sw_in_set 198.51.100.9 || return 1
	# benign twin: once the address is gone, a scanner using it is banned
	lab_srv ip addr del 198.51.100.9/24 dev eth0
	sleep 0.5
	spoof 198.51.100.9 "$(scanner_msg)" || return 1
	lab_wait_for "[ -n \"\$(sw_ban_key 198.51.100.9)\" ]" 5 || return 1
	sw_ctl unban ip 198.51.100.9
}
lab_check "an address added to the host at run time is never banned; removed, it is" \
	check_new_host_address

# An operator's network ban that would cover the peer (or the host, or
# loopback) is refused with the reason; a network with nobody trusted in it
# is banned.
check_cli_net_ban() {
	local out
	out=$(sw_ctl ban ip 2001:db8:5::/64 --time 60 2>&1) && return 1
	echo "$out"
	grep -q "never to be banned" <<<"$out" || return 1
	sw_ctl ban ip 127.0.0.0/8 --time 60 && return 1
	sw_ctl ban ip 2001:db8:a::/64 --time 60 || return 1
	[ "$(sw_ban_key 2001:db8:a::5)" = 2001:db8:a::/64 ] && [ -z "$(sw_ban_key "$PEER6")" ] &&
		sw_ctl unban ip 2001:db8:a::/64
}
lab_check "sipwardenctl refuses a network ban that covers the peer or loopback" check_cli_net_ban

check_peer_keeps_working() {
	local i
	for i in 1 2 3; do
		lab_sipclient "$LAB_NS_NET" register --src "$PEER6" --server "$LAB_SRV6" \
			--user 150 --domain example.org --password pw-150 --timeout 2 || return 1
	done
}
lab_check "the whitelisted peer keeps registering" check_peer_keeps_working

# Issue 17, attack 3: 1000 spoofed scanner sources, each its own /48, fill
# the ban table (max_bans 200); then alice (user 105) guesses wrong three
# times for real: her user ban must still be made.
check_table_flood_then_user_ban() {
	local i ev rf
	spoof 2001:db8:100::1 "$(scanner_msg)" --count 1000 --vary-src || return 1
	lab_wait_for "[ \$(stat_of bans_evicted) -gt 0 ]" 10 || return 1
	ev=$(stat_of bans_evicted)
	echo "IP bans $(stat_of bans_ip) of 200, evicted $ev, refused $(stat_of bans_refused)"
	for i in 1 2 3; do
		lab_sipclient "$LAB_NS_CLI" register --src 203.0.113.12 --server "$LAB_SRV4" \
			--user 105 --domain example.org --password wrong --timeout 2 >/dev/null && return 1
	done
	lab_wait_for "sw_ctl bans user | grep -q '105@example.org'" 5 || return 1
	sw_ctl bans user
	rf=$(stat_of bans_refused)
	# The fill warning is the upkeep tick's (once a second, upkeep.h), not
	# the ban's: a flood and alice's three tries fit in one second, so the
	# line may come after her ban. Wait for the tick, not for luck.
	lab_wait_for "grep -qE 'ban table [0-9]+% full' '$SWLOG'" 5 || return 1
	grep -E "ban table [0-9]+% full" "$SWLOG" &&
		[ "$rf" -eq 0 ] && [ "$(stat_of bans_ip)" -le 180 ] &&
		[ "$(sw_set_members 6 | wc -l)" -le 200 ]
}
lab_check "a ban-table flood of spoofed sources, then alice's user ban is still made" \
	check_table_flood_then_user_ban

# Issue 17, attack 4: account lockout. alice (user 107) registers from her
# phone at 203.0.113.14; an attacker sends three credentialed REGISTERs for
# her from spoofed sources, the server answers each with a 401, and alice
# is banned. Her phone keeps registering; any other source is refused.
lockout_msg() {
	cat <<-MSG
	REGISTER sip:example.org SIP/2.0
	Via: SIP/2.0/UDP \${SRC}:5060;branch=z9hG4bK-\${N}-lock;rport
	From: <sip:107@example.org>;tag=lock\${N}
	To: <sip:107@example.org>
	Call-ID: lockout-\${N}@example.org
	CSeq: 2 REGISTER
	Contact: <sip:107@\${SRC}:5060>
	Authorization: Digest username="107", realm="example.org", nonce="forged\${N}", uri="sip:example.org", response="0123456789abcdef0123456789abcdef", algorithm=MD5
	User-Agent: Yealink SIP-T46S 66.86.0.15
	Max-Forwards: 70
	Content-Length: 0

	MSG
}

check_lockout() {
	sw_register 203.0.113.14 107 || return 1
	spoof 203.0.113.70 "$(lockout_msg)" --count 3 --vary-src || return 1
	lab_wait_for "sw_ctl bans user | grep -q '107@example.org'" 5 || return 1
	sw_ctl bans user
	echo "alice from her known address:"
	sw_register 203.0.113.14 107 || return 1
	sw_register 203.0.113.14 107 || return 1
	echo "alice from elsewhere (refused while banned):"
	! sw_register 203.0.113.15 107 && [ "$(stat_of known_source_passed)" -ge 2 ]
}
lab_check "spoofed failures ban alice, who keeps registering from her known address" \
	check_lockout

lab_check "the legitimate client keeps registering after the attacks" legit_registers
lab_check "the daemon is still running" sw_daemon_alive

# The lockout protection outlives a restart: the known source is saved with
# the bans (state.h), so alice, still banned after it, keeps registering
# from her phone; the guesser's sources stay refused.
check_lockout_after_restart() {
	local passed
	lab_sipwarden_start "$CONF" || return 1
	grep -E "restored [0-9]+ known sources" "$SWLOG" || return 1
	sw_ctl bans user | grep -q '107@example.org' || return 1
	passed=$(stat_of known_source_passed)
	sw_register 203.0.113.14 107 || return 1
	! sw_register 203.0.113.15 107 && [ "$(stat_of known_source_passed)" -gt "$passed" ]
}
lab_check "after a restart alice is still banned, and still registers from her known address" \
	check_lockout_after_restart

lab_sipwarden_stop
lab_check "daemon log free of sanitizer reports" sw_sanitizer_clean

# ---- gateway mode: sipwarden on the router, in front of the server ----
# Issue 17, attack 5: a password guesser forges a "200 OK from the server"
# after each real 401, to reset its failure count. The forgeries come in
# on the clients' side (br0), not the server's interface (srv0): they are
# not read as the server's, and the guesser's user is banned.
lab_rules remove "$CONF"
GWCONF="$SIPWARDEN_SRC/tests/integration/conf/abuse_gw.yml"
GWRUN="$LAB_RUN/gw"
rm -rf "$GWRUN"
mkdir -p "$GWRUN/state"
lab_net "$SIPWARDEN_BUILD/sipwarden-rules" install -c "$GWCONF"
(exec ip netns exec "$LAB_NS_NET" "$SIPWARDEN_BUILD/sipwarden" -c "$GWCONF" --foreground \
	--state-dir "$GWRUN/state" --socket "$GWRUN/control.sock" >>"$GWRUN/sipwarden.log" 2>&1) &
lab_pid_record sipwarden_gw $!
lab_wait_for "grep -q 'sipwarden ready' '$GWRUN/sipwarden.log'" 10 ||
	lab_fail "gateway sipwarden not ready"
gw_ctl() { "$SIPWARDEN_BUILD/sipwardenctl" --socket "$GWRUN/control.sock" "$@"; }
gw_stat() { gw_ctl --json stats | sw_json_get "j['$1']"; }
GW_MAC=$(lab_net cat /sys/class/net/br0/address)
# gw_spoof SRC DST TEXT [options] — a frame from the attackers' side.
gw_spoof() {
	local src=$1 dst=$2 text=$3
	shift 3
	lab_atk /usr/bin/python3 "$SIPWARDEN_SRC/tests/integration/spoof.py" --iface eth0 \
		--dst-mac "$GW_MAC" --src "$src" --dst "$dst" --text "$text" "$@"
}

guess_msg() { # guess_msg N
	cat <<-MSG
	REGISTER sip:example.org SIP/2.0
	Via: SIP/2.0/UDP 203.0.113.71:5060;branch=z9hG4bK-$1-guess;rport
	From: <sip:109@example.org>;tag=guess$1
	To: <sip:109@example.org>
	Call-ID: guess-$1@example.org
	CSeq: 2 REGISTER
	Contact: <sip:109@203.0.113.71:5060>
	Authorization: Digest username="109", realm="example.org", nonce="n$1", uri="sip:example.org", response="0123456789abcdef0123456789abcdef", algorithm=MD5
	Max-Forwards: 70
	Content-Length: 0

	MSG
}

forged_200() { # forged_200 N
	cat <<-MSG
	SIP/2.0 200 OK
	Via: SIP/2.0/UDP 203.0.113.71:5060;branch=z9hG4bK-$1-guess;rport=5060;received=203.0.113.71
	From: <sip:109@example.org>;tag=guess$1
	To: <sip:109@example.org>;tag=forged
	Call-ID: guess-$1@example.org
	CSeq: 2 REGISTER
	Content-Length: 0

	MSG
}

check_gw_forged_200() {
	local i
	gw_ctl bans user
	for i in 1 2 3; do
		gw_spoof 203.0.113.71 "$LAB_SRV4" "$(guess_msg "$i")" || return 1
		lab_wait_for "[ \$(gw_stat auth_failures) -ge $i ]" 5 || return 1
		gw_spoof "$LAB_SRV4" 203.0.113.71 "$(forged_200 "$i")" || return 1
		lab_wait_for "[ \$(gw_stat foreign_replies) -ge $i ]" 5 || return 1
	done
	lab_wait_for "gw_ctl bans user | grep -q '109@example.org'" 5 || return 1
	gw_ctl bans user
	echo "foreign replies: $(gw_stat foreign_replies), replies read: $(gw_stat replies_seen)"
}
lab_check "gateway mode: forged server replies from the clients' side are not read" \
	check_gw_forged_200

# The same rule over TCP: a forged "200 OK from the server" segment from
# the clients' side (to a client's port, on no connection of the sender's)
# is counted foreign and passed unread, never read as a reply; the twin, a
# real TCP REGISTER through the router, has its server reply read.
check_gw_forged_tcp() {
	local f0 r0 p0
	f0=$(gw_stat foreign_replies)
	r0=$(gw_stat replies_seen)
	p0=$(gw_stat tcp_passed)
	gw_spoof "$LAB_SRV4" 203.0.113.71 "$(forged_200 9)" --tcp --dport 41234 || return 1
	lab_wait_for "[ \$(gw_stat foreign_replies) -gt $f0 ]" 5 || return 1
	lab_wait_for "[ \$(gw_stat tcp_passed) -gt $p0 ]" 5 || return 1
	echo "foreign replies: $f0 -> $(gw_stat foreign_replies), tcp passed: $p0 ->" \
		"$(gw_stat tcp_passed), replies read: $r0 -> $(gw_stat replies_seen)"
	[ "$(gw_stat replies_seen)" -eq "$r0" ]
}
lab_check "gateway mode: a forged server TCP segment from the clients' side is not read" \
	check_gw_forged_tcp
check_gw_tcp_reply_read() {
	local r0 out
	r0=$(gw_stat replies_seen)
	out=$(lab_cli /usr/bin/python3 "$SIPWARDEN_SRC/tests/integration/tcpsend.py" register \
		203.0.113.18 "$LAB_SRV4" Linphone/5.0) || return 1
	echo "replies: ${out:-none}"
	lab_wait_for "[ \$(gw_stat replies_seen) -gt $r0 ]" 5 || return 1
	echo "replies read: $r0 -> $(gw_stat replies_seen)"
}
lab_check "gateway mode: the server's TCP reply through the router is read" check_gw_tcp_reply_read

gw_legit() {
	sw_register 203.0.113.10 110 && [ "$(gw_stat auth_failures)" -eq 3 ]
}
lab_check "gateway mode: the legitimate client registers, the server's replies are read" gw_legit
lab_pid_stop sipwarden_gw 10
lab_net "$SIPWARDEN_BUILD/sipwarden-rules" remove -c "$GWCONF"
lab_check "gateway daemon log free of sanitizer reports" \
	eval '! grep -nE "Sanitizer|runtime error:" "$GWRUN/sipwarden.log"' 
echo "abuse: $((LAB_CHECKS - LAB_FAILURES)) passed, $LAB_FAILURES failed"
lab_summary
