/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "banops.h"
#include "clock.h"
#include "kernelset.h"
#include "log.h"

#define IDLE_WAIT_MS 1000
#define DRAIN_BATCH 64
#define LINE_WHAT 16
#define LINE_BY 288     /* a peer's node name, escaped (4 x CLUSTER_NODE_MAX) */

enum job_op { JOB_ADD, JOB_DEL, JOB_FLUSH };

/* One queued kernel-set change and the line that goes with it. */
struct job {
	enum job_op op;
	enum ban_reason reason;
	uint32_t secs;
	bool has_ev;
	struct event ev;
	char what[LINE_WHAT];
	char by[LINE_BY];
	struct ban_key key;
};

struct banops {
	struct bantab *bans;
	atomic_bool monitor;
	banops_publish_fn publish;
	void *publish_ctx;
	struct evidence *evidence;
	struct allowlist *allow;

	pthread_mutex_t lock;   /* the ring and the flags below it */
	pthread_cond_t wake;
	struct job *ring;
	uint32_t cap, head, n;
	bool resync_due;
	bool stop;
	uint64_t queue_full, lines_lost, resyncs;
	uint64_t full_logged;   /* queue_full when last said */

	pthread_t thread;
	bool running;
	/* the thread's own (before it starts: banops_start's) */
	struct kernelset *ks;
	bool set_broken;        /* logged once per failure streak */
	uint64_t retry_ms;
	atomic_uint_fast64_t kset_errors;
	struct log_ratelimit full_rl;
	struct log_ratelimit line_rl;
	/* new bans with a verdict's line (BANOPS_LINES_*), any thread */
	struct log_ratelimit new_ip, new_user;
	struct job batch[DRAIN_BATCH];
};

struct banops *
banops_new(struct bantab *bans, uint32_t cap, bool monitor)
{
	struct banops *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->cap = cap ? cap : BANOPS_QUEUE_DEFAULT;
	b->ring = calloc(b->cap, sizeof(*b->ring));
	if (!b->ring) {
		free(b);
		return NULL;
	}
	b->bans = bans;
	atomic_init(&b->monitor, monitor);
	atomic_init(&b->kset_errors, 0);
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->wake, NULL);
	b->full_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(1, 1);
	b->line_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(20, 100);
	b->new_ip = (struct log_ratelimit)LOG_RATELIMIT_INIT(BANOPS_LINES_IP_RATE,
							     BANOPS_LINES_IP_BURST);
	b->new_user = (struct log_ratelimit)LOG_RATELIMIT_INIT(BANOPS_LINES_USER_RATE,
							       BANOPS_LINES_USER_BURST);
	return b;
}

void
banops_set_publish(struct banops *b, banops_publish_fn fn, void *ctx)
{
	b->publish = fn;
	b->publish_ctx = ctx;
}

void
banops_set_evidence(struct banops *b, struct evidence *ev)
{
	b->evidence = ev;
}

void
banops_set_allowlist(struct banops *b, struct allowlist *al)
{
	b->allow = al;
}

void
banops_set_monitor(struct banops *b, bool monitor)
{
	atomic_store(&b->monitor, monitor);
}

bool
banops_monitor(const struct banops *b)
{
	return atomic_load(&((struct banops *)b)->monitor);
}

/* Queue a job, or when the ring is full have the thread resync instead:
 * the table is right already, and a resync makes the kernel agree with
 * it. Returns false when the job did not fit. */
static bool
enqueue(struct banops *b, const struct job *j)
{
	bool fit;

	pthread_mutex_lock(&b->lock);
	fit = b->n < b->cap;
	if (fit) {
		b->ring[(b->head + b->n) % b->cap] = *j;
		b->n++;
	} else {
		b->queue_full++;
		if (j->has_ev || j->what[0])
			b->lines_lost++;
		b->resync_due = true;
	}
	pthread_cond_signal(&b->wake);
	pthread_mutex_unlock(&b->lock);
	return fit;
}

