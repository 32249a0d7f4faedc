#!/bin/bash
# Integration: the Debian package, for real.
#  1. dpkg-buildpackage -us -uc -b in a copy of the source tree (the
#     repository stays clean), profile-guided as debian/rules builds it
#     natively, then lintian: no errors, no warnings
#  2. a minimal Debian 12 root file system (debootstrap from the mirror apt
#     already uses here; cached as a tarball) booted with systemd as PID 1
#     under systemd-nspawn -b, with a private network namespace
#  3. inside it: install the .deb; the unit is active (Type=notify: READY
#     came), its STATUS carries live figures, the control socket is 0660
#     group sipwarden, the daemon runs as user sipwarden; systemd-analyze
#     verify is silent and the security exposure is below 2.0
#  4. a bounded UDP flood from 203.0.113.5 (raw, over lo: loopback traffic goes through
#     PREROUTING too) to a dumb UDP sink on 5060 is banned: the journal of the
#     unit shows the start and the ban, sipwardenctl bans lists it, the kernel
#     set holds it; a legitimate source passes
#  5. systemctl reload keeps the ban (a broken file is refused, the daemon
#     runs on); systemctl restart keeps it; systemctl stop leaves the rules,
#     so SIP keeps flowing (queue bypass) and the banned source stays dropped
#  6. with the cluster configured (a local redis-server, the shipped drop-in
#     examples/cluster.conf): systemctl reload, restart and stop, each with a
#     clean exit of the daemon (status 0, "sipwarden stopping", the bans
#     saved) and no "killed by signal" in the journal (issue 22: a thread
#     that did not block the signals took SIGHUP and SIGTERM itself)
#  7. rtpengine-style rules (and every other rule sipwarden does not own) are
#     byte-for-byte unchanged throughout; apt-get purge removes sipwarden's
#     chains, jumps, sets, state and configuration
#
# Needs root. Under CI=true a missing prerequisite is a failure; otherwise the
# test is skipped (exit 77). tools/install-deps.sh installs the tools.
#
# Environment:
#   SIPWARDEN_SRC        source tree (default: derived from this file)
#   SIPWARDEN_PKG_CACHE  rootfs tarball cache (default /var/cache/sipwarden-test)
#   KEEP=1               keep the work directory (logs, rootfs) for debugging
set -euo pipefail

: "${SIPWARDEN_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
CACHE=${SIPWARDEN_PKG_CACHE:-/var/cache/sipwarden-test}
SUITE=bookworm
T0=$(date +%s)
NSPAWN_PID=
CPID=
WORK=
PASS=0

elapsed() { echo $(($(date +%s) - T0)); }
step() { echo "== [$(elapsed)s] $*"; }
ok() { PASS=$((PASS + 1)); echo "ok - $*"; }
fail() {
	echo "FAIL: $*" >&2
	if [ -n "$CPID" ] && [ -d "/proc/$CPID" ]; then
		echo "--- journalctl -u sipwarden (last 40 lines)" >&2
		C journalctl -u sipwarden --no-pager -n 40 >&2 || true
	fi
	exit 1
}
missing() {
	if [ "${CI:-}" = true ]; then
		fail "missing prerequisite: $*"
	fi
	echo "SKIP: missing prerequisite: $*"
	exit 77
}

cleanup() {
	if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
		# SIGTERM: nspawn asks the container's systemd to power off.
		kill -TERM "$NSPAWN_PID" 2>/dev/null || true
		for _ in $(seq 1 100); do
			kill -0 "$NSPAWN_PID" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL "$NSPAWN_PID" 2>/dev/null || true
		wait "$NSPAWN_PID" 2>/dev/null || true
	fi
	if [ -n "$WORK" ] && [ -d "$WORK" ]; then
		if [ "${KEEP:-}" = 1 ]; then
			echo "kept $WORK"
		else
			rm -rf --one-file-system "$WORK"
		fi
	fi
}
trap cleanup EXIT

