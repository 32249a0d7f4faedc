#!/bin/bash
# Integration: signals and durability (issue 22).
#
# The daemon runs with every optional thread on: the cluster thread with a
# real redis-server, 403 replies to banned users, the stats file. Checks:
#  - 100 SIGHUPs, each waited for: every one reloads (logged), the daemon
#    stays up, the cluster link stays up; then SIGTERM: "sipwarden stopping",
#    the final save logged, exit status 0 (a thread that did not block the
#    signals would let the default action end the process: status 129/143)
#  - an operator's change is durable when the CLI says OK: ban, unban and
#    unban --all, each followed by SIGKILL right after the answer, then a
#    restart: the change holds (state file written before the answer)
#  - the same on a cluster node: an automatic ban stored in Redis, unbanned,
#    SIGKILL right after the OK, restart: the ban comes back neither from the
#    node's state file nor from Redis
#  - Redis stopped: the answer to a change says it is not stored in the
#    cluster (a warning line), and is still OK
set -euo pipefail

: "${SIPWARDEN_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
export SIPWARDEN_SRC
# shellcheck source=SCRIPTDIR/../lab/lab.sh
. "$SIPWARDEN_SRC/tests/lab/lab.sh"
# shellcheck source=SCRIPTDIR/lib_sw.sh
. "$SIPWARDEN_SRC/tests/integration/lib_sw.sh"

REDIS_ADDR=$LAB_GW_SRV4
CONF="$LAB_RUN/signals.yml"
CONF_LOCAL="$LAB_RUN/signals-local.yml"
STATE="$LAB_RUN/state/bans.state"
HUPS=${SIGNALS_HUPS:-100}
trap lab_down EXIT

for t in redis-server redis-cli; do
	command -v "$t" >/dev/null 2>&1 ||
		lab_fail "required tool \"$t\" missing: apt-get install redis-server (or run tools/install-deps.sh)"
done
lab_require_tools ip python3 iptables ipset timeout
[ -x "$SIPWARDEN_BUILD/sipwarden" ] || lab_fail "build sipwarden first ($SIPWARDEN_BUILD)"

rcli() { lab_net timeout 5 redis-cli -h "$REDIS_ADDR" -p 6379 "$@"; }
link() { sw_ctl --json status | sw_json_get "j['cluster']['link']"; }
reloads() { lab_count "NOTICE: configuration reloaded from $CONF\$" "$SWLOG"; }
has_ban() { sw_ctl bans ip | awk -v a="$1" '$2 == a { f = 1 } END { exit !f }'; }

redis_start() {
	mkdir -p "$LAB_RUN/redis"
	# No persistence: what Redis holds is what the nodes stored meanwhile.
	(exec ip netns exec "$LAB_NS_NET" redis-server --bind "$REDIS_ADDR" --port 6379 \
		--protected-mode no --save '' --appendonly no --daemonize no \
		--dir "$LAB_RUN/redis" --logfile "$LAB_RUN/redis.log") &
	lab_pid_record redis $!
	lab_wait_for "rcli ping | grep -q PONG" 10 || lab_fail "redis-server did not start"
}

# sw_stop_with SIGNAL — send it to the daemon (this shell's child, started by
# lab_sipwarden_start) and wait for it, SIGKILLing it after 30 s; its exit
# status goes to STOP_STATUS.
STOP_STATUS=
sw_stop_with() {
	local pid timer
	STOP_STATUS=none
	pid=$(lab_pid_get sipwarden)
	[ -n "$pid" ] || return 0
	rm -f "$LAB_RUN/sipwarden.pid"
	(sleep 30; kill -KILL "$pid" 2>/dev/null) &
	timer=$!
	kill "-$1" "$pid"
	STOP_STATUS=0
	wait "$pid" || STOP_STATUS=$?
	kill "$timer" 2>/dev/null || true
	wait "$timer" 2>/dev/null || true
}

