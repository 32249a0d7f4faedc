# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/lib.sh - helpers of bench/run.sh (sourced, never run alone): processes,
# namespaces, counters, one traffic run (measure), the subjects under test and
# the summaries printed without a report. Uses run.sh's variables ($NS_*, $RUN,
# $BIN, $RES, $META, $SW*, $CFG...).

log() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: FATAL: %s\n' "$*" >&2; exit 1; }

# ------------------------------------------------------------------ smoke tally
PASSED=0
FAILED=0
check() { # check NAME CONDITION-RESULT(0/1) DETAIL
	if [ "$2" = 0 ]; then
		PASSED=$((PASSED + 1)); printf 'PASS: %s (%s)\n' "$1" "$3"
	else
		FAILED=$((FAILED + 1)); printf 'FAIL: %s (%s)\n' "$1" "$3"
	fi
}

# ------------------------------------------------------------------ processes
declare -A PIDS=()
start_bg() { # start_bg NAME LOG CMD... (exec'd: $! is the command itself)
	local name=$1 logf=$2
	shift 2
	(exec "$@" >"$logf" 2>&1) &
	PIDS[$name]=$!
}
stop_pid() { # stop_pid NAME [TIMEOUT_S]
	local name=$1 t=${2:-10} pid i
	pid=${PIDS[$name]:-}
	[ -n "$pid" ] || return 0
	unset "PIDS[$name]"
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < t * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

cleanup() {
	local n ns pid
	set +e
	for n in "${!PIDS[@]}"; do stop_pid "$n" 5; done
	for ns in $NAMESPACES; do
		[ -e "/run/netns/$ns" ] || continue
		# Only this script creates these namespaces: what runs in them is ours.
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
	done
	sleep 0.2
	for ns in $NAMESPACES; do
		[ -e "/run/netns/$ns" ] && ip netns del "$ns"
	done
	return 0
}

# ------------------------------------------------------------------ namespaces
ns_sysctls() {
	ip netns exec "$1" sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
		net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
		net.ipv6.conf.all.autoconf=0 net.ipv6.conf.default.autoconf=0 \
		net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.default.send_redirects=0 >/dev/null
}
mac_of() { ip -n "$1" -o link show dev "$2" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'; }

ns_up() {
	local ns
	cleanup
	for ns in $NAMESPACES; do
		ip netns add "$ns"
		ip -n "$ns" link set lo up
		ns_sysctls "$ns"
	done
	ip -n "$NS_FW" link add g0 type veth peer name eth0 netns "$NS_GEN"
	ip -n "$NS_FW" link add s0 type veth peer name eth0 netns "$NS_SINK"
	ip netns exec "$NS_FW" sysctl -q -w net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv4.conf.g0.rp_filter=0 net.ipv4.conf.s0.rp_filter=0 >/dev/null
	ip -n "$NS_GEN" -b - <<-EOF
		addr add 203.0.113.250/24 dev eth0
		addr add 2001:db8:c::fa/64 dev eth0 nodad
		link set eth0 up
		route add 198.51.100.0/24 via 203.0.113.254
		route add 2001:db8:5::/64 via 2001:db8:c::fe
	EOF
	ip -n "$NS_FW" -b - <<-EOF
		addr add 203.0.113.254/24 dev g0
		addr add 2001:db8:c::fe/64 dev g0 nodad
		addr add 198.51.100.254/24 dev s0
		addr add 2001:db8:5::fe/64 dev s0 nodad
		link set g0 up
		link set s0 up
		route add 2001:db8:8000::/33 via 2001:db8:c::fa
	EOF
	ip -n "$NS_SINK" -b - <<-EOF
		addr add 198.51.100.1/24 dev eth0
		addr add 2001:db8:5::1/64 dev eth0 nodad
		link set eth0 up
		route add 203.0.113.0/24 via 198.51.100.254
		route add 2001:db8:c::/64 via 2001:db8:5::fe
		route add 2001:db8:8000::/33 via 2001:db8:5::fe
	EOF
	# Permanent neighbour entries: no ARP/ND stalls or unresolved-queue
	# drops at the start of a run.
	local gmac fgmac fsmac smac
	gmac=$(mac_of "$NS_GEN" eth0); fgmac=$(mac_of "$NS_FW" g0)
	fsmac=$(mac_of "$NS_FW" s0); smac=$(mac_of "$NS_SINK" eth0)
	ip -n "$NS_GEN" neigh replace 203.0.113.254 lladdr "$fgmac" dev eth0 nud permanent
	ip -n "$NS_GEN" neigh replace 2001:db8:c::fe lladdr "$fgmac" dev eth0 nud permanent
	ip -n "$NS_FW" neigh replace 203.0.113.250 lladdr "$gmac" dev g0 nud permanent
	ip -n "$NS_FW" neigh replace 2001:db8:c::fa lladdr "$gmac" dev g0 nud permanent
	ip -n "$NS_FW" neigh replace 198.51.100.1 lladdr "$smac" dev s0 nud permanent
	ip -n "$NS_FW" neigh replace 2001:db8:5::1 lladdr "$smac" dev s0 nud permanent
	ip -n "$NS_SINK" neigh replace 198.51.100.254 lladdr "$fsmac" dev eth0 nud permanent
	ip -n "$NS_SINK" neigh replace 2001:db8:5::fe lladdr "$fsmac" dev eth0 nud permanent
}

# ------------------------------------------------------------------ measurement helpers
# CPU time (s) of every process in the firewall namespace: the subject under test.
# Sum of per-thread run time from /proc/PID/task/*/schedstat (ns resolution).
fw_cpu() {
	local pid sum=0 t v
	for pid in $(ip netns pids "$NS_FW" 2>/dev/null); do
		for t in /proc/"$pid"/task/*/schedstat; do
			read -r v _ <"$t" 2>/dev/null || continue
			sum=$((sum + v))
		done
	done
	awk -v s="$sum" 'BEGIN { printf "%.6f", s / 1e9 }'
}
# Sum of queue_dropped and queue_user_dropped over the namespace's queues.
qdrops() {
	ip netns exec "$NS_FW" cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null |
		awk '{ d += $6; u += $7 } END { printf "%d %d", d, u }'
}
# UDP receive-buffer drops inside a namespace (Kamailio's socket in $P-fw).
udp_drops() {
	ip netns exec "$1" cat /proc/net/snmp 2>/dev/null |
		awk '$1 == "Udp:" && $2 ~ /^[0-9]+$/ { print $6; exit }'
}
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
kv() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }

RUNSEQ=0
# measure TEST MODE REP RATE DURATION COUNT BATCH [gen args...]
# One traffic run: sink up, counters before, generator, drain, counters after.
# shellcheck disable=SC2034 # LAST_*: read by run.sh
measure() {
	local test=$1 mode=$2 rep=$3 rate=$4 dur=$5 count=$6 batch=$7
	shift 7
	local tag c0 c1 q0 q1 u0 u1 g s dst=$DST4 i
	RUNSEQ=$((RUNSEQ + 1))
	tag=$SWB_PREFIX$RUNSEQ
	((SECONDS < DEADLINE)) || die "time budget exhausted before $test/$mode"
	[ "$mode" = kamailio ] && dst=$KAM4
	for i in "$@"; do [ "$i" = "--src6-count" ] && dst=$DST6; done
	rm -f "$RUN/sink.ready"
	start_bg sink "$RUN/sink.out" ip netns exec "$NS_SINK" "$BIN/swb-sink" --run "$tag" --lat \
		--max-seconds 120 --ready "$RUN/sink.ready"
	for i in $(seq 50); do [ -e "$RUN/sink.ready" ] && break; sleep 0.05; done
	c0=$(fw_cpu); q0=$(qdrops); u0=$(udp_drops "$NS_FW")
	g=$(ip netns exec "$NS_GEN" "$BIN/swb-gen" --dst "$dst" --rate "$rate" --duration "$dur" \
		--count "$count" --batch "$batch" --run "$tag" "$@") || g="sent=0 errors=0 elapsed=0"
	sleep 0.5
	c1=$(fw_cpu); q1=$(qdrops); u1=$(udp_drops "$NS_FW")
	stop_pid sink 5
	s=$(tail -n 1 "$RUN/sink.out")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
		"$test" "$mode" "$rep" "$rate" "$(kv sent "$g")" "$(kv errors "$g")" "$(kv elapsed "$g")" \
		"$(kv matched "$s")" $((${q1% *} - ${q0% *})) $((${q1#* } - ${q0#* })) \
		$(($(kv sockdrops "$s") + ${u1:-0} - ${u0:-0})) \
		"$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.4f", b - a }')" \
		"$(kv p50_us "$s")" "$(kv p99_us "$s")" "$(kv p999_us "$s")" | tee -a "$RES" >&2
	LAST_SENT=$(kv sent "$g")
	LAST_DELIVERED=$(kv matched "$s")
	LAST_CPU=$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.4f", b - a }')
}

# ------------------------------------------------------------------ subjects
# rules_install [CONFIG]: the daemon's own queue setup; the NFQUEUE rule's
# --queue-balance range comes from the config's queue.first / queue.count.
rules_install() { ip netns exec "$NS_FW" env SIPWARDEN_BIN="$SW" "$SWRULES" install -c "${1:-$CFG}" >/dev/null; }
rules_remove() { ip netns exec "$NS_FW" env SIPWARDEN_BIN="$SW" "$SWRULES" remove >/dev/null 2>&1 || true; }
ctl() { ip netns exec "$NS_FW" "$SWCTL" --socket "$RUN/ctl.sock" "$@"; }

daemon_start() { # daemon_start [CONFIG] (default the bench config: two queues)
	local i cfg=${1:-$CFG}
	rm -rf "$RUN/state" "$RUN/ctl.sock"
	mkdir -p "$RUN/state"
	rules_install "$cfg"
	start_bg daemon "$RUN/sipwarden.log" ip netns exec "$NS_FW" "$SW" -c "$cfg" --foreground \
		--state-dir "$RUN/state" --socket "$RUN/ctl.sock"
	for i in $(seq 100); do grep -q 'sipwarden ready' "$RUN/sipwarden.log" && break; sleep 0.1; done
	grep -q 'sipwarden ready' "$RUN/sipwarden.log" || { tail -n 20 "$RUN/sipwarden.log" >&2; return 1; }
	# Full policy: one user ban and one IP ban live, so both ban lookups run
	# on every request (neither address nor user appears in the traffic).
	ctl ban user banned-bench@example.org >/dev/null
	ctl ban ip 203.0.113.240 >/dev/null
}
daemon_stop() { stop_pid daemon 10; rules_remove; }
daemon_sources() { ctl --json stats 2>/dev/null | python3 -c '
import json, re, sys
t = sys.stdin.read()
print(sum(int(x) for x in re.findall(r"\"sources\":(\d+)", t)), sum(int(x) for x in re.findall(r"\"sources_max\":(\d+)", t)))' 2>/dev/null || echo "0 0"; }
daemon_packets() { ctl --json stats 2>/dev/null | python3 -c '
import re, sys
t = sys.stdin.read()
m = re.findall(r"\"packets\":(\d+)", t)
print(max([int(x) for x in m] or [0]))' 2>/dev/null || echo 0; }

noop_start() { # noop_start [--unbatched]
	local i
	rules_install
	rm -f "$RUN/noop.ready"
	start_bg noop "$RUN/noop.out" ip netns exec "$NS_FW" "$BIN/swb-noopq" --first 0 --count 2 \
		--maxlen 16384 --rcvbuf 16777216 --max-seconds 300 --ready "$RUN/noop.ready" "$@"
	for i in $(seq 50); do [ -e "$RUN/noop.ready" ] && break; sleep 0.05; done
	[ -e "$RUN/noop.ready" ]
}
noop_stop() { stop_pid noop 5; rules_remove; }

kam_start() {
	local i
	mkdir -p "$RUN/kam"
	ip netns exec "$NS_FW" kamailio -c -f "$KCFG" >"$RUN/kamailio-check.log" 2>&1 ||
		{ tail -n 20 "$RUN/kamailio-check.log" >&2; return 1; }
	start_bg kamailio "$RUN/kamailio.log" ip netns exec "$NS_FW" kamailio -f "$KCFG" -DD -E \
		-x tlsf -X tlsf -m 256 -M 16 -Y "$RUN/kam" -w "$RUN/kam"
	for i in $(seq 100); do
		ip netns exec "$NS_FW" ss -Hnul 2>/dev/null | grep -q "$KAM4:5060 " && break
		sleep 0.1
	done
	sleep 0.3
	ip netns exec "$NS_FW" ss -Hnul | grep -q "$KAM4:5060 "
}
kam_stop() { stop_pid kamailio 10; }

# The bench config with one queue (one worker): the capacity of one worker
# against two (issue 19). Written into the run dir, checked, its path printed.
cfg_one_queue() {
	local out=$RUN/sipwarden-bench-1q.yml
	if [ ! -e "$out" ]; then
		awk '/^queue:/ { q = 1 } /^[a-z]/ && !/^queue:/ { q = 0 }
			q && /^  count: / { $0 = "  count: 1"; n++ } { print }
			END { exit n == 1 ? 0 : 1 }' "$CFG" >"$out" || die "no queue.count in $CFG"
	fi
	echo "$out"
}

subject_start() {
	case $1 in
	kernel) rules_remove ;;
	noop) noop_start ;;
	noopw) noop_start --wait-us 200 ;;
	noop1) noop_start --unbatched ;;
	daemon) daemon_start ;;
	daemon-1q) daemon_start "$(cfg_one_queue)" ;;
	kamailio) kam_start ;;
	esac
}
subject_stop() {
	case $1 in
	noop | noopw | noop1) noop_stop ;;
	daemon | daemon-1q) daemon_stop ;;
	kamailio) kam_stop ;;
	esac
}

# ------------------------------------------------------------------ new sources
# Issue 19: what sources never seen before cost. Run against a daemon that
# knows the legit mix's 200 IPv4 sources; IPv6 sources are all 2001:db8:8000::/33,
# one /64 per index, indexes chosen so that no two runs share one.
# known6_run TEST MODE REP: 100k/s of OPTIONS from 200 /64s (known after their
# first packets): the flood's packets without its new sources.
known6_run() {
	measure "$1" "$2" "$3" 100000 3 300000 32 --src6-count 200 --mix options
}
# flood6_run TEST MODE REP: 100k/s of OPTIONS for 4 s, each from a new /64
# (indexes 200..400199; swb-gen takes (n + offset) mod count).
flood6_run() {
	measure "$1" "$2" "$3" 100000 4 400000 32 --src6-count 400200 --src6-offset 200 --mix options
}
# inflood_run TEST MODE REP: the legit mix's 200 IPv4 sources (known) at 10k/s
# for 3 s inside 4.5 s of 100k/s from other new /64s (indexes from 400200):
# is a legitimate request lost? The sink counts the legit run only; the
# row's CPU and queue drops are those of both.
inflood_run() {
	start_bg flood "$RUN/flood.out" ip netns exec "$NS_GEN" "$BIN/swb-gen" --dst "$DST6" \
		--rate 100000 --duration 4.5 --count 450000 --batch 32 --run "${SWB_PREFIX}fl" \
		--src6-count 850200 --src6-offset 400200 --mix options
	sleep 0.5
	measure "$1" "$2" "$3" 10000 3 30000 32
	stop_pid flood 8
}
# srcbench_build NAME TREE: swb-srcbench against TREE's source table, once
# per run (the run dir is emptied at start: never a binary of another tree).
# The table's own dependencies in base/ differ between trees: those there.
srcbench_build() {
	local deps=() f
	[ -e "$RUN/srcbench-$1.built" ] && return 0
	for f in addr hash bigmem; do [ -e "$2/src/base/$f.c" ] && deps+=("$2/src/base/$f.c"); done
	$CC -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -I"$2/src/base" -I"$2/src/policy" \
		-o "$BIN/swb-srcbench-$1" "$HERE/srcbench.c" "$2/src/policy/srctab.c" "${deps[@]}" \
		2>"$RUN/srcbench-$1.log" && : >"$RUN/srcbench-$1.built"
}
# srcbench_run NAME [CAPACITY NEW]: by default 400,000 new sources per family
# into a table of 500,000 (one worker's share of the bench config), ring 601;
# one output line.
srcbench_run() { "$BIN/swb-srcbench-$1" "${2:-500000}" 601 "${3:-400000}"; }
# Per-thread CPU (ns) of a process: "tid ns" lines, for the split between
# the workers.
task_cpu() {
	local t v
	for t in /proc/"$1"/task/*; do
		read -r v _ <"$t/schedstat" 2>/dev/null && echo "${t##*/} $v"
	done
}
# task_cpu_delta BEFORE AFTER: the threads' CPU seconds over the interval,
# largest first, comma-separated.
task_cpu_delta() {
	awk 'NR == FNR { b[$1] = $2; next } { d = ($2 - b[$1]) / 1e9; if (d > 0.0005) print d }' \
		<(echo "$1") <(echo "$2") | sort -rn | awk '{ printf("%s%.3f", (NR > 1 ? "," : ""), $1) }'
}

# measure_split TEST MODE REP ...: measure, and the daemon's CPU per thread
# over the run in $META (the split between its workers).
measure_split() {
	local t0 t1 key=threads_${1}_${2//-/_}_rep$3
	t0=$(task_cpu "${PIDS[daemon]}")
	measure "$@"
	t1=$(task_cpu "${PIDS[daemon]}")
	echo "$key=$(task_cpu_delta "$t0" "$t1")" >>"$META"
}
# The pre-faulted source tables of the running daemon (KiB: entries + rings,
# summed over its workers), from its start-up log.
table_kb() {
	sed -n 's/.*source table [0-9]* entries (\([0-9]*\) KiB), [0-9]* exact rings (\([0-9]*\) KiB).*/\1 \2/p' \
		"$RUN/sipwarden.log" | awk '{ s += $1 + $2 } END { print s + 0 }'
}
# The awk median of the c values a[k, 1..c], with their range in the
# globals lo and hi: one copy for every summary below.
AWK_MED='function med(a, k, c,   i, j, t, x) { for (i = 1; i <= c; i++) x[i] = a[k, i]
	for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++) if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
	lo = x[1]; hi = x[c]; return c % 2 ? x[(c + 1) / 2] : (x[c / 2] + x[c / 2 + 1]) / 2 }
