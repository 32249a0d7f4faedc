/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The hand-written IPv6 reader and writer must answer exactly as glibc's
 * inet_pton()/inet_ntop(), and the fast paths built on them (sanity's URI
 * check, sip_extract_userhost_fast()) exactly as libosip2 does, over many
 * generated forms: full, compressed, mixed IPv4 tail, upper and lower case,
 * zone ids and broken ones.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sanity.h"
#include "sip.h"
#include "sip_ip6.h"
#include "rng_harness.h"

static uint64_t g_rng = 0x2545f4914f6cdd1dULL;

/* xorshift64 from rng_harness.h, seeded here */
#define rnd(n) xorshift64_below(&g_rng, (n))

/* Addresses with the shapes that matter to the writer: runs of zeros of
 * every length and place, v4-mapped and v4-compatible ones. */
static void
gen_addr(uint8_t a[16])
{
	unsigned kind = rnd(8);

	for (int i = 0; i < 8; i++) {
		unsigned w;

		switch (rnd(6)) {
		case 0: case 1: case 2: w = 0; break;
		case 3: w = rnd(16); break;
		case 4: w = 0xffff; break;
		default: w = rnd(65536); break;
		}
		a[2 * i] = (uint8_t)(w >> 8);
		a[2 * i + 1] = (uint8_t)w;
	}
	if (kind == 0) {		/* ::ffff:a.b.c.d */
		memset(a, 0, 10);
		a[10] = a[11] = 0xff;
	} else if (kind == 1) {		/* ::a.b.c.d */
		memset(a, 0, 12);
	}
}

static char *
put_word(char *o, unsigned w, bool lead, bool upper)
{
	static const char lo[] = "0123456789abcdef", up[] = "0123456789ABCDEF";
	const char *x = upper ? up : lo;
	bool any = false;

	for (int sh = 12; sh >= 0; sh -= 4) {
		unsigned d = (w >> sh) & 0xf;

		if (lead || d || any || sh == 0) {
			*o++ = upper && rnd(2) ? x[d] : lo[d];
			any = true;
		}
	}
	return o;
}

/* One textual form of a: groups with or without leading zeros, mixed
 * case, "::" over some run of zero groups (or none), maybe a dotted tail. */
