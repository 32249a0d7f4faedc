/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <criterion/criterion.h>

#include "wayset.h"

#define TTL 32000

Test(wayset, one_cache_line_aligned)
{
	struct wayset *s = wayset_alloc(8);

	cr_assert_not_null(s);
	cr_expect_eq(sizeof(struct wayset), 64);
	cr_expect_eq((uintptr_t)s % 64, 0);
	cr_expect_eq(s[7].key[3], 0);
	free(s);
}

Test(wayset, count_is_a_bounded_power_of_two)
{
	cr_expect_eq(wayset_count(1, 26), 1);
	cr_expect_eq(wayset_count(65536, 26), 16384);
	cr_expect_eq(wayset_count(65537, 26), 32768);
	cr_expect_eq(wayset_count(UINT32_MAX, 10), 1024);
}

Test(wayset, retransmission_reuses_its_way)
{
	struct wayset s = { 0 };
	bool ev;
	unsigned a = wayset_claim(&s, 11, 1000, TTL, &ev);

	cr_expect_not(ev);
	cr_expect_eq(wayset_claim(&s, 22, 1001, TTL, &ev), a + 1);
	cr_expect_eq(wayset_claim(&s, 11, 1002, TTL, &ev), a);
	cr_expect_not(ev);
	cr_expect_eq(s.born[a], 1002);
}

Test(wayset, full_set_replaces_the_oldest)
{
	struct wayset s = { 0 };
	bool ev;

	for (uint64_t k = 1; k <= 4; k++)
		wayset_claim(&s, k, 1000 + k, TTL, &ev);
	/* Key 1 retransmitted: key 2 (way 1) is now the oldest. */
	wayset_claim(&s, 1, 1005, TTL, &ev);
	cr_expect_eq(wayset_claim(&s, 5, 1006, TTL, &ev), 1);
	cr_expect(ev);
	cr_expect_eq(wayset_find(&s, 2, 1006, TTL), -1);
	cr_expect_eq(wayset_find(&s, 5, 1006, TTL), 1);
}

Test(wayset, expired_way_is_free)
{
	struct wayset s = { 0 };
	bool ev;

	for (uint64_t k = 1; k <= 4; k++)
		wayset_claim(&s, k, 1000 + k, TTL, &ev);
	/* Way 0 (key 1) has expired: reused without counting an eviction. */
	cr_expect_eq(wayset_claim(&s, 9, 1001 + TTL, TTL, &ev), 0);
	cr_expect_not(ev);
}

Test(wayset, find_frees_an_expired_match)
{
	struct wayset s = { 0 };
	bool ev;
	unsigned i = wayset_claim(&s, 7, 1000, TTL, &ev);

	cr_expect_eq(wayset_find(&s, 7, 1000 + TTL - 1, TTL), (int)i);
	cr_expect_eq(wayset_find(&s, 7, 1000 + TTL, TTL), -1);
	cr_expect_eq(s.key[i], 0);
	cr_expect_eq(wayset_find(&s, 8, 1000, TTL), -1);
}
