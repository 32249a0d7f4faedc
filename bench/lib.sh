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
rules_install() { ip netns exec "$NS_FW" env SIPWARDEN_BIN="$SW" "$SWRULES" install -c "$CFG" >/dev/null; }
rules_remove() { ip netns exec "$NS_FW" env SIPWARDEN_BIN="$SW" "$SWRULES" remove >/dev/null 2>&1 || true; }
ctl() { ip netns exec "$NS_FW" "$SWCTL" --socket "$RUN/ctl.sock" "$@"; }

daemon_start() {
	local i
	rm -rf "$RUN/state" "$RUN/ctl.sock"
	mkdir -p "$RUN/state"
	rules_install
	start_bg daemon "$RUN/sipwarden.log" ip netns exec "$NS_FW" "$SW" -c "$CFG" --foreground \
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

subject_start() {
	case $1 in
	kernel) rules_remove ;;
	noop) noop_start ;;
	noopw) noop_start --wait-us 200 ;;
	noop1) noop_start --unbatched ;;
	daemon) daemon_start ;;
	kamailio) kam_start ;;
	esac
}
subject_stop() {
	case $1 in
	noop | noopw | noop1) noop_stop ;;
	daemon) daemon_stop ;;
	kamailio) kam_stop ;;
	esac
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
		echo "git=$(git -C "$SRC" rev-parse --short HEAD 2>/dev/null)$(git -C "$SRC" diff --quiet 2>/dev/null || echo '+dirty')"
		echo "sizes=$SIZES"
		echo "$1"
	} >>"$META"
}
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

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

