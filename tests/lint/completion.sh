#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The bash completion scripts (completion/) under Debian's bash-completion:
# each command line below completes to the words expected. The commands
# offered are also checked against `sipwardenctl --help`, so a new command
# cannot be forgotten here.
set -uo pipefail
SRC=${SIPWARDEN_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${SIPWARDEN_BUILD:-$SRC/build}
BC=/usr/share/bash-completion/bash_completion
if [ ! -r "$BC" ]; then
	echo "completion: $BC missing (apt-get install bash-completion)"
	echo "completion: 0 passed, 1 failed"
	exit 1
fi
# shellcheck disable=SC1090
. "$BC"
. "$SRC/completion/sipwardenctl"
. "$SRC/completion/sipwarden-rules"
# A stub daemon answer for `unban ip <TAB>`.
sipwardenctl() { echo '[{"kind":"ip","key":"203.0.113.7","reason":"dos"},{"kind":"ip","key":"2001:db8:a::/64"}]'; }

pass=0 fail=0
# expect FUNC "LINE" "WORDS...": completing after LINE offers exactly WORDS.
expect() {
	local fn=$1 line=$2 want=$3 got
	read -ra COMP_WORDS <<<"$line"
	[[ $line == *" " ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE=$line COMP_POINT=${#line}
	COMPREPLY=()
	"$fn"
	got=$(printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//')
	want=$(printf '%s\n' $want | sort | tr '\n' ' ' | sed 's/ $//')
	if [ "$got" = "$want" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "completion: '$line' offered '$got', expected '$want'"
	fi
}
expect _sipwardenctl "sipwardenctl " "status stats bans ban unban why top reload allow disallow allowed import-ngcp --socket --json --version --help"
expect _sipwardenctl "sipwardenctl st" "status stats"
expect _sipwardenctl "sipwardenctl --json ba" "bans ban"
expect _sipwardenctl "sipwardenctl all" "allow allowed"
expect _sipwardenctl "sipwardenctl ban " "ip user"
expect _sipwardenctl "sipwardenctl ban ip 203.0.113.9 " "--time"
expect _sipwardenctl "sipwardenctl unban " "ip user --all"
expect _sipwardenctl "sipwardenctl unban ip " "203.0.113.7 2001:db8:a::/64"
expect _sipwardenctl "sipwardenctl why " "ip user"
expect _sipwardenctl "sipwardenctl allow " "ip user"
expect _sipwardenctl "sipwardenctl allow ip 203.0.113.9 " "--time --comment --force"
expect _sipwardenctl "sipwardenctl allow user a@example.org " "--time --comment"
expect _sipwardenctl "sipwardenctl allow ip 203.0.113.9 --comment " ""
expect _sipwardenctl "sipwardenctl disallow ip " "203.0.113.7 2001:db8:a::/64"
expect _sipwardenctl "sipwardenctl allowed " "ip user"
expect _sipwardenctl "sipwardenctl top " "--limit"
expect _sipwardenctl "sipwardenctl why ip 203" "203.0.113.7"
expect _sipwardenctl "sipwardenctl -s /run/x.sock unban ip 2" "203.0.113.7 2001:db8:a::/64"
expect _sipwarden_rules "sipwarden-rules " "install remove status --help"
expect _sipwarden_rules "sipwarden-rules install " "-c"

# Every command the CLI documents is offered.
unset -f sipwardenctl
if [ -x "$BUILD/sipwardenctl" ]; then
	cmds=$("$BUILD/sipwardenctl" --help | sed -n '/^Commands:/,/^Options:/s/^  \([a-z][a-z-]*\).*/\1/p' | sort -u)
	COMP_WORDS=(sipwardenctl ""); COMP_CWORD=1; COMP_LINE="sipwardenctl "; COMP_POINT=13
	COMPREPLY=(); _sipwardenctl
	for c in $cmds; do
		# Not printf | grep -q: grep may exit at its match before printf
		# is done, and pipefail then counts printf's SIGPIPE as a miss.
		if grep -qx -- "$c" <<<"$(printf '%s\n' "${COMPREPLY[@]}")"; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1)); echo "completion: command '$c' (sipwardenctl --help) not offered"
		fi
	done
else
	fail=$((fail + 1)); echo "completion: $BUILD/sipwardenctl not built"
fi
echo "completion: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
