#!/bin/bash
# Integration: bans shared by two sipwarden nodes through a real redis-server
# (doc/cluster.md).
#
# Topology: the lab (tests/lab/lab.sh) plus a second server namespace,
# $LAB_PREFIX-srv2, on the same server LAN. The router's server side becomes
# a bridge (br1, 198.51.100.254) holding both servers' links:
#
#   $LAB_PREFIX-srv   198.51.100.1   Kamailio A + sipwarden node "a"  --+
#   $LAB_PREFIX-srv2  198.51.100.2   Kamailio B + sipwarden node "b"  --+ br1 in $LAB_PREFIX-net
#   $LAB_PREFIX-net   198.51.100.254 router, and redis-server :6379
#
# Checks:
#  - both nodes connect, and each sees the other (status: link, peers)
#  - a flood against A bans the attacker on A and, within 1 s, in B's kernel
#    set (B never saw the attacker), which then drops it; bans show origin a
#  - unban on B removes the ban on A (table and kernel set) and from Redis
#  - a writer to Redis without the cluster key (forged ban of a /1, unban-all,
#    unsigned, or signed with another key, or an old signed line replayed)
#    changes nothing on either node; each refusal is counted; --check-config
#    refuses a config without a key file, or with one others may read
#  - a restart of B (its state file removed) comes back with the cluster's
#    bans from Redis before READY, including one made while B was down
#  - Redis stopped: both nodes keep enforcing and banning locally, SIP keeps
#    flowing, the outage is logged once; Redis back (empty): both links
#    recover, the ban made during the outage reaches the other node, and every
#    node's own bans are stored in Redis again
set -euo pipefail

: "${SIPWARDEN_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
export SIPWARDEN_SRC
# shellcheck source=SCRIPTDIR/../lab/lab.sh
. "$SIPWARDEN_SRC/tests/lab/lab.sh"
# shellcheck source=SCRIPTDIR/lib_sw.sh
. "$SIPWARDEN_SRC/tests/integration/lib_sw.sh"

LAB_NS_SRV2=$LAB_PREFIX-srv2
# lab_up creates it with the others, lab_down kills what runs in it and
# deletes it with the others.
LAB_NAMESPACES="$LAB_NAMESPACES $LAB_NS_SRV2"
SRV2_4=198.51.100.2
SRV2_6=2001:db8:5::2
REDIS_ADDR=$LAB_GW_SRV4
RUN_B="$LAB_RUN/b"
SWLOG_B="$RUN_B/sipwarden.log"
KLOG_B="$RUN_B/kamailio.log"
CONF_A="$LAB_RUN/cluster-a.yml"
CONF_B="$LAB_RUN/cluster-b.yml"
trap lab_down EXIT

for t in redis-server redis-cli; do
	command -v "$t" >/dev/null 2>&1 ||
		lab_fail "required tool \"$t\" missing: apt-get install redis-server (or run tools/install-deps.sh)"
done
lab_require_tools ip ss kamailio python3 iptables ipset timeout
[ -x "$SIPWARDEN_BUILD/sipwarden" ] || lab_fail "build sipwarden first ($SIPWARDEN_BUILD)"

srv2() { ip netns exec "$LAB_NS_SRV2" "$@"; }
ctl_a() { sw_ctl "$@"; }
ctl_b() { "$SIPWARDEN_BUILD/sipwardenctl" --socket "$RUN_B/control.sock" "$@"; }
rcli() { lab_net timeout 5 redis-cli -h "$REDIS_ADDR" -p 6379 "$@"; }
in_set_a() { lab_srv ipset test sipwarden4 "$1" >/dev/null 2>&1; }
in_set_b() { srv2 ipset test sipwarden4 "$1" >/dev/null 2>&1; }
ms() { date +%s%3N; }

