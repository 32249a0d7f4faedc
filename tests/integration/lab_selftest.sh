#!/bin/bash
# Self-test of the integration-test lab (tests/lab/), WITHOUT sipwarden:
# the topology routes both ways, Kamailio answers as a registrar with digest
# auth, and every real peer the other tests rely on (sipsak, sipvicious, the
# lab's own sipclient.py) really does what tests/lab/lab.sh documents.
#
# Env: SIPWARDEN_SRC (repo root; default derived from this script's path),
#      SIPWARDEN_BUILD (unused here), LAB_RUN (logs; default tests/lab/run).
# Exit 0 only if every check passes. Needs root; never skips.
set -euo pipefail

: "${SIPWARDEN_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
export SIPWARDEN_SRC
# shellcheck source=SCRIPTDIR/../lab/lab.sh
. "$SIPWARDEN_SRC/tests/lab/lab.sh"
trap lab_down EXIT

lab_require_tools ip ss kamailio sipsak svmap svwar svcrack python3 timeout
lab_up
lab_kamailio_start

KLOG="$LAB_RUN/kamailio.log"
SIPC=(/usr/bin/python3 "$LAB_SIPCLIENT")

# count Kamailio log lines matching all the given extended regexes
klog_count() {
	local lines p
	lines=$(grep -E -- "$1" "$KLOG" 2>/dev/null) || true
	shift
	for p in "$@"; do
		lines=$(grep -E -- "$p" <<<"$lines") || true
	done
	if [ -z "$lines" ]; then echo 0; else wc -l <<<"$lines"; fi
}

