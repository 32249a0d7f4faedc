#!/bin/bash
# Integration: the daemon core and the kernel ban sets, for real, in the
# namespace lab (tests/lab/lab.sh) in front of a real Kamailio registrar.
#  - legitimate sipsak (v4) and sipclient (v6) REGISTERs pass through sipwarden
#  - a bounded REGISTER flood bans its source within the sampling window; the
#    kernel set holds it with the ban's timeout and drops its later packets
#    before the queue, while another client keeps registering
#  - a whitelisted address above the limit is never banned
#  - the rtpengine-style rules and the operator's rules stay byte-for-byte as
#    they were through install, run, SIGKILL, restart and remove, and the
#    operator's DROP still drops
#  - SIGKILL: legit SIP keeps flowing (queue bypass), the banned source stays
#    dropped (kernel set); restart re-syncs the set (stray out, missing in)
set -euo pipefail

: "${SIPWARDEN_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
export SIPWARDEN_SRC
# shellcheck source=SCRIPTDIR/../lab/lab.sh
. "$SIPWARDEN_SRC/tests/lab/lab.sh"
# shellcheck source=SCRIPTDIR/lib_sw.sh
. "$SIPWARDEN_SRC/tests/integration/lib_sw.sh"
trap lab_down EXIT

CONF="$SIPWARDEN_SRC/tests/integration/conf/core.yml"
lab_require_tools ip ss kamailio sipsak python3 iptables ip6tables ipset timeout
[ -x "$SIPWARDEN_BUILD/sipwarden" ] || lab_fail "build sipwarden first ($SIPWARDEN_BUILD)"
lab_up
lab_kamailio_start

sw_operator_rules
BASELINE="$LAB_RUN/foreign-rules.baseline"
sw_foreign_rules >"$BASELINE"

same_foreign_rules() {
	sw_foreign_rules >"$LAB_RUN/foreign-rules.now"
	diff -u "$BASELINE" "$LAB_RUN/foreign-rules.now"
}

check_install_idempotent() {
	lab_rules install "$CONF" || return 1
	lab_srv iptables-save | grep sipwarden >"$LAB_RUN/ours.1"
	lab_rules install "$CONF" || return 1
	lab_srv iptables-save | grep sipwarden >"$LAB_RUN/ours.2"
	diff -u "$LAB_RUN/ours.1" "$LAB_RUN/ours.2" || return 1
	cat "$LAB_RUN/ours.1"
	# queued: SIP over UDP only; bans: raw table, ahead of everything
	grep -q -- '-A sipwarden -p udp -m udp --dport 5060 -j NFQUEUE --queue-balance 0:1 --queue-bypass' "$LAB_RUN/ours.1" &&
		[ "$(lab_srv iptables -w -t raw -S PREROUTING | sed -n 2p)" = "-A PREROUTING -j sipwarden-ban" ]
}
lab_check "rules install is idempotent and queues only SIP" check_install_idempotent
lab_check "foreign rules unchanged after install" same_foreign_rules

lab_sipwarden_start "$CONF"

check_sipsak_10() {
	local i ok=0
	for i in $(seq 10 19); do
		if sw_sipsak "203.0.113.$i" "1$i" >"$LAB_RUN/sipsak.$i.out" 2>&1; then
			ok=$((ok + 1))
		else
			echo "sipsak from 203.0.113.$i failed:"; tail -5 "$LAB_RUN/sipsak.$i.out"
		fi
	done
	lab_cli_src "$LAB_CLI4_FIRST"
	echo "$ok of 10 sipsak clients registered"
	[ "$ok" -eq 10 ]
}
check_v6_10() {
	local i ok=0
	for i in $(seq 10 19); do
		sw_register "2001:db8:c::$i" "1$i" && ok=$((ok + 1))
	done
	echo "$ok of 10 IPv6 clients registered"
	[ "$ok" -eq 10 ]
}
lab_check "10 sipsak clients register through sipwarden (v4)" check_sipsak_10
lab_check "10 clients register through sipwarden (v6)" check_v6_10

