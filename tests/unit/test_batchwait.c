/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <criterion/criterion.h>

#include "batchwait.h"

/* Feed reads of n packets every step_us for dur_ms starting at t0 (ms);
 * returns the last decision. */
static uint32_t
feed(struct batchwait *bw, unsigned n, uint64_t t0, unsigned reads_per_ms, unsigned dur_ms,
     uint32_t wait_us)
{
	uint32_t w = 0;

	for (uint64_t t = t0; t < t0 + dur_ms; t++)
		for (unsigned i = 0; i < reads_per_ms; i++)
			w = batchwait_next(bw, n, 64, wait_us, t);
	return w;
}

Test(batchwait, off_when_zero)
{
	struct batchwait bw = { 0 };

	/* 40 packets per ms: heavy load, but moderation is off. */
	cr_expect_eq(feed(&bw, 10, 1000, 4, 50, 0), 0);
}

Test(batchwait, waits_under_sustained_load)
{
	struct batchwait bw = { 0 };

	/* 4 reads of 5 packets per ms = 20k packets/s on this queue: a
	 * 200 µs wait brings 4 packets. */
	cr_expect_eq(feed(&bw, 5, 1000, 4, 50, 200), 200);
	cr_expect_eq(bw.rate_per_ms, 20);
}

Test(batchwait, never_for_a_lone_packet)
{
	struct batchwait bw = { 0 };

	feed(&bw, 5, 1000, 4, 50, 200);
	cr_expect_eq(batchwait_next(&bw, 1, 64, 200, 1050), 0);
}

Test(batchwait, never_after_a_full_batch)
{
	struct batchwait bw = { 0 };

	feed(&bw, 32, 1000, 4, 50, 200);
	/* Behind: the next read must come at once. */
	cr_expect_eq(batchwait_next(&bw, 64, 64, 200, 1050), 0);
	cr_expect_eq(batchwait_next(&bw, 63, 64, 200, 1050), 200);
}

Test(batchwait, no_longer_than_a_full_batch_takes)
{
	struct batchwait bw = { 0 };

	/* 1000 packets per ms: 64 arrive in 64 µs; waiting 200 would only
	 * leave a backlog. */
	cr_expect_eq(feed(&bw, 40, 1000, 25, 50, 200), 64);
	cr_expect_eq(bw.rate_per_ms, 1000);
}

Test(batchwait, not_at_low_rate)
{
	struct batchwait bw = { 0 };

	/* 5k packets/s with pairs now and then: a 200 µs wait would bring one
	 * packet, not worth the latency. */
	cr_expect_eq(feed(&bw, 2, 1000, 2, 100, 200), 0);
	cr_expect_eq(bw.rate_per_ms, 4);
	/* A longer wait makes the same rate worth it. */
	cr_expect_eq(batchwait_next(&bw, 2, 64, 1000, 1100), 1000);
}

Test(batchwait, quiet_spell_resets_the_rate)
{
	struct batchwait bw = { 0 };

	cr_expect_eq(feed(&bw, 5, 1000, 4, 50, 200), 200);
	/* Five quiet seconds, then a burst: the window that ends now spans
	 * the quiet time, so the burst is not held back. */
	cr_expect_eq(batchwait_next(&bw, 8, 64, 200, 6050), 0);
	cr_expect_eq(bw.rate_per_ms, 0);
}

Test(batchwait, clock_going_back_starts_a_new_window)
{
	struct batchwait bw = { 0 };

	feed(&bw, 5, 5000, 4, 50, 200);
	/* No division by a huge unsigned "elapsed". */
	cr_expect_eq(batchwait_next(&bw, 5, 64, 200, 10), 200);
	cr_expect_eq(bw.win_start_ms, 10);
}

Test(batchwait, counter_saturates)
{
	struct batchwait bw = { 0 };

	bw.win_start_ms = 100;
	bw.win_pkts = UINT32_MAX - 1;
	batchwait_next(&bw, 64, 64, 200, 105);
	cr_expect_eq(bw.win_pkts, UINT32_MAX);
}
