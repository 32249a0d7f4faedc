/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_HASH_H
#define SIPWARDEN_HASH_H

/*
 * hash - the one keyed hash of every table an attacker can fill.
 *
 * An attacker who has read the source picks keys (spoofed addresses,
 * Call-IDs, user names, TCP 4-tuples) that collide in any unkeyed or
 * fixed-seed hash, and turns an O(1) lookup into a walk of a long chain or
 * a full set (DESIGN.md, threat model). SipHash-1-3 with a 128-bit key
 * drawn from getrandom() at start makes the bucket of a key unpredictable:
 * colliding keys cost the same as random ones.
 *
 * Each table owns its key (hash_key_random() when it is created), so one
 * table's layout tells nothing about another's. Tests may set a fixed key
 * to reproduce a layout.
 */

#include <stddef.h>
#include <stdint.h>

struct hash_key {
	uint64_t k0, k1;
};

/* Fill k from getrandom(). Returns 0, or -errno when the kernel has no
 * entropy to give (never with GRND_NONBLOCK unset on Linux >= 3.17, but
 * the caller must still refuse to run with a predictable key). */
int hash_key_random(struct hash_key *k);

/* SipHash-1-3 of len bytes at data under k (hash.c says why 1-3). */
uint64_t hash_bytes(const struct hash_key *k, const void *data, size_t len);

/* The same for one or two 64-bit words (addresses, packed tuples): no
 * length-dependent tail handling on the hot path. */
uint64_t hash_u64(const struct hash_key *k, uint64_t a);
uint64_t hash_u64x2(const struct hash_key *k, uint64_t a, uint64_t b);

/*
 * A key made of several variable-length fields (a transaction is Call-ID,
 * CSeq and From tag), hashed in one call without copying them together:
 * the fields' lengths first, 16 bits each in one word (32 bits each in
 * two when a field is longer than 65,535 bytes), then each field's bytes
 * in 8-byte words (the last one zero-padded), then the field count. The
 * lengths make the encoding injective: ("ab", "c") and ("a", "bc") are
 * different inputs. One word for all the lengths, not one per field,
 * because the verdict path hashes two such keys per message. The result
 * is not hash_bytes() of anything; use the same fields on both sides.
 */
#define HASH_FIELDS_MAX 4

struct hash_span {
	const void *p;
	uint32_t len;
};

/* SipHash-1-3 of n fields under k. Callers pass a fixed count, at most
 * HASH_FIELDS_MAX; a larger one is a bug and returns 0. */
uint64_t hash_fields(const struct hash_key *k, const struct hash_span *f, size_t n);

/*
 * A quick keyed mix of len bytes (a multiply and a shift per 8-byte word):
 * NOT for placing keys an attacker picks, only for a filter in front of a
 * table keyed with hash_bytes(), where a collision can do no more than
 * send a lookup on to that table. An attacker who found collisions would
 * pay the keyed lookup that every key paid without the filter; no answer
 * changes. Equal bytes give equal values within one key.
 */
static inline uint64_t
hash_quick(const struct hash_key *k, const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = k->k0 ^ len, w;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		__builtin_memcpy(&w, p + i, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 32;
	}
	for (w = 0; i < len; i++)
		w = w << 8 | p[i];
	h = (h ^ w ^ k->k1) * 0xff51afd7ed558ccdULL;
	return h ^ h >> 33;
}

#endif
