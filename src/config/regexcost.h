/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_REGEXCOST_H
#define SIPWARDEN_REGEXCOST_H

/*
 * regexcost - an upper bound of what regcomp() builds from a POSIX
 * extended regular expression (ua_blacklist), before it is compiled.
 *
 * glibc expands repetition by copying the repeated subtree: x+ becomes
 * x x*, x{n,m} m copies. Stacked or nested repetitions multiply, so a
 * 60-byte pattern such as "a+++++++++++++++++++++++++++++++++++++" asks
 * for 2^37 nodes and regcomp() exhausts memory (the daemon at start or
 * at reload, found by fuzz_config), and a repetition of something that
 * can match the empty string ("(a*)*", "e*++") makes cycles of empty
 * transitions whose closures cost it seconds. regexcost_nodes() walks the
 * pattern the way the ERE grammar nests it and multiplies the factors,
 * saturating at cap, and answers cap for the two constructs no User-Agent
 * pattern needs: a quantifier directly on a quantifier (undefined in
 * POSIX) and a repetition of what can match nothing.
 */

#include <stddef.h>

/* Patterns whose bound exceeds this are refused: a real User-Agent
 * pattern stays in the tens (the largest interval alone, {0,255}, is
 * 256), and this many nodes are a few hundred KiB. */
#define REGEXCOST_MAX 4096u

/*
 * The bound for pattern (NUL-terminated), at most cap. Counts one node per
 * literal, bracket expression, anchor or escape, the sum over the branches
 * of an alternation, and per quantifier multiplies its atom by 2 for '+',
 * n+1 for {n,}, max(m,1) for {n,m} or {n}, 1 for '*' and '?'; cap for a
 * stacked quantifier or a repetition of a nullable atom. Malformed syntax
 * is counted as literals; regcomp() will judge it.
 */
size_t regexcost_nodes(const char *pattern, size_t cap);

#endif