# The second server: br1 replaces srv0's addresses in the router, srv2's
# link joins it. Only lab addresses; routes only to the lab's client nets.
srv2_up() {
	ip -n "$LAB_NS_NET" -b - <<-EOF
		addr del $LAB_GW_SRV4/24 dev srv0
		addr del $LAB_GW_SRV6/64 dev srv0
		link add br1 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
		link set srv0 master br1
		link add srv2 type veth peer name eth0 netns $LAB_NS_SRV2
		link set srv2 master br1
		addr add $LAB_GW_SRV4/24 dev br1
		addr add $LAB_GW_SRV6/64 dev br1 nodad
		link set br1 up
		link set srv2 up
	EOF
	lab_if_nodad "$LAB_NS_NET" br1
	lab_if_nodad "$LAB_NS_NET" srv2
	lab_if_nodad "$LAB_NS_SRV2" eth0
	ip -n "$LAB_NS_SRV2" -b - <<-EOF
		addr add $SRV2_4/24 dev eth0
		addr add $SRV2_6/64 dev eth0 nodad
		link set eth0 up
		route add 203.0.113.0/24 via $LAB_GW_SRV4
		route add 2001:db8:c::/64 via $LAB_GW_SRV6
		route add 2001:db8:a::/64 via $LAB_GW_SRV6
	EOF
	ip -n "$LAB_NS_SRV" neigh flush all
}

redis_start() {
	mkdir -p "$LAB_RUN/redis"
	# No persistence: a restarted Redis is empty, as after a crash.
	(exec ip netns exec "$LAB_NS_NET" redis-server --bind "$REDIS_ADDR" --port 6379 \
		--protected-mode no --save '' --appendonly no --daemonize no \
		--dir "$LAB_RUN/redis" --logfile "$LAB_RUN/redis.log") &
	lab_pid_record redis $!
	lab_wait_for "rcli ping | grep -q PONG" 10 || lab_fail "redis-server did not start"
	# Both servers reach it through the server LAN.
	lab_wait_for "lab_srv timeout 2 redis-cli -h $REDIS_ADDR ping | grep -q PONG" 10 &&
		lab_wait_for "srv2 timeout 2 redis-cli -h $REDIS_ADDR ping | grep -q PONG" 10 ||
		lab_fail "the servers cannot reach redis on $REDIS_ADDR"
}

kamailio_b_start() {
	local cfg="$RUN_B/kamailio.cfg"
	mkdir -p "$RUN_B/kamailio"
	sed -e 's/198\.51\.100\.1\b/198.51.100.2/g' -e 's/2001:db8:5::1\b/2001:db8:5::2/g' \
		"$LAB_DIR/kamailio.cfg" >"$cfg"
	srv2 kamailio -c -f "$cfg" >"$RUN_B/kamailio-check.log" 2>&1 ||
		{ tail -n 20 "$RUN_B/kamailio-check.log" >&2; lab_fail "Kamailio B's config does not parse"; }
	(exec ip netns exec "$LAB_NS_SRV2" kamailio -f "$cfg" -DD -E -x tlsf -X tlsf -m 64 -M 8 \
		-Y "$RUN_B/kamailio" -w "$RUN_B/kamailio" >"$KLOG_B" 2>&1) &
	lab_pid_record kamailio-b $!
	lab_wait_for "srv2 ss -Hnuln | grep -q '$SRV2_4:5060 '" 10 ||
		{ tail -n 20 "$KLOG_B" >&2; lab_fail "Kamailio B did not start listening"; }
}

# Node B's daemon; its log is appended to across restarts.
sw_b_start() {
	local n pid
	mkdir -p "$RUN_B/state"
	touch "$SWLOG_B"
	n=$(lab_count 'sipwarden ready' "$SWLOG_B")
	(exec ip netns exec "$LAB_NS_SRV2" "$SIPWARDEN_BUILD/sipwarden" -c "$CONF_B" --foreground \
		--state-dir "$RUN_B/state" --socket "$RUN_B/control.sock" >>"$SWLOG_B" 2>&1) &
	pid=$!
	lab_pid_record sipwarden-b "$pid"
	lab_wait_for "[ \$(lab_count 'sipwarden ready' '$SWLOG_B') -gt $n ]" 15 ||
		{ tail -n 20 "$SWLOG_B" >&2; lab_fail "sipwarden B not ready"; }
}