# Run a command inside the container (all its namespaces), with a clean
# environment and a time limit.
C() {
	timeout 120 nsenter -t "$CPID" -a \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 SYSTEMD_PAGER= "$@"
}

# ---------------------------------------------------------------- prerequisites
[ "$(id -u)" -eq 0 ] || missing "root (systemd-nspawn, netfilter)"
if [ -x "$SIPWARDEN_SRC/tools/install-deps.sh" ]; then
	"$SIPWARDEN_SRC/tools/install-deps.sh" || missing "tools/install-deps.sh failed"
fi
for t in dpkg-buildpackage dh lintian debootstrap systemd-nspawn nsenter tar timeout awk; do
	command -v "$t" >/dev/null 2>&1 || missing "$t"
done
[ -f /usr/share/keyrings/debian-archive-keyring.gpg ] || missing "debian-archive-keyring"

# The container cannot load modules; have the host's loaded (idempotent).
for m in nfnetlink_queue xt_NFQUEUE ip_set ip_set_hash_net xt_set xt_comment \
	iptable_raw iptable_mangle iptable_filter ip6table_raw ip6table_mangle ip6table_filter; do
	modprobe -q "$m" 2>/dev/null || true
done

WORK=$(mktemp -d /tmp/sipwarden-pkg.XXXXXX)

# ---------------------------------------------------------------- 1. build
step "build the package from a copy of $SIPWARDEN_SRC"
mkdir -p "$WORK/src/sipwarden" "$WORK/debs"
tar -C "$SIPWARDEN_SRC" --exclude=./.git --exclude='./build*' --exclude='./obj-*' \
	--exclude=./tests/lab/run --exclude='./tests/lab/run-*' -cf - . |
	tar -C "$WORK/src/sipwarden" -xf -
# nocheck: tools/test.sh runs the unit tests already (plain and ASan).
if ! (cd "$WORK/src/sipwarden" &&
	DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" DEB_BUILD_PROFILES=nocheck \
		dpkg-buildpackage -us -uc -b) >"$WORK/build.log" 2>&1; then
	tail -n 60 "$WORK/build.log" >&2
	fail "dpkg-buildpackage failed"
fi
DEB=$(ls "$WORK"/src/sipwarden_*_"$(dpkg --print-architecture)".deb)
CHANGES=$(ls "$WORK"/src/sipwarden_*_"$(dpkg --print-architecture)".changes)
cp "$DEB" "$WORK/debs/"
DEBNAME=$(basename "$DEB")
ok "dpkg-buildpackage -us -uc -b built $DEBNAME"
# debian/rules: a native build is profile-guided (tools/pgo-train.sh ran
# between the instrumented and the final build), and the final build used it.
grep -q '^pgo-train.sh: trained ' "$WORK/build.log" &&
	grep -q -- '-fprofile-use' "$WORK/build.log" ||
	fail "the package was not built profile-guided (debian/rules, tools/pgo-train.sh)"
ok "built profile-guided: the training ran, the final build used its profile"
dpkg-deb -c "$DEB" | awk '{ print "   ", $6 }'
for f in ./usr/sbin/sipwarden ./usr/sbin/sipwardenctl ./usr/sbin/sipwarden-rules \
	./etc/sipwarden/sipwarden.yml ./lib/systemd/system/sipwarden.service \
	./usr/lib/sysusers.d/sipwarden.conf ./usr/share/man/man8/sipwarden.8.gz \
	./usr/share/man/man8/sipwardenctl.8.gz ./usr/share/man/man8/sipwarden-rules.8.gz \
	./usr/share/man/man5/sipwarden.yml.5.gz; do
	dpkg-deb -c "$DEB" | awk '{ print $6 }' | grep -qx -- "$f" || fail "$DEBNAME lacks $f"
done
dpkg-deb -I "$DEB" conffiles | grep -qx /etc/sipwarden/sipwarden.yml ||
	fail "/etc/sipwarden/sipwarden.yml is not a conffile"
DEPENDS=$(dpkg-deb -f "$DEB" Depends)
echo "    Depends: $DEPENDS"
for d in iptables ipset libnetfilter-queue1 libosip2 libyaml; do
	echo "$DEPENDS" | grep -q "$d" || fail "Depends lacks $d"
done
ok "package contents, conffile and Depends"

step "lintian"
if ! lintian --allow-root --fail-on error,warning "$CHANGES" >"$WORK/lintian.log" 2>&1; then
	cat "$WORK/lintian.log" >&2
	fail "lintian reports errors or warnings"
fi
cat "$WORK/lintian.log"
ok "lintian: no errors, no warnings"

# ---------------------------------------------------------------- 2. rootfs
# The mirror apt uses on this machine (deb822 .sources or one-line .list).
apt_mirror() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v suite="$SUITE" '
			function flush() {
				if (uri != "" && enabled && types ~ /(^| )deb( |$)/ && suites ~ ("(^| )" suite "( |$)"))
					{ print uri; found = 1; exit }
				uri = ""; types = ""; suites = ""; enabled = 1
			}
			BEGIN { enabled = 1 }
			/^[ \t]*$/ { flush(); next }
			/^[ \t]*#/ { next }
			/^Types:/ { sub(/^Types:[ \t]*/, ""); types = $0 }
			/^URIs:/ { uri = $2 }
			/^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
			/^Enabled:[ \t]*no/ { enabled = 0 }
			END { if (!found) flush() }' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		sed -e 's/\[[^]]*\]//' "$f" |
			awk -v suite="$SUITE" '$1 == "deb" && $3 == suite { print $2 }'
	done
}
MIRROR=$(apt_mirror | head -n 1)
[ -n "$MIRROR" ] || missing "a $SUITE entry in apt's sources"

