# shellcheck shell=bash
# sipwarden integration-test lab — a bash library, sourced by the tests:
#
#     . "$SIPWARDEN_SRC/tests/lab/lab.sh"
#     trap lab_down EXIT
#     lab_require_tools
#     lab_up
#     lab_kamailio_start
#
# Safe under `set -euo pipefail`. Every function is prefixed lab_.
#
# Topology (all of it inside network namespaces made here; the root namespace's
# interfaces and firewall are never touched; no NAT, no firewall rules, no
# default routes — nothing outside the lab is reachable from inside it):
#
#   swl-cli  eth0 203.0.113.10-29/24      2001:db8:c::10-29/64  --+
#                                                                 |  br0 in swl-net
#   swl-atk  eth0 203.0.113.66-79/24      2001:db8:a::66-79/64  --+  203.0.113.1/24
#                                                                 |  2001:db8:c::1/64 2001:db8:a::1/64
#   swl-net  router (ip_forward), srv0 198.51.100.254/24 2001:db8:5::fe/64
#                                     |
#   swl-srv  eth0 198.51.100.1/24 2001:db8:5::1/64   (Kamailio, later sipwarden)
#
# The server sees each client's real source address. sipsak and svwar/svcrack
# cannot bind a source address, so lab_cli_src / lab_atk_src change the `src`
# of the route towards the server in that namespace.
#
# Environment:
#   SIPWARDEN_SRC    repository root (default: derived from this file's path)
#   SIPWARDEN_BUILD  meson build dir  (default: $SIPWARDEN_SRC/build)
#   LAB_RUN          run dir for logs, pids, state (default: $SIPWARDEN_SRC/tests/lab/run)
#
# Files in $LAB_RUN: kamailio.log (RCV/AUTH lines, see kamailio.cfg),
# sipwarden.log, *.pid, state/, control.sock.
#
# ---------------------------------------------------------------------------
# Real peers: invocations VERIFIED against this lab (Debian 12: sipsak 0.9.8.1,
# sipvicious 0.3.3, Kamailio 5.6.3); tests/integration/lab_selftest.sh runs
# each of them. All of them take 0.01-10 s here.
#
# sipsak (legitimate client, IPv4 only). It cannot bind a source address:
# pick it with `lab_cli_src 203.0.113.12` first.
#   lab_cli sipsak -U -i -C sip:105@203.0.113.12 -s sip:105@198.51.100.1 \
#       -a pw-105 -u 105 -H 203.0.113.12 -x 60 -vv
#   -> exit 0; stdout "registering user 105@... OK" and "All usrloc tests
#      completed successful." (plus a harmless "'CSeq' not found in reply"
#      after the 401). Kamailio logs
#      "AUTH result=ok ... src=203.0.113.12 user=105@198.51.100.1 ... ua='sipsak 0.9.8.1'".
#   wrong password (-a wrong) -> exit 2, "error: authorization failed".
#   -u 105 makes it send username="105"; without -u it sends username="105@",
#   which Kamailio accepts too (both sides hash "105@"). Without -H, Via,
#   Contact and Call-ID carry 127.0.0.1 (replies still arrive: force_rport).
#   -i only silences "Deactivated Via insertion in usrloc mode". From/To are
#   sip:105@198.51.100.1 (hence the server IP is accepted as domain).
#
# svmap (scanner; the route's src picks the source: `lab_atk_src 203.0.113.67`):
#   lab_atk svmap 198.51.100.1        -> exit 0, table row
#                                        "| 198.51.100.1:5060 | sipwarden-lab-kamailio |"
#   lab_atk svmap -6 2001:db8:5::1    -> exit 0, "| 2001:db8:5::1:5060 | sipwarden-lab-kamailio |"
#   It sends OPTIONS, From sip:100@1.1.1.1 (only text in a header), UA friendly-scanner.
#
# svwar (extension enumeration; binds any:5060, source = route src):
#   lab_atk svwar -e100-110 -m REGISTER 198.51.100.1
#   -> exit 0 after ~3 s, table rows "| 100       | reqauth        |" for
#      100..110; users outside 100..199 get 404 and are not listed.
#   lab_atk svwar -6 -x '[2001:db8:a::66]' -e100-105 -m REGISTER 2001:db8:5::1
#   -> the same over IPv6 (the -x address should be the route's v6 src).
#
# svcrack (password guessing; the lab's challenge carries qop=auth):
#   lab_atk svcrack -u105 -r1-50 198.51.100.1
#   -> ~10 s (it stops 10 s after the last answer), exit 0, stderr
#      "WARNING:root:found nothing"; Kamailio logs one
#      "AUTH result=fail rc=-2 ... user=105@198.51.100.1 ... ua='friendly-scanner'"
#      per guess and re-challenges with 401.
#   lab_atk svcrack -u105 -d DICT 198.51.100.1   (DICT lines: 1234 secret pw-105)
#   -> exit 0, table row "| 105       | pw-105   |" once it hits pw-105.
#   With `lab_kamailio_start -A WITH_AUTH_FAIL_403` wrong credentials get 403
#   instead of a new 401; svcrack works against that as well.
#
# sipclient.py (ours; IPv4 and IPv6, exact identities, any source address):
#   lab_sipclient swl-cli register --src 2001:db8:c::20 --server 2001:db8:5::1 \
#       --user 121 --domain example.org --password pw-121 [--count N]
#   lab_sipclient swl-atk flood --src 203.0.113.77 --server 198.51.100.1 --rate 200 --duration 2
#   lab_sipclient swl-atk garbage --src 203.0.113.78 --server 198.51.100.1 --count 300
#   (see its --help / docstring).
#
# See the comments in tests/integration/lab_selftest.sh for the exact checks.
# ---------------------------------------------------------------------------

