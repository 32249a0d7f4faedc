/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_SCANNER_H
#define SIPWARDEN_SCANNER_H

/*
 * scanner - sipvicious recognised by what it cannot change with a flag.
 *
 * Its User-Agent is one option away from anything, but its requests keep
 * traits of the code that builds them (sipvicious 0.3.3, svhelper.py
 * makeRequest/createTag). Each trait is its exact shape:
 *  - Via branch: ";branch=z9hG4bK-" + str(getrandbits(32)) + ";rport" at
 *    the end of the Via value: a decimal 32-bit value without a leading
 *    zero; only 9 or 10 digits are taken (97.7% of sipvicious' branches),
 *    since Linksys/Cisco SPA phones send "z9hG4bK-" and 8 hex digits;
 *  - From tag: b2a_hex(text + "\x01" + str(getrandbits(32))): lower-case
 *    hex pairs, printable ASCII text (at least one byte), one 01 pair, then
 *    6 to 10 ASCII digits forming a 32-bit value without a leading zero;
 *  - From display name "sipvicious" (svmap's default).
 * Each check is a bounded scan of one header span: no regex, no copy.
 *
 * The traits are independent (different headers, different generators):
 * the policy bans only when two agree and merely drops on one. Every real
 * user agent's branch/tag format we know of misses each trait by
 * construction; tests/unit/test_scanner_fp.c proves it on 13 million
 * generated values (doc/design.md lists the formats).
 */

#include "sip.h"

enum scanner_trait {
	SCANNER_NONE = 0,
	SCANNER_VIA_BRANCH,
	SCANNER_FROM_TAG,
	SCANNER_FROM_NAME,
};

#define SCANNER_BIT(t) (1u << (t))

/* The traits the message shows, as a mask of SCANNER_BIT(trait). */
unsigned scanner_match(const struct sip_msg *m);
/* How many traits a mask holds. */
unsigned scanner_count(unsigned mask);
const char *scanner_trait_name(enum scanner_trait t);
/* "via-branch+from-tag" and so on; "none" for 0. A static string. */
const char *scanner_mask_name(unsigned mask);

#endif
