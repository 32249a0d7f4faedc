/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cluster_redis - the cluster thread's Redis commands (cluster_internal.h):
 * the two connections (TCP or a socket, optional TLS and AUTH), pipelined
 * replies, SCAN, this node's bans and unbans stored and published, the
 * hello, and what happens each time the link comes up: subscribe, send the
 * unbans and disallows kept meanwhile, load the cluster's bans, allows and
 * peers, re-publish this node's own bans and allows.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "build_config.h"
#include "clock.h"
#include "cluster_internal.h"
#include "cluster_proto.h"
#include "log.h"

#ifdef SIPWARDEN_HAVE_HIREDIS_SSL
#include <hiredis/hiredis_ssl.h>
#endif

#define CONNECT_TIMEOUT_MS 1000
#define COMMAND_TIMEOUT_MS 2000
#define NODE_TTL_S 15          /* <prefix>node:<name> outlives 3 hellos */
#define SCAN_COUNT 500
#define SCAN_ROUNDS_MAX 100000

void
cluster_redis_close(struct cluster *c)
{
	if (c->cmd)
		redisFree(c->cmd);
	if (c->sub)
		redisFree(c->sub);
	c->cmd = c->sub = NULL;
}

static struct timeval
ms_tv(unsigned ms)
{
	return (struct timeval){ .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };
}

/* A reply that is not an error; otherwise its text (or the context's) in
 * err. Frees nothing. */
static bool
reply_ok(redisContext *r, redisReply *rep, char *err, size_t len)
{
	if (!rep) {
		snprintf(err, len, "%s", r->errstr[0] ? r->errstr : "connection lost");
		return false;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		snprintf(err, len, "%.*s", (int)rep->len, rep->str);
		return false;
	}
	return true;
}

static redisContext *
connect_one(struct cluster *c, char *err, size_t len)
{
	redisContext *r = c->host[0] == '/' ?
		redisConnectUnixWithTimeout(c->host, ms_tv(CONNECT_TIMEOUT_MS)) :
		redisConnectWithTimeout(c->host, c->port, ms_tv(CONNECT_TIMEOUT_MS));
	redisReply *rep;

	if (!r || r->err) {
		snprintf(err, len, "%s", r ? r->errstr : "out of memory");
		if (r)
			redisFree(r);
		return NULL;
	}
	if (fcntl(r->fd, F_SETFD, FD_CLOEXEC) < 0 || redisSetTimeout(r, ms_tv(COMMAND_TIMEOUT_MS))) {
		snprintf(err, len, "socket setup: %s", strerror(errno));
		redisFree(r);
		return NULL;
	}
	if (c->host[0] != '/')
		redisEnableKeepAlive(r);
#ifdef SIPWARDEN_HAVE_HIREDIS_SSL
	if (c->tls) {
		redisSSLContextError serr = REDIS_SSL_CTX_NONE;
		redisSSLContext *ssl = redisCreateSSLContext(c->tls_ca, NULL, c->tls_cert, c->tls_key,
							     c->tls_sni ? c->tls_sni : c->host, &serr);

		if (!ssl || redisInitiateSSLWithContext(r, ssl) != REDIS_OK) {
			snprintf(err, len, "TLS: %s", ssl ? r->errstr : redisSSLContextGetError(serr));
			/* the context is the connection's once initiated */
			if (ssl && !r->privctx)
				redisFreeSSLContext(ssl);
			redisFree(r);
			return NULL;
		}
	}
#endif
	if (c->password) {
		rep = c->user ? redisCommand(r, "AUTH %s %s", c->user, c->password) :
				redisCommand(r, "AUTH %s", c->password);
		if (!reply_ok(r, rep, err, len)) {
			if (rep)
				freeReplyObject(rep);
			redisFree(r);
			return NULL;
		}
		freeReplyObject(rep);
	}
	return r;
}

/* Read n pipelined replies; errors replies are counted (and logged,
 * rate-limited). 0, or -EIO when the connection failed. */