# ctl_then_kill ARGS... — run sipwardenctl ARGS, and the moment it answers,
# SIGKILL the daemon (bash's builtin kill: no fork in between). Prints the
# answer and the time between the answer and the kill.
ctl_then_kill() {
	local pid out t0 t1
	pid=$(lab_pid_get sipwarden)
	out=$(sw_ctl "$@") || { echo "sipwardenctl $* failed: $out"; return 1; }
	t0=$EPOCHREALTIME
	kill -KILL "$pid"
	t1=$EPOCHREALTIME
	wait "$pid" 2>/dev/null || true
	rm -f "$LAB_RUN/sipwarden.pid"
	echo "$out"
	echo "TIMING: SIGKILL sent $((${t1/./} - ${t0/./})) us after sipwardenctl returned the answer"
	! grep -q '^warning:' <<<"$out"
}

# ---------------------------------------------------------------- setup

lab_up
# The cluster key the node signs with (doc/cluster.md), 0600, ours.
KEYFILE="$LAB_RUN/signals-cluster.key"
(umask 077 && head -c 32 /dev/urandom | base64 >"$KEYFILE")
chmod 0600 "$KEYFILE"
sed -e "s|@RUN@|$LAB_RUN|" -e "s/@CLUSTER@/yes/" -e "s|@KEYFILE@|$KEYFILE|" \
	"$SIPWARDEN_SRC/tests/integration/conf/signals.yml.in" >"$CONF"
sed -e "s|@RUN@|$LAB_RUN|" -e "s/@CLUSTER@/no/" -e "s|@KEYFILE@|$KEYFILE|" \
	"$SIPWARDEN_SRC/tests/integration/conf/signals.yml.in" >"$CONF_LOCAL"
"$SIPWARDEN_BUILD/sipwarden" --check-config -c "$CONF" || lab_fail "signals config refused"
redis_start
lab_rules install "$CONF"
rm -f "$STATE"
lab_sipwarden_start "$CONF"

# ---------------------------------------------------------------- signals

check_hups() {
	local i w n0 t0 t1 pid
	pid=$(lab_pid_get sipwarden)
	lab_wait_for "[ \"\$(link)\" = up ]" 10 || { echo "cluster link not up"; return 1; }
	n0=$(reloads)
	t0=$(date +%s%N)
	for ((i = 1; i <= HUPS; i++)); do
		kill -HUP "$pid" || { echo "daemon gone before SIGHUP $i"; return 1; }
		# bounded: 10 s per reload, polled every 20 ms
		for ((w = 0; w < 500; w++)); do
			[ "$(reloads)" -ge $((n0 + i)) ] && break
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.02
		done
		if [ "$(reloads)" -lt $((n0 + i)) ]; then
			echo "SIGHUP $i: no reload logged"
			tail -n 20 "$SWLOG"
			return 1
		fi
	done
	t1=$(date +%s%N)
	echo "$HUPS reloads in $(((t1 - t0) / 1000000)) ms"
	kill -0 "$pid" && [ "$(link)" = up ] && [ -s "$LAB_RUN/sipwarden.prom" ] &&
		[ "$(reloads)" -eq $((n0 + HUPS)) ]
}
lab_check "$HUPS SIGHUPs with the cluster, 403 replies and the stats file on: each reloads" check_hups

check_term() {
	sw_stop_with TERM
	echo "exit status: $STOP_STATUS"
	tail -n 5 "$SWLOG"
	[ "$STOP_STATUS" = 0 ] && grep -q "NOTICE: sipwarden stopping" "$SWLOG" &&
		grep -q "bans saved to $LAB_RUN/state/bans.state" "$SWLOG" &&
		grep -q "INFO: stats: packets=" "$SWLOG"
}
lab_check "SIGTERM: the normal shutdown (log line, final save, exit 0)" check_term

# ---------------------------------------------------------------- durability

