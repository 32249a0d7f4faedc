/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "sanity.h"
#include "sip.h"

#include "data/sip/messages.h"
#include "rng_harness.h"

/*
 * Every message is scanned from an exact-size heap copy, so that an ASan
 * build catches a read past the end of the buffer (sanity_check() walks
 * the header block again for repeated Contact / User-Agent headers).
 */
static struct config *g_cfg;
static char *g_buf;
static struct sip_msg g_m;
static char g_text[8192];	/* edited message text */

static void
setup(void)
{
	g_cfg = config_new_default();
	cr_assert_not_null(g_cfg);
}

static void
teardown(void)
{
	config_free(g_cfg);
	g_cfg = NULL;
	free(g_buf);
	g_buf = NULL;
}

TestSuite(sanity, .init = setup, .fini = teardown);
TestSuite(sanity_uri, .init = setup, .fini = teardown);
TestSuite(sanity_sqli, .init = setup, .fini = teardown);
TestSuite(sanity_fast, .init = setup, .fini = teardown);

/* Scan s (which must be SIP to sip_scan()) and judge it. */
static enum sanity_fail
judge(const char *s, bool sqli)
{
	size_t n = strlen(s);
	enum sip_flaw flaw;

	free(g_buf);
	g_buf = malloc(n);
	cr_assert_not_null(g_buf);
	memcpy(g_buf, s, n);
	cr_assert_eq(sip_scan(g_buf, n, &g_m, &flaw), 0, "sip_scan: %s for:\n%s",
	    sip_flaw_name(flaw), s);
	g_cfg->reject_sqli_chars = sqli;
	return sanity_check(&g_m, g_cfg);
}

#define assert_sane(s) assert_judged((s), false, SANITY_OK)
#define assert_fail(s, f) assert_judged((s), false, (f))

static void
assert_judged(const char *s, bool sqli, enum sanity_fail want)
{
	enum sanity_fail got = judge(s, sqli);

	cr_assert_eq(got, want, "got %s, want %s for:\n%s",
	    sanity_fail_name(got), sanity_fail_name(want), s);
}

/*
 * Message editing: with() replaces the first header line whose name
 * matches (case-insensitively, up to the colon) by line, or removes it when
 * line is NULL; plus() adds line at the end of the header block. Both work
 * on g_text and return it, so edits chain: with(plus(REG, ..), ..).
 */
static const char *
edit(const char *src, const char *name, const char *line)
{
	char tmp[sizeof(g_text)];
	const char *p, *eol, *hdr_end = strstr(src, "\r\n\r\n");
	size_t nl = name ? strlen(name) : 0, o = 0;
	bool done = false;

	cr_assert_not_null(hdr_end);
	for (p = src; *p != '\0'; p = eol) {
		eol = strstr(p, "\r\n");
		eol = eol ? eol + 2 : p + strlen(p);
		if (!done && name != NULL && p > src && p <= hdr_end &&
		    strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			if (line != NULL)
				o += (size_t)snprintf(tmp + o, sizeof(tmp) - o,
				    "%s\r\n", line);
			done = true;
			continue;
		}
		if (!done && name == NULL && p == hdr_end + 2) {
			o += (size_t)snprintf(tmp + o, sizeof(tmp) - o, "%s\r\n",
			    line);
			done = true;
		}
		cr_assert_lt(o + (size_t)(eol - p), sizeof(tmp));
		memcpy(tmp + o, p, (size_t)(eol - p));
		o += (size_t)(eol - p);
	}
	cr_assert(done, "no %s header to edit", name ? name : "end");
	tmp[o] = '\0';
	memcpy(g_text, tmp, o + 1);
	return g_text;
}

static const char *
with(const char *src, const char *name, const char *line)
{
	return edit(src, name, line);
}

static const char *
plus(const char *src, const char *line)
{
	return edit(src, NULL, line);
}

/* Replace the start line. */
static const char *
start(const char *src, const char *line)
{
	const char *eol = strstr(src, "\r\n");
	char tmp[sizeof(g_text)];

	cr_assert_not_null(eol);
	snprintf(tmp, sizeof(tmp), "%s%s", line, eol);
	memcpy(g_text, tmp, strlen(tmp) + 1);
	return g_text;
}

