#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Every counter of src/control/counters.h is documented in sipwardenctl(8),
# by its name or by its `stats` label (the name with spaces): a counter
# added to the one list is shown everywhere at once (test_ctlformat checks
# that), so the man page is where it could be forgotten.
set -uo pipefail
SRC=${SIPWARDEN_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
MAN="$SRC/doc/sipwardenctl.8"

# roff escapes a hyphen as \- and may break a label across lines
text=$(sed -e 's/\\-/-/g' "$MAN" | tr '\n' ' ' | tr -s ' ')
pass=0 fail=0
while read -r name; do
	if [[ $text == *"$name"* || $text == *"${name//_/ }"* ]]; then
		pass=$((pass + 1))
	else
		echo "counters: '$name' (src/control/counters.h) is not in doc/sipwardenctl.8"
		fail=$((fail + 1))
	fi
done < <(sed -n 's/^[[:space:]]*X(\([a-z0-9_]*\),.*/\1/p' "$SRC/src/control/counters.h")
[ "$pass" -gt 0 ] || { echo "counters: no counter found in counters.h"; fail=$((fail + 1)); }
echo "counters: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
