#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/run.sh - sipwarden performance benchmark (see doc/performance.md).
#
#   sudo bench/run.sh [--report PATH] [--reps N]   full run (< 10 min), Markdown report
#   sudo bench/run.sh --smoke                       harness check (~15 s), for CI
#   sudo bench/run.sh [--reps N] [--modes "M..."] [--tests "T..."]
#                                                   partial run: chosen subjects and tests,
#                                                   medians printed, no report
#   sudo bench/run.sh --newsrc [--before BUILD] [--reps N]
#                                                   new-source flood vs legit mix (~3 min),
#                                                   optionally against an older build
#   tests: mix50k lat10k mix100k known6 flood6 inflood (the last three: daemon only),
#          mix1m (the 1.2M-source flood, then the mix with the table full: daemon)
#
# Builds its C tools (generator, sink, no-op queue reader) with cc and
# pkg-config into $SWB_DIR/bin, makes its own namespaces and veth pairs
#
#   $P-gen  eth0 203.0.113.250/24 2001:db8:c::fa/64   swb-gen (raw sockets, spoofed
#           sources 203.0.113.10-209, 203.0.113.230-231, 2001:db8:8000::/33)
#      |
#   $P-fw   g0 203.0.113.254/24 2001:db8:c::fe/64     router; the subject under test:
#           s0 198.51.100.254/24 2001:db8:5::fe/64    sipwarden / no-op reader / Kamailio
#      |
#   $P-sink eth0 198.51.100.1/24 2001:db8:5::1/64     swb-sink on udp/5060 (counts, latency)
#
# and runs, on identical offered load:
#   kernel    no queue at all (routing only): the latency floor
#   noop      sipwarden-rules' queue setup + swb-noopq (batched ACCEPT verdicts)
#   noopw     the same, batched, with the daemon's batch wait (--wait-us 200):
#             a reference for like-with-like, not a target
#   noop1     the same, unbatched (one recv, one verdict per packet)
#   daemon    sipwarden-rules + $SIPWARDEN_BUILD/sipwarden with bench/sipwarden-bench.yml
#             (2 queues, 2 workers); then the new-source floods on the same daemon
#   daemon-1q the same with queue.count 1 (1 worker): mix50k and mix100k, against
#             daemon's two queues and against noopw's one (like with like)
#   kamailio  Kamailio 5.6 (tlsf, pike + UA regex, stateless forward()) in place of
#             the firewall; the generator addresses Kamailio, Kamailio forwards to the sink
#
# Only 203.0.113.0/24, 198.51.100.0/24 and 2001:db8::/32 are used, only inside the
# namespaces made here. Every traffic run is bounded in count and time (also in the
# tools' code). Processes are stopped by PID; the namespaces are deleted at exit.
#
# Environment: SIPWARDEN_BUILD (default <repo>/build), SWB_PREFIX (default swb),
#              SWB_DIR (default /tmp/$SWB_PREFIX-bench), CC (default cc).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(dirname "$HERE")
: "${SIPWARDEN_BUILD:=$SRC/build}"
: "${SWB_PREFIX:=swb}"
: "${SWB_DIR:=/tmp/$SWB_PREFIX-bench}"
: "${CC:=cc}"

MODE=full
REPORT=$HERE/report.md
REPS=3
BEFORE_BUILD=
MODES="kernel noop noopw noop1 daemon daemon-1q kamailio"
TESTS="mix50k lat10k mix100k known6 flood6 inflood"
PARTIAL=0
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) MODE=smoke; shift ;;
	--newsrc) MODE=newsrc; shift ;;
	--before) BEFORE_BUILD=$2; shift 2 ;;
	--report) REPORT=$2; shift 2 ;;
	--reps) REPS=$2; shift 2 ;;
	--modes) MODES=$2; PARTIAL=1; shift 2 ;;
	--tests) TESTS=$2; PARTIAL=1; shift 2 ;;
	-h | --help) sed -n '3,45p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
[[ $SWB_PREFIX =~ ^[a-z0-9]{1,8}$ ]] || { echo "run.sh: SWB_PREFIX must be [a-z0-9]{1,8}" >&2; exit 2; }
[[ $REPS =~ ^[1-9]$ ]] || { echo "run.sh: --reps 1..9" >&2; exit 2; }

