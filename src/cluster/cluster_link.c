/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cluster_link - the cluster thread (cluster_internal.h): the link to
 * Redis up (poll the subscription and the queue, send, hello) or down
 * (keep unbans, reconnect with exponential backoff), logged once per
 * outage, and the first attempt signalled to cluster_start().
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "clock.h"
#include "cluster_internal.h"
#include "cluster_proto.h"
#include "log.h"

#define BACKOFF_FIRST_MS 500
#define BACKOFF_MAX_MS 30000
#define TICK_MS 1000
#define HELLO_MS 5000
#define REPUBLISH_MIN_MS 5000  /* after queue drops: at most this often */

static void
set_link(struct cluster *c, enum ctl_link l)
{
	pthread_mutex_lock(&c->lock);
	if (c->link != l)
		c->link_since_ms = clock_mono_ms();
	c->link = l;
	pthread_mutex_unlock(&c->lock);
}

static void
first_done(struct cluster *c)
{
	pthread_mutex_lock(&c->lock);
	c->first_done = true;
	pthread_cond_broadcast(&c->first_cond);
	pthread_mutex_unlock(&c->lock);
}

static void
try_connect(struct cluster *c)
{
	char err[256] = "";
	uint64_t now;

	set_link(c, CTL_LINK_CONNECTING);
	if (cluster_redis_link_up(c, err, sizeof(err)) == 0) {
		now = clock_mono_ms();
		if (!c->ever_up)
			log_msg(LOG_NOTICE, "cluster: connected to redis %s as node '%s': loaded %u "
				"bans, published %u of our own", c->server, c->node, c->loaded,
				c->republished);
		else
			log_msg(LOG_NOTICE, "cluster: link to redis %s back after %llu s: sent %u "
				"unbans, loaded %u bans, re-published %u of our own", c->server,
				(unsigned long long)(now - c->down_since_ms) / 1000, c->flushed,
				c->loaded, c->republished);
		c->ever_up = true;
		c->outage_logged = false;
		c->backoff_ms = 0;
		c->next_hello_ms = now + HELLO_MS;
		c->drops_seen = cluster_queue_dropped(&c->q);
		set_link(c, CTL_LINK_UP);
		return;
	}
	cluster_redis_close(c);
	cluster_count(&c->errors);
	if (!c->outage_logged) {
		cluster_count(&c->outages);
		c->down_since_ms = clock_mono_ms();
		log_msg(LOG_ERR, "cluster: cannot reach redis %s: %s; bans stay enforced locally, "
			"retrying with backoff (logged once until it is back)", c->server, err);
		c->outage_logged = true;
	}
	c->backoff_ms = c->backoff_ms ? c->backoff_ms * 2 : BACKOFF_FIRST_MS;
	if (c->backoff_ms > BACKOFF_MAX_MS)
		c->backoff_ms = BACKOFF_MAX_MS;
	c->next_try_ms = clock_mono_ms() + c->backoff_ms;
	set_link(c, CTL_LINK_DOWN);
}

static void
link_lost(struct cluster *c, const char *reason)
{
	char why[160];

	/* reason may be a connection's errstr: copied before they go. */
	snprintf(why, sizeof(why), "%s", reason && reason[0] ? reason : "connection lost");
	cluster_redis_close(c);
	cluster_count(&c->errors);
	cluster_count(&c->outages);
	c->down_since_ms = clock_mono_ms();
	log_msg(LOG_ERR, "cluster: lost the link to redis %s: %s; bans stay enforced locally, "
		"reconnecting with backoff (logged once until it is back)", c->server, why);
	c->outage_logged = true;
	c->backoff_ms = BACKOFF_FIRST_MS;
	c->next_try_ms = c->down_since_ms + c->backoff_ms;
	set_link(c, CTL_LINK_DOWN);
}

/* While the link is down, events wait as state: bans are in the table
 * and allows in the list (re-published when the link is back), unbans and
 * disallows are kept here. */
static void
keep_offline(struct cluster *c, const struct cluster_msg *v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (v[i].op == CLUSTER_OP_UNBAN_ALL) {
			c->pending_all = true;
			c->n_pending = 0;
		} else if (v[i].op == CLUSTER_OP_UNBAN && c->n_pending < PENDING_MAX) {
			memcpy(&c->pending[c->n_pending++], &v[i].key,
			       offsetof(struct ban_key, data) + v[i].key.len);
		} else if (v[i].op == CLUSTER_OP_UNBAN) {
			cluster_count(&c->errors);
		} else if (v[i].op == CLUSTER_OP_DISALLOW &&
			   c->n_pending_dis < PENDING_DISALLOW_MAX) {
			/* Else the load at link-up would bring the entry back
			 * from redis. */
			memcpy(&c->pending_dis[c->n_pending_dis++], &v[i].key,
			       offsetof(struct ban_key, data) + v[i].key.len);
		} else if (v[i].op == CLUSTER_OP_DISALLOW) {
			cluster_count(&c->errors);
		}
		/* An allow is in the list: re-published when the link is back. */
	}
}

