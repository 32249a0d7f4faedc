/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Digest credentials read as the server reads them (issue 21): the
 * parameter extractor (username, realm) and sanity_check() on every
 * credentials header of a request, not only the first of each name. The
 * cases are what the parser-agreement harness compares against Kamailio
 * ($aU, $ar of each header).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "authtrack.h"
#include "config.h"
#include "sanity.h"
#include "sip.h"
#include "rng_harness.h"

static struct sip_str
S(const char *s)
{
	return (struct sip_str){ s, (uint32_t)strlen(s) };
}

static int
param(const char *v, const char *name, char *out, size_t n)
{
	return sip_extract_auth_param(S(v), name, out, n);
}

Test(credentials, realm)
{
	char r[64];

	cr_assert_eq(param("Digest username=\"105\", realm=\"example.org\", nonce=\"n\"",
	    "realm", r, sizeof(r)), 0);
	cr_assert_str_eq(r, "example.org");
	/* unquoted, any case, LWS around '=' (Kamailio reads them so) */
	cr_assert_eq(param("Digest REALM = example.org,username=1", "realm", r, sizeof(r)), 0);
	cr_assert_str_eq(r, "example.org");
	cr_assert_eq(param("Digest realm=\"\", username=1", "realm", r, sizeof(r)), 0);
	cr_assert_str_eq(r, "");
	/* a quoted comma is no separator */
	cr_assert_eq(param("Digest username=1, realm=\"a,realm=b\"", "realm", r, sizeof(r)), 0);
	cr_assert_str_eq(r, "a,realm=b");
	/* absent; named twice (Kamailio takes the last); junk after it */
	cr_assert_eq(param("Digest username=1", "realm", r, sizeof(r)), -ENOENT);
	cr_assert_eq(param("Digest realm=\"a\", realm=\"b\"", "realm", r, sizeof(r)), -EINVAL);
	cr_assert_eq(param("Digest realm=\"a\"x, username=1", "realm", r, sizeof(r)), -EINVAL);
	cr_assert_eq(param("Digest realm=\"toolong\"", "realm", r, 4), -ENOSPC);
	/* the username wrapper keeps its answer for an absent username */
	cr_assert_eq(sip_extract_auth_username(S("Digest realm=\"x\""), r, sizeof(r)), -EINVAL);
}

/*
 * Empty list elements: Kamailio 5.6 reads no credentials at all when a
 * comma ends them, and stops at an empty element or before a leading one
 * (username "105" then no realm; no username). sipwarden read all of them
 * whole: the attack names a victim where Kamailio reads nothing.
 */
Test(credentials, empty_elements)
{
	char u[64];

	cr_assert_eq(param("Digest username=\"105\",", "username", u, sizeof(u)), -EINVAL);
	cr_assert_eq(param("Digest username=\"105\" , ", "username", u, sizeof(u)), -EINVAL);
	cr_assert_eq(param("Digest username=105,realm=x,", "realm", u, sizeof(u)), -EINVAL);
	cr_assert_eq(param("Digest username=\"105\", , realm=\"x\"", "realm", u, sizeof(u)),
	    -EINVAL);
	cr_assert_eq(param("Digest username=\"105\",,realm=\"x\"", "username", u, sizeof(u)),
	    -EINVAL);
	cr_assert_eq(param("Digest username=\"105\",\r\n\t,realm=\"x\"", "username", u,
	    sizeof(u)), -EINVAL);
	cr_assert_eq(param("Digest  , username=\"victim\"", "username", u, sizeof(u)), -EINVAL);
	cr_assert_eq(param("Digest ,username=\"victim\"", "username", u, sizeof(u)), -EINVAL);
	/* benign twins: LWS and folds around the commas are fine */
	cr_assert_eq(param("Digest  username = \"105\" ,\r\n  realm=\"x\"", "username", u,
	    sizeof(u)), 0);
	cr_assert_str_eq(u, "105");
	cr_assert_eq(param("Digest username=105 ,realm=x", "realm", u, sizeof(u)), 0);
	cr_assert_str_eq(u, "x");
}