# Packages: the .deb's Depends (first alternatives, no versions) and the
# test's own needs, so the .deb installs without network in the container.
PKGS=$(echo "$DEPENDS" | tr ',' '\n' | sed -e 's/|.*//' -e 's/(.*)//' -e 's/[[:space:]]//g' |
	grep -v '^$' | cat - <(printf '%s\n' systemd systemd-sysv python3-minimal iptables ipset redis-server) |
	sort -u | tr '\n' ',' | sed 's/,$//')
TARBALL="$CACHE/rootfs-$SUITE.tar"
ROOT="$WORK/rootfs"
if [ -f "$TARBALL" ] && [ "$(cat "$TARBALL.pkgs" 2>/dev/null)" = "$PKGS" ]; then
	step "root file system from the cache $TARBALL"
else
	step "debootstrap $SUITE (minbase + $PKGS) from $MIRROR"
	mkdir -p "$CACHE"
	if ! debootstrap --variant=minbase --include="$PKGS" "$SUITE" "$WORK/rootfs.new" "$MIRROR" \
		>"$WORK/debootstrap.log" 2>&1; then
		tail -n 40 "$WORK/debootstrap.log" >&2
		fail "debootstrap failed"
	fi
	R="$WORK/rootfs.new"
	echo sipwarden-test >"$R/etc/hostname"
	# Nothing may take the dpkg lock or the CPU behind the test's back.
	# The test starts its own redis-server when it needs one.
	for u in apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
		fstrim.timer systemd-timesyncd.service redis-server.service; do
		ln -sf /dev/null "$R/etc/systemd/system/$u"
	done
	rm -rf "$R"/var/cache/apt/archives/*.deb
	tar -C "$R" --numeric-owner -cf "$TARBALL.tmp" .
	echo "$PKGS" >"$TARBALL.pkgs.tmp"
	mv "$TARBALL.tmp" "$TARBALL"
	mv "$TARBALL.pkgs.tmp" "$TARBALL.pkgs"
	rm -rf --one-file-system "$R"
	ok "root file system built and cached ($(du -h "$TARBALL" | cut -f1))"
fi
mkdir "$ROOT"
tar -C "$ROOT" --numeric-owner -xf "$TARBALL"

# ---------------------------------------------------------------- boot
step "boot the container (systemd-nspawn -b, private network)"
NAME="swpkg$$"
systemd-nspawn -q -D "$ROOT" -M "$NAME" --register=no --keep-unit -b --private-network \
	--console=pipe --bind-ro="$WORK/debs:/debs" </dev/null >"$WORK/console.log" 2>&1 &
NSPAWN_PID=$!
# The container's PID 1 is a child of nspawn running systemd.
for _ in $(seq 1 100); do
	for p in $(cat /proc/"$NSPAWN_PID"/task/*/children 2>/dev/null); do
		if [ "$(cat "/proc/$p/comm" 2>/dev/null)" = systemd ]; then CPID=$p; fi
	done
	[ -n "$CPID" ] && break
	kill -0 "$NSPAWN_PID" 2>/dev/null || { cat "$WORK/console.log" >&2; fail "nspawn exited"; }
	sleep 0.2