# flood_to SRC SERVER SECONDS — a bounded REGISTER flood (500/s).
flood_to() {
	lab_sipclient "$LAB_NS_ATK" flood --src "$1" --server "$2" --rate 500 --duration "$3" \
		--method REGISTER
}

# ban_origin CTL ADDR — the origin `bans --json` shows for an IP ban.
ban_origin() {
	"$1" --json bans | sw_json_get \
		"next((b.get('origin', '-') for b in j['bans'] if b['kind'] == 'ip' and b['key'] == '$2'), '')"
}

link_of() { "$1" --json status | sw_json_get "j['cluster']['link']"; }
peers_of() { "$1" --json status | sw_json_get "' '.join(p['node'] for p in j['cluster']['peers'])"; }
kernel_drops_b() {
	srv2 iptables -w -t raw -n -v -x -L sipwarden-ban | awk '$3 == "DROP" { s += $1 } END { print s + 0 }'
}
outage_lines() { lab_count 'cluster: (cannot reach|lost the link to) redis' "$1"; }

# ---------------------------------------------------------------- setup

lab_up
srv2_up
rm -rf "${RUN_B:?}" # node B's files of an earlier run (lab_up keeps subdirectories)
mkdir -p "$RUN_B"
# The cluster key both nodes sign with (doc/cluster.md), 0600, ours.
KEYFILE="$LAB_RUN/cluster.key"
(umask 077 && head -c 32 /dev/urandom | base64 >"$KEYFILE")
chmod 0600 "$KEYFILE"
sed "s/@NODE@/a/; s|@KEYFILE@|$KEYFILE|" "$SIPWARDEN_SRC/tests/integration/conf/cluster.yml.in" >"$CONF_A"
sed "s/@NODE@/b/; s|@KEYFILE@|$KEYFILE|" "$SIPWARDEN_SRC/tests/integration/conf/cluster.yml.in" >"$CONF_B"
"$SIPWARDEN_BUILD/sipwarden" --check-config -c "$CONF_A" || lab_fail "cluster config refused"
redis_start
lab_kamailio_start
kamailio_b_start
lab_rules install "$CONF_A"
srv2 "$SIPWARDEN_BUILD/sipwarden-rules" install -c "$CONF_B"
lab_sipwarden_start "$CONF_A"
sw_b_start

check_connected() {
	lab_wait_for "[ \"\$(peers_of ctl_a)\" = b ] && [ \"\$(peers_of ctl_b)\" = a ]" 8 || true
	ctl_a status
	ctl_b status
	[ "$(link_of ctl_a)" = up ] && [ "$(link_of ctl_b)" = up ] &&
		[ "$(peers_of ctl_a)" = b ] && [ "$(peers_of ctl_b)" = a ] &&
		grep -q "cluster: connected to redis $REDIS_ADDR:6379 as node 'a'" "$SWLOG" &&
		grep -q "cluster: connected to redis $REDIS_ADDR:6379 as node 'b'" "$SWLOG_B"
}
lab_check "both nodes connected to redis and see each other (status)" check_connected

check_legit_b() {
	sw_register 203.0.113.15 115 "$SRV2_4" && sw_register 2001:db8:c::15 115 "$SRV2_6" &&
		sw_register 203.0.113.15 115
}
lab_check "legitimate clients register through both nodes" check_legit_b

# ---------------------------------------------------------------- propagation