static int
read_replies(struct cluster *c, unsigned n, const char *what)
{
	int ret = 0;

	for (unsigned i = 0; i < n; i++) {
		redisReply *rep = NULL;
		char err[160];

		if (ret == 0 && redisGetReply(c->cmd, (void **)&rep) != REDIS_OK) {
			ret = -EIO;
			continue;
		}
		if (ret == 0 && !reply_ok(c->cmd, rep, err, sizeof(err))) {
			cluster_count(&c->errors);
			if (log_ratelimit_take(&c->err_rl, clock_mono_ms(), NULL))
				log_msg(LOG_ERR, "cluster: redis refused %s: %s", what, err);
		}
		if (rep)
			freeReplyObject(rep);
	}
	return ret;
}

typedef void scan_fn(struct cluster *c, const char *key, size_t klen, const char *val,
		     size_t vlen, void *arg);

/*
 * SCAN MATCH pattern, then for each batch of keys either GET them (fn is
 * called with each value) or DEL them (fn NULL). Bounded: at most limit
 * keys and SCAN_ROUNDS_MAX rounds. 0 or -EIO.
 */
static int
scan_keys(struct cluster *c, const char *pattern, scan_fn *fn, void *arg, uint32_t limit)
{
	char cursor[32] = "0", err[160];
	uint32_t seen = 0;

	for (unsigned round = 0; round < SCAN_ROUNDS_MAX && seen < limit; round++) {
		redisReply *rep = redisCommand(c->cmd, "SCAN %s MATCH %s COUNT %d", cursor, pattern,
					       SCAN_COUNT), *keys;

		if (!reply_ok(c->cmd, rep, err, sizeof(err)) || rep->type != REDIS_REPLY_ARRAY ||
		    rep->elements != 2 || rep->element[0]->type != REDIS_REPLY_STRING ||
		    rep->element[1]->type != REDIS_REPLY_ARRAY) {
			if (rep)
				freeReplyObject(rep);
			return -EIO;
		}
		snprintf(cursor, sizeof(cursor), "%s", rep->element[0]->str);
		keys = rep->element[1];
		for (size_t i = 0; i < keys->elements; i++)
			redisAppendCommand(c->cmd, fn ? "GET %b" : "DEL %b", keys->element[i]->str,
					   keys->element[i]->len);
		for (size_t i = 0; i < keys->elements; i++) {
			redisReply *v = NULL;

			if (redisGetReply(c->cmd, (void **)&v) != REDIS_OK) {
				freeReplyObject(rep);
				return -EIO;
			}
			if (fn && v->type == REDIS_REPLY_STRING)
				fn(c, keys->element[i]->str, keys->element[i]->len, v->str, v->len,
				   arg);
			freeReplyObject(v);
		}
		seen += (uint32_t)keys->elements;
		freeReplyObject(rep);
		if (strcmp(cursor, "0") == 0)
			break;
	}
	return 0;
}

static void
load_ban(struct cluster *c, const char *key, size_t klen, const char *val, size_t vlen,
	 void *arg)
{
	struct cluster_msg m;
	char name[CLUSTER_KEYNAME_MAX];
	int n;

	(void)arg;
	/* A stored ban is bounded by its own expiry, not by the window. */
	if (cluster_open(c, val, vlen, false, &m) < 0 || m.op != CLUSTER_OP_BAN)
		return;
	/* The value must be the key's own ban. */
	n = cluster_key_name(c->prefix, &m.key, name, sizeof(name));
	if (n < 0 || (size_t)n != klen || memcmp(name, key, klen) != 0)
		return;
	cluster_apply_peer_seen(c, m.node);
	cluster_apply_ban(c, &m, true);
	c->loaded++;
}

static void
load_allow(struct cluster *c, const char *key, size_t klen, const char *val, size_t vlen,
	   void *arg)
{
	struct cluster_msg m;
	char name[CLUSTER_KEYNAME_MAX];
	int n;

	(void)arg;
	if (cluster_open(c, val, vlen, false, &m) < 0 || m.op != CLUSTER_OP_ALLOW)
		return;
	n = cluster_allow_key_name(c->prefix, &m.key, name, sizeof(name));
	if (n < 0 || (size_t)n != klen || memcmp(name, key, klen) != 0)
		return;
	/* This node's own come back as they are in its list already (or
	 * were disallowed: flushed before the load). */
	if (strcmp(m.node, c->node) == 0)
		return;
	cluster_apply_peer_seen(c, m.node);
	cluster_apply_allow(c, &m, true);
}

