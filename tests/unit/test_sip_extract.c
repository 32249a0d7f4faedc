/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Extraction from a scanned SIP message (user and host of From/To and the
 * Request-URI, tags, escapes, the Authorization username, display names,
 * tel: numbers, sip_str_copy) and the robustness of scan and extraction
 * on every prefix and on random mutations of sample messages. The harness
 * is in sip_harness.h.
 */
#include "sip_harness.h"

TestSuite(sip_extract, .fini = drop_buf);
TestSuite(sip_fuzz, .fini = drop_buf);

/* ---- extraction ---- */

static struct sip_str
S(const char *s)
{
	return (struct sip_str){ .s = s, .len = (uint32_t)strlen(s) };
}

static void
assert_uh(const char *v, const char *wu, const char *wh)
{
	char u[128], h[128];
	int rc = sip_extract_userhost(S(v), u, sizeof(u), h, sizeof(h));

	cr_assert_eq(rc, 0, "rc %d for %s", rc, v);
	cr_assert_str_eq(u, wu, "user of %s", v);
	cr_assert_str_eq(h, wh, "host of %s", v);
}

Test(sip_extract, from_to_values)
{
	char tag[64];

	assert_uh("\"Alice \\\"the\\\" Great\" <sip:%61lice@EXAMPLE.org;"
	    "transport=udp>;tag=x", "alice", "example.org");
	cr_assert_eq(sip_extract_tag(S("\"A \\\"q\\\"\" <sip:%61lice@EXAMPLE.org;"
	    "transport=udp>;tag=x"), tag, sizeof(tag)), 0);
	cr_assert_str_eq(tag, "x");
	assert_uh("sip:bob@Example.COM;tag=77", "bob", "example.com");
	cr_assert_eq(sip_extract_tag(S("sip:bob@Example.COM;tag=77"), tag,
	    sizeof(tag)), 0);
	cr_assert_str_eq(tag, "77");
	cr_assert_eq(sip_extract_tag(S("<sip:bob@b>"), tag, sizeof(tag)), 0);
	cr_assert_str_eq(tag, "");
	assert_uh("<sips:carol@Secure.Example.org:5061>", "carol",
	    "secure.example.org");
	assert_uh("<SIP:Dave@X>", "Dave", "x");	/* user keeps its case */
	assert_uh("<sip:example.org>", "", "example.org");
	assert_uh("<sip:a:secret@b>", "a", "b");
	assert_uh("Bob Smith <sip:bob@b>", "bob", "b");
	assert_uh("\"sipvicious\"<sip:100@1.1.1.1>;tag=6338", "100", "1.1.1.1");
	assert_uh("<tel:+4930123456;phone-context=example.org>;tag=1",
	    "+4930123456", "");
	assert_uh("tel:+4930123456", "+4930123456", "");
	assert_uh("<sip:105@[2001:DB8:0::1]:5060>;tag=1", "105",
	    "[2001:db8::1]");
	assert_uh("<sip:alice@example.org\r\n ;transport=udp>", "alice",
	    "example.org");
}

Test(sip_extract, user_escapes)
{
	assert_uh("<sip:%41%42c@x>", "ABc", "x");
	assert_uh("<sip:a%2541@x>", "a%41", "x");	/* decoded once only */
	assert_uh("<sip:a%zzb@x>", "a%zzb", "x");	/* malformed: as is */
	assert_uh("<sip:a%4@x>", "a%4", "x");
	assert_uh("<sip:a%@x>", "a%", "x");
	assert_uh("<sip:a%00b@x>", "a%00b", "x");	/* never "a" */
	assert_uh("<sip:%61lice@x>", "alice", "x");
}