int
banops_ban(struct banops *b, const struct ban_key *k, enum ban_reason r, uint32_t secs,
	   uint64_t now_ms, unsigned flags, const struct banops_line *line)
{
	struct ban_key gone;
	bool monitor = atomic_load(&b->monitor);
	struct job j;
	int ret;

	/* The one gate every ban passes: an allow made while a worker was
	 * deciding, a peer's or a blocklist's ban of an allowed network, is
	 * refused here (the policy narrows its own around allows already). */
	if (b->allow && allowlist_covers_key(b->allow, k))
		return -EPERM;
	/* A verdict's new ban: its line will be logged whatever the log
	 * budget says, so the bans are what is counted (banops.h). One that
	 * exists already is only extended, with no line: not counted. */
	if (line && line->ev && !bantab_check(b->bans, k, now_ms) &&
	    !log_ratelimit_take(k->kind == BAN_KIND_USER ? &b->new_user : &b->new_ip, now_ms, NULL))
		return -EBUSY;
	ret = bantab_add_evict(b->bans, k, r, now_ms, (uint64_t)secs * 1000u, &gone);

	/* An automatic ban evicted to make room (bans.h) leaves the kernel
	 * set too, in order with the adds. */
	if (gone.kind == BAN_KIND_IP && !monitor) {
		if (flags & BANOPS_BULK) {
			banops_resync_soon(b);
		} else {
			j.op = JOB_DEL;
			j.has_ev = false;
			j.what[0] = '\0';
			memcpy(&j.key, &gone, offsetof(struct ban_key, data) + gone.len);
			enqueue(b, &j);
		}
	}
	if (ret < 0)
		return ret;
	/* An extension too: the other nodes extend theirs. */
	if ((flags & BANOPS_PUBLISH) && !monitor && b->publish) {
		int pret = b->publish(b->publish_ctx, k, r, secs);

		if (line && line->publish_ret)
			*line->publish_ret = pret;
	}
	/* An extended ban goes on in the kernel with its first timeout; the
	 * daily resync renews it. */
	if (ret == 0)
		return ret;
	if (line && line->ev && b->evidence)
		evidence_record(b->evidence, line->ev, (uint64_t)clock_wall_s());
	if (flags & BANOPS_BULK) {
		banops_resync_soon(b);
		return ret;
	}
	if (!(line && (line->ev || (line->what && line->what[0]))) &&
	    (k->kind != BAN_KIND_IP || monitor))
		return ret; /* nothing for the thread to do */
	j.op = JOB_ADD;
	j.reason = r;
	j.secs = secs;
	j.has_ev = line && line->ev;
	if (j.has_ev)
		j.ev = *line->ev;
	snprintf(j.what, sizeof(j.what), "%s", line && line->what ? line->what : "");
	snprintf(j.by, sizeof(j.by), "%s", line && line->by ? line->by : "");
	memcpy(&j.key, k, offsetof(struct ban_key, data) + k->len);
	enqueue(b, &j);
	return ret;
}

int
banops_unban(struct banops *b, const struct ban_key *k, unsigned flags)
{
	int ret = bantab_del(b->bans, k);
	struct job j;

	if (ret == 0 && k->kind == BAN_KIND_IP && (flags & BANOPS_BULK)) {
		banops_resync_soon(b);
	} else if (ret == 0 && k->kind == BAN_KIND_IP) {
		j.op = JOB_DEL;
		j.has_ev = false;
		j.what[0] = '\0';
		memcpy(&j.key, k, offsetof(struct ban_key, data) + k->len);
		enqueue(b, &j);
	}
	return ret;
}

/* Does an allow of a cover the ban b (banops_lift())? */
static bool
allow_covers(const struct ban_key *a, const struct ban_key *b)
{
	struct addr x, y;
	unsigned p;

	if (a->kind != b->kind)
		return false;
	if (a->kind == BAN_KIND_USER)
		return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
	memcpy(&x, a->data, sizeof(x));
	memcpy(&y, b->data, sizeof(y));
	if (x.family != y.family)
		return false;
	p = a->plen < b->plen ? a->plen : b->plen;
	addr_mask(&x, p);
	addr_mask(&y, p);
	return addr_equal(&x, &y);
}

