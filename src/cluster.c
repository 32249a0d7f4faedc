/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "banops.h"
#include "build_config.h"
#include "clock.h"
#include "cluster.h"
#include "cluster_proto.h"
#include "log.h"

#ifdef SIPWARDEN_HAVE_HIREDIS_SSL
#include <hiredis/hiredis_ssl.h>
#endif

#define QUEUE_CAP 8192
#define BATCH 256              /* events sent per pipeline */
#define CONNECT_TIMEOUT_MS 1000
#define COMMAND_TIMEOUT_MS 2000
#define BACKOFF_FIRST_MS 500
#define BACKOFF_MAX_MS 30000
#define TICK_MS 1000
#define HELLO_MS 5000
#define NODE_TTL_S 15          /* <prefix>node:<name> outlives 3 hellos */
#define PENDING_MAX 4096       /* unbans kept while the link is down */
#define SCAN_COUNT 500
#define SCAN_ROUNDS_MAX 100000
#define REPUBLISH_MIN_MS 5000  /* after queue drops: at most this often */

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

	struct cluster_queue q;
	struct cluster_origins *origins;
	volatile int *kset_dirty;
	int wake_fd;
	pthread_t thread;
	bool running;
	int stop;     /* atomic */
	bool monitor; /* atomic: what the daemon runs in */

	/* the cluster thread's own */
	struct banops ops;
	redisContext *cmd, *sub;
	bool ever_up, outage_logged;
	uint64_t backoff_ms, next_try_ms, down_since_ms, next_hello_ms, next_republish_ms;
	uint64_t drops_seen;
	struct ban_key *pending;      /* unbans made while the link was down */
	uint32_t n_pending;
	bool pending_all;
	struct cluster_msg batch[BATCH];
	struct log_ratelimit apply_rl, err_rl;
	uint32_t loaded, republished, flushed; /* last link-up, for its log line */

	/* shared with the main thread, under lock */
	pthread_mutex_t lock;
	pthread_cond_t first_cond;
	bool first_done;
	enum ctl_link link;
	uint64_t link_since_ms;
	struct peer peers[CTL_MAX_PEERS];
	unsigned n_peers;
	struct addr_net *trusted;
	unsigned n_trusted;

	/* counters (atomic) */
	uint64_t published, applied, errors, outages;
};