# shellcheck disable=SC2034
: "${SIPWARDEN_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${SIPWARDEN_BUILD:=$SIPWARDEN_SRC/build}"
: "${LAB_RUN:=$SIPWARDEN_SRC/tests/lab/run}"
export SIPWARDEN_SRC SIPWARDEN_BUILD LAB_RUN

LAB_DIR="$SIPWARDEN_SRC/tests/lab"
# LAB_PREFIX lets several labs run side by side (each in its own namespaces;
# give each its own LAB_RUN too).
: "${LAB_PREFIX:=swl}"
export LAB_PREFIX
LAB_NS_SRV=$LAB_PREFIX-srv
LAB_NS_NET=$LAB_PREFIX-net
LAB_NS_CLI=$LAB_PREFIX-cli
LAB_NS_ATK=$LAB_PREFIX-atk
LAB_NAMESPACES="$LAB_NS_SRV $LAB_NS_NET $LAB_NS_CLI $LAB_NS_ATK"

LAB_SRV4=198.51.100.1
LAB_SRV6=2001:db8:5::1
LAB_GW_SRV4=198.51.100.254
LAB_GW_SRV6=2001:db8:5::fe
LAB_GW_CLI4=203.0.113.1
LAB_GW_CLI6=2001:db8:c::1
LAB_GW_ATK6=2001:db8:a::1
LAB_CLI4_FIRST=203.0.113.10
LAB_CLI6_FIRST=2001:db8:c::10
LAB_ATK4_FIRST=203.0.113.66
LAB_ATK6_FIRST=2001:db8:a::66
LAB_SIPCLIENT="$LAB_DIR/sipclient.py"

# ---------------------------------------------------------------- helpers

lab_log() { printf 'lab: %s\n' "$*" >&2; }

lab_fail() {
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}

# Run a command inside a namespace.
lab_srv() { ip netns exec "$LAB_NS_SRV" "$@"; }
lab_net() { ip netns exec "$LAB_NS_NET" "$@"; }
lab_cli() { ip netns exec "$LAB_NS_CLI" "$@"; }
lab_atk() { ip netns exec "$LAB_NS_ATK" "$@"; }

# sipclient.py in a namespace: lab_sipclient NS SUBCOMMAND ARGS...
lab_sipclient() {
	local ns=$1
	shift
	ip netns exec "$ns" /usr/bin/python3 "$LAB_SIPCLIENT" "$@"
}

