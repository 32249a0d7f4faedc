/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The source table as a table: get and find, families and pad bytes,
 * bounded size under a million sources, eviction, expiry (also across a
 * clock wrap), slot reuse, the window count and srctab_foreach(). The
 * harness is in srctab_harness.h.
 */
#include "srctab_harness.h"

TestSuite(srctab_table, .fini = drop_table);

/* ---- the table ---- */

Test(srctab_table, get_creates_then_finds)
{
	struct addr a = A("203.0.113.7");
	struct src_entry *e1, *e2;
	bool created = false;
	struct srctab_stats st;

	mk(1024, 51);
	cr_assert_null(srctab_find(g_t, &a));
	e1 = srctab_get(g_t, &a, 1000, &created);
	cr_assert(created);
	cr_assert(addr_equal(&e1->addr, &a));
	cr_assert_eq(e1->last_ms, 1000);
	cr_assert_eq(e1->ring_count, 0);
	cr_assert_eq(e1->trusted, 0);
	cr_assert_eq(e1->cfg_gen, 0);
	e2 = srctab_get(g_t, &a, 1500, &created);
	cr_assert_not(created);
	cr_assert_eq(e1, e2);
	cr_assert_eq(e2->last_ms, 1500);
	cr_assert_eq(srctab_find(g_t, &a), e1);
	srctab_get_stats(g_t, &st);
	cr_assert_eq(st.used, 1);
}

Test(srctab_table, families_do_not_alias)
{
	/* Same 16 bytes in a[], different family. */
	struct addr v4 = A("1.2.3.4"), v6 = A("102:304::");
	struct src_entry *e4, *e6;
	bool created;

	cr_assert_eq(memcmp(v4.a, v6.a, sizeof(v4.a)), 0);
	mk(1024, 51);
	e4 = srctab_get(g_t, &v4, 1, &created);
	cr_assert(created);
	e6 = srctab_get(g_t, &v6, 1, &created);
	cr_assert(created);
	cr_assert_neq(e4, e6);
	cr_assert_eq(srctab_find(g_t, &v4), e4);
	cr_assert_eq(srctab_find(g_t, &v6), e6);
}

/* addr.h: callers may leave pad[] uninitialised. */
Test(srctab_table, pad_bytes_ignored)
{
	struct addr clean = A("203.0.113.7"), junk = clean;
	struct src_entry *e;
	bool created;

	memset(junk.pad, 0xa5, sizeof(junk.pad));
	mk(1024, 51);
	e = srctab_get(g_t, &clean, 1, &created);
	cr_assert_eq(srctab_find(g_t, &junk), e);
	cr_assert_eq(srctab_get(g_t, &junk, 2, &created), e);
	cr_assert_not(created);
}

Test(srctab_table, find_does_not_create)
{
	struct addr a = A("2001:db8::7");
	struct srctab_stats st;

	mk(16, 2);
	cr_assert_null(srctab_find(g_t, &a));
	srctab_get_stats(g_t, &st);
	cr_assert_eq(st.used, 0);
}

Test(srctab_table, bounded_under_a_million_sources)
{
	struct srctab_stats st;
	const uint32_t total = 1000000, cap = 1024;
	bool created;

	mk(cap, 4);
	for (uint32_t i = 0; i < total; i++) {
		struct addr a = nth_addr(i);
		struct src_entry *e = srctab_get(g_t, &a, 1000 + i / 64, &created);

		cr_assert(created, "address %u already present", i);
		srctab_hit(g_t, e, 1000 + i / 64, 2000);
		if (i % 997 == 0 || i > total - 8) {
			srctab_get_stats(g_t, &st);
			cr_assert_leq(st.used, cap, "used %u > capacity at %u", st.used, i);
		}
	}
	srctab_get_stats(g_t, &st);
	cr_assert_eq(st.used, cap);
	cr_assert_eq(st.capacity, cap);
	cr_assert_eq(st.evicted_live, total - cap);
	cr_assert_eq(st.expired, 0);
	/* The most recent `cap` sources are the ones kept. */
	for (uint32_t i = total - cap; i < total; i++) {
		struct addr a = nth_addr(i);

		cr_assert_not_null(srctab_find(g_t, &a), "recent source %u evicted", i);
	}
	for (uint32_t i = 0; i < total - cap; i += 4099) {
		struct addr a = nth_addr(i);

		cr_assert_null(srctab_find(g_t, &a), "old source %u kept", i);
	}
}

