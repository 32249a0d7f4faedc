#!/bin/sh
# Install every Debian package sipwarden needs to build, test and run its lab.
# Idempotent; safe to run on a fresh Debian 12 machine as root.
set -eu
export DEBIAN_FRONTEND=noninteractive
BUILD="meson ninja-build pkg-config gcc libc6-dev
  libnetfilter-queue-dev libmnl-dev libosip2-dev libyaml-dev libsystemd-dev
  libcriterion-dev"
RUNTIME="iptables ipset iproute2 procps"
LAB="kamailio sipsak sipvicious fail2ban python3"
missing=""
for p in $BUILD $RUNTIME $LAB; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' \
		|| missing="$missing $p"
done
if [ -n "$missing" ]; then
	apt-get update -q
	# kamailio's postinst would start a system-wide instance; the lab starts its own.
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
	apt-get install -y -q --no-install-recommends $missing
fi