# lab_wait_for 'CMD' TIMEOUT_SECONDS — poll CMD (eval'd) every 0.1 s until it
# succeeds; returns 1 on timeout. Every caller waits for something that must
# happen, so the timeout is a bound on a failure's cost, never a check of
# speed: it is at least LAB_WAIT_MIN (30 s), since a sanitizer build on a
# shared 2-core machine runs 3-5 times slower than a developer's.
LAB_WAIT_MIN=${LAB_WAIT_MIN:-30}
lab_wait_for() {
	local cmd=$1 timeout=${2:-10}
	[ "$timeout" -ge "$LAB_WAIT_MIN" ] || timeout=$LAB_WAIT_MIN
	local deadline=$((SECONDS + timeout))
	while :; do
		if eval "$cmd" >/dev/null 2>&1; then
			return 0
		fi
		if ((SECONDS >= deadline)); then
			return 1
		fi
		sleep 0.1
	done
}

lab_assert_ok() { # lab_assert_ok MSG CMD...
	local msg=$1
	shift
	"$@" || lab_fail "$msg (command failed: $*)"
}

lab_assert_fails() { # lab_assert_fails MSG CMD...
	local msg=$1
	shift
	if "$@"; then lab_fail "$msg (command unexpectedly succeeded: $*)"; fi
}

# lab_assert_grep PATTERN FILE [MSG] — extended regex must match in FILE
lab_assert_grep() {
	local pat=$1 file=$2 msg=${3:-"expected /$1/ in $2"}
	grep -Eq -- "$pat" "$file" || lab_fail "$msg"
}

lab_assert_no_grep() {
	local pat=$1 file=$2 msg=${3:-"unexpected /$1/ in $2"}
	if grep -Eq -- "$pat" "$file"; then lab_fail "$msg"; fi
}

# lab_count PATTERN FILE — number of lines matching (0 if none / no file)
lab_count() {
	local n
	n=$(grep -Ec -- "$1" "$2" 2>/dev/null) || true
	echo "${n:-0}"
}

# Number of RCV lines in the Kamailio log matching an extra pattern (optional).
lab_kamailio_rcv_count() {
	local extra=${1:-}
	if [ -z "$extra" ]; then
		lab_count ' RCV ' "$LAB_RUN/kamailio.log"
	else
		grep -E ' RCV ' "$LAB_RUN/kamailio.log" 2>/dev/null | grep -Ec -- "$extra" || true
	fi
}

# lab_require_tools [TOOL...] — every tool must be there; a missing one is a
# failure (also outside CI: the lab never skips silently).
lab_require_tools() {
	local tools=("$@") t pkg missing=0
	if [ ${#tools[@]} -eq 0 ]; then
		tools=(ip ss kamailio sipsak svmap svwar svcrack python3 iptables ipset timeout)
	fi
	if [ "$(id -u)" -ne 0 ]; then
		lab_fail "the lab needs root (network namespaces); run as root${CI:+ (CI=$CI)}"
	fi
	for t in "${tools[@]}"; do
		if ! command -v "$t" >/dev/null 2>&1; then
			case $t in
			ip | ss) pkg=iproute2 ;;
			svmap | svwar | svcrack) pkg=sipvicious ;;
			fail2ban-regex) pkg=fail2ban ;;
			timeout) pkg=coreutils ;;
			*) pkg=$t ;;
			esac
			printf 'FAIL: required tool "%s" missing: apt-get install %s (or run tools/install-deps.sh)\n' \
				"$t" "$pkg" >&2
			missing=1
		fi
	done
	if [ -x /usr/bin/python3 ] && [ ! -r "$LAB_SIPCLIENT" ]; then
		printf 'FAIL: %s missing\n' "$LAB_SIPCLIENT" >&2
		missing=1
	fi
	if ((missing)); then
		if [ "${CI:-}" = true ]; then
			lab_fail "missing prerequisites under CI=true"
		fi
		lab_fail "missing prerequisites (the lab tests never skip silently)"
	fi
}