NS_GEN=$SWB_PREFIX-gen
NS_FW=$SWB_PREFIX-fw
NS_SINK=$SWB_PREFIX-sink
NAMESPACES="$NS_GEN $NS_FW $NS_SINK"
BIN=$SWB_DIR/bin
RUN=$SWB_DIR/run
RES=$RUN/results.tsv
META=$RUN/meta.txt
CFG=$HERE/sipwarden-bench.yml
KCFG=$HERE/kamailio-bench.cfg
SW=$SIPWARDEN_BUILD/sipwarden
SWCTL=$SIPWARDEN_BUILD/sipwardenctl
SWREPLAY=$SIPWARDEN_BUILD/sipwarden-replay
SWPOLSCALE=$SIPWARDEN_BUILD/swb-polscale
SWRULES=$SIPWARDEN_BUILD/sipwarden-rules
DST4=198.51.100.1
DST6=2001:db8:5::1
KAM4=203.0.113.254
T_START=$SECONDS
# Whole-run deadline (seconds): the full run must end in under 10 minutes.
case $MODE in
full) DEADLINE=$((SECONDS + 570)) ;;
newsrc) DEADLINE=$((SECONDS + 400)) ;;
*) DEADLINE=$((SECONDS + 120)) ;;
esac

# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ prerequisites
[ "$(id -u)" = 0 ] || die "needs root (network namespaces, raw sockets, NFQUEUE)"
for t in ip iptables ipset "$CC" pkg-config awk python3 timeout; do
	command -v "$t" >/dev/null 2>&1 || die "required tool $t missing (tools/install-deps.sh)"
done
for f in "$SW" "$SWCTL" "$SWRULES" "$SWPOLSCALE"; do
	[ -x "$f" ] || die "no $f: build first (meson setup build && ninja -C build) or set SIPWARDEN_BUILD"
done
HAVE_KAM=1
command -v kamailio >/dev/null 2>&1 || HAVE_KAM=0
if [ $HAVE_KAM = 0 ] && [ "$MODE" != newsrc ] && { [ "$MODE" = full ] || [ "${CI:-}" = true ]; }; then
	die "kamailio missing (apt-get install kamailio)"
fi

