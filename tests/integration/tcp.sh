#!/bin/bash
# Integration: SIP over TCP and TLS ports, against Kamailio listening on TCP.
#  - sipsak TCP REGISTERs (digest auth) succeed through sipwarden
#  - two messages in one segment and one message in three segments pass
#  - a TCP REGISTER with UA friendly-scanner is not delivered and its source
#    gets banned
#  - a connection flood on the TLS port from one address gets it banned while
#    another client's TCP registration keeps working
#  - the server's TCP replies are read: wrong passwords over TCP ban the user
set -euo pipefail

: "${SIPWARDEN_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
export SIPWARDEN_SRC
# shellcheck source=SCRIPTDIR/../lab/lab.sh
. "$SIPWARDEN_SRC/tests/lab/lab.sh"
# shellcheck source=SCRIPTDIR/lib_sw.sh
. "$SIPWARDEN_SRC/tests/integration/lib_sw.sh"
trap lab_down EXIT

CONF="$SIPWARDEN_SRC/tests/integration/conf/tcp.yml"
TCPSEND=(/usr/bin/python3 "$SIPWARDEN_SRC/tests/integration/tcpsend.py")
lab_require_tools ip ss kamailio sipsak python3 iptables ipset timeout
lab_up
lab_kamailio_start
lab_rules install "$CONF"
lab_sipwarden_start "$CONF"

sipsak_tcp() { # sipsak_tcp SRC USER
	lab_cli_src "$1" || return 1
	lab_cli timeout 20 sipsak -U -i -C "sip:$2@$1" -s "sip:$2@$LAB_SRV4" -a "pw-$2" -u "$2" \
		-H "$1" -x 60 --transport=tcp -vv
}

check_sipsak_tcp() {
	local i ok=0
	for i in 12 13 14; do
		sipsak_tcp "203.0.113.$i" "1$i" >"$LAB_RUN/sipsak-tcp.$i" 2>&1 && ok=$((ok + 1))
	done
	lab_cli_src "$LAB_CLI4_FIRST"
	echo "$ok of 3 sipsak TCP registrations"
	[ "$ok" -eq 3 ] && [ "$(lab_count "AUTH result=ok .*src=203.0.113.1[234] " "$KLOG")" -ge 3 ]
}
lab_check "sipsak TCP REGISTERs succeed through sipwarden" check_sipsak_tcp

check_framing() {
	local n0 n1 out
	n0=$(lab_kamailio_rcv_count "src=203.0.113.20 .*tcp-test")
	out=$(lab_cli "${TCPSEND[@]}" register 203.0.113.20 "$LAB_SRV4" tcp-test --twice) || return 1
	echo "two in one segment: $out"
	out=$(lab_cli "${TCPSEND[@]}" register 203.0.113.20 "$LAB_SRV4" tcp-test --segments 3) || return 1
	echo "one in three segments: $out"
	sleep 0.3
	n1=$(lab_kamailio_rcv_count "src=203.0.113.20 .*tcp-test")
	echo "Kamailio received $((n1 - n0)) of 3"
	[ $((n1 - n0)) -eq 3 ]
}
lab_check "two messages in one segment and one in three segments pass" check_framing

check_scanner_tcp() {
	local out
	out=$(lab_atk "${TCPSEND[@]}" register 203.0.113.67 "$LAB_SRV4" friendly-scanner) || true
	echo "replies: ${out:-none}"
	sleep 0.3
	[ "$(lab_kamailio_rcv_count "src=203.0.113.67 ")" -eq 0 ] &&
		grep -q "Request rejected, malicious UA='friendly-scanner' from IP='203.0.113.67'" "$SWLOG" &&
		[ -n "$(sw_set_timeout 203.0.113.67)" ]
}
lab_check "TCP REGISTER with UA friendly-scanner is not delivered, source banned" check_scanner_tcp

check_tls_flood() {
	local fp ok=0
	lab_atk "${TCPSEND[@]}" connflood 203.0.113.68 "$LAB_SRV4" 5061 200 >"$LAB_RUN/connflood.out" 2>&1 &
	fp=$!
	sipsak_tcp 203.0.113.15 115 >"$LAB_RUN/sipsak-tcp.15" 2>&1 && ok=1
	lab_cli_src "$LAB_CLI4_FIRST"
	wait "$fp" || true
	cat "$LAB_RUN/connflood.out"
	echo "other client's TCP registration during the flood: $ok"
	[ "$ok" -eq 1 ] && grep -q "IP '203.0.113.68' is blocked and banned" "$SWLOG" &&
		[ -n "$(sw_set_timeout 203.0.113.68)" ]
}
lab_check "TLS-port connection flood gets the source banned, TCP clients unaffected" check_tls_flood

# The server's TCP replies are read too (OUTPUT, framed like the requests):
# three wrong passwords over TCP ban the user.
check_tcp_auth_ban() {
	local i
	for i in 1 2 3; do
		lab_cli_src 203.0.113.16
		lab_cli timeout 20 sipsak -U -i -C sip:116@203.0.113.16 -s "sip:116@$LAB_SRV4" -a wrong \
			-u 116 -H 203.0.113.16 -x 60 --transport=tcp >/dev/null 2>&1 && return 1
	done
	sleep 0.3
	lab_srv "$SIPWARDEN_BUILD/sipwardenctl" --socket "$LAB_RUN/control.sock" bans user |
		grep "116@$LAB_SRV4" || return 1
	grep -q "Consecutive Authentication Failure for '116@$LAB_SRV4'" "$SWLOG" || return 1
	# the right password, from a clean address, during the ban
	if sipsak_tcp 203.0.113.17 116 >/dev/null 2>&1; then
		echo "banned user registered over TCP"
		return 1
	fi
	lab_cli_src "$LAB_CLI4_FIRST"
}
lab_check "three wrong passwords over TCP ban the user (server replies read from the stream)" \
	check_tcp_auth_ban

lab_sipwarden_stop
lab_check "daemon log free of sanitizer reports" sw_sanitizer_clean
lab_summary