check_durable_local() {
	rm -f "$STATE"
	lab_sipwarden_start "$CONF_LOCAL"
	sw_ctl ban ip 203.0.113.91 --time 600 >/dev/null || return 1
	sw_ctl ban ip 203.0.113.92 --time 600 >/dev/null || return 1
	# saved before the answer, not at the next tick
	grep -q '203\.0\.113\.92' "$STATE" || { echo "ban not in the state file"; return 1; }
	ctl_then_kill unban ip 203.0.113.91 || return 1
	lab_sipwarden_start "$CONF_LOCAL"
	sw_ctl bans ip
	! has_ban 203.0.113.91 && has_ban 203.0.113.92 || return 1
	ctl_then_kill ban ip 203.0.113.93 --time 600 || return 1
	lab_sipwarden_start "$CONF_LOCAL"
	has_ban 203.0.113.93 && has_ban 203.0.113.92 || return 1
	ctl_then_kill unban --all || return 1
	lab_sipwarden_start "$CONF_LOCAL"
	sw_ctl bans ip
	[ -z "$(sw_ctl bans ip | awk '$1 == "ip"')" ]
}
lab_check "ban, unban, unban --all: SIGKILL right after OK, restart: each change holds" \
	check_durable_local

check_durable_cluster() {
	lab_sipwarden_start "$CONF"
	lab_wait_for "[ \"\$(link)\" = up ]" 10 || { echo "cluster link not up"; return 1; }
	# An automatic ban: saved in a batch, stored in Redis by the cluster thread.
	lab_sipclient "$LAB_NS_ATK" flood --src 203.0.113.74 --server "$LAB_SRV4" --rate 200 \
		--duration 1 --method REGISTER || { echo "the flood failed"; return 1; }
	lab_wait_for "has_ban 203.0.113.74" 3 || { echo "no ban from the flood"; return 1; }
	lab_wait_for "[ \"\$(rcli EXISTS swsig:ban:ip:203.0.113.74)\" = 1 ]" 3 ||
		{ echo "the ban is not in redis"; return 1; }
	# the batch save (each second): the ban is in the node's own state file
	lab_wait_for "grep -q '203\.0\.113\.74' '$STATE'" 3 ||
		{ echo "the ban is not in the state file"; return 1; }
	ctl_then_kill unban ip 203.0.113.74 || return 1
	echo "redis after the unban: EXISTS=$(rcli EXISTS swsig:ban:ip:203.0.113.74)"
	lab_sipwarden_start "$CONF"
	lab_wait_for "[ \"\$(link)\" = up ]" 10 || { echo "cluster link not up"; return 1; }
	sw_ctl bans ip
	grep -E "restored|cluster: connected" "$SWLOG" || true
	! has_ban 203.0.113.74 && [ "$(rcli EXISTS swsig:ban:ip:203.0.113.74)" = 0 ]
}
lab_check "cluster node: unban, SIGKILL right after OK, restart: not back from state nor redis" \
	check_durable_cluster

check_not_durable_said() {
	local out
	lab_pid_stop redis
	lab_wait_for "[ \"\$(link)\" = down ]" 10 || { echo "link not down"; return 1; }
	out=$(sw_ctl ban ip 203.0.113.95 --time 600) || return 1
	echo "$out"
	grep -q '^ip 203.0.113.95 banned for 600 s$' <<<"$out" &&
		grep -q '^warning: .*redis is unreachable' <<<"$out" &&
		sw_ctl --json unban ip 203.0.113.95 | tee /dev/stderr |
		sw_json_get "j['result'] == 'unbanned' and j['durable'] is False and 'redis' in j['warning']" |
			grep -qx True
}
lab_check "redis down: the answer is OK and says the change is not stored in the cluster" \
	check_not_durable_said

check_stop() {
	sw_stop_with TERM
	echo "exit status: $STOP_STATUS"
	lab_rules remove "$CONF"
	[ "$STOP_STATUS" = 0 ]
}
lab_check "daemon stops with status 0, rules removed" check_stop

lab_check "daemon logs free of sanitizer reports" sw_sanitizer_clean

lab_summary