mkdir -p "$BIN" "$RUN"
rm -rf "${RUN:?}"/*
: >"$RES"
printf 'test\tmode\trep\toffered_pps\tsent\terrors\telapsed_s\tdelivered\tqdrop\tudrop\tsockdrop\tcpu_s\tp50_us\tp99_us\tp999_us\n' >>"$RES"

# ------------------------------------------------------------------ build
build_tools() {
	local fl="-O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE" nfq
	nfq=$(pkg-config --cflags --libs libmnl libnetfilter_queue) ||
		die "pkg-config: libmnl / libnetfilter_queue development files missing"
	# shellcheck disable=SC2086
	$CC $fl -o "$BIN/swb-gen" "$HERE/gen.c" &&
		$CC $fl -o "$BIN/swb-sink" "$HERE/sink.c" &&
		$CC $fl -I"$SRC/src/io" -o "$BIN/swb-noopq" "$HERE/noopq.c" "$SRC/src/io/batchwait.c" \
			$nfq -lpthread
}
if build_tools; then B=0; else B=1; fi
[ "$MODE" = smoke ] && check "build C tools (cc -O2 -Wall -Wextra -Werror)" $B "$BIN"
[ $B = 0 ] || die "building the C tools failed"
# Sizes of the daemon's per-source and per-transaction records (best effort:
# compiled against the daemon's headers, which other people change).
SIZES=""
cat >"$RUN/sizes.c" <<'EOF'
#include <stdio.h>
#include "srctab.h"
#include "authtrack.h"
int main(void) { printf("src_entry=%zu txn=%zu\n", sizeof(struct src_entry), sizeof(struct txn)); return 0; }
EOF
if $CC -O0 -D_GNU_SOURCE -I"$SRC/src/base" -I"$SRC/src/sip" -I"$SRC/src/policy" -o "$BIN/swb-sizes" "$RUN/sizes.c" 2>/dev/null; then
	SIZES=$("$BIN/swb-sizes")
fi

# ================================================================== smoke
if [ "$MODE" = smoke ]; then
	ns_up
	check "namespaces up" 0 "$NAMESPACES"

	measure smoke kernel 1 20000 1 2000 32
	[ "$LAST_SENT" = 2000 ] && [ "$LAST_DELIVERED" = 2000 ]
	check "generator -> sink, IPv4, 200 spoofed sources" $? "sent=$LAST_SENT delivered=$LAST_DELIVERED"

	measure smoke kernel 1 20000 1 1000 32 --src6-count 1000 --mix options
	[ "$LAST_SENT" = 1000 ] && [ "$LAST_DELIVERED" = 1000 ]
	check "generator -> sink, IPv6, 1000 spoofed sources" $? "sent=$LAST_SENT delivered=$LAST_DELIVERED"

	if noop_start; then
		measure smoke noop 1 20000 1 2000 32
		stop_pid noop 5
		np=$(kv packets "$(tail -n 1 "$RUN/noop.out")")
		rules_remove
		[ "$LAST_DELIVERED" = 2000 ] && [ "${np:-0}" -ge 2000 ]
		check "no-op queue reader passes everything" $? "delivered=$LAST_DELIVERED reader_packets=${np:-?}"
	else
		noop_stop
		check "no-op queue reader passes everything" 1 "reader did not start: $(tail -n 3 "$RUN/noop.out")"
	fi

	if daemon_start; then
		measure smoke daemon 1 20000 1 2000 32
		dp=$(daemon_packets)
		[ "$LAST_DELIVERED" = 2000 ] && [ "${dp:-0}" -ge 2000 ]
		check "sipwarden judges and passes the legit mix" $? "delivered=$LAST_DELIVERED daemon_packets=$dp cpu_s=$LAST_CPU"
		measure smoke daemon-scanner 1 2000 1 50 1 --src4 203.0.113.231 --nsrc 1 --mix scanner
		[ "$LAST_SENT" = 50 ] && [ "$LAST_DELIVERED" = 0 ]
		check "sipwarden drops a blacklisted User-Agent" $? "sent=$LAST_SENT delivered=$LAST_DELIVERED"
		daemon_stop
	else
		daemon_stop
		check "sipwarden judges and passes the legit mix" 1 "daemon did not start"
	fi

	# The capacity test's second subject: one queue, one worker, the NFQUEUE
	# rule installed from the same config (a --queue-balance range that
	# matches the daemon's queues, or packets would go nowhere).
	if daemon_start "$(cfg_one_queue)"; then
		measure smoke daemon-1q 1 20000 1 2000 32
		[ "$LAST_DELIVERED" = 2000 ]
		check "sipwarden with queue.count 1 passes the legit mix" $? "delivered=$LAST_DELIVERED cpu_s=$LAST_CPU"
	else
		check "sipwarden with queue.count 1 passes the legit mix" 1 "daemon did not start"
	fi
	daemon_stop

	if [ $HAVE_KAM = 1 ]; then
		if kam_start; then
			measure smoke kamailio 1 5000 1 500 8
			kam_stop
			[ "$LAST_DELIVERED" = 500 ]
			check "Kamailio forwards to the sink" $? "sent=$LAST_SENT delivered=$LAST_DELIVERED"
		else
			kam_stop
			check "Kamailio forwards to the sink" 1 "kamailio did not start: $(tail -n 5 "$RUN/kamailio.log" "$RUN/kamailio-check.log" 2>/dev/null)"
		fi
	else
		echo "SKIP: Kamailio comparison (kamailio not installed; required under CI=true)"
	fi

	read -r pa_n pa_cpu pa_pass <<<"$(policy_alone 2000 || echo "0 0 0")"
	[ "$pa_pass" = 2000 ]
	check "generator capture -> sipwarden-replay passes the legit mix" $? \
		"packets=$pa_n pass=$pa_pass cpu_s=$pa_cpu"
	# The policy on two worker threads and on one, messages in memory.
	ps=$(polscale 2000 1)
	[[ $ps =~ ^polscale_rep1=2000,2000,[0-9.]+,[0-9.]+,2000,[0-9.]+,[0-9.]+,2000,[0-9.]+,2000$ ]]
	check "the policy on one and two workers, and from new IPv4 sources (swb-polscale), passes the legit mix" $? "${ps:-no output}"
	pc=$(polscale_cold 500 1)
	[[ $pc =~ ^[0-9]+\ [0-9]+$ ]]
	check "the policy on cold caches (swb-polscale cold:1) passes the mix and times each message" $? "${pc:-no output}"
	# Captures only, no packets: every shape an attacker may choose is
	# judged and passes (each is well-formed SIP a server takes).
	shapes_run --count 200 --reps 1 --no-callgrind >"$RUN/shapes.out" 2>&1
	[ "$(grep -c $'^shape\t.*\tpass=200$' "$RUN/shapes.out")" = "$(shapes_count)" ]
	check "message shapes an attacker chooses: each judged by sipwarden-replay" $? \
		"$(grep -v $'\tpass=200$' "$RUN/shapes.out" | tail -n 3)"

	meta "mode=smoke"
	if python3 "$HERE/report.py" "$RES" "$META" "$RUN/smoke-report.md" >/dev/null; then R=0; else R=1; fi
	check "report generation" $R "$RUN/smoke-report.md"
	if python3 "$HERE/report.py" --selftest >"$RUN/report-selftest.out"; then R=0; else R=1; fi
	check "report sections and targets of a full run, synthetic rows" $R "$(tail -n 1 "$RUN/report-selftest.out")"
	if srcbench_build this "$SRC" && sb=$(srcbench_run this 2000 1000); then R=0; else R=1; fi
	check "source table alone (swb-srcbench) builds and runs" $R "${sb:-$(tail -n 3 "$RUN/srcbench-this.log")}"

	echo "bench smoke: $PASSED passed, $FAILED failed ($((SECONDS - T_START)) s)"
	[ "$FAILED" = 0 ]
	exit
fi

# ================================================================== new sources
# Issue 19: what a source never seen before costs. Per repetition, for each
# daemon build (--before, then this one), side by side: a fresh daemon, the
# legit mix at 50k packets/s (200 IPv4 sources: known after their first
# packets), then a spoofed flood at 100k packets/s where every packet comes
# from a new IPv6 /64 (400,000 of them, each new to this fresh daemon; the
# table holds 1,000,000: each packet creates an entry), then the same from
# other new /64s with the legit mix at 10k/s inside it: is a request lost? CPU per packet of the flood against that of the mix.
# IPv4: swb-gen may only spoof inside 203.0.113.0/24 (network safety), so
# a live IPv4 new-source flood cannot go past 254 sources: IPv4 across the
# whole space is measured on the source table alone (swb-srcbench, no
# packets), beside IPv6, see doc/performance.md.
if [ "$MODE" = newsrc ]; then
	SW_AFTER=$SW
	SUBJECTS="after"
	if [ -n "$BEFORE_BUILD" ]; then
		[ -x "$BEFORE_BUILD/sipwarden" ] || die "no $BEFORE_BUILD/sipwarden"
		SUBJECTS="before after"
	fi
	log "load before: $(loadavg)"
	meta "mode=newsrc reps=$REPS before=${BEFORE_BUILD:-none} load_before=$(loadavg)"
	ns_up
	for rep in $(seq "$REPS"); do
		for sub in $SUBJECTS; do
			if [ "$sub" = before ]; then SW=$BEFORE_BUILD/sipwarden; else SW=$SW_AFTER; fi
			daemon_start || die "daemon ($sub) did not start"
			echo "newsrc_${sub}_rep${rep}_pools=$(grep -o 'source table .*' "$RUN/sipwarden.log" | head -n 1 | tr ' ' '_')" >>"$META"
			rss0=$(rss_kb "${PIDS[daemon]}")
			measure newsrc-mix "daemon-$sub" "$rep" 50000 5 250000 32
			# The same packets from 200 known /64s: what the flood costs
			# without its new sources (packet size, rate, load).
			known6_run newsrc-known6 "daemon-$sub" "$rep"
			if [ -n "${SWB_PERF:-}" ] && [ "$sub" = after ] && [ "$rep" = "$REPS" ]; then
				(perf record -g -F 2000 -p "${PIDS[daemon]}" -o "$RUN/perf-newsrc.data" -- sleep 3 \
					>"$RUN/perf-record.log" 2>&1) &
				perf_pid=$!
				sleep 0.3
			fi
			flood6_run newsrc-flood6 "daemon-$sub" "$rep"
			inflood_run inflood-legit "daemon-$sub" "$rep"
			if [ -n "${perf_pid:-}" ]; then
				wait "$perf_pid" || true
				perf report -i "$RUN/perf-newsrc.data" --no-children --sort dso,symbol -g none \
					--percent-limit 0.7 --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' \
					>"$RUN/perf-newsrc.txt" || true
				perf_pid=
			fi
			read -r src_n _ <<<"$(daemon_sources)"
			echo "newsrc_${sub}_rep${rep}: sources=$src_n rss_start_kb=$rss0 rss_end_kb=$(rss_kb "${PIDS[daemon]}") stats=$(ctl --json stats 2>/dev/null | tr -d ' \n' | grep -o '"verdicts":{[^}]*}')" >>"$META"
			daemon_stop
		done
		log "rep $rep done at $((SECONDS - T_START)) s, load $(loadavg)"
	done
	SW=$SW_AFTER
	# The source table alone (bench/srcbench.c, no traffic): IPv4 across
	# the whole space and IPv6 /64s, new against known, this tree's
	# srctab.c and the --before tree's (BEFORE_SRC, default its parent).
	: "${BEFORE_SRC:=${BEFORE_BUILD:+$(dirname "$BEFORE_BUILD")}}"
	: >"$RUN/srcbench.txt"
	for rep in $(seq "$REPS"); do
		for sub in $SUBJECTS; do
			if [ "$sub" = before ]; then t=$BEFORE_SRC; else t=$SRC; fi
			srcbench_build "$sub" "$t" || continue
			echo "$sub $rep $(srcbench_run "$sub")" >>"$RUN/srcbench.txt"
		done
	done
	sed 's/^/srcbench_/' "$RUN/srcbench.txt" >>"$META"
	meta "load_after=$(loadavg) elapsed_s=$((SECONDS - T_START))"
	newsrc_summary
	log "results: $RES, $META, $RUN/newsrc.txt ($((SECONDS - T_START)) s)"
	exit 0
fi

# million_run: section 4 of the full run (also `--tests mix1m` in a
# partial run): a fresh daemon, the 1.2M-source IPv6 flood, then the legit
# mix REPS times with the table full. Leaves the daemon running.
million_run() {
	local dpid rss0 rss1 src_n src_max src_n2 rep
	daemon_start || die "daemon did not start"
	dpid=${PIDS[daemon]}
	rss0=$(rss_kb "$dpid")
	measure flood1m daemon 1 100000 30 1200000 32 --src6-count 1200000 --mix options
	read -r src_n src_max <<<"$(daemon_sources)"
	rss1=$(rss_kb "$dpid")
	echo "flood_sources=$src_n flood_sources_max=$src_max rss_before_kb=$rss0 rss_after_kb=$rss1" >>"$META"
	for rep in $(seq "$REPS"); do
		measure mix50k daemon-1M "$rep" 50000 5 250000 32
	done
	read -r src_n2 _ <<<"$(daemon_sources)"
	echo "sources_after_mix=$src_n2 rss_after_mix_kb=$(rss_kb "$dpid")" >>"$META"
}

# ================================================================== full run
has_test() { [[ " $TESTS " == *" $1 "* ]]; }
log "load before: $(loadavg)"
meta "mode=full reps=$REPS load_before=$(loadavg)"
ns_up

# 1+2. Legit mix: CPU per packet and loss at 50k packets/s (batch 32), then
# latency at 10k packets/s (one message per send), then the mix at 100k
# packets/s: about what the generator sustains on 2 cores, where a queue
# reader is busy and its batches fill - the capacity figure. Modes
# interleaved within a repetition so that every ratio compares runs made
# side by side.
# daemon-1q: the daemon with one queue (one worker), the mix at 50k/s and
# 100k/s: two queues against one at the same offered load, and like with
# like against noopw, which reads one queue with one thread.
# 3. New sources (issue 19), on each repetition's fresh daemon after its mix
# runs, so that each flood is judged against the mix figure of the same
# daemon: known6, then flood6 (every packet from a new IPv6 /64), then the
# legit mix inside another such flood (inflood). A live IPv4 flood cannot
# go past 254 sources (swb-gen spoofs inside 203.0.113.0/24 only): IPv4
# across the whole space is measured on the source table alone (3b).
for rep in $(seq "$REPS"); do
	for mode in $MODES; do
		subject_start "$mode" || die "$mode did not start"
		if [ "$mode" = daemon-1q ]; then
			has_test mix50k && measure mix50k "$mode" "$rep" 50000 5 250000 32
			# One queue read by one thread, as the no-op reader
			# reads it: latency like with like.
			has_test lat10k && measure lat10k "$mode" "$rep" 10000 3 30000 1
			has_test mix100k && measure_split mix100k "$mode" "$rep" 100000 4 400000 32
			subject_stop "$mode"
			continue
		fi
		[ "$mode" = daemon ] && echo "daemon_rep${rep}_rss_start_kb=$(rss_kb "${PIDS[daemon]}")" >>"$META"
		has_test mix50k && measure mix50k "$mode" "$rep" 50000 5 250000 32
		if has_test lat10k && [ "$mode" != noop1 ]; then
			measure lat10k "$mode" "$rep" 10000 3 30000 1
		fi
		if has_test mix100k && [ "$mode" = daemon ]; then
			measure_split mix100k "$mode" "$rep" 100000 4 400000 32
		elif has_test mix100k && [ "$mode" != noop1 ] && [ "$mode" != kernel ]; then
			measure mix100k "$mode" "$rep" 100000 4 400000 32
		fi
		if [ "$mode" = daemon ]; then
			# Legit traffic must never be banned: keep the counters.
			ctl --json stats >"$RUN/daemon-stats-rep$rep.json" 2>/dev/null || true
			echo "daemon_rep${rep}_rss_after_mix_kb=$(rss_kb "${PIDS[daemon]}")" >>"$META"
			has_test known6 && known6_run known6 daemon "$rep"
			has_test flood6 && flood6_run flood6 daemon "$rep"
			has_test inflood && inflood_run inflood daemon "$rep"
			read -r src_n src_max <<<"$(daemon_sources)"
			echo "daemon_rep${rep}_rss_end_kb=$(rss_kb "${PIDS[daemon]}") daemon_rep${rep}_sources=$src_n daemon_rep${rep}_sources_max=$src_max daemon_rep${rep}_tables_kb=$(table_kb)" >>"$META"
			ctl --json stats >"$RUN/daemon-stats-flood-rep$rep.json" 2>/dev/null || true
		fi
		subject_stop "$mode"
	done
	log "rep $rep done at $((SECONDS - T_START)) s, load $(loadavg)"
done
if [ $PARTIAL = 1 ]; then
	# --modes / --tests: a partial run for working on one figure; the
	# raw rows only, no report (its targets need every subject).
	if has_test mix1m; then
		million_run
		daemon_stop
	fi
	meta "load_after=$(loadavg) elapsed_s=$((SECONDS - T_START)) partial=yes"
	summarize_partial
	exit 0
fi

# 2b. The policy alone, offline: 200,000 messages of the same mix through
# sipwarden-replay, three times (user-space cost only).
for rep in $(seq "$REPS"); do
	read -r pa_n pa_cpu pa_pass <<<"$(policy_alone 200000 || echo "0 0 0")"
	echo "policy_alone_rep$rep=$pa_n,$pa_cpu,$pa_pass" >>"$META"
done

# 2b'. The policy on two workers against one (bench/polscale.c): the same
# mix in memory, so that the generator takes no core; each worker with its
# own tables and the shared ones, as in the daemon. And the same messages,
# each from a new IPv4 source across the whole space (no packet is sent).
# Five repetitions whatever --reps says: a run takes a second, and this
# VM's speed moves by half from one second to the next.
polscale 400000 5 >>"$META" || log "swb-polscale failed"

# 2c. Message shapes an attacker chooses (bench/shapes.py, captures only):
# what each costs the policy alone, per message and per byte, against a
# phone's REGISTER; instructions from callgrind where valgrind is installed.
shapes_run --count 100000 --reps 3 >"$RUN/shapes.out" 2>&1 || log "shapes.py failed: $(tail -n 2 "$RUN/shapes.out")"
awk -F'\t' '$1 == "shape" { printf "shape_%s=%s,%s,%s,%s,%s\n", $2, $4, $5, $6, $7, $8 }' "$RUN/shapes.out" >>"$META"

# 3b. The source table alone (bench/srcbench.c, no packets): new IPv4
# sources across the whole space and new IPv6 /64s against known ones.
if srcbench_build this "$SRC"; then
	for rep in $(seq "$REPS"); do
		read -r sb <<<"$(srcbench_run this | sed 's/[a-z0-9_]*=//g; s/ /,/g')"
		echo "srcbench_rep$rep=$sb" >>"$META"
	done
else
	echo "srcbench=build_failed" >>"$META"
fi

# 4. Cost flat in attack size, and the bound: a fresh daemon, an IPv6
# spoofed flood from 1,200,000 distinct sources (one /64 each, inside
# 2001:db8:8000::/33) against limits.max_sources = 1,000,000, then the
# legit mix again with the table full. The daemon stays up (the banned
# flood below uses it).
million_run
# 5. A banned flood: one source at the generator's maximum rate, banned
# through sipwardenctl (pushed to the kernel set). Daemon CPU while idle,
# then during the flood, over the same time.
ctl ban ip 203.0.113.230 >/dev/null
sleep 0.3
inset=$(ip netns exec "$NS_FW" ipset test sipwarden4 203.0.113.230 >/dev/null 2>&1 && echo yes || echo no)
c0=$(fw_cpu); sleep 5; c1=$(fw_cpu)
echo "idle_cpu_5s=$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.4f", b - a }') banned_in_kernel_set=$inset" >>"$META"
measure banflood daemon 1 0 5 5000000 64 --src4 203.0.113.230 --nsrc 1 --mix options
ban_pkts=$(ip netns exec "$NS_FW" iptables -t raw -n -v -x -L sipwarden-ban 2>/dev/null |
	awk '$3 == "DROP" { s += $1 } END { print s + 0 }')
echo "raw_ban_chain_dropped=$ban_pkts" >>"$META"
daemon_stop

# 6. Profile the daemon's hot path (perf, if it works here): the legit mix
# at 50k packets/s for 5 s under perf record -g.
if command -v perf >/dev/null 2>&1 && ((SECONDS < DEADLINE - 40)); then
	daemon_start || die "daemon did not start"
	dpid=${PIDS[daemon]}
	(perf record --call-graph dwarf,16384 -F 2000 -p "$dpid" -o "$RUN/perf.data" -- sleep 3 \
		>"$RUN/perf-record.log" 2>&1) &
	perf_pid=$!
	sleep 0.3
	measure profile daemon 1 50000 4 200000 32
	wait $perf_pid || true
	# Flat profile by DSO and symbol, then who calls the top user-space costs.
	{
		perf report -i "$RUN/perf.data" --no-children --sort dso -g none --stdio 2>/dev/null
		perf report -i "$RUN/perf.data" --no-children --sort dso,symbol -g none \
			--percent-limit 0.5 --stdio 2>/dev/null
		perf report -i "$RUN/perf.data" --children --sort symbol -g none \
			--dsos sipwarden --percent-limit 2 --stdio 2>/dev/null
	} | grep -v '^#' | grep -v '^$' >"$RUN/perf-top.txt" || true
	daemon_stop
fi

meta "load_after=$(loadavg) elapsed_s=$((SECONDS - T_START))"
python3 "$HERE/report.py" "$RES" "$META" "$REPORT"
log "report: $REPORT ($((SECONDS - T_START)) s)"
