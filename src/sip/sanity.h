/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_SANITY_H
#define SIPWARDEN_SANITY_H

/*
 * sanity - is a scanned SIP message sane enough to hand to the SIP server?
 *
 * The equivalent of Kamailio's sanity_check("1511", "7") (R-URI SIP
 * version and scheme, required headers, CSeq method and number,
 * Content-Length, Expires, R-URI/From/To parse, digest credentials), plus what Kamailio does
 * elsewhere or sipwarden needs on top: Max-Forwards (maxfwd module),
 * repeated singleton headers (two From headers let sipwarden and the server
 * read different users), and secfilter's secf_check_sqli_all() when
 * reject_sqli_chars is set.
 *
 * sanity_check() is pure: it reads the message and the configuration and
 * nothing else. Cheap checks run first; the URIs are validated by a
 * conservative scanner that allocates nothing, and only what it cannot
 * vouch for goes to libosip2 (sip_extract_*).
 */

#include "config.h"
#include "sip.h"

/* Why a message is not sane. Distinct values, so that the daemon counts
 * each by name; the first failing check wins. */
enum sanity_fail {
	SANITY_OK = 0,
	SANITY_SIP_VERSION,       /* start line version is not SIP/2.0 */
	SANITY_NO_VIA,            /* required header missing or empty */
	SANITY_NO_FROM,
	SANITY_NO_TO,
	SANITY_NO_CALL_ID,
	SANITY_NO_CSEQ,
	SANITY_DUP_FROM,          /* singleton header repeated */
	SANITY_DUP_TO,
	SANITY_DUP_CALL_ID,
	SANITY_DUP_CSEQ,
	SANITY_DUP_CONTENT_LENGTH,
	SANITY_CSEQ_VALUE,        /* CSeq not "number method", number > 2^31-1 */
	SANITY_CSEQ_METHOD,       /* CSeq method differs from the request method */
	SANITY_CL_VALUE,          /* Content-Length not a decimal number */
	SANITY_CL_MISMATCH,       /* Content-Length larger than the body that arrived */
	SANITY_EXPIRES,           /* Expires not an unsigned 32-bit number */
	SANITY_MAX_FORWARDS,      /* Max-Forwards not a number 0..255 */
	SANITY_RURI_SCHEME,       /* R-URI scheme not sip, sips or tel */
	SANITY_RURI_PARSE,        /* R-URI does not parse */
	SANITY_FROM_SCHEME,
	SANITY_FROM_PARSE,
	SANITY_TO_SCHEME,
	SANITY_TO_PARSE,
	SANITY_CREDENTIALS,       /* Digest credentials whose username or realm is unreadable or ambiguous */
	SANITY_SQLI_UA,           /* reject_sqli_chars: ' " -- %27 %22 %60 */
	SANITY_SQLI_FROM,
	SANITY_SQLI_TO,
	SANITY_SQLI_CONTACT,
	SANITY__MAX
};

/*
 * Judge m, which sip_scan() accepted (returned 0). cfg may be NULL (no
 * optional checks). Returns SANITY_OK or the first failure found. Never
 * fails for lack of memory: should libosip2 run out, the URI in question
 * is given the benefit of the doubt.
 */
enum sanity_fail sanity_check(const struct sip_msg *m, const struct config *cfg);
/* The same, and what it read on the way that the user key needs again
 * (the first credentials' username, From's user and host) into *rd (see
 * struct sip_read; meaningful when SANITY_OK is returned). */
enum sanity_fail sanity_check_read(const struct sip_msg *m, const struct config *cfg,
				   struct sip_read *rd);

/* "ok", "sip-version", "missing-via", ...: stable names for counters and
 * logs; "?" for a value out of range. */
const char *sanity_fail_name(enum sanity_fail f);

#endif