# lab_check NAME CMD... — run CMD (output to $LAB_RUN/out/NAME.out), print
# "PASS: NAME" or "FAIL: NAME" plus the output's tail; failures are counted
# and lab_summary turns them into the exit status. Never exits by itself.
LAB_FAILURES=0
LAB_CHECKS=0
lab_check() {
	local name=$1 out
	shift
	mkdir -p "$LAB_RUN/out"
	out="$LAB_RUN/out/$(printf '%s' "$name" | tr -c 'A-Za-z0-9_.-' '_').out"
	LAB_CHECKS=$((LAB_CHECKS + 1))
	if "$@" >"$out" 2>&1; then
		printf 'PASS: %s\n' "$name"
		return 0
	fi
	printf 'FAIL: %s\n' "$name"
	sed 's/^/    | /' "$out" | tail -n 25
	LAB_FAILURES=$((LAB_FAILURES + 1))
	return 0
}

# lab_summary — print the tally; exit 1 if any lab_check failed.
lab_summary() {
	if ((LAB_FAILURES)); then
		printf 'FAIL: %d of %d checks failed (logs in %s)\n' "$LAB_FAILURES" "$LAB_CHECKS" "$LAB_RUN"
		exit 1
	fi
	printf 'PASS: all %d checks\n' "$LAB_CHECKS"
}

# lab_rotate FILE — keep the previous run's log as FILE.1
lab_rotate() { [ -e "$1" ] && mv -f "$1" "$1.1"; return 0; }

# ---------------------------------------------------------------- pids

# A pid file holds "PID STARTTIME" (field 22 of /proc/PID/stat), so that a
# stale file from an aborted run never makes us signal an unrelated process
# that happens to have been given the same PID since.
lab_pid_starttime() {
	local stat rest
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	rest=${stat##*) }
	# shellcheck disable=SC2086
	set -- $rest
	echo "${20}"
}

# lab_pid_record NAME PID
lab_pid_record() {
	mkdir -p "$LAB_RUN"
	echo "$2 $(lab_pid_starttime "$2" || echo 0)" >"$LAB_RUN/$1.pid"
}

# lab_pid_get NAME -> prints the PID if that process is still the one recorded
lab_pid_get() {
	local f="$LAB_RUN/$1.pid" pid st
	[ -r "$f" ] || return 0
	read -r pid st <"$f" || true
	[ -n "${pid:-}" ] || return 0
	if [ "$(lab_pid_starttime "$pid" 2>/dev/null)" = "${st:-}" ]; then
		echo "$pid"
	fi
	return 0
}

# lab_pid_children PID — direct children (Kamailio forks its workers)
lab_pid_children() { ps -o pid= --ppid "$1" 2>/dev/null | tr -d ' ' || true; }

# lab_pid_stop NAME [TIMEOUT] — SIGTERM the recorded PID, wait for it and the
# children it had, SIGKILL whatever is left after TIMEOUT; removes the pid file.
lab_pid_stop() {
	local name=$1 timeout=${2:-10} pid pids p i alive
	pid=$(lab_pid_get "$name")
	rm -f "$LAB_RUN/$name.pid"
	[ -n "$pid" ] || return 0
	kill -0 "$pid" 2>/dev/null || return 0
	pids="$pid $(lab_pid_children "$pid")"
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < timeout * 10; i++)); do
		alive=0
		for p in $pids; do
			kill -0 "$p" 2>/dev/null && alive=1
		done
		((alive)) || break
		sleep 0.1
	done
	for p in $pids; do
		if kill -0 "$p" 2>/dev/null; then
			lab_log "$name: pid $p still alive after ${timeout}s, sending SIGKILL"
			kill -KILL "$p" 2>/dev/null || true
		fi
	done
	# reap it if it is our child; harmless otherwise
	wait "$pid" 2>/dev/null || true
	return 0
}

# ---------------------------------------------------------------- topology

lab_ns_exists() { [ -e "/run/netns/$1" ]; }

# ---------------------------------------------------------------- one lab at a time
# Two labs with the same LAB_PREFIX on one machine (a second clone's test
# suite, a second meson test, tools/lab.sh during a suite) share namespace
# names: each tears down or reuses the other's, and both fail in ways that
# look like product bugs. lab_up takes a lock and waits for a running lab
# to finish (at most LAB_LOCK_WAIT seconds, default 900); lab_down gives it
# back, and leaves alone a lab that another live shell holds. The lock is a
# file holding the holder's PID ($$: the test script, its subshells
# included), read and written under a short flock on a guard file: a child
# that outlives the lab holds nothing, and a lock whose holder is gone (a
# killed run) is taken over.
LAB_LOCK=${LAB_LOCK:-/run/lock/sipwarden-lab-$LAB_PREFIX}