check_flood_propagates() {
	local fpid t0 ta="" tb="" i
	t0=$(ms)
	flood_to 203.0.113.70 "$LAB_SRV4" 3 >"$LAB_RUN/flood70.out" 2>&1 &
	fpid=$!
	for ((i = 0; i < 500; i++)); do
		[ -z "$ta" ] && in_set_a 203.0.113.70 && ta=$(ms)
		[ -z "$tb" ] && in_set_b 203.0.113.70 && tb=$(ms)
		[ -n "$ta" ] && [ -n "$tb" ] && break
		sleep 0.01
	done
	wait "$fpid" || true
	echo "flood start -> A's kernel set: $((${ta:-0} - t0)) ms, B's kernel set: $((${tb:-0} - t0)) ms"
	[ -n "$ta" ] && [ -n "$tb" ] || return 1
	# How soon depends on the machine (bench/ measures it): here, that it
	# arrives while the loop polls (bounded: 500 polls).
	echo "TIMING: ban in B's kernel set $((tb - ta)) ms after A's (each poll of both sets takes ~20 ms)"
}
lab_check "flood against A: attacker in B's kernel set too" check_flood_propagates

check_b_never_saw() {
	local n d0 d1 out sent
	grep -E "IP '203\.0\.113\.70' is blocked and banned" "$SWLOG" || return 1
	grep -E "cluster: IP '203\.0\.113\.70' banned by node 'a' \(density\)" "$SWLOG_B" || return 1
	! grep -q "IP '203.0.113.70' is blocked and banned" "$SWLOG_B" || return 1
	n=$(lab_count ' RCV .*src=203\.0\.113\.70 ' "$KLOG_B")
	echo "requests from the attacker Kamailio B ever saw: $n"
	[ "$n" -eq 0 ] || return 1
	# Now it tries B: dropped by B's kernel set.
	d0=$(kernel_drops_b)
	out=$(flood_to 203.0.113.70 "$SRV2_4" 1) || return 1
	echo "$out"
	sent=$(sed -n 's/^sent \([0-9]*\) .*/\1/p' <<<"$out")
	sleep 0.3
	d1=$(kernel_drops_b)
	n=$(lab_count ' RCV .*src=203\.0\.113\.70 ' "$KLOG_B")
	echo "B's kernel drops +$((d1 - d0)) of $sent sent, requests reaching Kamailio B: $n"
	[ "$n" -eq 0 ] && [ "${sent:-0}" -gt 0 ] && [ $((d1 - d0)) -ge "$sent" ]
}
lab_check "B never saw the attacker, and drops it in its kernel" check_b_never_saw

check_origin() {
	ctl_b bans ip
	ctl_b bans ip | grep -Eq '^ip +203\.0\.113\.70 +density .* a$' &&
		[ "$(ban_origin ctl_a 203.0.113.70)" = a ] && [ "$(ban_origin ctl_b 203.0.113.70)" = a ] &&
		rcli GET swtest:ban:ip:203.0.113.70 | tee /dev/stderr |
		grep -Eq '^SW1 ban a ip 203\.0\.113\.70 density [0-9]+ t=[0-9]+ mac=[0-9a-f]{64}$'
}
lab_check "bans shows origin node a on both nodes; Redis holds the ban" check_origin

check_unban_from_b() {
	local t0 ta="" i
	ctl_b unban ip 203.0.113.70 || return 1
	t0=$(ms)
	for ((i = 0; i < 300; i++)); do
		in_set_a 203.0.113.70 || { ta=$(ms); break; }
		sleep 0.01
	done
	[ -n "$ta" ] || return 1
	echo "TIMING: unban on B left A's kernel set after $((ta - t0)) ms"
	lab_wait_for "[ -z \"\$(ban_origin ctl_a 203.0.113.70)\" ]" 2 || return 1
	grep -q "cluster: IP '203.0.113.70' unbanned by node 'b'" "$SWLOG" &&
		! in_set_b 203.0.113.70 && [ "$(rcli EXISTS swtest:ban:ip:203.0.113.70)" = 0 ] &&
		sw_register_from "$LAB_NS_ATK" 203.0.113.70 170 # the attacker address passes again
}
lab_check "unban on B removes the ban on A and from Redis" check_unban_from_b

