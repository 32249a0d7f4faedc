/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The source table's construction and its density test: N requests in a
 * window of T, at the edges of the window, across gaps and clock wraps,
 * and against a brute-force reference model. The table itself is in
 * test_srctab_table.c, the two stages in test_srctab_rings.c; the harness
 * in srctab_harness.h.
 */
#include "srctab_harness.h"
#include "rng_harness.h"

TestSuite(srctab, .fini = drop_table);
TestSuite(srctab_density, .fini = drop_table);

/* ---- construction ---- */

Test(srctab, new_rejects_bad_arguments)
{
	cr_assert_null(srctab_new(15, 51));
	cr_assert_null(srctab_new(1024, 0));
	cr_assert_null(srctab_new(1024, 1));
	cr_assert_null(srctab_new(1024, 1000002));
	mk(16, 2);
	cr_assert_eq(srctab_ring_size(g_t), 2);
	mk(1024, 51);
	cr_assert_eq(srctab_ring_size(g_t), 51);
}

Test(srctab, fresh_table_stats)
{
	struct srctab_stats st;

	mk(1024, 51);
	srctab_get_stats(g_t, &st);
	cr_assert_eq(st.capacity, 1024);
	cr_assert_eq(st.used, 0);
	cr_assert_eq(st.evicted_live, 0);
	cr_assert_eq(st.expired, 0);
	srctab_free(NULL);
}

/* ---- density ---- */

/* N requests at one instant never trigger; the (N+1)th does. */
Test(srctab_density, same_instant)
{
	static const uint32_t ns[] = { 1, 2, 3, 50, 500 };

	for (unsigned k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
		uint32_t n = ns[k];

		mk(1024, n + 1);
		for (uint32_t i = 0; i < n; i++)
			cr_assert_not(req(5000, 2000), "N=%u request %u triggered", n, i + 1);
		cr_assert(req(5000, 2000), "N=%u: request N+1 did not trigger", n);
	}
}

/* N+1 requests evenly spread from t to t+span (all gaps < T). */
static bool
spread(uint32_t n, uint32_t window, uint64_t t, uint64_t span)
{
	bool last = false;

	for (uint32_t i = 0; i <= n; i++) {
		uint64_t at = t + span * i / n;

		last = req(at, window);
		if (i < n)
			cr_assert_not(last, "N=%u T=%u: request %u at +%llu triggered",
				      n, window, i + 1, (unsigned long long)(at - t));
	}
	return last;
}

Test(srctab_density, span_of_exactly_window_does_not_trigger)
{
	static const struct { uint32_t n, t; } c[] = {
		{ 1, 1 }, { 1, 1000 }, { 3, 1000 }, { 50, 2000 }, { 7, 999 }, { 100, 60000 },
	};

	for (unsigned k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		mk(1024, c[k].n + 1);
		cr_assert_not(spread(c[k].n, c[k].t, 10000, c[k].t),
			      "N=%u T=%u: span of T triggered", c[k].n, c[k].t);
	}
}

Test(srctab_density, span_of_window_minus_one_triggers)
{
	static const struct { uint32_t n, t; } c[] = {
		{ 1, 1 }, { 1, 1000 }, { 3, 1000 }, { 50, 2000 }, { 7, 999 }, { 100, 60000 },
	};

	for (unsigned k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		mk(1024, c[k].n + 1);
		cr_assert(spread(c[k].n, c[k].t, 10000, c[k].t - 1),
			  "N=%u T=%u: span of T-1 did not trigger", c[k].n, c[k].t);
	}
}

/* Fixed 2 s windows [0,2000) [2000,4000) would see 50 + 50 and miss this. */
Test(srctab_density, straddling_a_fixed_window_boundary)
{
	int first = -1;

	mk(1024, 51);
	for (int i = 0; i < 100; i++) {
		bool hit = req((uint64_t)(i < 50 ? 1900 + i : 2000 + (i - 50)), 2000);

		if (hit && first < 0)
			first = i;
	}
	cr_assert_eq(first, 50, "first trigger at request %d, want 51", first + 1);
}

Test(srctab_density, gap_of_a_window_resets)
{
	mk(1024, 51);
	for (int i = 0; i < 50; i++)
		cr_assert_not(req(1000, 2000));
	/* Exactly T later: the first 50 can share no window with these. */
	for (int i = 0; i < 50; i++)
		cr_assert_not(req(3000, 2000), "request %d after gap of T triggered", i + 1);
	cr_assert(req(3000, 2000));

	mk(1024, 51);
	for (int i = 0; i < 50; i++)
		cr_assert_not(req(1000, 2000));
	for (int i = 0; i < 50; i++)
		cr_assert_not(req(1000 + 123456, 2000));
	cr_assert(req(1000 + 123456, 2000));
}

Test(srctab_density, gap_of_window_minus_one_does_not_reset)
{
	mk(1024, 51);
	for (int i = 0; i < 50; i++)
		cr_assert_not(req(1000, 2000));
	cr_assert(req(2999, 2000));
}

/* Steady rate at exactly N per T (N+1 requests span exactly T): allowed. */
static void
steady(uint32_t n, uint32_t window, uint64_t start, uint32_t interval, int expect_first)
{
	int first = -1;

	mk(1024, n + 1);
	for (int i = 0; i < 10000; i++)
		if (req(start + (uint64_t)i * interval, window) && first < 0)
			first = i;
	cr_assert_eq(first, expect_first, "N=%u T=%u interval=%u: first trigger %d, want %d",
		     n, window, interval, first, expect_first);
}

