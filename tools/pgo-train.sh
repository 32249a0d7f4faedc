#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tools/pgo-train.sh BUILDDIR - the training run of a profile-guided build.
#
#   meson setup BUILDDIR -Db_pgo=generate && ninja -C BUILDDIR
#   tools/pgo-train.sh BUILDDIR
#   meson configure BUILDDIR -Db_pgo=use && ninja -C BUILDDIR
#
# debian/rules builds the package this way (doc/performance.md: the policy
# is bound by instructions and by the instruction cache, and the profile
# lays its hot paths out together).
#
# The instrumented sipwarden-replay judges captures that swb-gen writes
# (nothing is sent; no root, no network): the legit mix over IPv4 and
# IPv6, and the attacks the daemon must stay cheap under - a scanner
# (User-Agent bans), a flood from two sources (density bans, then the
# banned path), a flood from a new IPv6 /64 per packet, a blocklisted
# source. The attack paths are trained on purpose: a path the profile
# never saw is laid out as cold, and an attacker must not find one that
# got slower. The messages are fixed by swb-gen's arguments; the policy's
# hash keys are random per run, so two trainings differ only in which
# hash-table sets collided.
set -eu

[ $# -eq 1 ] || { echo "usage: $0 BUILDDIR" >&2; exit 2; }
b=$1
for f in swb-gen sipwarden-replay; do
	[ -x "$b/$f" ] || { echo "pgo-train.sh: no $b/$f (build it first)" >&2; exit 1; }
done
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

echo 203.0.113.240 >"$t/blocklist"
echo 2001:db8:66::/48 >>"$t/blocklist"
# The bench's policy (bench/sipwarden-bench.yml) with small tables.
cat >"$t/train.yml" <<EOF
mode: enforce
queue: { first: 0, count: 1 }
sip: { udp_ports: [5060] }
security:
  dos_ban_enable: yes
  dos_ban_time: 3600
  dos_reqs_density_per_unit: 600
  dos_sampling_time_unit: 1
  failed_auth_ban_enable: yes
  failed_auth_attempts: 3
  ua_blacklist: [friendly-scanner, sipvicious, '^sipcli.+']
  ua_blacklist_methods: [REGISTER, INVITE]
  ua_ban_ip: yes
  malformed: drop
  blocklist_files: [$t/blocklist]
limits:
  max_sources: 100000
  max_bans: 10000
  max_transactions: 65536
EOF

gen() { # gen NAME ARGS...: a capture of swb-gen's messages at 100k/s
	n=$1
	shift
	"$b/swb-gen" --rate 100000 --pcap "$t/$n.pcap" "$@" >/dev/null
}
gen legit4 --dst 198.51.100.1 --count 40000
gen legit6 --dst 2001:db8:5::1 --src6-count 200 --count 10000
gen scanner --dst 198.51.100.1 --mix scanner --src4 203.0.113.100 --nsrc 20 --count 4000
gen flood --dst 198.51.100.1 --mix options --src4 203.0.113.230 --nsrc 2 --count 10000
gen new6 --dst 2001:db8:5::1 --mix options --src6-count 20000 --count 20000
gen banned --dst 198.51.100.1 --src4 203.0.113.240 --nsrc 1 --count 2000
for n in legit4 legit6 scanner flood new6 banned; do
	"$b/sipwarden-replay" -q -c "$t/train.yml" -s 198.51.100.1 -s 2001:db8:5::1 \
		"$t/$n.pcap" >/dev/null
done
echo "pgo-train.sh: trained $b"
