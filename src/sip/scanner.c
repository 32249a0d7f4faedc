/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>
#include <strings.h>

#include "scanner.h"

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f');
}

/* Find needle (case-insensitive) in the span, from offset `from`. */
static const char *
span_find(struct sip_str v, uint32_t from, const char *needle)
{
	size_t n = strlen(needle);

	for (uint32_t i = from; i + n <= v.len; i++)
		if (strncasecmp(v.s + i, needle, n) == 0)
			return v.s + i;
	return NULL;
}

static bool
via_branch(struct sip_str via)
{
	/* This runs for every request: memchr() finds the few '=' of a Via,
	 * then "branch" before and the cookie after are compared in any case
	 * (a changed case is no way out). */
	static const char cookie[] = "=z9hG4bK-";
	const char *end = via.s + via.len, *p = via.s, *d;

	for (;;) {
		p = memchr(p, '=', (size_t)(end - p));
		if (!p)
			return false;
		if (p - via.s >= 6 && end - p >= (long)sizeof(cookie) - 1 &&
		    strncasecmp(p, cookie, sizeof(cookie) - 1) == 0 &&
		    strncasecmp(p - 6, "branch", 6) == 0)
			break;
		p++;
	}
	d = p + sizeof(cookie) - 1;
	p = d;
	while (d < end && is_digit(*d))
		d++;
	/* str(getrandbits(32)): 9 or 10 digits 97.7% of the time. Fewer are
	 * not worth the risk: Linksys/Sipura/Cisco SPA devices send
	 * "z9hG4bK-" and 8 hex digits, all decimal in 2.3% of their requests
	 * (the From tag trait still catches the short ones). */
	if (d - p < 9)
		return false;
	return d == end || *d == ';' || *d == ',' || *d == ' ' || *d == '\t' || *d == '\r';
}

static bool
from_tag(struct sip_str from)
{
	const char *p = NULL, *q = from.s, *e0 = from.s + from.len;

	/* ';' first (memchr), then the name in any case */
	while ((q = memchr(q, ';', (size_t)(e0 - q))) != NULL) {
		if (e0 - q >= 5 && strncasecmp(q + 1, "tag=", 4) == 0) {
			p = q;
			break;
		}
		q++;
	}
	const char *end = from.s + from.len, *t, *e;
	size_t len;

	if (!p)
		return false;
	t = p + 5;
	for (e = t; e < end && *e != ';' && *e != ' ' && *e != '\t' && *e != '\r'; e++)
		;
	len = (size_t)(e - t);
	if (len < 6 || len % 2)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_hex(t[i]))
			return false;
	/* The last "01" pair, then only "3<digit>" pairs to the end: at least
	 * six of them (a random 32-bit number has 6+ digits with odds of
	 * 0.99998), which a random hex tag matches about once in 10^12. */
	for (size_t i = len - 2;; i -= 2) {
		if (t[i] == '0' && t[i + 1] == '1')
			return len - (i + 2) >= 12;
		if (t[i] != '3' || !is_digit(t[i + 1]) || i == 0)
			return false;
	}
}

static bool
from_name(struct sip_str from)
{
	const char *lt = memchr(from.s, '<', from.len);
	struct sip_str name = { from.s, lt ? (uint32_t)(lt - from.s) : 0 };

	/* Most requests have no display name long enough to look in. */
	return name.len >= 10 && span_find(name, 0, "sipvicious") != NULL;
}

enum scanner_trait
scanner_match(const struct sip_msg *m)
{
	if (m->via.s && via_branch(m->via))
		return SCANNER_VIA_BRANCH;
	if (m->from.s && from_tag(m->from))
		return SCANNER_FROM_TAG;
	if (m->from.s && from_name(m->from))
		return SCANNER_FROM_NAME;
	return SCANNER_NONE;
}

const char *
scanner_trait_name(enum scanner_trait t)
{
	switch (t) {
	case SCANNER_VIA_BRANCH: return "via-branch";
	case SCANNER_FROM_TAG: return "from-tag";
	case SCANNER_FROM_NAME: return "from-name";
	case SCANNER_NONE: break;
	}
	return "none";
}