static const char *
invite_with_body(const char *cl, const char *body)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), INVITE_HDRS "%s%s\r\n%s",
	    cl ? cl : "", cl ? "\r\n" : "", body);
	return buf;
}

/* an INVITE with an SDP body and the right Content-Length */
static const char *
sdp_invite(void)
{
	char cl[64];

	snprintf(cl, sizeof(cl), "Content-Length: %zu", strlen(SDP));
	return invite_with_body(cl, SDP);
}

#define REG REG_AUTH
#define OK200 REPLY("200 OK")

/* ---- realistic traffic passes ---- */

Test(sanity, realistic_messages)
{
	assert_sane(REG_SIPSAK);
	assert_sane(REG_AUTH);
	assert_sane(OPT_SIPVICIOUS);
	assert_sane(OK200);
	assert_sane(REPLY("401 Unauthorized"));
	assert_sane(sdp_invite());
}

Test(sanity, names)
{
	cr_assert_str_eq(sanity_fail_name(SANITY_OK), "ok");
	cr_assert_str_eq(sanity_fail_name(SANITY_CL_MISMATCH),
	    "content-length-mismatch");
	cr_assert_str_eq(sanity_fail_name(SANITY__MAX), "?");
	cr_assert_str_eq(sanity_fail_name((enum sanity_fail)-1), "?");
	for (int f = 0; f < SANITY__MAX; f++) {
		const char *n = sanity_fail_name((enum sanity_fail)f);

		cr_assert(n != NULL && strcmp(n, "?") != 0, "no name for %d", f);
		for (int g = 0; g < f; g++)
			cr_assert_str_neq(n, sanity_fail_name((enum sanity_fail)g));
	}
}

Test(sanity, compact_headers)
{
	assert_sane("INVITE sip:bob@example.org SIP/2.0\r\n"
	    "v: SIP/2.0/UDP 203.0.113.20;branch=z9hG4bK-c\r\n"
	    "f: Alice <sip:alice@example.org>;tag=1\r\n"
	    "t: <sip:bob@example.org>\r\n"
	    "i: c1@pc33\r\n"
	    "CSEQ: 7 INVITE\r\n"
	    "m: <sip:alice@203.0.113.20>\r\n"
	    "l: 0\r\n"
	    "\r\n");
}

/* ---- SIP version ---- */

Test(sanity, version)
{
	assert_sane(start(REG, "REGISTER sip:example.org sip/2.0"));
	assert_sane(start(REG, "REGISTER sip:example.org Sip/2.0"));
	assert_fail(start(REG, "REGISTER sip:example.org SIP/3.0"),
	    SANITY_SIP_VERSION);
	assert_fail(start(REG, "REGISTER sip:example.org SIP/2.00"),
	    SANITY_SIP_VERSION);
	assert_fail(start(REG, "REGISTER sip:example.org SIP/1.0"),
	    SANITY_SIP_VERSION);
	assert_sane(start(OK200, "sip/2.0 200 OK"));
	assert_fail(start(OK200, "SIP/1.1 200 OK"), SANITY_SIP_VERSION);
}

/* ---- required and singleton headers ---- */

Test(sanity, required_headers_request)
{
	assert_fail(with(REG, "Via", NULL), SANITY_NO_VIA);
	assert_fail(with(REG, "From", NULL), SANITY_NO_FROM);
	assert_fail(with(REG, "To", NULL), SANITY_NO_TO);
	assert_fail(with(REG, "Call-ID", NULL), SANITY_NO_CALL_ID);
	assert_fail(with(REG, "CSeq", NULL), SANITY_NO_CSEQ);
	/* present but empty is missing */
	assert_fail(with(REG, "Call-ID", "Call-ID:"), SANITY_NO_CALL_ID);
	assert_fail(with(REG, "Via", "Via:   "), SANITY_NO_VIA);
	/* only the first Via is needed */
	assert_sane(plus(REG, "Via: SIP/2.0/UDP 198.51.100.1;branch=z9hG4bK-2"));
}

