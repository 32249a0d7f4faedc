#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# sipwarden-rules - install, remove or show sipwarden's netfilter rules.
#
# sipwarden owns only chains whose names start with "sipwarden". This tool
# creates and fills those, adds one jump to each, and on removal takes out
# exactly those jumps and chains. It never flushes, reorders or deletes a rule
# or chain it does not own: the rtpengine kernel-forwarding rule and the
# operator's own rules stay byte-for-byte as they were.
#
# Kernel bans: two ipset hash:net sets (sipwarden4, sipwarden6) with
# per-element timeouts, filled by the daemon, matched by DROP rules in chain
# sipwarden-ban, jumped to first thing in raw/PREROUTING: before conntrack
# (so before any ESTABLISHED shortcut) and before the queue. They keep
# dropping banned sources while the daemon is stopped.
#
# The SIP server's replies are queued too (accepted at once, read after the
# verdict) to count authentication failures: host mode from mangle/OUTPUT
# (chain sipwarden-out, source port = a SIP port), gateway mode from the
# configured sip.server_addresses in mangle/PREROUTING.
#
# IP fragments: the queue must see whole datagrams, as the SIP server does.
# Chain sipwarden-defrag holds one `-m socket` rule and is never jumped to:
# loading a socket match registers the kernel's nf_defrag_ipv4/ipv6 hooks
# in this network namespace (priority -400, before raw and mangle) without
# connection tracking, so every SIP datagram reaches the queue reassembled
# and the operator's conntrack rules mean what they meant before.
#
# Where the queue sits: mangle/PREROUTING, appended. An NFQUEUE ACCEPT ends
# the traversal of the chain that queued the packet (here the rest of
# mangle/PREROUTING, which at install time is nothing after our jump), but
# the packet then goes on through nat and filter INPUT/FORWARD as usual: an
# ACCEPT from sipwarden means "no objection", not "skip the firewall".
set -eu

PROG=sipwarden-rules
CONF=/etc/sipwarden/sipwarden.yml
CHAIN=sipwarden
OUTCHAIN=sipwarden-out
BANCHAIN=sipwarden-ban
DEFRAGCHAIN=sipwarden-defrag
SET4=sipwarden4
SET6=sipwarden6

usage() {
	cat <<USAGE
Usage: $PROG install|remove|status [-c FILE]
  install   create sipwarden's chains and queue rules (idempotent)
  remove    remove them, leaving every other rule untouched
  status    show sipwarden's rules, counters and queue bindings
  -c FILE   configuration file (default $CONF)
USAGE
}

die() { echo "$PROG: $*" >&2; exit 1; }

[ $# -ge 1 ] || { usage >&2; exit 2; }
CMD=$1; shift
case "$CMD" in
install|remove|status) ;;
-h|--help|help) usage; exit 0 ;;
*) echo "$PROG: unknown command '$CMD'" >&2; usage >&2; exit 2 ;;
esac
while [ $# -gt 0 ]; do
	case "$1" in
	-c) [ $# -ge 2 ] || { usage >&2; exit 2; }; CONF=$2; shift 2 ;;
	-c*) CONF=${1#-c}; shift ;;
	*) echo "$PROG: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
	esac
done

# The daemon parses the configuration, so both agree on what it says.
find_daemon() {
	if [ -n "${SIPWARDEN_BIN:-}" ]; then echo "$SIPWARDEN_BIN"; return; fi
	here=$(dirname "$0")
	if [ -x "$here/sipwarden" ]; then echo "$here/sipwarden"; return; fi
	command -v sipwarden || echo /usr/sbin/sipwarden
}

QUEUE_FIRST=0 QUEUE_COUNT=1 FAIL_OPEN=1 UDP_PORTS=5060 TCP_PORTS= TLS_PORTS= MAX_BANS=100000
SERVER_ADDRESSES=
load_config() {
	daemon=$(find_daemon)
	env=$("$daemon" -c "$CONF" --rules-env) || die "cannot read configuration $CONF"
	# Accept only the known keys with plain values: this output is eval'd by
	# nobody, parsed here line by line.
	while IFS='=' read -r key val; do
		case "$val" in *[!0-9a-z,:./]*) die "bad value for $key: '$val'" ;; esac
		case "$key" in
		QUEUE_FIRST) QUEUE_FIRST=$val ;;
		QUEUE_COUNT) QUEUE_COUNT=$val ;;
		FAIL_OPEN) FAIL_OPEN=$val ;;
		UDP_PORTS) UDP_PORTS=$val ;;
		TCP_PORTS) TCP_PORTS=$val ;;
		TLS_PORTS) TLS_PORTS=$val ;;
		MAX_BANS) MAX_BANS=$val ;;
		SERVER_ADDRESSES) SERVER_ADDRESSES=$val ;;
		esac
	done <<ENV