struct lift {
	const struct ban_key *allow;
	struct ban_key *keys;
	size_t n, cap;
	bool oom;
};

/* Under a shard lock of the ban table: copy and return. */
static void
collect_covered(const struct ban_info *bi, void *arg)
{
	struct lift *l = arg;

	if (l->oom || !allow_covers(l->allow, bi->key))
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct ban_key *v = realloc(l->keys, cap * sizeof(*v));

		if (!v) {
			l->oom = true;
			return;
		}
		l->keys = v;
		l->cap = cap;
	}
	memcpy(&l->keys[l->n++], bi->key, offsetof(struct ban_key, data) + bi->key->len);
}

uint32_t
banops_lift(struct banops *b, const struct ban_key *key, uint64_t now_ms, banops_lift_cb cb,
	    void *arg)
{
	struct lift l = { .allow = key };
	uint32_t n = 0;

	bantab_foreach(b->bans, now_ms, collect_covered, &l);
	if (l.oom)
		log_msg(LOG_ERR, "allow: no memory to list the bans it covers; some stay until "
			"they expire or are unbanned");
	for (size_t i = 0; i < l.n; i++) {
		if (banops_unban(b, &l.keys[i], 0) < 0)
			continue; /* expired or unbanned meanwhile */
		n++;
		if (cb)
			cb(&l.keys[i], arg);
	}
	free(l.keys);
	return n;
}

uint32_t
banops_unban_all(struct banops *b)
{
	uint32_t n = bantab_clear(b->bans);
	struct job j = { .op = JOB_FLUSH };

	enqueue(b, &j);
	return n;
}

void
banops_resync_soon(struct banops *b)
{
	pthread_mutex_lock(&b->lock);
	b->resync_due = true;
	pthread_cond_signal(&b->wake);
	pthread_mutex_unlock(&b->lock);
}

void
banops_get_stats(struct banops *b, struct banops_stats *st)
{
	pthread_mutex_lock(&b->lock);
	st->queue_full = b->queue_full;
	st->lines_lost = b->lines_lost;
	st->resyncs = b->resyncs;
	st->queued = b->n;
	st->resync_due = b->resync_due;
	/* Written by the thread between resyncs; a stale read is harmless. */
	st->kset_usable = b->ks != NULL;
	st->kset_broken = b->set_broken;
	pthread_mutex_unlock(&b->lock);
	st->kset_errors = atomic_load(&b->kset_errors);
}

/* ---- the thread's side: the only writer of the kernel sets ---- */

static void
kset_error(struct banops *b)
{
	atomic_fetch_add(&b->kset_errors, 1);
}

static int
kset_add(struct banops *b, const struct ban_key *k, uint64_t secs)
{
	struct addr a;
	int ret;

	if (k->kind != BAN_KIND_IP)
		return 0;
	if (!b->ks)
		return -ENOTCONN;
	memcpy(&a, k->data, sizeof(a));
	ret = kernelset_add(b->ks, &a, k->plen, secs > UINT32_MAX ? UINT32_MAX : (uint32_t)secs);
	if (ret < 0)
		kset_error(b);
	return ret;
}

struct collect {
	struct ban_key *keys;
	uint64_t *expires;
	size_t n, cap;
	bool short_copy;
};

static void
collect_ip(const struct ban_info *bi, void *arg)
{
	struct collect *c = arg;

	if (bi->key->kind != BAN_KIND_IP)
		return;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		struct ban_key *k = realloc(c->keys, cap * sizeof(*k));
		uint64_t *e = k ? realloc(c->expires, cap * sizeof(*e)) : NULL;

		if (k)
			c->keys = k;
		if (!k || !e) {
			c->short_copy = true;
			return;
		}
		c->expires = e;
		c->cap = cap;
	}
	/* bantab allocates only the used part of a key: copy no more. */
	memcpy(&c->keys[c->n], bi->key, offsetof(struct ban_key, data) + bi->key->len);
	c->expires[c->n] = bi->expires_ms;
	c->n++;
}