Test(sanity, required_headers_reply)
{
	assert_fail(with(OK200, "Via", NULL), SANITY_NO_VIA);
	assert_fail(with(OK200, "From", NULL), SANITY_NO_FROM);
	assert_fail(with(OK200, "To", NULL), SANITY_NO_TO);
	assert_fail(with(OK200, "Call-ID", NULL), SANITY_NO_CALL_ID);
	assert_fail(with(OK200, "CSeq", NULL), SANITY_NO_CSEQ);
}

Test(sanity, duplicate_headers)
{
	assert_fail(plus(REG, "From: <sip:106@example.org>;tag=2"),
	    SANITY_DUP_FROM);
	assert_fail(plus(REG, "f: <sip:106@example.org>;tag=2"), SANITY_DUP_FROM);
	assert_fail(plus(REG, "t: <sip:106@example.org>"), SANITY_DUP_TO);
	assert_fail(plus(REG, "CALL-ID: other"), SANITY_DUP_CALL_ID);
	assert_fail(plus(REG, "i: NmQ1ZTk0YzA4ZjE2YzQ3"), SANITY_DUP_CALL_ID);
	assert_fail(plus(REG, "CSeq: 2 REGISTER"), SANITY_DUP_CSEQ);
	assert_fail(plus(REG, "l: 0"), SANITY_DUP_CONTENT_LENGTH);
	assert_fail(plus(OK200, "From: <sip:106@example.org>;tag=2"),
	    SANITY_DUP_FROM);
}

/* ---- CSeq ---- */

Test(sanity, cseq_value)
{
	assert_sane(with(REG, "CSeq", "CSeq: 0 REGISTER"));
	assert_sane(with(REG, "CSeq", "CSeq: 2147483647 REGISTER"));
	assert_fail(with(REG, "CSeq", "CSeq: 2147483648 REGISTER"),
	    SANITY_CSEQ_VALUE);
	assert_fail(with(REG, "CSeq", "CSeq: abc REGISTER"), SANITY_CSEQ_VALUE);
	assert_fail(with(REG, "CSeq", "CSeq: -1 REGISTER"), SANITY_CSEQ_VALUE);
	assert_fail(with(REG, "CSeq", "CSeq: 2"), SANITY_CSEQ_VALUE);
	assert_fail(with(REG, "CSeq", "CSeq: REGISTER"), SANITY_CSEQ_VALUE);
	assert_fail(with(OK200, "CSeq", "CSeq: x REGISTER"), SANITY_CSEQ_VALUE);
}

Test(sanity, cseq_method)
{
	const char *ack, *cancel;

	assert_fail(with(REG, "CSeq", "CSeq: 2 INVITE"), SANITY_CSEQ_METHOD);
	/* methods are case-sensitive, and Kamailio compares bytes */
	assert_fail(with(REG, "CSeq", "CSeq: 2 register"), SANITY_CSEQ_METHOD);
	assert_fail(with(REG, "CSeq", "CSeq: 2 REGISTERX"), SANITY_CSEQ_METHOD);

	/* ACK and CANCEL carry their own method (RFC 3261 17.1.1.3, 9.1) */
	ack = start(invite_with_body("Content-Length: 0", ""),
	    "ACK sip:bob@example.org SIP/2.0");
	assert_fail(ack, SANITY_CSEQ_METHOD);
	assert_sane(with(ack, "CSeq", "CSeq: 314159 ACK"));
	cancel = start(invite_with_body(NULL, ""),
	    "CANCEL sip:bob@example.org SIP/2.0");
	assert_fail(cancel, SANITY_CSEQ_METHOD);
	assert_sane(with(cancel, "CSeq", "CSeq: 314159 CANCEL"));

	/* two unknown methods are equal only when spelled alike */
	assert_sane(with(start(REG, "FOO sip:example.org SIP/2.0"), "CSeq",
	    "CSeq: 1 FOO"));
	assert_fail(with(start(REG, "FOO sip:example.org SIP/2.0"), "CSeq",
	    "CSeq: 1 BAR"), SANITY_CSEQ_METHOD);

	/* replies answer any method */
	assert_sane(with(OK200, "CSeq", "CSeq: 5 INVITE"));
}

/* ---- Content-Length ---- */

