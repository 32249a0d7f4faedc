/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests: sipreply_build(), the "403 Try again later" to a banned
 * user's request (RFC 3261 8.2.6: every Via, From, To with a tag, Call-ID,
 * CSeq copied).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip.h"
#include "sipreply.h"

#define REASON "Try again later"

static struct sip_msg g_req;
static char *g_in;          /* exact-size heap copy of the request */
static size_t g_inlen;
static char g_out[4096];

static void
fini(void)
{
	free(g_in);
	g_in = NULL;
}

TestSuite(sipreply, .fini = fini);

static void
scan_req(const char *text)
{
	enum sip_flaw f;

	free(g_in);
	g_inlen = strlen(text);
	g_in = malloc(g_inlen);
	cr_assert_not_null(g_in);
	memcpy(g_in, text, g_inlen);
	cr_assert_eq(sip_scan(g_in, g_inlen, &g_req, &f), 0, "request does not scan: %s",
		     sip_flaw_name(f));
}

static int
build(size_t outlen)
{
	return sipreply_build(g_in, g_inlen, &g_req, 403, REASON, g_out, outlen);
}

/* The reply scans as a 403 with the request's fields; returns it. */
static struct sip_msg
scan_reply(int n)
{
	struct sip_msg r;
	enum sip_flaw f;

	cr_assert_gt(n, 0);
	cr_assert_eq(sip_scan(g_out, (size_t)n, &r, &f), 0, "reply does not scan (%s):\n%.*s",
		     sip_flaw_name(f), n, g_out);
	cr_assert_not(r.is_request);
	cr_assert_eq(r.status, 403);
	cr_assert_eq(r.header_len, (uint32_t)n);
	cr_assert_eq(r.body.len, 0);
	cr_assert(r.content_length_ok);
	cr_assert_eq(r.content_length_val, 0);
	return r;
}

static bool
span_eq(struct sip_str a, struct sip_str b)
{
	return a.len == b.len && memcmp(a.s, b.s, a.len) == 0;
}

/* Every line of the reply ends in CRLF, and there is no bare CR or LF. */
static void
assert_crlf(int n)
{
	for (int i = 0; i < n; i++) {
		if (g_out[i] == '\n')
			cr_assert(i > 0 && g_out[i - 1] == '\r', "bare LF at %d:\n%.*s", i, n, g_out);
		if (g_out[i] == '\r')
			cr_assert(i + 1 < n && g_out[i + 1] == '\n', "bare CR at %d", i);
	}
}

static const char *
find(const char *needle, int n)
{
	return memmem(g_out, (size_t)n, needle, strlen(needle));
}

static const char two_vias[] =
	"REGISTER sip:example.org SIP/2.0\r\n"
	"v: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK-first;rport=5060;received=203.0.113.5\r\n"
	"Max-Forwards: 69\r\n"
	"Via: SIP/2.0/UDP 10.0.0.7:5062;\r\n"
	" branch=z9hG4bK-second\r\n"
	"From: \"Alice\" <sip:alice@example.org>;tag=a73kszlfl\r\n"
	"To: <sip:alice@example.org>\r\n"
	"Call-ID: 1j9FpLxk3uxtm8tn@10.0.0.7\r\n"
	"CSeq: 7 REGISTER\r\n"
	"Contact: <sip:alice@10.0.0.7:5062>\r\n"
	"Content-Length: 0\r\n\r\n";

Test(sipreply, register_with_compact_and_folded_via)
{
	int n;
	struct sip_msg r;
	const char *v1, *v2, *from;

	scan_req(two_vias);
	n = build(sizeof(g_out));
	cr_assert_gt(n, 0);
	cr_assert(strncmp(g_out, "SIP/2.0 403 Try again later\r\n", 29) == 0, "%.*s", n, g_out);
	assert_crlf(n);
	r = scan_reply(n);
	/* the Vias, in order, as they were (compact name and folding kept) */
	v1 = find("\r\nv: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK-first;rport=5060;"
		  "received=203.0.113.5\r\n", n);
	v2 = find("\r\nVia: SIP/2.0/UDP 10.0.0.7:5062;\r\n branch=z9hG4bK-second\r\n", n);
	cr_assert_not_null(v1, "%.*s", n, g_out);
	cr_assert_not_null(v2, "%.*s", n, g_out);
	cr_assert_lt(v1, v2);
	cr_assert_eq(v1, g_out + 27, "the first Via follows the status line");
	cr_assert_eq(r.n_via, 2);
	cr_assert(span_eq(r.via, g_req.via));
	/* nothing else of the request */
	cr_assert_null(find("Max-Forwards", n));
	cr_assert_null(find("Contact", n));
	/* From, Call-ID, CSeq copied; To gets a tag */
	cr_assert(span_eq(r.from, g_req.from));
	cr_assert(span_eq(r.call_id, g_req.call_id));
	cr_assert(span_eq(r.cseq, g_req.cseq));
	cr_assert(r.cseq_ok);
	cr_assert_eq(r.cseq_num, 7);
	cr_assert_eq(r.cseq_method, SIP_METHOD_REGISTER);
	cr_assert(strncmp(r.to.s, "<sip:alice@example.org>;tag=", 28) == 0, "%.*s",
		  (int)r.to.len, r.to.s);
	cr_assert_gt(r.to.len, 28, "empty To tag");
	from = find("\r\nFrom: ", n);
	cr_assert_gt(from, v2, "From before the last Via");
	cr_assert_eq(r.n_from, 1);
	cr_assert_eq(r.n_to, 1);
	cr_assert_eq(r.n_call_id, 1);
	cr_assert_eq(r.n_cseq, 1);
	/* it ends with the empty line */
	cr_assert(memcmp(g_out + n - 4, "\r\n\r\n", 4) == 0);
}