$env
ENV
}

queue_target() {
	if [ "$QUEUE_COUNT" -gt 1 ]; then
		t="NFQUEUE --queue-balance $QUEUE_FIRST:$((QUEUE_FIRST + QUEUE_COUNT - 1))"
	else
		t="NFQUEUE --queue-num $QUEUE_FIRST"
	fi
	# --queue-bypass: with no daemon bound, SIP flows on (fail-open).
	[ "$FAIL_OPEN" = 1 ] && t="$t --queue-bypass"
	echo "$t"
}

# each_port PORTS BEFORE AFTER: one line "BEFORE <port>AFTER" for every port
# of the comma-separated list (empty list: no line).
each_port() {
	for p in $(echo "$1" | tr ',' ' '); do
		echo "$2 $p$3"
	done
}

# Print the iptables-restore body for our mangle chains. $1: 4 or 6.
chain_rules() {
	target=$(queue_target)
	echo "*mangle"
	echo ":$CHAIN - [0:0]"
	echo ":$OUTCHAIN - [0:0]"
	echo ":$DEFRAGCHAIN - [0:0]"
	echo "-A $DEFRAGCHAIN -m socket --nowildcard -m comment --comment \"sipwarden: registers IP defragmentation, never jumped to\""
	each_port "$UDP_PORTS" "-A $CHAIN -p udp -m udp --dport" " -j $target"
	# SIP over TCP: every segment (framed per connection by the daemon)
	each_port "$TCP_PORTS" "-A $CHAIN -p tcp -m tcp --dport" " -j $target"
	# TLS cannot be read: only connection attempts are judged (density);
	# bans of TLS sources are enforced by the kernel set
	each_port "$TLS_PORTS" "-A $CHAIN -p tcp -m tcp --dport" " --tcp-flags SYN,ACK,RST SYN -j $target"
	# gateway mode: the servers' replies, after the requests' rules
	for s in $(echo "$SERVER_ADDRESSES" | tr ',' ' '); do
		case "$s" in *:*) fam=6 ;; *) fam=4 ;; esac
		[ "$fam" = "$1" ] || continue
		each_port "$UDP_PORTS" "-A $CHAIN -s $s -p udp -m udp --sport" " -j $target"
		each_port "$TCP_PORTS" "-A $CHAIN -s $s -p tcp -m tcp --sport" " -j $target"
	done
	# host mode: the local server's replies
	each_port "$UDP_PORTS" "-A $OUTCHAIN -p udp -m udp --sport" " -j $target"
	each_port "$TCP_PORTS" "-A $OUTCHAIN -p tcp -m tcp --sport" " -j $target"
	echo "COMMIT"
}

# Print the iptables-restore body for our raw chain: drop banned sources
# on every SIP port we guard (UDP, TCP and TLS).
ban_rules() {
	set=$1
	echo "*raw"
	echo ":$BANCHAIN - [0:0]"
	each_port "$UDP_PORTS" "-A $BANCHAIN -p udp -m udp --dport" " -m set --match-set $set src -j DROP"
	each_port "$TCP_PORTS,$TLS_PORTS" "-A $BANCHAIN -p tcp -m tcp --dport" \
		" -m set --match-set $set src -j DROP"
	echo "COMMIT"
}

ensure_set() {
	# -exist: keep a set (and its elements) that is already there.
	ipset -exist create "$1" hash:net family "$2" timeout 0 maxelem "$MAX_BANS" ||
		die "cannot create ipset $1"
}

install_family() {
	ipt=$1 set=$2
	command -v "$ipt" >/dev/null 2>&1 || die "$ipt not found"
	# --noflush: the restore touches nothing but the chains it declares; a
	# declaration empties our chain and the rules refill it in one
	# transaction, so there is no moment without the queue rule.
	case "$ipt" in ip6tables) fam=6 ;; *) fam=4 ;; esac
	chain_rules "$fam" | "$ipt-restore" --noflush || die "$ipt-restore failed"
	ban_rules "$set" | "$ipt-restore" --noflush || die "$ipt-restore failed"
	"$ipt" -w -t mangle -C PREROUTING -j "$CHAIN" 2>/dev/null ||
		"$ipt" -w -t mangle -A PREROUTING -j "$CHAIN"
	"$ipt" -w -t mangle -C OUTPUT -j "$OUTCHAIN" 2>/dev/null ||
		"$ipt" -w -t mangle -A OUTPUT -j "$OUTCHAIN"
	# Bans first: inserted at the head of raw/PREROUTING.
	"$ipt" -w -t raw -C PREROUTING -j "$BANCHAIN" 2>/dev/null ||
		"$ipt" -w -t raw -I PREROUTING 1 -j "$BANCHAIN"
}

