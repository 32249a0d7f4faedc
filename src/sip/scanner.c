/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "asciicase.h"
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
		if (ascii_case_eq(v.s + i, needle, n))
			return v.s + i;
	return NULL;
}

/* The digits [p, e) are str() of a 32-bit value: no leading zero, at most
 * 10 digits, at most 4294967295. */
static bool
is_u32_decimal(const char *p, const char *e)
{
	uint64_t v = 0;

	if (e - p < 1 || e - p > 10 || (*p == '0' && e - p > 1))
		return false;
	for (; p < e; p++)
		v = v * 10 + (uint64_t)(*p - '0');
	return v <= 0xffffffffu;
}

static bool
via_branch(struct sip_str via)
{
	/* This runs for every request: memchr() finds the few '=' of a Via,
	 * then "branch" before and the cookie after are compared in any case
	 * (a changed case is no way out). */
	static const char cookie[] = "=z9hG4bK-", rport[] = ";rport";
	const char *end = via.s + via.len, *p = via.s, *d;

	for (;;) {
		p = memchr(p, '=', (size_t)(end - p));
		if (!p)
			return false;
		if (p - via.s >= 7 && end - p >= (long)sizeof(cookie) - 1 &&
		    ascii_case_eq(p, cookie, sizeof(cookie) - 1) &&
		    ascii_case_eq(p - 7, ";branch", 7))
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
	if (d - p < 9 || !is_u32_decimal(p, d))
		return false;
	/* makeRequest() writes ";rport" right after it, as the last
	 * parameter of the only Via value. */
	if (end - d < (long)sizeof(rport) - 1 || !ascii_case_eq(d, rport, sizeof(rport) - 1))
		return false;
	d += sizeof(rport) - 1;
	return d == end || *d == ',' || *d == ' ' || *d == '\t' || *d == '\r';
}

static int
hex_val(char c)
{
	return is_digit(c) ? c - '0' : c - 'a' + 10;
}

static bool
from_tag(struct sip_str from)
{
	const char *p = NULL, *q = from.s, *e0 = from.s + from.len;

	/* ';' first (memchr), then the name in any case */
	while ((q = memchr(q, ';', (size_t)(e0 - q))) != NULL) {
		if (e0 - q >= 5 && ascii_case_eq(q + 1, "tag=", 4)) {
			p = q;
			break;
		}
		q++;
	}
	const char *end = from.s + from.len, *t, *e;
	char digits[10];
	size_t len, nd = 0, i;

	if (!p)
		return false;
	t = p + 5;
	for (e = t; e < end && *e != ';' && *e != ' ' && *e != '\t' && *e != '\r' && *e != ',';
	     e++)
		;
	len = (size_t)(e - t);
	/* text (1+ bytes), 01, 6..10 digits: 16 to 44 hex characters */
	if (len < 16 || len > 400 || len % 2)
		return false;
	for (i = 0; i < len; i++)
		if (!is_hex(t[i]))
			return false;
	/* From the end: "3<digit>" pairs (six of them at least: a random
	 * 32-bit number has 6+ digits with odds of 0.99998), then 01. */
	for (i = len - 2;; i -= 2) {
		if (t[i] == '0' && t[i + 1] == '1')
			break;
		if (t[i] != '3' || !is_digit(t[i + 1]) || nd == sizeof(digits) || i == 0)
			return false;
		digits[sizeof(digits) - 1 - nd++] = t[i + 1];
	}
	if (nd < 6 || i == 0 ||
	    !is_u32_decimal(digits + sizeof(digits) - nd, digits + sizeof(digits)))
		return false;
	/* Before the 01: the text createTag() was given, printable ASCII. */
	for (size_t j = 0; j < i; j += 2) {
		int b = hex_val(t[j]) << 4 | hex_val(t[j + 1]);

		if (b < 0x20 || b > 0x7e)
			return false;
	}
	return true;
}

static bool
from_name(struct sip_str from)
{
	const char *lt = memchr(from.s, '<', from.len);
	struct sip_str name = { from.s, lt ? (uint32_t)(lt - from.s) : 0 };

	/* Most requests have no display name long enough to look in. */
	return name.len >= 10 && span_find(name, 0, "sipvicious") != NULL;
}

unsigned
scanner_match(const struct sip_msg *m)
{
	unsigned mask = 0;

	if (m->via.s && via_branch(m->via))
		mask |= SCANNER_BIT(SCANNER_VIA_BRANCH);
	if (m->from.s && from_tag(m->from))
		mask |= SCANNER_BIT(SCANNER_FROM_TAG);
	if (m->from.s && from_name(m->from))
		mask |= SCANNER_BIT(SCANNER_FROM_NAME);
	return mask;
}

unsigned
scanner_count(unsigned mask)
{
	return (unsigned)__builtin_popcount(mask);
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

const char *
scanner_mask_name(unsigned mask)
{
	static const char *const names[8] = {
		"none", "none", "via-branch", "none", "from-tag", "none",
		"via-branch+from-tag", "none",
	};
	static const char *const named[8] = {
		"from-name", "from-name", "via-branch+from-name", "from-name",
		"from-tag+from-name", "from-name", "via-branch+from-tag+from-name", "from-name",
	};

	mask &= SCANNER_BIT(SCANNER_VIA_BRANCH) | SCANNER_BIT(SCANNER_FROM_TAG) |
		SCANNER_BIT(SCANNER_FROM_NAME);
	return mask & SCANNER_BIT(SCANNER_FROM_NAME) ? named[mask & 7] : names[mask & 7];
}