'
# newsrc_summary: --newsrc's figures from $RES and $RUN/srcbench.txt.
newsrc_summary() {
	# CPU per packet judged (us; delivered: every packet here passes, and
	# a packet dropped at a full queue costs the daemon nothing): median
	# and range over the repetitions, and the ratios of each repetition.
	awk -F'\t' "$AWK_MED"'$1 ~ /^newsrc-/ && $8 > 0 { k = $2 " " $1; x = $12 / $8 * 1e6; v[k, ++n[k]] = x
		if ($1 == "newsrc-mix") mix[$2, $3] = x; else if ($1 == "newsrc-known6") kn[$2, $3] = x; else fl[$2, $3] = x
		lost[k] += $5 - $8; subj[$2] = 1 }
	END { printf "%-14s %-14s %8s %17s %9s\n", "subject", "test", "us/pkt", "min-max", "not-delivered"
		for (k in n) { m = med(v, k, n[k]); split(k, p, " ")
			printf "%-14s %-14s %8.2f %8.2f-%-8.2f %9d\n", p[1], p[2], m, lo, hi, lost[k] }
		for (s in subj) { c = 0; for (r = 1; r <= 9; r++) if ((s, r) in fl && mix[s, r] > 0) rr[s, ++c] = fl[s, r] / mix[s, r]
			if (c) { m = med(rr, s, c); printf "%-14s flood6/mix ratio %.2f (%.2f-%.2f, target <= 1.5)\n", s, m, lo, hi }
			c = 0; for (r = 1; r <= 9; r++) if ((s, r) in fl && kn[s, r] > 0) rk[s, ++c] = fl[s, r] / kn[s, r]
			if (c) { m = med(rk, s, c); printf "%-14s flood6/known6 ratio %.2f (%.2f-%.2f)\n", s, m, lo, hi } } }' \
		"$RES" | tee "$RUN/newsrc.txt"
	awk -F'\t' '$1 == "inflood-legit" { s[$2] += $5; d[$2] += $8; q[$2] += $9 }
	END { for (k in s) printf "%-14s legit during flood: %d sent, %d delivered, %d lost (%d queue drops)\n",
		k, s[k], d[k], s[k] - d[k], q[k] }' "$RES" | tee -a "$RUN/newsrc.txt"
	# Table alone, ns per request: median (min-max) over the repetitions.
	awk "$AWK_MED"'{ for (i = 3; i <= 5; i++) { split($i, kv, "="); k = $1 " " kv[1]; v[k, ++n[k]] = kv[2] } }
	END { for (k in n) { m = med(v, k, n[k]); printf "srctab alone %-22s %6.0f ns (%.0f-%.0f)\n", k, m, lo, hi } }' \
		"$RUN/srcbench.txt" | sort | tee -a "$RUN/newsrc.txt"
}
# Medians per test and mode of a partial run (CPU per delivered packet, and
# the latency added to the kernel-only run of the same repetition).
summarize_partial() {
	awk -F'\t' "$AWK_MED"'NR > 1 { k = $1 " " $2; n[k]++; v[k, n[k]] = ($8 > 0 ? $12 / $8 * 1e6 : 0)
		p50[k, n[k]] = $13; p99[k, n[k]] = $14
		if ($2 == "kernel") { k50[$1, $3] = $13; k99[$1, $3] = $14 }
		rep[k, n[k]] = $3 }
	END { for (k in n) { split(k, q, " "); c = n[k]
		for (i = 1; i <= c; i++) { a50[k, i] = p50[k, i] - k50[q[1], rep[k, i]]; a99[k, i] = p99[k, i] - k99[q[1], rep[k, i]] }
		printf "%-8s %-9s us/pkt %6.2f  p50 %7.1f p99 %7.1f  added p50 %6.1f p99 %6.1f\n", q[1], q[2],
			med(v, k, c), med(p50, k, c), med(p99, k, c), med(a50, k, c), med(a99, k, c) } }' "$RES" | sort
}

