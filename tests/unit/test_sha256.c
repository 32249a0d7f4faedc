/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests: SHA-256 against the FIPS 180-4 examples (via NIST's published
 * example values) and HMAC-SHA-256 against RFC 4231's test cases.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sha256.h"

static const char *
hex(const uint8_t *d, size_t n)
{
	static char buf[2 * 64 + 1];

	for (size_t i = 0; i < n; i++)
		sprintf(buf + 2 * i, "%02x", d[i]);
	return buf;
}

static void
expect_sha(const char *msg, size_t len, const char *want)
{
	uint8_t out[SHA256_LEN];

	sha256(msg, len, out);
	cr_assert_str_eq(hex(out, sizeof(out)), want, "sha256 of %zu bytes", len);
}

Test(sha256, fips_examples)
{
	expect_sha("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	expect_sha("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	expect_sha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
		   "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	expect_sha("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
		   "klmnopqrlmnopqrsmnopqrstnopqrstu", 112,
		   "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

Test(sha256, million_a_in_pieces)
{
	static char a[1001];
	struct sha256 s;
	uint8_t out[SHA256_LEN];

	memset(a, 'a', sizeof(a));
	sha256_init(&s);
	for (int i = 0; i < 1000; i++)
		sha256_update(&s, a, i % 2 ? 999 : 1001);
	sha256_final(&s, out);
	cr_assert_str_eq(hex(out, sizeof(out)),
			 "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void
expect_hmac(const void *key, size_t klen, const void *msg, size_t mlen, const char *want)
{
	uint8_t out[SHA256_LEN];

	hmac_sha256(key, klen, msg, mlen, out);
	cr_assert_str_eq(hex(out, sizeof(out)), want);
}

Test(sha256, rfc4231_hmac)
{
	uint8_t k20[20], k131[131], d50[50];

	memset(k20, 0x0b, sizeof(k20));
	expect_hmac(k20, 20, "Hi There", 8,
		    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	expect_hmac("Jefe", 4, "what do ya want for nothing?", 28,
		    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	memset(k20, 0xaa, sizeof(k20));
	memset(d50, 0xdd, sizeof(d50));
	expect_hmac(k20, 20, d50, 50,
		    "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
	memset(k131, 0xaa, sizeof(k131));
	expect_hmac(k131, 131, "Test Using Larger Than Block-Size Key - Hash Key First", 54,
		    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	expect_hmac(k131, 131,
		    "This is a test using a larger than block-size key and a larger than "
		    "block-size data. The key needs to be hashed before being used by the HMAC "
		    "algorithm.", 152,
		    "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

Test(sha256, equal)
{
	uint8_t a[4] = { 1, 2, 3, 4 }, b[4] = { 1, 2, 3, 4 };

	cr_assert(sha256_equal(a, b, 4));
	b[3] = 5;
	cr_assert_not(sha256_equal(a, b, 4));
	cr_assert(sha256_equal(a, b, 3));
}