static void
load_node(struct cluster *c, const char *key, size_t klen, const char *val, size_t vlen,
	  void *arg)
{
	struct cluster_msg m;

	(void)key;
	(void)klen;
	(void)arg;
	if (cluster_open(c, val, vlen, false, &m) == 0 && m.op == CLUSTER_OP_HELLO)
		cluster_apply_peer_seen(c, m.node);
}

/* How append_event() stores an event's line under its key. */
enum store { STORE_DEL, STORE_SET, STORE_SET_EX };

/*
 * Append the store (DEL the key, SET it, or SET it with EX ttl seconds)
 * and the PUBLISH of one of this node's events, its line signed at now
 * and its key named by key_name (ban or allow). The number of commands
 * appended: 2, or 0 when the line or the key does not fit.
 */
static unsigned
append_event(struct cluster *c, const struct cluster_msg *m, int64_t now,
	     int (*key_name)(const char *, const struct ban_key *, char *, size_t),
	     enum store how, int64_t ttl)
{
	char line[CLUSTER_LINE_MAX + 1], key[CLUSTER_KEYNAME_MAX];

	if (cluster_msg_encode_signed(&c->auth, m, now, line, sizeof(line)) < 0 ||
	    key_name(c->prefix, &m->key, key, sizeof(key)) < 0)
		return 0;
	if (how == STORE_SET_EX)
		redisAppendCommand(c->cmd, "SET %s %s EX %lld", key, line, (long long)ttl);
	else if (how == STORE_SET)
		redisAppendCommand(c->cmd, "SET %s %s", key, line);
	else
		redisAppendCommand(c->cmd, "DEL %s", key);
	redisAppendCommand(c->cmd, "PUBLISH %s %s", c->channel, line);
	cluster_count(&c->published);
	return 2;
}

/* A ban is stored for the time it has left; none left, nothing to send. */
static unsigned
append_ban(struct cluster *c, const struct cluster_msg *m, int64_t now)
{
	int64_t left = m->time - now;

	return left > 0 ? append_event(c, m, now, cluster_key_name, STORE_SET_EX, left) : 0;
}

static unsigned
append_unban(struct cluster *c, const struct cluster_msg *m)
{
	return append_event(c, m, clock_wall_s(), cluster_key_name, STORE_DEL, 0);
}

/* An allow with a time is stored for what it has left (expired: nothing);
 * a permanent one (time 0) without expiry. */
static unsigned
append_allow(struct cluster *c, const struct cluster_msg *m, int64_t now)
{
	if (m->time && m->time <= now)
		return 0;
	return append_event(c, m, now, cluster_allow_key_name, m->time ? STORE_SET_EX : STORE_SET,
			    m->time - now);
}

static unsigned
append_disallow(struct cluster *c, const struct cluster_msg *m)
{
	return append_event(c, m, clock_wall_s(), cluster_allow_key_name, STORE_DEL, 0);
}

static int
send_unban_all(struct cluster *c)
{
	char pattern[CLUSTER_PREFIX_MAX + 8], line[CLUSTER_LINE_MAX + 1];
	struct cluster_msg m = { .op = CLUSTER_OP_UNBAN_ALL };

	memcpy(m.node, c->node, sizeof(m.node));
	snprintf(pattern, sizeof(pattern), "%sban:*", c->prefix);
	if (scan_keys(c, pattern, NULL, NULL, UINT32_MAX) < 0 ||
	    cluster_msg_encode_signed(&c->auth, &m, clock_wall_s(), line, sizeof(line)) < 0)
		return -EIO;
	redisAppendCommand(c->cmd, "PUBLISH %s %s", c->channel, line);
	cluster_count(&c->published);
	return read_replies(c, 1, "PUBLISH");
}

/* Send a batch of this node's events. 0 or -EIO (link lost). */
int
cluster_redis_send_batch(struct cluster *c, const struct cluster_msg *v, uint32_t n)
{
	int64_t now = clock_wall_s();
	unsigned pending = 0;

	for (uint32_t i = 0; i < n; i++) {
		switch (v[i].op) {
		case CLUSTER_OP_BAN:
			pending += append_ban(c, &v[i], now);
			break;
		case CLUSTER_OP_UNBAN:
			pending += append_unban(c, &v[i]);
			break;
		case CLUSTER_OP_ALLOW:
			pending += append_allow(c, &v[i], now);
			break;
		case CLUSTER_OP_DISALLOW:
			pending += append_disallow(c, &v[i]);
			break;
		case CLUSTER_OP_UNBAN_ALL:
			if (read_replies(c, pending, "a ban update") < 0 || send_unban_all(c) < 0)
				return -EIO;
			pending = 0;
			break;
		default:
			break;
		}
	}
	return read_replies(c, pending, "a ban update");
}