# ---------------------------------------------------------------- allow-list

allowed_origin() { # CTL KIND KEY — the origin `allowed --json` shows ("-": this node's)
	"$1" --json allowed | sw_json_get \
		"next((e.get('origin', '-') for e in j['allowed'] if e['kind'] == '$2' and e['key'] == '$3'), '')"
}

# An allow on A reaches B: listed there with origin a, the ban it covers
# lifted from B's kernel set, stored in Redis signed; the allowed address
# floods B unbanned while its benign twin is banned; a disallow on B
# reaches A and Redis.
check_allow_propagates() {
	local out
	flood_to 203.0.113.73 "$LAB_SRV4" 1 >/dev/null 2>&1 || return 1
	lab_wait_for "in_set_a 203.0.113.73 && in_set_b 203.0.113.73" 3 || return 1
	out=$(ctl_a allow ip 203.0.113.73 --comment "ticket 7") || return 1
	echo "$out"
	[ "$out" = "ip 203.0.113.73 allowed (count 1)" ] || return 1
	lab_wait_for "[ \"\$(allowed_origin ctl_b ip 203.0.113.73)\" = a ]" 3 || return 1
	ctl_b allowed
	lab_wait_for "! in_set_b 203.0.113.73" 3 || return 1
	[ "$(allowed_origin ctl_a ip 203.0.113.73)" = - ] || return 1
	grep -F "cluster: IP '203.0.113.73' allowed by node 'a' permanently, comment 'ticket 7'" \
		"$SWLOG_B" || return 1
	rcli GET swtest:allow:ip:203.0.113.73 | tee /dev/stderr |
		grep -Eq '^SW1 allow a ip 203\.0\.113\.73 0 =ticket%207 t=[0-9]+ mac=[0-9a-f]{64}$' ||
		return 1
	flood_to 203.0.113.73 "$SRV2_4" 1 || return 1
	! in_set_b 203.0.113.73 && [ -z "$(ban_origin ctl_b 203.0.113.73)" ] || return 1
	flood_to 203.0.113.74 "$SRV2_4" 1 >/dev/null 2>&1 || return 1
	lab_wait_for "in_set_b 203.0.113.74" 3 || { echo "the twin was not banned"; return 1; }
	ctl_b unban ip 203.0.113.74 || return 1
	ctl_b disallow ip 203.0.113.73 || return 1
	lab_wait_for "[ -z \"\$(allowed_origin ctl_a ip 203.0.113.73)\" ]" 3 || return 1
	grep -F "cluster: IP '203.0.113.73' disallowed by node 'b'" "$SWLOG" &&
		[ "$(rcli EXISTS swtest:allow:ip:203.0.113.73)" = 0 ]
}
lab_check "allow on A reaches B (ban lifted, twin still banned); disallow on B reaches A" \
	check_allow_propagates

# ---------------------------------------------------------------- signatures

