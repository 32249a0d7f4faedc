#!/bin/bash
# Integration: every ban reaches the kernel set, however many come at once.
#  - one TCP segment of 131 tiny malformed messages: 129 events (malformed
#    accepted and logged) before the density ban at the 130th, past the
#    128 events a worker's batch keeps for its log: the ban is in sipwarden4
#    and logged all the same;
#  - 155 spoofed IPv4 scanners (UA friendly-scanner, one REGISTER each) in
#    one burst, more than a worker's batch holds events: every source is in
#    the daemon's table and in sipwarden4, and the counters agree;
#  - 1000 spoofed IPv6 scanners, each from a /64 of its own, as fast as the
#    generator goes: every IPv6 ban the daemon made is in sipwarden6;
#  - a legitimate client registers afterwards.
# Nothing asserted depends on the machine's speed: the kernel queue holds
# the whole IPv4 burst, and the comparisons wait (bounded) for the ban
# thread rather than for a time.
set -euo pipefail

: "${SIPWARDEN_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
export SIPWARDEN_SRC
# shellcheck source=SCRIPTDIR/../lab/lab.sh
. "$SIPWARDEN_SRC/tests/lab/lab.sh"
# shellcheck source=SCRIPTDIR/lib_sw.sh
. "$SIPWARDEN_SRC/tests/integration/lib_sw.sh"
trap lab_down EXIT

CONF="$SIPWARDEN_SRC/tests/integration/conf/bans.yml"
lab_require_tools ip ss kamailio python3 iptables ip6tables ipset timeout cc
[ -x "$SIPWARDEN_BUILD/sipwarden" ] || lab_fail "build sipwarden first ($SIPWARDEN_BUILD)"
lab_up
lab_kamailio_start
lab_rules install "$CONF" >/dev/null || lab_fail "sipwarden-rules install failed"
GEN="$LAB_RUN/swb-gen"
cc -O2 -D_GNU_SOURCE -Wall -Wextra -Werror -o "$GEN" "$SIPWARDEN_SRC/bench/gen.c" ||
	lab_fail "cannot build bench/gen.c"
lab_sipwarden_start "$CONF"

ctl() { lab_srv "$SIPWARDEN_BUILD/sipwardenctl" --socket "$LAB_RUN/control.sock" "$@"; }

# table_ips FAMILY(4|6) — the daemon's IP bans of one family, one a line, as
# ipset lists them (an address alone, a network with its length).
table_ips() {
	ctl --json bans | /usr/bin/python3 -c '
import ipaddress, json, sys
fam = int(sys.argv[1])
for b in json.load(sys.stdin)["bans"]:
    if b["kind"] != "ip":
        continue
    n = ipaddress.ip_network(b["key"], strict=False)
    if n.version != fam:
        continue
    print(n.network_address if n.prefixlen == n.max_prefixlen else n)
' "$1" | sort
}

# same_as_table FAMILY — the kernel set holds exactly the table's bans; waits
# for the ban thread (up to 30 s, checked every 0.2 s).
same_as_table() {
	local i t k
	for i in $(seq 1 150); do
		t=$(table_ips "$1")
		k=$(sw_set_members "$1" | sort)
		[ -n "$t" ] && [ "$t" = "$k" ] && return 0
		sleep 0.2
	done
	echo "table ($(printf '%s\n' "$t" | grep -c .)) and sipwarden$1 ($(printf '%s\n' "$k" | grep -c .)) differ:"
	diff <(printf '%s\n' "$t") <(printf '%s\n' "$k") | head -20
	return 1
}

# One segment: 131 messages "x" with a compact Content-Length of 0 (11 bytes
# each, 1441 bytes: under the lab's MSS), sent at once with TCP_NODELAY.
tcp_burst() {
	lab_atk /usr/bin/python3 - "$1" "$LAB_SRV4" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.bind((sys.argv[1], 0))
s.settimeout(3)
s.connect((sys.argv[2], 5060))
s.sendall(b"x\r\nl:0\r\n\r\n" * 131)
time.sleep(0.5)
s.close()
PY
}

check_tcp_many_events() {
	local i
	tcp_burst 203.0.113.79 || true
	for i in $(seq 1 150); do
		sw_in_set 203.0.113.79 && break
		sleep 0.2
	done
	grep -E "IP '203\.0\.113\.79' is blocked and banned" "$SWLOG" || return 1
	ctl bans ip | grep "203.0.113.79 " && sw_in_set 203.0.113.79
}
lab_check "one TCP segment, 129 events then a density ban: the ban in sipwarden4 and logged" \
	check_tcp_many_events

check_v4_burst() {
	local n
	# 203.0.113.100-254: addresses no lab namespace owns
	lab_atk "$GEN" --dst "$LAB_SRV4" --src4 203.0.113.100 --nsrc 155 --count 155 --rate 0 \
		--mix scanner --run burst4 || return 1
	# the kernel queue holds the whole burst: every packet is judged
	for _ in $(seq 1 150); do
		n=$(table_ips 4 | grep -c '^203\.0\.113\.\(1[0-9][0-9]\|2[0-5][0-9]\)$' || true)
		[ "$n" -ge 155 ] && break
		sleep 0.2
	done
	echo "IPv4 bans in the table: $n of 155"
	[ "$n" -eq 155 ] && same_as_table 4 && echo "sipwarden4: $(sw_set_members 4 | wc -l) members"
}
lab_check "155 spoofed scanners in one burst: every ban in the table and in sipwarden4" check_v4_burst

check_v6_flood() {
	local n
	lab_atk "$GEN" --dst "$LAB_SRV6" --src6-count 1000 --count 1000 --rate 0 --mix scanner \
		--run burst6 || return 1
	same_as_table 6 || return 1
	n=$(sw_set_members 6 | wc -l)
	echo "IPv6 bans (one /64 each) in the table and in sipwarden6: $n"
	[ "$n" -gt 128 ]
}
lab_check "1000 spoofed IPv6 scanners at full speed: every ban the daemon made is in sipwarden6" \
	check_v6_flood

check_counters() {
	local st
	st=$(ctl --json stats)
	sw_json_get "(j['bans_created'], j['bans_ip'], j['bans_refused'])" <<<"$st"
	# every ban created is still in force (600 s), none refused
	sw_json_get "j['bans_created'] == j['bans_ip'] and j['bans_refused'] == 0" <<<"$st" | grep -qx True
}
lab_check "counters: bans created = IP bans in force, none refused" check_counters

check_legit_after() {
	sw_register "$LAB_CLI4_FIRST" 105
}
lab_check "a legitimate client registers after the floods" check_legit_after

lab_sipwarden_stop
lab_check "daemon log free of sanitizer reports" sw_sanitizer_clean
lab_summary
