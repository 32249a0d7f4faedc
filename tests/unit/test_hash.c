/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <criterion/criterion.h>
#include <string.h>

#include "hash.h"

/* SipHash-1-3 with the SipHash paper's appendix A inputs: key 00..0f,
 * message 00..(len-1). The paper gives vectors for 2-4 only; these came
 * from a separate reference (a Python model of SipHash-c-d that gives the
 * paper's 2-4 vectors with c=2, d=4, and CPython's own siphash13, which
 * hash() of bytes uses, with c=1, d=3 for lengths 1..39 under
 * PYTHONHASHSEED=0, its all-zero key). */
static const uint64_t vectors[] = {
	0xabac0158050fc4dcULL, 0xc9f49bf37d57ca93ULL, 0x82cb9b024dc7d44dULL,
	0x8bf80ab8e7ddf7fbULL, 0xcf75576088d38328ULL, 0xdef9d52f49533b67ULL,
	0xc50d2b50c59f22a7ULL, 0xd3927d989bb11140ULL, 0x369095118d299a8eULL,
	0x25a48eb36c063de4ULL, 0x79de85ee92ff097fULL, 0x70c118c1f94dc352ULL,
	0x78a384b157b4d9a2ULL, 0x306f760c1229ffa7ULL, 0x605aa111c0f95d34ULL,
	0xd320d86d2a519956ULL, 0xcc4fdd1a7d908b66ULL,
};

static struct hash_key
ref_key(void)
{
	unsigned char kb[16];
	struct hash_key k;

	for (int i = 0; i < 16; i++)
		kb[i] = (unsigned char)i;
	memcpy(&k.k0, kb, 8);
	memcpy(&k.k1, kb + 8, 8);
	return k;
}

Test(hash, siphash_reference_vectors)
{
	struct hash_key k = ref_key();
	unsigned char msg[64];

	for (int i = 0; i < 64; i++)
		msg[i] = (unsigned char)i;
	for (size_t len = 0; len < sizeof(vectors) / sizeof(vectors[0]); len++)
		cr_assert_eq(hash_bytes(&k, msg, len), vectors[len], "len %zu", len);
}

/* Straight from CPython 3.11 (hash(bytes(range(1, n + 1))) under
 * PYTHONHASHSEED=0: siphash13 with the all-zero key, as an unsigned
 * word; none of these is CPython's -1 -> -2 special case). */
Test(hash, cpython_siphash13_zero_key)
{
	static const struct {
		size_t len;
		uint64_t h;
	} py[] = {
		{ 1, 0x44bc103b1f8540edULL },
		{ 7, 0xb1cd85cc334196faULL },
		{ 8, 0x884ccc87cb0e5fb0ULL },
		{ 9, 0x027ed508fe95acb3ULL },
		{ 16, 0xe05d12a0a4b2d063ULL },
		{ 39, 0x44a8a77d418959d3ULL },
	};
	struct hash_key zero = { 0, 0 };
	unsigned char msg[64];

	for (int i = 0; i < 64; i++)
		msg[i] = (unsigned char)(i + 1);
	for (size_t i = 0; i < sizeof(py) / sizeof(py[0]); i++)
		cr_assert_eq(hash_bytes(&zero, msg, py[i].len), py[i].h, "len %zu", py[i].len);
}

Test(hash, word_forms_equal_bytes)
{
	struct hash_key k = ref_key();
	uint64_t a = 0x0706050403020100ULL, b = 0x0f0e0d0c0b0a0908ULL;
	unsigned char buf[16];

	memcpy(buf, &a, 8);
	memcpy(buf + 8, &b, 8);
	cr_assert_eq(hash_u64(&k, a), hash_bytes(&k, buf, 8));
	cr_assert_eq(hash_u64x2(&k, a, b), hash_bytes(&k, buf, 16));
}

