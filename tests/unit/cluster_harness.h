/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_TEST_CLUSTER_HARNESS_H
#define SIPWARDEN_TEST_CLUSTER_HARNESS_H
/*
 * A node's cluster state, never connected, for cluster_apply_msg() and the
 * known-source messages: its own ban table and banops (16 entries),
 * origins, the default minimum prefixes (/8, /32), open rate limits.
 * Shared by test_banlimits and test_knownsrc.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banops.h"
#include "cluster_internal.h"

static inline void
cluster_fixture(struct cluster *c, const char *node)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	snprintf(c->node, sizeof(c->node), "%s", node);
	c->bans = bantab_new(16);
	c->ops = banops_new(c->bans, 16, false);
	c->origins = cluster_origins_new(16);
	c->changed_fd = -1;
	c->min_prefix4 = 8;
	c->min_prefix6 = 32;
	c->apply_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(100, 100);
	c->err_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(100, 100);
}

static inline void
cluster_fixture_free(struct cluster *c)
{
	banops_free(c->ops);
	bantab_free(c->bans);
	cluster_origins_free(c->origins);
	free(c->trusted);
	pthread_mutex_destroy(&c->lock);
}

#endif