Test(sip_extract, bad_values)
{
	char u[16], h[16], big[4096];

	cr_assert_eq(sip_extract_userhost(S("garbage"), u, 16, h, 16), -EINVAL);
	cr_assert_eq(sip_extract_userhost(S("<>"), u, 16, h, 16), -EINVAL);
	cr_assert_eq(sip_extract_userhost(S("<http://x/>"), u, 16, h, 16),
	    -EINVAL);
	cr_assert_eq(sip_extract_userhost(S(""), u, 16, h, 16), -EINVAL);
	cr_assert_eq(sip_extract_userhost((struct sip_str){ 0 }, u, 16, h, 16),
	    -EINVAL);
	cr_assert_eq(sip_extract_userhost((struct sip_str){ "<sip:a\0b@c>", 11 },
	    u, 16, h, 16), -EINVAL);
	cr_assert_eq(sip_extract_userhost(S("<sip:[zz::1]>"), u, 16, h, 16),
	    -EINVAL);
	cr_assert_eq(sip_extract_userhost(S("<sip:averyverylonguser@b>"), u, 8,
	    h, 16), -ENOSPC);
	cr_assert_eq(sip_extract_userhost(S("<sip:a@averyverylonghost>"), u, 8,
	    h, 8), -ENOSPC);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "<sip:", 5);
	cr_assert_eq(sip_extract_userhost(S(big), u, 16, h, 16), -ENOSPC);
	cr_assert_eq(sip_extract_tag(S("<sip:a@b>;tag=0123456789abcdef"), u,
	    sizeof(u)), -ENOSPC);
}

static void
assert_ruri(const char *v, const char *wu, const char *wh)
{
	char u[64], h[64];

	cr_assert_eq(sip_extract_uri_userhost(S(v), u, 64, h, 64), 0, "%s", v);
	cr_assert_str_eq(u, wu, "user of %s", v);
	cr_assert_str_eq(h, wh, "host of %s", v);
}

Test(sip_extract, uri)
{
	char u[64], h[64];

	assert_ok(REQ(""));
	cr_assert_eq(sip_extract_uri_userhost(g_m.ruri, u, 64, h, 64), 0);
	cr_assert_str_eq(h, "b");
	assert_ruri("sip:%61lice@EXAMPLE.org;transport=udp", "alice",
	    "example.org");
	assert_ruri("sip:[2001:db8::1]:5060", "", "[2001:db8::1]");
	assert_ruri("tel:+123;x=y", "+123", "");
	cr_assert_eq(sip_extract_uri_userhost(S("mailto:x@y"), u, 64, h, 64),
	    -EINVAL);
}

static int
auth_user(const char *v, char *u, size_t n)
{
	return sip_extract_auth_username(S(v), u, n);
}

static void
assert_auth(const char *v, const char *want)
{
	char u[64];

	cr_assert_eq(auth_user(v, u, sizeof(u)), 0, "%s", v);
	cr_assert_str_eq(u, want, "%s", v);
}

Test(sip_extract, auth_username)
{
	char u[64];

	assert_auth("Digest username=\"105\",realm=\"example.org\",nonce=\"abc\","
	    "uri=\"sip:example.org\",response=\"0123\",algorithm=MD5", "105");
	/* unquoted: libosip 5.3 would answer "x" here */
	assert_auth("Digest username=105, realm=\"x\"", "105");
	assert_auth("Digest realm=\"x\",username=106", "106");
	assert_auth("digest  USERNAME = \"a\\\"b\\\\c\" ,realm=\"x\"", "a\"b\\c");
	/* a quoted comma is no separator; sipsak's "105@" is kept as is */
	assert_auth("Digest realm=\"a,username=evil\", username=\"105@\"", "105@");
	assert_auth("Digest\r\n username=\"x\"", "x");
	assert_auth("Digest username=\"\"", "");

	cr_assert_eq(auth_user("Digest username=\"a\",username=\"b\"", u, 64),
	    -EINVAL);
	cr_assert_eq(auth_user("Digest realm=\"x\"", u, 64), -EINVAL);
	cr_assert_eq(auth_user("Digest username=\"unterminated", u, 64), -EINVAL);
	cr_assert_eq(auth_user("Digest username=", u, 64), -EINVAL);
	cr_assert_eq(auth_user("Basic YWxhZGRpbjpvcGVuc2VzYW1l", u, 64), -EINVAL);
	cr_assert_eq(auth_user("Digest", u, 64), -EINVAL);
	cr_assert_eq(auth_user("", u, 64), -EINVAL);
	cr_assert_eq(auth_user("Digest username=\"toolongname\"", u, 4), -ENOSPC);
}