Test(sipreply, to_tag_kept_when_present)
{
	static const char req[] =
		"INVITE sip:bob@example.org SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK-reinv\r\n"
		"From: <sip:alice@example.org>;tag=a73kszlfl\r\n"
		"To: \"Bob\" <sip:bob@example.org>;tag=314159\r\n"
		"Call-ID: dlg-1@203.0.113.5\r\n"
		"CSeq: 3 INVITE\r\n"
		"Content-Length: 0\r\n\r\n";
	int n;
	struct sip_msg r;

	scan_req(req);
	n = build(sizeof(g_out));
	r = scan_reply(n);
	cr_assert(span_eq(r.to, g_req.to), "To changed: %.*s", (int)r.to.len, r.to.s);
	cr_assert_null(find("tag=314159;tag", n));
}

/* Parameter names are case-insensitive: ";TAG=x" is a To tag, and a second
 * tag makes the reply's To invalid. Enable once the check ignores case. */
Test(sipreply, to_tag_any_case_kept)
{
	static const char req[] =
		"INVITE sip:bob@example.org SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK-reinv\r\n"
		"From: <sip:alice@example.org>;tag=a73kszlfl\r\n"
		"To: <sip:bob@example.org>;TAG=314159\r\n"
		"Call-ID: dlg-1@203.0.113.5\r\n"
		"CSeq: 3 INVITE\r\n"
		"Content-Length: 0\r\n\r\n";
	int n;
	struct sip_msg r;

	scan_req(req);
	n = build(sizeof(g_out));
	r = scan_reply(n);
	cr_assert(span_eq(r.to, g_req.to), "To changed: %.*s", (int)r.to.len, r.to.s);
}

Test(sipreply, lf_only_request)
{
	static const char req[] =
		"REGISTER sip:example.org SIP/2.0\n"
		"Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK-lf1\n"
		"VIA: SIP/2.0/UDP 10.0.0.7:5060;branch=z9hG4bK-lf2\n"
		"From: <sip:alice@example.org>;tag=lf\n"
		"To: <sip:alice@example.org>\n"
		"Call-ID: lf-only@203.0.113.5\n"
		"CSeq: 1 REGISTER\n"
		"Content-Length: 0\n\n";
	int n;
	struct sip_msg r;
	const char *v1, *v2;

	scan_req(req);
	n = build(sizeof(g_out));
	assert_crlf(n);
	r = scan_reply(n);
	v1 = find("\r\nVia: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK-lf1\r\n", n);
	v2 = find("\r\nVIA: SIP/2.0/UDP 10.0.0.7:5060;branch=z9hG4bK-lf2\r\n", n);
	cr_assert(v1 && v2 && v1 < v2, "%.*s", n, g_out);
	cr_assert_eq(r.n_via, 2);
	cr_assert(span_eq(r.call_id, g_req.call_id));
}

Test(sipreply, via_spellings)
{
	static const char req[] =
		"OPTIONS sip:example.org SIP/2.0\r\n"
		"Via : SIP/2.0/UDP 203.0.113.5;branch=z9hG4bK-a\r\n"
		"V: SIP/2.0/UDP 203.0.113.6;branch=z9hG4bK-b, SIP/2.0/UDP 203.0.113.7;branch=z9hG4bK-c\r\n"
		"Via-Extra: not a via\r\n"
		"vv: not a via\r\n"
		"From: <sip:a@example.org>;tag=1\r\n"
		"To: <sip:b@example.org>\r\n"
		"Call-ID: spell@203.0.113.5\r\n"
		"CSeq: 1 OPTIONS\r\n"
		"Content-Length: 0\r\n\r\n";
	int n;
	struct sip_msg r;

	scan_req(req);
	n = build(sizeof(g_out));
	r = scan_reply(n);
	cr_assert_eq(r.n_via, 2);
	cr_assert_not_null(find("\r\nVia : SIP/2.0/UDP 203.0.113.5;branch=z9hG4bK-a\r\nV: ", n));
	cr_assert_not_null(find("branch=z9hG4bK-b, SIP/2.0/UDP 203.0.113.7;branch=z9hG4bK-c\r\n",
				n));
	cr_assert_null(find("Via-Extra", n));
	cr_assert_null(find("vv:", n));
}

