#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/run.sh - sipwarden performance benchmark (see doc/performance.md).
#
#   sudo bench/run.sh [--report PATH] [--reps N]   full run (< 10 min), Markdown report
#   sudo bench/run.sh --smoke                       harness check (~30 s), for CI
#   sudo bench/run.sh --newsrc [--before BUILD] [--reps N]
#                                                   new-source flood vs legit mix (~3 min),
#                                                   optionally against an older build
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
MODES="kernel noop noopw noop1 daemon kamailio"
TESTS="mix50k lat10k mix100k"
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
	-h | --help) sed -n '3,36p' "$0"; exit 0 ;;
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
for f in "$SW" "$SWCTL" "$SWRULES"; do
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

	meta "mode=smoke"
	if python3 "$HERE/report.py" "$RES" "$META" "$RUN/smoke-report.md" >/dev/null; then R=0; else R=1; fi
	check "report generation" $R "$RUN/smoke-report.md"

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
			measure newsrc-known6 "daemon-$sub" "$rep" 100000 4 400000 32 \
				--src6-count 200 --mix options
			if [ -n "${SWB_PERF:-}" ] && [ "$sub" = after ] && [ "$rep" = "$REPS" ]; then
				(perf record -g -F 2000 -p "${PIDS[daemon]}" -o "$RUN/perf-newsrc.data" -- sleep 3 \
					>"$RUN/perf-record.log" 2>&1) &
				perf_pid=$!
				sleep 0.3
			fi
			measure newsrc-flood6 "daemon-$sub" "$rep" 100000 4 400000 32 \
				--src6-count 400000 --src6-offset 200 --mix options
			# Legitimate requests during a flood: the mix's 200 IPv4 sources
			# (known by now) at 10k/s for 3 s inside 5 s of 100k/s from new
			# IPv6 /64s (none seen before: indexes past flood6's). The sink
			# counts the legit run only; its CPU figure mixes both.
			start_bg flood "$RUN/flood.out" ip netns exec "$NS_GEN" "$BIN/swb-gen" --dst "$DST6" \
				--rate 100000 --duration 5 --count 500000 --batch 32 --run "${SWB_PREFIX}fl" \
				--src6-count 1200000 --src6-offset 400200 --mix options
			sleep 0.5
			measure inflood-legit "daemon-$sub" "$rep" 10000 3 30000 32
			stop_pid flood 8
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
			[ -x "$BIN/swb-srcbench-$sub" ] || $CC -O2 -Wall -Wextra -Werror -D_GNU_SOURCE \
				-I"$t/src/base" -I"$t/src/policy" -o "$BIN/swb-srcbench-$sub" "$HERE/srcbench.c" \
				"$t/src/policy/srctab.c" "$t/src/base/addr.c" "$t/src/base/hash.c" || continue
			echo "$sub $rep $("$BIN/swb-srcbench-$sub" 500000 601 400000)" >>"$RUN/srcbench.txt"
		done
	done
	sed 's/^/srcbench_/' "$RUN/srcbench.txt" >>"$META"
	meta "load_after=$(loadavg) elapsed_s=$((SECONDS - T_START))"
	# CPU per packet judged (us; delivered: every packet here passes, and
	# a packet dropped at a full queue costs the daemon nothing): median
	# and range over the repetitions, and the ratios of each repetition.
	awk -F'\t' '$1 ~ /^newsrc-/ && $8 > 0 { k = $2 " " $1; x = $12 / $8 * 1e6; v[k, ++n[k]] = x
		if ($1 == "newsrc-mix") mix[$2, $3] = x; else if ($1 == "newsrc-known6") kn[$2, $3] = x; else fl[$2, $3] = x
		lost[k] += $5 - $8; subj[$2] = 1 }
	function med(a, k, c,   i, j, t, x) { for (i = 1; i <= c; i++) x[i] = a[k, i]
		for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++) if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
		lo = x[1]; hi = x[c]; return c % 2 ? x[(c + 1) / 2] : (x[c / 2] + x[c / 2 + 1]) / 2 }
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
	awk '{ for (i = 3; i <= 5; i++) { split($i, kv, "="); k = $1 " " kv[1]; v[k, ++n[k]] = kv[2] } }
	END { for (k in n) { c = n[k]; for (i = 1; i <= c; i++) x[i] = v[k, i]
		for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++) if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
		printf "srctab alone %-22s %6.0f ns (%.0f-%.0f)\n", k, c % 2 ? x[(c + 1) / 2] : (x[c / 2] + x[c / 2 + 1]) / 2, x[1], x[c] } }' \
		"$RUN/srcbench.txt" | sort | tee -a "$RUN/newsrc.txt"
	log "results: $RES, $META, $RUN/newsrc.txt ($((SECONDS - T_START)) s)"
	exit 0
