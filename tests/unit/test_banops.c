/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests: banops, the one owner of a ban - the table written at once,
 * the bounded queue to the kernel-set thread, what a full queue does (the
 * set marked for a resync, counted, never a ban lost from the table), the
 * cluster told, monitor mode and bulk loads. The queue is tested without
 * its thread, so nothing here depends on timing; the last test runs the
 * thread (without a kernel set) and waits for the queue to empty.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "banops.h"
#include "log.h"
#include "bans.h"
#include "clock.h"

static struct bantab *g_t;
static struct banops *g_b;
static unsigned g_published;

static void
fini(void)
{
	banops_free(g_b);
	g_b = NULL;
	bantab_free(g_t);
	g_t = NULL;
}

TestSuite(banops, .fini = fini, .timeout = 30);

static int
count_publish(void *ctx, const struct ban_key *k, enum ban_reason r, uint32_t secs)
{
	(void)ctx;
	(void)k;
	(void)r;
	(void)secs;
	g_published++;
	return 0;
}

static void
mk(uint32_t max_bans, uint32_t cap, bool monitor)
{
	g_t = bantab_new(max_bans);
	cr_assert_not_null(g_t);
	g_b = banops_new(g_t, cap, monitor);
	cr_assert_not_null(g_b);
	g_published = 0;
	banops_set_publish(g_b, count_publish, NULL);
}

static struct ban_key
ip(unsigned i)
{
	char s[32];
	struct addr a;
	struct ban_key k;

	snprintf(s, sizeof(s), "203.0.%u.%u", 113 + i / 256, i % 256);
	cr_assert_eq(addr_parse(s, &a), 0, "%s", s);
	ban_key_ip(&k, &a);
	return k;
}

static int
ban_at(unsigned i, unsigned flags, uint64_t now)
{
	struct ban_key k = ip(i);
	struct event e = { .ev = POLICY_EV_BAN_IP };
	struct banops_line line = { .ev = &e };

	return banops_ban(g_b, &k, BAN_REASON_DENSITY, 60, now, flags, &line);
}

static int
ban(unsigned i, unsigned flags)
{
	return ban_at(i, flags, 1000);
}

static struct banops_stats
stats(void)
{
	struct banops_stats st;

	banops_get_stats(g_b, &st);
	return st;
}

/* The attack: more bans at once than the queue holds. Every one is in the
 * table, the overflow is counted and the kernel sets are due a resync
 * (which puts the table into them), and every ban was published. */
Test(banops, full_queue_marks_resync_and_counts)
{
	mk(1024, 8, false);
	for (unsigned i = 0; i < 200; i++)
		cr_assert_eq(ban(i, BANOPS_PUBLISH), 1);
	struct banops_stats st = stats();

	cr_assert_eq(st.queued, 8);
	cr_assert_eq(st.queue_full, 192);
	cr_assert_eq(st.lines_lost, 192);
	cr_assert(st.resync_due);
	cr_assert_eq(bantab_count(g_t, BAN_KIND_IP), 200);
	for (unsigned i = 0; i < 200; i++) {
		struct ban_key k = ip(i);

		cr_assert(bantab_check(g_t, &k, 1001), "ban %u not in the table", i);
	}
	cr_assert_eq(g_published, 200);
}

/* The benign twin: as many bans as fit are queued, nothing counted, no
 * resync due. */
Test(banops, bans_that_fit_are_queued)
{
	mk(1024, 256, false);
	for (unsigned i = 0; i < 200; i++)
		cr_assert_eq(ban(i, BANOPS_PUBLISH), 1);
	struct banops_stats st = stats();

	cr_assert_eq(st.queued, 200);
	cr_assert_eq(st.queue_full, 0);
	cr_assert_not(st.resync_due);
	cr_assert_eq(g_published, 200);
}

/* A ban already there is extended, not queued again; a full table refuses
 * and nothing else happens. */
static int
ban_manual(unsigned i, unsigned flags)
{
	struct ban_key k = ip(i);

	return banops_ban(g_b, &k, BAN_REASON_MANUAL, 60, 1000, flags, NULL);
}

/* A table full of operator bans refuses (they are never evicted). */
Test(banops, extension_and_refusal)
{
	mk(2, 16, false);
	cr_assert_eq(ban_manual(1, 0), 1);
	cr_assert_eq(ban_manual(1, 0), 0);
	cr_assert_eq(ban_manual(2, 0), 1);
	cr_assert_eq(ban_manual(3, BANOPS_PUBLISH), -ENOSPC);
	cr_assert_eq(stats().queued, 2);
	cr_assert_eq(g_published, 0);
}

/* Issue 17: a full table of automatic bans makes room by evicting one,
 * and the evicted ban's kernel-set delete is queued with the new add. */
Test(banops, eviction_queues_the_kernel_delete)
{
	mk(16, 64, false);
	for (unsigned i = 0; i < 15; i++)
		cr_assert_eq(ban(i, 0), 1);
	cr_assert_eq(stats().queued, 15);
	cr_assert_eq(ban(100, 0), 1);
	cr_assert_eq(bantab_evicted(g_t), 1);
	cr_assert_eq(bantab_count(g_t, BAN_KIND_IP), 15);
	cr_assert_eq(stats().queued, 17); /* the delete, then the add */
}

/* Bulk loads (blocklists, a cluster load) ask for one resync instead of a
 * queue flood; that is not an overflow. */
Test(banops, bulk_asks_for_a_resync)
{
	mk(1024, 8, false);
	for (unsigned i = 0; i < 100; i++)
		cr_assert_eq(ban(i, BANOPS_BULK), 1);
	struct banops_stats st = stats();

	cr_assert_eq(st.queued, 0);
	cr_assert_eq(st.queue_full, 0);
	cr_assert(st.resync_due);
	cr_assert_eq(bantab_count(g_t, BAN_KIND_IP), 100);
}