#define HDRS \
	"REGISTER sip:example.org SIP/2.0\r\n" \
	"Via: SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bK1\r\n" \
	"From: <sip:105@example.org>;tag=1\r\n" \
	"To: <sip:105@example.org>\r\n" \
	"Call-ID: c1@203.0.113.10\r\n" \
	"CSeq: 2 REGISTER\r\n" \
	"Max-Forwards: 70\r\n"
#define GOOD "Digest username=\"105\", realm=\"example.org\", nonce=\"n\", response=\"r\""

static enum sanity_fail
judge(const char *creds)
{
	static char buf[2048];
	struct config *cfg = config_new_default();
	struct sip_msg m;
	enum sip_flaw flaw;
	enum sanity_fail f;
	int n = snprintf(buf, sizeof(buf), HDRS "%sContent-Length: 0\r\n\r\n", creds);

	cr_assert_not_null(cfg);
	cr_assert(n > 0 && (size_t)n < sizeof(buf));
	cr_assert_eq(sip_scan(buf, (size_t)n, &m, &flaw), 0, "%s", sip_flaw_name(flaw));
	f = sanity_check(&m, cfg);
	config_free(cfg);
	return f;
}

Test(credentials, every_header)
{
	cr_assert_eq(judge("Authorization: " GOOD "\r\n"), SANITY_OK);
	/* the same user twice, or beside a proxy's challenge answer */
	cr_assert_eq(judge("Authorization: " GOOD "\r\nAuthorization: " GOOD "\r\n"), SANITY_OK);
	cr_assert_eq(judge("Proxy-Authorization: " GOOD "\r\nAuthorization: " GOOD "\r\n"),
	    SANITY_OK);
	/* a realm read two ways, first header */
	cr_assert_eq(judge("Authorization: Digest username=\"105\", realm=\"a\", realm=\"b\"\r\n"),
	    SANITY_CREDENTIALS);
	/* attack: a benign first header, an ambiguous second one (Kamailio
	 * reads username "evil" from it, the last of two) */
	cr_assert_eq(judge("Authorization: " GOOD "\r\n"
	    "Authorization: Digest username=\"105\", username=\"evil\", realm=\"example.org\"\r\n"),
	    SANITY_CREDENTIALS);
	cr_assert_eq(judge("Proxy-Authorization: " GOOD "\r\n"
	    "proxy-authorization: Digest username=\"105\\\"x\", realm=\"example.org\"\r\n"),
	    SANITY_CREDENTIALS);
	cr_assert_eq(judge("Authorization: " GOOD "\r\n"
	    "Authorization: Digest username=\"105\", realm=\"x\", realm=\"y\"\r\n"),
	    SANITY_CREDENTIALS);
	cr_assert_eq(judge("Authorization: Digest username=\"105\", realm=\"example.org\",\r\n"),
	    SANITY_CREDENTIALS);
	/* benign twin: a second header of another scheme carries no username */
	cr_assert_eq(judge("Authorization: " GOOD "\r\nAuthorization: Basic YWxhZGRpbg==\r\n"),
	    SANITY_OK);
}

static bool
conflict(const char *headers)
{
	char buf[2048];
	struct sip_msg m;
	enum sip_flaw flaw;
	int n = snprintf(buf, sizeof(buf),
	    "REGISTER sip:example.org SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 203.0.113.10;branch=z9hG4bK1\r\n"
	    "From: <sip:105@example.org>;tag=1\r\nTo: <sip:105@example.org>\r\n"
	    "Call-ID: c1\r\nCSeq: 1 REGISTER\r\n%sContent-Length: 0\r\n\r\n", headers);

	cr_assert(n > 0 && (size_t)n < sizeof(buf));
	cr_assert_eq(sip_scan(buf, (size_t)n, &m, &flaw), 0, "%s", sip_flaw_name(flaw));
	return sip_creds_conflict(&m);
}

