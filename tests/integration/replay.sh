#!/bin/bash
# Integration: sipwarden-replay, the policy run offline over a capture.
#  - a capture recorded with tcpdump in the lab's server namespace while a
#    legitimate client registers, an attacker floods (300/s for 2 s from
#    203.0.113.66) and svcrack guesses 105's password (from 203.0.113.69)
#    against the real Kamailio: the replay bans 203.0.113.66 for density and
#    105@198.51.100.1 for authentication failures, and never the client
#  - --server, -q, --json, the default-config fallback, and a config made by
#    `sipwardenctl import-ngcp` from the seed's NGCP settings
#  - link types EN10MB (802.1Q), LINUX_SLL, LINUX_SLL2, RAW, IPV4, IPV6,
#    NULL, LOOP and a pcapng file (generated here), snaplen-cut records,
#    a damaged file
#  - one capture, UDP and TCP SIP, legitimate and attacking, recorded while
#    the daemon judged it: sipwarden-replay reaches the daemon's verdicts,
#    reason by reason, and its bans (the verdict core is one, verdict.h)
# Only that last check runs the daemon and its netfilter rules; the others
# need only Kamailio and tcpdump.
set -euo pipefail

: "${SIPWARDEN_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${SIPWARDEN_BUILD:=$SIPWARDEN_SRC/build}"
export SIPWARDEN_SRC SIPWARDEN_BUILD
# Our own namespaces and run directory: runs beside the other lab tests,
# and beside another run's replay test when that run has its own prefix.
LAB_PREFIX=${LAB_PREFIX:-sw}r
LAB_RUN=${REPLAY_LAB_RUN:-$SIPWARDEN_BUILD/replay-lab-run}
export LAB_PREFIX LAB_RUN
# shellcheck source=SCRIPTDIR/../lab/lab.sh
. "$SIPWARDEN_SRC/tests/lab/lab.sh"
trap lab_down EXIT

REPLAY=$SIPWARDEN_BUILD/sipwarden-replay
CTL=$SIPWARDEN_BUILD/sipwardenctl
SEED_NGCP=$SIPWARDEN_SRC/tests/unit/data/ngcp/seed.yml
DOM=$LAB_SRV4 # svcrack puts the server address in From: the user is 105@198.51.100.1
lab_require_tools ip ss kamailio svcrack python3 tcpdump timeout
for b in "$REPLAY" "$CTL" "$SIPWARDEN_BUILD/sipwarden"; do
	[ -x "$b" ] || lab_fail "no $b (build first)"
done
lab_up
lab_kamailio_start

CONF=$LAB_RUN/replay.yml
cat >"$CONF" <<'EOF'
# sipwarden-replay test: density 30 per 2 s, 3 failed authentications.
sip:
  udp_ports: [5060]
security:
  dos_ban_enable: yes
  dos_ban_time: 120
  dos_reqs_density_per_unit: 30
  dos_sampling_time_unit: 2
  failed_auth_ban_enable: yes
  failed_auth_attempts: 3
  failed_auth_ban_time: 120
  # svcrack's friendly-scanner UA and fingerprint are not what the auth
  # check is about
  ua_blacklist: []
  scanner_fingerprints: no
EOF

# ---------------------------------------------------------------- captures
# made here: every link type, written by a few lines of Python

GEN=$LAB_RUN/gencap.py
cat >"$GEN" <<'EOF'
# gencap.py KIND FILE: 40 REGISTERs at 50/s from one source to
# 198.51.100.1:5060 (or 2001:db8:5::1), in a capture of the given kind.
import socket, struct, sys

kind, path = sys.argv[1], sys.argv[2]
v6 = kind in ("ipv6", "pcapng", "sll2")
src = "2001:db8:a::66" if v6 else "203.0.113.66"
dst = "2001:db8:5::1" if v6 else "198.51.100.1"

def sip(i):
    h, d = ("[%s]" % src, "[%s]" % dst) if v6 else (src, dst)
    return ("REGISTER sip:%s SIP/2.0\r\nVia: SIP/2.0/UDP %s:5070;branch=z9hG4bK%d\r\n"
            "From: <sip:100@example.org>;tag=t%d\r\nTo: <sip:100@example.org>\r\n"
            "Call-ID: gen%d@lab\r\nCSeq: 1 REGISTER\r\nMax-Forwards: 70\r\n"
            "Content-Length: 0\r\n\r\n" % (d, h, i, i, i)).encode()

