/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "addr_harness.h"

static struct addr_net
N(const char *s)
{
	struct addr_net n;

	cr_assert_eq(addr_net_parse(s, &n), 0, "parse %s", s);
	return n;
}

static bool
in(const char *net, const char *a)
{
	struct addr_net n = N(net);
	struct addr x = A(a);

	return addr_net_contains(&n, &x);
}

Test(addr, parse_v4)
{
	struct addr a = A("192.0.2.1");
	static const uint8_t zero[12];

	cr_assert_eq(a.family, AF_INET);
	cr_assert_eq(a.a[0], 192);
	cr_assert_eq(a.a[3], 1);
	cr_assert_eq(memcmp(a.a + 4, zero, 12), 0);
}

Test(addr, parse_v6)
{
	struct addr a = A("2001:db8::1");

	cr_assert_eq(a.family, AF_INET6);
	cr_assert_eq(a.a[0], 0x20);
	cr_assert_eq(a.a[1], 0x01);
	cr_assert_eq(a.a[15], 1);
}

Test(addr, parse_errors)
{
	static const char *bad[] = {
		"", " 192.0.2.1", "192.0.2.1 ", "192.0.2", "192.0.2.256",
		"0x7f.0.0.1", "1.2.3.4.5", "2001:db8::g", "2001:db8:::1",
		"fe80::1%eth0", "foo", "192.0.2.1/32",
		"1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb",
	};
	struct addr a;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(addr_parse(bad[i], &a), -EINVAL, "'%s'", bad[i]);
	cr_expect_eq(addr_parse(NULL, &a), -EINVAL);
}

Test(addr, net_parse_ok)
{
	struct addr_net n;

	n = N("10.0.0.0/8");
	cr_assert_eq(n.plen, 8);
	cr_assert_eq(n.base.family, AF_INET);
	n = N("192.0.2.7");
	cr_assert_eq(n.plen, 32);
	n = N("2001:db8::/32");
	cr_assert_eq(n.plen, 32);
	cr_assert_eq(n.base.family, AF_INET6);
	n = N("2001:db8::5");
	cr_assert_eq(n.plen, 128);
	n = N("0.0.0.0/0");
	cr_assert_eq(n.plen, 0);
	n = N("::/0");
	cr_assert_eq(n.plen, 0);
	n = N("10.0.2.0/23");
	cr_assert_eq(n.plen, 23);
	/* IPv4-mapped IPv6 is just IPv6 here. */
	n = N("::ffff:192.0.2.0/120");
	cr_assert_eq(n.base.family, AF_INET6);
	cr_assert_eq(n.plen, 120);
}

Test(addr, net_parse_errors)
{
	static const char *bad[] = {
		"", "/", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1",
		"10.0.0.0/+8", "10.0.0.0/08", "10.0.0.0/8/8", "10.0.0.0/8 ",
		"10.0.0.0/ 8", "10.0.0.0/1000", "10.0.0.1/8", "10.0.3.0/23",
		"2001:db8::/129", "2001:db8::1/64", "2001:db8::/abc", "foo/8",
		"2001:db8:0:9::/61", "2001:db8:0:c::/61",
	};
	struct addr_net n;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(addr_net_parse(bad[i], &n), -EINVAL, "'%s'", bad[i]);
	cr_expect_eq(addr_net_parse(NULL, &n), -EINVAL);
}

Test(addr, contains_v4)
{
	cr_assert(in("0.0.0.0/0", "203.0.113.7"));
	cr_assert(in("0.0.0.0/0", "0.0.0.0"));
	cr_assert(in("0.0.0.0/0", "255.255.255.255"));
	cr_assert(in("192.0.2.7/32", "192.0.2.7"));
	cr_assert_not(in("192.0.2.7/32", "192.0.2.6"));
	cr_assert_not(in("192.0.2.7/32", "192.0.2.8"));
	cr_assert(in("203.0.113.0/24", "203.0.113.255"));
	cr_assert_not(in("203.0.113.0/24", "203.0.114.0"));
	/* /23: the low bit of the third octet is host. */
	cr_assert(in("10.0.2.0/23", "10.0.2.0"));
	cr_assert(in("10.0.2.0/23", "10.0.3.255"));
	cr_assert_not(in("10.0.2.0/23", "10.0.1.255"));
	cr_assert_not(in("10.0.2.0/23", "10.0.4.0"));
	cr_assert(in("128.0.0.0/1", "200.1.1.1"));
	cr_assert_not(in("128.0.0.0/1", "127.255.255.255"));
}