Test(hash, random_keys_differ)
{
	struct hash_key a, b;

	cr_assert_eq(hash_key_random(&a), 0);
	cr_assert_eq(hash_key_random(&b), 0);
	cr_assert(a.k0 != b.k0 || a.k1 != b.k1);
	cr_assert_neq(hash_bytes(&a, "x", 1), hash_bytes(&b, "x", 1));
}

static uint64_t
fields2(const struct hash_key *k, const char *a, const char *b)
{
	struct hash_span f[2] = { { a, (uint32_t)strlen(a) }, { b, (uint32_t)strlen(b) } };

	return hash_fields(k, f, 2);
}

Test(hash, fields_are_delimited)
{
	struct hash_key k = ref_key(), k2 = { 1, 2 };
	struct hash_span one = { "a", 1 };

	/* The same calls give the same value; moving a field boundary, a
	 * longer field, another key, or fewer fields give another. */
	cr_assert_eq(fields2(&k, "call-id-1", "tag"), fields2(&k, "call-id-1", "tag"));
	cr_assert_neq(fields2(&k, "ab", "c"), fields2(&k, "a", "bc"));
	cr_assert_neq(fields2(&k, "abcdefgh", ""), fields2(&k, "abcdefg", "h"));
	cr_assert_neq(fields2(&k, "abcdefgh", ""), fields2(&k, "", "abcdefgh"));
	cr_assert_neq(fields2(&k, "call-id-1", "tag"), fields2(&k2, "call-id-1", "tag"));
	cr_assert_neq(fields2(&k, "a", ""), hash_fields(&k, &one, 1));
	/* a padding byte is not a byte of the field */
	struct hash_span p3[2] = { { "abc", 3 }, { "d", 1 } };
	struct hash_span p4[2] = { { "abc\0", 4 }, { "d", 1 } };

	cr_assert_neq(hash_fields(&k, p3, 2), hash_fields(&k, p4, 2));
}

/* Every split of one byte string into up to four fields hashes apart
 * (lengths in one word up to 65,535 bytes a field): 12 bytes, all 455
 * ways to cut them into four. */
Test(hash, every_split_differs)
{
	struct hash_key k = ref_key();
	const char *s = "0123456789ab";
	uint64_t seen[455];
	size_t n = 0;

	for (uint32_t a = 0; a <= 12; a++)
		for (uint32_t b = a; b <= 12; b++)
			for (uint32_t c = b; c <= 12; c++) {
				struct hash_span f[4] = {
					{ s, a }, { s + a, b - a }, { s + b, c - b }, { s + c, 12 - c },
				};

				seen[n] = hash_fields(&k, f, 4);
				for (size_t i = 0; i < n; i++)
					cr_assert_neq(seen[i], seen[n], "split %u %u %u", a, b, c);
				n++;
			}
	cr_assert_eq(n, 455);
}

/* A field over 65,535 bytes takes the lengths' two-word form: the same
 * bytes split at 65,535 and 65,536 still differ, and both differ from a
 * field of the short form. */
Test(hash, long_fields_keep_their_lengths)
{
	struct hash_key k = ref_key();
	static char big[70000];
	struct hash_span a[2] = { { big, 65535 }, { big + 65535, 2 } };
	struct hash_span b[2] = { { big, 65536 }, { big + 65536, 1 } };
	struct hash_span c[2] = { { big, 65537 }, { big + 65537, 0 } };
	struct hash_span many[HASH_FIELDS_MAX + 1] = { { "", 0 } };

	memset(big, 'x', sizeof(big));
	cr_assert_neq(hash_fields(&k, a, 2), hash_fields(&k, b, 2));
	cr_assert_neq(hash_fields(&k, b, 2), hash_fields(&k, c, 2));
	cr_assert_neq(hash_fields(&k, a, 2), hash_fields(&k, c, 2));
	cr_assert_eq(hash_fields(&k, b, 2), hash_fields(&k, b, 2));
	cr_assert_eq(hash_fields(&k, many, HASH_FIELDS_MAX + 1), 0);
}
