/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RFC 4475 ("SIP Torture Test Messages"): every message of the RFC's own
 * archive (tests/unit/data/rfc4475/, byte for byte), judged as the daemon
 * judges a datagram - policy_judge() with the default configuration, which
 * runs sip_scan() and sanity_check() before any rule. doc/rfc4475.md gives
 * the reasons, and what Kamailio 5.6 with sanity_check("1511", "7") does with
 * each message (measured by tests/agree/run.sh files ...).
 *
 * expect: NULL = passed; otherwise the malformed reason (a sip_flaw name or
 * a sanity_fail name) it must be dropped with.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "bans.h"
#include "config.h"
#include "policy.h"
#include "sip.h"
#include "srctab.h"

struct torture {
	const char *file;
	const char *section;
	const char *expect;
};

static const struct torture cases[] = {
	/* 3.1.1 Valid messages: all pass. */
	{ "wsinv", "3.1.1.1", NULL },
	{ "intmeth", "3.1.1.2", NULL },    /* quoted-pair NUL/BEL/DEL, token display name */
	{ "esc01", "3.1.1.3", NULL },
	{ "escnull", "3.1.1.4", NULL },
	{ "esc02", "3.1.1.5", NULL },
	{ "lwsdisp", "3.1.1.6", NULL },
	{ "longreq", "3.1.1.7", NULL },
	{ "dblreq", "3.1.1.8", NULL },     /* octets after the body: discarded */
	{ "semiuri", "3.1.1.9", NULL },
	{ "transports", "3.1.1.10", NULL },
	{ "mpart01", "3.1.1.11", NULL },
	{ "unreason", "3.1.1.12", NULL },
	{ "noreason", "3.1.1.13", NULL },
	/* 3.1.2 Invalid messages: dropped, or passed where no judged field is
	 * read differently (doc/rfc4475.md says why for each). */
	{ "badinv01", "3.1.2.1", NULL },   /* only Via and Contact are broken */
	{ "clerr", "3.1.2.2", "content-length-mismatch" },
	{ "ncl", "3.1.2.3", "content-length-value" },
	{ "scalar02", "3.1.2.4", "cseq-value" },
	{ "scalarlg", "3.1.2.5", "cseq-value" },
	{ "quotbal", "3.1.2.6", "to-parse" },
	{ "ltgtruri", "3.1.2.7", "ruri-scheme" },
	{ "lwsruri", "3.1.2.8", "start-line" },
	{ "lwsstart", "3.1.2.9", "start-line" },
	{ "trws", "3.1.2.10", "start-line" },
	{ "escruri", "3.1.2.11", NULL },   /* the server refuses the escaped header */
	{ "baddate", "3.1.2.12", NULL },   /* Date is not judged */
	{ "regbadct", "3.1.2.13", NULL },  /* Contact is not judged */
	{ "badaspec", "3.1.2.14", "to-parse" },
	{ "baddn", "3.1.2.15", "no-end" }, /* the archive's copy has no empty line */
	{ "badvers", "3.1.2.16", "sip-version" },
	{ "mismatch01", "3.1.2.17", "cseq-method" },
	{ "mismatch02", "3.1.2.18", "cseq-method" },
	{ "bigcode", "3.1.2.19", "start-line" },
	/* 3.2 Transaction layer */
	{ "badbranch", "3.2.1", NULL },
	/* 3.3 Application layer: as Kamailio's sanity_check("1511", "7") and
	 * the design's malformed rule. */
	{ "insuf", "3.3.1", "missing-from" },
	{ "unkscm", "3.3.2", "ruri-scheme" },
	{ "novelsc", "3.3.3", "ruri-scheme" },
	{ "unksm2", "3.3.4", "from-scheme" },
	{ "bext01", "3.3.5", NULL },
	{ "invut", "3.3.6", NULL },
	{ "regaut01", "3.3.7", NULL },
	{ "multi01", "3.3.8", "duplicate-from" },
	{ "mcl01", "3.3.9", "duplicate-content-length" },
	{ "bcast", "3.3.10", NULL },
	{ "zeromf", "3.3.11", NULL },
	{ "cparam01", "3.3.12", NULL },
	{ "cparam02", "3.3.13", NULL },
	{ "regescrt", "3.3.14", NULL },
	{ "sdp01", "3.3.15", NULL },
	/* 3.4 Backward compatibility */
	{ "inv2543", "3.4.1", NULL },
	/* Not in the RFC, but in its archive: no SIP version in the start line. */
	{ "test", "-", "start-line" },
};

