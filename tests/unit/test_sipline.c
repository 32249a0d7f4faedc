/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The scanner's line search (sip.c find_ctl()) takes a line's end and its
 * first control byte from a 16- or 8-byte compare's mask instead of a
 * bytewise rescan: every position in a block, on either side of a block
 * boundary, must come out exact, and bytes next to the control range
 * (0x20, 0x7e, 0x80, 0xff) must never be taken for one.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sip.h"

#define HEAD "OPTIONS sip:100@example.org SIP/2.0\r\nVia: SIP/2.0/UDP 203.0.113.5;branch=z9hG4bKx\r\n" \
	     "From: <sip:1@example.org>;tag=1\r\nTo: <sip:100@example.org>\r\nCall-ID: c\r\n" \
	     "CSeq: 1 OPTIONS\r\n"

static int
scan_ua(const char *ua, size_t n, struct sip_msg *m, enum sip_flaw *flaw)
{
	static char buf[1024];
	size_t h = strlen(HEAD);

	memcpy(buf, HEAD, h);
	memcpy(buf + h, "User-Agent: ", 12);
	memcpy(buf + h + 12, ua, n);
	memcpy(buf + h + 12 + n, "\r\nContent-Length: 0\r\n\r\n", 23);
	return sip_scan(buf, h + 12 + n + 23, m, flaw);
}

Test(sipline, every_length_ends_where_it_ends)
{
	char ua[200];
	struct sip_msg m;
	enum sip_flaw f;

	for (size_t n = 1; n < sizeof(ua); n++) {
		memset(ua, 'a' + (int)(n % 26), n);
		cr_assert_eq(scan_ua(ua, n, &m, &f), 0, "length %zu: %s", n, sip_flaw_name(f));
		cr_assert_eq(m.user_agent.len, n, "length %zu read as %u", n, m.user_agent.len);
		cr_assert_eq(m.content_length_val, 0);
	}
}

Test(sipline, a_control_byte_anywhere_is_binary)
{
	static const unsigned char ctl[] = { 0x00, 0x01, 0x0b, 0x0c, 0x1f, 0x7f };
	/* Neighbours of the control range, before the control byte: a
	 * borrow out of them must not move the hit. */
	static const unsigned char fill[] = { 0x20, 0x21, 0x7e, 0x80, 0xa0, 0xff, 'x' };
	char ua[64];
	struct sip_msg m;
	enum sip_flaw f;

	for (size_t c = 0; c < sizeof(ctl); c++)
		for (size_t fi = 0; fi < sizeof(fill); fi++)
			for (size_t k = 1; k < sizeof(ua) - 1; k++) {
				memset(ua, fill[fi], sizeof(ua));
				ua[k] = (char)ctl[c];
				cr_assert_eq(scan_ua(ua, sizeof(ua), &m, &f), -EBADMSG,
					     "0x%02x at %zu after 0x%02x passed", ctl[c], k, fill[fi]);
				cr_assert_eq(f, SIP_FLAW_BINARY, "0x%02x at %zu: %s", ctl[c], k,
					     sip_flaw_name(f));
			}
}

Test(sipline, neighbours_of_the_control_range_are_text)
{
	static const unsigned char ok[] = { 0x20, 0x21, 0x7e, 0x80, 0x9f, 0xa0, 0xfe, 0xff };
	char ua[64];
	struct sip_msg m;
	enum sip_flaw f;

	for (size_t i = 0; i < sizeof(ok); i++)
		for (size_t k = 1; k < sizeof(ua) - 1; k++) {
			memset(ua, 'u', sizeof(ua));
			ua[k] = (char)ok[i];
			cr_assert_eq(scan_ua(ua, sizeof(ua), &m, &f), 0, "0x%02x at %zu: %s", ok[i],
				     k, sip_flaw_name(f));
			cr_assert_eq(m.user_agent.len, sizeof(ua));
		}
}

/* A tab inside a value is no line end: the search goes on past it. */
Test(sipline, tabs_are_skipped_at_every_position)
{
	char ua[48];
	struct sip_msg m;
	enum sip_flaw f;

	for (size_t k = 1; k < sizeof(ua) - 1; k++) {
		memset(ua, 'v', sizeof(ua));
		ua[k] = '\t';
		cr_assert_eq(scan_ua(ua, sizeof(ua), &m, &f), 0, "tab at %zu: %s", k, sip_flaw_name(f));
		cr_assert_eq(m.user_agent.len, sizeof(ua));
	}
}
