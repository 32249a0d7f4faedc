/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "srctab.h"

static struct srctab *g_t;

static void
drop_table(void)
{
	srctab_free(g_t);
	g_t = NULL;
}

TestSuite(srctab, .fini = drop_table);
TestSuite(srctab_density, .fini = drop_table);
TestSuite(srctab_table, .fini = drop_table);

static struct addr
A(const char *s)
{
	struct addr a;

	cr_assert_eq(addr_parse(s, &a), 0, "parse %s", s);
	return a;
}

/* Distinct addresses from an index: IPv4 198.18.0.0/15 style for even i,
 * 2001:db8::/32 for odd i, so a bulk insert mixes both families. */
static struct addr
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

static struct srctab *
mk(uint32_t capacity, uint32_t ring_size)
{
	srctab_free(g_t);
	g_t = srctab_new(capacity, ring_size);
	cr_assert_not_null(g_t);
	return g_t;
}

/* One request from the (only) test source at now_ms. */
static bool
req(uint64_t now_ms, uint32_t window_ms)
{
	struct addr a = A("203.0.113.7");
	struct src_entry *e;
	bool created;

	e = srctab_get(g_t, &a, now_ms, &created);
	cr_assert_not_null(e);
	return srctab_hit(g_t, e, now_ms, window_ms);
}

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
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

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
			uint64_t r = rnd(&seed);
			bool want, got;

			/* Mostly gaps around T/N, some bursts, some long pauses. */
			switch (r % 16) {
			case 0:
				now += t + rnd(&seed) % (3ull * t);
				break;
			case 1: case 2: case 3:
				break;
			default:
				now += rnd(&seed) % (2ull * t / n + 1);
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
