#!/bin/bash
# Integration: issue 17, items 6-9 (the rest is tests/integration/abuse.sh).
#  - sipvicious' svwar with a benign User-Agent (patched in a copy) is
#    dropped and banned by its fingerprints alone (two traits agree), and
#    the ban line names both; legitimate clients keep registering
#  - sipwarden --check-config refuses banned_user_reply: 403 for a process
#    without CAP_NET_RAW, saying what to change; drop passes (benign twin)
#  - with banned_user_reply: 403, a banned user's requests from spoofed
#    sources get one answer per victim per 2 s and 40 at once overall
#    (the reflection), yet the answers do go out
#  - a user key carrying a decoded newline and a forged ban line is logged
#    escaped, at its ban and at its expiry (no fail2ban match)
set -euo pipefail

: "${SIPWARDEN_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
export SIPWARDEN_SRC
# shellcheck source=SCRIPTDIR/../lab/lab.sh
. "$SIPWARDEN_SRC/tests/lab/lab.sh"
# shellcheck source=SCRIPTDIR/lib_sw.sh
. "$SIPWARDEN_SRC/tests/integration/lib_sw.sh"
trap lab_down EXIT

lab_require_tools ip ss kamailio svwar python3 iptables ipset timeout setpriv fail2ban-regex
lab_up
lab_kamailio_start
CONF="$SIPWARDEN_SRC/tests/integration/conf/abuse_misc.yml"
lab_rules install "$CONF"
lab_sipwarden_start "$CONF"

SVP="$LAB_RUN/svpatched"
rm -rf "$SVP"
cp -r /usr/share/sipvicious "$SVP"
sed -i "s/useragent='friendly-scanner'/useragent='Z 3.15.1 rv1.0'/" "$SVP/sipvicious/libs/svhelper.py"

check_legit_before() {
	sw_register 203.0.113.15 115
}
lab_check "a legitimate client registers" check_legit_before

check_svwar_fingerprints() {
	local n try
	grep -q "Z 3.15.1" "$SVP/sipvicious/libs/svhelper.py" || return 1
	lab_atk_src 203.0.113.69
	# svwar gives up after its first request when that gets no answer. The
	# request carries both traits unless its random Via branch number has
	# fewer than 9 digits (2.3% of runs: one trait, dropped but not banned,
	# by design, scanner.c), which failed one run in the lab. A new run
	# draws a new number: up to three (all short: 1 run in 80000).
	for try in 1 2 3; do
		lab_atk timeout 60 /usr/bin/python3 "$SVP/sipvicious_svwar" -e300-310 -m REGISTER \
			"$LAB_SRV4" >/dev/null 2>&1 || true
		[ -n "$(sw_set_timeout 203.0.113.69)" ] && break
		echo "svwar run $try: no ban (a one-trait first request), again"
	done
	lab_atk_src "$LAB_ATK4_FIRST"
	n=$(lab_kamailio_rcv_count "src=203\.0\.113\.69 ")
	echo "svwar requests that reached Kamailio: $n"
	grep -E "malicious UA='Z 3.15.1 rv1.0' from IP='203.0.113.69' .*fingerprint=via-branch\+from-tag" \
		"$SWLOG" | head -2
	grep -Eq "malicious UA='Z 3.15.1 rv1.0' from IP='203.0.113.69' .*fingerprint=via-branch\+from-tag" \
		"$SWLOG" && [ -n "$(sw_set_timeout 203.0.113.69)" ] && [ "$n" -le 1 ]
}
lab_check "svwar with a benign UA: dropped and banned by two fingerprint traits" check_svwar_fingerprints

check_legit_after() {
	sw_register 203.0.113.15 115 && sw_register 2001:db8:c::15 115
}
lab_check "legitimate clients still register (IPv4, IPv6)" check_legit_after

check_cap_net_raw() {
	local c403="$LAB_RUN/c403.yml" cdrop="$LAB_RUN/cdrop.yml" out
	printf 'security:\n  banned_user_reply: 403\n' >"$c403"
	printf 'security:\n  banned_user_reply: drop\n' >"$cdrop"
	chmod 0644 "$c403" "$cdrop"
	chmod o+x "$LAB_RUN" 2>/dev/null || true
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
		"$SIPWARDEN_BUILD/sipwarden" --check-config -c "$c403" 2>&1) && return 1
	echo "$out"
	echo "$out" | grep -q "needs raw IP sockets (CAP_NET_RAW)" &&
		echo "$out" | grep -q "AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW" &&
		setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
			"$SIPWARDEN_BUILD/sipwarden" --check-config -c "$cdrop" &&
		"$SIPWARDEN_BUILD/sipwarden" --check-config -c "$c403"
}
lab_check "banned_user_reply: 403 without CAP_NET_RAW refused by --check-config, with the fix" \
	check_cap_net_raw