static void
gen_text(const uint8_t a[16], char *out)
{
	unsigned w[8], ngroups;
	bool lead = rnd(3) == 0, upper = rnd(2), v4 = rnd(3) == 0;
	int gs = -1, gl = 0;
	char *o = out;

	for (int i = 0; i < 8; i++)
		w[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
	ngroups = v4 ? 6 : 8;
	/* pick a random run of zero groups to compress */
	if (rnd(4) != 0) {
		int s = (int)rnd(ngroups);

		if (w[s] == 0) {
			gs = s;
			while (gs + gl < (int)ngroups && w[gs + gl] == 0 &&
			    (gl == 0 || rnd(5) != 0))
				gl++;
		}
	}
	for (int i = 0; i < (int)ngroups; i++) {
		if (i == gs) {
			*o++ = ':';
			if (i == 0)
				*o++ = ':';
			i += gl - 1;
			if (i == (int)ngroups - 1 && !v4)
				break;
			continue;
		}
		o = put_word(o, w[i], lead, upper);
		if (i + 1 < (int)ngroups || v4)
			*o++ = ':';
	}
	if (v4)
		o += sprintf(o, "%u.%u.%u.%u", a[12], a[13], a[14], a[15]);
	*o = '\0';
}

/* A broken or odd variant: bytes replaced, inserted or deleted. */
static void
mutate(char *s, size_t cap)
{
	static const char alpha[] = "0123456789abcdefABCDEF:..::%gx ]";
	size_t n = strlen(s);
	unsigned k = 1 + rnd(3);

	while (k--) {
		unsigned op = rnd(3), at = rnd((unsigned)n + 1);

		if (op == 0 && at < n) {
			s[at] = alpha[rnd(sizeof(alpha) - 1)];
		} else if (op == 1 && n + 2 < cap) {
			memmove(s + at + 1, s + at, n - at + 1);
			s[at] = alpha[rnd(sizeof(alpha) - 1)];
			n++;
		} else if (at < n) {
			memmove(s + at, s + at + 1, n - at);
			n--;
		}
	}
}

/* One generated form: mostly valid, some with a zone id, some broken. */
static void
gen_form(char *t, size_t cap)
{
	uint8_t a[16];
	unsigned r = rnd(10);

	gen_addr(a);
	gen_text(a, t);
	if (r == 0)
		strcat(t, rnd(2) ? "%25eth0" : "%eth0");
	else if (r <= 3)
		mutate(t, cap);
}

static void
check_parse(const char *t)
{
	uint8_t mine[16], libc[16];
	int m = sip_ip6_parse(t, strlen(t), mine);
	int l = inet_pton(AF_INET6, t, libc);

	cr_assert_eq(m == 0, l == 1, "'%s': mine %d, inet_pton %d", t, m, l);
	if (l == 1)
		cr_assert(memcmp(mine, libc, 16) == 0, "'%s' read differently", t);
}

Test(ip6text, parse_is_inet_pton)
{
	static const char *const odd[] = {
		"", ":", "::", ":::", "::1", "1::", "1:", ":1", "1::2::3", "::ffff:1.2.3.4",
		"::1.2.3.4", "1.2.3.4", "::01.2.3.4", "::1.2.3", "::1.2.3.4.5", "::256.1.1.1",
		"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::8", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6::",
		"::2:3:4:5:6:7:8", "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", "12345::",
		"0000:0000:0000:0000:0000:0000:0000:0001", "fe80::1%eth0", "::ffff:1.2.3.4:5",
		"1::2:3.4.5.6", "1:2:3:4:5:6:7:1.2.3.4", "::1.2..3", "::.1.2.3", "::1.2.3.",
	};
	char t[128];

	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
		check_parse(odd[i]);
	for (int i = 0; i < 300000; i++) {
		gen_form(t, sizeof(t));
		check_parse(t);
	}
	/* every string of up to 6 bytes over a small alphabet */
	{
		static const char al[] = ":1.0f";
		char s[8];

		for (unsigned len = 1; len <= 6; len++) {
			unsigned total = 1;

			for (unsigned k = 0; k < len; k++)
				total *= 5;
			for (unsigned x = 0; x < total; x++) {
				unsigned y = x;

				for (unsigned k = 0; k < len; k++, y /= 5)
					s[k] = al[y % 5];
				s[len] = '\0';
				check_parse(s);
			}
		}
	}
}

Test(ip6text, format_is_inet_ntop)
{
	char mine[SIP_IP6_TEXT_MAX], libc[INET6_ADDRSTRLEN];
	uint8_t a[16];

	for (int i = 0; i < 300000; i++) {
		size_t n;

		gen_addr(a);
		n = sip_ip6_format(a, mine);
		cr_assert_not_null(inet_ntop(AF_INET6, a, libc, sizeof(libc)));
		cr_assert_str_eq(mine, libc);
		cr_assert_eq(n, strlen(libc));
	}
}

/* ---- sip_extract_userhost_fast() against libosip2 ---- */

/* Values around an address: what goes before it and after it. */
static const char *const naddr_shapes[][2] = {
	{ "<sip:105@[", "]>;tag=1" },
	{ "\"Alice\" <sip:alice@[", "]:5060;transport=udp>;tag=9a8b" },
	{ "sip:105@[", "];tag=4a5b" },
	{ "<sips:[", "]>" },
	{ "Bob <sip:bob@[", "]:65535;lr>" },
	{ "sip:[", "]:5061" },
};

static void
around(char *out, size_t cap, const char *const shape[2], const char *t)
{
	snprintf(out, cap, "%s%s%s", shape[0], t, shape[1]);
}

Test(ip6text, extract_fast_agrees_with_libosip)
{
	char t[128], v[256], u1[128], h1[128], u2[128], h2[128];
	unsigned fast = 0, valid = 0;

	for (int i = 0; i < 200000; i++) {
		uint8_t a[16];
		size_t hl = rnd(4) == 0 ? 4 + rnd(48) : sizeof(h1);
		struct sip_str s;
		int f, o;

		gen_form(t, sizeof(t));
		around(v, sizeof(v), naddr_shapes[rnd(6)], t);
		s = (struct sip_str){ v, (uint32_t)strlen(v) };
		f = sip_extract_userhost_fast(s, u1, sizeof(u1), h1, hl);
		o = sip_extract_userhost_osip(s, u2, sizeof(u2), h2, hl);
		if (f != 1) {
			fast++;
			cr_assert_eq(f, o, "'%s': fast %d, libosip2 %d", v, f, o);
			if (f == 0) {
				cr_assert_str_eq(u1, u2, "user differs for '%s'", v);
				cr_assert_str_eq(h1, h2, "host differs for '%s'", v);
			}
		}
		/* a plain address is the common shape: it must be fast */
		if (strchr(t, '%') == NULL && strchr(t, ':') != NULL &&
		    strchr(t, ' ') == NULL && inet_pton(AF_INET6, t, a) == 1) {
			valid++;
			cr_assert_neq(f, 1, "'%s' not taken by the fast path", v);
		}
	}
	cr_log_info("extract: %u fast, %u valid", fast, valid);
	cr_assert_gt(valid, 100000);
}

/* ---- sanity_check(): its fast path never changes a verdict ---- */

static const char msg_fmt[] =
	"REGISTER %s SIP/2.0\r\n"
	"Via: SIP/2.0/UDP [2001:db8::5]:5060;branch=z9hG4bK776asdhds\r\n"
	"From: %s\r\n"
	"To: %s\r\n"
	"Call-ID: a84b4c76e66710@[2001:db8::5]\r\n"
	"CSeq: 1 REGISTER\r\n"
	"Content-Length: 0\r\n\r\n";

Test(ip6text, sanity_verdicts_are_libosip2s, .timeout = 60)
{
	static const char *const ruri_shapes[][2] = {
		{ "sip:[", "]" }, { "sip:105@[", "]:5060;transport=udp" },
		{ "sips:alice@[", "];lr" },
	};
	char t[128], ruri[160], from[200], to[200], msg[1024], user[2048], host[2048];
	unsigned sane = 0;

	for (int i = 0; i < 100000; i++) {
		struct sip_msg m;
		enum sanity_fail f, want;
		int which = (int)rnd(3);
		char *buf;
		size_t n;

		snprintf(ruri, sizeof(ruri), "sip:105@[2001:db8::1]");
		snprintf(from, sizeof(from), "<sip:105@[2001:db8::1]>;tag=1");
		snprintf(to, sizeof(to), "<sip:105@[2001:db8::1]>");
		gen_form(t, sizeof(t));
		if (strpbrk(t, " ]") != NULL)
			continue;	/* would break the framing, not the URI */
		if (which == 0)
			around(ruri, sizeof(ruri), ruri_shapes[rnd(3)], t);
		else
			around(which == 1 ? from : to, 200, naddr_shapes[rnd(6)], t);
		n = (size_t)snprintf(msg, sizeof(msg), msg_fmt, ruri, from, to);
		buf = malloc(n);
		cr_assert_not_null(buf);
		memcpy(buf, msg, n);
		cr_assert_eq(sip_scan(buf, n, &m, NULL), 0, "%s", msg);
		f = sanity_check(&m, NULL);
		/* what libosip2 alone says of the one value that varies */
		if (which == 0)
			want = sip_extract_uri_userhost(m.ruri, user, sizeof(user), host,
			    sizeof(host)) == 0 ? SANITY_OK : SANITY_RURI_PARSE;
		else if (which == 1)
			want = sip_extract_userhost_osip(m.from, user, sizeof(user), host,
			    sizeof(host)) == 0 ? SANITY_OK : SANITY_FROM_PARSE;
		else
			want = sip_extract_userhost_osip(m.to, user, sizeof(user), host,
			    sizeof(host)) == 0 ? SANITY_OK : SANITY_TO_PARSE;
		cr_assert_eq(f, want, "got %s, libosip2 says %s for:\n%s",
		    sanity_fail_name(f), sanity_fail_name(want), msg);
		sane += f == SANITY_OK;
		free(buf);
	}
	cr_log_info("sanity: %u sane", sane);
	cr_assert_gt(sane, 50000);
}
