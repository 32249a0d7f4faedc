/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_CLUSTER_INTERNAL_H
#define SIPWARDEN_CLUSTER_INTERNAL_H

/*
 * cluster_internal - private to the cluster_*.c files of the daemon (the
 * public side is cluster.h; the pure wire format is cluster_proto.h).
 *
 *   cluster.c         life cycle, and what the main thread and the workers
 *                     call: publish (through the queue), origins, status
 *   cluster_link.c    the cluster thread: the link's state machine
 *                     (connect, backoff, outages) and its poll loop
 *   cluster_redis.c   the Redis side: connections, the load and the sync
 *                     when the link comes up, sending this node's events
 *   cluster_apply.c   what other nodes published, applied here; peers seen
 */

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "banops.h"
#include "cluster.h"
#include "cluster_proto.h"
#include "ctlproto.h"
#include "log.h"

#define BATCH 256              /* events sent per pipeline */
#define PENDING_MAX 4096       /* unbans kept while the link is down */
#define PENDING_DISALLOW_MAX 256 /* disallows kept likewise */
#define CLUSTER_SERVICE_USER "sipwarden"

struct peer {
	char node[CLUSTER_NODE_MAX + 1];
	uint64_t seen_ms;
};

struct cluster {
	/* settings, fixed at start */
	char *host, *user, *password, *tls_ca, *tls_cert, *tls_key, *tls_sni;
	int port;
	bool tls;
	char prefix[CLUSTER_PREFIX_MAX + 1];
	char node[CLUSTER_NODE_MAX + 1];
	char channel[CLUSTER_PREFIX_MAX + 8];
	char server[128];
	uint32_t max_bans;
	uint32_t max_allowed;         /* limits.max_allowed: bounds the load of allows */
	struct cluster_auth auth;     /* cluster.key_file */

	struct cluster_queue q;
	struct cluster_origins *origins;
	struct banops *ops;     /* shared with the daemon */
	struct bantab *bans;
	struct allowlist *allow; /* the daemon's; NULL: allows are not shared */
	int changed_fd;  /* the daemon's: an unban from another node changed the table */
	int wake_fd;
	pthread_t thread;
	bool running;
	atomic_bool stop;
	atomic_bool monitor; /* what the daemon runs in */

	/* the cluster thread's own */
	redisContext *cmd, *sub;
	bool ever_up, outage_logged;
	uint64_t backoff_ms, next_try_ms, down_since_ms, next_hello_ms, next_republish_ms;
	uint64_t drops_seen;
	struct ban_key *pending;      /* unbans made while the link was down */
	uint32_t n_pending;
	bool pending_all;
	struct ban_key *pending_dis;  /* disallows made while the link was down */
	uint32_t n_pending_dis;
	struct cluster_msg batch[BATCH];
	struct log_ratelimit apply_rl, err_rl;
	uint32_t loaded, republished, flushed; /* last link-up, for its log line */
	uint64_t popped;              /* messages taken from the queue */

	/* shared with the main thread, under lock */
	pthread_mutex_t lock;
	pthread_cond_t first_cond;
	bool first_done;
	enum ctl_link link;
	uint64_t link_since_ms;
	struct peer peers[CTL_MAX_PEERS];
	unsigned n_peers;
	struct addr_net *trusted;     /* whitelist, peers, server_addresses, loopback */
	unsigned n_trusted;
	const struct hostaddr *hostaddrs; /* the host's own (may be NULL) */
	struct knowntab *known;       /* may be NULL */
	uint64_t known_ttl_ms;        /* security.known_source_time */
	unsigned min_prefix4, min_prefix6; /* limits.min_ban_prefix4/6 */
	/* cluster_flush(): the queue's messages 1..done_seq are handled; the
	 * fail_hi-th was the last one not sent; the flush before this one
	 * covered the messages before the flush_from-th */
	pthread_cond_t done_cond;
	uint64_t done_seq, fail_hi, flush_from;

	/* counters (atomic) */
	_Atomic uint64_t published, applied, errors, outages;
	_Atomic uint64_t refused;             /* bad or stale messages; bans refused here */
	_Atomic uint64_t known_shared, known_learnt; /* known sources published, merged */
};

static inline void
cluster_count(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

/* cluster_link.c: the thread's body (arg is the struct cluster). */
void *cluster_link_main(void *arg);

/* cluster_redis.c (cluster thread). */
/* Connect both links, subscribe, send the unbans kept while down, load the
 * cluster's bans and peers, re-publish this node's own bans and say hello.
 * 0, or -EIO with the reason in err. */
int cluster_redis_link_up(struct cluster *c, char *err, size_t len);
/* Close both links (either may be NULL already). */
void cluster_redis_close(struct cluster *c);
/* Send a batch of this node's events. 0 or -EIO (link lost). */
int cluster_redis_send_batch(struct cluster *c, const struct cluster_msg *v, uint32_t n);
/* Store and publish every live ban this node made. 0 or -EIO. */
int cluster_redis_republish_own(struct cluster *c);
/* Store and publish every allow this node made. 0 or -EIO. */
int cluster_redis_republish_allows(struct cluster *c);
/* Publish what the known sources' outbox holds (a bounded batch). 0 or
 * -EIO. */
int cluster_redis_share_known(struct cluster *c);
/* Refresh <prefix>node:<name> and publish a hello. 0 or -EIO. */
int cluster_redis_hello(struct cluster *c);

/* cluster_apply.c (cluster thread). */
/* Note a node heard from (not this one); the oldest is forgotten when the
 * list is full. */
void cluster_apply_peer_seen(struct cluster *c, const char *node);
/* Apply another node's ban (loading: from the start-up load, not logged). */
void cluster_apply_ban(struct cluster *c, const struct cluster_msg *m, bool loading);
/* Apply another node's allow (loading: from the start-up load). */
void cluster_apply_allow(struct cluster *c, const struct cluster_msg *m, bool loading);
/* What a peer's ban may never cover, and the other settings the applying
 * side reads from cfg (copied, under c->lock). */
void cluster_apply_set_trusted(struct cluster *c, const struct config *cfg);
/* Merge another node's known source (knownsrc.h). */
void cluster_apply_known(struct cluster *c, const struct cluster_msg *m);
/* Apply a message from the channel; this node's own are ignored. */
void cluster_apply_msg(struct cluster *c, const struct cluster_msg *m);

/* cluster_apply.c: check the signature of a line read from Redis and decode
 * it (cluster_msg_open(); window: a published line, not a stored one).
 * Refused lines are counted and logged, rate-limited. */
int cluster_open(struct cluster *c, const char *line, size_t len, bool window,
		 struct cluster_msg *m);

#endif