int
cluster_redis_share_known(struct cluster *c)
{
	struct knowntab_entry e[BATCH];
	char line[CLUSTER_LINE_MAX + 1];
	uint64_t now_ms = clock_mono_ms();
	int64_t now = clock_wall_s();
	uint32_t n = knowntab_take_shares(c->known, e, BATCH);
	unsigned pending = 0;

	/* Monitor mode publishes nothing (cluster.h): the outbox is drained
	 * all the same, so it cannot fill. */
	if (atomic_load_explicit(&c->monitor, memory_order_relaxed))
		return 0;
	for (uint32_t i = 0; i < n; i++) {
		struct cluster_msg m = { .op = CLUSTER_OP_KNOWN, .known = e[i].h };

		memcpy(m.node, c->node, sizeof(m.node));
		m.time = now - (int64_t)((now_ms - (e[i].ms < now_ms ? e[i].ms : now_ms)) / 1000u);
		if (cluster_msg_encode_signed(&c->auth, &m, now, line, sizeof(line)) < 0)
			continue;
		redisAppendCommand(c->cmd, "PUBLISH %s %s", c->channel, line);
		pending++;
	}
	atomic_fetch_add_explicit(&c->known_shared, pending, memory_order_relaxed);
	return read_replies(c, pending, "a known source");
}

int
cluster_redis_hello(struct cluster *c)
{
	char line[CLUSTER_LINE_MAX + 1], key[CLUSTER_PREFIX_MAX + CLUSTER_NODE_MAX + 8];
	struct cluster_msg m = { .op = CLUSTER_OP_HELLO, .time = clock_wall_s() };

	memcpy(m.node, c->node, sizeof(m.node));
	if (cluster_msg_encode_signed(&c->auth, &m, m.time, line, sizeof(line)) < 0)
		return 0;
	snprintf(key, sizeof(key), "%snode:%s", c->prefix, c->node);
	redisAppendCommand(c->cmd, "SET %s %s EX %d", key, line, NODE_TTL_S);
	redisAppendCommand(c->cmd, "PUBLISH %s %s", c->channel, line);
	return read_replies(c, 2, "the node's hello");
}

struct own {
	struct cluster *c;
	struct cluster_msg *v;
	size_t n, cap;
	uint64_t now_ms;
	int64_t now;
};

/* Runs under a ban table shard lock: copy and return. */
static void
collect_own(const struct ban_info *b, void *arg)
{
	struct own *o = arg;
	char node[CLUSTER_NODE_MAX + 1];
	struct cluster_msg *m;

	if (b->reason == BAN_REASON_BLOCKLIST ||
	    !cluster_origins_get(o->c->origins, b->key, node, sizeof(node)) ||
	    strcmp(node, o->c->node) != 0)
		return;
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 256;

		m = realloc(o->v, cap * sizeof(*m));
		if (!m)
			return;
		o->v = m;
		o->cap = cap;
	}
	m = &o->v[o->n++];
	memset(m, 0, offsetof(struct cluster_msg, key));
	m->op = CLUSTER_OP_BAN;
	memcpy(m->node, o->c->node, sizeof(m->node));
	memcpy(&m->key, b->key, offsetof(struct ban_key, data) + b->key->len);
	m->reason = b->reason;
	m->time = o->now + (int64_t)((b->expires_ms - o->now_ms + 999) / 1000);
}

/* Store and publish every live ban this node made. */
int
cluster_redis_republish_own(struct cluster *c)
{
	struct own o = { .c = c, .now_ms = clock_mono_ms(), .now = clock_wall_s() };
	int ret = 0;

	bantab_foreach(c->bans, o.now_ms, collect_own, &o);
	for (size_t i = 0; i < o.n && ret == 0; i += BATCH)
		ret = cluster_redis_send_batch(c, o.v + i, o.n - i < BATCH ? (uint32_t)(o.n - i) : BATCH);
	c->republished = (uint32_t)o.n;
	free(o.v);
	return ret;
}

struct own_allows {
	struct cluster *c;
	struct cluster_msg *v;
	size_t n, cap;
};

