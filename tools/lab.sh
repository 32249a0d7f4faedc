#!/bin/bash
# The main job, from a fresh Debian 12 machine, as root: build sipwarden, put
# it in front of a real Kamailio registrar in a network-namespace lab, run
# legitimate clients (sipsak, IPv4 and IPv6 REGISTERs with digest auth) while
# sipvicious scans, enumerates and cracks, and floods hit it; then show the
# bans and statistics sipwarden produced. Takes about two minutes; every
# traffic loop is bounded; everything it made is removed at the end.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "lab.sh: run as root (network namespaces, netfilter)" >&2; exit 1; }
"$src/tools/install-deps.sh"
[ -f "$src/build/build.ninja" ] || meson setup "$src/build" "$src"
ninja -C "$src/build"

export SIPWARDEN_SRC=$src SIPWARDEN_BUILD=$src/build
export LAB_RUN=${LAB_RUN:-$src/tests/lab/run-demo}
# shellcheck source=../tests/lab/lab.sh
. "$src/tests/lab/lab.sh"
trap lab_down EXIT
CONF=$src/tests/lab/demo.yml
CTL=("$SIPWARDEN_BUILD/sipwardenctl" --socket "$LAB_RUN/control.sock")

step() { printf '\n=== %s\n' "$*"; }

lab_require_tools ip ss kamailio sipsak svmap svwar svcrack python3 iptables ipset timeout
lab_up
lab_kamailio_start
# The operator's world: rtpengine's hook (placeholder target) stays as it is.
lab_srv iptables -w -N rtpengine
lab_srv iptables -w -I INPUT -p udp -j rtpengine
lab_srv iptables -w -I rtpengine -p udp -m udp --dport 30000:40000 -j RETURN
lab_rules install "$CONF"
lab_sipwarden_start "$CONF"

step "legitimate clients: 10 IPv4 + 5 IPv6 addresses re-registering every 2 s for 60 s"
legit() {
	local round i ok=0 all=0
	for round in $(seq 1 30); do
		for i in $(seq 10 19); do
			all=$((all + 1))
			lab_sipclient "$LAB_NS_CLI" register --src "203.0.113.$i" --server "$LAB_SRV4" \
				--user "1$i" --domain example.org --password "pw-1$i" --timeout 1 \
				>/dev/null 2>&1 && ok=$((ok + 1))
		done
		for i in $(seq 10 14); do
			all=$((all + 1))
			lab_sipclient "$LAB_NS_CLI" register --src "2001:db8:c::$i" --server "$LAB_SRV6" \
				--user "1$i" --domain example.org --password "pw-1$i" --timeout 1 \
				>/dev/null 2>&1 && ok=$((ok + 1))
		done
		sleep 1
	done
	echo "legitimate registrations: $ok of $all succeeded" >"$LAB_RUN/legit.result"
}
legit &
LEGIT=$!

step "sipsak registers 105 from 203.0.113.25"
lab_cli_src 203.0.113.25
lab_cli timeout 20 sipsak -U -i -C sip:105@203.0.113.25 -s "sip:105@$LAB_SRV4" -a pw-105 -u 105 \
	-H 203.0.113.25 -x 60 | tail -1 || true
lab_cli_src "$LAB_CLI4_FIRST"

step "svmap scans from 203.0.113.67 (User-Agent friendly-scanner)"
lab_atk_src 203.0.113.67
lab_atk timeout 30 svmap "$LAB_SRV4" 2>&1 | tail -4 || true
step "svwar enumerates extensions from 203.0.113.68"
lab_atk_src 203.0.113.68
lab_atk timeout 30 svwar -e100-120 -m REGISTER "$LAB_SRV4" 2>&1 | tail -4 || true
step "svcrack guesses 105's password from 203.0.113.69"
lab_atk_src 203.0.113.69
lab_atk timeout 40 svcrack -u105 -r1-100 "$LAB_SRV4" 2>&1 | tail -3 || true
lab_atk_src "$LAB_ATK4_FIRST"

step "password guessing with a benign User-Agent: 4 wrong passwords for 108 from 203.0.113.71"
for i in 1 2 3 4; do
	lab_sipclient "$LAB_NS_ATK" register --src 203.0.113.71 --server "$LAB_SRV4" --user 108 \
		--domain example.org --password "guess$i" --ua "Z 3.15.1" --timeout 1 || true
done
step "108's owner, right password, another address, during the ban"
lab_sipclient "$LAB_NS_CLI" register --src 203.0.113.26 --server "$LAB_SRV4" --user 108 \
	--domain example.org --password pw-108 --timeout 1 || true

step "REGISTER flood, 2000/s for 5 s from 203.0.113.66"
lab_sipclient "$LAB_NS_ATK" flood --src 203.0.113.66 --server "$LAB_SRV4" --rate 2000 --duration 5
step "INVITE flood over IPv6, 1000/s for 3 s from 2001:db8:a::66"
lab_sipclient "$LAB_NS_ATK" flood --src 2001:db8:a::66 --server "$LAB_SRV6" --rate 1000 --duration 3 --method INVITE
step "a sipcli/1.8 REGISTER from 203.0.113.70"
lab_sipclient "$LAB_NS_ATK" register --src 203.0.113.70 --server "$LAB_SRV4" --user 107 \
	--domain example.org --password pw-107 --ua sipcli/1.8 --timeout 1 || true
step "5000 garbage and truncated packets from 203.0.113.78"
lab_sipclient "$LAB_NS_ATK" garbage --src 203.0.113.78 --server "$LAB_SRV4" --count 5000

wait "$LEGIT" || true
step "result"
cat "$LAB_RUN/legit.result"
for a in 203.0.113.66 203.0.113.67 203.0.113.68 203.0.113.69 203.0.113.70 203.0.113.71 203.0.113.78 2001:db8:a::66; do
	printf 'requests from %-16s that reached Kamailio: %s\n' "$a" "$(lab_kamailio_rcv_count "src=$a ")"
done

step "sipwarden log (ban events)"
grep -E "banned|rejected|Malformed|Authentication" "$LAB_RUN/sipwarden.log" | cut -c1-200 || true
step "bans"
if [ -x "${CTL[0]}" ]; then
	lab_srv "${CTL[@]}" bans || true
else
	lab_srv ipset list sipwarden4 | sed -n '/Members/,$p'
	lab_srv ipset list sipwarden6 | sed -n '/Members/,$p'
fi
step "kernel ban rules and sets (sipwarden-rules status)"
lab_rules status "$CONF" | grep -E "DROP|entries" || true
step "statistics"
if [ -x "${CTL[0]}" ]; then
	lab_srv "${CTL[@]}" stats || true
else
	kill -USR1 "$(lab_pid_get sipwarden)"
	sleep 0.5
	grep "stats:" "$LAB_RUN/sipwarden.log" | tail -1 | cut -d' ' -f5- | tr ' ' '\n'
fi
lab_sipwarden_stop
lab_rules remove "$CONF" >/dev/null