done
[ -n "$CPID" ] || fail "no systemd in the container"
state=
for _ in $(seq 1 120); do
	state=$(C systemctl is-system-running 2>/dev/null || true)
	case "$state" in running | degraded) break ;; esac
	sleep 0.5
done
case "$state" in running | degraded) ;; *) fail "container did not boot (state '$state')" ;; esac
ok "container booted (systemd $state, PID 1 is host pid $CPID)"

# ---------------------------------------------------------------- helpers inside
# A dumb UDP sink on 5060: one line per datagram, its source address.
SINK='
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 5060))
with open("/run/udpsink.log", "a", buffering=1) as f:
    while True:
        data, (ip, port) = s.recvfrom(65535)
        f.write(ip + "\n")
'
# send.py SRC COUNT INTERVAL: COUNT well-formed OPTIONS from SRC (bounded).
# A source that is not the container's own (sipwarden never bans the host's
# addresses, loopback included) is sent through a raw socket over lo, where
# it passes PREROUTING like a packet from outside.
SEND='
import socket, struct, sys, time
src, count, interval = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
count = min(count, 2000)
local = src.startswith("127.")
if local:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    port = s.getsockname()[1]
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    port = 40000
def csum(b):
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    t = (t >> 16) + (t & 0xffff)
    t += t >> 16
    return ~t & 0xffff
for i in range(count):
    msg = ("OPTIONS sip:100@127.0.0.1 SIP/2.0\r\n"
           "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK-%d\r\n"
           "Max-Forwards: 70\r\n"
           "From: <sip:probe@%s>;tag=t%d\r\n"
           "To: <sip:100@127.0.0.1>\r\n"
           "Call-ID: pkgtest-%s-%d\r\n"
           "CSeq: %d OPTIONS\r\n"
           "User-Agent: pkgtest\r\n"
           "Content-Length: 0\r\n\r\n") % (src, port, i, src, i, src, i, i + 1)
    if local:
        s.sendto(msg.encode(), ("127.0.0.1", 5060))
    else:
        body = msg.encode()
        sa, da = socket.inet_aton(src), socket.inet_aton("127.0.0.1")
        udp = struct.pack("!HHHH", port, 5060, 8 + len(body), 0)
        c = csum(sa + da + struct.pack("!BBH", 0, 17, 8 + len(body)) + udp + body) or 0xffff
        udp = struct.pack("!HHHH", port, 5060, 8 + len(body), c)
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + 8 + len(body), i & 0xffff, 0, 64, 17, 0, sa, da)
        s.sendto(ip + udp + body, ("127.0.0.1", 0))
    if interval:
        time.sleep(interval)