Test(sanity, content_length)
{
	char cl[64];

	/* More octets than announced: in a datagram the rest is discarded
	 * (RFC 3261 18.3, RFC 4475 3.1.1.8 dblreq), the message is sane. */
	assert_sane(invite_with_body("Content-Length: 0", SDP));
	snprintf(cl, sizeof(cl), "Content-Length: %zu", strlen(SDP) - 1);
	assert_sane(invite_with_body(cl, SDP));
	/* fewer octets than announced: the message is cut short */
	snprintf(cl, sizeof(cl), "Content-Length: %zu", strlen(SDP) + 10);
	assert_fail(invite_with_body(cl, SDP), SANITY_CL_MISMATCH);
	snprintf(cl, sizeof(cl), "Content-Length: %zu", strlen(SDP) + 1);
	assert_fail(invite_with_body(cl, SDP), SANITY_CL_MISMATCH);
	snprintf(cl, sizeof(cl), "l: %zu", strlen(SDP));
	assert_sane(invite_with_body(cl, SDP));
	/* UDP: a missing Content-Length is allowed */
	assert_sane(invite_with_body(NULL, SDP));
	assert_sane(invite_with_body(NULL, ""));
	assert_fail(invite_with_body("Content-Length: abc", ""), SANITY_CL_VALUE);
	assert_fail(invite_with_body("Content-Length: 0x0", ""), SANITY_CL_VALUE);
	assert_fail(invite_with_body("Content-Length:", ""), SANITY_CL_VALUE);
	assert_fail(invite_with_body("Content-Length: -5", ""), SANITY_CL_VALUE);
	assert_fail(with(OK200, "Content-Length", "Content-Length: 3"),
	    SANITY_CL_MISMATCH);
}

/* ---- Digest credentials ---- */

/* The username policy keys failures on must be the one the server
 * authenticates: credentials that parsers read two ways are malformed. */
Test(sanity, credentials)
{
	assert_sane(REG_AUTH);
	assert_sane(with(REG, "Authorization", "Authorization: Digest username=105, "
	    "realm=\"example.org\", nonce=\"x\", uri=\"sip:example.org\", response=\"y\""));
	assert_sane(with(REG, "Authorization", "Authorization: NoOneKnowsThisScheme x=y"));
	assert_sane(with(REG, "Authorization", "Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l"));
	/* Kamailio reads "105\" here, RFC 2617 reads 105"x */
	assert_fail(with(REG, "Authorization", "Authorization: Digest username=\"105\\\"x\", "
	    "realm=\"example.org\""), SANITY_CREDENTIALS);
	assert_fail(with(REG, "Authorization", "Authorization: Digest realm=\"a\\\"\", "
	    "username=\"105\""), SANITY_CREDENTIALS);
	/* Kamailio takes the last of two usernames */
	assert_fail(with(REG, "Authorization", "Authorization: Digest username=\"105\", "
	    "username=\"106\", realm=\"example.org\""), SANITY_CREDENTIALS);
	/* junk after a value, an empty username, no username */
	assert_fail(with(REG, "Authorization", "Authorization: Digest username=\"105\"x, "
	    "realm=\"example.org\""), SANITY_CREDENTIALS);
	assert_fail(with(REG, "Authorization", "Authorization: digest username=, realm=\"e\""),
	    SANITY_CREDENTIALS);
	assert_fail(with(REG, "Authorization", "Authorization: Digest realm=\"example.org\""),
	    SANITY_CREDENTIALS);
	assert_fail(plus(REG, "Proxy-Authorization: Digest username=\"a\", username=\"b\""),
	    SANITY_CREDENTIALS);
	/* replies carry none */
	assert_sane(OK200);
}

/* ---- Expires, Max-Forwards ---- */

