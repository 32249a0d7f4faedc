/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <criterion/criterion.h>
#include <string.h>

#include "hash.h"

/* The reference vectors of the SipHash paper (appendix A): key 00..0f,
 * message 00..(len-1). */
static const uint64_t vectors[] = {
	0x726fdb47dd0e0e31ULL, 0x74f839c593dc67fdULL, 0x0d6c8009d9a94f5aULL,
	0x85676696d7fb7e2dULL, 0xcf2794e0277187b7ULL, 0x18765564cd99a68dULL,
	0xcbc9466e58fee3ceULL, 0xab0200f58b01d137ULL, 0x93f5f5799a932462ULL,
	0x9e0082df0ba9e4b0ULL, 0x7a5dbbc594ddb9f3ULL, 0xf4b32f46226bada7ULL,
	0x751e8fbc860ee5fbULL, 0x14ea5627c0843d90ULL, 0xf723ca908e7af2eeULL,
	0xa129ca6149be45e5ULL, 0x3f2acc7f57c29bdbULL,
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
	struct hash_state s;

	hash_start(&s, k);
	hash_field(&s, a, strlen(a));
	hash_field(&s, b, strlen(b));
	return hash_finish(&s);
}

Test(hash, fields_are_delimited)
{
	struct hash_key k = ref_key(), k2 = { 1, 2 };

	/* The same calls give the same value; moving a field boundary, a
	 * longer field or another key give another. */
	cr_assert_eq(fields2(&k, "call-id-1", "tag"), fields2(&k, "call-id-1", "tag"));
	cr_assert_neq(fields2(&k, "ab", "c"), fields2(&k, "a", "bc"));
	cr_assert_neq(fields2(&k, "abcdefgh", ""), fields2(&k, "abcdefg", "h"));
	cr_assert_neq(fields2(&k, "call-id-1", "tag"), fields2(&k2, "call-id-1", "tag"));
}