static void
count(uint64_t *c)
{
	__atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

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
peer_seen(struct cluster *c, const char *node)
{
	unsigned i, oldest = 0;

	if (strcmp(node, c->node) == 0)
		return;
	pthread_mutex_lock(&c->lock);
	for (i = 0; i < c->n_peers; i++) {
		if (strcmp(c->peers[i].node, node) == 0)
			break;
		if (c->peers[i].seen_ms < c->peers[oldest].seen_ms)
			oldest = i;
	}
	if (i == c->n_peers) {
		if (c->n_peers < CTL_MAX_PEERS)
			c->n_peers++;
		else
			i = oldest;
		snprintf(c->peers[i].node, sizeof(c->peers[i].node), "%s", node);
	}
	c->peers[i].seen_ms = clock_mono_ms();
	pthread_mutex_unlock(&c->lock);
}

static bool
nets_overlap(const struct addr_net *x, const struct addr_net *y)
{
	if (x->base.family != y->base.family)
		return false;
	return x->plen <= y->plen ? addr_net_contains(x, &y->base) : addr_net_contains(y, &x->base);
}

/* Would this IP ban cover an address this node trusts (whitelist, peers)? */
static bool
ban_trusted(struct cluster *c, const struct ban_key *k)
{
	struct addr_net n;
	bool t = false;

	if (k->kind != BAN_KIND_IP)
		return false;
	memcpy(&n.base, k->data, sizeof(n.base));
	n.plen = k->plen;
	pthread_mutex_lock(&c->lock);
	for (unsigned i = 0; i < c->n_trusted && !t; i++)
		t = nets_overlap(&c->trusted[i], &n);
	pthread_mutex_unlock(&c->lock);
	return t;
}

/* ---- the main thread's and the workers' side ---- */

static void
enqueue(struct cluster *c, const struct cluster_msg *m)
{
	uint64_t one = 1;

	if (cluster_queue_push(&c->q, m) == 1 && write(c->wake_fd, &one, sizeof(one)) < 0) {
		/* the counter is saturated: the thread is awake anyway */
	}
}

void
cluster_publish_ban(struct cluster *c, const struct ban_key *k, enum ban_reason r,
		    uint32_t secs)
{
	struct cluster_msg m;
	int64_t now = clock_wall_s();

	if (!c || __atomic_load_n(&c->monitor, __ATOMIC_RELAXED) || r == BAN_REASON_BLOCKLIST)
		return;
	memset(&m, 0, offsetof(struct cluster_msg, key));
	m.op = CLUSTER_OP_BAN;
	memcpy(&m.key, k, offsetof(struct ban_key, data) + k->len);
	m.reason = r;
	m.time = now + (secs ? secs : 1);
	memcpy(m.node, c->node, sizeof(m.node));
	/* Recorded here, not by the thread: a ban whose event a full queue
	 * drops is still this node's, and re-published as such. */
	cluster_origins_set(c->origins, k, c->node, m.time, false, now);
	enqueue(c, &m);
}

void
cluster_publish_unban(struct cluster *c, const struct ban_key *k)
{
	struct cluster_msg m;

	if (!c || __atomic_load_n(&c->monitor, __ATOMIC_RELAXED))
		return;
	memset(&m, 0, offsetof(struct cluster_msg, key));
	m.op = CLUSTER_OP_UNBAN;
	memcpy(&m.key, k, offsetof(struct ban_key, data) + k->len);
	memcpy(m.node, c->node, sizeof(m.node));
	cluster_origins_del(c->origins, k);
	enqueue(c, &m);
}

void
cluster_publish_unban_all(struct cluster *c)
{
	struct cluster_msg m;

	if (!c || __atomic_load_n(&c->monitor, __ATOMIC_RELAXED))
		return;
	memset(&m, 0, sizeof(m));
	m.op = CLUSTER_OP_UNBAN_ALL;
	memcpy(m.node, c->node, sizeof(m.node));
	cluster_origins_clear(c->origins);
	enqueue(c, &m);
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
	st->published = __atomic_load_n(&c->published, __ATOMIC_RELAXED);
	st->applied = __atomic_load_n(&c->applied, __ATOMIC_RELAXED);
	st->errors = __atomic_load_n(&c->errors, __ATOMIC_RELAXED);
	st->outages = __atomic_load_n(&c->outages, __ATOMIC_RELAXED);
	st->queue_dropped = cluster_queue_dropped(&c->q);
}

/* ---- applying what other nodes published (cluster thread) ---- */

static void
apply_ban(struct cluster *c, const struct cluster_msg *m, bool loading)
{
	char key[3 * BAN_KEY_MAX + 1];
	int64_t now = clock_wall_s(), left = m->time - now;
	uint64_t errs = c->ops.kset_errors;
	struct log_fields lf = { .event = "cluster-ban" };
	int ret;

	if (left <= 0)
		return;
	cluster_key_text(&m->key, key, sizeof(key));
	if (ban_trusted(c, &m->key)) {
		if (log_ratelimit_take(&c->apply_rl, clock_mono_ms(), NULL))
			log_msg(LOG_WARNING, "cluster: not applying node '%s''s ban of '%s': it "
				"covers a whitelisted address or peering server here", m->node, key);
		return;
	}
	ret = banops_ban(&c->ops, &m->key, m->reason, left > UINT32_MAX ? UINT32_MAX : (uint32_t)left,
			 clock_mono_ms());
	if (c->ops.kset_errors != errs)
		__atomic_store_n(c->kset_dirty, 1, __ATOMIC_RELEASE);
	if (ret < 0) {
		if (log_ratelimit_take(&c->err_rl, clock_mono_ms(), NULL))
			log_msg(LOG_ERR, "cluster: cannot apply node '%s''s ban of '%s': %s", m->node,
				key, strerror(-ret));
		return;
	}
	/* A ban this node holds already keeps its origin. */
	cluster_origins_set(c->origins, &m->key, m->node, m->time, ret == 0, now);
	count(&c->applied);
	if (ret == 1 && !loading && log_ratelimit_take(&c->apply_rl, clock_mono_ms(), NULL)) {
		if (m->key.kind == BAN_KIND_IP)
			lf.ip = key;
		else
			lf.user = key;
		log_event(LOG_NOTICE, &lf, "cluster: %s '%s' banned by node '%s' (%s) for %" PRId64
			  " s", m->key.kind == BAN_KIND_IP ? "IP" : "user", key, m->node,
			  ban_reason_name(m->reason), left);
	}
}

static void
apply_msg(struct cluster *c, const struct cluster_msg *m)
{
	char key[3 * BAN_KEY_MAX + 1];

	if (strcmp(m->node, c->node) == 0)
		return; /* our own, back from the channel */
	peer_seen(c, m->node);
	switch (m->op) {
	case CLUSTER_OP_BAN:
		apply_ban(c, m, false);
		break;
	case CLUSTER_OP_UNBAN:
		cluster_origins_del(c->origins, &m->key);
		if (banops_unban(&c->ops, &m->key) == 0) {
			count(&c->applied);
			log_msg(LOG_NOTICE, "cluster: %s '%s' unbanned by node '%s'",
				m->key.kind == BAN_KIND_IP ? "IP" : "user",
				(cluster_key_text(&m->key, key, sizeof(key)), key), m->node);
		}
		break;
	case CLUSTER_OP_UNBAN_ALL:
		cluster_origins_clear(c->origins);
		log_msg(LOG_NOTICE, "cluster: every ban lifted by node '%s' (%u)", m->node,
			banops_unban_all(&c->ops));
		count(&c->applied);
		break;
	default:
		break;
	}
}

/* ---- Redis ---- */

static void
close_links(struct cluster *c)
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
			count(&c->errors);
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
	if (cluster_msg_decode(val, vlen, &m) < 0 || m.op != CLUSTER_OP_BAN)
		return;
	/* The value must be the key's own ban. */
	n = cluster_key_name(c->prefix, &m.key, name, sizeof(name));
	if (n < 0 || (size_t)n != klen || memcmp(name, key, klen) != 0)
		return;
	peer_seen(c, m.node);
	apply_ban(c, &m, true);
	c->loaded++;
}

