/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cluster - the public side of the cluster (cluster.h): start, stop and
 * reconfigure the cluster thread, and what the main thread and the workers
 * hand it (this node's bans and unbans, through the queue) or ask of it
 * (origins, status). The thread itself is cluster_link.c.
 */
#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "build_config.h"
#include "clock.h"
#include "cluster.h"
#include "cluster_internal.h"
#include "log.h"

#define QUEUE_CAP 8192

/* ---- the main thread's and the workers' side ---- */

static int
enqueue(struct cluster *c, const struct cluster_msg *m)
{
	uint64_t one = 1;
	int ret = cluster_queue_push(&c->q, m);

	if (ret == 1 && write(c->wake_fd, &one, sizeof(one)) < 0) {
		/* the counter is saturated: the thread is awake anyway */
	}
	return ret < 0 ? ret : 0;
}

int
cluster_publish_ban(struct cluster *c, const struct ban_key *k, enum ban_reason r,
		    uint32_t secs)
{
	struct cluster_msg m;
	int64_t now = clock_wall_s();

	if (!c || atomic_load_explicit(&c->monitor, memory_order_relaxed) ||
	    r == BAN_REASON_BLOCKLIST)
		return 0;
	memset(&m, 0, offsetof(struct cluster_msg, key));
	m.op = CLUSTER_OP_BAN;
	memcpy(&m.key, k, offsetof(struct ban_key, data) + k->len);
	m.reason = r;
	m.time = now + (secs ? secs : 1);
	memcpy(m.node, c->node, sizeof(m.node));
	/* Recorded here, not by the thread: a ban whose event a full queue
	 * drops is still this node's, and re-published as such. */
	cluster_origins_set(c->origins, k, c->node, m.time, false, now);
	return enqueue(c, &m);
}

int
cluster_publish_unban(struct cluster *c, const struct ban_key *k)
{
	struct cluster_msg m;

	if (!c || atomic_load_explicit(&c->monitor, memory_order_relaxed))
		return 0;
	memset(&m, 0, offsetof(struct cluster_msg, key));
	m.op = CLUSTER_OP_UNBAN;
	memcpy(&m.key, k, offsetof(struct ban_key, data) + k->len);
	memcpy(m.node, c->node, sizeof(m.node));
	cluster_origins_del(c->origins, k);
	return enqueue(c, &m);
}

int
cluster_publish_unban_all(struct cluster *c)
{
	struct cluster_msg m;

	if (!c || atomic_load_explicit(&c->monitor, memory_order_relaxed))
		return 0;
	memset(&m, 0, sizeof(m));
	m.op = CLUSTER_OP_UNBAN_ALL;
	memcpy(m.node, c->node, sizeof(m.node));
	cluster_origins_clear(c->origins);
	return enqueue(c, &m);
}

int
cluster_publish_allow(struct cluster *c, const struct allow_entry *e)
{
	struct cluster_msg m;

	if (!c || !c->allow || atomic_load_explicit(&c->monitor, memory_order_relaxed))
		return 0;
	memset(&m, 0, sizeof(m));
	m.op = CLUSTER_OP_ALLOW;
	memcpy(&m.key, &e->key, offsetof(struct ban_key, data) + e->key.len);
	m.time = e->expires;
	snprintf(m.comment, sizeof(m.comment), "%s", e->comment);
	memcpy(m.node, c->node, sizeof(m.node));
	return enqueue(c, &m);
}

int
cluster_publish_disallow(struct cluster *c, const struct ban_key *k)
{
	struct cluster_msg m;

	if (!c || !c->allow || atomic_load_explicit(&c->monitor, memory_order_relaxed))
		return 0;
	memset(&m, 0, sizeof(m));
	m.op = CLUSTER_OP_DISALLOW;
	memcpy(&m.key, k, offsetof(struct ban_key, data) + k->len);
	memcpy(m.node, c->node, sizeof(m.node));
	return enqueue(c, &m);
}

int
cluster_flush(struct cluster *c, unsigned timeout_ms)
{
	struct timespec until;
	uint64_t target;
	int ret = 0;

	if (!c)
		return 0;
	/* FIFO: once the thread has handled the target-th message, it has
	 * handled every one queued before this call. */
	target = cluster_queue_pushed(&c->q);
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&c->lock);
	while (c->done_seq < target && ret == 0)
		ret = pthread_cond_timedwait(&c->done_cond, &c->lock, &until);
	if (c->done_seq < target)
		ret = -ETIMEDOUT;
	else
		/* Conservative: any message since the last flush that was not
		 * sent counts against this one. */
		ret = c->fail_hi >= c->flush_from ? -ENOTCONN : 0;
	c->flush_from = target + 1;
	pthread_mutex_unlock(&c->lock);
	return ret;
}

bool
cluster_ban_origin(struct cluster *c, const struct ban_key *k, char *buf, size_t len)
{
	return c && cluster_origins_get(c->origins, k, buf, len);
}

