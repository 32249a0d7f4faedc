/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests: banned_user_reply: 403 as a reflector (issue 17, item 9).
 * Spoofed requests of a banned user would make sipwarden send a 403 to
 * every address the attacker names; replylimit bounds that per destination
 * and overall, with the clock injected.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr_harness.h"
#include "replylimit.h"

Test(replylimit, one_answer_per_destination_per_interval)
{
	static struct replylimit r;
	struct log_ratelimit g = LOG_RATELIMIT_INIT(REPLYLIMIT_RATE, REPLYLIMIT_BURST);
	struct addr victim = A("203.0.113.50");

	cr_assert_eq(replylimit_init(&r, REPLYLIMIT_INTERVAL_MS, &g), 0);
	cr_assert(replylimit_take(&r, &victim, 1000));
	/* a flood aimed at one victim: nothing more within the interval */
	for (int i = 1; i < 10000; i++)
		cr_assert_not(replylimit_take(&r, &victim, 1000 + (uint64_t)i % 1999));
	cr_assert_eq(r.refused_dst, 9999);
	/* the benign twin: a banned phone retransmitting every 2 s gets each */
	for (int i = 1; i <= 5; i++)
		cr_assert(replylimit_take(&r, &victim, 1000 + (uint64_t)i * REPLYLIMIT_INTERVAL_MS));
}

Test(replylimit, spoofed_sources_get_a_global_trickle)
{
	static struct replylimit r;
	struct log_ratelimit g = LOG_RATELIMIT_INIT(REPLYLIMIT_RATE, REPLYLIMIT_BURST);
	unsigned sent = 0;

	cr_assert_eq(replylimit_init(&r, REPLYLIMIT_INTERVAL_MS, &g), 0);
	/* one million distinct spoofed sources within 10 s */
	for (uint32_t i = 0; i < 1000000; i++) {
		struct addr a = { .family = AF_INET6 };

		a.a[0] = 0x20;
		a.a[1] = 0x01;
		a.a[2] = 0x0d;
		a.a[3] = 0xb8;
		memcpy(a.a + 12, &i, sizeof(i));
		sent += replylimit_take(&r, &a, 1000 + i / 100);
	}
	/* the burst, then REPLYLIMIT_RATE a second over the 10 s */
	cr_assert_leq(sent, REPLYLIMIT_BURST + REPLYLIMIT_RATE * 10 + 1, "%u sent", sent);
	cr_assert_geq(sent, REPLYLIMIT_BURST + REPLYLIMIT_RATE * 10 - 2, "%u sent", sent);
	cr_assert_eq(r.refused_global, 1000000 - sent);
}

Test(replylimit, workers_share_the_global_budget)
{
	static struct replylimit r1, r2;
	struct log_ratelimit g = LOG_RATELIMIT_INIT(10, 10);
	unsigned sent = 0;

	cr_assert_eq(replylimit_init(&r1, REPLYLIMIT_INTERVAL_MS, &g), 0);
	cr_assert_eq(replylimit_init(&r2, REPLYLIMIT_INTERVAL_MS, &g), 0);
	for (uint32_t i = 0; i < 100; i++) {
		struct addr a = { .family = AF_INET };

		memcpy(a.a, &i, sizeof(i));
		sent += replylimit_take(i % 2 ? &r1 : &r2, &a, 5000);
	}
	cr_assert_eq(sent, 10);
}

/*
 * One victim address, built twice with different junk in the bytes that do
 * not belong to it (pad[], and a[4..15] of IPv4): hashing the raw struct
 * gave each copy its own slot and its own answer, evading the limit.
 */
Test(replylimit, junk_in_unused_bytes_does_not_evade_the_limit)
{
	static struct replylimit r;
	struct addr v4a = A("203.0.113.50"), v4b = v4a, v6a = A("2001:db8::50"), v6b = v6a;
	unsigned sent = 0;

	cr_assert_eq(replylimit_init(&r, REPLYLIMIT_INTERVAL_MS, NULL), 0);
	cr_assert(replylimit_take(&r, &v4a, 1000));
	cr_assert(replylimit_take(&r, &v6a, 1000));
	for (unsigned i = 1; i < 256; i++) {
		memset(v4b.pad, (int)i, sizeof(v4b.pad));
		memset(v4b.a + 4, (int)(i * 7), sizeof(v4b.a) - 4);
		memset(v6b.pad, (int)i, sizeof(v6b.pad));
		sent += replylimit_take(&r, &v4b, 1000 + i);
		sent += replylimit_take(&r, &v6b, 1000 + i);
	}
	cr_assert_eq(sent, 0, "%u answers to one victim", sent);
	cr_assert_eq(r.refused_dst, 510);
	/* the benign twin: a different address gets its answer */
	cr_assert(replylimit_take(&r, &v4b, 1000 + REPLYLIMIT_INTERVAL_MS));
	v4b = A("203.0.113.51");
	cr_assert(replylimit_take(&r, &v4b, 1300));
}
