#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The source layout is the architecture (doc/design.md, "Source layout"):
# src/<layer>/, lowest first in LAYERS. A file may include a project header
# of its own layer or of a layer below, never one above. Checked on every
# test run so the folders keep telling the truth.
set -euo pipefail
SRC=${SIPWARDEN_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
LAYERS=(base config sip io policy enforce control cluster tools daemon)
declare -A rank
for i in "${!LAYERS[@]}"; do rank[${LAYERS[$i]}]=$i; done
declare -A home
for f in "$SRC"/src/*/*.h; do
	l=${f%/*}; home[${f##*/}]=${l##*/}
done
bad=0 n=0
for f in "$SRC"/src/*/*.[ch]; do
	l=${f%/*}; l=${l##*/}
	[ -n "${rank[$l]:-}" ] || { echo "layers: $f: folder '$l' is not a layer"; bad=$((bad + 1)); continue; }
	while read -r h; do
		n=$((n + 1))
		hl=${home[$h]:-}
		[ -n "$hl" ] || continue      # build_config.h, generated
		if [ "${rank[$hl]}" -gt "${rank[$l]}" ]; then
			echo "layers: ${f#"$SRC"/} ($l) includes $h ($hl), a layer above it"
			bad=$((bad + 1))
		fi
	done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
done
echo "layers: $n includes checked, $bad violations"
[ "$bad" -eq 0 ]
