#!/bin/bash
# Integration: faults.
#  - SIGKILL and restart under legitimate load: no registration is lost
#    (queue bypass covers the gap) and bans survive
#  - queue overflow (a tiny queue, offered load far above what the daemon can
#    verdict): fail-open keeps legit SIP flowing, the counters show it
#  - 1,000,000 distinct spoofed IPv6 sources: resident memory stays within
#    the configured bound and legit clients keep registering
#  - 100 reloads under load: no ban is lost, the daemon stays up
#  - read-only state directory: bans keep working in memory, the error is
#    reported
set -euo pipefail

: "${SIPWARDEN_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
export SIPWARDEN_SRC
# shellcheck source=SCRIPTDIR/../lab/lab.sh
. "$SIPWARDEN_SRC/tests/lab/lab.sh"
# shellcheck source=SCRIPTDIR/lib_sw.sh
. "$SIPWARDEN_SRC/tests/integration/lib_sw.sh"
ROSTATE=
cleanup() {
	[ -n "$ROSTATE" ] && mountpoint -q "$ROSTATE" && umount "$ROSTATE"
	lab_down
}
trap cleanup EXIT

CONF="$SIPWARDEN_SRC/tests/integration/conf/faults.yml"
CONF_OVF="$SIPWARDEN_SRC/tests/integration/conf/faults_overflow.yml"
lab_require_tools ip ss kamailio python3 iptables ipset timeout cc
lab_up
lab_kamailio_start
lab_rules install "$CONF"
GEN="$LAB_RUN/swb-gen"
cc -O2 -D_GNU_SOURCE -Wall -Wextra -Werror -o "$GEN" "$SIPWARDEN_SRC/bench/gen.c" || lab_fail "cannot build bench/gen.c"
lab_sipwarden_start "$CONF"

ctl() { lab_srv "$SIPWARDEN_BUILD/sipwardenctl" --socket "$LAB_RUN/control.sock" "$@"; }
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$(lab_pid_get sipwarden)/status"; }
legit_loop() { # legit_loop SRC USER COUNT OUTFILE: COUNT registrations, prints "ok N of M"
	local src=$1 user=$2 count=$3 out=$4 i ok=0
	for i in $(seq 1 "$count"); do
		lab_sipclient "$LAB_NS_CLI" register --src "$src" --server "$LAB_SRV4" --user "$user" \
			--domain example.org --password "pw-$user" --timeout 2 >/dev/null 2>&1 && ok=$((ok + 1))
		sleep 0.1
	done
	echo "ok $ok of $count" >"$out"
}
all_ok() { grep -Eq "^ok ([0-9]+) of \1$" "$1"; }

ctl ban ip 203.0.113.70 --time 600 >/dev/null || lab_fail "cannot ban"

check_sigkill_restart() {
	local lp
	legit_loop 203.0.113.21 121 40 "$LAB_RUN/legit.kill" &
	lp=$!
	sleep 1
	kill -KILL "$(lab_pid_get sipwarden)"
	sleep 1
	lab_sipwarden_start "$CONF" || return 1
	wait "$lp"
	cat "$LAB_RUN/legit.kill"
	all_ok "$LAB_RUN/legit.kill" && ctl bans ip | grep -q "203.0.113.70 " &&
		[ -n "$(sw_set_timeout 203.0.113.70)" ]
}
lab_check "SIGKILL and restart under legit load: no registration lost, bans kept" check_sigkill_restart

check_overflow() {
	local lp hits0 hits1 got0 got1 chain
	lab_sipwarden_start "$CONF_OVF" || return 1
	chain() { lab_srv iptables -w -t mangle -n -v -x -L sipwarden | awk '$3 == "NFQUEUE" { s += $1 } END { print s + 0 }'; }
	got() { ctl --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["packets"])'; }
	hits0=$(chain) got0=$(got)
	legit_loop 203.0.113.22 122 20 "$LAB_RUN/legit.ovf" &
	lp=$!
	# as fast as the generator goes, to a queued port nobody listens on
	lab_atk "$GEN" --dst "$LAB_SRV4" --dport 5062 --src4 203.0.113.100 --nsrc 30 --rate 0 \
		--duration 4 --mix options --run ovf || return 1
	wait "$lp"
	hits1=$(chain) got1=$(got)
	cat "$LAB_RUN/legit.ovf"
	echo "queued-rule hits +$((hits1 - hits0)), judged by the daemon +$((got1 - got0)):" \
		"$((hits1 - hits0 - (got1 - got0))) let through unjudged (fail-open)"
	all_ok "$LAB_RUN/legit.ovf" && [ $((hits1 - hits0 - (got1 - got0))) -gt 0 ] &&
		kill -0 "$(lab_pid_get sipwarden)"
}
lab_check "queue overflow: fail-open keeps legit SIP flowing, counters show it" check_overflow

