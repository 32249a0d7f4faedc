#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build sipwarden's libFuzzer targets with clang and run each for a while.
#
#   tests/fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]
#
# SECONDS_PER_TARGET defaults to 60; TARGET is any of sip_policy, fastpath, config,
# ctlproto, state, tcpstream (default: all). Each target is built in $FUZZ_BUILD
# (default build-fuzz/ in the source tree) with
# -fsanitize=fuzzer,address,undefined, then run on a scratch copy of its
# seed corpus (tests/fuzz/corpus/<target>/, never modified). The script
# prints each target's execution count and exits non-zero if a target
# crashes, leaks, times out or fails to build; the reproducer (crash-*,
# leak-*, timeout-*) is kept in $FUZZ_BUILD/artifacts/<target>/.
#
# Environment: CC (default clang-14, else clang), FUZZ_BUILD, FUZZ_JOBS
# (targets run side by side, default 1), FUZZ_ARGS (extra libFuzzer flags).
# Needs clang and its fuzzer runtime (Debian: clang-14 libclang-rt-14-dev
# llvm-14) plus the project's pkg-config dependencies (libosip2, yaml-0.1).
set -euo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
TIME=${1:-60}
shift || true
ALL_TARGETS=(sip_policy fastpath config ctlproto state tcpstream)
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=("${ALL_TARGETS[@]}")
BUILD=${FUZZ_BUILD:-$SRC/build-fuzz}
JOBS=${FUZZ_JOBS:-1}

case $TIME in
''|*[!0-9]*) echo "usage: $0 [SECONDS_PER_TARGET] [TARGET...]" >&2; exit 2 ;;
esac

if [ -z "${CC:-}" ]; then
	if command -v clang-14 >/dev/null; then CC=clang-14; else CC=clang; fi
fi
command -v "$CC" >/dev/null || { echo "fuzz: $CC not found (apt-get install clang-14 libclang-rt-14-dev llvm-14)" >&2; exit 1; }

# The modules each target links: the pure core, exactly the list meson
# builds into libswcore (core_sources in meson.build), so a new module is
# picked up without editing this script.
mapfile -t CORE_SRCS < <(sed -n '/^core_sources = files(/,/^)/p' "$SRC/meson.build" |
	grep -o 'src/[A-Za-z0-9_/]*\.c')
[ ${#CORE_SRCS[@]} -gt 0 ] || { echo "fuzz: no core_sources in meson.build" >&2; exit 1; }

mkdir -p "$BUILD/obj" "$BUILD/bin" "$BUILD/artifacts" "$BUILD/logs"
cat > "$BUILD/build_config.h" <<EOF
#define SIPWARDEN_VERSION "fuzz"
#define SIPWARDEN_SYSCONFDIR "/etc"
EOF

PKG_CFLAGS=$(pkg-config --cflags libosip2 yaml-0.1 libsystemd libmnl)
PKG_LIBS=$(pkg-config --libs libosip2 yaml-0.1 libsystemd libmnl)
SAN=(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
     -fno-omit-frame-pointer -g -O1)
INCS=()
for d in "$SRC"/src/*/; do INCS+=(-I"${d%/}"); done
CFLAGS=(-std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -fno-strict-aliasing
	"${INCS[@]}" -I"$BUILD" $PKG_CFLAGS)

echo "fuzz: building with $($CC --version | head -n1) in $BUILD"
OBJS=()
for m in "${CORE_SRCS[@]}"; do
	o="$BUILD/obj/$(basename "$m" .c).o"
	"$CC" "${CFLAGS[@]}" "${SAN[@]}" -c "$SRC/$m" -o "$o"
	OBJS+=("$o")
done
for t in "${TARGETS[@]}"; do
	[ -f "$SRC/tests/fuzz/fuzz_$t.c" ] || { echo "fuzz: no target '$t'" >&2; exit 2; }
	"$CC" "${CFLAGS[@]}" "${SAN[@]}" -fsanitize=fuzzer -c "$SRC/tests/fuzz/fuzz_$t.c" \
		-o "$BUILD/obj/fuzz_$t.o"
	"$CC" -fsanitize=fuzzer,address,undefined "$BUILD/obj/fuzz_$t.o" "${OBJS[@]}" \
		$PKG_LIBS -lpthread -o "$BUILD/bin/fuzz_$t"
done

# Reports go to the log; UBSan findings abort so they count as crashes.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# fuzz_state writes its state files here: keep fsync() off the disk.
[ -d /dev/shm ] && [ -w /dev/shm ] && export TMPDIR=${TMPDIR:-/dev/shm}

run_one() {
	local t=$1 corpus="$BUILD/corpus/$1" art="$BUILD/artifacts/$1/" log="$BUILD/logs/$1.log"
	local dict=() rc=0
	rm -rf "$corpus"
	mkdir -p "$corpus" "$art"
	if [ -d "$SRC/tests/fuzz/corpus/$t" ]; then
		cp -r "$SRC/tests/fuzz/corpus/$t/." "$corpus/"
	fi
	[ -f "$SRC/tests/fuzz/corpus/$t.dict" ] && dict=(-dict="$SRC/tests/fuzz/corpus/$t.dict")
	# -timeout: one input taking more than 10 s is a hang worth reporting.
	"$BUILD/bin/fuzz_$t" -max_total_time="$TIME" -timeout=10 -rss_limit_mb=2048 \
		-max_len=8192 -print_final_stats=1 -artifact_prefix="$art" "${dict[@]}" \
		${FUZZ_ARGS:-} "$corpus" >"$log" 2>&1 || rc=$?
	return $rc
}

FAILED=()
report() {
	local t=$1 rc=$2 log="$BUILD/logs/$1.log" done execs
	done=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n1 || true)
	execs=$(sed -n 's/^stat::number_of_executed_units:[[:space:]]*//p' "$log" | tail -n1)
	if [ "$rc" -eq 0 ]; then
		echo "fuzz: $t: ok, ${execs:-?} executions in ${TIME}s  ${done}"
	else
		echo "fuzz: $t: FAILED (exit $rc) after ${execs:-?} executions; log $log" >&2
		grep -E 'ERROR: |SUMMARY: |runtime error|check failed|round trip|Test unit written' \
			"$log" | head -n 20 >&2 || true
		FAILED+=("$t")
	fi
}

echo "fuzz: ${#TARGETS[@]} target(s), ${TIME}s each, $JOBS at a time"
# Batches of $JOBS targets side by side.
for ((i = 0; i < ${#TARGETS[@]}; i += JOBS)); do
	batch=("${TARGETS[@]:i:JOBS}")
	pids=()
	for t in "${batch[@]}"; do
		run_one "$t" &
		pids+=($!)
	done
	for j in "${!batch[@]}"; do
		rc=0
		wait "${pids[$j]}" || rc=$?
		report "${batch[$j]}" "$rc"
	done
done

if [ ${#FAILED[@]} -gt 0 ]; then
	echo "fuzz: FAILED: ${FAILED[*]}" >&2
	echo "fuzz: $((${#TARGETS[@]} - ${#FAILED[@]})) passed, ${#FAILED[@]} failed"
	exit 1
fi
echo "fuzz: ${#TARGETS[@]} passed, 0 failed"