static void
load_node(struct cluster *c, const char *key, size_t klen, const char *val, size_t vlen,
	  void *arg)
{
	struct cluster_msg m;

	(void)key;
	(void)klen;
	(void)arg;
	if (cluster_msg_decode(val, vlen, &m) == 0 && m.op == CLUSTER_OP_HELLO)
		peer_seen(c, m.node);
}

/* Append SET + PUBLISH of one ban; the number of commands appended. */
static unsigned
append_ban(struct cluster *c, const struct cluster_msg *m, int64_t now)
{
	char line[CLUSTER_LINE_MAX + 1], key[CLUSTER_KEYNAME_MAX];
	int64_t left = m->time - now;

	if (left <= 0 || cluster_msg_encode(m, line, sizeof(line)) < 0 ||
	    cluster_key_name(c->prefix, &m->key, key, sizeof(key)) < 0)
		return 0;
	redisAppendCommand(c->cmd, "SET %s %s EX %lld", key, line, (long long)left);
	redisAppendCommand(c->cmd, "PUBLISH %s %s", c->channel, line);
	count(&c->published);
	return 2;
}

static unsigned
append_unban(struct cluster *c, const struct cluster_msg *m)
{
	char line[CLUSTER_LINE_MAX + 1], key[CLUSTER_KEYNAME_MAX];

	if (cluster_msg_encode(m, line, sizeof(line)) < 0 ||
	    cluster_key_name(c->prefix, &m->key, key, sizeof(key)) < 0)
		return 0;
	redisAppendCommand(c->cmd, "DEL %s", key);
	redisAppendCommand(c->cmd, "PUBLISH %s %s", c->channel, line);
	count(&c->published);
	return 2;
}

