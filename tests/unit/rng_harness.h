/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xorshift64 (Marsaglia, 2003): the seeded, repeatable random choices of
 * the mutation and model tests, one copy for all of them. A test that
 * fails names its case; the fixed seed makes the run that found it the
 * run that shows it again.
 */
#ifndef SIPWARDEN_TEST_RNG_HARNESS_H
#define SIPWARDEN_TEST_RNG_HARNESS_H

#include <stdint.h>

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

#endif