Test(sip_extract, str_copy)
{
	char out[16];

	cr_assert_eq(sip_str_copy(S("a\r\n b"), out, sizeof(out)), 3);
	cr_assert_str_eq(out, "a b");
	cr_assert_eq(sip_str_copy(S("a \t\r\n\t\t b\n c"), out, sizeof(out)), 5);
	cr_assert_str_eq(out, "a b c");
	cr_assert_eq(sip_str_copy(S("a  b"), out, sizeof(out)), 4);
	cr_assert_str_eq(out, "a  b");	/* no fold, no change */
	cr_assert_eq(sip_str_copy(S("0123456789abcdefXYZ"), out, sizeof(out)), 15);
	cr_assert_str_eq(out, "0123456789abcde");
	cr_assert_eq(sip_str_copy((struct sip_str){ 0 }, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "");
	cr_assert_eq(sip_str_copy(S("abc"), out, 1), 0);
	cr_assert_str_eq(out, "");
	cr_assert_eq(sip_str_copy(S("abc"), NULL, 0), 0);
}

/* ---- robustness ---- */

static const char *const samples[] = {
	REG_SIPSAK, REG_AUTH, OPT_SIPVICIOUS, REPLY("401 Unauthorized"),
	INVITE_HDRS "Content-Length: 5\r\n\r\nv=0\r\n",
	"INVITE sip:b SIP/2.0\nv: x\n  folded\nf: <sip:%61@[::1]>;tag=1\n\n",
};

static void
span_in(struct sip_str v, const char *b, size_t n)
{
	if (v.s == NULL)
		return;
	cr_assert(v.s >= b && v.s <= b + n && v.len <= (size_t)(b + n - v.s));
}

static void
check(const char *b, size_t n, bool extract)
{
	struct sip_msg m;
	enum sip_flaw f;
	char u[64], h[64];
	int rc = sip_scan(b, n, &m, &f);

	if (rc < 0) {
		cr_assert_eq(rc, -EBADMSG);
		cr_assert(f > SIP_FLAW_NONE && f <= SIP_FLAW_TOO_MANY_HEADERS);
		return;
	}
	cr_assert_eq(f, SIP_FLAW_NONE);
	/* the body runs to the end, or stops where Content-Length says */
	cr_assert(m.header_len + m.body.len == n ||
	    (m.content_length_ok && m.body.len == m.content_length_val &&
	    m.header_len + m.body.len < n));
	span_in(m.ruri, b, n);
	span_in(m.version, b, n);
	span_in(m.method_name, b, n);
	span_in(m.cseq_method_name, b, n);
	span_in(m.body, b, n);
	const struct sip_str hv[] = { m.from, m.to, m.call_id, m.cseq, m.via,
		m.contact, m.user_agent, m.authorization, m.proxy_authorization,
		m.content_length, m.expires, m.max_forwards };
	for (size_t i = 0; i < sizeof(hv) / sizeof(hv[0]); i++)
		span_in(hv[i], b, n);
	if (!extract)
		return;
	sip_extract_userhost(m.from, u, sizeof(u), h, sizeof(h));
	sip_extract_tag(m.to, u, sizeof(u));
	sip_extract_uri_userhost(m.ruri, u, sizeof(u), h, sizeof(h));
	sip_extract_auth_username(m.authorization, u, sizeof(u));
	sip_str_copy(m.user_agent, u, sizeof(u));
}

static void
check_copy(const char *s, size_t n, bool extract)
{
	char *b = malloc(n ? n : 1);

	cr_assert_not_null(b);
	memcpy(b, s, n);
	check(b, n, extract);
	free(b);
}

Test(sip_fuzz, prefixes)
{
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
		for (size_t n = 0; n <= strlen(samples[i]); n++)
			check_copy(samples[i], n, n % 8 == 0);
}

static uint64_t rng_state = 0x5eed5eedcafef00dULL;

static uint32_t
rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;	/* xorshift64: fixed seed, repeatable */
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 32) % n;
}