# ---- sipsak: REGISTER with digest auth from three client source addresses
check_sipsak() {
	local src=$1 user=$2 out
	lab_cli_src "$src" || return 1
	out=$(lab_cli timeout 20 sipsak -U -i -C "sip:$user@$src" -s "sip:$user@$LAB_SRV4" \
		-a "pw-$user" -u "$user" -H "$src" -x 60 -vv 2>&1) || { echo "$out"; return 1; }
	echo "$out"
	grep -q "successful" <<<"$out" || return 1
	[ "$(klog_count "AUTH result=ok .* src=$src user=$user@" "ua='sipsak")" -ge 1 ] ||
		{ echo "no AUTH ok for $user from $src in $KLOG"; return 1; }
}
check_sipsak_badpw() {
	lab_cli_src 203.0.113.15 || return 1
	if lab_cli timeout 20 sipsak -U -i -C sip:104@203.0.113.15 -s "sip:104@$LAB_SRV4" \
		-a wrong -u 104 -H 203.0.113.15 -x 60 -vv; then
		echo "sipsak succeeded with a wrong password"
		return 1
	fi
	[ "$(klog_count "AUTH result=fail .* src=203.0.113.15 user=104@")" -ge 1 ]
}
lab_check "sipsak REGISTER 101 from 203.0.113.12" check_sipsak 203.0.113.12 101
lab_check "sipsak REGISTER 102 from 203.0.113.13" check_sipsak 203.0.113.13 102
lab_check "sipsak REGISTER 103 from 203.0.113.14" check_sipsak 203.0.113.14 103
lab_check "sipsak REGISTER with wrong password fails" check_sipsak_badpw
lab_cli_src "$LAB_CLI4_FIRST"

# ---- sipclient.py register, IPv4 and IPv6, good and bad password
check_sipclient() {
	local ns=$1 src=$2 srv=$3 user=$4 pw=$5 want=$6 rc=0
	ip netns exec "$ns" "${SIPC[@]}" register --src "$src" --server "$srv" \
		--user "$user" --domain example.org --password "$pw" --count 2 || rc=$?
	echo "exit $rc (want $want)"
	[ "$rc" -eq "$want" ] || return 1
	if [ "$want" -eq 0 ]; then
		[ "$(klog_count "AUTH result=ok .* src=$src user=$user@example.org")" -ge 2 ]
	else
		[ "$(klog_count "AUTH result=fail .* src=$src user=$user@example.org")" -ge 2 ]
	fi
}
lab_check "sipclient REGISTER v4 203.0.113.20" check_sipclient "$LAB_NS_CLI" 203.0.113.20 "$LAB_SRV4" 120 pw-120 0
lab_check "sipclient REGISTER v6 2001:db8:c::20" check_sipclient "$LAB_NS_CLI" 2001:db8:c::20 "$LAB_SRV6" 121 pw-121 0
lab_check "sipclient REGISTER v4 wrong password fails" check_sipclient "$LAB_NS_CLI" 203.0.113.21 "$LAB_SRV4" 122 nope 1
lab_check "sipclient REGISTER v6 wrong password fails" check_sipclient "$LAB_NS_CLI" 2001:db8:c::21 "$LAB_SRV6" 123 nope 1
check_sipclient_refuses() {
	local rc=0
	"${SIPC[@]}" options --src 203.0.113.10 --server 192.0.2.1 || rc=$?
	[ "$rc" -eq 2 ]
}
lab_check "sipclient refuses addresses outside the lab" check_sipclient_refuses

# ---- sipvicious from the attacker namespace
check_svmap() {
	local out
	lab_atk_src 203.0.113.67 || return 1
	out=$(lab_atk timeout 30 svmap "$LAB_SRV4" 2>&1) || { echo "$out"; return 1; }
	echo "$out"
	grep -q "198.51.100.1:5060 *| sipwarden-lab-kamailio" <<<"$out" || return 1
	[ "$(klog_count "RCV method=OPTIONS src=203.0.113.67 " "ua='friendly-scanner'")" -ge 1 ]
}
check_svmap6() {
	local out
	out=$(lab_atk timeout 30 svmap -6 "$LAB_SRV6" 2>&1) || { echo "$out"; return 1; }
	echo "$out"
	grep -q "2001:db8:5::1:5060 *| sipwarden-lab-kamailio" <<<"$out"
}
check_svwar() {
	local out
	lab_atk_src 203.0.113.68 || return 1
	out=$(lab_atk timeout 30 svwar -e100-103,300 -m REGISTER "$LAB_SRV4" 2>&1) || { echo "$out"; return 1; }
	echo "$out"
	[ "$(grep -Ec '^\| 10[0-3] +\| reqauth' <<<"$out")" -eq 4 ] || return 1
	! grep -q '^| 300 ' <<<"$out" || return 1
	[ "$(klog_count "RCV method=REGISTER src=203.0.113.68 " "ua='friendly-scanner'")" -ge 5 ]
}
check_svwar6() {
	local out
	out=$(lab_atk timeout 30 svwar -6 -x '[2001:db8:a::66]' -e100-101 -m REGISTER "$LAB_SRV6" 2>&1) ||
		{ echo "$out"; return 1; }
	echo "$out"
	[ "$(grep -Ec '^\| 10[01] +\| reqauth' <<<"$out")" -eq 2 ]
}
check_svcrack() {
	local out dict="$LAB_RUN/svcrack-dict.txt"
	lab_atk_src 203.0.113.69 || return 1
	printf '%s\n' 1234 secret pw-104 pw-105 >"$dict"
	out=$(lab_atk timeout 60 svcrack -u105 -d "$dict" "$LAB_SRV4" 2>&1) || { echo "$out"; return 1; }
	echo "$out"
	grep -q '^| 105 *| pw-105 ' <<<"$out" || return 1
	# the wrong guesses reached Kamailio and were rejected
	[ "$(klog_count "AUTH result=fail rc=-2 .* src=203.0.113.69 user=105@" "friendly-scanner")" -ge 3 ]
}
lab_check "svmap finds Kamailio (v4)" check_svmap
lab_check "svmap -6 finds Kamailio" check_svmap6
lab_check "svwar enumerates 100-103 (v4)" check_svwar
lab_check "svwar -6 enumerates 100-101" check_svwar6
lab_check "svcrack guesses are rejected, dictionary hit cracks" check_svcrack
lab_atk_src "$LAB_ATK4_FIRST"

# ---- bounded flood and garbage reach Kamailio
check_flood() {
	local out sent n
	out=$(lab_atk timeout 20 "${SIPC[@]}" flood --src 203.0.113.77 --server "$LAB_SRV4" \
		--rate 200 --duration 2 --method REGISTER --ua flood-test) || { echo "$out"; return 1; }
	echo "$out"
	sent=$(sed -n 's/^sent \([0-9]*\) .*/\1/p' <<<"$out")
	[ "${sent:-0}" -gt 0 ] || return 1
	lab_wait_for "[ \$(klog_count 'RCV method=REGISTER src=203.0.113.77 ' flood-test) -ge $sent ]" 5 || true
	n=$(klog_count "RCV method=REGISTER src=203.0.113.77 " "ua='flood-test'")
	echo "kamailio logged $n of $sent"
	[ "$n" -ge $((sent * 95 / 100)) ]
}
check_flood6() {
	local out n sent
	out=$(lab_atk timeout 20 "${SIPC[@]}" flood --src 2001:db8:a::77 --server "$LAB_SRV6" \
		--rate 100 --duration 1 --method OPTIONS --ua flood-test6) || { echo "$out"; return 1; }
	echo "$out"
	sent=$(sed -n 's/^sent \([0-9]*\) .*/\1/p' <<<"$out")
	[ "${sent:-0}" -gt 0 ] || return 1
	lab_wait_for "[ \$(klog_count 'RCV method=OPTIONS src=2001:db8:a::77 ' flood-test6) -ge $sent ]" 5 || true
	n=$(klog_count "RCV method=OPTIONS src=2001:db8:a::77 " "ua='flood-test6'")
	echo "kamailio logged $n of $sent"
	[ "$n" -ge $((sent * 95 / 100)) ]
}
check_garbage() {
	lab_atk timeout 20 "${SIPC[@]}" garbage --src 203.0.113.78 --server "$LAB_SRV4" --count 300 ||
		return 1
	# Kamailio survives and still answers
	lab_cli timeout 10 "${SIPC[@]}" options --src 203.0.113.10 --server "$LAB_SRV4"
}
lab_check "flood 200/s for 2 s reaches Kamailio (v4)" check_flood
lab_check "flood 100/s for 1 s reaches Kamailio (v6)" check_flood6
lab_check "garbage is survived, OPTIONS still answered" check_garbage

# ---- one lab at a time: a second one with the same prefix (another
# suite, tools/lab.sh) waits for this one, and its lab_down leaves this
# one's namespaces alone
check_second_lab_waits() {
	local out
	if out=$(LAB_LOCK_WAIT=2 bash -c '. "$SIPWARDEN_SRC/tests/lab/lab.sh"; lab_lock' 2>&1); then
		echo "a second lab took the lock this one holds: $out"
		return 1
	fi
	echo "$out"
	grep -q "is running here: waiting" <<<"$out" &&
		grep -q "still held by PID $$" <<<"$out"
}
check_second_down_leaves_ours() {
	local ns
	bash -c '. "$SIPWARDEN_SRC/tests/lab/lab.sh"; lab_down' 2>&1
	for ns in $LAB_NAMESPACES; do
		lab_ns_exists "$ns" || { echo "$ns was removed"; return 1; }
	done
	[ "$(lab_lock_holder)" = $$ ]
}
lab_check "a second lab with the same prefix waits for this one" check_second_lab_waits
lab_check "a second lab's lab_down leaves this one's namespaces" check_second_down_leaves_ours

# ---- teardown leaves nothing behind
check_down() {
	lab_down
	if ip netns list | grep -E "^$LAB_PREFIX-"; then
		echo "namespaces left behind"
		return 1
	fi
	[ ! -e "$LAB_RUN/kamailio.pid" ] && [ -z "$(lab_lock_holder)" ]
}
lab_check "lab_down removes every namespace" check_down

lab_summary