/*
 * Credentials naming different users key a failure on a decoy (issue 16):
 * the policy and the agreement harness ask this one function, so a
 * username too long for the failure tables is a conflict for both.
 */
Test(credentials, conflict)
{
	char longu[300], hdrs[800];

	cr_assert_not(conflict("Authorization: " GOOD "\r\n"));
	cr_assert_not(conflict("Authorization: " GOOD "\r\nProxy-Authorization: " GOOD "\r\n"));
	cr_assert(conflict("Authorization: " GOOD "\r\n"
	    "Authorization: Digest username=\"106\", realm=\"example.org\"\r\n"));
	cr_assert(conflict("Proxy-Authorization: Digest username=\"106\", realm=\"example.org\"\r\n"
	    "Authorization: " GOOD "\r\n"));
	/* one header alone is judged elsewhere, however long its username */
	memset(longu, 'a', 200);
	longu[200] = '\0';
	snprintf(hdrs, sizeof(hdrs), "Authorization: Digest username=\"%s\", realm=\"x\"\r\n", longu);
	cr_assert_not(conflict(hdrs));
	snprintf(hdrs, sizeof(hdrs), "Authorization: Digest username=\"%s\", realm=\"x\"\r\n"
	    "Authorization: Digest username=\"%s\", realm=\"x\"\r\n", longu, longu);
	cr_assert(conflict(hdrs));
}

/*
 * One walk for several parameters (sanity reads username and realm
 * together): each answer is what a walk for that name alone gives, for
 * readable, ambiguous and unreadable credentials alike.
 */
Test(credentials, one_walk_answers_as_one_name)
{
	static const char *const cases[] = {
		"Digest username=\"105\", realm=\"example.org\", nonce=\"n\"",
		"Digest username=105,realm=example.org",
		"Digest realm=\"a\", username=\"1\", realm=\"b\"",	/* realm twice */
		"Digest username=\"1\", username=\"2\", realm=\"x\"",	/* user twice */
		"Digest nonce=\"n\"",					/* neither */
		"Digest username=\"1\",, realm=\"x\"",			/* empty element */
		"Digest username=\"a\\\"b\", realm=\"x\\\\\"",		/* quoted-pairs */
		"Digest username=\"abc\\\"",				/* escaped end quote */
		"Digest username=\"abc",				/* unterminated */
		"Digest username=\"" "0123456789012345678901234567890123456789" "\"", /* too long */
		"Basic dXNlcjpwYXNz",
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char u1[32], r1[32], u2[32], r2[32];
		struct sip_auth_param ps[2] = {
			{ .name = "username", .out = u2, .olen = sizeof(u2) },
			{ .name = "realm", .out = r2, .olen = sizeof(r2) },
		};
		int ru = param(cases[i], "username", u1, sizeof(u1));
		int rr = param(cases[i], "realm", r1, sizeof(r1));
		int all = sip_extract_auth_params(S(cases[i]), ps, 2);

		if (all < 0) {
			cr_assert_eq(ru, all, "%s", cases[i]);
			cr_assert_eq(rr, all, "%s", cases[i]);
			continue;
		}
		cr_assert_eq(ps[0].ret, ru, "%s: username %d vs %d", cases[i], ps[0].ret, ru);
		cr_assert_eq(ps[1].ret, rr, "%s: realm %d vs %d", cases[i], ps[1].ret, rr);
		cr_assert_str_eq(u1, u2, "%s", cases[i]);
		cr_assert_str_eq(r1, r2, "%s", cases[i]);
	}
}

