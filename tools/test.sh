#!/bin/bash
# The whole test suite, from a fresh Debian 12 machine, as root:
#   1. install the build and lab dependencies (tools/install-deps.sh)
#   2. build with -Wall -Wextra -Werror and run the Criterion unit tests
#   3. run the integration tests: the real daemon in network namespaces in
#      front of a real Kamailio, attacked by sipvicious and floods
#   4. the same unit and integration tests again on an ASan+UBSan build
# Before 2: a release build and a clang build, compile only (-Werror).
# Ends with "N passed, N failed"; exits non-zero on any failure.
# Under CI=true a missing prerequisite is a failure, never a skip.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src"
[ "$(id -u)" -eq 0 ] || { echo "test.sh: run as root (network namespaces, netfilter)" >&2; exit 1; }

"$src/tools/install-deps.sh"

passed=0 failed=0
failures=()

# run_meson_suite BUILDDIR LABEL SUITE: one meson test suite, tallied.
run_meson_suite() {
	local dir=$1 label=$2 suite=$3 log ok fail
	log="$dir/meson-logs/testlog.txt"
	if meson test -C "$dir" --suite "$suite" --print-errorlogs; then :; fi
	ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$log" | tail -1)
	fail=$(awk '/^(Fail|Timeout|Unexpected Pass): *[0-9]+/ { s += $NF } END { print s + 0 }' "$log")
	passed=$((passed + ${ok:-0}))
	failed=$((failed + fail))
	if [ "$fail" -gt 0 ] || [ -z "$ok" ] || [ "$ok" -eq 0 ]; then
		[ -n "$ok" ] && [ "$ok" -gt 0 ] || failed=$((failed + 1))
		failures+=("$label/$suite")
	fi
}

# run_suite BUILDDIR LABEL [meson setup args...]
run_suite() {
	local dir=$1 label=$2 log ok fail
	shift 2
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@"
	fi
	ninja -C "$dir"
	run_meson_suite "$dir" "$label" unit
	run_meson_suite "$dir" "$label" integration
}

export CI="${CI:-}"
# Sanitizer findings must fail the test that caused them.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:halt_on_error=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"

# extra_check LABEL CMD...: a script that ends with "<label>: N passed, M failed"
extra_check() {
	local label=$1 out rc=0 p f
	shift
	out=$("$@" 2>&1) || rc=$?
	printf '%s\n' "$out" | tail -n 25
	p=$(printf '%s\n' "$out" | sed -n 's/.*: \([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed.*/\1/p' | tail -1)
	f=$(printf '%s\n' "$out" | sed -n 's/.*: \([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed.*/\2/p' | tail -1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	if [ "$rc" -ne 0 ] || [ -z "$p" ]; then
		[ "${f:-0}" -gt 0 ] || failed=$((failed + 1))
		failures+=("$label")
	fi
}

# compile_check LABEL BUILDDIR [meson setup args...]: one configuration
# built (compile only, -Werror), counted as one check. Users and
# distributions build with other flags than the default ones.
compile_check() {
	local label=$1 dir=$2
	shift 2
	if { [ -f "$dir/build.ninja" ] || meson setup "$dir" "$@"; } && ninja -C "$dir"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failures+=("$label")
	fi
}

compile_check build-release "$src/build-release" --buildtype=release
# clang-14 is what install-deps.sh installs (FUZZ); "clang" may be absent.
CC=clang-14 compile_check build-clang "$src/build-clang"
run_suite "$src/build" plain
run_suite "$src/build-asan" asan -Db_sanitize=address,undefined -Db_lundef=false
# The benchmark harness, briefly: correctness of the harness, not timing.
extra_check bench-smoke env SIPWARDEN_BUILD="$src/build" "$src/bench/run.sh" --smoke
# A short fuzz run of every libFuzzer target (doc/fuzzing.md has the long one).
extra_check fuzz "$src/tests/fuzz/run.sh" 20
# The Debian package in a booted Debian 12 container.
run_meson_suite "$src/build" package package

echo
if [ ${#failures[@]} -gt 0 ]; then
	echo "test.sh: failing suites: ${failures[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
