/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The harness of the SIP scanner tests (test_sip: scanning, realistic
 * messages and the attacker's spellings; test_sip_extract: extraction and
 * robustness): each scan on an exact-size heap copy, asserts on the flaw
 * found, and the sample messages.
 */
#ifndef SIPWARDEN_TEST_SIP_HARNESS_H
#define SIPWARDEN_TEST_SIP_HARNESS_H

#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip.h"

/*
 * Every scan works on an exact-size heap copy, so that an ASan build
 * catches any read past the end (a string literal would hide it behind
 * its NUL and the neighbouring rodata).
 */
static char *g_buf;
static struct sip_msg g_m;
static enum sip_flaw g_flaw;

static inline void
drop_buf(void)
{
	free(g_buf);
	g_buf = NULL;
}

static inline int
scan_n(const char *s, size_t n)
{
	drop_buf();
	g_buf = malloc(n ? n : 1);
	cr_assert_not_null(g_buf);
	memcpy(g_buf, s, n);
	return sip_scan(g_buf, n, &g_m, &g_flaw);
}

static inline int
scan(const char *s)
{
	return scan_n(s, strlen(s));
}

static inline int
span_is(struct sip_str v, const char *lit)
{
	if (v.s == NULL)
		return lit == NULL;
	return lit != NULL && v.len == strlen(lit) && memcmp(v.s, lit, v.len) == 0;
}

#define assert_span(v, lit) \
	cr_assert(span_is((v), (lit)), "%s: got '%.*s', want '%s'", #v, \
	    (int)(v).len, (v).s ? (v).s : "(null)", (lit) ? (lit) : "(null)")

/* a literal with embedded NULs */
#define BIN(lit) (lit), sizeof(lit) - 1

static inline void
assert_flaw(const char *s, enum sip_flaw want)
{
	cr_assert_eq(scan(s), -EBADMSG, "accepted: %s", s);
	cr_assert_eq(g_flaw, want, "flaw %s, want %s for: %s",
	    sip_flaw_name(g_flaw), sip_flaw_name(want), s);
}

static inline void
assert_ok(const char *s)
{
	int rc = scan(s);

	cr_assert_eq(rc, 0, "rc %d flaw %s for: %s", rc, sip_flaw_name(g_flaw), s);
}

/* ---- sample messages ---- */

#include "data/sip/messages.h"

/* A start line and the mandatory headers, for edge cases of one header. */
#define HDRS_MIN \
	"Via: SIP/2.0/UDP 203.0.113.20\r\n" \
	"From: <sip:a@b>;tag=1\r\n" \
	"To: <sip:a@b>\r\n" \
	"Call-ID: x\r\n"
#define REQ(h) "REGISTER sip:b SIP/2.0\r\n" HDRS_MIN h "\r\n"

#endif
