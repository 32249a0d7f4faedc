/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_SANITY_INTERNAL_H
#define SIPWARDEN_SANITY_INTERNAL_H

/*
 * sanity_internal - private to the sanity*.c files (the public side is
 * sanity.h):
 *
 *   sanity.c        the check itself: headers, numbers, URIs, credentials
 *   sanity_sqli.c   reject_sqli_chars, secfilter's check (optional)
 *
 * Both read From, To and Contact entries the same way: the splitting of a
 * name-addr lives in sanity.c and is shared from here. The tiny helpers
 * are static inline so that sanity.c's per-message path keeps them inline.
 */

#include <stdbool.h>

#include "sanity.h"
#include "sip.h"

/* Present with a non-empty value: an empty Call-ID is as good as none. */
static inline bool
present(struct sip_str v)
{
	return v.s != NULL && v.len > 0;
}

/*
 * A From/To/Contact entry split into its parts: name-addr
 * ([display] "<" URI ">" params) or addr-spec (URI params). For addr-spec
 * the URI ends at the first ';' (or ',' in a Contact list), as Kamailio's
 * parsers end it: parameters there belong to the header.
 */
struct naddr {
	const char *disp, *disp_end;    /* outer quotes stripped; may be empty */
	bool quoted;
	bool angle;                     /* name-addr form */
	const char *uri, *uri_end;      /* raw, right after '<' for name-addr */
	const char *params;             /* after '>' or the URI */
};

/* Past the quoted-string at p (which is '"'), or NULL when unterminated. */
static inline const char *
sanity_skip_quoted(const char *p, const char *e)
{
	for (p++; p < e; p++) {
		if (*p == '\\') {
			if (++p == e)
				return NULL;
		} else if (*p == '"') {
			return p + 1;
		}
	}
	return NULL;
}

/* Split the entry [p, e) into na; list: a Contact list, where ',' ends an
 * addr-spec's URI. false when the entry is broken (unterminated quote,
 * '<' without '>'). */
bool sanity_split_naddr(const char *p, const char *e, bool list, struct naddr *na);

/* reject_sqli_chars on a request (sanity_sqli.c): SANITY_OK or the
 * SANITY_SQLI_* of the first header found. */
enum sanity_fail sanity_check_sqli(const struct sip_msg *m);

#endif