/* Monitor mode: the table records, the cluster is not told; only the
 * "would" line is queued. */
Test(banops, monitor_publishes_nothing)
{
	struct ban_key k = ip(7);

	mk(1024, 16, true);
	cr_assert_eq(ban(1, BANOPS_PUBLISH), 1);
	cr_assert_eq(g_published, 0);
	cr_assert_eq(stats().queued, 1);
	/* without a line there is nothing left to do */
	cr_assert_eq(banops_ban(g_b, &k, BAN_REASON_MANUAL, 60, 1000, BANOPS_PUBLISH, NULL), 1);
	cr_assert_eq(stats().queued, 1);
}

/* A user ban has no kernel side: without a line nothing is queued. */
Test(banops, user_ban_without_line)
{
	struct ban_key k;

	mk(1024, 16, false);
	cr_assert_eq(ban_key_user(&k, "105@example.org"), 0);
	cr_assert_eq(banops_ban(g_b, &k, BAN_REASON_AUTH, 60, 1000, BANOPS_PUBLISH, NULL), 1);
	cr_assert_eq(stats().queued, 0);
	cr_assert_eq(g_published, 1);
}

/* Unbans follow their bans through the queue; a full queue again means a
 * resync, never a kernel entry left behind unnoticed. */
Test(banops, unban_queued_in_order_or_resync)
{
	struct ban_key k = ip(1);

	mk(1024, 2, false);
	cr_assert_eq(ban(1, 0), 1);
	cr_assert_eq(banops_unban(g_b, &k, 0), 0);
	cr_assert_eq(stats().queued, 2);
	cr_assert_not(stats().resync_due);
	cr_assert_eq(banops_unban(g_b, &k, 0), -ENOENT);
	cr_assert_eq(ban(1, 0), 1);
	cr_assert_eq(stats().queue_full, 1);
	cr_assert(stats().resync_due);
}

/* The thread drains the queue. Criterion runs each test in a process of
 * its own: as root it gets a network namespace of its own too, so the
 * resync never touches the host's sets; without root the kernel refuses
 * the writes. Either way the bans stay in the table. */
Test(banops, thread_drains_the_queue)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	(void)unshare(CLONE_NEWNET);
	mk(4096, 4096, false);
	cr_assert_eq(banops_start(g_b, clock_mono_ms()), 0);
	/* at the rate of new bans banops allows (BANOPS_LINES_IP_RATE) */
	for (unsigned i = 0; i < 1000; i++)
		cr_assert_eq(ban_at(i, 0, 1000 + i * (1000 / BANOPS_LINES_IP_RATE + 1)), 1);
	/* bounded by the suite's timeout, not by a guess at the speed */
	while (stats().queued)
		nanosleep(&ts, NULL);
	cr_assert_eq(stats().queue_full, 0);
	cr_assert_eq(bantab_count(g_t, BAN_KIND_IP), 1000);
}

/* Issue 17: a ban line is never suppressed, so what bounds the lines is the
 * number of new bans with one: BANOPS_LINES_* (a flood of spoofed sources
 * past it is dropped but not banned). User bans have a bucket of their own;
 * extensions, and bans without a verdict's line (the operator's), are not
 * counted. */
Test(banops, new_bans_with_a_line_are_capped)
{
	struct event e = { .ev = POLICY_EV_AUTH_BAN };
	struct banops_line line = { .ev = &e };
	struct ban_key u;
	unsigned made = 0;

	mk(100000, 100000, false);
	for (unsigned i = 0; i < BANOPS_LINES_IP_BURST + 500; i++)
		made += ban(i, 0) == 1;
	cr_assert_eq(made, BANOPS_LINES_IP_BURST);
	cr_assert_eq(ban(BANOPS_LINES_IP_BURST + 600, 0), -EBUSY);
	cr_assert_eq(bantab_count(g_t, BAN_KIND_IP), BANOPS_LINES_IP_BURST);
	/* an extension has no line: not refused */
	cr_assert_eq(ban(3, 0), 0);
	/* the operator's ban has no verdict line: not counted */
	cr_assert_eq(ban_manual(BANOPS_LINES_IP_BURST + 700, 0), 1);
	/* alice's user ban is not taken by the IP flood */
	cr_assert_eq(ban_key_user(&u, "alice@example.org"), 0);
	cr_assert_eq(banops_ban(g_b, &u, BAN_REASON_AUTH, 60, 1000, 0, &line), 1);
	/* a second later, a second's worth more */
	made = 0;
	for (unsigned i = 0; i < 2 * BANOPS_LINES_IP_RATE; i++)
		made += ban_at(20000 + i, 0, 2000) == 1;
	cr_assert_eq(made, BANOPS_LINES_IP_RATE);
	/* user bans run out on their own */
	made = 0;
	for (unsigned i = 0; i < BANOPS_LINES_USER_BURST + 50; i++) {
		char name[32];

		snprintf(name, sizeof(name), "u%u@example.org", i);
		cr_assert_eq(ban_key_user(&u, name), 0);
		made += banops_ban(g_b, &u, BAN_REASON_AUTH, 60, 1000, 0, &line) == 1;
	}
	cr_assert_eq(made, BANOPS_LINES_USER_BURST - 1);
	/* 30 s of it: what journald's 10000 lines per 30 s leaves room for */
	cr_assert_leq(30 * (BANOPS_LINES_IP_RATE + BANOPS_LINES_USER_RATE) +
		      BANOPS_LINES_IP_BURST + BANOPS_LINES_USER_BURST +
		      LOG_BUDGET_BURST + 30 * LOG_BUDGET_RATE + 30, 9500);
}