lab_lock_holder() { cat "$LAB_LOCK.pid" 2>/dev/null; }

# lab_lock_try: 0 when this shell holds the lock (now or already).
lab_lock_try() {
	mkdir -p "$(dirname "$LAB_LOCK")"
	(
		flock 9
		holder=$(lab_lock_holder)
		[ "$holder" = $$ ] && exit 0
		if [ -n "$holder" ] && kill -0 "$holder" 2>/dev/null; then
			exit 1
		fi
		[ -z "$holder" ] || lab_log "taking over the lab lock of PID $holder (no longer running)"
		echo $$ >"$LAB_LOCK.pid"
	) 9>"$LAB_LOCK.guard"
}

lab_lock() {
	local waited=0 max=${LAB_LOCK_WAIT:-900}
	lab_lock_try && return 0
	lab_log "another lab ($LAB_PREFIX-*, PID $(lab_lock_holder)) is running here: waiting for it (at most $max s)"
	while ! lab_lock_try; do
		if [ "$waited" -ge "$max" ]; then
			lab_fail "the lab is still held by PID $(lab_lock_holder) after $max s ($LAB_LOCK.pid)"
		fi
		sleep 1
		waited=$((waited + 1))
	done
}

lab_unlock() {
	(
		flock 9
		[ "$(lab_lock_holder)" != $$ ] || rm -f "$LAB_LOCK.pid"
	) 9>"$LAB_LOCK.guard"
	return 0
}

lab_down() {
	# Another live lab's namespaces are not ours to remove (this shell
	# exited before its lab_up, say).
	if ! lab_lock_try; then
		lab_log "another lab holds $LAB_LOCK.pid (PID $(lab_lock_holder)): leaving its namespaces alone"
		return 0
	fi
	lab_teardown
	lab_unlock
}