Test(sip_fuzz, mutations, .timeout = 110)
{
	static const char special[] = "\r\n \t:;,<>\"%@\\\0\x7f\xff" "0123456789";
	char tmp[2048];
	int i, k, nmut;

	for (i = 0; i < 100000; i++) {
		const char *s = samples[rnd(sizeof(samples) / sizeof(samples[0]))];
		size_t n = strlen(s), pos, l;

		memcpy(tmp, s, n);
		nmut = 1 + (int)rnd(4);
		for (k = 0; k < nmut && n > 0; k++) {
			pos = rnd((uint32_t)n);
			switch (rnd(5)) {
			case 0:		/* random byte */
				tmp[pos] = (char)rnd(256);
				break;
			case 1:		/* an interesting byte */
				tmp[pos] = special[rnd(sizeof(special) - 1)];
				break;
			case 2:		/* delete a run */
				l = 1 + rnd(16);
				if (l > n - pos)
					l = n - pos;
				memmove(tmp + pos, tmp + pos + l, n - pos - l);
				n -= l;
				break;
			case 3:		/* duplicate a run */
				l = 1 + rnd(32);
				if (l > n - pos)
					l = n - pos;
				if (n + l > sizeof(tmp))
					break;
				memmove(tmp + pos + l, tmp + pos, n - pos);
				n += l;
				break;
			case 4:		/* truncate */
				n = pos;
				break;
			}
		}
		check_copy(tmp, n, i % 16 == 0);
	}
}

/* user and host do not depend on the display name: a legal one that
 * libosip2 refuses (token characters sip_extract hides, a quoted NUL) is
 * set aside before it parses; anything that is no display name is still
 * libosip2's to judge. */
Test(sip_extract, display_name_set_aside)
{
	static const char nul[] = "\"a\\\0b\" <sip:105@Example.org>;tag=x";
	char u[64], h[64], t[64];
	struct sip_str v;

	v = (struct sip_str){ "tok%~`'*! two <sip:105@example.org>;tag=a%b",
	    (uint32_t)strlen("tok%~`'*! two <sip:105@example.org>;tag=a%b") };
	cr_assert_eq(sip_extract_userhost(v, u, sizeof(u), h, sizeof(h)), 0);
	cr_assert_str_eq(u, "105");
	cr_assert_eq(sip_extract_userhost_osip(v, u, sizeof(u), h, sizeof(h)), 0);
	cr_assert_str_eq(u, "105");
	cr_assert_eq(sip_extract_tag(v, t, sizeof(t)), 0);
	cr_assert_str_eq(t, "a%b");
	v = (struct sip_str){ nul, sizeof(nul) - 1 };
	cr_assert_eq(sip_extract_userhost(v, u, sizeof(u), h, sizeof(h)), 0);
	cr_assert_str_eq(u, "105");
	cr_assert_str_eq(h, "example.org");
	cr_assert_eq(sip_extract_tag(v, t, sizeof(t)), 0);
	cr_assert_str_eq(t, "x");
	/* a NUL outside a quoted display name is still refused */
	v = (struct sip_str){ "<sip:1\0005@example.org>", 22 };
	cr_assert_eq(sip_extract_userhost_osip(v, u, sizeof(u), h, sizeof(h)), -EINVAL);
}

/* A tel: number ends at its parameters or at its headers, where Kamailio
 * ends the user: "tel:105?x=y" is 105, not "105?x=y". */
Test(sip_extract, tel_number_ends_at_headers)
{
	char u[64], h[64];
	struct sip_str v = { "<tel:105?Subject=hi>;tag=1", 26 };

	cr_assert_eq(sip_extract_userhost(v, u, sizeof(u), h, sizeof(h)), 0);
	cr_assert_str_eq(u, "105");
	cr_assert_str_eq(h, "");
	v = (struct sip_str){ "<tel:+49-30-123;phone-context=x>", 32 };
	cr_assert_eq(sip_extract_userhost(v, u, sizeof(u), h, sizeof(h)), 0);
	cr_assert_str_eq(u, "+49-30-123");
}