/* Make the kernel sets hold exactly the live IP bans: empty them (strays
 * added by hand go) and add every ban with its remaining time. */
static int
resync(struct banops *b, uint64_t now_ms)
{
	struct collect c = { 0 };
	int ret;

	if (!b->ks) {
		if (!b->set_broken)
			log_msg(LOG_ERR, "kernel ban sets unusable (no ipset netlink); banned "
				"sources are dropped by the daemon itself");
		b->set_broken = true;
		return -ENOTCONN;
	}
	ret = kernelset_flush(b->ks, AF_INET);
	if (ret == 0)
		ret = kernelset_flush(b->ks, AF_INET6);
	if (ret < 0)
		goto fail;
	if (!atomic_load(&b->monitor)) {
		/* Copy first: the kernel round trips must not run under the
		 * table's shard locks, which the workers need. */
		bantab_foreach(b->bans, now_ms, collect_ip, &c);
		for (size_t i = 0; i < c.n && ret == 0; i++) {
			uint64_t left = (c.expires[i] - now_ms + 999) / 1000;

			ret = kset_add(b, &c.keys[i], left);
		}
		free(c.keys);
		free(c.expires);
		if (ret == 0 && c.short_copy)
			ret = -ENOMEM;
		if (ret < 0)
			goto fail;
	}
	if (b->set_broken)
		log_msg(LOG_NOTICE, "kernel ban sets back in step (%zu IP bans)", c.n);
	b->set_broken = false;
	return 0;
fail:
	if (!b->set_broken)
		log_msg(LOG_ERR, "kernel ban sets %s/%s: %s%s; banned sources are dropped by "
			"the daemon itself, retrying", KERNELSET_NAME4, KERNELSET_NAME6,
			strerror(-ret), ret == -ENOENT ? " (run 'sipwarden-rules install')" : "");
	b->set_broken = true;
	kset_error(b);
	return ret;
}

static void
log_line(struct banops *b, const struct job *j, uint64_t now_ms, bool monitor)
{
	char raw[3 * BAN_KEY_MAX + 8], key[4 * sizeof(raw)], evname[LINE_WHAT + 8];
	struct log_fields lf = { .event = evname };

	if (j->has_ev) {
		event_log_ban(&j->ev, now_ms, monitor);
		return;
	}
	if (!j->what[0] || !log_ratelimit_take(&b->line_rl, now_ms, NULL))
		return;
	snprintf(evname, sizeof(evname), "%s-ban", j->what);
	ban_key_format(&j->key, raw, sizeof(raw));
	if (j->key.kind == BAN_KIND_IP) {
		struct addr a;

		memcpy(&a, j->key.data, sizeof(a));
		if (j->key.plen != (a.family == AF_INET ? 32 : 128)) {
			size_t l = strlen(raw);

			snprintf(raw + l, sizeof(raw) - l, "/%u", j->key.plen);
		}
	}
	/* A user key is what a peer or a client sent: escaped. (by is the
	 * caller's, escaped already.) */
	log_escape_str(raw, key, sizeof(key));
	if (j->key.kind == BAN_KIND_IP)
		lf.ip = key;
	else
		lf.user = key;
	log_event(LOG_NOTICE, &lf, "%s: %s%s '%s' banned by %s (%s) for %u s", j->what,
		  monitor ? "monitor: " : "", j->key.kind == BAN_KIND_IP ? "IP" : "user", key,
		  j->by, ban_reason_name(j->reason), j->secs);
}

