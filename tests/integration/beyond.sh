#!/bin/bash
# Integration: beyond the seed platform.
#  - svwar with a benign User-Agent (sipvicious patched in a copy), scanning
#    under the density limit, is banned by enumeration detection, while one
#    address registering 50 accounts with correct passwords is not
#  - an IPv6 attacker rotating addresses inside one /64 is banned as the /64,
#    and the kernel set holds the prefix
#  - a source banned three times gets twice, then four times the ban time
#  - a banned user's REGISTER gets "403 Try again later" (banned_user_reply)
#  - blocklist_files go into the kernel set and follow a reload
set -euo pipefail

: "${SIPWARDEN_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
export SIPWARDEN_SRC
# shellcheck source=SCRIPTDIR/../lab/lab.sh
. "$SIPWARDEN_SRC/tests/lab/lab.sh"
# shellcheck source=SCRIPTDIR/lib_sw.sh
. "$SIPWARDEN_SRC/tests/integration/lib_sw.sh"
trap lab_down EXIT

lab_require_tools ip ss kamailio svwar python3 iptables ipset timeout
lab_up
lab_kamailio_start
CONF="$LAB_RUN/beyond.yml"
sed "s|@RUN@|$LAB_RUN|g" "$SIPWARDEN_SRC/tests/integration/conf/beyond.yml.in" >"$CONF"
printf '# test blocklist\n203.0.113.78/31\n\n2001:db8:a:0:ffff::/80  # a v6 net\n' >"$LAB_RUN/blocklist.txt"
CTL=("$SIPWARDEN_BUILD/sipwardenctl" --socket "$LAB_RUN/control.sock")
ctl() { lab_srv "${CTL[@]}" "$@"; }
lab_rules install "$CONF"
lab_sipwarden_start "$CONF"

# sipvicious with another User-Agent: a copy whose template is patched.
SVP="$LAB_RUN/svpatched"
rm -rf "$SVP"
cp -r /usr/share/sipvicious "$SVP"
sed -i "s/useragent='friendly-scanner'/useragent='Z 3.15.1 rv1.0'/" "$SVP/sipvicious/libs/svhelper.py"

check_enum_svwar() {
	local out n
	grep -q "Z 3.15.1" "$SVP/sipvicious/libs/svhelper.py" || return 1
	lab_atk_src 203.0.113.68
	# extensions 300-340 do not exist: Kamailio answers 404
	out=$(lab_atk timeout 60 /usr/bin/python3 "$SVP/sipvicious_svwar" -e300-340 -m REGISTER \
		"$LAB_SRV4" 2>&1) || true
	lab_atk_src "$LAB_ATK4_FIRST"
	n=$(lab_kamailio_rcv_count "src=203.0.113.68 .*ua='Z 3.15.1")
	echo "svwar requests that reached Kamailio: $n (UA 'Z 3.15.1')"
	grep -E "IP '203.0.113.68' is blocked and banned - .*reason=enum users=11" "$SWLOG" || return 1
	! grep -q "IP '203.0.113.68'.* - R=.*reason=density" "$SWLOG" &&
		[ -n "$(sw_set_timeout 203.0.113.68)" ] && [ "$n" -le 13 ]
}
lab_check "svwar with a benign UA under the density limit is banned by enumeration" check_enum_svwar

check_pbx_50() {
	local u ok=0
	for u in $(seq 100 149); do
		lab_sipclient "$LAB_NS_CLI" register --src 203.0.113.20 --server "$LAB_SRV4" \
			--user "$u" --domain example.org --password "pw-$u" --timeout 2 >/dev/null &&
			ok=$((ok + 1))
	done
	echo "$ok of 50 accounts registered from 203.0.113.20"
	[ "$ok" -eq 50 ] && ! grep -q "IP '203.0.113.20'" "$SWLOG" && [ -z "$(sw_set_timeout 203.0.113.20)" ]
}
lab_check "a PBX registering 50 accounts from one address is not banned" check_pbx_50