refused_of() { "$1" --json status | sw_json_get "j['cluster']['refused']"; }
# HMAC-SHA-256 of a line under a key file, as a node signs it.
sign_line() {
	python3 - "$1" "$2" "$3" <<-'PY'
		import hmac, hashlib, sys
		key = open(sys.argv[1], 'rb').read().rstrip(b' \t\r\n')
		body = '%s t=%s' % (sys.argv[2], sys.argv[3])
		print(body + ' mac=' + hmac.new(key, body.encode(), hashlib.sha256).hexdigest())
	PY
}
check_forged_refused() {
	local ra rb now other="$LAB_RUN/other.key" exp
	ra=$(refused_of ctl_a)
	rb=$(refused_of ctl_b)
	now=$(date +%s)
	exp=$((now + 600))
	# a manual ban on A that the forged unban-all and replayed unban must not lift
	ctl_a ban ip 203.0.113.74 --time 600 || return 1
	lab_wait_for "in_set_b 203.0.113.74" 2 || return 1
	(umask 077 && head -c 32 /dev/urandom | base64 >"$other")
	rcli PUBLISH swtest:bans "SW1 ban x ip 128.0.0.0/1 manual $exp" >/dev/null
	rcli PUBLISH swtest:bans "SW1 unban-all x" >/dev/null
	rcli PUBLISH swtest:bans "$(sign_line "$other" "SW1 ban x ip 203.0.113.75 manual $exp" "$now")" >/dev/null
	# signed with the real key but 120 s old: a replay
	rcli PUBLISH swtest:bans "$(sign_line "$KEYFILE" "SW1 unban b ip 203.0.113.74" $((now - 120)))" >/dev/null
	# signed with the real key, but a /1: wider than limits.min_ban_prefix4
	rcli PUBLISH swtest:bans "$(sign_line "$KEYFILE" "SW1 ban x ip 0.0.0.0/1 manual $exp" "$now")" >/dev/null
	# and from the control socket
	ctl_a ban ip 0.0.0.0/1 --time 60 && return 1
	lab_wait_for "[ \$(refused_of ctl_a) -ge $((ra + 5)) ] && [ \$(refused_of ctl_b) -ge $((rb + 5)) ]" 3 || true
	echo "refused: a $ra -> $(refused_of ctl_a), b $rb -> $(refused_of ctl_b)"
	[ "$(refused_of ctl_a)" -ge $((ra + 5)) ] && [ "$(refused_of ctl_b)" -ge $((rb + 5)) ] &&
		! ctl_a bans ip | grep -q '0\.0\.0\.0' && ! ctl_b bans ip | grep -q '0\.0\.0\.0' &&
		grep -q "wider than limits.min_ban_prefix4/6" "$SWLOG_B" &&
		in_set_a 203.0.113.74 && in_set_b 203.0.113.74 &&
		! in_set_a 203.0.113.75 && ! in_set_b 203.0.113.75 &&
		! ctl_a bans ip | grep -q '128\.0\.0\.0' && ! ctl_b bans ip | grep -q '128\.0\.0\.0' &&
		grep -q "cluster: refused a message without a valid signature" "$SWLOG" &&
		grep -q "cluster: refused a message outside the time window" "$SWLOG_B" &&
		ctl_a unban ip 203.0.113.74 &&
		sw_register 203.0.113.15 115 "$SRV2_4" # legitimate traffic unaffected
}
lab_check "forged, unsigned and replayed cluster messages refused and counted; real bans kept" \
	check_forged_refused

# Issue 17: a peer's ban, even validly signed, never covers what a node never
# bans: loopback, its own addresses (198.51.100.0/24 holds both servers'),
# the whitelist (203.0.113.28).
check_peer_ban_trust() {
	local now net
	now=$(date +%s)
	for net in 127.0.0.1 198.51.100.0/24 203.0.113.0/24; do
		rcli PUBLISH swtest:bans "$(sign_line "$KEYFILE" "SW1 ban x ip $net manual $((now + 600))" "$now")" >/dev/null
	done
	lab_wait_for "[ \$(grep -c 'covers an address never banned here' '$SWLOG_B') -ge 3 ]" 5 || return 1
	lab_wait_for "[ \$(grep -c 'covers an address never banned here' '$SWLOG') -ge 3 ]" 5 || return 1
	! ctl_a bans ip | grep -qE '127\.0\.0\.1|198\.51\.100\.0|203\.0\.113\.0' &&
		! ctl_b bans ip | grep -qE '127\.0\.0\.1|198\.51\.100\.0|203\.0\.113\.0' &&
		sw_register 203.0.113.15 115 "$SRV2_4"
}
lab_check "a signed peer ban covering loopback, the nodes or the whitelist is not applied" \
	check_peer_ban_trust

