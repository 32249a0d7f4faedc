#!/bin/bash
# Integration: per-user authentication-failure bans from the SIP server's own
# replies (host mode: Kamailio's replies are queued from OUTPUT, accepted at
# once and read after the verdict), against a real Kamailio with digest auth.
#  - svcrack against 105 gets 105@<domain> banned after 3 wrong passwords;
#    during the ban 105's REGISTER with the RIGHT password from a clean
#    address is dropped; 106 keeps registering; after an unban 105 registers
#  - a challenge followed by good credentials never counts; N-1 failures and
#    a success reset the count; failures from different IPs add up
#  - failed_auth_ban_target: ip bans the attacker's IP instead, and 105 can
#    still register from elsewhere
#  - the seed's fail2ban regex matches the log line
set -euo pipefail

: "${SIPWARDEN_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
export SIPWARDEN_SRC
# shellcheck source=SCRIPTDIR/../lab/lab.sh
. "$SIPWARDEN_SRC/tests/lab/lab.sh"
# shellcheck source=SCRIPTDIR/lib_sw.sh
. "$SIPWARDEN_SRC/tests/integration/lib_sw.sh"
trap lab_down EXIT

CONF="$SIPWARDEN_SRC/tests/integration/conf/auth.yml"
CONF_IP="$SIPWARDEN_SRC/tests/integration/conf/auth_ip.yml"
CTL=("$SIPWARDEN_BUILD/sipwardenctl" --socket "$LAB_RUN/control.sock")
DOM=$LAB_SRV4 # svcrack puts the server address in From: the user is 105@198.51.100.1
lab_require_tools ip ss kamailio svcrack python3 iptables ipset timeout fail2ban-regex
lab_up
lab_kamailio_start
lab_rules install "$CONF"
lab_sipwarden_start "$CONF"

ctl() { lab_srv "${CTL[@]}" "$@"; }
reg() { # reg SRC USER PASSWORD
	lab_sipclient "$LAB_NS_CLI" register --src "$1" --server "$LAB_SRV4" --user "$2" \
		--domain "$DOM" --password "$3" --timeout 2
}
auth_failures() {
	kill -USR1 "$(lab_pid_get sipwarden)"
	sleep 0.3
	grep 'stats:' "$SWLOG" | tail -1 | sed -n 's/.* auth_failures=\([0-9]*\).*/\1/p'
}

check_svcrack_user_ban() {
	lab_atk_src 203.0.113.69
	lab_atk timeout 40 svcrack -u105 -r1-6 "$LAB_SRV4" >/dev/null 2>&1 || true
	lab_atk_src "$LAB_ATK4_FIRST"
	grep "Consecutive Authentication Failure for '105@$DOM' UA='friendly-scanner' IP='203.0.113.69' - R=" "$SWLOG" || return 1
	ctl bans user | tee /dev/stderr | grep -q "105@$DOM"
}
lab_check "svcrack gets 105@$DOM banned after 3 wrong passwords" check_svcrack_user_ban

check_banned_user_dropped() {
	local before after
	before=$(lab_count "AUTH result=ok .*user=105@" "$KLOG")
	if reg 203.0.113.20 105 pw-105; then
		echo "banned user registered"
		return 1
	fi
	after=$(lab_count "AUTH result=ok .*user=105@" "$KLOG")
	echo "Kamailio AUTH ok for 105: $before -> $after"
	[ "$after" -eq "$before" ]
}
lab_check "during the ban 105 with the right password is dropped (clean address)" check_banned_user_dropped
lab_check "106 keeps registering" reg 203.0.113.21 106 pw-106

check_unban_user() {
	ctl unban user "105@$DOM" || return 1
	reg 203.0.113.20 105 pw-105
}
lab_check "after unban 105 registers again" check_unban_user

check_challenge_never_counts() {
	local f0 f1
	f0=$(auth_failures)
	lab_sipclient "$LAB_NS_CLI" register --src 203.0.113.22 --server "$LAB_SRV4" --user 107 \
		--domain "$DOM" --password pw-107 --count 10 || return 1
	f1=$(auth_failures)
	echo "auth failures counted: $f0 -> $f1"
	[ "$f1" -eq "$f0" ] && ! ctl bans user | grep -q 107@
}
lab_check "challenge then success never counts (10 registrations)" check_challenge_never_counts

check_success_resets() {
	reg 203.0.113.23 108 wrong1 && return 1
	reg 203.0.113.23 108 wrong2 && return 1
	reg 203.0.113.23 108 pw-108 || return 1
	reg 203.0.113.23 108 wrong3 && return 1
	reg 203.0.113.23 108 wrong4 && return 1
	if ctl bans user | grep -q "108@"; then
		echo "banned after 2+success+2"
		return 1
	fi
	reg 203.0.113.23 108 wrong5 && return 1
	sleep 0.3
	ctl bans user | grep -q "108@$DOM"
}
lab_check "2 failures + success reset the count; 3 in a row ban" check_success_resets

check_failures_add_up() {
	local ip
	for ip in 203.0.113.24 203.0.113.25 2001:db8:c::26; do
		lab_sipclient "$LAB_NS_CLI" register --src "$ip" --server \
			"$([ "${ip#*:}" != "$ip" ] && echo "$LAB_SRV6" || echo "$LAB_SRV4")" \
			--user 109 --domain "$DOM" --password nope --timeout 2 && return 1
	done
	sleep 0.3
	ctl bans user | grep -q "109@$DOM"
}
lab_check "failures from different IPs (v4 and v6) add up" check_failures_add_up

check_fail2ban_seed_regex() {
	local out="$LAB_RUN/fail2ban-auth.out"
	fail2ban-regex --print-all-matched "$SWLOG" \
		"Consecutive Authentication Failure for '.*' UA='.*' IP='<HOST>'" >"$out" 2>&1 || return 1
	grep -E "Lines:|matched" "$out"
	grep -q "IP='203.0.113.69'" "$out" && grep -Eq "^Lines: .* [1-9][0-9]* matched" "$out"
}
lab_check "the seed's fail2ban regex matches the auth-failure line" check_fail2ban_seed_regex

# failed_auth_ban_target: ip
check_target_ip() {
	lab_sipwarden_stop
	ctl unban --all 2>/dev/null || true
	rm -f "$LAB_RUN/state/bans.state"
	lab_rules install "$CONF_IP" >/dev/null
	lab_sipwarden_start "$CONF_IP"
	lab_atk_src 203.0.113.70
	lab_atk timeout 40 svcrack -u105 -r1-6 "$LAB_SRV4" >/dev/null 2>&1 || true
	lab_atk_src "$LAB_ATK4_FIRST"
	ctl bans
	ctl bans ip | grep -q "203.0.113.70 .*auth" || return 1
	ctl bans user | grep -q "105@" && return 1
	[ -n "$(sw_set_timeout 203.0.113.70)" ] && reg 203.0.113.20 105 pw-105
}
lab_check "failed_auth_ban_target ip: attacker IP banned, 105 still registers" check_target_ip

lab_sipwarden_stop
lab_check "daemon log free of sanitizer reports" sw_sanitizer_clean
lab_summary