# A flood of 500 REGISTER/s for 5 s from one attacker, with a legitimate
# client registering from another address while it runs.
check_flood_v4() {
	local fpid ok=0 i n t t0
	t0=$(date +%s)
	lab_sipclient "$LAB_NS_ATK" flood --src 203.0.113.66 --server "$LAB_SRV4" \
		--rate 500 --duration 5 --method REGISTER >"$LAB_RUN/flood66.out" 2>&1 &
	fpid=$!
	sleep 1
	for i in 1 2 3; do
		sw_register 203.0.113.20 120 && ok=$((ok + 1))
	done
	wait "$fpid" || { cat "$LAB_RUN/flood66.out"; return 1; }
	cat "$LAB_RUN/flood66.out"
	echo "legit client during the flood: $ok of 3 registrations"
	[ "$ok" -eq 3 ] || return 1
	grep -E "IP '203\.0\.113\.66' is blocked and banned - R=sip:[^ ]+ ID=[^ ]+" "$SWLOG" || return 1
	n=$(lab_kamailio_rcv_count "src=203.0.113.66 ")
	echo "Kamailio saw $n requests from the attacker (limit 30 per 2 s)"
	[ "$n" -le 31 ] || return 1
	t=$(sw_set_timeout 203.0.113.66)
	echo "kernel set timeout: ${t:-none} (ban time 120, $(($(date +%s) - t0)) s since the flood began)"
	# the ban came after t0: at most the seconds since then have run off
	[ -n "$t" ] && [ "$t" -ge $((120 - ($(date +%s) - t0) - 1)) ] && [ "$t" -le 120 ]
}
lab_check "REGISTER flood gets 203.0.113.66 banned, legit client unaffected" check_flood_v4

# After the ban, the flood is dropped in the kernel: the queue sees nothing
# more from the attacker while the raw-table DROP counter grows.
check_kernel_drops() {
	local q0 k0 q1 k1 out sent
	q0=$(sw_queued_total) k0=$(sw_kernel_drops)
	out=$(lab_sipclient "$LAB_NS_ATK" flood --src 203.0.113.66 --server "$LAB_SRV4" \
		--rate 400 --duration 1 --method REGISTER) || return 1
	echo "$out"
	sent=$(sed -n 's/^sent \([0-9]*\) .*/\1/p' <<<"$out")
	sleep 0.3
	q1=$(sw_queued_total) k1=$(sw_kernel_drops)
	echo "queued +$((q1 - q0)), kernel drops +$((k1 - k0)) of $sent sent"
	# every packet the flood sent (however many the machine managed)
	[ "${sent:-0}" -gt 0 ] && [ $((q1 - q0)) -le 2 ] && [ $((k1 - k0)) -ge "$sent" ]
}
lab_check "banned flood is dropped by the kernel, not queued" check_kernel_drops

check_flood_v6() {
	local t
	lab_sipclient "$LAB_NS_ATK" flood --src 2001:db8:a::66 --server "$LAB_SRV6" \
		--rate 300 --duration 2 --method INVITE || return 1
	lab_wait_for "grep -q \"IP '2001:db8:a::66' is blocked and banned .*net=2001:db8:a::/64\" '$SWLOG'" 5 || return 1
	# IPv6 sources are banned as their /64 (dos_ipv6_prefix)
	t=$(sw_set_timeout 2001:db8:a::/64)
	echo "kernel set timeout: ${t:-none}"
	[ -n "$t" ] && sw_register 2001:db8:c::20 121
}
lab_check "INVITE flood over IPv6 gets 2001:db8:a::66 banned" check_flood_v6