'
send() { C python3 -c "$SEND" "$@"; }
sink_count() { C sh -c "grep -cx '$1' /run/udpsink.log || true"; }
sink_at_least() { [ "$(sink_count "$1")" -ge "$2" ]; }
journal() { C journalctl -u sipwarden --no-pager -o cat; }
# wait_for DESCRIPTION COMMAND...: up to 15 s
wait_for() {
	local what=$1
	shift
	for _ in $(seq 1 60); do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.25
	done
	fail "timed out waiting for: $what"
}
journal_has() { journal | grep -qF -- "$1"; }
bans_have() { C sipwardenctl bans ip | grep -qw -- "$1"; }
foreign_rules() {
	local ipt
	for ipt in iptables ip6tables; do
		C "$ipt-save" | awk -v f="$ipt" '/^\*/ { t = $0 } /^-A/ && !/sipwarden/ { print f, t, $0 }'
	done
}
same_foreign_rules() {
	foreign_rules >"$WORK/foreign.now"
	diff -u "$WORK/foreign.baseline" "$WORK/foreign.now" || fail "foreign rules changed ($1)"
	ok "rtpengine-style and other foreign rules unchanged ($1)"
}
unit_active() { [ "$(C systemctl is-active sipwarden)" = active ]; }
main_pid() { C systemctl show -p MainPID --value sipwarden; }
# The daemon's last exit, as systemd saw it: "exited 0 success" when clean.
last_exit() {
	C systemctl show -p ExecMainCode,ExecMainStatus,Result sipwarden |
		awk -F= '{ v[$1] = $2 } END { print (v["ExecMainCode"] == 1 ? "exited" : "code " v["ExecMainCode"]), v["ExecMainStatus"], v["Result"] }'
}
# Signal deaths of the daemon as systemd logs them.
killed_lines() { journal | grep -E 'code=killed|killed by signal|status=[0-9]+/(HUP|TERM|INT|KILL)' || true; }
count_in_journal() { journal | grep -cF -- "$1" || true; }

# ---------------------------------------------------------------- 3. install
step "operator rules (rtpengine-style) and the UDP sink"
for ipt in iptables ip6tables; do
	C "$ipt" -w -N rtpengine
	C "$ipt" -w -I INPUT -p udp -j rtpengine
	C "$ipt" -w -I rtpengine -p udp -m udp --dport 30000:40000 \
		-m comment --comment "placeholder for -j RTPENGINE --id 0" -j RETURN
done
foreign_rules >"$WORK/foreign.baseline"
grep -q rtpengine "$WORK/foreign.baseline" || fail "rtpengine rules not created"
C systemd-run --quiet --unit=udpsink python3 -c "$SINK"
# The sink opens its log after bind(): the file means it is listening.
wait_for "UDP sink on 5060" C test -e /run/udpsink.log

step "apt-get install $DEBNAME"
C apt-get install -y -q "/debs/$DEBNAME" >"$WORK/install.log" 2>&1 || {
	cat "$WORK/install.log" >&2
	fail "apt-get install failed"
}
wait_for "sipwarden active" unit_active
ok "installed; sipwarden.service is active (Type=notify: READY=1 received)"
C systemctl show -p Type,ActiveState,SubState,StatusText,WatchdogUSec,User sipwarden | sed 's/^/    /'
[ "$(C systemctl show -p Type --value sipwarden)" = notify ] || fail "unit is not Type=notify"
status_has_figures() { C systemctl show -p StatusText --value sipwarden | grep -q 'queues, [0-9]* packets'; }
wait_for "STATUS with figures" status_has_figures
ok "STATUS carries live figures: $(C systemctl show -p StatusText --value sipwarden)"
watchdog_fed() { [ "$(C systemctl show -p WatchdogTimestampMonotonic --value sipwarden)" -gt 0 ]; }
wait_for "WATCHDOG=1 from the daemon" watchdog_fed
ok "the daemon feeds the watchdog (WatchdogSec=$(C systemctl show -p WatchdogUSec --value sipwarden))"
wait_for "start in the journal" journal_has "sipwarden ready"
ok "journalctl -u sipwarden shows the start"
[ "$(C stat -c '%U' "/proc/$(main_pid)")" = sipwarden ] || fail "daemon does not run as user sipwarden"
sock=$(C stat -c '%a %G' /run/sipwarden/control.sock)
[ "$sock" = "660 sipwarden" ] || fail "control socket is '$sock', want '660 sipwarden'"
ok "daemon runs as user sipwarden; control socket 0660 group sipwarden"
C sipwarden-rules status >"$WORK/rules-status.1" || { cat "$WORK/rules-status.1"; fail "sipwarden-rules status"; }
ok "sipwarden-rules status: installed"
same_foreign_rules "after install"