/* The closing quote is found past quoted-pairs, wherever they sit. */
Test(credentials, quoted_pairs_around_the_end)
{
	static const struct {
		const char *v;
		int ret;
		const char *user;
	} cases[] = {
		{ "Digest username=\"a\\\"b\", realm=\"x\"", 0, "a\"b" },
		{ "Digest username=\"ab\\\\\", realm=\"x\"", 0, "ab\\" },
		{ "Digest username=\"\\\\\\\"\"", 0, "\\\"" },
		/* an escaped quote is no end: the value runs on to the real one */
		{ "Digest username=\"a\\\", b\"", 0, "a\", b" },
		{ "Digest username=\"a\\\", realm=\"x\"", -EINVAL, "" },
		{ "Digest username=\"a\\\"", -EINVAL, "" },
		{ "Digest username=\"a\\", -EINVAL, "" },
	};
	char u[32];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(param(cases[i].v, "username", u, sizeof(u)), cases[i].ret, "%s", cases[i].v);
		cr_assert_str_eq(u, cases[i].user, "%s", cases[i].v);
	}
}

/*
 * The user key reuses the username sanity_check_read() read on its way
 * (one walk of the credentials, not two): for every request sanity
 * passes, the key is the one auth_user_key() reads for itself. Seeded
 * mutations of credentialed requests: Authorization and/or
 * Proxy-Authorization, quoted and unquoted usernames, one over the key's
 * 128 bytes, another scheme, user@domain usernames.
 */
static uint64_t g_rng = 0x2545f4914f6cdd1dULL;

/* xorshift64 from rng_harness.h, seeded here */
#define rnd(n) xorshift64_below(&g_rng, (n))

Test(credentials, user_key_from_sanity_is_the_read_one, .timeout = 60)
{
	static const char *const creds[] = {
		"Authorization: Digest username=\"105\", realm=\"example.org\", nonce=\"n\", uri=\"sip:x\", response=\"0f\"\r\n",
		"Proxy-Authorization: Digest username=alice,realm=example.org,nonce=\"n\"\r\n",
		"Authorization: Digest username=\"105@example.net\", realm=\"r\"\r\n"
		"Proxy-Authorization: Digest username=\"106\", realm=\"s\"\r\n",
		"Authorization: Basic dXNlcjpwYXNz\r\n",
		"Authorization: Digest username=\"UUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUU"
		"UUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUU\", realm=\"r\"\r\n",
		"Proxy-Authorization: Digest realm=\"r\", username=\"p q\"\r\n",
	};
	static const char alpha[] = "\"=, uU@x\tDdigestrealmsername1";
	char msg[1024], head[600], key1[SIP_AUTH_USER_MAX], key2[SIP_AUTH_USER_MAX];
	unsigned same = 0, checked = 0;

	for (int it = 0; it < 200000; it++) {
		const char *c = creds[rnd(sizeof(creds) / sizeof(creds[0]))];
		size_t n = strlen(c);
		struct sip_msg m;
		struct sip_read rd;
		int r1, r2;

		memcpy(head, c, n + 1);
		xorshift64_mutate(&g_rng, head, n, 2 /* the CRLF */, alpha, sizeof(alpha) - 1);
		snprintf(msg, sizeof(msg), "REGISTER sip:example.org SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 203.0.113.1;branch=z9hG4bK1\r\n"
			 "From: <sip:from%u@example.org>;tag=1\r\nTo: <sip:to@example.org>\r\n"
			 "Call-ID: c%d\r\nCSeq: 1 REGISTER\r\n%sContent-Length: 0\r\n\r\n",
			 rnd(3), it, head);
		if (sip_scan(msg, strlen(msg), &m, NULL) != 0 ||
		    sanity_check_read(&m, NULL, &rd) != SANITY_OK)
			continue;
		checked++;
		r1 = auth_user_key(&m, &rd, key1, sizeof(key1));
		r2 = auth_user_key(&m, NULL, key2, sizeof(key2));
		cr_assert_eq(r1, r2, "%d vs %d for %s", r1, r2, head);
		if (r1 == 0)
			cr_assert_str_eq(key1, key2, "for %s", head);
		same += r1 == 0;
		/* sanity_check() gives the same verdict without the read */
		cr_assert_eq(sanity_check(&m, NULL), SANITY_OK);
	}
	cr_log_info("user key: %u requests sanity passed, %u with a key", checked, same);
	cr_assert_gt(checked, 10000);
	cr_assert_gt(same, checked / 4);
}