Test(sanity, expires)
{
	assert_sane(with(REG, "Expires", "Expires: 0"));
	assert_sane(with(REG, "Expires", "Expires: 4294967295"));
	assert_sane(with(REG, "Expires", NULL));
	assert_fail(with(REG, "Expires", "Expires: 4294967296"), SANITY_EXPIRES);
	assert_fail(with(REG, "Expires", "Expires: 99999999999999999999999"),
	    SANITY_EXPIRES);
	assert_fail(with(REG, "Expires", "Expires: -1"), SANITY_EXPIRES);
	assert_fail(with(REG, "Expires", "Expires: 36OO"), SANITY_EXPIRES);
	assert_fail(with(REG, "Expires", "Expires: 3600 3600"), SANITY_EXPIRES);
	assert_fail(with(REG, "Expires", "Expires:"), SANITY_EXPIRES);
	assert_fail(with(REG, "Expires",
	    "Expires: Thu, 01 Dec 1994 16:00:00 GMT"), SANITY_EXPIRES);
}

Test(sanity, max_forwards)
{
	assert_sane(with(REG, "Max-Forwards", "Max-Forwards: 0"));
	assert_sane(with(REG, "Max-Forwards", "Max-Forwards: 255"));
	assert_sane(with(REG, "Max-Forwards", NULL));
	assert_fail(with(REG, "Max-Forwards", "Max-Forwards: 256"),
	    SANITY_MAX_FORWARDS);
	assert_fail(with(REG, "Max-Forwards", "Max-Forwards: 70a"),
	    SANITY_MAX_FORWARDS);
	assert_fail(with(REG, "Max-Forwards", "Max-Forwards: -1"),
	    SANITY_MAX_FORWARDS);
	assert_fail(with(REG, "Max-Forwards", "MAX-FORWARDS:"),
	    SANITY_MAX_FORWARDS);
	assert_fail(with(REG, "Max-Forwards",
	    "Max-Forwards: 99999999999999999999"), SANITY_MAX_FORWARDS);
}

/* ---- URIs ---- */

#define RURI(u) start(REG, "REGISTER " u " SIP/2.0")

Test(sanity_uri, ruri)
{
	assert_sane(RURI("sip:example.org"));
	assert_sane(RURI("SIP:Example.ORG:5060;transport=udp"));
	assert_sane(RURI("sips:105@example.org"));
	assert_sane(RURI("tel:+4930123456;phone-context=example.org"));
	assert_sane(RURI("TEL:+1-201-555-0123"));
	assert_sane(RURI("sip:105@[2001:db8::1]:5060"));	/* libosip2 */
	assert_sane(RURI("sip:%61lice@example.org"));	/* libosip2 */
	assert_sane(RURI("sip:alice@example.org?Subject=x"));
	assert_fail(RURI("http://example.org/"), SANITY_RURI_SCHEME);
	assert_fail(RURI("mailto:alice@example.org"), SANITY_RURI_SCHEME);
	assert_fail(RURI("sipx:alice@example.org"), SANITY_RURI_SCHEME);
	assert_fail(RURI("example.org"), SANITY_RURI_SCHEME);
	assert_fail(RURI("sip:alice@"), SANITY_RURI_PARSE);
	assert_fail(RURI("sip:"), SANITY_RURI_PARSE);
	assert_fail(RURI("tel:"), SANITY_RURI_PARSE);
	/* libosip2 refuses one byte after "tel:"; the shortcut passed it
	 * (found by fuzz_fastpath). Two bytes are fine. */
	assert_fail(RURI("tel:1"), SANITY_RURI_PARSE);
	assert_sane(RURI("tel:12"));
	assert_sane(RURI("tel:1;x"));
}

Test(sanity_uri, from)
{
	assert_sane(with(REG, "From", "From: sip:105@example.org;tag=1"));
	assert_sane(with(REG, "From", "From: Alice Smith <sip:105@example.org>;tag=1"));
	assert_sane(with(REG, "From",
	    "From: \"Alice \\\"A\\\" <x>\" <sip:105@example.org>;tag=1"));
	assert_sane(with(REG, "From", "From: <tel:+4930123456>;tag=1"));
	assert_sane(with(REG, "From", "From: <tel:+1>;tag=1"));
	assert_fail(with(REG, "From", "From: <tel:1>;tag=1"), SANITY_FROM_PARSE);
	assert_sane(with(REG, "From", "From: \"Alice\"\r\n <sip:105@example.org>;tag=1"));
	assert_sane(with(REG, "From", "From: <sips:105@[2001:DB8::1]>;tag=1"));
	assert_fail(with(REG, "From", "From: <http://example.org/>;tag=1"),
	    SANITY_FROM_SCHEME);
	assert_fail(with(REG, "From", "From: \"Alice\" <mailto:a@example.org>"),
	    SANITY_FROM_SCHEME);
	assert_fail(with(REG, "From", "From: alice@example.org"),
	    SANITY_FROM_SCHEME);
	assert_fail(with(REG, "From", "From: <sip:105@>;tag=1"), SANITY_FROM_PARSE);
	assert_fail(with(REG, "From", "From: \"Alice <sip:105@example.org>"),
	    SANITY_FROM_PARSE);
	assert_fail(with(REG, "From", "From: <sip:105@example.org"),
	    SANITY_FROM_PARSE);
}

