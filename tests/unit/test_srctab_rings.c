/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The source table's two stages: compact entries for every source, exact
 * rings only for dense ones. The ban count after promotion, the limit,
 * an exhausted ring pool and a spoofed flood against known sources. The
 * harness is in srctab_harness.h.
 */
#include "srctab_harness.h"

TestSuite(srctab, .fini = drop_table);
TestSuite(srctab_density, .fini = drop_table);
TestSuite(srctab_table, .fini = drop_table);

/* ---- two stages: compact entries, exact rings for dense sources ---- */

static struct srctab *
mk_rings(uint32_t capacity, uint32_t ring_size, uint32_t rings)
{
	srctab_free(g_t);
	g_t = srctab_new_rings(capacity, ring_size, rings);
	cr_assert_not_null(g_t);
	return g_t;
}

/* One request from a at now_ms. */
static bool
req_from(const struct addr *a, uint64_t now_ms, uint32_t window_ms)
{
	bool created;
	struct src_entry *e = srctab_get(g_t, a, now_ms, &created);

	return srctab_hit(g_t, e, now_ms, window_ms);
}

Test(srctab, entries_are_compact_and_pools_reported)
{
	struct srctab_stats st;

	cr_assert_leq(sizeof(struct src_entry), 96);
	mk_rings(1024, 601, 40);
	srctab_get_stats(g_t, &st);
	cr_assert_eq(st.rings_capacity, 40);
	cr_assert_eq(st.rings_used, 0);
	cr_assert_geq(st.entry_bytes, 1024 * sizeof(struct src_entry));
	cr_assert_geq(st.ring_bytes, 40 * 601 * sizeof(uint32_t));
	/* A limit the inline ring holds whole takes no pool at all. */
	mk(1024, SRCTAB_SMALL);
	srctab_get_stats(g_t, &st);
	cr_assert_eq(st.rings_capacity, 0);
	cr_assert_eq(st.ring_bytes, 0);
	/* The default pool: a sixteenth of the table, bounded in bytes. */
	cr_assert_eq(srctab_rings_default(1 << 20, 51), (1 << 20) / 16);
	cr_assert_leq((uint64_t)srctab_rings_default(1 << 20, 100001) * 100001 * 4,
		      (uint64_t)(1 << 20) * sizeof(struct src_entry));
	cr_assert_eq(srctab_rings_default(16, 100001), 16);
}

/* Above the promotion threshold the ban comes at request N+1, exactly. */
Test(srctab_density, exact_ban_count_after_promotion)
{
	static const uint32_t limits[] = { SRCTAB_SMALL, SRCTAB_SMALL + 1, 50, 600 };
	struct srctab_stats st;

	for (unsigned k = 0; k < sizeof(limits) / sizeof(limits[0]); k++) {
		uint32_t n = limits[k];

		mk(1024, n + 1);
		/* Spread over 900 ms of a 1000 ms window. */
		for (uint32_t i = 0; i < n; i++)
			cr_assert_not(req(5000 + (uint64_t)i * 900 / n, 1000), "N=%u request %u", n,
				      i + 1);
		cr_assert(req(5900, 1000), "N=%u: request N+1 not dense", n);
		srctab_get_stats(g_t, &st);
		cr_assert_eq(st.promoted, n + 1 > SRCTAB_SMALL ? 1 : 0, "N=%u", n);
	}
}

/* N-1 requests in every window, as bursts and as a steady stream, with the
 * ring pool churned between them: never dense. */
Test(srctab_density, limit_minus_one_never_dense)
{
	struct addr a = A("203.0.113.7");
	uint64_t now = 1000;

	mk_rings(1024, 101, 2);
	for (int round = 0; round < 50; round++) {
		/* 99 at one instant, then nothing for a whole window. */
		for (int i = 0; i < 99; i++)
			cr_assert_not(req_from(&a, now, 1000), "burst %d request %d", round, i + 1);
		/* Other sources take the two rings: the next round starts
		 * demoted, from the inline ring. */
		for (uint32_t s = 0; s < 3; s++) {
			struct addr b = nth_addr(round * 3 + s);

			for (int i = 0; i < SRCTAB_SMALL; i++)
				req_from(&b, now + 1, 1000);
		}
		now += 1000;
	}
	/* Steady: 99 requests per 1000 ms at 10.1 ms, endlessly. */
	for (uint32_t i = 0; i < 20000; i++) {
		uint64_t at = now + (uint64_t)i * 1000 / 99 + 1;

		cr_assert_not(req_from(&a, at, 1000), "steady request %u", i + 1);
		if (i % 500 == 0)
			for (uint32_t s = 0; s < 2; s++) {
				struct addr b = nth_addr(1000 + i + s);

				for (int j = 0; j < SRCTAB_SMALL; j++)
					req_from(&b, at, 1000);
			}
	}
}