void
cluster_get_status(struct cluster *c, struct ctl_cluster *st)
{
	uint64_t now = clock_mono_ms();

	memset(st, 0, sizeof(*st));
	snprintf(st->node, sizeof(st->node), "%s", c->node);
	snprintf(st->server, sizeof(st->server), "%s", c->server);
	pthread_mutex_lock(&c->lock);
	st->link = c->link;
	st->link_since_s = (now - c->link_since_ms) / 1000;
	st->n_peers = c->n_peers;
	for (unsigned i = 0; i < c->n_peers; i++) {
		memcpy(st->peers[i].node, c->peers[i].node, sizeof(st->peers[i].node));
		st->peers[i].last_seen_s = (now - c->peers[i].seen_ms) / 1000;
	}
	pthread_mutex_unlock(&c->lock);
	st->published = atomic_load_explicit(&c->published, memory_order_relaxed);
	st->applied = atomic_load_explicit(&c->applied, memory_order_relaxed);
	st->errors = atomic_load_explicit(&c->errors, memory_order_relaxed);
	st->outages = atomic_load_explicit(&c->outages, memory_order_relaxed);
	st->refused = atomic_load_explicit(&c->refused, memory_order_relaxed);
	st->known_shared = atomic_load_explicit(&c->known_shared, memory_order_relaxed);
	st->known_learnt = atomic_load_explicit(&c->known_learnt, memory_order_relaxed);
	st->known_dropped = knowntab_shares_dropped(c->known);
	st->queue_dropped = cluster_queue_dropped(&c->q);
}

/* ---- life cycle ---- */

int
cluster_check_key(const struct config *cfg, struct cluster_auth *out, char *err, size_t len)
{
	unsigned owners[3] = { (unsigned)geteuid(), 0, 0 };
	unsigned n = 2;

	if (geteuid() == 0) {
		struct passwd pw, *res = NULL;
		char buf[1024];

		if (getpwnam_r(CLUSTER_SERVICE_USER, &pw, buf, sizeof(buf), &res) == 0 && res)
			owners[n++] = (unsigned)pw.pw_uid;
	}
	return cluster_auth_load(out, cfg->cluster_key_file, owners, n, err, len);
}

static char *
dup_or_null(const char *s, bool *oom)
{
	char *d = s ? strdup(s) : NULL;

	if (s && !d)
		*oom = true;
	return d;
}

static void
set_trusted(struct cluster *c, const struct config *cfg)
{
	cluster_apply_set_trusted(c, cfg);
	atomic_store_explicit(&c->monitor, cfg->mode == CONFIG_MODE_MONITOR, memory_order_relaxed);
}

static void
cluster_free(struct cluster *c)
{
	if (!c)
		return;
	if (c->wake_fd >= 0)
		close(c->wake_fd);
	cluster_queue_fini(&c->q);
	cluster_origins_free(c->origins);
	memset(&c->auth, 0, sizeof(c->auth));
	free(c->pending);
	free(c->pending_dis);
	free(c->trusted);
	free(c->host);
	free(c->user);
	free(c->password);
	free(c->tls_ca);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->tls_sni);
	pthread_cond_destroy(&c->first_cond);
	pthread_cond_destroy(&c->done_cond);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* The host name, made a valid node name. */