static size_t
load(const char *name, char *buf, size_t len)
{
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/unit/data/rfc4475/%s.dat", TEST_SRCDIR, name);
	f = fopen(path, "rb");
	cr_assert_not_null(f, "open %s", path);
	n = fread(buf, 1, len, f);
	fclose(f);
	cr_assert_lt(n, len, "%s too large", path);
	return n;
}

/* The verdict as the worker gets it, from a fresh policy per message so
 * that density never counts. Returns NULL (passed) or the drop reason. */
static const char *
judge(const char *buf, size_t n, struct sip_msg *m)
{
	static struct config *cfg;
	struct policy p;
	struct policy_verdict v;
	struct addr a;

	if (cfg == NULL)
		cfg = config_new_default();
	cr_assert_not_null(cfg);
	memset(&p, 0, sizeof(p));
	p.cfg = cfg;
	p.cfg_gen = 1;
	p.src = srctab_new(64, 100);
	p.bans = bantab_new(16);
	cr_assert(p.src && p.bans);
	cr_assert_eq(addr_parse("203.0.113.5", &a), 0);
	policy_judge(&p, &a, (const uint8_t *)buf, n, 1000, m, &v);
	srctab_free(p.src);
	bantab_free(p.bans);
	if (!v.drop) {
		cr_assert(v.reason == POLICY_PASS || v.reason == POLICY_REPLY,
		    "passed for reason %d", v.reason);
		return NULL;
	}
	cr_assert_eq(v.reason, POLICY_MALFORMED);
	return v.parsed ? sanity_fail_name(v.sanity) : sip_flaw_name(v.flaw);
}

Test(rfc4475, every_message)
{
	static char buf[65536];
	struct sip_msg m;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct torture *t = &cases[i];
		size_t n = load(t->file, buf, sizeof(buf));
		const char *got = judge(buf, n, &m);

		if (t->expect == NULL)
			cr_expect_null(got, "%s (%s): dropped as %s, must pass", t->file,
			    t->section, got);
		else
			cr_expect(got != NULL && strcmp(got, t->expect) == 0,
			    "%s (%s): %s, must be dropped as %s", t->file, t->section,
			    got ? got : "passed", t->expect);
	}
}

/* What the valid messages say is what sipwarden reads. */
Test(rfc4475, readings)
{
	static char buf[65536];
	char user[256], host[256];
	struct sip_msg m;
	size_t n;

	/* dblreq: the REGISTER is the message; the INVITE after its empty
	 * body is discarded, not read. */
	n = load("dblreq", buf, sizeof(buf));
	cr_assert_null(judge(buf, n, &m));
	cr_assert_eq(m.method, SIP_METHOD_REGISTER);
	cr_assert_eq(m.body.len, 0);
	cr_assert_eq(m.n_from, 1);

	/* intmeth: the To display name holds escaped BEL, NUL and DEL; the
	 * From display name is tokens with '%' and '`'. */
	n = load("intmeth", buf, sizeof(buf));
	cr_assert_null(judge(buf, n, &m));
	cr_assert_eq(m.method, SIP_METHOD_OTHER);
	cr_assert_eq(sip_extract_userhost(m.from, user, sizeof(user), host, sizeof(host)), 0);
	cr_assert_str_eq(user, "mundane");
	cr_assert_str_eq(host, "example.com");
	cr_assert_eq(sip_extract_userhost(m.to, user, sizeof(user), host, sizeof(host)), 0);
	cr_assert_str_eq(user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
	cr_assert_str_eq(host, "example.com");
	cr_assert_eq(sip_extract_tag(m.from, user, sizeof(user)), 0);
	cr_assert_str_eq(user, "_token~1'+`*%!-.");

	/* baddn: the archive's copy lacks the empty line (no-end); with it,
	 * the display name of non-tokens is what is wrong */
	n = load("baddn", buf, sizeof(buf));
	memcpy(buf + n, "\r\n", 2);
	cr_assert_str_eq(judge(buf, n + 2, &m), "from-parse");

	/* esc01: the escaped user is read decoded, as the server compares it */
	n = load("esc01", buf, sizeof(buf));
	cr_assert_null(judge(buf, n, &m));
	cr_assert_eq(sip_extract_userhost(m.from, user, sizeof(user), host, sizeof(host)), 0);
	cr_assert_str_eq(user, "I have spaces");
}