/* An unquoted display name is tokens and LWS: anything else there reads
 * as a URI to some parser (libosip2 took the addr-spec 105 in the first,
 * Kamailio the name-addr y). */
Test(sanity_uri, display_name_with_uri_characters)
{
	assert_fail(with(REG, "From", "From: sip:105@example.org?x=<sip:y@z>"),
	    SANITY_FROM_PARSE);
	assert_fail(with(REG, "To", "To: sip:105@example.org?x=<sip:y@z>"),
	    SANITY_TO_PARSE);
	assert_fail(with(REG, "From", "From: Bell, Alexander <sip:105@example.org>"),
	    SANITY_FROM_PARSE);	/* RFC 4475 3.1.2.15 */
	assert_fail(with(REG, "From", "From: a/b=c <sip:105@example.org>;tag=1"),
	    SANITY_FROM_PARSE);
	/* the benign twins: tokens (all of them), LWS, UTF-8, quoted */
	assert_sane(with(REG, "From",
	    "From: tok%~`'*!.-_+ two\t<sip:105@example.org>;tag=1"));
	assert_sane(with(REG, "From", "From: J\xc3\xa9r\xc3\xb4me <sip:105@example.org>;tag=1"));
	assert_sane(with(REG, "From", "From: \"a:b@c?d=<e>\" <sip:105@example.org>;tag=1"));
	assert_sane(with(REG, "From", "From: sip:105@example.org;tag=1"));
}

Test(sanity_uri, to)
{
	assert_sane(with(REG, "To", "To: \"Bob\" <sip:bob@example.org>"));
	assert_sane(with(REG, "To", "t: tel:+4930123456"));
	assert_fail(with(REG, "To", "To: <http://example.org/>"), SANITY_TO_SCHEME);
	assert_fail(with(REG, "To", "To: <>"), SANITY_TO_SCHEME);
	assert_fail(with(REG, "To", "To: <sip:>"), SANITY_TO_PARSE);
	assert_fail(with(OK200, "To", "To: <http://x>;tag=1"), SANITY_TO_SCHEME);
}

/* ---- reject_sqli_chars ---- */

static void
assert_sqli(const char *s, enum sanity_fail want)
{
	assert_judged(s, false, SANITY_OK);	/* off: no opinion */
	assert_judged(s, true, want);
}

Test(sanity_sqli, clean_traffic_passes)
{
	/* a quoted display name is what secfilter strips before it looks */
	assert_judged(REG_AUTH, true, SANITY_OK);
	assert_judged(REG_SIPSAK, true, SANITY_OK);
	assert_judged(OPT_SIPVICIOUS, true, SANITY_OK);
	assert_judged(sdp_invite(), true,
	    SANITY_OK);
	/* quoted contact parameters are not part of the URI */
	assert_judged(with(REG, "Contact", "Contact: <sip:105@203.0.113.20>"
	    ";+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\""
	    ";reg-id=1"), true, SANITY_OK);
	assert_judged(with(REG, "Contact", "Contact: *"), true, SANITY_OK);
	/* IDNA hosts carry "--" */
	assert_judged(with(REG, "To", "To: <sip:105@xn--bcher-kva.example>"),
	    true, SANITY_OK);
	/* replies are not checked */
	assert_judged(with(OK200, "From", "From: <sip:x'@example.org>;tag=1"),
	    true, SANITY_OK);
}