# Issue 17, lockout protection: a user's known source, learnt by A from a
# 200 OK, reaches B through the cluster (the same entry under the key both
# derive from the key file) and is saved in both state files.
known_of() { awk '$1 == "known" { print $2 }' "$1" 2>/dev/null | sort -u; }
known_key_of() { awk '$1 == "knownkey" { print $2 }' "$1" 2>/dev/null; }
known_stat() { "$1" --json status | sw_json_get "j['cluster']['$2']"; }
check_known_shared() {
	local a="$LAB_RUN/state/bans.state" b="$RUN_B/state/bans.state"
	sw_register 203.0.113.16 116 "$LAB_SRV4" || return 1
	lab_wait_for "[ -n \"\$(known_of '$a')\" ]" 5 || return 1
	lab_wait_for "[ -z \"\$(comm -23 <(known_of '$a') <(known_of '$b'))\" ]" 15 || return 1
	echo "known on A: $(known_of "$a" | wc -l), on B: $(known_of "$b" | wc -l)"
	echo "A shared $(known_stat ctl_a known_shared), B learnt $(known_stat ctl_b known_learnt)"
	[ -n "$(known_key_of "$a")" ] && [ "$(known_key_of "$a")" = "$(known_key_of "$b")" ] &&
		[ "$(known_stat ctl_a known_shared)" -ge 1 ] && [ "$(known_stat ctl_b known_learnt)" -ge 1 ] &&
		[ "$(known_stat ctl_a known_dropped)" -eq 0 ]
}
lab_check "a known source learnt by A is shared with B and saved by both" check_known_shared

check_key_required() {
	local bad="$LAB_RUN/cluster-nokey.yml" out
	grep -v '^  key_file:' "$CONF_B" >"$bad"
	out=$("$SIPWARDEN_BUILD/sipwarden" --check-config -c "$bad" 2>&1) && return 1
	echo "$out"
	echo "$out" | grep -q "cluster.key_file is required" || return 1
	chmod 0644 "$KEYFILE"
	out=$("$SIPWARDEN_BUILD/sipwarden" --check-config -c "$CONF_B" 2>&1)
	local rc=$?
	chmod 0600 "$KEYFILE"
	[ "$rc" != 0 ] || return 1
	echo "$out"
	echo "$out" | grep -q "chmod 0600" &&
		"$SIPWARDEN_BUILD/sipwarden" --check-config -c "$CONF_B"
}
lab_check "no key file, or one others may read: --check-config says what to change" check_key_required

# ---------------------------------------------------------------- restart

check_restart_b() {
	flood_to 203.0.113.71 "$LAB_SRV4" 2 >/dev/null 2>&1 || return 1
	lab_wait_for "in_set_b 203.0.113.71" 3 || return 1
	lab_pid_stop sipwarden-b
	# While B is down: a new ban on A, and B loses its saved bans and set.
	flood_to 203.0.113.72 "$LAB_SRV4" 2 >/dev/null 2>&1 || return 1
	lab_wait_for "in_set_a 203.0.113.72" 3 || return 1
	rm -f "$RUN_B/state/bans.state"
	srv2 ipset flush sipwarden4
	sw_b_start
	# Right after READY: from Redis, before any message could bring them.
	ctl_b bans ip
	[ "$(ban_origin ctl_b 203.0.113.71)" = a ] && [ "$(ban_origin ctl_b 203.0.113.72)" = a ] &&
		in_set_b 203.0.113.71 && in_set_b 203.0.113.72 &&
		grep -Eq "cluster: connected to redis .* as node 'b': loaded [2-9][0-9]* bans" "$SWLOG_B"
}
lab_check "restart of B reloads the cluster's bans from Redis (one made while B was down)" check_restart_b