remove_family() {
	ipt=$1
	command -v "$ipt" >/dev/null 2>&1 || return 0
	while "$ipt" -w -t mangle -C PREROUTING -j "$CHAIN" 2>/dev/null; do
		"$ipt" -w -t mangle -D PREROUTING -j "$CHAIN"
	done
	if "$ipt" -w -t mangle -n -L "$CHAIN" >/dev/null 2>&1; then
		"$ipt" -w -t mangle -F "$CHAIN"
		"$ipt" -w -t mangle -X "$CHAIN"
	fi
	while "$ipt" -w -t mangle -C OUTPUT -j "$OUTCHAIN" 2>/dev/null; do
		"$ipt" -w -t mangle -D OUTPUT -j "$OUTCHAIN"
	done
	if "$ipt" -w -t mangle -n -L "$OUTCHAIN" >/dev/null 2>&1; then
		"$ipt" -w -t mangle -F "$OUTCHAIN"
		"$ipt" -w -t mangle -X "$OUTCHAIN"
	fi
	if "$ipt" -w -t mangle -n -L "$DEFRAGCHAIN" >/dev/null 2>&1; then
		"$ipt" -w -t mangle -F "$DEFRAGCHAIN"
		"$ipt" -w -t mangle -X "$DEFRAGCHAIN"
	fi
	while "$ipt" -w -t raw -C PREROUTING -j "$BANCHAIN" 2>/dev/null; do
		"$ipt" -w -t raw -D PREROUTING -j "$BANCHAIN"
	done
	if "$ipt" -w -t raw -n -L "$BANCHAIN" >/dev/null 2>&1; then
		"$ipt" -w -t raw -F "$BANCHAIN"
		"$ipt" -w -t raw -X "$BANCHAIN"
	fi
}

status_family() {
	ipt=$1
	echo "== $ipt"
	if ! "$ipt" -w -t mangle -n -L "$CHAIN" >/dev/null 2>&1; then
		echo "not installed"
		return 1
	fi
	if "$ipt" -w -t mangle -C PREROUTING -j "$CHAIN" 2>/dev/null; then
		echo "jump: mangle PREROUTING -> $CHAIN"
	else
		echo "jump: MISSING (run '$PROG install')"
	fi
	"$ipt" -w -t mangle -n -v -L "$CHAIN"
	"$ipt" -w -t mangle -n -v -L "$OUTCHAIN" 2>/dev/null || echo "chain $OUTCHAIN MISSING"
	"$ipt" -w -t mangle -n -L "$DEFRAGCHAIN" 2>/dev/null ||
		echo "chain $DEFRAGCHAIN MISSING (fragmented SIP reaches the queue unreassembled)"
	"$ipt" -w -t raw -C PREROUTING -j "$BANCHAIN" 2>/dev/null ||
		echo "jump: raw PREROUTING -> $BANCHAIN MISSING"
	"$ipt" -w -t raw -n -v -L "$BANCHAIN" 2>/dev/null || echo "chain $BANCHAIN MISSING"
}

case "$CMD" in
install)
	load_config
	command -v ipset >/dev/null 2>&1 || die "ipset not found (apt install ipset)"
	ensure_set "$SET4" inet
	ensure_set "$SET6" inet6
	install_family iptables "$SET4"
	install_family ip6tables "$SET6"
	echo "$PROG: installed (queues $QUEUE_FIRST..$((QUEUE_FIRST + QUEUE_COUNT - 1)), udp ports $UDP_PORTS, tcp ports ${TCP_PORTS:-none}, tls ports ${TLS_PORTS:-none})"
	;;
remove)
	remove_family iptables
	remove_family ip6tables
	# The sets go last: a set still referenced by a rule cannot be destroyed.
	for set in "$SET4" "$SET6"; do
		if ipset -q list -n "$set" >/dev/null 2>&1; then
			ipset destroy "$set" || echo "$PROG: set $set still in use" >&2
		fi
	done
	echo "$PROG: removed"
	;;
status)
	rc=0
	status_family iptables || rc=1
	status_family ip6tables || rc=1
	echo "== kernel ban sets"
	for set in "$SET4" "$SET6"; do
		if ipset -q list -t "$set" >/dev/null 2>&1; then
			n=$(ipset list -t "$set" | sed -n 's/^Number of entries: //p')
			echo "$set: $n entries"
		else
			echo "$set: MISSING"; rc=1
		fi
	done
	echo "== queues bound (/proc/net/netfilter/nfnetlink_queue)"
	echo "queue portid waiting copy_mode copy_range dropped user_dropped id_seq"
	cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null || echo "(none)"
	exit $rc
	;;
esac