Test(sanity_sqli, user_agent)
{
	assert_sqli(with(REG, "User-Agent", "User-Agent: x' OR '1'='1"),
	    SANITY_SQLI_UA);
	assert_sqli(with(REG, "User-Agent", "User-Agent: \"quoted\" agent"),
	    SANITY_SQLI_UA);
	assert_sqli(with(REG, "User-Agent", "User-Agent: abc -- comment"),
	    SANITY_SQLI_UA);
	assert_sqli(with(REG, "User-Agent", "User-Agent: a%27b"), SANITY_SQLI_UA);
	assert_sqli(with(REG, "User-Agent", "User-Agent: a%22b"), SANITY_SQLI_UA);
	assert_sqli(with(REG, "User-Agent", "User-Agent: a%60b"), SANITY_SQLI_UA);
	/* the second User-Agent header is checked too */
	assert_sqli(plus(REG, "User-Agent: evil%27"), SANITY_SQLI_UA);
	assert_judged(with(REG, "User-Agent", "User-Agent: Zoiper 5.6-1 %20"),
	    true, SANITY_OK);
}

Test(sanity_sqli, from_to)
{
	assert_sqli(with(REG, "From", "From: \"O'Neil\" <sip:105@example.org>;tag=1"),
	    SANITY_SQLI_FROM);
	assert_sqli(with(REG, "From",
	    "From: \"a\\\"b\" <sip:105@example.org>;tag=1"), SANITY_SQLI_FROM);
	assert_sqli(with(REG, "From", "From: <sip:105%27or@example.org>;tag=1"),
	    SANITY_SQLI_FROM);
	assert_sqli(with(REG, "From", "From: sip:1--@example.org;tag=1"),
	    SANITY_SQLI_FROM);
	assert_sqli(with(REG, "From", "From: Alice--x <sip:105@example.org>;tag=1"),
	    SANITY_SQLI_FROM);
	assert_sqli(with(REG, "To", "To: <sip:105@example.org%60>"),
	    SANITY_SQLI_TO);
	assert_sqli(with(REG, "To", "To: <sip:a--b@example.org>"), SANITY_SQLI_TO);
	assert_sqli(with(REG, "To", "To: \"x%22\" <sip:105@example.org>"),
	    SANITY_SQLI_TO);
	/* header parameters after the URI are not checked, as secfilter */
	assert_judged(with(REG, "From",
	    "From: <sip:105@example.org>;tag=a--b"), true, SANITY_OK);
}

Test(sanity_sqli, contact)
{
	assert_sqli(with(REG, "Contact", "Contact: <sip:105'@203.0.113.20>"),
	    SANITY_SQLI_CONTACT);
	assert_sqli(with(REG, "Contact", "m: sip:105%22@203.0.113.20;expires=60"),
	    SANITY_SQLI_CONTACT);
	/* every contact of the list, and every Contact header */
	assert_sqli(with(REG, "Contact", "Contact: <sip:105@203.0.113.20>, "
	    "\"B, c\" <sip:x--y@203.0.113.21>"), SANITY_SQLI_CONTACT);
	assert_sqli(plus(REG, "m: <sip:1%60@203.0.113.22>"), SANITY_SQLI_CONTACT);
	assert_sqli(plus(REG, "Contact:\r\n <sip:ok@203.0.113.22>,\r\n"
	    " <sip:o'k@203.0.113.23>"), SANITY_SQLI_CONTACT);
	assert_judged(plus(REG, "Contact: <sip:ok@203.0.113.22>;q=0.5"), true,
	    SANITY_OK);
	/* a broken entry is checked whole */
	assert_sqli(with(REG, "Contact", "Contact: <sip:105@h;x=\"a'"),
	    SANITY_SQLI_CONTACT);
}

/* ---- the fast path never accepts what libosip2 refuses ---- */

static uint64_t g_rng = 0x9e3779b97f4a7c15ULL;

/* xorshift64 from rng_harness.h, seeded here */
#define rnd(n) xorshift64_below(&g_rng, (n))

/* A mutation of a valid-looking value: characters replaced, inserted or
 * deleted from an alphabet of the bytes URIs and name-addrs care about. */