fi

# ================================================================== full run
has_test() { [[ " $TESTS " == *" $1 "* ]]; }
# Medians per test and mode of a partial run (CPU per delivered packet, and
# the latency added to the kernel-only run of the same repetition).
summarize_partial() {
	awk -F'\t' 'NR > 1 { k = $1 " " $2; n[k]++; v[k, n[k]] = ($8 > 0 ? $12 / $8 * 1e6 : 0)
		p50[k, n[k]] = $13; p99[k, n[k]] = $14
		if ($2 == "kernel") { k50[$1, $3] = $13; k99[$1, $3] = $14 }
		rep[k, n[k]] = $3 }
	function med(a, k, c,   i, j, t, x) { for (i = 1; i <= c; i++) x[i] = a[k, i]
		for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++) if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
		return c % 2 ? x[(c + 1) / 2] : (x[c / 2] + x[c / 2 + 1]) / 2 }
	END { for (k in n) { split(k, q, " "); c = n[k]
		for (i = 1; i <= c; i++) { a50[k, i] = p50[k, i] - k50[q[1], rep[k, i]]; a99[k, i] = p99[k, i] - k99[q[1], rep[k, i]] }
		printf "%-8s %-9s us/pkt %6.2f  p50 %7.1f p99 %7.1f  added p50 %6.1f p99 %6.1f\n", q[1], q[2],
			med(v, k, c), med(p50, k, c), med(p99, k, c), med(a50, k, c), med(a99, k, c) } }' "$RES" | sort
}
log "load before: $(loadavg)"
meta "mode=full reps=$REPS load_before=$(loadavg)"
ns_up

# 1+2. Legit mix: CPU per packet and loss at 50k packets/s (batch 32), then
# latency at 10k packets/s (one message per send), then the mix at 100k
# packets/s: about what the generator sustains on 2 cores, where a queue
# reader is busy and its batches fill - the capacity figure. Modes
# interleaved within a repetition so that every ratio compares runs made
# side by side.
for rep in $(seq "$REPS"); do
	for mode in $MODES; do
		subject_start $mode || die "$mode did not start"
		has_test mix50k && measure mix50k $mode "$rep" 50000 5 250000 32
		if has_test lat10k && [ $mode != noop1 ]; then
			measure lat10k $mode "$rep" 10000 3 30000 1
		fi
		if has_test mix100k && [ $mode != noop1 ] && [ $mode != kernel ]; then
			measure mix100k $mode "$rep" 100000 4 400000 32
		fi
		if [ $mode = daemon ]; then
			# Legit traffic must never be banned: keep the counters.
			ctl --json stats >"$RUN/daemon-stats-rep$rep.json" 2>/dev/null || true
			[ "$rep" = 1 ] && echo "daemon_rss_kb_after_mix=$(rss_kb "${PIDS[daemon]}")" >>"$META"
		fi
		subject_stop $mode
	done
	log "rep $rep done at $((SECONDS - T_START)) s, load $(loadavg)"
done
if [ $PARTIAL = 1 ]; then
	# --modes / --tests: a partial run for working on one figure; the
	# raw rows only, no report (its targets need every subject).
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

# 3. Cost flat in attack size, and the bound: a fresh daemon, an IPv6
# spoofed flood from 1,200,000 distinct sources (one /64 each, inside
# 2001:db8:8000::/33) against limits.max_sources = 1,000,000, then the
# legit mix again with the table full.
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

# 4. A banned flood: one source at the generator's maximum rate, banned
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

# 5. Profile the daemon's hot path (perf, if it works here): the legit mix
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