Test(addr, contains_v6)
{
	cr_assert(in("::/0", "2001:db8::1"));
	cr_assert(in("::/0", "::"));
	cr_assert(in("2001:db8::1/128", "2001:db8::1"));
	cr_assert_not(in("2001:db8::1/128", "2001:db8::"));
	cr_assert_not(in("2001:db8::1/128", "2001:db8::2"));
	cr_assert(in("2001:db8:a::/64", "2001:db8:a::1"));
	cr_assert(in("2001:db8:a::/64", "2001:db8:a:0:ffff:ffff:ffff:ffff"));
	cr_assert_not(in("2001:db8:a::/64", "2001:db8:a:1::"));
	cr_assert_not(in("2001:db8:a::/64", "2001:db8:9:ffff:ffff:ffff:ffff:ffff"));
	/* /61: the low three bits of the fourth group are host. */
	cr_assert(in("2001:db8:0:8::/61", "2001:db8:0:8::1"));
	cr_assert(in("2001:db8:0:8::/61", "2001:db8:0:f:ffff:ffff:ffff:ffff"));
	cr_assert_not(in("2001:db8:0:8::/61", "2001:db8:0:10::"));
	cr_assert_not(in("2001:db8:0:8::/61", "2001:db8:0:7:ffff:ffff:ffff:ffff"));
}

Test(addr, contains_family_mismatch)
{
	/* The first bytes of ::/0 and 0.0.0.0/0 are all zero: family must
	 * still separate them. */
	cr_assert_not(in("0.0.0.0/0", "::1"));
	cr_assert_not(in("::/0", "192.0.2.1"));
	cr_assert_not(in("::ffff:192.0.2.0/120", "192.0.2.1"));
	cr_assert_not(in("192.0.2.0/24", "::ffff:192.0.2.1"));
}

Test(addr, mask)
{
	struct addr a = A("203.0.113.77");
	char buf[ADDR_STRLEN];

	addr_mask(&a, 24);
	cr_assert_str_eq(addr_format(&a, buf, sizeof(buf)), "203.0.113.0");
	a = A("10.0.3.255");
	addr_mask(&a, 23);
	cr_assert_str_eq(addr_format(&a, buf, sizeof(buf)), "10.0.2.0");
	a = A("10.0.3.255");
	addr_mask(&a, 99); /* clamped to 32 */
	cr_assert_str_eq(addr_format(&a, buf, sizeof(buf)), "10.0.3.255");
	addr_mask(&a, 0);
	cr_assert_str_eq(addr_format(&a, buf, sizeof(buf)), "0.0.0.0");

	a = A("2001:db8:a:b:c:d:e:f");
	addr_mask(&a, 64);
	cr_assert_str_eq(addr_format(&a, buf, sizeof(buf)), "2001:db8:a:b::");
	a = A("2001:db8:0:f:1::");
	addr_mask(&a, 61);
	cr_assert_str_eq(addr_format(&a, buf, sizeof(buf)), "2001:db8:0:8::");
	a = A("2001:db8::1");
	addr_mask(&a, 128);
	cr_assert_str_eq(addr_format(&a, buf, sizeof(buf)), "2001:db8::1");
	addr_mask(&a, 500);
	cr_assert_str_eq(addr_format(&a, buf, sizeof(buf)), "2001:db8::1");
}

/* Every prefix length against the definition, bit by bit: the bits
 * from plen on are cleared, the ones before are kept, and an IPv4
 * address's unused bytes a[4..15] come out zero (ban keys hash them). */