Test(sipreply, body_is_not_copied)
{
	static const char req[] =
		"INVITE sip:bob@example.org SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK-body\r\n"
		"From: <sip:alice@example.org>;tag=b1\r\n"
		"To: <sip:bob@example.org>\r\n"
		"Call-ID: body@203.0.113.5\r\n"
		"CSeq: 1 INVITE\r\n"
		"Content-Type: application/sdp\r\n"
		"Content-Length: 44\r\n\r\n"
		"v=0\r\n"
		"Via: SIP/2.0/UDP 6.6.6.6;branch=z9hG4bKevil\r\n";
	int n;
	struct sip_msg r;

	scan_req(req);
	n = build(sizeof(g_out));
	r = scan_reply(n);
	cr_assert_eq(r.n_via, 1);
	cr_assert_null(find("6.6.6.6", n));
	cr_assert_null(find("application/sdp", n));
}

Test(sipreply, a_reply_is_refused)
{
	static const char rep[] =
		"SIP/2.0 200 OK\r\n"
		"Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK-r\r\n"
		"From: <sip:a@example.org>;tag=1\r\n"
		"To: <sip:a@example.org>;tag=2\r\n"
		"Call-ID: r@203.0.113.5\r\n"
		"CSeq: 1 REGISTER\r\n"
		"Content-Length: 0\r\n\r\n";

	scan_req(rep);
	cr_assert_eq(build(sizeof(g_out)), -EINVAL);
}

Test(sipreply, missing_headers_refused)
{
	static const char *const reqs[] = {
		"OPTIONS sip:x SIP/2.0\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\n"
		"Call-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n",
		"OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\nTo: <sip:a@b>\r\n"
		"Call-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n",
		"OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n"
		"From: <sip:a@b>;tag=1\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n",
		"OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n"
		"From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCSeq: 1 OPTIONS\r\n\r\n",
		"OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n"
		"From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\n\r\n",
	};
	for (unsigned i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		scan_req(reqs[i]);
		cr_assert_eq(build(sizeof(g_out)), -EINVAL, "request %u", i);
	}
}

Test(sipreply, tiny_buffer)
{
	scan_req(two_vias);
	cr_assert_eq(build(0), -ENOSPC);
	cr_assert_eq(build(1), -ENOSPC);
	cr_assert_eq(build(10), -ENOSPC);
	cr_assert_eq(build(29), -ENOSPC); /* the status line without its NUL */
	cr_assert_eq(build(60), -ENOSPC);
}

/* Every buffer size: either the whole reply or -ENOSPC, never more than
 * outlen bytes written (the buffer is an exact-size heap block for ASan). */
static void
every_size(void)
{
	int full = build(sizeof(g_out));
	char *ref = malloc((size_t)full);

	cr_assert_gt(full, 0);
	memcpy(ref, g_out, (size_t)full);
	for (size_t len = 0; len <= (size_t)full + 1; len++) {
		char *out = malloc(len ? len : 1);
		int n = sipreply_build(g_in, g_inlen, &g_req, 403, REASON, out, len);

		if (n >= 0) {
			cr_assert_eq(n, full, "outlen %zu: %d bytes, the whole reply is %d", len,
				     n, full);
			cr_assert(memcmp(out, ref, (size_t)n) == 0);
		} else {
			cr_assert_eq(n, -ENOSPC);
		}
		free(out);
	}
	free(ref);
}

Test(sipreply, every_buffer_size_single_via)
{
	scan_req("OPTIONS sip:example.org SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK-one\r\n"
		 "From: <sip:a@example.org>;tag=1\r\nTo: <sip:b@example.org>\r\n"
		 "Call-ID: one@203.0.113.5\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
	every_size();
}

/*
 * A Via line that does not fit is skipped and the reply built without it
 * (with a folded Via, its continuation can land right after the status
 * line): a short buffer must give -ENOSPC, not a reply missing Vias.
 * Enable once copy_vias() reports that a Via did not fit.
 */
Test(sipreply, every_buffer_size_two_vias)
{
	scan_req(two_vias);
	every_size();
}

Test(sipreply, every_buffer_size_long_via)
{
	char req[2048];

	/* one Via longer than all the other headers of the reply together */
	snprintf(req, sizeof(req),
		 "OPTIONS sip:example.org SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 10.0.0.7:5060;branch=z9hG4bK-long;x-pad=%0300d\r\n"
		 "Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK-short\r\n"
		 "From: <sip:a@b>;tag=1\r\nTo: <sip:b@b>\r\n"
		 "Call-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n", 0);
	scan_req(req);
	every_size();
}

Test(sipreply, other_status_and_reason)
{
	int n;

	scan_req(two_vias);
	n = sipreply_build(g_in, g_inlen, &g_req, 503, "Service Unavailable", g_out,
			   sizeof(g_out));
	cr_assert_gt(n, 0);
	cr_assert(strncmp(g_out, "SIP/2.0 503 Service Unavailable\r\n", 33) == 0);
}