# --man=no: the container has no man; the pages of Documentation= are
# checked in the package contents above.
if ! C systemd-analyze verify --man=no sipwarden.service >"$WORK/verify.out" 2>"$WORK/verify.err" ||
	[ -s "$WORK/verify.err" ]; then
	cat "$WORK/verify.out" "$WORK/verify.err" >&2
	fail "systemd-analyze verify sipwarden.service"
fi
ok "systemd-analyze verify: silent"
C systemd-analyze security --offline=true --no-pager sipwarden.service >"$WORK/security.out" 2>&1 || true
score=$(sed -n 's/.*Overall exposure level for sipwarden.service: \([0-9.]*\).*/\1/p' "$WORK/security.out")
[ -n "$score" ] || { cat "$WORK/security.out" >&2; fail "no systemd-analyze security score"; }
awk -v s="$score" 'BEGIN { exit !(s < 2.0) }' || { grep '✗' "$WORK/security.out" >&2; fail "exposure $score >= 2.0"; }
ok "systemd-analyze security --offline=true: exposure $score"

# ---------------------------------------------------------------- 4. flood
step "legitimate traffic passes, a bounded flood is banned"
send 127.0.0.7 5 0.05
wait_for "5 legitimate datagrams at the sink" sink_at_least 127.0.0.7 5
ok "legitimate source 127.0.0.7: 5/5 delivered"
send 203.0.113.5 300 0
wait_for "203.0.113.5 in sipwardenctl bans" bans_have 203.0.113.5
wait_for "ban in the journal" journal_has "IP '203.0.113.5' is blocked and banned"
ok "journalctl -u sipwarden: $(journal | grep -F "IP '203.0.113.5' is blocked and banned" | head -n 1)"
C sipwardenctl bans | sed 's/^/    /'
ok "sipwardenctl bans lists 203.0.113.5"
C ipset -q test sipwarden4 203.0.113.5 || fail "203.0.113.5 not in the kernel set sipwarden4"
n=$(sink_count 203.0.113.5)
[ "$n" -lt 300 ] || fail "flood not dropped ($n/300 delivered)"
ok "kernel set sipwarden4 holds 203.0.113.5; flood delivered $n/300"

# ---------------------------------------------------------------- 5. reload, restart, stop
step "systemctl reload"
C systemctl reload sipwarden || fail "systemctl reload"
wait_for "reload in the journal" journal_has "configuration reloaded"
unit_active || fail "not active after reload"
bans_have 203.0.113.5 || fail "ban lost by reload"
ok "reload: active, configuration reloaded, ban kept"
C cp /etc/sipwarden/sipwarden.yml /run/sipwarden.yml.orig
C sh -c 'echo "bogus_key: 1" >> /etc/sipwarden/sipwarden.yml'
if C systemctl reload sipwarden >"$WORK/badreload.out" 2>&1; then fail "reload of a broken file succeeded"; fi
unit_active || fail "a broken reload stopped the daemon"
C cp /run/sipwarden.yml.orig /etc/sipwarden/sipwarden.yml
bans_have 203.0.113.5 || fail "ban lost by refused reload"
ok "reload of a broken file fails, the daemon runs on with the ban"

# A ban made after the reloads must be saved too (the state directory of the
# reloaded configuration), and survive the restart below.
C sipwardenctl ban ip 203.0.113.66 --time 600 >/dev/null || fail "sipwardenctl ban ip 203.0.113.66"

