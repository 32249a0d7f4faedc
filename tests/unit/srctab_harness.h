/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The harness of the source table tests (test_srctab: construction and
 * density; test_srctab_table: lookup, eviction, expiry; test_srctab_rings:
 * the two stages): one table per test, freed by the suite, and addresses
 * and requests to feed it (A() is in addr_harness.h).
 */
#ifndef SIPWARDEN_TEST_SRCTAB_HARNESS_H
#define SIPWARDEN_TEST_SRCTAB_HARNESS_H

#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "addr_harness.h"
#include "srctab.h"

static struct srctab *g_t;

static inline void
drop_table(void)
{
	srctab_free(g_t);
	g_t = NULL;
}

/* Distinct addresses from an index: IPv4 198.18.0.0/15 style for even i,
 * 2001:db8::/32 for odd i, so a bulk insert mixes both families. */
static inline struct addr
nth_addr(uint32_t i)
{
	uint8_t b[16] = { 0 };
	struct addr a;

	if (i % 2 == 0) {
		b[0] = 10;
		b[1] = (uint8_t)(i >> 16);
		b[2] = (uint8_t)(i >> 8);
		b[3] = (uint8_t)i;
		addr_from_v4(&a, b);
	} else {
		b[0] = 0x20;
		b[1] = 0x01;
		b[2] = 0x0d;
		b[3] = 0xb8;
		b[12] = (uint8_t)(i >> 24);
		b[13] = (uint8_t)(i >> 16);
		b[14] = (uint8_t)(i >> 8);
		b[15] = (uint8_t)i;
		addr_from_v6(&a, b);
	}
	return a;
}

static inline struct srctab *
mk(uint32_t capacity, uint32_t ring_size)
{
	srctab_free(g_t);
	g_t = srctab_new(capacity, ring_size);
	cr_assert_not_null(g_t);
	return g_t;
}

/* One request from the (only) test source at now_ms. */
static inline bool
req(uint64_t now_ms, uint32_t window_ms)
{
	struct addr a = A("203.0.113.7");
	struct src_entry *e;
	bool created;

	e = srctab_get(g_t, &a, now_ms, &created);
	cr_assert_not_null(e);
	return srctab_hit(g_t, e, now_ms, window_ms);
}

#endif