# A user allowed on A while B was down is loaded from Redis when B starts
# without its state file.
check_allow_restart_b() {
	lab_pid_stop sipwarden-b
	ctl_a allow user 999@example.org --time 600 --comment persist || return 1
	rm -f "$RUN_B/state/bans.state"
	sw_b_start
	ctl_b allowed
	[ "$(allowed_origin ctl_b user 999@example.org)" = a ] || return 1
	ctl_a disallow user 999@example.org || return 1
	lab_wait_for "[ -z \"\$(allowed_origin ctl_b user 999@example.org)\" ]" 3
}
lab_check "restart of B loads an allow made on A while B was down from Redis" check_allow_restart_b

# ---------------------------------------------------------------- outage

check_redis_down() {
	local oa ob t0 t1
	oa=$(outage_lines "$SWLOG") ob=$(outage_lines "$SWLOG_B")
	lab_pid_stop redis
	lab_wait_for "[ \"\$(link_of ctl_a)\" = down ] && [ \"\$(link_of ctl_b)\" = down ]" 10 || return 1
	# Enforcing: the shared bans stay in both kernel sets ...
	in_set_a 203.0.113.71 && in_set_b 203.0.113.71 && in_set_b 203.0.113.72 || return 1
	# ... new floods are banned locally, and SIP does not wait for Redis.
	flood_to 203.0.113.73 "$SRV2_4" 2 >/dev/null 2>&1 || return 1
	lab_wait_for "in_set_b 203.0.113.73" 3 || return 1
	t0=$(ms)
	sw_register 203.0.113.16 116 "$SRV2_4" && sw_register 203.0.113.16 116 || return 1
	t1=$(ms)
	# Both succeed within the client's own timeout: SIP does not wait
	# for Redis (the time is shown, not asserted: it is the machine's).
	echo "two REGISTERs with Redis down: $((t1 - t0)) ms"
	sleep 3 # several reconnect attempts
	ctl_b status | grep cluster
	echo "outage log lines: A +$(($(outage_lines "$SWLOG") - oa)), B +$(($(outage_lines "$SWLOG_B") - ob))"
	! in_set_a 203.0.113.73 &&
		[ "$(outage_lines "$SWLOG")" -eq $((oa + 1)) ] && [ "$(outage_lines "$SWLOG_B")" -eq $((ob + 1)) ]
}
lab_check "redis stopped: both nodes keep enforcing and banning, outage logged once" check_redis_down

check_redis_back() {
	local t0 t1
	redis_start
	t0=$(ms)
	lab_wait_for "[ \"\$(link_of ctl_a)\" = up ] && [ \"\$(link_of ctl_b)\" = up ]" 35 || return 1
	t1=$(ms)
	echo "TIMING: both links up $((t1 - t0)) ms after redis came back"
	lab_wait_for "in_set_a 203.0.113.73" 2 || return 1
	ctl_a bans ip
	grep -E "cluster: link to redis .* back after" "$SWLOG" "$SWLOG_B"
	[ "$(ban_origin ctl_a 203.0.113.73)" = b ] &&
		[ "$(rcli EXISTS swtest:ban:ip:203.0.113.73)" = 1 ] &&
		[ "$(rcli EXISTS swtest:ban:ip:203.0.113.71)" = 1 ] &&
		[ "$(rcli EXISTS swtest:ban:ip:203.0.113.72)" = 1 ] &&
		grep -q "cluster: link to redis .* back after" "$SWLOG" &&
		grep -q "cluster: link to redis .* back after" "$SWLOG_B"
}
lab_check "redis back: links recover, outage bans re-published to the other node and Redis" check_redis_back

check_stop() {
	lab_sipwarden_stop
	lab_pid_stop sipwarden-b
	lab_rules remove "$CONF_A" && srv2 "$SIPWARDEN_BUILD/sipwarden-rules" remove -c "$CONF_B"
}
lab_check "both nodes stop cleanly, rules removed" check_stop

check_sanitizer() {
	sw_sanitizer_clean || return 1
	if grep -nE 'Sanitizer|runtime error:' "$SWLOG_B"; then return 1; fi
	return 0
}
lab_check "daemon logs free of sanitizer reports" check_sanitizer

lab_summary