step "systemctl restart"
pid1=$(main_pid)
C systemctl restart sipwarden || fail "systemctl restart"
wait_for "active after restart" unit_active
[ "$(main_pid)" != "$pid1" ] || fail "restart did not restart"
wait_for "ban restored" bans_have 203.0.113.5
bans_have 203.0.113.66 || fail "manual ban made after the reload lost by restart"
if journal | grep -F "cannot save bans"; then fail "the daemon could not save its bans"; fi
C ipset -q test sipwarden4 203.0.113.5 || fail "kernel set lost 203.0.113.5 across restart"
C sipwarden-rules status >/dev/null || fail "rules not in place after restart"
ok "restart: new pid, bans restored (also one made after the reload), kernel set and rules in place"
same_foreign_rules "after restart"

step "systemctl stop"
C systemctl stop sipwarden || fail "systemctl stop"
C sipwarden-rules status >"$WORK/rules-status.2" || { cat "$WORK/rules-status.2"; fail "rules removed by stop"; }
before=$(sink_count 127.0.0.9)
send 127.0.0.9 5 0.05
wait_for "5 datagrams through the bypass" sink_at_least 127.0.0.9 $((before + 5))
ok "stopped: rules kept, SIP from 127.0.0.9 flows (queue bypass)"
before=$(sink_count 203.0.113.5)
send 203.0.113.5 5 0.05
sleep 0.5
[ "$(sink_count 203.0.113.5)" -eq "$before" ] || fail "banned source passed while stopped"
ok "stopped: banned 203.0.113.5 still dropped by the kernel set"
[ "$(last_exit)" = "exited 0 success" ] || fail "stop: the daemon's exit was '$(last_exit)'"
ok "stop: the daemon exited with status 0"
same_foreign_rules "after stop"

# ---------------------------------------------------------------- 6. cluster
step "the cluster configured: systemctl reload, restart, stop"
C systemd-run --quiet --unit=sw-redis redis-server --bind 127.0.0.1 --port 6379 --save '' \
	--appendonly no --daemonize no
wait_for "redis-server on 127.0.0.1:6379" C sh -c 'redis-cli -h 127.0.0.1 ping | grep -q PONG'
# The key every node signs with (doc/cluster.md), readable by the service only.
C sh -c 'umask 077 && head -c 32 /dev/urandom | base64 >/etc/sipwarden/cluster.key'
C chown sipwarden: /etc/sipwarden/cluster.key
C sed -i -e 's/^  enabled: no$/  enabled: yes/' -e 's/^  node_name: ~$/  node_name: pkgnode/' \
	-e 's|^  key_file: ~$|  key_file: /etc/sipwarden/cluster.key|' /etc/sipwarden/sipwarden.yml
C grep -A3 '^cluster:' /etc/sipwarden/sipwarden.yml | grep -q '^  enabled: yes' ||
	fail "cluster.enabled not set in the configuration"
C test -f /usr/share/doc/sipwarden/examples/cluster.conf || fail "the package lacks examples/cluster.conf"
C mkdir -p /etc/systemd/system/sipwarden.service.d
C cp /usr/share/doc/sipwarden/examples/cluster.conf /etc/systemd/system/sipwarden.service.d/
C systemctl daemon-reload
C systemctl start sipwarden || fail "start with the cluster"
wait_for "active with the cluster" unit_active
link_up() { C sipwardenctl --json status | grep -q '"link":"up"'; }
wait_for "cluster link up (the drop-in lets the daemon reach redis)" link_up
# An operator's ban is answered once Redis stored it: no warning, the key is there.
out=$(C sipwardenctl ban ip 203.0.113.77 --time 600) || fail "sipwardenctl ban ip 203.0.113.77"
echo "    $out"
if grep -q '^warning:' <<<"$out"; then fail "the ban is not durable: $out"; fi
[ "$(C redis-cli -h 127.0.0.1 EXISTS sipwarden:ban:ip:203.0.113.77)" = 1 ] ||
	fail "the answered ban is not in redis"