# build_kind: the build's type and whether it is profile-guided (the
# package is: debian/rules), from meson's record of the build directory.
build_kind() {
	local f=$SIPWARDEN_BUILD/meson-info/intro-buildoptions.json
	[ -f "$f" ] || { echo unknown; return; }
	python3 - "$f" <<'PY'
import json, sys
o = {x["name"]: x["value"] for x in json.load(open(sys.argv[1]))}
pgo = o.get("b_pgo", "off")
print("{}{}".format(o.get("buildtype", "?"), ", profile-guided" if pgo == "use" else
                    ", profiling (instrumented)" if pgo == "generate" else ""))
PY
}

meta() {
	{
		echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
		echo "nproc=$(nproc)"
		echo "cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
		echo "kernel=$(uname -r)"
		echo "kamailio=$(kamailio -v 2>/dev/null | sed -n 's/^version: //p' | head -n 1)"
		echo "sipwarden=$SW"
		echo "sipwarden_version=$("$SW" --version 2>/dev/null | head -n 1)"
		echo "sipwarden_binary_mtime=$(date -u -r "$SW" +%Y-%m-%dT%H:%M:%SZ)"
		echo "sipwarden_build=$(build_kind)"
		echo "git=$(git -C "$SRC" rev-parse --short HEAD 2>/dev/null)$(git -C "$SRC" diff --quiet 2>/dev/null || echo '+dirty')"
		echo "sizes=$SIZES"
		echo "$1"
	} >>"$META"
}
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# polscale COUNT REPS: the legit mix written to a capture (as in
# policy_alone), then swb-polscale over it with one worker, with two, and
# with one where every message comes from a new IPv4 source (new4), in
# turn, REPS times. Prints one line per repetition:
# polscale_repN=packets,pass1,wall1_ms,cpu1_ms,pass2,wall2_ms,cpu2_ms,pass_new4,cpu_new4_ms,sources_new4
polscale() {
	local n=$1 reps=$2 pcap=$RUN/scale.pcap rep o1 o2 o3 rc=0
	"$BIN/swb-gen" --dst "$DST4" --rate 100000 --count "$n" --pcap "$pcap" >/dev/null || rc=1
	for rep in $(seq "$reps"); do
		[ $rc = 0 ] || break
		if o1=$("$SWPOLSCALE" "$CFG" "$pcap" 1) && o2=$("$SWPOLSCALE" "$CFG" "$pcap" 2) &&
			o3=$("$SWPOLSCALE" "$CFG" "$pcap" 1 new4); then
			echo "polscale_rep$rep=$(kv packets "$o1"),$(kv pass "$o1"),$(kv wall_ms "$o1"),$(kv cpu_ms "$o1"),$(kv pass "$o2"),$(kv wall_ms "$o2"),$(kv cpu_ms "$o2"),$(kv pass "$o3"),$(kv cpu_ms "$o3"),$(kv sources "$o3")"
		else
			rc=1
		fi
	done
	rm -f "$pcap" # ~170 MB for 400,000 messages
	return $rc
}

