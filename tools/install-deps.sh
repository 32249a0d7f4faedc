#!/bin/sh
# Install every Debian package sipwarden needs to build, test and run its lab.
# Idempotent; safe to run on a fresh Debian 12 machine as root.
set -eu
export DEBIAN_FRONTEND=noninteractive
BUILD="meson ninja-build pkg-config gcc libc6-dev
  libnetfilter-queue-dev libmnl-dev libosip2-dev libyaml-dev libsystemd-dev
  libcriterion-dev libhiredis-dev"
RUNTIME="iptables ipset iproute2 procps"
# tests/lint/completion.sh: the completion scripts under bash-completion.
COMPLETION="bash-completion"
LAB="kamailio sipsak sipvicious fail2ban python3 python3-scapy redis-server valgrind"
# tests/integration/package.sh: build the .deb, lintian it, boot Debian 12 in
# systemd-nspawn (debootstrap) and install it there.
PACKAGING="dpkg-dev debhelper lintian debootstrap debian-archive-keyring
  systemd systemd-container"
# tests/fuzz/run.sh: libFuzzer with ASan/UBSan; llvm-symbolizer for traces.
FUZZ="clang-14 libclang-rt-14-dev llvm-14"
# sipwarden-replay (libpcap) and its test (tcpdump); the cluster (hiredis,
# redis-server for its test).
EXTRA="libpcap-dev tcpdump libhiredis-dev redis-server"
missing=""
for p in $BUILD $RUNTIME $COMPLETION $LAB $PACKAGING $FUZZ $EXTRA; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' \
		|| missing="$missing $p"
done
if [ -n "$missing" ]; then
	apt-get update -q
	# kamailio's and redis' postinst would start system-wide instances; the
	# tests start their own. (An operator's own policy-rc.d is left alone.)
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
		trap 'rm -f /usr/sbin/policy-rc.d' EXIT
	fi
	apt-get install -y -q --no-install-recommends $missing
fi