Test(srctab_density, steady_rate_at_the_limit_never_triggers)
{
	steady(50, 2000, 1000, 40, -1);
	steady(7, 1000, 1000, 143, -1);      /* ceil(1000/7): span 1001 */
	steady(1, 1000, 1000, 1000, -1);
	steady(50, 2000, 1000, 39, 50);      /* span 1950 on the 51st */
	steady(7, 1000, 1000, 142, 7);       /* span 994 on the 8th */
	steady(1, 1000, 1000, 999, 1);
}

/* The table keeps truncated 32-bit milliseconds: runs that cross 2^32 (and
 * a 64-bit clock far beyond it) must judge exactly as anywhere else. */
Test(srctab_density, clock_wraps_uint32)
{
	static const uint64_t starts[] = {
		UINT32_MAX - 1000ull, UINT32_MAX - 20ull, UINT32_MAX, 5ull << 32,
		(7ull << 32) - 1500,
	};

	for (unsigned k = 0; k < sizeof(starts) / sizeof(starts[0]); k++) {
		uint64_t s = starts[k];

		steady(50, 2000, s, 40, -1);
		steady(50, 2000, s, 39, 50);

		mk(1024, 51);
		cr_assert_not(spread(50, 2000, s, 2000));
		mk(1024, 51);
		cr_assert(spread(50, 2000, s, 1999));

		/* Same instant right on the wrap. */
		mk(1024, 51);
		for (int i = 0; i < 50; i++)
			cr_assert_not(req(s, 2000));
		cr_assert(req(s, 2000));

		/* A gap across the wrap resets. */
		mk(1024, 51);
		for (int i = 0; i < 50; i++)
			cr_assert_not(req(s, 2000));
		for (int i = 0; i < 50; i++)
			cr_assert_not(req(s + 2000, 2000));
		cr_assert(req(s + 2000, 2000));
	}
}

Test(srctab_density, trigger_keeps_firing_while_flooding)
{
	mk(1024, 4);
	for (int i = 0; i < 3; i++)
		cr_assert_not(req(100, 1000));
	for (int i = 0; i < 100; i++)
		cr_assert(req(100 + (uint64_t)i, 1000));
}

Test(srctab_density, reset_forgets_history)
{
	struct addr a = A("2001:db8:a::1");
	struct src_entry *e;
	bool created;

	mk(1024, 51);
	e = srctab_get(g_t, &a, 100, &created);
	for (int i = 0; i < 50; i++)
		cr_assert_not(srctab_hit(g_t, e, 100, 2000));
	cr_assert(srctab_hit(g_t, e, 100, 2000));
	srctab_reset(e);
	for (int i = 0; i < 50; i++)
		cr_assert_not(srctab_hit(g_t, e, 101, 2000), "request %d after reset", i + 1);
	cr_assert(srctab_hit(g_t, e, 101, 2000));
}

Test(srctab_density, sources_counted_separately)
{
	struct addr a = A("203.0.113.1"), b = A("203.0.113.2");
	struct src_entry *ea, *eb;
	bool created;

	mk(1024, 3);
	for (int i = 0; i < 2; i++) {
		ea = srctab_get(g_t, &a, 10, &created);
		cr_assert_not(srctab_hit(g_t, ea, 10, 1000));
		eb = srctab_get(g_t, &b, 10, &created);
		cr_assert_not(srctab_hit(g_t, eb, 10, 1000));
	}
	ea = srctab_get(g_t, &a, 10, &created);
	cr_assert(srctab_hit(g_t, ea, 10, 1000));
}

/* With N=2000 and T=3600 s (both legal), a steady source whose N+1
 * requests span 2^32 + 704 ms reads as 704 ms in 32-bit timestamps. */
Test(srctab_density, span_longer_than_2_32_ms_is_not_dense)
{
	int first = -1;

	mk(16, 2001);
	for (int i = 0; i < 5000; i++)
		if (req(1000 + (uint64_t)i * 2147484, 3600000) && first < 0)
			first = i;
	cr_assert_eq(first, -1, "false trigger at request %d", first + 1);
}

/* xorshift: reproducible without touching the process's random(). */
/* Against a brute-force model that keeps every 64-bit timestamp. */
Test(srctab_density, matches_reference_model)
{
	static uint64_t hist[20000];
	static const struct { uint32_t n, t; uint64_t start; } c[] = {
		{ 1, 1, 0 }, { 1, 50, 100 }, { 5, 100, UINT32_MAX - 3000 },
		{ 50, 2000, 1000 }, { 50, 2000, (3ull << 32) - 40000 }, { 300, 10000, 77 },
	};
	uint64_t seed = 0x9e3779b97f4a7c15ull;

	for (unsigned k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		uint32_t n = c[k].n, t = c[k].t;
		uint64_t now = c[k].start;

		mk(1024, n + 1);
		for (uint32_t i = 0; i < 20000; i++) {
			uint64_t r = xorshift64(&seed);
			bool want, got;

			/* Mostly gaps around T/N, some bursts, some long pauses. */
			switch (r % 16) {
			case 0:
				now += t + xorshift64(&seed) % (3ull * t);
				break;
			case 1: case 2: case 3:
				break;
			default:
				now += xorshift64(&seed) % (2ull * t / n + 1);
				break;
			}
			hist[i] = now;
			want = i >= n && now - hist[i - n] < t;
			got = req(now, t);
			cr_assert_eq(got, want, "case %u request %u at %llu: got %d want %d",
				     k, i, (unsigned long long)now, got, want);
		}
	}
}