# polscale_cold COUNT MB: the legit mix judged by one worker that writes MB
# MiB between two messages (swb-polscale cold:MB), each message timed
# alone: the policy with its code and tables out of the caches, as the
# latency test's packets find it. Prints "p50_ns p90_ns".
polscale_cold() {
	local n=$1 mb=$2 pcap=$RUN/cold.pcap o rc=0
	"$BIN/swb-gen" --dst "$DST4" --rate 100000 --count "$n" --pcap "$pcap" >/dev/null || rc=1
	if [ $rc = 0 ] && o=$("$SWPOLSCALE" "$CFG" "$pcap" 1 "cold:$mb") &&
		[ "$(kv pass "$o")" = "$n" ]; then
		echo "$(kv cold_p50_ns "$o") $(kv cold_p90_ns "$o")"
	else
		rc=1
	fi
	rm -f "$pcap"
	return $rc
}

# shapes_run ARGS: bench/shapes.py with this build's replay and the bench
# config (captures in the run dir, removed by it); shapes_count: how many
# shapes it judges.
shapes_run() { python3 "$HERE/shapes.py" --replay "$SWREPLAY" --config "$CFG" --dir "$RUN/shapes" "$@"; }
shapes_count() { python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import shapes; print(len(shapes.SHAPES))' "$HERE"; }

# policy_alone COUNT: the legit mix written to a capture by the generator
# (synthetic time, 100k packets/s), then sipwarden-replay over it with the
# bench config: the user-space cost alone (policy + IP/UDP parse + pcap
# read), no queue, no kernel path. Prints "packets cpu_s pass".
policy_alone() {
	local n=$1 pcap=$RUN/mix.pcap out t rc=0
	# The capture is large (~130 MB for 200,000 messages): removed whatever happens.
	if "$BIN/swb-gen" --dst "$DST4" --rate 100000 --count "$n" --pcap "$pcap" >/dev/null; then
		t=$( { TIMEFORMAT='%3U %3S'; time "$SWREPLAY" -c "$CFG" "$pcap" >"$RUN/replay.out"; } 2>&1) ||
			rc=1
	else
		rc=1
	fi
	rm -f "$pcap"
	[ $rc = 0 ] || return 1
	out=$(sed -n 's/^verdicts: pass=\([0-9]*\).*/\1/p' "$RUN/replay.out")
	awk -v n="$n" -v t="$t" -v p="${out:-0}" 'BEGIN { split(t, a, " "); printf "%d %.4f %d\n", n, a[1] + a[2], p }'
}

