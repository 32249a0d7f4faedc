/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A full ban table under workers banning at once (issue 17): each new
 * automatic ban evicts the least valuable one, so none is refused however
 * the workers interleave, and the bounds hold. A refusal here was a race:
 * the slot one worker's eviction freed was taken by another's insert.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "bans.h"

#define THREADS 4
#define PER_THREAD 20000

static struct bantab *g_t;

static void *
flood(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg;

	for (unsigned i = 0; i < PER_THREAD; i++) {
		char ip[64];
		struct addr a;
		struct ban_key k, ev;

		snprintf(ip, sizeof(ip), "2001:db8:%x:%x::1", id + 1, i);
		cr_assert_eq(addr_parse(ip, &a), 0);
		ban_key_ip(&k, &a);
		k.plen = 64;
		bantab_add_evict(g_t, &k, BAN_REASON_SCANNER, 1000, 600000, &ev);
	}
	return NULL;
}

Test(banrace, full_table_evicts_for_every_worker)
{
	pthread_t th[THREADS];
	struct ban_key u;

	g_t = bantab_new(200);
	cr_assert_not_null(g_t);
	for (unsigned i = 0; i < THREADS; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, flood, (void *)(uintptr_t)i), 0);
	for (unsigned i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	cr_assert_eq(bantab_refused(g_t), 0, "refused %llu automatic bans",
		     (unsigned long long)bantab_refused(g_t));
	cr_assert_eq(bantab_auto_count(g_t), bantab_auto_max(g_t));
	cr_assert_eq(bantab_count(g_t, BAN_KIND_IP), bantab_auto_max(g_t));
	cr_assert_eq(bantab_evicted(g_t), (uint64_t)THREADS * PER_THREAD - bantab_auto_max(g_t));
	/* the benign twin: a user ban still has its reserved room */
	cr_assert_eq(ban_key_user(&u, "105@example.org"), 0);
	cr_assert_eq(bantab_add(g_t, &u, BAN_REASON_AUTH, 1000, 600000), 1);
	bantab_free(g_t);
}