Test(addr, mask_every_length)
{
	static const char *const addrs[] = { "255.255.255.255", "203.0.113.77", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
					     "2001:db8:a:b:c:d:e:f" };

	for (unsigned n = 0; n < sizeof(addrs) / sizeof(addrs[0]); n++) {
		for (unsigned plen = 0; plen <= 130; plen++) {
			struct addr a = A(addrs[n]), want = a;
			unsigned max = a.family == AF_INET ? 32 : 128;

			for (unsigned b = 0; b < 128; b++)
				if (b >= plen || b >= max)
					want.a[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
			addr_mask(&a, plen);
			cr_assert(memcmp(a.a, want.a, sizeof(a.a)) == 0, "%s/%u", addrs[n], plen);
			cr_assert_eq(a.family, want.family);
		}
	}
}

Test(addr, format)
{
	struct addr a = A("2001:0db8:0000::0001");
	char buf[ADDR_STRLEN];

	cr_assert_str_eq(addr_format(&a, buf, sizeof(buf)), "2001:db8::1");
	a = A("::ffff:192.0.2.1");
	cr_assert_str_eq(addr_format(&a, buf, sizeof(buf)), "::ffff:192.0.2.1");
	memset(&a, 0, sizeof(a));
	cr_assert_str_eq(addr_format(&a, buf, sizeof(buf)), "?");
	/* Too small a buffer still yields a terminated string. */
	a = A("2001:db8::1");
	cr_assert_str_eq(addr_format(&a, buf, 4), "?");
}

Test(addr, equal_and_hash)
{
	struct addr x = A("192.0.2.1"), y = A("192.0.2.1"), z = A("192.0.2.2");
	struct addr v6 = A("c000:201::");

	cr_assert(addr_equal(&x, &y));
	cr_assert_not(addr_equal(&x, &z));
	struct hash_key k1 = { 1, 2 }, k2 = { 1, 3 };

	cr_assert_eq(addr_hash(&x, &k1), addr_hash(&y, &k1));
	cr_assert_neq(addr_hash(&x, &k1), addr_hash(&z, &k1));
	cr_assert_neq(addr_hash(&x, &k1), addr_hash(&x, &k2));
	/* Same first four bytes, different family. */
	cr_assert_not(addr_equal(&x, &v6));
	cr_assert_neq(addr_hash(&x, &k1), addr_hash(&v6, &k1));
	/* pad[] must not matter. */
	y.pad[0] = 0x55;
	cr_assert(addr_equal(&x, &y));
	cr_assert_eq(addr_hash(&x, &k2), addr_hash(&y, &k2));
	/* nor the twelve bytes an IPv4 address does not use: hash and
	 * equality read the same bytes, so table lookups agree */
	y.a[4] = 0x66;
	y.a[15] = 0x77;
	cr_assert(addr_equal(&x, &y));
	cr_assert_eq(addr_hash(&x, &k2), addr_hash(&y, &k2));
	/* while every IPv6 byte counts */
	z = v6;
	z.a[15] = 1;
	cr_assert_not(addr_equal(&v6, &z));
}

Test(addr, hash_spreads)
{
	/* Sequential addresses must not collide in the low bits a table
	 * would use as its bucket index. */
	static unsigned buckets[256];
	struct addr a;
	uint8_t b[4] = { 203, 0, 113, 0 };
	unsigned i, max = 0;
	struct hash_key k;

	cr_assert_eq(hash_key_random(&k), 0);
	for (i = 0; i < 4096; i++) {
		b[2] = (uint8_t)(i >> 8);
		b[3] = (uint8_t)i;
		addr_from_v4(&a, b);
		buckets[addr_hash(&a, &k) & 255]++;
	}
	for (i = 0; i < 256; i++)
		if (buckets[i] > max)
			max = buckets[i];
	cr_assert_lt(max, 40, "worst bucket %u of expected 16", max);
}

Test(addr, from_raw)
{
	static const uint8_t v4[4] = { 198, 51, 100, 9 };
	uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	struct addr a;

	v6[15] = 9;
	memset(&a, 0xaa, sizeof(a));
	addr_from_v4(&a, v4);
	cr_assert(addr_equal(&a, &(struct addr){ .family = AF_INET,
						  .a = { 198, 51, 100, 9 } }));
	cr_assert_eq(a.pad[0] | a.pad[1] | a.pad[2], 0);
	addr_from_v6(&a, v6);
	cr_assert(addr_equal(&a, &(struct addr){ 0 }) == false);
	cr_assert_eq(a.family, AF_INET6);
	cr_assert_eq(memcmp(a.a, v6, 16), 0);
}