/* A full pool hands over its least recently judged ring, counted; the
 * table never grows past its bounds. */
Test(srctab_table, ring_pool_exhaustion_is_bounded_and_counted)
{
	struct srctab_stats st;
	struct addr flooder = A("203.0.113.9");
	int first = -1;

	mk_rings(1024, 101, 4);
	for (uint32_t s = 0; s < 100; s++) {
		struct addr b = nth_addr(s);

		for (int i = 0; i < SRCTAB_SMALL; i++)
			cr_assert_not(req_from(&b, 1000 + s, 1000));
	}
	srctab_get_stats(g_t, &st);
	cr_assert_eq(st.promoted, 100);
	cr_assert_eq(st.rings_used, 4);
	cr_assert_eq(st.rings_evicted, 96);
	cr_assert_eq(st.used, 100);
	/* The four most recent hold the rings: their count goes on exactly. */
	for (uint32_t s = 96; s < 100; s++) {
		struct addr b = nth_addr(s);
		bool created;
		struct src_entry *e = srctab_get(g_t, &b, 1200, &created);

		cr_assert_neq(e->ring, 0, "source %u lost its ring", s);
		cr_assert_eq(srctab_window_count(g_t, e, 1200, 1000), SRCTAB_SMALL);
	}
	/* A demoted source keeps its newest times inline. */
	{
		struct addr b = nth_addr(0);
		bool created;
		struct src_entry *e = srctab_get(g_t, &b, 1200, &created);

		cr_assert_eq(e->ring, 0);
		cr_assert_eq(srctab_window_count(g_t, e, 1200, 1000), SRCTAB_SMALL);
	}
	/* A flooder arriving at a full pool is still banned, at N+1. */
	for (int i = 0; i < 101 && first < 0; i++)
		if (req_from(&flooder, 1300, 1000))
			first = i + 1;
	cr_assert_eq(first, 101);
	srctab_get_stats(g_t, &st);
	cr_assert_eq(st.rings_used, 4);
	cr_assert_eq(st.rings_evicted, 97);
	/* Rings go back with their entries. */
	cr_assert_eq(srctab_expire(g_t, 100000, 1000, 1000), 101);
	srctab_get_stats(g_t, &st);
	cr_assert_eq(st.rings_used, 0);
	cr_assert_eq(st.used, 0);
}

/* A spoofed flood of one request per new source: no source is promoted,
 * and sources seen during it keep their entries and exact counts. */
Test(srctab_table, spoofed_flood_keeps_known_sources)
{
	struct srctab_stats st;
	struct addr known[8];
	uint64_t now = 1000;

	mk(1024, 101);
	for (unsigned k = 0; k < 8; k++) {
		known[k] = nth_addr(0x40000000u + 2 * k);
		for (int i = 0; i < 50; i++)
			cr_assert_not(req_from(&known[k], now, 1000));
	}
	for (uint32_t i = 0; i < 200000; i++) {
		struct addr s = nth_addr(0x100000u + i);

		req_from(&s, now, 1000);
		/* Every known source is judged once per 512 new ones: far
		 * more often than the table turns over. */
		if (i % 512 == 511)
			for (unsigned k = 0; k < 8; k++)
				srctab_get(g_t, &known[k], now, &(bool){ 0 });
	}
	srctab_get_stats(g_t, &st);
	cr_assert_eq(st.used, 1024);
	cr_assert_geq(st.evicted_live, 200000 - 1024);
	cr_assert_eq(st.promoted, 8, "spoofed sources took rings");
	cr_assert_eq(st.rings_used, 8);
	cr_assert_eq(st.rings_evicted, 0);
	for (unsigned k = 0; k < 8; k++) {
		int first = -1;

		for (int i = 0; i < 60 && first < 0; i++)
			if (req_from(&known[k], now, 1000))
				first = 50 + i + 1;
		cr_assert_eq(first, 101, "known source %u banned at %d", k, first);
	}
}