/* Under the allow-list's lock: copy and return. */
static void
collect_own_allow(const struct allow_entry *e, void *arg)
{
	struct own_allows *o = arg;
	struct cluster_msg *m;

	if (e->origin[0])
		return; /* a peer's */
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 64;

		m = realloc(o->v, cap * sizeof(*m));
		if (!m)
			return;
		o->v = m;
		o->cap = cap;
	}
	m = &o->v[o->n++];
	memset(m, 0, sizeof(*m));
	m->op = CLUSTER_OP_ALLOW;
	memcpy(m->node, o->c->node, sizeof(m->node));
	memcpy(&m->key, &e->key, offsetof(struct ban_key, data) + e->key.len);
	m->time = e->expires;
	snprintf(m->comment, sizeof(m->comment), "%s", e->comment);
}

int
cluster_redis_republish_allows(struct cluster *c)
{
	struct own_allows o = { .c = c };
	int ret = 0;

	if (!c->allow)
		return 0;
	allowlist_foreach(c->allow, collect_own_allow, &o);
	for (size_t i = 0; i < o.n && ret == 0; i += BATCH)
		ret = cluster_redis_send_batch(c, o.v + i, o.n - i < BATCH ? (uint32_t)(o.n - i) : BATCH);
	free(o.v);
	return ret;
}

/* The unbans made while the link was down. */
static int
flush_pending(struct cluster *c)
{
	struct cluster_msg m = { .op = CLUSTER_OP_UNBAN };
	unsigned pending = 0;
	int ret;

	memcpy(m.node, c->node, sizeof(m.node));
	c->flushed = c->n_pending + c->pending_all;
	if (c->pending_all && send_unban_all(c) < 0)
		return -EIO;
	c->pending_all = false;
	for (uint32_t i = 0; i < c->n_pending; i++) {
		memcpy(&m.key, &c->pending[i], offsetof(struct ban_key, data) + c->pending[i].len);
		pending += append_unban(c, &m);
	}
	m.op = CLUSTER_OP_DISALLOW;
	for (uint32_t i = 0; i < c->n_pending_dis; i++) {
		memcpy(&m.key, &c->pending_dis[i],
		       offsetof(struct ban_key, data) + c->pending_dis[i].len);
		pending += append_disallow(c, &m);
	}
	ret = read_replies(c, pending, "an unban");
	if (ret == 0)
		c->n_pending = c->n_pending_dis = 0;
	return ret;
}

int
cluster_redis_link_up(struct cluster *c, char *err, size_t len)
{
	char pattern[CLUSTER_PREFIX_MAX + 8];
	redisReply *rep;

	c->loaded = c->republished = c->flushed = 0;
	c->cmd = connect_one(c, err, len);
	c->sub = c->cmd ? connect_one(c, err, len) : NULL;
	if (!c->sub)
		return -EIO;
	/* Subscribe first: a ban published during the load is not missed. */
	rep = redisCommand(c->sub, "SUBSCRIBE %s", c->channel);
	if (!reply_ok(c->sub, rep, err, len) || rep->type != REDIS_REPLY_ARRAY) {
		if (rep)
			freeReplyObject(rep);
		return -EIO;
	}
	freeReplyObject(rep);
	snprintf(err, len, "connection lost");
	if (flush_pending(c) < 0)
		return -EIO;
	snprintf(pattern, sizeof(pattern), "%sban:*", c->prefix);
	if (scan_keys(c, pattern, load_ban, NULL, 2 * c->max_bans + 1024) < 0)
		return -EIO;
	/* The cluster's allows, bounded by the list (a full list refuses). */
	snprintf(pattern, sizeof(pattern), "%sallow:*", c->prefix);
	if (c->allow && scan_keys(c, pattern, load_allow, NULL, 2 * c->max_allowed + 1024) < 0)
		return -EIO;
	snprintf(pattern, sizeof(pattern), "%snode:*", c->prefix);
	if (scan_keys(c, pattern, load_node, NULL, 4096) < 0 || cluster_redis_republish_own(c) < 0 ||
	    cluster_redis_republish_allows(c) < 0 || cluster_redis_hello(c) < 0)
		return -EIO;
	if (c->cmd->err)
		snprintf(err, len, "%s", c->cmd->errstr);
	return 0;
}
