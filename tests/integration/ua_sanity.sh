#!/bin/bash
# Integration: the User-Agent blacklist, the malformed-SIP checks and
# fail2ban compatibility, for real, in the namespace lab (tests/lab/lab.sh)
# with sipwarden in front of a real Kamailio registrar.
#  - svmap and svwar (UA friendly-scanner), IPv4 and IPv6, never reach
#    Kamailio, are logged with the NGCP wording and their sources banned
#    (kernel set; an IPv6 source may be banned as its /64). svmap scans
#    with INVITE here: OPTIONS, its default, is not a blacklisted method by
#    default (ua_blacklist_methods: REGISTER, INVITE), which is checked too;
#  - the default ^sipcli.+ drops UA sipcli/1.8 but not mysipcli;
#  - REGISTERs with a CSeq method other than REGISTER, a Content-Length not
#    matching the body or no Call-ID are dropped and logged, while the same
#    message well-formed gets through;
#  - 3000 packets of garbage and truncated SIP from one address: every one
#    judged (the density limit is above their rate), the daemon alive, the
#    log rate-limited, legitimate clients unaffected during and after;
#  - the seed's fail2ban failregex lines and the shipped filter, run with
#    the real fail2ban-regex on the daemon's log, find exactly the sources
#    the daemon rejected;
#  - a legitimate client registers throughout (v4 and v6).
set -euo pipefail

: "${SIPWARDEN_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
export SIPWARDEN_SRC
# shellcheck source=SCRIPTDIR/../lab/lab.sh
. "$SIPWARDEN_SRC/tests/lab/lab.sh"
# shellcheck source=SCRIPTDIR/lib_sw.sh
. "$SIPWARDEN_SRC/tests/integration/lib_sw.sh"
trap lab_down EXIT

CONF="$SIPWARDEN_SRC/tests/integration/conf/ua_sanity.yml"
F2B_FILTER="$SIPWARDEN_SRC/rules/fail2ban/filter.d/sipwarden.conf"
lab_require_tools ip ss kamailio sipsak svmap svwar python3 iptables ip6tables ipset timeout \
	fail2ban-regex
[ -x "$SIPWARDEN_BUILD/sipwarden" ] || lab_fail "build sipwarden first ($SIPWARDEN_BUILD)"
lab_up
lab_kamailio_start
lab_rules install "$CONF" >/dev/null || lab_fail "sipwarden-rules install failed"
lab_sipwarden_start "$CONF"

# The legitimate clients: sipsak (v4) and the lab's client (v6), run at
# every stage of the test.
check_legit() {
	sw_sipsak 203.0.113.10 110 >"$LAB_RUN/sipsak.legit.out" 2>&1 ||
		{ tail -5 "$LAB_RUN/sipsak.legit.out"; lab_cli_src "$LAB_CLI4_FIRST"; return 1; }
	lab_cli_src "$LAB_CLI4_FIRST"
	echo "sipsak 110 from 203.0.113.10: registered"
	sw_register 2001:db8:c::10 111
}
lab_check "legit clients register through sipwarden (before the attacks)" check_legit

# ---- scanners: UA friendly-scanner on REGISTER / INVITE