# 14 addresses of one /64, 200 requests each in 2 s: 2800 for the prefix
# (limit 300), 200 per address (under it).
check_v6_prefix() {
	local i pids=()
	for i in $(seq 66 79); do
		lab_sipclient "$LAB_NS_ATK" flood --src "2001:db8:a::$i" --server "$LAB_SRV6" \
			--rate 100 --duration 2 --method OPTIONS >/dev/null 2>&1 &
		pids+=($!)
	done
	wait "${pids[@]}" || true
	lab_srv ipset list sipwarden6 | sed -n '/Members/,$p'
	grep -E "is blocked and banned .*net=2001:db8:a::/64" "$SWLOG" &&
		[ -n "$(sw_set_timeout 2001:db8:a::/64)" ]
}
lab_check "IPv6 attacker rotating inside a /64 is banned as the /64" check_v6_prefix

# ban_time_is S: the ban of 203.0.113.71 was given for S seconds, whenever
# it is looked at: REMAINING (rounded up) + AGE (rounded down) in `bans`.
ban_time_is() {
	ctl bans ip | awk -v s="$1" '$2 == "203.0.113.71" { r = $4 + $6 } END { exit !(r == s || r == s + 1) }'
}

# dos_ban_time 4 s, factor 2: 4, 8, 16 s for the same source.
check_recidive() {
	local round t t0 el
	for round in 1 2 3; do
		t0=$(date +%s)
		lab_sipclient "$LAB_NS_ATK" flood --src 203.0.113.71 --server "$LAB_SRV4" \
			--rate 400 --duration 1 --method REGISTER >/dev/null || return 1
		t=$(sw_set_timeout 203.0.113.71)
		# the ban came after t0: at most the seconds since then ran off
		el=$(($(date +%s) - t0 + 1))
		echo "ban $round: kernel timeout ${t:-none}, ${el} s since the flood began"
		ctl bans ip | grep "203.0.113.71 "
		case $round in
		1) [ -n "$t" ] && [ "$t" -le 4 ] || return 1 ;;
		2) [ -n "$t" ] && [ "$t" -ge $((8 - el)) ] && [ "$t" -le 8 ] && ban_time_is 8 ||
			return 1 ;;
		3) [ -n "$t" ] && [ "$t" -ge $((16 - el)) ] && [ "$t" -le 16 ] && ban_time_is 16 ||
			return 1 ;;
		esac
		[ "$round" -eq 3 ] && break
		lab_wait_for "[ -z \"\$(sw_set_timeout 203.0.113.71)\" ] && ! lab_srv ${CTL[*]} bans ip | grep -q '203.0.113.71 '" 20 ||
			return 1
		sleep 1
	done
}
lab_check "a source banned three times gets 2x then 4x the ban time" check_recidive

check_403() {
	local out i
	for i in 1 2 3; do
		lab_sipclient "$LAB_NS_CLI" register --src 203.0.113.23 --server "$LAB_SRV4" \
			--user 110 --domain example.org --password wrong --timeout 2 >/dev/null && return 1
	done
	sleep 0.3
	ctl bans user | grep -q "110@example.org" || return 1
	out=$(lab_sipclient "$LAB_NS_CLI" register --src 203.0.113.24 --server "$LAB_SRV4" \
		--user 110 --domain example.org --password pw-110 --timeout 2 2>&1) && return 1
	echo "$out"
	grep -q "403" <<<"$out" && grep -qi "try again later" <<<"$out"
}
lab_check "a banned user's REGISTER gets 403 Try again later" check_403

check_blocklist() {
	local n
	lab_srv ipset list sipwarden4 | grep -q "^203.0.113.78/31 " || return 1
	lab_srv ipset list sipwarden6 | grep -q "^2001:db8:a:0:ffff::/80 " || return 1
	lab_sipclient "$LAB_NS_ATK" flood --src 203.0.113.79 --server "$LAB_SRV4" --rate 50 \
		--duration 1 --method OPTIONS >/dev/null || return 1
	n=$(lab_kamailio_rcv_count "src=203.0.113.79 ")
	echo "requests from the blocklisted 203.0.113.79 that reached Kamailio: $n"
	[ "$n" -eq 0 ] || return 1
	# the list changes; a reload follows it
	printf '203.0.113.77\n' >"$LAB_RUN/blocklist.txt"
	ctl reload || return 1
	lab_srv ipset list sipwarden4 | grep -q "^203.0.113.77 " &&
		! lab_srv ipset list sipwarden4 | grep -q "^203.0.113.78/31 "
}
lab_check "blocklist files go to the kernel set and follow a reload" check_blocklist

lab_sipwarden_stop
lab_check "daemon log free of sanitizer reports" sw_sanitizer_clean
lab_summary