# Issue 17, attack 9: banned_user_reply: 403 as a reflector. Requests of a
# banned user from spoofed sources may make sipwarden answer at most once
# per destination per REPLYLIMIT_INTERVAL_MS (2 s), and at most
# REPLYLIMIT_RATE (20) a second after a burst of 40 overall.
SRV_MAC=$(lab_srv cat /sys/class/net/eth0/address)
spoof() { # spoof SRC TEXT [spoof.py options...] - datagrams "from" SRC to the server
	local src=$1 text=$2 dst=$LAB_SRV4
	shift 2
	case $src in *:*) dst=$LAB_SRV6 ;; esac
	lab_net /usr/bin/python3 "$SIPWARDEN_SRC/tests/integration/spoof.py" --iface srv0 \
		--dst-mac "$SRV_MAC" --src "$src" --dst "$dst" --text "$text" "$@"
}
banned_user_msg() {
	cat <<-MSG
	REGISTER sip:example.org SIP/2.0
	Via: SIP/2.0/UDP \${SRC}:5060;branch=z9hG4bK-\${N}-refl;rport
	From: <sip:120@example.org>;tag=refl\${N}
	To: <sip:120@example.org>
	Call-ID: reflect-\${N}@example.org
	CSeq: 1 REGISTER
	Contact: <sip:120@\${SRC}:5060>
	User-Agent: Yealink SIP-T46S 66.86.0.15
	Max-Forwards: 70
	Content-Length: 0

	MSG
}
replies_403() { sw_ctl --json stats | sw_json_get "j['replies_403']"; }
banned_user_drops() { sw_ctl --json stats | sw_json_get "j['verdicts'].get('banned-user', 0)"; }
check_403_reflection() {
	local c403="$LAB_RUN/abuse_403.yml" r0 r1 r2 t0 t1 secs
	cp "$CONF" "$c403"
	printf '  banned_user_reply: 403\n' >>"$c403"
	lab_sipwarden_start "$c403" || return 1
	sw_ctl ban user 120@example.org --time 600 || return 1
	r0=$(replies_403)
	# 40 requests "from" one victim (below the density limit, so that
	# the victim stays unbanned and asking): one answer per 2 s at most
	t0=$(date +%s%N)
	spoof 203.0.113.81 "$(banned_user_msg)" --count 40 || return 1
	lab_wait_for "[ \$(banned_user_drops) -ge 40 ]" 5 || return 1
	t1=$(date +%s%N)
	secs=$(((t1 - t0) / 1000000000 + 1))
	r1=$(replies_403)
	echo "one victim: $((r1 - r0)) answers to 40 requests within $secs s"
	[ "$r1" -gt "$r0" ] && [ $((r1 - r0)) -le $((secs / 2 + 1)) ] || return 1
	# 150 requests "from" 150 victims (203.0.113.100-249: the server
	# has a route there, so every answer could go out): 40 answers at
	# once, then 20 a second
	t0=$(date +%s%N)
	spoof 203.0.113.100 "$(banned_user_msg)" --count 150 --vary-src || return 1
	lab_wait_for "[ \$(banned_user_drops) -ge 190 ]" 10 || return 1
	t1=$(date +%s%N)
	secs=$(((t1 - t0) / 1000000000 + 1))
	r2=$(replies_403)
	echo "150 victims: $((r2 - r1)) answers within $secs s (bound $((40 + 20 * secs)))"
	[ $((r2 - r1)) -ge 20 ] && [ $((r2 - r1)) -le $((40 + 20 * secs)) ]
}
lab_check "banned_user_reply: 403 answers spoofed sources at most once per 2 s each, 20/s overall" \
	check_403_reflection

# Issue 17, attack 7: log injection at ban expiry. A user key holds what
# the attacker wrote, percent-decoded (a From user, when the credentials'
# username does not parse): a newline and a forged ban line. The lab's
# Kamailio answers 404, not 401, for a user outside 100-199, so the key is
# planted where such a ban also lives, the state file (escaped there, as
# the daemon writes it), with 121@example.org as its benign twin. At
# their expiry neither line may carry a raw control byte, and the shipped
# fail2ban filter may find no host in the log (the unit test at the root
# cause: test_logescape).
FORGED="evil%0Asipwarden%3A%20IP%20%27203.0.113.99%27%20is%20blocked%20and%20banned%20-%20R=x"
check_expiry_injection() {
	local now hosts
	lab_sipwarden_stop
	now=$(date +%s)
	cat >"$LAB_RUN/state/bans.state" <<-STATE
	# sipwarden state 1
	user $FORGED@example.org 0 auth $((now + 3)) $now
	user 121@example.org 0 auth $((now + 3)) $now
	end 2
	STATE
	lab_sipwarden_start "$CONF" || return 1
	sw_ctl bans user
	sw_ctl bans user | grep -q '121@example.org' || return 1
	lab_wait_for "grep -q \"ban of '121@example.org' (auth) expired\" '$SWLOG' &&
		grep -q \"ban of 'evil.*expired\" '$SWLOG'" 15 || return 1
	grep -a -E "evil|121@" "$SWLOG"
	# every line starts with the daemon's own prefix: none was forged
	! grep -a -v -E '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]+ sipwarden\[[0-9]+\]: ' "$SWLOG" | grep -q . || return 1
	! LC_ALL=C grep -a -q -P '[\x00-\x08\x0b-\x1f\x7f]' "$SWLOG" || return 1
	hosts=$(fail2ban-regex -o ip "$SWLOG" "$SIPWARDEN_SRC/rules/fail2ban/filter.d/sipwarden.conf" |
		sort -u | tr '\n' ' ')
	echo "hosts the fail2ban filter finds: ${hosts:-none}"
	[[ " $hosts " != *" 203.0.113.99 "* ]]
}
lab_check "log injection at ban expiry: a forged ban line in a user key stays one escaped line" \
	check_expiry_injection

lab_check "daemon log free of sanitizer reports" sw_sanitizer_clean

lab_summary
