/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_SCANNER_H
#define SIPWARDEN_SCANNER_H

/*
 * scanner - sipvicious recognised by what it cannot change with a flag.
 *
 * Its User-Agent is one option away from anything, but its requests keep
 * traits of the code that builds them (sipvicious 0.3.x, svhelper.py
 * makeRequest/createTag):
 *  - Via branch "z9hG4bK-" followed by 9+ decimal digits only (RFC 3261
 *    clients put a random token after the magic cookie, not "-<integer>";
 *    SPA phones' 8 hex digits stay clear of it);
 *  - From tag: the hex encoding of "<text>\x01<decimal>", i.e. hex pairs
 *    with a 01 pair followed only by 3x pairs (ASCII digits);
 *  - From display name "sipvicious" (svmap's default).
 * Each check is a bounded scan of one header span: no regex, no copy.
 */

#include "sip.h"

enum scanner_trait {
	SCANNER_NONE = 0,
	SCANNER_VIA_BRANCH,
	SCANNER_FROM_TAG,
	SCANNER_FROM_NAME,
};

enum scanner_trait scanner_match(const struct sip_msg *m);
const char *scanner_trait_name(enum scanner_trait t);

#endif