# ua_rejected SRC UA — the NGCP wording, IP quoted, R-URI and Call-ID
ua_rejected() {
	local ip=${1//./\\.} ua=${2//./\\.}
	lab_wait_for "grep -Eq \"Request rejected, malicious UA='$ua' from IP='$ip' - R=[^ ]+ ID=[^ ]+\$\" '$SWLOG'" 3
}

# scanned_and_banned SRC — nothing from SRC reached Kamailio, the UA line is
# logged, SRC is banned with reason ua (as itself or, IPv6, as its prefix)
# and that ban is in the kernel set. An IPv6 ban is lifted afterwards: all
# the lab's IPv6 attackers share one /64, and the next check needs it clean.
scanned_and_banned() {
	local src=$1 n t key line age
	n=$(sw_rcv_src "$src")
	echo "requests from $src that reached Kamailio: $n"
	[ "$n" -eq 0 ] || return 1
	ua_rejected "$src" friendly-scanner || { echo "no UA line for $src"; return 1; }
	grep -F "IP='$src'" "$SWLOG"
	key=$(sw_ban_key "$src")
	echo "ban covering $src: ${key:-none}"
	[ -n "$key" ] || return 1
	line=$(sw_ctl bans ip | grep -E "^ip +$key +ua ") || { echo "not listed with reason ua"; return 1; }
	echo "$line"
	t=$(sw_set_timeout "$key")
	age=$(awk '{ print $6 }' <<<"$line")
	echo "kernel set timeout: ${t:-none} (ua_ban_time 600, ban age ${age} s)"
	# given for 600 s (REMAINING rounded up + AGE rounded down), and the
	# kernel's timeout has run down by the ban's age, however long the
	# scan took
	awk '{ exit !($4 + $6 == 600 || $4 + $6 == 601) }' <<<"$line" || return 1
	[ -n "$t" ] && [ "$t" -ge $((600 - age - 2)) ] && [ "$t" -le 600 ] || return 1
	if [[ $src == *:* ]]; then
		sw_ctl unban ip "$key" || return 1
	fi
}

check_svmap() {
	local src=$1 out
	lab_atk_src "$src" || return 1
	if [[ $src == *:* ]]; then
		out=$(lab_atk timeout 30 svmap -6 -m INVITE "$LAB_SRV6" 2>&1) || { echo "$out"; return 1; }
	else
		out=$(lab_atk timeout 30 svmap -m INVITE "$LAB_SRV4" 2>&1) || { echo "$out"; return 1; }
	fi
	echo "$out"
	# svmap found nothing: no answer ever came back
	! grep -q 'sipwarden-lab-kamailio' <<<"$out" || return 1
	scanned_and_banned "$src"
}
check_svwar() {
	local src=$1 out
	lab_atk_src "$src" || return 1
	if [[ $src == *:* ]]; then
		out=$(lab_atk timeout 30 svwar -6 -x "[$src]" -e100-110 -m REGISTER "$LAB_SRV6" 2>&1) ||
			{ echo "$out"; return 1; }
	else
		out=$(lab_atk timeout 30 svwar -e100-110 -m REGISTER "$LAB_SRV4" 2>&1) ||
			{ echo "$out"; return 1; }
	fi
	echo "$out"
	! grep -q 'reqauth' <<<"$out" || return 1
	scanned_and_banned "$src"
}
lab_check "svmap -m INVITE (v4) never reaches Kamailio, 203.0.113.67 banned" check_svmap 203.0.113.67
lab_check "svmap -6 -m INVITE never reaches Kamailio, 2001:db8:a::67 banned" check_svmap 2001:db8:a::67
lab_check "svwar -m REGISTER (v4) never reaches Kamailio, 203.0.113.68 banned" check_svwar 203.0.113.68
lab_check "svwar -6 -m REGISTER never reaches Kamailio, 2001:db8:a::68 banned" check_svwar 2001:db8:a::68
lab_atk_src "$LAB_ATK4_FIRST"
lab_atk_src "$LAB_ATK6_FIRST"

check_sipcli_dropped() {
	local rc=0 n
	sw_register_from "$LAB_NS_ATK" 203.0.113.70 140 --ua sipcli/1.8 --timeout 1 || rc=$?
	echo "sipclient exit $rc (3 = no answer)"
	[ "$rc" -eq 3 ] || return 1
	n=$(sw_rcv_src 203.0.113.70)
	echo "requests from 203.0.113.70 that reached Kamailio: $n"
	[ "$n" -eq 0 ] && ua_rejected 203.0.113.70 sipcli/1.8 && sw_in_set 203.0.113.70
}
check_mysipcli_passes() {
	sw_register_from "$LAB_NS_ATK" 203.0.113.71 141 --ua mysipcli || return 1
	lab_assert_grep "AUTH result=ok .* src=203\.0\.113\.71 user=141@example\.org .*ua='mysipcli'" "$KLOG"
	! grep -q "IP='203.0.113.71'" "$SWLOG" && ! sw_in_set 203.0.113.71
}
check_options_scanner_passes() {
	local n
	lab_sipclient "$LAB_NS_ATK" options --src 203.0.113.72 --server "$LAB_SRV4" \
		--ua friendly-scanner || return 1
	n=$(lab_kamailio_rcv_count "method=OPTIONS src=203\.0\.113\.72 .*ua='friendly-scanner'")
	echo "OPTIONS from 203.0.113.72 in Kamailio's log: $n"
	[ "$n" -ge 1 ] && ! grep -q "IP='203.0.113.72'" "$SWLOG" && ! sw_in_set 203.0.113.72
}
lab_check "REGISTER with UA sipcli/1.8 is dropped and its source banned" check_sipcli_dropped
lab_check "REGISTER with UA mysipcli registers (^sipcli.+ does not match it)" check_mysipcli_passes
lab_check "OPTIONS with UA friendly-scanner reaches Kamailio (not a blacklisted method by default)" \
	check_options_scanner_passes
lab_check "legit clients register through sipwarden (after the scanners)" check_legit

# ---- malformed SIP (templates in msgs/; one packet each, no retransmission)

check_wellformed_twin() {
	sw_send "$LAB_NS_ATK" "$1" register_ok.sip --wait 2 | tee "$LAB_RUN/twin.out" || return 1
	grep -q '^reply: SIP/2.0 401 ' "$LAB_RUN/twin.out" &&
		[ "$(lab_kamailio_rcv_count "src=$1 .*ua='swtest-well-formed'")" -ge 1 ]
}
# check_malformed SRC FILE UA-MARKER FLAW
check_malformed() {
	local src=$1 file=$2 ua=$3 flaw=$4 rc=0 n ip
	sw_send "$LAB_NS_ATK" "$src" "$file" --wait 1 || rc=$?
	[ "$rc" -eq 1 ] || { echo "sipclient exit $rc: a reply came"; return 1; }
	n=$(lab_kamailio_rcv_count "ua='$ua'")
	echo "messages with UA $ua that reached Kamailio: $n"
	[ "$n" -eq 0 ] || return 1
	ip=${src//./\\.}
	lab_wait_for "grep -Eq \"NOTICE: Malformed SIP message detected - IP='$ip' flaw=$flaw - R=\" '$SWLOG'" 3 ||
		{ echo "no 'Malformed SIP message detected - IP='$src' flaw=$flaw' line"; return 1; }
	grep -F "IP='$src' flaw=$flaw" "$SWLOG"
}
lab_check "well-formed REGISTER template reaches Kamailio (v4)" check_wellformed_twin 203.0.113.73
lab_check "well-formed REGISTER template reaches Kamailio (v6)" check_wellformed_twin 2001:db8:a::73
lab_check "REGISTER with CSeq method INVITE is dropped and logged (v4)" \
	check_malformed 203.0.113.73 register_cseq_method.sip swtest-cseq-method cseq-method
lab_check "REGISTER with Content-Length 80 on a 50-byte body is dropped and logged" \
	check_malformed 203.0.113.73 register_cl_mismatch.sip swtest-content-length content-length-mismatch
lab_check "REGISTER without Call-ID is dropped and logged" \
	check_malformed 203.0.113.73 register_no_callid.sip swtest-no-call-id missing-call-id
lab_check "REGISTER with CSeq method INVITE is dropped and logged (v6)" \
	check_malformed 2001:db8:a::73 register_cseq_method.sip swtest-cseq-method cseq-method

# ---- garbage: 3000 packets of random bytes and truncated SIP from one address

malformed_count() { sw_ctl --json stats | sw_json_get "j['verdicts']['malformed']"; }
judged_count() { sw_ctl --json stats | sw_json_get "j['packets']"; }

check_garbage() {
	local m0 m1 q0 q1 j0 j1 open gpid ok=0 i
	m0=$(malformed_count) && j0=$(judged_count) && q0=$(sw_queued_total) || return 1
	lab_sipclient "$LAB_NS_ATK" garbage --src 203.0.113.74 --server "$LAB_SRV4" --count 3000 \
		--rate 2000 >"$LAB_RUN/garbage.out" 2>&1 &
	gpid=$!
	sleep 0.3
	for i in 1 2; do
		sw_register 203.0.113.11 112 && ok=$((ok + 1))
		sw_register 2001:db8:c::11 113 && ok=$((ok + 1))
	done
	wait "$gpid" || { cat "$LAB_RUN/garbage.out"; return 1; }
	cat "$LAB_RUN/garbage.out"
	grep -q '^sent 3000 ' "$LAB_RUN/garbage.out" || return 1
	echo "legit registrations during the garbage: $ok of 4"
	[ "$ok" -eq 4 ] || return 1
	sw_daemon_alive || { echo "sipwarden died"; tail -20 "$SWLOG"; return 1; }
	# Every packet queued was judged malformed (none left to a kernel
	# ban), or, only where the machine is slower than the 2000/s sent,
	# found the queue full and passed by fail-open: queued and not
	# judged. How long the daemon takes is not the check.
	lab_wait_for "[ \$((\$(malformed_count) - $m0)) -ge 2970 ]" 30 || true
	m1=$(malformed_count) && j1=$(judged_count) && q1=$(sw_queued_total) || return 1
	# (A packet in flight at the first reading may make it -1: none then.)
	open=$(((q1 - q0) - (j1 - j0)))
	[ "$open" -ge 0 ] || open=0
	echo "malformed verdicts: +$((m1 - m0)) for 3000 packets; queued +$((q1 - q0))," \
		"judged +$((j1 - j0)): $open passed by fail-open"
	[ $((m1 - m0 + open)) -ge 2970 ] || return 1
	! sw_in_set 203.0.113.74 || { echo "203.0.113.74 was banned"; return 1; }
	sw_register 203.0.113.12 114 && sw_register 2001:db8:c::12 115
}
lab_check "3000 garbage packets: daemon alive, all judged, legit clients unaffected" check_garbage

check_malformed_ratelimit() {
	local n
	n=$(lab_count "Malformed SIP message detected - IP='203\.0\.113\.74'" "$SWLOG")
	echo "log lines for 3000 malformed packets from 203.0.113.74: $n"
	grep -E 'malformed-SIP messages suppressed by rate limiting' "$SWLOG" | tail -3
	[ "$n" -ge 1 ] && [ "$n" -le 100 ] &&
		grep -Eq '^.* NOTICE: [0-9]+ malformed-SIP messages suppressed by rate limiting$' "$SWLOG"
}
lab_check "malformed-SIP log lines are rate-limited" check_malformed_ratelimit

# ---- a fragmented UDP message: sipwarden-rules registers the kernel's
# IP defragmentation (chain sipwarden-defrag), so the queue sees the whole
# datagram, judges it like any other and a benign one reaches Kamailio.
# tests/integration/evasion.sh covers malicious fragmented messages.

fragments_count() { sw_ctl --json stats | sw_json_get "j['fragments']"; }

check_fragment() {
	local f0 f1 r0 r1
	f0=$(fragments_count) || return 1
	r0=$(sw_rcv_src 203.0.113.79)
	# A 3000-byte OPTIONS over UDP with DF off: the kernel sends it in
	# three fragments (MTU 1500); only the first carries the UDP header.
	lab_atk /usr/bin/python3 - "$LAB_SRV4" <<'PY' || return 1
import socket, sys
body = "x" * 2600
msg = ("OPTIONS sip:100@example.org SIP/2.0\r\n"
       "Via: SIP/2.0/UDP 203.0.113.79:5062;branch=z9hG4bKfrag1\r\n"
       "Max-Forwards: 70\r\nFrom: <sip:frag@example.org>;tag=f1\r\n"
       "To: <sip:100@example.org>\r\nCall-ID: frag-1@203.0.113.79\r\n"
       "CSeq: 1 OPTIONS\r\nContent-Type: text/plain\r\n"
       "Content-Length: %d\r\n\r\n%s" % (len(body), body)).encode()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, 10, 0)  # IP_MTU_DISCOVER = IP_PMTUDISC_DONT
s.bind(("203.0.113.79", 5062))
for _ in range(3):
    s.sendto(msg, (sys.argv[1], 5060))
print("sent 3 x %d bytes" % len(msg))
PY
	lab_wait_for "[ \$((\$(sw_rcv_src 203.0.113.79) - $r0)) -ge 3 ]" 30 || true
	f1=$(fragments_count) || return 1
	r1=$(sw_rcv_src 203.0.113.79)
	echo "Kamailio received $((r1 - r0)) of 3; unreassembled fragments queued: $((f1 - f0))"
	[ $((r1 - r0)) -eq 3 ] && [ $((f1 - f0)) -eq 0 ] && sw_daemon_alive
}
lab_check "a fragmented benign UDP message is reassembled before the queue and reaches Kamailio" check_fragment
lab_check "legit clients register through sipwarden (after the garbage)" check_legit

# ---- fail2ban-regex on the daemon's own log

# Every source the daemon rejected for its User-Agent, sorted as sort -u does.
UA_SOURCES=$(printf '%s\n' 203.0.113.67 2001:db8:a::67 203.0.113.68 2001:db8:a::68 203.0.113.70 | sort -u)

check_f2b() {
	local what=$1 got
	got=$(sw_f2b_ips "$SWLOG" "$what") || { echo "fail2ban-regex failed"; return 1; }
	echo "fail2ban-regex found:"; echo "$got"
	echo "expected:"; echo "$UA_SOURCES"
	[ "$got" = "$UA_SOURCES" ]
}
check_f2b_aggressive() {
	local got
	got=$(sw_f2b_ips "$SWLOG" "${F2B_FILTER}[mode=aggressive]") || return 1
	echo "$got"
	# the UA sources plus the malformed ones, and no legitimate client
	grep -qx 203.0.113.73 <<<"$got" && grep -qx 2001:db8:a::73 <<<"$got" &&
		grep -qx 203.0.113.74 <<<"$got" && [ "$(grep -c '^203\.0\.113\.[12][0-9]$' <<<"$got")" -eq 0 ] &&
		[ "$(grep -cF -x -f <(echo "$UA_SOURCES") <<<"$got")" -eq 5 ]
}
lab_check "seed failregex \"Request rejected, malicious UA='.*' from IP='<HOST>'\" finds the scanners" \
	check_f2b "Request rejected, malicious UA='.*' from IP='<HOST>'"
lab_check "seed failregex variant \"... from IP='<HOST>\" finds the scanners" \
	check_f2b "Request rejected, malicious UA='.*' from IP='<HOST>"
lab_check "shipped filter.d/sipwarden.conf finds the scanners" check_f2b "$F2B_FILTER"
lab_check "shipped filter in mode=aggressive adds the malformed sources" check_f2b_aggressive

# Every sanity check is counted by its name (sipwardenctl stats).
check_counted_by_name() {
	local st
	st=$(lab_srv "$SIPWARDEN_BUILD/sipwardenctl" --socket "$LAB_RUN/control.sock" --json stats) || return 1
	sw_json_get "j['malformed']" <<<"$st"
	sw_json_get "j['malformed']['cseq-method'] >= 1 and j['malformed']['content-length-mismatch'] >= 1 and j['malformed']['missing-call-id'] >= 1 and sum(j['malformed'].values()) == j['verdicts']['malformed']" <<<"$st" |
		grep -qx True
}
lab_check "malformed messages are counted by check name" check_counted_by_name

check_stop() {
	lab_sipwarden_stop
	grep -q "sipwarden stopping" "$SWLOG" && grep -q "stats: packets=" "$SWLOG"
}
lab_check "SIGTERM: clean stop" check_stop
lab_check "daemon log free of sanitizer reports" sw_sanitizer_clean

lab_summary