# Everything the lab started, then its namespaces (the lock held).
lab_teardown() {
	local ns f pid
	# 1. recorded PIDs (kamailio, sipwarden, anything a test recorded)
	if [ -d "$LAB_RUN" ]; then
		for f in "$LAB_RUN"/*.pid; do
			[ -e "$f" ] || continue
			lab_pid_stop "$(basename "$f" .pid)" 5
		done
	fi
	# 2. anything else still running inside our namespaces (only the lab
	#    creates them, so these are processes the lab started) — by PID.
	for ns in $LAB_NAMESPACES; do
		lab_ns_exists "$ns" || continue
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null || true
		done
	done
	# 3. the namespaces; veth pairs and the bridge go with them
	for ns in $LAB_NAMESPACES; do
		lab_ns_exists "$ns" || continue
		ip netns del "$ns" 2>/dev/null || lab_log "could not delete namespace $ns"
	done
	return 0
}

# Prepare the run dir. Only a directory carrying our marker is ever emptied.
lab_run_prepare() {
	if [ -d "$LAB_RUN" ] && [ -e "$LAB_RUN/.swl-lab-run" ]; then
		rm -rf "${LAB_RUN:?}"/state "$LAB_RUN"/*.log "$LAB_RUN"/*.log.1 "$LAB_RUN"/*.pid \
			"$LAB_RUN"/control.sock "$LAB_RUN"/kamailio "$LAB_RUN"/out
	fi
	mkdir -p "$LAB_RUN" "$LAB_RUN/state"
	touch "$LAB_RUN/.swl-lab-run"
}

# Namespace-wide sysctls: no DAD, no autoconf, no redirects, no rp_filter.
lab_ns_sysctls() {
	local ns=$1
	ip netns exec "$ns" sysctl -q -w \
		net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.all.dad_transmits=0 net.ipv6.conf.default.dad_transmits=0 \
		net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
		net.ipv6.conf.all.autoconf=0 net.ipv6.conf.default.autoconf=0 \
		net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
		net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.default.send_redirects=0 \
		>/dev/null
}

# per-interface DAD off (an interface moved into a namespace keeps its conf)
lab_if_nodad() {
	local ns=$1 dev=$2
	ip netns exec "$ns" sysctl -q -w "net.ipv6.conf.$dev.accept_dad=0" \
		"net.ipv6.conf.$dev.dad_transmits=0" "net.ipv6.conf.$dev.accept_ra=0" \
		"net.ipv6.conf.$dev.autoconf=0" "net.ipv4.conf.$dev.rp_filter=0" >/dev/null
}

lab_up() {
	local ns i batch
	lab_lock
	lab_teardown
	lab_run_prepare

	for ns in $LAB_NAMESPACES; do
		ip netns add "$ns"
		ip -n "$ns" link set lo up
		lab_ns_sysctls "$ns"
	done
	lab_net sysctl -q -w net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 >/dev/null

	# veth pairs, created directly inside the namespaces (never in the root ns)
	ip -n "$LAB_NS_NET" link add srv0 type veth peer name eth0 netns "$LAB_NS_SRV"
	ip -n "$LAB_NS_NET" link add cli0 type veth peer name eth0 netns "$LAB_NS_CLI"
	ip -n "$LAB_NS_NET" link add atk0 type veth peer name eth0 netns "$LAB_NS_ATK"
	ip -n "$LAB_NS_NET" link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0

	for i in srv0 cli0 atk0 br0; do lab_if_nodad "$LAB_NS_NET" "$i"; done
	for ns in $LAB_NS_SRV $LAB_NS_CLI $LAB_NS_ATK; do lab_if_nodad "$ns" eth0; done

	# router
	ip -n "$LAB_NS_NET" link set cli0 master br0
	ip -n "$LAB_NS_NET" link set atk0 master br0
	ip -n "$LAB_NS_NET" -b - <<-EOF
		addr add $LAB_GW_SRV4/24 dev srv0
		addr add $LAB_GW_SRV6/64 dev srv0 nodad
		addr add $LAB_GW_CLI4/24 dev br0
		addr add $LAB_GW_CLI6/64 dev br0 nodad
		addr add $LAB_GW_ATK6/64 dev br0 nodad
		link set srv0 up
		link set cli0 up
		link set atk0 up
		link set br0 up
	EOF

	# server: one interface, routes only to the lab's client networks
	ip -n "$LAB_NS_SRV" -b - <<-EOF
		addr add $LAB_SRV4/24 dev eth0
		addr add $LAB_SRV6/64 dev eth0 nodad
		link set eth0 up
		route add 203.0.113.0/24 via $LAB_GW_SRV4
		route add 2001:db8:c::/64 via $LAB_GW_SRV6
		route add 2001:db8:a::/64 via $LAB_GW_SRV6
	EOF

	# legitimate clients .10-.29 / ::10-::29
	batch=""
	for i in $(seq 10 29); do
		batch+="addr add 203.0.113.$i/24 dev eth0"$'\n'
		batch+="addr add 2001:db8:c::$i/64 dev eth0 nodad"$'\n'
	done
	batch+="link set eth0 up"$'\n'
	batch+="route add 198.51.100.0/24 via $LAB_GW_CLI4 src $LAB_CLI4_FIRST"$'\n'
	batch+="route add 2001:db8:5::/64 via $LAB_GW_CLI6 src $LAB_CLI6_FIRST"$'\n'
	printf '%s' "$batch" | ip -n "$LAB_NS_CLI" -b -

	# attackers .66-.79 / 2001:db8:a::66-::79 (one /64)
	batch=""
	for i in $(seq 66 79); do
		batch+="addr add 203.0.113.$i/24 dev eth0"$'\n'
		batch+="addr add 2001:db8:a::$i/64 dev eth0 nodad"$'\n'
	done
	batch+="link set eth0 up"$'\n'
	batch+="route add 198.51.100.0/24 via $LAB_GW_CLI4 src $LAB_ATK4_FIRST"$'\n'
	batch+="route add 2001:db8:5::/64 via $LAB_GW_ATK6 src $LAB_ATK6_FIRST"$'\n'
	printf '%s' "$batch" | ip -n "$LAB_NS_ATK" -b -

	# wait until links are up and no address is tentative any more
	for ns in $LAB_NAMESPACES; do
		lab_wait_for "[ -z \"\$(ip -n $ns -6 addr show tentative)\" ]" 10 ||
			lab_fail "IPv6 addresses in $ns stay tentative"
		lab_wait_for "! grep -q 'state DOWN' <<<\"\$(ip -n $ns link show up)\"" 10 ||
			lab_fail "links in $ns do not come up"
	done
	# end-to-end reachability, both families, both client namespaces
	lab_probe "$LAB_NS_CLI" "$LAB_CLI4_FIRST" ||
		lab_fail "lab: $LAB_NS_CLI cannot reach $LAB_SRV4"
	lab_probe "$LAB_NS_CLI" "$LAB_CLI6_FIRST" ||
		lab_fail "lab: $LAB_NS_CLI cannot reach $LAB_SRV6"
	lab_probe "$LAB_NS_ATK" "$LAB_ATK4_FIRST" ||
		lab_fail "lab: $LAB_NS_ATK cannot reach $LAB_SRV4"
	lab_probe "$LAB_NS_ATK" "$LAB_ATK6_FIRST" ||
		lab_fail "lab: $LAB_NS_ATK cannot reach $LAB_SRV6"
	lab_log "up: $LAB_NAMESPACES (run dir $LAB_RUN)"
}

# lab_probe NS SRC — UDP round trip SRC -> server (a throwaway echo in swl-srv
# on port 9, bounded to 5 s) proving routing works both ways with no NAT:
# the echo returns the source address it saw, which must be SRC.
lab_probe() {
	local ns=$1 src=$2 dst=$LAB_SRV4
	case $src in *:*) dst=$LAB_SRV6 ;; esac
	local out
	out=$(
		lab_srv timeout 5 /usr/bin/python3 -c '
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 9))
s.settimeout(4)
print("ready", flush=True)
try:
    while True:
        d, a = s.recvfrom(100)
        s.sendto(a[0].encode(), a)
        s.settimeout(0.5)
except socket.timeout:
    pass
' "$dst" | {
			read -r _
			ip netns exec "$ns" timeout 4 /usr/bin/python3 -c '
import socket, sys, time
src, dst = sys.argv[1], sys.argv[2]
fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.bind((src, 0))
s.settimeout(0.3)
for _ in range(10):
    s.sendto(b"probe", (dst, 9))
    try:
        print(s.recvfrom(100)[0].decode()); break
    except socket.timeout:
        pass
' "$src" "$dst"
		}
	) || true
	[ "$out" = "$src" ]
}

# lab_cli_src ADDR / lab_atk_src ADDR — the route towards the server in that
# namespace uses `src ADDR` (v4 or v6 route, chosen by the address family).
lab_ns_src() {
	local ns=$1 addr=$2 gw4=$LAB_GW_CLI4 gw6
	case $ns in
	"$LAB_NS_CLI") gw6=$LAB_GW_CLI6 ;;
	"$LAB_NS_ATK") gw6=$LAB_GW_ATK6 ;;
	*) lab_fail "lab_ns_src: bad namespace $ns" ;;
	esac
	case $addr in
	*:*) ip -n "$ns" -6 route replace 2001:db8:5::/64 via "$gw6" src "$addr" ||
		lab_fail "cannot set IPv6 source $addr in $ns" ;;
	*) ip -n "$ns" -4 route replace 198.51.100.0/24 via "$gw4" src "$addr" ||
		lab_fail "cannot set IPv4 source $addr in $ns" ;;
	esac
}
lab_cli_src() { lab_ns_src "$LAB_NS_CLI" "$1"; }
lab_atk_src() { lab_ns_src "$LAB_NS_ATK" "$1"; }

# ---------------------------------------------------------------- Kamailio

# lab_kamailio_start [extra kamailio args, e.g. -A WITH_AUTH_FAIL_403]
# shellcheck disable=SC2120  # extra args are optional
lab_kamailio_start() {
	local pid cfg="$LAB_DIR/kamailio.cfg" log="$LAB_RUN/kamailio.log"
	lab_kamailio_stop
	lab_wait_for "! grep -q ':5060 ' <<<\"\$(lab_srv ss -Hnuatl)\"" 5 ||
		lab_fail "something in $LAB_NS_SRV still holds port 5060: $(lab_srv ss -Hnuatlp | grep ':5060 ')"
	mkdir -p "$LAB_RUN/kamailio"
	lab_rotate "$log"
	lab_srv kamailio -c -f "$cfg" "$@" >"$LAB_RUN/kamailio-check.log" 2>&1 ||
		{ tail -n 30 "$LAB_RUN/kamailio-check.log" >&2; lab_fail "kamailio.cfg does not parse"; }
	# -DD: no daemonizing, the started PID is Kamailio's main process;
	# -E: log to stderr (redirected to the log file).
	# `exec` in the background subshell, and `ip netns exec` execs too: $! is
	# Kamailio's main process itself (so SIGTERM reaches it, and its workers).
	(exec ip netns exec "$LAB_NS_SRV" kamailio -f "$cfg" -DD -E -x tlsf -X tlsf -m 64 -M 8 \
		-Y "$LAB_RUN/kamailio" -w "$LAB_RUN/kamailio" "$@" >"$log" 2>&1) &
	pid=$!
	lab_pid_record kamailio "$pid"
	if ! lab_wait_for "lab_kamailio_listening" 10; then
		tail -n 30 "$log" >&2
		lab_fail "Kamailio did not start listening within 10 s"
	fi
	kill -0 "$pid" 2>/dev/null || { tail -n 30 "$log" >&2; lab_fail "Kamailio exited"; }
	lab_log "kamailio running, pid $pid, log $log"
}

lab_kamailio_listening() {
	local u t
	u=$(lab_srv ss -Hnuln) && t=$(lab_srv ss -Hntln) || return 1
	grep -q "198.51.100.1:5060 " <<<"$u" && grep -q "\[2001:db8:5::1\]:5060 " <<<"$u" &&
		grep -q "198.51.100.1:5060 " <<<"$t" && grep -q "\[2001:db8:5::1\]:5060 " <<<"$t"
}

lab_kamailio_stop() {
	lab_pid_stop kamailio 10
}

# ---------------------------------------------------------------- sipwarden

# lab_sipwarden_start CONFIG [extra args]
lab_sipwarden_start() {
	local cfg=$1 pid log="$LAB_RUN/sipwarden.log"
	shift
	[ -x "$SIPWARDEN_BUILD/sipwarden" ] || lab_fail "no $SIPWARDEN_BUILD/sipwarden (build first)"
	lab_sipwarden_stop
	mkdir -p "$LAB_RUN/state"
	lab_rotate "$log"
	: >"$log"
	# LAB_SIPWARDEN_WRAP: a command the daemon runs under (e.g. valgrind);
	# LAB_READY_TIMEOUT: how long to wait for "ready" (default 10 s).
	# shellcheck disable=SC2086
	(exec ip netns exec "$LAB_NS_SRV" ${LAB_SIPWARDEN_WRAP:-} "$SIPWARDEN_BUILD/sipwarden" \
		-c "$cfg" --foreground --state-dir "$LAB_RUN/state" --socket "$LAB_RUN/control.sock" \
		"$@" >>"$log" 2>&1) &
	pid=$!
	lab_pid_record sipwarden "$pid"
	# (A daemon that exits ends the wait: no need to sit out the bound.)
	if ! lab_wait_for "grep -q 'sipwarden ready' '$log' || ! kill -0 $pid" "${LAB_READY_TIMEOUT:-10}" ||
		! grep -q 'sipwarden ready' "$log"; then
		tail -n 30 "$log" >&2
		lab_fail "sipwarden not ready"
	fi
	kill -0 "$pid" 2>/dev/null || { tail -n 30 "$log" >&2; lab_fail "sipwarden exited"; }
	lab_log "sipwarden running, pid $pid, log $log"
}

lab_sipwarden_stop() {
	lab_pid_stop sipwarden 10
}

# lab_rules CMD CONFIG — sipwarden-rules install|remove|status in swl-srv
lab_rules() {
	local cmd=$1 cfg=$2
	shift 2
	lab_srv "$SIPWARDEN_BUILD/sipwarden-rules" "$cmd" -c "$cfg" "$@"
}