Test(srctab_table, touched_entry_survives_eviction)
{
	struct addr a0 = nth_addr(0), a1 = nth_addr(1), a2 = nth_addr(2);
	struct srctab_stats st;
	bool created;

	mk(16, 2);
	for (uint32_t i = 0; i < 16; i++) {
		struct addr a = nth_addr(i);

		srctab_get(g_t, &a, i, &created);
	}
	/* a0 is the least recently seen; seeing it again protects it. */
	srctab_get(g_t, &a0, 100, &created);
	cr_assert_not(created);
	for (uint32_t i = 16; i < 18; i++) {
		struct addr a = nth_addr(i);

		srctab_get(g_t, &a, 100 + i, &created);
		cr_assert(created);
	}
	cr_assert_not_null(srctab_find(g_t, &a0));
	cr_assert_null(srctab_find(g_t, &a1));
	cr_assert_null(srctab_find(g_t, &a2));
	srctab_get_stats(g_t, &st);
	cr_assert_eq(st.used, 16);
	cr_assert_eq(st.evicted_live, 2);
}

Test(srctab_table, find_does_not_protect)
{
	struct addr a0 = nth_addr(0), a16 = nth_addr(16);
	bool created;

	mk(16, 2);
	for (uint32_t i = 0; i < 16; i++) {
		struct addr a = nth_addr(i);

		srctab_get(g_t, &a, i, &created);
	}
	cr_assert_not_null(srctab_find(g_t, &a0));
	srctab_get(g_t, &a16, 50, &created);
	cr_assert_null(srctab_find(g_t, &a0));
}

/* A slot reused after eviction must not inherit the old source's history. */
Test(srctab_table, reused_slot_starts_clean)
{
	bool created;

	mk(16, 4);
	for (uint32_t i = 0; i < 16; i++) {
		struct addr a = nth_addr(i);
		struct src_entry *e = srctab_get(g_t, &a, 10, &created);

		for (int k = 0; k < 3; k++)
			srctab_hit(g_t, e, 10, 1000);
		e->trusted = 1;
		e->cfg_gen = 7;
	}
	for (uint32_t i = 16; i < 32; i++) {
		struct addr a = nth_addr(i);
		struct src_entry *e = srctab_get(g_t, &a, 10, &created);

		cr_assert(created);
		cr_assert_eq(e->ring_count, 0);
		cr_assert_eq(e->trusted, 0);
		cr_assert_eq(e->cfg_gen, 0);
		for (int k = 0; k < 3; k++)
			cr_assert_not(srctab_hit(g_t, e, 10, 1000), "source %u request %d", i, k + 1);
		cr_assert(srctab_hit(g_t, e, 10, 1000));
	}
}

Test(srctab_table, expire_removes_only_idle)
{
	struct srctab_stats st;
	bool created;

	mk(64, 2);
	/* Source i last seen at 1000 + 10*i. */
	for (uint32_t i = 0; i < 40; i++) {
		struct addr a = nth_addr(i);

		srctab_get(g_t, &a, 1000 + 10 * i, &created);
	}
	/* idle 5000 at now 6095: sources seen at or before 1095 (i <= 9) go. */
	cr_assert_eq(srctab_expire(g_t, 6095, 5000, 1000), 10);
	for (uint32_t i = 0; i < 40; i++) {
		struct addr a = nth_addr(i);

		if (i < 10)
			cr_assert_null(srctab_find(g_t, &a), "idle source %u kept", i);
		else
			cr_assert_not_null(srctab_find(g_t, &a), "live source %u expired", i);
	}
	srctab_get_stats(g_t, &st);
	cr_assert_eq(st.used, 30);
	cr_assert_eq(st.expired, 10);
	cr_assert_eq(st.evicted_live, 0);
	/* Idle for idle_ms - 1: stays. */
	cr_assert_eq(srctab_expire(g_t, 1100 + 4999, 5000, 1000), 0);
	cr_assert_eq(srctab_expire(g_t, 1100 + 5000, 5000, 1000), 1);
}

