/* The allocation-free From/To path must agree with libosip2's on every value
 * it accepts: real shapes, then a million seeded mutations of them. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip.h"

static const char *const shapes[] = {
	"<sip:105@example.org>;tag=abc",
	"\"Alice\" <sip:alice@Example.ORG;transport=udp>;tag=1928301774",
	"Bob <sips:bob@biloxi.example.com:5061>",
	"sip:105@198.51.100.1;tag=7fa3",
	"\"sipvicious\"<sip:100@1.1.1.1>;tag=3130300133",
	"<sip:example.org>",
	"<sip:+4930123@carrier.example.net;user=phone>",
	"\"A B\" <sip:a.b-c_d!~*'()&=+$,@host-1.example>",
	"<sip:%61lice@example.org>",
	"<sip:alice@[2001:db8::1]>",
	"<tel:+4930123>",
	"\"Al\\\"ice\" <sip:alice@example.org>",
	"<sip:alice:secret@example.org>",
	"<sip:h>",
	/* UTF-8 display names, quoted and not: common on phones */
	"\"J\xc3\xbcrgen M\xc3\xbcller\" <sip:juergen@example.org>;tag=7",
	"\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd <sip:ivan@example.org>;tag=8",
};

static void
check_agree(const char *s, size_t n)
{
	char u1[128], h1[128], u2[128], h2[128];
	struct sip_str v = { s, (uint32_t)n };
	int f = sip_extract_userhost_fast(v, u1, sizeof(u1), h1, sizeof(h1));
	int o;

	if (f != 0)
		return; /* not a fast shape (1) or too long (-ENOSPC): libosip2 decides */
	o = sip_extract_userhost_osip(v, u2, sizeof(u2), h2, sizeof(h2));
	cr_assert_eq(o, 0, "fast accepted what libosip2 refuses: '%.*s'", (int)n, s);
	cr_assert_str_eq(u1, u2, "user differs for '%.*s'", (int)n, s);
	cr_assert_str_eq(h1, h2, "host differs for '%.*s'", (int)n, s);
}

Test(extract_fast, shapes_agree_and_common_ones_are_fast)
{
	char u[64], h[64];
	struct sip_str v;

	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		check_agree(shapes[i], strlen(shapes[i]));
	v = (struct sip_str){ shapes[1], (uint32_t)strlen(shapes[1]) };
	cr_assert_eq(sip_extract_userhost_fast(v, u, sizeof(u), h, sizeof(h)), 0);
	cr_assert_str_eq(u, "alice");
	cr_assert_str_eq(h, "example.org");
	/* a plain IPv6 reference is read here, canonical as libosip2's path
	 * writes it (test_ip6text holds the two together) */
	v = (struct sip_str){ shapes[9], (uint32_t)strlen(shapes[9]) };
	cr_assert_eq(sip_extract_userhost_fast(v, u, sizeof(u), h, sizeof(h)), 0);
	cr_assert_str_eq(h, "[2001:db8::1]");
	/* UTF-8 in a display name is plain: read here, as libosip2 reads it */
	v = (struct sip_str){ shapes[14], (uint32_t)strlen(shapes[14]) };
	cr_assert_eq(sip_extract_userhost_fast(v, u, sizeof(u), h, sizeof(h)), 0);
	cr_assert_str_eq(u, "juergen");
	v = (struct sip_str){ shapes[15], (uint32_t)strlen(shapes[15]) };
	cr_assert_eq(sip_extract_userhost_fast(v, u, sizeof(u), h, sizeof(h)), 0);
	cr_assert_str_eq(u, "ivan");
	/* escapes, tel: and backslashes go to libosip2 */
	for (size_t i = 8; i <= 12; i++) {
		if (i == 9)
			continue;
		v = (struct sip_str){ shapes[i], (uint32_t)strlen(shapes[i]) };
		cr_assert_eq(sip_extract_userhost_fast(v, u, sizeof(u), h, sizeof(h)), 1, "%s",
			     shapes[i]);
	}
}

Test(extract_fast, mutations_agree)
{
	static const char alphabet[] = "<>\"\\@:;=.-_ %aZ09[]\t,?\xc3\xff";
	char buf[256];

	srandom(getenv("EXTRACT_SEED") ? (unsigned)atoi(getenv("EXTRACT_SEED")) : 20261122u);
	for (int iter = 0; iter < 1000000; iter++) {
		const char *base = shapes[random() % (sizeof(shapes) / sizeof(shapes[0]))];
		size_t n = strlen(base);
		int edits = 1 + (int)(random() % 3);

		memcpy(buf, base, n);
		for (int e = 0; e < edits; e++) {
			size_t pos = (size_t)random() % n;

			switch (random() % 3) {
			case 0: /* replace */
				buf[pos] = alphabet[random() % (sizeof(alphabet) - 1)];
				break;
			case 1: /* delete */
				memmove(buf + pos, buf + pos + 1, n - pos - 1);
				n--;
				break;
			default: /* insert */
				if (n + 1 < sizeof(buf)) {
					memmove(buf + pos + 1, buf + pos, n - pos);
					buf[pos] = alphabet[random() % (sizeof(alphabet) - 1)];
					n++;
				}
			}
			if (n < 2)
				break;
		}
		check_agree(buf, n);
	}
}