ok "cluster node up: link to redis; a ban is in redis when sipwardenctl answers"
pid1=$(main_pid)
n=$(count_in_journal "configuration reloaded")
for i in 1 2 3; do
	C systemctl reload sipwarden || fail "systemctl reload $i with the cluster"
	unit_active || fail "not active after reload $i with the cluster"
done
[ "$(main_pid)" = "$pid1" ] || fail "the daemon was replaced during the reloads"
reloads_at_least() { [ "$(count_in_journal "configuration reloaded")" -ge "$1" ]; }
wait_for "3 reloads in the journal" reloads_at_least $((n + 3))
link_up || fail "cluster link lost by the reloads"
ok "reload x3 with the cluster: same pid $pid1, each reload logged, link up"
stops=$(count_in_journal "sipwarden stopping")
saves=$(count_in_journal "bans saved to")
clean=$(count_in_journal "Deactivated successfully")
C systemctl restart sipwarden || fail "systemctl restart with the cluster"
wait_for "active after restart with the cluster" unit_active
[ "$(main_pid)" != "$pid1" ] || fail "restart did not restart"
# systemd says "Deactivated successfully" only after a clean exit (status 0).
[ "$(count_in_journal "Deactivated successfully")" -gt "$clean" ] ||
	fail "restart: the old daemon did not exit cleanly"
[ "$(count_in_journal "sipwarden stopping")" -gt "$stops" ] || fail "restart: no 'sipwarden stopping'"
[ "$(count_in_journal "bans saved to")" -gt "$saves" ] || fail "restart: no final save logged"
wait_for "cluster link up after restart" link_up
{ bans_have 203.0.113.5 && bans_have 203.0.113.77; } || fail "bans lost by the restart with the cluster"
ok "restart with the cluster: old daemon exited 0 after 'sipwarden stopping' and its final save"
stops=$(count_in_journal "sipwarden stopping")
C systemctl stop sipwarden || fail "systemctl stop with the cluster"
[ "$(last_exit)" = "exited 0 success" ] || fail "stop: the daemon's exit was '$(last_exit)'"
[ "$(count_in_journal "sipwarden stopping")" -gt "$stops" ] || fail "stop: no 'sipwarden stopping'"
ok "stop with the cluster: exit status 0, 'sipwarden stopping' logged"
killed=$(killed_lines)
[ -z "$killed" ] || { echo "$killed" >&2; fail "the journal shows the daemon killed by a signal"; }
ok "journal: the daemon was never killed by a signal"
C rm -f /etc/systemd/system/sipwarden.service.d/cluster.conf
C systemctl daemon-reload
C systemctl stop sw-redis
C sed -i -e 's/^  enabled: yes$/  enabled: no/' -e 's|^  key_file: /etc/sipwarden/cluster.key$|  key_file: ~|' \
	/etc/sipwarden/sipwarden.yml
C rm -f /etc/sipwarden/cluster.key

# ---------------------------------------------------------------- 7. purge
step "apt-get purge sipwarden"
C systemctl start sipwarden || fail "start again before purge"
C apt-get purge -y -q sipwarden >"$WORK/purge.log" 2>&1 || { cat "$WORK/purge.log" >&2; fail "apt-get purge"; }
for ipt in iptables ip6tables; do
	if C "$ipt-save" | grep -q sipwarden; then
		C "$ipt-save" | grep sipwarden >&2
		fail "$ipt rules of sipwarden left after purge"
	fi
done
if C ipset list -n | grep -q '^sipwarden'; then fail "ipset sets left after purge"; fi
for d in /var/lib/sipwarden /etc/sipwarden /run/sipwarden; do
	if C test -e "$d"; then fail "$d left after purge"; fi
done
ok "purge: no sipwarden chains, jumps or sets; state and configuration gone"
same_foreign_rules "after purge"
before=$(sink_count 203.0.113.5)
send 203.0.113.5 3 0.05
wait_for "203.0.113.5 delivered after purge" sink_at_least 203.0.113.5 $((before + 3))
ok "after purge nothing of sipwarden filters SIP"

step "done: $PASS checks passed in $(elapsed)s"