Test(srctab_table, expire_respects_max)
{
	struct srctab_stats st;
	bool created;

	mk(64, 2);
	for (uint32_t i = 0; i < 50; i++) {
		struct addr a = nth_addr(i);

		srctab_get(g_t, &a, 1000, &created);
	}
	cr_assert_eq(srctab_expire(g_t, 100000, 1000, 0), 0);
	cr_assert_eq(srctab_expire(g_t, 100000, 1000, 7), 7);
	cr_assert_eq(srctab_expire(g_t, 100000, 1000, 20), 20);
	srctab_get_stats(g_t, &st);
	cr_assert_eq(st.used, 23);
	cr_assert_eq(st.expired, 27);
	cr_assert_eq(srctab_expire(g_t, 100000, 1000, 1000), 23);
	cr_assert_eq(srctab_expire(g_t, 100000, 1000, 1000), 0);
	srctab_get_stats(g_t, &st);
	cr_assert_eq(st.used, 0);
}

Test(srctab_table, touched_entry_is_not_idle)
{
	struct addr a0 = nth_addr(0);
	bool created;

	mk(16, 2);
	for (uint32_t i = 0; i < 10; i++) {
		struct addr a = nth_addr(i);

		srctab_get(g_t, &a, 1000, &created);
	}
	srctab_get(g_t, &a0, 5000, &created);
	cr_assert_eq(srctab_expire(g_t, 6000, 2000, 100), 9);
	cr_assert_not_null(srctab_find(g_t, &a0));
}

Test(srctab_table, expired_slots_are_reused_without_eviction)
{
	struct srctab_stats st;
	bool created;

	mk(16, 2);
	for (uint32_t i = 0; i < 16; i++) {
		struct addr a = nth_addr(i);

		srctab_get(g_t, &a, 0, &created);
	}
	cr_assert_eq(srctab_expire(g_t, 60000, 60000, 100), 16);
	for (uint32_t i = 100; i < 116; i++) {
		struct addr a = nth_addr(i);

		srctab_get(g_t, &a, 60000, &created);
		cr_assert(created);
	}
	srctab_get_stats(g_t, &st);
	cr_assert_eq(st.used, 16);
	cr_assert_eq(st.evicted_live, 0);
	for (uint32_t i = 0; i < 16; i++) {
		struct addr a = nth_addr(i), b = nth_addr(100 + i);

		cr_assert_null(srctab_find(g_t, &a));
		cr_assert_not_null(srctab_find(g_t, &b));
	}
}

Test(srctab_table, expire_across_clock_wrap)
{
	struct addr a = nth_addr(1), b = nth_addr(2);
	bool created;

	mk(16, 2);
	srctab_get(g_t, &a, UINT32_MAX - 100, &created);
	srctab_get(g_t, &b, UINT32_MAX + 50ull, &created);
	cr_assert_eq(srctab_expire(g_t, UINT32_MAX + 900ull, 1000, 100), 1);
	cr_assert_null(srctab_find(g_t, &a));
	cr_assert_not_null(srctab_find(g_t, &b));
}

/* sipwardenctl top reads the requests in the current window of every
 * entry through srctab_foreach(). */
static void
count_visit(const struct src_entry *e, void *arg)
{
	unsigned *n = arg;

	(void)e;
	(*n)++;
}

Test(srctab_table, window_count_and_foreach)
{
	struct addr a = A("203.0.113.5"), b = A("2001:db8:a::");
	struct src_entry *e;
	bool created;
	unsigned n = 0;

	g_t = srctab_new(64, 11);
	e = srctab_get(g_t, &a, 1000, &created);
	for (uint64_t t = 1000; t < 1010; t++)
		srctab_hit(g_t, e, t, 2000);
	cr_assert_eq(srctab_window_count(g_t, e, 1010, 2000), 10);
	/* 2 s after the 5th: only what is younger than the window counts. */
	cr_assert_eq(srctab_window_count(g_t, e, 3004, 2000), 5);
	cr_assert_eq(srctab_window_count(g_t, e, 5000, 2000), 0);
	srctab_get(g_t, &b, 1000, &created);
	srctab_foreach(g_t, count_visit, &n);
	cr_assert_eq(n, 2);
}
