/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xorshift64 (Marsaglia, 2003): the seeded, repeatable random choices of
 * the mutation and model tests, one copy for all of them. A test that
 * fails names its case; the fixed seed makes the run that found it the
 * run that shows it again.
 */
#ifndef SIPWARDEN_TEST_RNG_HARNESS_H
#define SIPWARDEN_TEST_RNG_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t
xorshift64(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A choice in [0, n), n > 0. */
static inline unsigned
xorshift64_below(uint64_t *s, unsigned n)
{
	return (unsigned)(xorshift64(s) % n);
}

/*
 * Up to three random edits of the NUL-terminated n-byte string str, its
 * last keep bytes left alone (a CRLF): a byte replaced by one of the
 * nalpha bytes of alpha, or deleted. The seeded mutation tests' one
 * mutator. Returns the new length.
 */
static inline size_t
xorshift64_mutate(uint64_t *s, char *str, size_t n, size_t keep, const char *alpha,
		  size_t nalpha)
{
	for (unsigned e = xorshift64_below(s, 4); e > 0 && n > keep + 2; e--) {
		size_t pos = xorshift64_below(s, (unsigned)(n - keep));

		if (xorshift64_below(s, 2))
			str[pos] = alpha[xorshift64_below(s, (unsigned)nalpha)];
		else
			memmove(str + pos, str + pos + 1, n-- - pos);
	}
	return n;
}

#endif