static void
default_node(char *buf, size_t len)
{
	char h[256] = "";

	if (gethostname(h, sizeof(h) - 1) < 0 || !h[0])
		snprintf(h, sizeof(h), "sipwarden");
	for (char *p = h; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
			*p = '_';
	/* Cut to fit: node names are CONFIG_NODE_MAX bytes at most, host
	 * names may be longer. */
	if (len) {
		size_t n = strnlen(h, len - 1);

		memcpy(buf, h, n);
		buf[n] = '\0';
	}
}

int
cluster_known_key(const struct config *cfg, struct knowntab *known)
{
	struct cluster_auth a;
	struct hash_key k;
	char err[512];
	int ret;

	if (!known)
		return 0;
	ret = cluster_check_key(cfg, &a, err, sizeof(err));
	if (ret < 0)
		return ret; /* cluster_start() says why */
	cluster_auth_known_key(&a, &k);
	knowntab_set_key(known, &k, true);
	memset(&a, 0, sizeof(a));
	memset(&k, 0, sizeof(k));
	return 0;
}

int
cluster_start(struct cluster **out, const struct config *cfg, struct bantab *bans,
	      struct banops *ops, struct allowlist *allow, int changed_fd,
	      const struct hostaddr *host, struct knowntab *known)
{
	struct cluster *c = calloc(1, sizeof(*c));
	pthread_condattr_t mono;
	struct timespec until;
	bool oom = false;
	int ret;

	*out = NULL;
	if (!c)
		return -ENOMEM;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->first_cond, NULL);
	/* cluster_flush() waits on the monotonic clock: a wall-clock step
	 * must not stretch an operator's wait. */
	pthread_condattr_init(&mono);
	pthread_condattr_setclock(&mono, CLOCK_MONOTONIC);
	pthread_cond_init(&c->done_cond, &mono);
	pthread_condattr_destroy(&mono);
	c->changed_fd = changed_fd;
	c->flush_from = 1; /* queue messages are counted from 1 */
	c->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	c->host = dup_or_null(cfg->cluster_redis_host, &oom);
	c->user = dup_or_null(cfg->cluster_redis_username, &oom);
	c->password = dup_or_null(cfg->cluster_redis_password, &oom);
	c->tls_ca = dup_or_null(cfg->cluster_redis_tls_ca, &oom);
	c->tls_cert = dup_or_null(cfg->cluster_redis_tls_cert, &oom);
	c->tls_key = dup_or_null(cfg->cluster_redis_tls_key, &oom);
	c->tls_sni = dup_or_null(cfg->cluster_redis_tls_server_name, &oom);
	c->tls = cfg->cluster_redis_tls;
	c->port = cfg->cluster_redis_port;
	c->max_bans = cfg->max_bans;
	c->max_allowed = cfg->max_allowed;
	snprintf(c->prefix, sizeof(c->prefix), "%s", cfg->cluster_key_prefix);
	if (cfg->cluster_node_name)
		snprintf(c->node, sizeof(c->node), "%s", cfg->cluster_node_name);
	else
		default_node(c->node, sizeof(c->node));
	snprintf(c->channel, sizeof(c->channel), "%sbans", c->prefix);
	if (c->host && c->host[0] == '/')
		snprintf(c->server, sizeof(c->server), "%s", c->host);
	else
		snprintf(c->server, sizeof(c->server), "%s:%d", c->host ? c->host : "?", c->port);
	c->ops = ops;
	c->bans = bans;
	c->allow = allow;
	c->pending_dis = calloc(PENDING_DISALLOW_MAX, sizeof(*c->pending_dis));
	c->hostaddrs = host;
	c->known = known;
	c->origins = cluster_origins_new(cfg->max_bans);
	c->pending = calloc(PENDING_MAX, sizeof(*c->pending));
	c->apply_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(20, 100);
	c->err_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(1, 10);
	c->link_since_ms = clock_mono_ms();
	if (oom || !c->host || c->wake_fd < 0 || !c->origins || !c->pending || !c->pending_dis ||
	    cluster_queue_init(&c->q, QUEUE_CAP) < 0) {
		cluster_free(c);
		return -ENOMEM;
	}
	set_trusted(c, cfg);
	{
		char err[512];

		ret = cluster_check_key(cfg, &c->auth, err, sizeof(err));
		if (ret < 0) {
			log_msg(LOG_ERR, "cluster: %s", err);
			cluster_free(c);
			return ret;
		}
	}
#ifndef SIPWARDEN_HAVE_HIREDIS_SSL
	if (c->tls) {
		/* config_keys refuses it already; never fall back to plain text */
		cluster_free(c);
		return -EPROTONOSUPPORT;
	}
#endif
	ret = pthread_create(&c->thread, NULL, cluster_link_main, c);
	if (ret) {
		cluster_free(c);
		return -ret;
	}
	c->running = true;
	/* What the workers learn from now on goes to the outbox the thread
	 * publishes (knownsrc.h). */
	knowntab_set_sharing(known, true);
	/* Wait for the first load, so the node is READY with the cluster's bans. */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += CLUSTER_LOAD_WAIT_MS / 1000;
	pthread_mutex_lock(&c->lock);
	while (!c->first_done)
		if (pthread_cond_timedwait(&c->first_cond, &c->lock, &until) == ETIMEDOUT)
			break;
	if (!c->first_done)
		log_msg(LOG_WARNING, "cluster: no answer from redis %s within %d s; starting on "
			"local bans", c->server, CLUSTER_LOAD_WAIT_MS / 1000);
	pthread_mutex_unlock(&c->lock);
	*out = c;
	return 0;
}

void
cluster_stop(struct cluster *c)
{
	uint64_t one = 1;

	if (!c)
		return;
	atomic_store_explicit(&c->stop, true, memory_order_release);
	if (write(c->wake_fd, &one, sizeof(one)) < 0) {
		/* saturated: it wakes anyway */
	}
	if (c->running)
		pthread_join(c->thread, NULL);
	cluster_free(c);
}

static bool
str_changed(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0);
}

void
cluster_reconfigure(struct cluster *c, const struct config *cfg)
{
	if (!c) {
		if (cfg->cluster_enabled)
			log_msg(LOG_WARNING, "cluster: enabling the cluster takes effect at restart");
		return;
	}
	set_trusted(c, cfg);
	if (!cfg->cluster_enabled || str_changed(c->host, cfg->cluster_redis_host) ||
	    c->port != cfg->cluster_redis_port || str_changed(c->user, cfg->cluster_redis_username) ||
	    str_changed(c->password, cfg->cluster_redis_password) ||
	    c->tls != cfg->cluster_redis_tls || strcmp(c->prefix, cfg->cluster_key_prefix) != 0 ||
	    (cfg->cluster_node_name && strcmp(c->node, cfg->cluster_node_name) != 0))
		log_msg(LOG_WARNING, "cluster: changes to the cluster: section take effect at "
			"restart");
}