check_million_sources() {
	local lp rss0 rss1 bound st
	lab_sipwarden_start "$CONF" || return 1
	rss0=$(rss_kb)
	legit_loop 203.0.113.23 123 30 "$LAB_RUN/legit.million" &
	lp=$!
	# every source once, as scanners (dropped by the UA rule, never banned:
	# ua_ban_ip is off), so Kamailio is spared and every packet is judged
	lab_atk "$GEN" --dst "$LAB_SRV6" --src6-count 1000000 --count 1000000 --rate 150000 \
		--duration 90 --mix scanner --run million >"$LAB_RUN/gen.million" || return 1
	cat "$LAB_RUN/gen.million"
	grep -q "^sent=1000000 " "$LAB_RUN/gen.million" || return 1
	wait "$lp"
	rss1=$(rss_kb)
	st=$(ctl --json stats)
	# the bound: limits.max_sources entries of ~300 bytes, plus slack. A
	# sanitizer build's RSS (shadow memory, the freed-memory quarantine)
	# says nothing about ours: there the bounded tables are the check, and
	# the plain build's run of this test checks the RSS.
	bound=$((rss0 + 100000 * 300 / 1024 + 16384))
	if ldd "$SIPWARDEN_BUILD/sipwarden" | grep -q libasan; then
		echo "sanitizer build: RSS ${rss0} kB -> ${rss1} kB not compared (see the plain build's run)"
		bound=$rss1
	fi
	echo "RSS ${rss0} kB -> ${rss1} kB (bound ${bound} kB)"
	python3 -c 'import json,sys; j=json.load(sys.stdin); print("packets", j["packets"], "sources (used, max, evicted)", [(w["sources"], w["sources_max"], w["sources_evicted"]) for w in j["workers"]])' <<<"$st"
	cat "$LAB_RUN/legit.million"
	# at least half of the flood judged - five times the table's capacity;
	# on a loaded 2-core machine (and slower still in a sanitizer build) the
	# rest is lost before netfilter or let through by fail-open - and the
	# tables bounded: full and evicting, never growing
	all_ok "$LAB_RUN/legit.million" && [ "$rss1" -le "$bound" ] &&
		python3 -c 'import json,sys; j=json.load(sys.stdin); sys.exit(0 if all(w["sources"] <= w["sources_max"] for w in j["workers"]) and j["packets"] >= 500000 and sum(w["sources_evicted"] for w in j["workers"]) > 0 else 1)' <<<"$st"
}
lab_check "1,000,000 spoofed sources: memory within bound, legit keeps registering" check_million_sources

check_reload_100() {
	local lp gp i ok=0
	legit_loop 203.0.113.24 124 30 "$LAB_RUN/legit.reload" &
	lp=$!
	lab_atk "$GEN" --dst "$LAB_SRV4" --src4 203.0.113.100 --nsrc 20 --rate 5000 --duration 8 \
		--mix options --run reload >/dev/null &
	gp=$!
	for i in $(seq 1 100); do
		ctl reload >/dev/null && ok=$((ok + 1))
	done
	wait "$lp" "$gp" || true
	echo "reloads: $ok of 100"
	cat "$LAB_RUN/legit.reload"
	[ "$ok" -eq 100 ] && all_ok "$LAB_RUN/legit.reload" && ctl bans ip | grep -q "203.0.113.70 " &&
		[ -n "$(sw_set_timeout 203.0.113.70)" ] && kill -0 "$(lab_pid_get sipwarden)"
}
lab_check "100 reloads under load: no ban lost, daemon up" check_reload_100

check_readonly_state() {
	ROSTATE="$LAB_RUN/rostate"
	mkdir -p "$ROSTATE"
	mount -t tmpfs -o ro,size=64k tmpfs "$ROSTATE" || return 1
	lab_sipwarden_start "$CONF" --state-dir "$ROSTATE" || return 1
	ctl ban ip 203.0.113.71 --time 300 || return 1
	sleep 1.5
	grep -E "cannot save bans to $ROSTATE/bans.state: Read-only file system" "$SWLOG" || return 1
	ctl bans ip | grep -q "203.0.113.71 " && [ -n "$(sw_set_timeout 203.0.113.71)" ] &&
		! lab_sipclient "$LAB_NS_ATK" register --src 203.0.113.71 --server "$LAB_SRV4" \
			--user 171 --domain example.org --password pw-171 --timeout 1 >/dev/null
}
lab_check "read-only state directory: bans work in memory, the error is reported" check_readonly_state

lab_sipwarden_stop
lab_check "daemon log free of sanitizer reports" sw_sanitizer_clean
lab_summary