static void
apply(struct banops *b, const struct job *j, uint64_t now_ms)
{
	bool monitor = atomic_load(&b->monitor);
	struct addr a;

	switch (j->op) {
	case JOB_ADD:
		/* After the kernel set: the line says what is in force. */
		if (!monitor && kset_add(b, &j->key, j->secs) < 0 && !b->set_broken) {
			pthread_mutex_lock(&b->lock);
			b->resync_due = true;
			pthread_mutex_unlock(&b->lock);
		}
		log_line(b, j, now_ms, monitor);
		break;
	case JOB_DEL:
		memcpy(&a, j->key.data, sizeof(a));
		if (b->ks && kernelset_del(b->ks, &a, j->key.plen) < 0)
			kset_error(b);
		break;
	case JOB_FLUSH:
		if (b->ks && (kernelset_flush(b->ks, AF_INET) < 0 ||
			      kernelset_flush(b->ks, AF_INET6) < 0))
			kset_error(b);
		break;
	}
}

static void
timed_wait(struct banops *b, uint64_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&b->wake, &b->lock, &ts);
}

static void
log_overflow(uint64_t full, uint64_t lost)
{
	log_msg(LOG_WARNING, "ban queue full (%llu bans so far did not fit, %llu of their log "
		"lines lost): the bans hold in the table, the kernel sets are resynced from it",
		(unsigned long long)full, (unsigned long long)lost);
}

static void *
banops_main(void *arg)
{
	struct banops *b = arg;

	pthread_mutex_lock(&b->lock);
	for (;;) {
		uint64_t now = clock_mono_ms();
		bool retry = b->set_broken && b->ks && now >= b->retry_ms;
		uint32_t n;

		if (b->n) {
			n = b->n < DRAIN_BATCH ? b->n : DRAIN_BATCH;
			for (uint32_t i = 0; i < n; i++)
				b->batch[i] = b->ring[(b->head + i) % b->cap];
			b->head = (b->head + n) % b->cap;
			b->n -= n;
			pthread_mutex_unlock(&b->lock);
			for (uint32_t i = 0; i < n; i++)
				apply(b, &b->batch[i], now);
			pthread_mutex_lock(&b->lock);
			continue;
		}
		if (b->resync_due || retry) {
			bool overflow = b->queue_full != b->full_logged &&
					log_ratelimit_take(&b->full_rl, now, NULL);
			uint64_t full = b->queue_full, lost = b->lines_lost;

			if (overflow)
				b->full_logged = full;
			b->resync_due = false;
			b->resyncs++;
			pthread_mutex_unlock(&b->lock);
			if (overflow)
				log_overflow(full, lost);
			if (resync(b, now) < 0)
				b->retry_ms = now + BANOPS_RETRY_MS;
			pthread_mutex_lock(&b->lock);
			continue;
		}
		if (b->stop)
			break;
		timed_wait(b, b->set_broken && b->ks ? BANOPS_RETRY_MS : IDLE_WAIT_MS);
	}
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

int
banops_start(struct banops *b, uint64_t now_ms)
{
	int ret;

	if (kernelset_open(&b->ks) < 0)
		b->ks = NULL;
	/* Before the thread: the kernel agrees with the table when this
	 * returns (the daemon says READY after it). */
	pthread_mutex_lock(&b->lock);
	b->resync_due = false;
	b->resyncs++;
	pthread_mutex_unlock(&b->lock);
	if (resync(b, now_ms) < 0)
		b->retry_ms = now_ms + BANOPS_RETRY_MS;
	ret = pthread_create(&b->thread, NULL, banops_main, b);
	if (ret)
		return -ret;
	b->running = true;
	return 0;
}

void
banops_free(struct banops *b)
{
	if (!b)
		return;
	if (b->running) {
		pthread_mutex_lock(&b->lock);
		b->stop = true;
		pthread_cond_signal(&b->wake);
		pthread_mutex_unlock(&b->lock);
		pthread_join(b->thread, NULL);
	} else {
		/* Never started (a start-up that failed half-way): what was
		 * queued is still applied and logged; no resync without one. */
		uint64_t now = clock_mono_ms();

		for (; b->n; b->head = (b->head + 1) % b->cap, b->n--)
			apply(b, &b->ring[b->head], now);
	}
	kernelset_close(b->ks);
	pthread_mutex_destroy(&b->lock);
	pthread_cond_destroy(&b->wake);
	free(b->ring);
	free(b);
}
