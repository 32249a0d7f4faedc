#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The source layout is the architecture (doc/design.md, "Source layout"):
# src/<layer>/, lowest first in LAYERS. A file may include a project header
# of its own layer or of a layer below, never one above. Checked on every
# test run so the folders keep telling the truth. Also checked here:
# - no include cycle between modules (a module is X.c with X.h; a private
#   X_internal.h may include its X.h): tsort finds any loop;
# - the pure layers (sip, policy) do no I/O and read no clock: the caller
#   passes packets, tables and the time in, so tests and sipwarden-replay
#   drive them as the daemon does;
# - shared state uses C11 atomics (<stdatomic.h>), never volatile or the
#   __atomic/__sync builtins;
# - no source file grows past MAX_LINES.
set -euo pipefail
SRC=${SIPWARDEN_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
LAYERS=(base config sip io policy enforce control cluster tools daemon)
declare -A rank
for i in "${!LAYERS[@]}"; do rank[${LAYERS[$i]}]=$i; done
declare -A home
bad=0 n=0
# Every folder is on the include path (meson.build): a header name must be
# unique, or an include would pick one by the path's order.
for f in "$SRC"/src/*/*.h; do
	l=${f%/*}
	if [ -n "${home[${f##*/}]:-}" ]; then
		echo "layers: ${f##*/} is in both src/${home[${f##*/}]}/ and src/${l##*/}/"
		bad=$((bad + 1))
	fi
	home[${f##*/}]=${l##*/}
done
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

# Include cycles between modules. A module's private parts may include its
# header: X_internal.h, and the files listed here with the module they
# belong to (each implements part of that module's header or exists only
# for it).
declare -A part_of=(
	[tcpconn]=tcpstream   # the connection table; defines tcptab_new/free
	[tcpframe]=tcpstream  # tcpstream's pure scanning functions
)
edges=$(for f in "$SRC"/src/*/*.[ch]; do
	m=${f##*/}; m=${m%.*}
	sed -n 's/^#include "\([^"]*\)\.h".*/\1/p' "$f" | while read -r h; do
		[ -n "${home[$h.h]:-}" ] && [ "$h" != "$m" ] && [ "$m" != "${h}_internal" ] &&
			[ "${part_of[$m]:-}" != "$h" ] && echo "$m $h"
	done
done | sort -u)
if ! loop=$(tsort <<<"$edges" 2>&1 >/dev/null) || [ -n "$loop" ]; then
	echo "layers: include cycle between modules:"
	echo "$loop" | sed 's/^/  /'
	bad=$((bad + 1))
fi

# The pure layers: no I/O, no clock, no threads of their own.
impure='\<(socket|pthread_create|fopen|open|openat|read|write|sendto|sendmsg|recvfrom|recvmsg|clock_gettime|time|clock_mono_ms|clock_wall_s|getrandom)\(|\<(mnl|nfq)_'
for f in "$SRC"/src/sip/*.c "$SRC"/src/policy/*.c; do
	# Comments may name what the code must not call.
	hits=$(sed -e 's://.*$::' -e 's:/\*.*\*/::g' -e '/\/\*/,/\*\//d' "$f" | grep -nE "$impure" || true)
	if [ -n "$hits" ]; then
		echo "layers: ${f#"$SRC"/} is in a pure layer but calls:"
		echo "$hits" | sed 's/^/  /'
		bad=$((bad + 1))
	fi
done

# Files stay small enough to read whole: the rule is ~800 lines; past
# MAX_LINES one is doing two things and is to be split, not stretched.
MAX_LINES=900
for f in "$SRC"/src/*/*.[ch]; do
	l=$(wc -l <"$f")
	if [ "$l" -gt "$MAX_LINES" ]; then
		echo "layers: ${f#"$SRC"/} has $l lines (more than $MAX_LINES): split it"
		bad=$((bad + 1))
	fi
done

# C11 atomics only.
if hits=$(grep -nE '\bvolatile\b|__atomic_|__sync_' "$SRC"/src/*/*.[ch]); then
	echo "layers: volatile or atomic builtins (use <stdatomic.h>):"
	echo "$hits" | sed "s|^$SRC/|  |"
	bad=$((bad + 1))
fi

echo "layers: $n includes checked, $(wc -l <<<"$edges") edges between modules, $bad violations"
[ "$bad" -eq 0 ]
