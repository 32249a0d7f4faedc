#!/bin/bash
# Integration: the daemon under valgrind (memcheck) through the whole
# scenario - legit registrations, a flood ban, a scanner, garbage, an
# auth-failure ban, control commands, a reload - then a clean stop: no
# memory error, no definite leak. (Plain build only: valgrind cannot run a
# sanitizer build.)
set -euo pipefail

: "${SIPWARDEN_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
export SIPWARDEN_SRC
# shellcheck source=SCRIPTDIR/../lab/lab.sh
. "$SIPWARDEN_SRC/tests/lab/lab.sh"
# shellcheck source=SCRIPTDIR/lib_sw.sh
. "$SIPWARDEN_SRC/tests/integration/lib_sw.sh"
trap lab_down EXIT

CONF="$SIPWARDEN_SRC/tests/integration/conf/core.yml"
VGLOG="$LAB_RUN/valgrind.log"
lab_require_tools ip ss kamailio python3 iptables ipset timeout valgrind
# (Not ldd | grep -q: under pipefail ldd's SIGPIPE would read as no match.)
if grep -q libasan <<<"$(ldd "$SIPWARDEN_BUILD/sipwarden")"; then
	lab_fail "$SIPWARDEN_BUILD/sipwarden is a sanitizer build: valgrind needs a plain one"
fi
lab_up
lab_kamailio_start
lab_rules install "$CONF"
rm -f "$VGLOG"
export LAB_SIPWARDEN_WRAP="valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite --track-fds=no --log-file=$VGLOG"
export LAB_READY_TIMEOUT=60
lab_sipwarden_start "$CONF"
ctl() { lab_srv "$SIPWARDEN_BUILD/sipwardenctl" --socket "$LAB_RUN/control.sock" "$@"; }

check_scenario() {
	local i
	for i in 10 11 12; do sw_register "203.0.113.$i" "1$i" || return 1; done
	sw_register 2001:db8:c::10 110 || return 1
	lab_sipclient "$LAB_NS_ATK" register --src 203.0.113.67 --server "$LAB_SRV4" --user 167 \
		--domain example.org --password x --ua friendly-scanner --timeout 1 >/dev/null && return 1
	lab_sipclient "$LAB_NS_ATK" flood --src 203.0.113.66 --server "$LAB_SRV4" --rate 100 \
		--duration 1 >/dev/null || return 1
	lab_sipclient "$LAB_NS_ATK" garbage --src 203.0.113.78 --server "$LAB_SRV4" --count 20 \
		>/dev/null || return 1
	for i in 1 2 3; do
		lab_sipclient "$LAB_NS_CLI" register --src 203.0.113.20 --server "$LAB_SRV4" \
			--user 120 --domain example.org --password wrong --timeout 2 >/dev/null && return 1
	done
	ctl ban ip 203.0.113.79 --time 60 && ctl unban ip 203.0.113.79 && ctl stats >/dev/null &&
		ctl --json bans >/dev/null && ctl reload || return 1
	sleep 1
	ctl bans
	grep -q "IP '203.0.113.66' is blocked and banned" "$SWLOG" &&
		grep -q "Consecutive Authentication Failure for '120@example.org'" "$SWLOG"
}
lab_check "the scenario runs under valgrind" check_scenario

check_clean() {
	lab_sipwarden_stop
	# the wrapper's pid is valgrind's; give it time to write its report
	lab_wait_for "grep -q 'ERROR SUMMARY' '$VGLOG'" 60 || { tail -20 "$VGLOG"; return 1; }
	grep -E "ERROR SUMMARY|definitely lost|in use at exit" "$VGLOG"
	grep -q "ERROR SUMMARY: 0 errors" "$VGLOG" &&
		! grep -E "definitely lost: [1-9]" "$VGLOG"
}
lab_check "valgrind: no memory errors, no definite leaks" check_clean
lab_summary
