/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "allowlist.h"
#include "banops.h"
#include "clock.h"
#include "cluster.h"
#include "daemon_allow.h"
#include "daemon_internal.h"
#include "log.h"

/* Lifted bans logged one by one per allow; the rest in the summary. */
#define LIFT_LINES 10

_Static_assert(CTL_COMMENT_MAX == ALLOW_COMMENT_MAX, "a comment the protocol carries fits");
_Static_assert(CTL_NODE_MAX >= ALLOW_ORIGIN_MAX, "an origin fits `allowed`");

/* The allow-list's publish hook (allowlist.h), under the list's lock in
 * whichever thread changed it: a new generation makes each worker take
 * the new snapshot at its next batch boundary and compute its cached
 * trust again (policy.h). An RMW, as a reload's is (daemon_reload.c). */
static unsigned
bump_generation(void *ctx)
{
	struct daemon *d = ctx;

	return atomic_fetch_add_explicit(&d->sh.cfg_gen, 1, memory_order_acq_rel) + 1;
}

int
daemon_allow_init(struct daemon *d)
{
	d->sh.allow = allowlist_new(d->cfg->max_allowed);
	if (!d->sh.allow)
		return -ENOMEM;
	allowlist_set_publish(d->sh.allow, bump_generation, d);
	banops_set_allowlist(d->ops, d->sh.allow);
	d->up.allow = d->sh.allow;
	return 0;
}

void
daemon_allow_fini(struct daemon *d)
{
	allowlist_free(d->sh.allow);
	d->sh.allow = NULL;
}

/* An allow's key for a log line, escaped (user keys hold any byte). */
static const char *
key_text(const struct ban_key *k, char *buf, size_t len)
{
	char raw[BAN_KEY_MAX + ADDR_STRLEN + 8];

	if (k->kind == BAN_KIND_USER)
		return log_escape(k->data, k->len, buf, len);
	return log_escape_str(ban_key_format(k, raw, sizeof(raw)), buf, len);
}

struct lifted {
	struct daemon *d;
	const char *akey;  /* the allow's key, escaped */
	bool publish;
	uint32_t n;
};

/* Each ban an allow lifted: the other nodes are told (a failure is kept
 * for the operator's answer), and the journal. */
static void
on_lifted(const struct ban_key *k, void *arg)
{
	struct lifted *l = arg;
	char bkey[4 * BAN_KEY_MAX + 16];

	if (l->publish) {
		int r = cluster_publish_unban(l->d->cluster, k);

		if (r < 0)
			l->d->publish_err = r;
	}
	if (l->n++ < LIFT_LINES)
		log_event(LOG_NOTICE, &(struct log_fields){ .event = "allow-unban" },
			  "allow of '%s' lifts the ban of '%s'", l->akey,
			  key_text(k, bkey, sizeof(bkey)));
}

/* Lift every ban the allow of k covers (banops_lift()); publish: tell the
 * cluster's other nodes. Returns how many. */
static uint32_t
lift_bans(struct daemon *d, const struct ban_key *k, bool publish)
{
	char akey[4 * BAN_KEY_MAX + 16];
	struct lifted l = { .d = d, .akey = key_text(k, akey, sizeof(akey)), .publish = publish };

	banops_lift(d->ops, k, clock_mono_ms(), on_lifted, &l);
	if (l.n > LIFT_LINES)
		log_msg(LOG_NOTICE, "allow of '%s' lifts %u more bans (%u in all)", akey,
			l.n - LIFT_LINES, l.n);
	return l.n;
}

struct restored {
	struct ban_key *keys;
	size_t n, cap;
};

static void
collect_allow(const struct allow_entry *e, void *arg)
{
	struct restored *r = arg;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct ban_key *v = realloc(r->keys, cap * sizeof(*v));

		if (!v)
			return;
		r->keys = v;
		r->cap = cap;
	}
	r->keys[r->n++] = e->key;
}

void
daemon_allow_restored(struct daemon *d)
{
	struct restored r = { 0 };

	/* Collected first: lifting calls banops, which asks the list. */
	allowlist_foreach(d->sh.allow, collect_allow, &r);
	for (size_t i = 0; i < r.n; i++)
		lift_bans(d, &r.keys[i], false);
	free(r.keys);
}