static int
send_unban_all(struct cluster *c)
{
	char pattern[CLUSTER_PREFIX_MAX + 8], line[CLUSTER_LINE_MAX + 1];
	struct cluster_msg m = { .op = CLUSTER_OP_UNBAN_ALL };

	memcpy(m.node, c->node, sizeof(m.node));
	snprintf(pattern, sizeof(pattern), "%sban:*", c->prefix);
	if (scan_keys(c, pattern, NULL, NULL, UINT32_MAX) < 0 ||
	    cluster_msg_encode(&m, line, sizeof(line)) < 0)
		return -EIO;
	redisAppendCommand(c->cmd, "PUBLISH %s %s", c->channel, line);
	count(&c->published);
	return read_replies(c, 1, "PUBLISH");
}

/* Send a batch of this node's events. 0 or -EIO (link lost). */
static int
send_batch(struct cluster *c, const struct cluster_msg *v, uint32_t n)
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

static int
hello(struct cluster *c)
{
	char line[CLUSTER_LINE_MAX + 1], key[CLUSTER_PREFIX_MAX + CLUSTER_NODE_MAX + 8];
	struct cluster_msg m = { .op = CLUSTER_OP_HELLO, .time = clock_wall_s() };

	memcpy(m.node, c->node, sizeof(m.node));
	if (cluster_msg_encode(&m, line, sizeof(line)) < 0)
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
static int
republish_own(struct cluster *c)
{
	struct own o = { .c = c, .now_ms = clock_mono_ms(), .now = clock_wall_s() };
	int ret = 0;

	bantab_foreach(c->ops.bans, o.now_ms, collect_own, &o);
	for (size_t i = 0; i < o.n && ret == 0; i += BATCH)
		ret = send_batch(c, o.v + i, o.n - i < BATCH ? (uint32_t)(o.n - i) : BATCH);
	c->republished = (uint32_t)o.n;
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
	ret = read_replies(c, pending, "an unban");
	if (ret == 0)
		c->n_pending = 0;
	return ret;
}

static int
link_up(struct cluster *c, char *err, size_t len)
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
	snprintf(pattern, sizeof(pattern), "%snode:*", c->prefix);
	if (scan_keys(c, pattern, load_node, NULL, 4096) < 0 || republish_own(c) < 0 ||
	    hello(c) < 0)
		return -EIO;
	if (c->cmd->err)
		snprintf(err, len, "%s", c->cmd->errstr);
	return 0;
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
	if (link_up(c, err, sizeof(err)) == 0) {
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
	close_links(c);
	count(&c->errors);
	if (!c->outage_logged) {
		count(&c->outages);
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
	close_links(c);
	count(&c->errors);
	count(&c->outages);
	c->down_since_ms = clock_mono_ms();
	log_msg(LOG_ERR, "cluster: lost the link to redis %s: %s; bans stay enforced locally, "
		"reconnecting with backoff (logged once until it is back)", c->server, why);
	c->outage_logged = true;
	c->backoff_ms = BACKOFF_FIRST_MS;
	c->next_try_ms = c->down_since_ms + c->backoff_ms;
	set_link(c, CTL_LINK_DOWN);
}

/* While the link is down, events wait as state: bans are in the table
 * (re-published when the link is back), unbans are kept here. */
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
			count(&c->errors);
		}
	}
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
		    cluster_msg_decode(rep->element[2]->str, rep->element[2]->len, &m) == 0) {
			if (m.op == CLUSTER_OP_HELLO)
				peer_seen(c, m.node);
			else
				apply_msg(c, &m);
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
		if (send_batch(c, c->batch, n) < 0) {
			/* Unsent unbans wait for the link; bans are re-published. */
			keep_offline(c, c->batch, n);
			link_lost(c, c->cmd->errstr[0] ? c->cmd->errstr : "connection lost");
			return;
		}
	}
	now = clock_mono_ms();
	if (cluster_queue_dropped(&c->q) != c->drops_seen && now >= c->next_republish_ms) {
		/* Events were lost to a full queue: send the whole set again. */
		c->drops_seen = cluster_queue_dropped(&c->q);
		c->next_republish_ms = now + REPUBLISH_MIN_MS;
		if (republish_own(c) < 0) {
			link_lost(c, c->cmd->errstr[0] ? c->cmd->errstr : "connection lost");
			return;
		}
	}
	if (now >= c->next_hello_ms) {
		c->next_hello_ms = now + HELLO_MS;
		cluster_origins_prune(c->origins, clock_wall_s());
		if (hello(c) < 0)
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
	while ((n = cluster_queue_pop(&c->q, c->batch, BATCH)) > 0)
		keep_offline(c, c->batch, n);
	if (clock_mono_ms() >= c->next_try_ms)
		try_connect(c);
}