check_whitelist() {
	local n out sent
	out=$(lab_sipclient "$LAB_NS_CLI" flood --src 203.0.113.28 --server "$LAB_SRV4" \
		--rate 100 --duration 3 --method OPTIONS --ua whitelisted-peer) || return 1
	echo "$out"
	sent=$(sed -n 's/^sent \([0-9]*\) .*/\1/p' <<<"$out")
	# nothing lost: Kamailio logs every one the client sent
	lab_wait_for "[ \$(lab_kamailio_rcv_count 'src=203.0.113.28 .*whitelisted-peer') -ge ${sent:-1} ]" 5 || true
	n=$(lab_kamailio_rcv_count "src=203.0.113.28 .*whitelisted-peer")
	echo "Kamailio saw $n of $sent from the whitelisted address"
	! grep -q "IP '203.0.113.28'" "$SWLOG" && [ "${sent:-0}" -gt 60 ] && [ "$n" -ge "$sent" ] &&
		[ -z "$(sw_set_timeout 203.0.113.28)" ]
}
lab_check "whitelisted address above the limit is never banned" check_whitelist

check_operator_drop() {
	if sw_register 203.0.113.29 129; then
		echo "the operator's DROP rule was bypassed"
		return 1
	fi
	sw_register 2001:db8:c::29 129 && return 1
	return 0
}
lab_check "operator's DROP rule still drops its client" check_operator_drop
lab_check "foreign rules unchanged while sipwarden runs" same_foreign_rules

# SIGKILL mid-traffic: fail-open for legit SIP, kernel set keeps the ban.
check_sigkill() {
	local pid before after fpid
	pid=$(lab_pid_get sipwarden)
	[ -n "$pid" ] || return 1
	lab_sipclient "$LAB_NS_CLI" flood --src 203.0.113.25 --server "$LAB_SRV4" \
		--rate 10 --duration 3 --method OPTIONS >/dev/null 2>&1 &
	fpid=$!
	sleep 1
	kill -KILL "$pid"
	sleep 0.5
	before=$(lab_kamailio_rcv_count "src=203.0.113.66 ")
	sw_register 203.0.113.21 121 || { echo "legit REGISTER failed with the daemon dead"; return 1; }
	sw_register 2001:db8:c::21 121 || return 1
	lab_sipclient "$LAB_NS_ATK" flood --src 203.0.113.66 --server "$LAB_SRV4" \
		--rate 200 --duration 1 --method REGISTER || return 1
	sleep 0.3
	after=$(lab_kamailio_rcv_count "src=203.0.113.66 ")
	echo "attacker requests reaching Kamailio while the daemon is dead: $((after - before))"
	wait "$fpid" || true
	[ "$after" -eq "$before" ]
}
lab_check "SIGKILL: legit SIP flows (bypass), banned source still dropped" check_sigkill
lab_check "foreign rules unchanged after SIGKILL" same_foreign_rules

check_restart_resync() {
	lab_srv ipset add sipwarden4 203.0.113.99 timeout 300 || return 1
	lab_srv ipset del sipwarden4 203.0.113.66 || return 1
	lab_sipwarden_start "$CONF" || return 1
	lab_srv ipset list sipwarden4
	[ -n "$(sw_set_timeout 203.0.113.66)" ] && [ -z "$(sw_set_timeout 203.0.113.99)" ] &&
		[ -n "$(sw_set_timeout 2001:db8:a::/64)" ] && grep -q "restored 2 bans" "$SWLOG"
}
lab_check "restart re-syncs the kernel set from the saved bans" check_restart_resync

check_stop() {
	lab_sipwarden_stop
	grep -q "sipwarden stopping" "$SWLOG" && grep -q "stats: packets=" "$SWLOG" &&
		sw_register 203.0.113.22 122
}
lab_check "SIGTERM: clean stop, SIP keeps flowing" check_stop
lab_check "foreign rules unchanged after stop" same_foreign_rules

check_remove() {
	lab_rules remove "$CONF" || return 1
	if lab_srv iptables-save | grep sipwarden || lab_srv ip6tables-save | grep sipwarden; then
		return 1
	fi
	! lab_srv ipset list -n | grep -q sipwarden
}
lab_check "rules remove leaves no trace" check_remove
lab_check "foreign rules identical to before install" same_foreign_rules
lab_check "daemon log free of sanitizer reports" sw_sanitizer_clean

lab_summary