/*
 * The user key takes From's user and host, and the transaction key its
 * tag, from sanity's fast reading instead of reading From again: for
 * every request sanity passes, the keys are the ones auth_user_key() and
 * txn_key() read for themselves (through sip_extract_userhost(), libosip2
 * where its own shortcut declines, and authtrack's tag finder).
 * Seeded mutations of From values in the shapes phones and attackers
 * send: display names quoted and not, upper-case hosts, ports and
 * parameters, sips, tel, IPv6 references, percent escapes, a password,
 * a user longer than the key, tags in and out of the URI, repeated, in
 * capitals, without a value.
 */
Test(credentials, keys_from_sanitys_from_are_the_read_ones, .timeout = 60)
{
	static const char *const froms[] = {
		"<sip:105@example.org>;tag=1",
		"\"Alice\" <sip:alice@Example.ORG:5060;transport=udp>;tag=a1",
		"Bob <sips:bob.smith@pbx.example.org>;tag=x",
		"sip:carol@198.51.100.7;tag=77",
		"<sip:+4930123456@example.org;user=phone>;tag=9",
		"<sip:example.org>;tag=2",
		"<sip:d%41ve@example.org>;tag=3",
		"<sip:eve@[2001:DB8::1]>;tag=4",
		"<tel:+49-30-123>;tag=5",
		"<sip:frank:secret@example.org>;tag=6",
		"<sip:g@example.org;tag=in>;x;tag=out;tag=2",
		"sip:h@198.51.100.7;TAG=77;tag=78",
		"<sip:i@example.org>;tag;tag=z",
		"<sip:j@example.org>",
		"\"J\xc3\xbcrgen\" <sip:j@example.org>;tag=7",
		/* a user longer than the key (one literal, in parentheses) */
		("<sip:UUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUU"
		 "UUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUU@example.org>;tag=8"),
	};
	static const char alpha[] = "\"<>@:;=%.[]-_ AZaz09!~*+'\\,?&\t";
	const struct hash_key hk = { 0x0123456789abcdefULL, 0xfedcba9876543210ULL };
	char msg[1024], from[600], key1[SIP_AUTH_USER_MAX], key2[SIP_AUTH_USER_MAX];
	unsigned fast = 0, checked = 0, keyed = 0;

	for (int it = 0; it < 200000; it++) {
		const char *f = froms[rnd(sizeof(froms) / sizeof(froms[0]))];
		size_t n = strlen(f);
		struct sip_msg m;
		struct sip_read rd;
		int r1, r2;

		memcpy(from, f, n + 1);
		xorshift64_mutate(&g_rng, from, n, 0, alpha, sizeof(alpha) - 1);
		snprintf(msg, sizeof(msg), "INVITE sip:200@example.org SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 203.0.113.1;branch=z9hG4bK1\r\n"
			 "From: %s\r\nTo: <sip:200@example.org>\r\n"
			 "Call-ID: c%d\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
			 from, it);
		if (sip_scan(msg, strlen(msg), &m, NULL) != 0 ||
		    sanity_check_read(&m, NULL, &rd) != SANITY_OK)
			continue;
		checked++;
		fast += rd.from.set;
		r1 = auth_user_key(&m, &rd, key1, sizeof(key1));
		r2 = auth_user_key(&m, NULL, key2, sizeof(key2));
		cr_assert_eq(r1, r2, "%d vs %d for %s", r1, r2, from);
		if (r1 == 0)
			cr_assert_str_eq(key1, key2, "for %s", from);
		keyed += r1 == 0;
		cr_assert_eq(txn_key(&hk, &m, &rd), txn_key(&hk, &m, NULL), "for %s", from);
	}
	cr_log_info("From: %u requests sanity passed, %u read on its fast path, %u keyed",
		    checked, fast, keyed);
	cr_assert_gt(checked, 50000);
	/* both readings are exercised */
	cr_assert_gt(fast, checked / 3);
	cr_assert_gt(checked - fast, checked / 20);
}