static void *
cluster_main(void *arg)
{
	struct cluster *c = arg;

	if (kernelset_open(&c->ops.ks) < 0)
		c->ops.ks = NULL; /* the table still drops; the daemon said why */
	try_connect(c);
	first_done(c);
	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		c->ops.monitor = __atomic_load_n(&c->monitor, __ATOMIC_RELAXED);
		if (c->cmd)
			run_up(c);
		else
			run_down(c);
	}
	close_links(c);
	kernelset_close(c->ops.ks);
	c->ops.ks = NULL;
	return NULL;
}

/* ---- life cycle ---- */

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
	unsigned n = cfg->n_whitelist + cfg->n_peering_servers;
	struct addr_net *t = n ? calloc(n, sizeof(*t)) : NULL;

	if (n && !t) {
		log_msg(LOG_ERR, "cluster: out of memory; trusted addresses unchanged");
		return;
	}
	if (cfg->n_whitelist)
		memcpy(t, cfg->whitelist, cfg->n_whitelist * sizeof(*t));
	if (cfg->n_peering_servers)
		memcpy(t + cfg->n_whitelist, cfg->peering_servers,
		       cfg->n_peering_servers * sizeof(*t));
	pthread_mutex_lock(&c->lock);
	free(c->trusted);
	c->trusted = t;
	c->n_trusted = n;
	pthread_mutex_unlock(&c->lock);
	__atomic_store_n(&c->monitor, cfg->mode == CONFIG_MODE_MONITOR, __ATOMIC_RELAXED);
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
	free(c->pending);
	free(c->trusted);
	free(c->host);
	free(c->user);
	free(c->password);
	free(c->tls_ca);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->tls_sni);
	pthread_cond_destroy(&c->first_cond);
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
	snprintf(buf, len, "%s", h);
}

int
cluster_start(struct cluster **out, const struct config *cfg, struct bantab *bans,
	      volatile int *kset_dirty)
{
	struct cluster *c = calloc(1, sizeof(*c));
	struct timespec until;
	bool oom = false;
	int ret;

	*out = NULL;
	if (!c)
		return -ENOMEM;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->first_cond, NULL);
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
	c->kset_dirty = kset_dirty;
	c->ops.bans = bans;
	c->origins = cluster_origins_new(cfg->max_bans);
	c->pending = calloc(PENDING_MAX, sizeof(*c->pending));
	c->apply_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(20, 100);
	c->err_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(1, 10);
	c->link_since_ms = clock_mono_ms();
	if (oom || !c->host || c->wake_fd < 0 || !c->origins || !c->pending ||
	    cluster_queue_init(&c->q, QUEUE_CAP) < 0) {
		cluster_free(c);
		return -ENOMEM;
	}
	set_trusted(c, cfg);
#ifndef SIPWARDEN_HAVE_HIREDIS_SSL
	if (c->tls) {
		/* config_keys refuses it already; never fall back to plain text */
		cluster_free(c);
		return -EPROTONOSUPPORT;
	}
#endif
	ret = pthread_create(&c->thread, NULL, cluster_main, c);
	if (ret) {
		cluster_free(c);
		return -ret;
	}
	c->running = true;
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
	__atomic_store_n(&c->stop, 1, __ATOMIC_RELEASE);
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