static void
log_expired(const struct allow_entry *e, void *arg)
{
	char key[4 * BAN_KEY_MAX + 16], comment[4 * ALLOW_COMMENT_MAX + 1];
	struct log_fields lf = { .event = "allow-expired" };

	(void)arg;
	key_text(&e->key, key, sizeof(key));
	if (e->key.kind == BAN_KIND_IP)
		lf.ip = key;
	else
		lf.user = key;
	log_event(LOG_NOTICE, &lf, "allow of %s '%s' expired (comment '%s')",
		  e->key.kind == BAN_KIND_IP ? "ip" : "user", key,
		  log_escape_str(e->comment, comment, sizeof(comment)));
}

/* The least generation a worker has confirmed (wrapping), or the current
 * one without workers. */
static unsigned
oldest_generation(struct daemon *d)
{
	unsigned oldest = atomic_load_explicit(&d->sh.cfg_gen, memory_order_acquire);

	pthread_mutex_lock(&d->sh.gen_lock);
	for (unsigned i = 0; i < d->nworkers; i++)
		if ((int)(d->workers[i].gen_seen - oldest) < 0)
			oldest = d->workers[i].gen_seen;
	pthread_mutex_unlock(&d->sh.gen_lock);
	return oldest;
}

void
daemon_allow_tick(struct daemon *d)
{
	/* Each node expires its own copy at the same wall-clock second: no
	 * message needed for it. */
	allowlist_expire(d->sh.allow, clock_wall_s(), log_expired, NULL);
	allowlist_reclaim(d->sh.allow, oldest_generation(d));
}

int
daemon_allow_add(void *ctx, const struct ban_key *k, uint32_t secs, const char *comment,
		 bool force, uint32_t *lifted)
{
	struct daemon *d = ctx;
	struct allow_entry e;
	int ret = allowlist_key_check(k, force);

	*lifted = 0;
	if (ret < 0)
		return ret;
	memset(&e, 0, sizeof(e));
	memcpy(&e.key, k, offsetof(struct ban_key, data) + k->len);
	e.created = clock_wall_s();
	e.expires = secs ? e.created + secs : 0;
	snprintf(e.comment, sizeof(e.comment), "%s", comment ? comment : "");
	/* First the allow, then the lift: a worker deciding a ban in between
	 * has it refused by banops rather than made after the lift. */
	ret = allowlist_add(d->sh.allow, &e);
	if (ret < 0)
		return ret;
	*lifted = lift_bans(d, k, true);
	/* The other nodes add it too and lift what it covers there; the
	 * answer says when they could not be told (control.h commit). */
	if (cluster_publish_allow(d->cluster, &e) < 0)
		d->publish_err = -ENOSPC;
	return ret;
}

int
daemon_allow_del(void *ctx, const struct ban_key *k)
{
	struct daemon *d = ctx;
	int ret = allowlist_del(d->sh.allow, k);

	if (ret == 0 && cluster_publish_disallow(d->cluster, k) < 0)
		d->publish_err = -ENOSPC;
	return ret;
}

struct each {
	void (*cb)(const struct ctl_allow *e, void *arg);
	void *arg;
	int64_t now;
	struct ctl_allow row;
};

static void
each_entry(const struct allow_entry *e, void *arg)
{
	struct each *x = arg;
	struct ctl_allow *r = &x->row;

	memset(r, 0, offsetof(struct ctl_allow, comment));
	memcpy(&r->key, &e->key, offsetof(struct ban_key, data) + e->key.len);
	/* A timed entry the tick has not expired yet shows 1 s, never 0
	 * (which means permanent). */
	r->remaining_s = !e->expires ? 0 : e->expires > x->now ? (uint64_t)(e->expires - x->now) : 1;
	r->age_s = x->now > e->created ? (uint64_t)(x->now - e->created) : 0;
	snprintf(r->comment, sizeof(r->comment), "%s", e->comment);
	snprintf(r->origin, sizeof(r->origin), "%s", e->origin);
	x->cb(r, x->arg);
}

void
daemon_allow_foreach(void *ctx, void (*cb)(const struct ctl_allow *e, void *arg), void *arg)
{
	struct daemon *d = ctx;
	struct each x = { .cb = cb, .arg = arg, .now = clock_wall_s() };

	allowlist_foreach(d->sh.allow, each_entry, &x);
}