/* The messages popped so far are handled: the last batch stored in Redis
 * (sent) or not (unbans kept for the link, bans re-published when it is
 * back): wake cluster_flush(). */
static void
mark_done(struct cluster *c, bool sent)
{
	pthread_mutex_lock(&c->lock);
	if (!sent)
		c->fail_hi = c->popped;
	c->done_seq = c->popped;
	pthread_cond_broadcast(&c->done_cond);
	pthread_mutex_unlock(&c->lock);
}

static int
read_sub(struct cluster *c)
{
	redisReply *rep = NULL;

	while (redisGetReplyFromReader(c->sub, (void **)&rep) == REDIS_OK && rep) {
		struct cluster_msg m;

		if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 3 &&
		    rep->element[0]->type == REDIS_REPLY_STRING &&
		    strcmp(rep->element[0]->str, "message") == 0 &&
		    rep->element[2]->type == REDIS_REPLY_STRING &&
		    cluster_open(c, rep->element[2]->str, rep->element[2]->len, true, &m) == 0) {
			if (m.op == CLUSTER_OP_HELLO)
				cluster_apply_peer_seen(c, m.node);
			else
				cluster_apply_msg(c, &m);
		}
		freeReplyObject(rep);
		rep = NULL;
	}
	return c->sub->err ? -EIO : 0;
}

static void
drain_wake(struct cluster *c)
{
	uint64_t v;

	if (read(c->wake_fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing was signalled */
	}
}

static void
run_up(struct cluster *c)
{
	struct pollfd pfd[2] = {
		{ .fd = c->wake_fd, .events = POLLIN },
		{ .fd = c->sub->fd, .events = POLLIN },
	};
	uint64_t now = clock_mono_ms();
	uint32_t n;

	if (read_sub(c) < 0) { /* replies buffered by an earlier read */
		link_lost(c, c->sub->errstr);
		return;
	}
	if (poll(pfd, 2, (int)(c->next_hello_ms > now ? c->next_hello_ms - now : 0)) < 0 &&
	    errno != EINTR)
		return;
	if (pfd[0].revents)
		drain_wake(c);
	if (pfd[1].revents) {
		if (redisBufferRead(c->sub) != REDIS_OK || read_sub(c) < 0) {
			link_lost(c, c->sub->errstr[0] ? c->sub->errstr : "connection closed");
			return;
		}
	}
	while ((n = cluster_queue_pop(&c->q, c->batch, BATCH)) > 0) {
		c->popped += n;
		if (cluster_redis_send_batch(c, c->batch, n) < 0) {
			/* Unsent unbans wait for the link; bans are re-published. */
			keep_offline(c, c->batch, n);
			link_lost(c, c->cmd->errstr[0] ? c->cmd->errstr : "connection lost");
			mark_done(c, false);
			return;
		}
		mark_done(c, true);
	}
	/* Known sources wait for the hello tick at most (no wake-up of their
	 * own: a few seconds late is early enough for lockout protection). */
	if (cluster_redis_share_known(c) < 0) {
		link_lost(c, c->cmd->errstr[0] ? c->cmd->errstr : "connection lost");
		return;
	}
	now = clock_mono_ms();
	if (cluster_queue_dropped(&c->q) != c->drops_seen && now >= c->next_republish_ms) {
		/* Events were lost to a full queue: send the whole set again. */
		c->drops_seen = cluster_queue_dropped(&c->q);
		c->next_republish_ms = now + REPUBLISH_MIN_MS;
		if (cluster_redis_republish_own(c) < 0) {
			link_lost(c, c->cmd->errstr[0] ? c->cmd->errstr : "connection lost");
			return;
		}
	}
	if (now >= c->next_hello_ms) {
		c->next_hello_ms = now + HELLO_MS;
		cluster_origins_prune(c->origins, clock_wall_s());
		if (cluster_redis_hello(c) < 0)
			link_lost(c, c->cmd->errstr[0] ? c->cmd->errstr : "connection lost");
	}
}

static void
run_down(struct cluster *c)
{
	struct pollfd pfd = { .fd = c->wake_fd, .events = POLLIN };
	uint64_t now = clock_mono_ms();
	uint64_t wait = c->next_try_ms > now ? c->next_try_ms - now : 0;
	uint32_t n;

	if (wait > TICK_MS)
		wait = TICK_MS;
	if (poll(&pfd, 1, (int)wait) > 0)
		drain_wake(c);
	while ((n = cluster_queue_pop(&c->q, c->batch, BATCH)) > 0) {
		c->popped += n;
		keep_offline(c, c->batch, n);
		mark_done(c, false);
	}
	if (clock_mono_ms() >= c->next_try_ms)
		try_connect(c);
}

void *
cluster_link_main(void *arg)
{
	struct cluster *c = arg;

	try_connect(c);
	first_done(c);
	while (!atomic_load_explicit(&c->stop, memory_order_acquire)) {
		if (c->cmd)
			run_up(c);
		else
			run_down(c);
	}
	cluster_redis_close(c);
	return NULL;
}