def ip(payload):
    u = struct.pack("!HHHH", 5070, 5060, 8 + len(payload), 0) + payload
    if v6:
        return struct.pack("!IHBB16s16s", 0x60000000, len(u), 17, 64,
                           socket.inet_pton(socket.AF_INET6, src),
                           socket.inet_pton(socket.AF_INET6, dst)) + u
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(u), 1, 0, 64, 17, 0,
                       socket.inet_aton(src), socket.inet_aton(dst)) + u

et = 0x86dd if v6 else 0x0800
links = {  # kind: (linktype, link header)
    "vlan": (1, b"\x02" * 6 + b"\x04" * 6 + struct.pack("!HHH", 0x8100, 7, et)),
    "sll": (113, struct.pack("!HHH8sH", 0, 1, 6, b"\x02" * 8, et)),
    "sll2": (276, struct.pack("!HHIHBB8s", et, 0, 2, 1, 0, 6, b"\x02" * 8)),
    "raw": (101, b""), "ipv4": (228, b""), "ipv6": (229, b""),
    "null": (0, struct.pack("=I", 2)), "loop": (108, struct.pack("!I", 2)),
    "snapped": (1, b"\x02" * 12 + struct.pack("!H", et)),
    "pcapng": (1, b"\x02" * 12 + struct.pack("!H", et)),
}
lt, hdr = links[kind]
t0 = 1700000000
with open(path, "wb") as f:
    if kind == "pcapng":
        def block(t, body):
            body += b"\0" * (-len(body) % 4)
            return struct.pack("<II", t, 12 + len(body)) + body + struct.pack("<I", 12 + len(body))
        f.write(block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)))
        f.write(block(1, struct.pack("<HHI", lt, 0, 65535)))
    else:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, lt))
    for i in range(40):
        pkt = hdr + ip(sip(i))
        us = t0 * 1000000 + i * 20000
        cap = pkt[:60] if kind == "snapped" else pkt
        if kind == "pcapng":
            f.write(block(6, struct.pack("<IIIII", 0, us >> 32, us & 0xffffffff,
                                         len(cap), len(pkt)) + cap))
        else:
            f.write(struct.pack("<IIII", us // 1000000, us % 1000000, len(cap), len(pkt)) + cap)
EOF

check_link_type() { # KIND SOURCE BANNED-KEY [LOG-TAIL]
	local kind=$1 src=$2 key=$3 tail=${4:-} cap="$LAB_RUN/gen-$1.cap"
	python3 "$GEN" "$kind" "$cap" || return 1
	"$REPLAY" -c "$CONF" "$cap" | tee "$LAB_RUN/gen-$kind.out"
	grep -F "ban ip $key reason=density time=120s: IP '$src' is blocked and banned - R=sip:" \
		"$LAB_RUN/gen-$kind.out" | grep -E "^2023-11-14T22:13:20\.[0-9]{6}Z .* ID=gen30@lab$tail$" &&
		grep -q "verdicts: pass=30 .* banned-ip=9 density=1 " "$LAB_RUN/gen-$kind.out"
}
for k in vlan sll raw ipv4 null loop; do
	lab_check "replay reads link type $k" check_link_type "$k" 203.0.113.66 203.0.113.66
done
# IPv6 sources are banned by /64 (dos_ipv6_prefix default)
for k in sll2 ipv6 pcapng; do
	lab_check "replay reads $k (IPv6)" check_link_type "$k" 2001:db8:a::66 \
		2001:db8:a::/64 " net=2001:db8:a::/64"
done

check_snapped() {
	python3 "$GEN" snapped "$LAB_RUN/snapped.cap" || return 1
	"$REPLAY" -c "$CONF" "$LAB_RUN/snapped.cap" | tee "$LAB_RUN/snapped.out"
	grep -q "40 cut by the snaplen" "$LAB_RUN/snapped.out" &&
		! grep -q " ban " "$LAB_RUN/snapped.out"
}
lab_check "records cut by the snaplen are counted, not judged" check_snapped

check_damaged() {
	local rc=0 cap="$LAB_RUN/gen-vlan.cap" bad="$LAB_RUN/damaged.cap"
	head -c "$(($(stat -c %s "$cap") - 100))" "$cap" >"$bad"
	"$REPLAY" -c "$CONF" "$bad" >"$LAB_RUN/damaged.out" 2>"$LAB_RUN/damaged.err" || rc=$?
	cat "$LAB_RUN/damaged.err"
	[ "$rc" -eq 1 ] && grep -q "damaged capture" "$LAB_RUN/damaged.err" &&
		grep -q "ban ip 203.0.113.66 reason=density" "$LAB_RUN/damaged.out"
}
lab_check "a damaged capture: bans up to the damage, then exit 1" check_damaged

check_blocklist() {
	local out=$LAB_RUN/blocklist.out
	printf '# test list\n203.0.113.0/24\n' >"$LAB_RUN/blocklist.txt"
	{ cat "$CONF"; printf '  blocklist_files: [%s]\n' "$LAB_RUN/blocklist.txt"; } >"$LAB_RUN/bl.yml"
	"$REPLAY" -c "$LAB_RUN/bl.yml" "$LAB_RUN/gen-vlan.cap" | tee "$out"
	# banned from the first packet: no density ban, every request dropped
	! grep -q " ban " "$out" && grep -q "verdicts: pass=0 .* banned-ip=40 " "$out" &&
		grep -Eq "^  ip +203\.0\.113\.0/24 +blocklist +40 packets dropped" "$out"
}
lab_check "blocklist_files are in force from the first packet" check_blocklist

check_not_a_capture() {
	local rc=0
	"$REPLAY" -c "$CONF" "$CONF" 2>&1 || rc=$?
	[ "$rc" -eq 1 ] || return 1
	rc=0
	"$REPLAY" -c "$CONF" "$LAB_RUN/missing.pcap" 2>&1 || rc=$?
	[ "$rc" -eq 1 ] || return 1
	rc=0
	"$REPLAY" 2>&1 || rc=$?
	[ "$rc" -eq 2 ]
}
lab_check "not a capture, missing file, no file: exit 1, 1, 2" check_not_a_capture

# ---------------------------------------------------------------- import-ngcp

NGCP_CONF=$LAB_RUN/ngcp.yml
check_import_seed() {
	"$CTL" import-ngcp "$SEED_NGCP" >"$NGCP_CONF" || return 1
	cat "$NGCP_CONF"
	"$SIPWARDEN_BUILD/sipwarden" --check-config -c "$NGCP_CONF" &&
		grep -q "^  dos_reqs_density_per_unit: 50$" "$NGCP_CONF" &&
		grep -q "^  failed_auth_ban_time: 3600$" "$NGCP_CONF"
}
lab_check "import-ngcp of the seed settings passes --check-config" check_import_seed

# ---------------------------------------------------------------- the lab

PCAP=$LAB_RUN/lab.pcap
check_record() {
	local pid out=$LAB_RUN/traffic.out
	rm -f "$PCAP"
	# --immediate-mode -U: each packet is read and written at once (a
	# SIGTERM must not lose the last buffered block); -Z root: no privilege
	# drop, so the file may live in any directory root can write.
	(exec ip netns exec "$LAB_NS_SRV" tcpdump -i eth0 -n --immediate-mode -U -Z root -w "$PCAP" \
		udp port 5060 2>"$LAB_RUN/tcpdump.log") &
	pid=$!
	lab_pid_record tcpdump "$pid"
	lab_wait_for "grep -q 'listening on eth0' '$LAB_RUN/tcpdump.log'" 10 ||
		{ cat "$LAB_RUN/tcpdump.log"; return 1; }
	{
		lab_sipclient "$LAB_NS_CLI" register --src 203.0.113.10 --server "$LAB_SRV4" \
			--user 110 --domain example.org --password pw-110 --count 3 &&
			lab_sipclient "$LAB_NS_ATK" flood --src 203.0.113.66 --server "$LAB_SRV4" \
				--rate 300 --duration 2 --method REGISTER &&
			lab_atk_src 203.0.113.69 &&
			{ lab_atk timeout 40 svcrack -u105 -r1-6 "$LAB_SRV4" || true; } &&
			lab_atk_src "$LAB_ATK4_FIRST" &&
			lab_sipclient "$LAB_NS_CLI" register --src 203.0.113.10 --server "$LAB_SRV4" \
				--user 110 --domain example.org --password pw-110 --count 3
	} >"$out" 2>&1 || { cat "$out"; lab_pid_stop tcpdump 5; return 1; }
	sleep 1
	lab_pid_stop tcpdump 10
	cat "$out" "$LAB_RUN/tcpdump.log"
	# every packet the filter took is in the file
	[ -s "$PCAP" ] && [ "$(sed -n 's/^\([0-9]*\) packets captured$/\1/p' "$LAB_RUN/tcpdump.log")" = \
		"$(sed -n 's/^\([0-9]*\) packets received by filter$/\1/p' "$LAB_RUN/tcpdump.log")" ]
}
lab_check "record legit client, flood and svcrack with tcpdump in $LAB_NS_SRV" check_record

OUT=$LAB_RUN/replay.out
check_replay_bans() {
	"$REPLAY" -c "$CONF" "$PCAP" >"$OUT" || return 1
	cat "$OUT"
	grep -E "Z ban ip 203\.0\.113\.66 reason=density time=120s: IP '203\.0\.113\.66' is blocked and banned - R=sip:[^ ]+ ID=[^ ]+$" "$OUT" &&
		grep -E "Z ban user 105@$DOM reason=auth time=120s: Consecutive Authentication Failure for '105@$DOM' UA='friendly-scanner' IP='203\.0\.113\.69' - R=[^ ]+ ID=[^ ]+$" "$OUT" &&
		[ "$(grep -c ' ban ' "$OUT")" -eq 2 ]
}
lab_check "replay bans 203.0.113.66 for density and 105@$DOM for auth failures" check_replay_bans

check_legit_untouched() {
	grep -E '203\.0\.113\.10([^0-9]|$)|110@' "$OUT" && return 1
	# 2 x 3 registrations of the client, each answered 200 after a challenge
	grep -E '^auth: +[0-9]+ failures, 6 successes' "$OUT" &&
		grep -Eq '^verdicts: pass=[1-9]' "$OUT"
}
lab_check "replay never lists the legit client (203.0.113.10, 110@)" check_legit_untouched

check_summary() {
	local n sent
	grep -E '^SIP: +[1-9][0-9]* messages judged' "$OUT" || return 1
	grep -E '^auth: +([3-9]|[1-9][0-9]+) failures' "$OUT" || return 1
	grep -E '^bans: +1 IP \(density 1\), 1 user, 0 refused' "$OUT" || return 1
	# The flood went on after the ban: of what its client sent (however
	# many its machine managed), 30 pass, the 31st bans, every later one
	# is dropped as banned.
	sent=$(sed -n 's/^sent \([0-9]*\) .*/\1/p' "$LAB_RUN/traffic.out")
	n=$(sed -n 's/^verdicts:.* banned-ip=\([0-9]*\).*/\1/p' "$OUT")
	echo "banned-ip drops: $n of the flood's $sent"
	[ -n "$sent" ] && [ "$sent" -gt 31 ] && [ "$n" -ge $((sent - 31)) ] && [ "$n" -lt "$sent" ]
}
lab_check "summary counts messages, failures, bans and drops" check_summary

check_server_option_and_quiet() {
	"$REPLAY" -q -c "$CONF" --server "$LAB_SRV4" "$PCAP" >"$LAB_RUN/replay-q.out" || return 1
	cat "$LAB_RUN/replay-q.out"
	# bans only: exactly the two ban lines, as without --server
	[ "$(wc -l <"$LAB_RUN/replay-q.out")" -eq 2 ] &&
		diff <(grep ' ban ' "$OUT") "$LAB_RUN/replay-q.out"
}
lab_check "--server gives the same bans; -q prints the bans only" check_server_option_and_quiet

check_json() {
	"$REPLAY" --json -c "$CONF" "$PCAP" >"$LAB_RUN/replay.json" || return 1
	python3 - "$LAB_RUN/replay.json" "$DOM" <<'EOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
bans = {(e["kind"], e["key"], e["reason"]) for e in lines if e.get("event") == "ban"}
print(sorted(bans))
assert bans == {("ip", "203.0.113.66", "density"), ("user", "105@" + sys.argv[2], "auth")}
s = lines[-1]["summary"]
assert s["bans"]["ip"] == 1 and s["bans"]["user"] == 1 and s["auth_failures"] >= 3, s
EOF
}
lab_check "--json: one valid object per line, same bans, summary last" check_json

check_ngcp_config_replay() {
	local out=$LAB_RUN/replay-ngcp.out
	"$REPLAY" -c "$NGCP_CONF" "$PCAP" >"$out" || return 1
	cat "$out"
	# The NGCP seed: 50 per 2 s still catches the 300/s flood; the default
	# User-Agent blacklist catches svcrack first (friendly-scanner).
	grep -E "Z ban ip 203\.0\.113\.66 reason=density time=3600s: " "$out" &&
		grep -E "Z ban ip 203\.0\.113\.69 reason=ua time=3600s: Request rejected, malicious UA='friendly-scanner' from IP='203\.0\.113\.69' - R=" "$out" &&
		! grep -E '203\.0\.113\.10([^0-9]|$)' "$out"
}
lab_check "replay with the config imported from the NGCP seed" check_ngcp_config_replay

check_default_config() {
	local err=$LAB_RUN/replay-default.err
	if [ -d /etc/sipwarden ]; then
		# hide an installed configuration in a private mount namespace
		unshare -m sh -c 'mount -t tmpfs none /etc/sipwarden && exec "$@"' sh \
			"$REPLAY" -q "$PCAP" 2>"$err" >/dev/null || return 1
	else
		"$REPLAY" -q "$PCAP" 2>"$err" >/dev/null || return 1
	fi
	cat "$err"
	grep -q "does not exist: using the built-in defaults" "$err"
}
lab_check "without -c and without /etc/sipwarden/sipwarden.yml: built-in defaults, said so" check_default_config

# ---------------------------------------------------------------- the daemon
# and sipwarden-replay on one capture

BOTH_CONF=$LAB_RUN/both.yml
cat >"$BOTH_CONF" <<'EOF'
# daemon vs replay: SIP on UDP and TCP 5060, the User-Agent blacklist at its
# defaults (friendly-scanner on REGISTER bans), a density limit nothing here
# reaches (so no verdict depends on timing).
queue:
  first: 0
  count: 2
sip:
  udp_ports: [5060]
  tcp_ports: [5060]
  tls_ports: [5061]
security:
  dos_ban_enable: yes
  dos_ban_time: 120
  dos_reqs_density_per_unit: 1000
  dos_sampling_time_unit: 2
  ua_ban_time: 120
EOF
SCANNER_MSG=$LAB_RUN/scanner.sip
sed 's/^User-Agent: .*/User-Agent: friendly-scanner/' \
	"$SIPWARDEN_SRC/tests/integration/msgs/register_ok.sip" >"$SCANNER_MSG"
TCPSEND=(/usr/bin/python3 "$SIPWARDEN_SRC/tests/integration/tcpsend.py")
BOTH_PCAP=$LAB_RUN/both.pcap

check_record_both() {
	local pid out=$LAB_RUN/both-traffic.out
	lab_rules install "$BOTH_CONF" >/dev/null || return 1
	lab_sipwarden_start "$BOTH_CONF" || return 1
	rm -f "$BOTH_PCAP"
	(exec ip netns exec "$LAB_NS_SRV" tcpdump -i eth0 -n --immediate-mode -U -Z root \
		-w "$BOTH_PCAP" port 5060 2>"$LAB_RUN/tcpdump-both.log") &
	pid=$!
	lab_pid_record tcpdump "$pid"
	lab_wait_for "grep -q 'listening on eth0' '$LAB_RUN/tcpdump-both.log'" 10 ||
		{ cat "$LAB_RUN/tcpdump-both.log"; return 1; }
	# Each attacker sends one message (UDP) or one segment (TCP): what a
	# kernel ban drops afterwards never reaches the daemon, while the
	# capture has it (a TCP retransmission is framed as dropped already,
	# by both, and judged by neither).
	{
		lab_sipclient "$LAB_NS_CLI" register --src 203.0.113.10 --server "$LAB_SRV4" \
			--user 110 --domain example.org --password pw-110 --count 2 &&
			lab_cli "${TCPSEND[@]}" register 203.0.113.11 "$LAB_SRV4" "Linphone/5.0" &&
			lab_cli "${TCPSEND[@]}" register 203.0.113.12 "$LAB_SRV4" "Linphone/5.0" \
				--twice &&
			lab_cli "${TCPSEND[@]}" register 203.0.113.13 "$LAB_SRV4" "Linphone/5.0" \
				--segments 3 &&
			{ lab_atk "${TCPSEND[@]}" register 203.0.113.67 "$LAB_SRV4" \
				"friendly-scanner" || true; } &&
			{ lab_sipclient "$LAB_NS_ATK" send --src 203.0.113.68 --server "$LAB_SRV4" \
				--file "$SCANNER_MSG" --wait 0 || true; } &&
			{ lab_sipclient "$LAB_NS_ATK" send --src 203.0.113.70 --server "$LAB_SRV4" \
				--file "$SIPWARDEN_SRC/tests/integration/msgs/register_no_callid.sip" \
				--wait 1 || true; } &&
			lab_sipclient "$LAB_NS_CLI" register --src 203.0.113.10 --server "$LAB_SRV4" \
				--user 110 --domain example.org --password pw-110
	} >"$out" 2>&1 || { cat "$out"; lab_pid_stop tcpdump 5; return 1; }
	sleep 1
	lab_pid_stop tcpdump 10
	cat "$out" "$LAB_RUN/tcpdump-both.log"
	"$CTL" --socket "$LAB_RUN/control.sock" --json stats >"$LAB_RUN/both-daemon-stats.json" &&
		"$CTL" --socket "$LAB_RUN/control.sock" --json bans >"$LAB_RUN/both-daemon-bans.json" ||
		return 1
	lab_sipwarden_stop
	lab_rules remove "$BOTH_CONF" >/dev/null
	[ -s "$BOTH_PCAP" ]
}
lab_check "record UDP and TCP, legit and attacks, while the daemon judges them" check_record_both

check_same_verdicts() {
	"$REPLAY" --json -c "$BOTH_CONF" --server "$LAB_SRV4" "$BOTH_PCAP" \
		>"$LAB_RUN/both-replay.json" || return 1
	python3 - "$LAB_RUN/both-daemon-stats.json" "$LAB_RUN/both-daemon-bans.json" \
		"$LAB_RUN/both-replay.json" <<'EOF'
import json, sys
st = json.load(open(sys.argv[1]))
dbans = {(b["kind"], b["key"]) for b in json.load(open(sys.argv[2]))["bans"]}
s = [json.loads(l) for l in open(sys.argv[3])][-1]["summary"]
rbans = {(b["kind"], b["key"]) for b in s["in_force"]}
dv = {k: v for k, v in st["verdicts"].items() if v}
rv = {k: v for k, v in s["verdicts"].items() if v}
print("daemon verdicts:", dv, "bans:", sorted(dbans))
print("replay verdicts:", rv, "bans:", sorted(rbans))
print("daemon tcp_segments:", st["tcp_segments"], "replay tcp_segments:", s["tcp_segments"])
assert dv == rv, "verdicts differ"
assert dbans == rbans, "bans differ"
# what the capture held: TCP judged, both attackers banned, the malformed
# message dropped, the legitimate clients passed
assert s["tcp_segments"] > 0 and st["tcp_segments"] > 0
assert dbans == {("ip", "203.0.113.67"), ("ip", "203.0.113.68")}, dbans
assert rv.get("ua") == 2 and rv.get("malformed") == 1 and rv.get("pass", 0) >= 8, rv
EOF
}
lab_check "daemon and sipwarden-replay: the same verdicts and bans, TCP included" \
	check_same_verdicts

lab_summary