static void
mutate(const char *seed, char *out, size_t outlen, bool spaces)
{
	static const char alpha[] = "sipSIPtelTEL:@.;=+-_!~*%0123456789abxn"
	    "[]<>\"',?&/()\\\xc3\xbc ";
	size_t n = strlen(seed), i, o = 0, na = sizeof(alpha) - (spaces ? 1 : 2);

	for (i = 0; i <= n && o + 2 < outlen; i++) {
		unsigned r = rnd(16);

		if (r == 0 && i < n)
			continue;			/* delete */
		if (r == 1)
			out[o++] = alpha[rnd((unsigned)na)];	/* insert */
		if (i == n)
			break;
		out[o++] = r == 2 ? alpha[rnd((unsigned)na)] : seed[i];
	}
	out[o] = '\0';
}

Test(sanity_fast, agrees_with_libosip, .timeout = 60)
{
	static const char *const from_seeds[] = {
		"\"Alice\" <sip:105@example.org>;tag=9a8b7c6d",
		"Alice <sips:alice@pc33.example.org:5061;transport=tls>;tag=1",
		"sip:105@198.51.100.10;tag=4a5b6c7d",
		"<tel:+4930123456;phone-context=example.org>;tag=1",
		"<sip:a.b-c_d!e~f*g+h@h-1.example.org:65535;lr;x=y>",
		"<sip:105@[2001:db8::1]:5060>;tag=1",
		"sip:[::ffff:198.51.100.1];tag=2",
		"\"J\xc3\xbcrgen M\xc3\xbcller\" <sip:105@example.org>;tag=3",
		"\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd <sip:ivan@example.org>;tag=4",
	};
	static const char *const ruri_seeds[] = {
		"sip:105@example.org:5060;transport=udp",
		"sips:alice@pc33.example.org",
		"tel:+1-201-555-0123;phone-context=x",
		"sip:example.org;lr",
		"sip:105@[2001:DB8:0::a]:5060;lr",
	};
	char v[256], line[300], user[2048], host[2048];
	unsigned i, sane = 0, checked = 0, stricter = 0;
	enum sanity_fail f;
	int r;

	for (i = 0; i < 200000; i++) {
		bool ruri = i & 1;
		const char *s;

		if (ruri) {
			mutate(ruri_seeds[rnd(5)], v, sizeof(v), false);
			snprintf(line, sizeof(line), "REGISTER %s SIP/2.0", v);
			s = start(REG, line);
		} else {
			mutate(from_seeds[rnd(9)], v, sizeof(v), true);
			snprintf(line, sizeof(line), "From: %s", v);
			s = with(REG, "From", line);
		}
		free(g_buf);
		g_buf = strdup(s);
		cr_assert_not_null(g_buf);
		if (sip_scan(g_buf, strlen(g_buf), &g_m, NULL) != 0 ||
		    g_m.n_from != 1 || g_m.from.len == 0)
			continue;	/* the mutation broke the framing */
		f = sanity_check(&g_m, NULL);
		if (ruri) {
			cr_assert(f == SANITY_OK || f == SANITY_RURI_SCHEME ||
			    f == SANITY_RURI_PARSE, "%s for R-URI %s",
			    sanity_fail_name(f), v);
			r = sip_extract_uri_userhost(g_m.ruri, user, sizeof(user),
			    host, sizeof(host));
		} else {
			cr_assert(f == SANITY_OK || f == SANITY_FROM_SCHEME ||
			    f == SANITY_FROM_PARSE, "%s for From %s",
			    sanity_fail_name(f), v);
			/* libosip2 itself, not sip_extract_userhost(): that
			 * takes the same kind of shortcut for common shapes */
			r = sip_extract_userhost_osip(g_m.from, user, sizeof(user),
			    host, sizeof(host));
		}
		checked++;
		if (f == SANITY_OK) {
			sane++;
			cr_assert_eq(r, 0, "sanity accepted, libosip2 %d: '%s'", r, v);
		} else if (r == 0) {
			stricter++;
		}
	}
	cr_log_info("fast path: %u checked, %u sane, %u stricter than libosip2",
	    checked, sane, stricter);
	cr_assert_gt(sane, checked / 10);
	cr_assert_gt(checked - sane, checked / 10);
}
