/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "allowlist.h"
#include "banops.h"
#include "build_config.h"
#include "clock.h"
#include "cluster.h"
#include "daemon_allow.h"
#include "daemon_ctl.h"
#include "daemon_internal.h"
#include "daemon_reload.h"
#include "daemon_stats.h"
#include "event.h"
#include "state.h"
#include "stats.h"
#include "trust.h"

/* How long an operator's change waits for Redis before the answer. */
#define CLUSTER_CONFIRM_MS 1500

/* The control socket's view of the daemon (control.h). */
static int
ctl_ban(void *ctx, const struct ban_key *k, uint32_t secs)
{
	struct daemon *d = ctx;
	struct banops_line line = { .publish_ret = &d->publish_err };

	if (k->kind == BAN_KIND_IP) {
		struct addr a;

		memcpy(&a, k->data, sizeof(a));
		/* A typo such as /1 must not ban half the Internet (issue 17). */
		if (!config_ban_prefix_ok(d->cfg, a.family, k->plen))
			return -EDOM;
		/* An operator's network ban is refused, not carved, when it
		 * holds a trusted address: the kernel set cannot carve, and
		 * the operator is there to choose a narrower one (issue 17). */
		if (trust_net_covers(d->cfg, d->sh.host, &a, k->plen))
			return -EPERM;
	}

	/* control.c logs the operator's command itself; the answer says
	 * whether the cluster took the ban (publish_err). */
	return banops_ban(d->ops, k, BAN_REASON_MANUAL, secs, clock_mono_ms(), BANOPS_PUBLISH,
			  &line);
}

static int
ctl_unban(void *ctx, const struct ban_key *k)
{
	struct daemon *d = ctx;
	int ret = banops_unban(d->ops, k, 0);

	if (ret == 0)
		d->publish_err = cluster_publish_unban(d->cluster, k);
	return ret;
}

static uint32_t
ctl_unban_all(void *ctx)
{
	struct daemon *d = ctx;

	d->publish_err = cluster_publish_unban_all(d->cluster);
	return banops_unban_all(d->ops);
}

/* Before the answer to an operator's change: the state file holds it
 * (state.h: temporary file, fsync, rename, fsync of the directory) and so
 * does Redis; else note says what a restart could undo. */
static int
ctl_commit(void *ctx, char *note, size_t len)
{
	struct daemon *d = ctx;
	int saved = upkeep_save(&d->up, d->cfg, clock_mono_ms());
	int shared = d->publish_err ? d->publish_err :
		     cluster_flush(d->cluster, CLUSTER_CONFIRM_MS);
	int off = 0;

	d->publish_err = 0;
	if (saved == -EPERM)
		off = snprintf(note, len, "monitor mode: bans and allows are not saved (the state "
			       "file keeps those of enforce mode); a restart undoes it");
	else if (saved < 0)
		off = snprintf(note, len, "not saved to %s/%s: %s; a restart undoes it",
			       d->state_dir, STATE_FILE, strerror(-saved));
	if (off < 0 || (size_t)off >= len)
		off = 0;
	if (shared < 0)
		snprintf(note + off, len - (size_t)off, "%s%s", off ? "; " : "",
			 shared == -ENOSPC ? "not sent to the cluster: its queue is full" :
			 shared == -ETIMEDOUT ? "redis did not confirm it within 1.5 s" :
			 "redis is unreachable: the other nodes hear of it when the link is back, "
			 "and a restart before that brings the old state back from redis");
	return saved < 0 || shared < 0 ? -EIO : 0;
}

static int
ctl_reload(void *ctx, char *errbuf, size_t len)
{
	return daemon_reload(ctx, errbuf, len);
}

static void
ctl_status(void *ctx, struct ctl_status *st)
{
	struct daemon *d = ctx;
	const struct config *cfg = d->cfg;
	struct banops_stats bs;

	st->version = SIPWARDEN_VERSION;
	st->pid = getpid();
	st->monitor = cfg->mode == CONFIG_MODE_MONITOR;
	st->uptime_s = (clock_mono_ms() - d->started_ms) / 1000;
	st->queue_first = cfg->queue_first;
	st->queue_count = cfg->queue_count;
	st->workers = d->nworkers;
	st->config_path = d->opts->config_path;
	st->state_dir = d->state_dir;
	st->socket_path = d->socket_path;
	st->stats_file = cfg->stats_file;
	st->bans_ip = bantab_count(d->sh.bans, BAN_KIND_IP);
	st->bans_user = bantab_count(d->sh.bans, BAN_KIND_USER);
	st->max_bans = cfg->max_bans;
	st->allowed = allowlist_count(d->sh.allow);
	st->max_allowed = cfg->max_allowed;
	st->ban_time_ip = cfg->dos_ban_time;
	st->ban_time_user = cfg->failed_auth_ban_time;
	banops_get_stats(d->ops, &bs);
	st->kernel_set = !bs.kset_usable ? CTL_KSET_UNAVAILABLE :
			 banops_monitor(d->ops) ? CTL_KSET_MONITOR :
			 bs.kset_broken ? CTL_KSET_BROKEN : CTL_KSET_OK;
	if (d->cluster) {
		cluster_get_status(d->cluster, &d->cluster_st);
		st->cluster = &d->cluster_st;
	}
}

static void
ctl_stats(void *ctx, struct ctl_stats *st)
{
	daemon_fill_stats(ctx, st);
}

static void
ctl_foreach_ban(void *ctx, bantab_cb cb, void *arg)
{
	struct daemon *d = ctx;

	bantab_foreach(d->sh.bans, clock_mono_ms(), cb, arg);
}

static bool
ctl_ban_origin(void *ctx, const struct ban_key *k, char *buf, size_t len)
{
	struct daemon *d = ctx;

	return cluster_ban_origin(d->cluster, k, buf, len);
}

/* sipwardenctl why: the evidence kept about the subject and the limits it
 * is judged against now. */
static void
ctl_why(void *ctx, struct ctl_why *w)
{
	struct daemon *d = ctx;
	const struct config *cfg = d->cfg;

	w->now_s = (uint64_t)clock_wall_s();
	w->density = cfg->dos_reqs_density_per_unit;
	w->sampling_s = cfg->dos_sampling_time_unit;
	w->auth_attempts = cfg->failed_auth_attempts;
	w->enum_users = cfg->enum_distinct_users;
	if (w->key.kind == BAN_KIND_IP) {
		struct addr a;

		memcpy(&a, w->key.data, sizeof(a));
		w->n_recs = evidence_find_ip(d->sh.evidence, &a, w->recs, CTL_WHY_MAX);
	} else {
		/* Records hold the user as the log writes it (event.h). */
		char user[EVIDENCE_STR];

		event_escape(w->key.data, w->key.len, user, sizeof(user));
		w->n_recs = evidence_find_user(d->sh.evidence, user, w->recs, CTL_WHY_MAX);
	}
}

#define TOP_WAIT_MS 2000

static unsigned
workers_answered(const struct daemon *d, unsigned req)
{
	unsigned n = 0;

	for (unsigned i = 0; i < d->nworkers; i++)
		n += d->workers[i].top_done == req;
	return n;
}

struct top_users {
	struct ctl_top *t;
	uint64_t now;
};

/* Keep the t->limit users with the most failures, most first. Runs under a
 * shard lock of the failure table: only copies. */
static void
top_user(const char *user, uint32_t failures, uint64_t last_ms, void *arg)
{
	struct top_users *tu = arg;
	struct ctl_top *t = tu->t;
	size_t i;

	if (failures == 0 || (t->n_users == t->limit && failures <= t->users[t->n_users - 1].failures))
		return;
	i = t->n_users < t->limit ? t->n_users++ : t->n_users - 1;
	for (; i > 0 && t->users[i - 1].failures < failures; i--)
		t->users[i] = t->users[i - 1];
	event_escape(user, strlen(user), t->users[i].user, sizeof(t->users[i].user));
	t->users[i].failures = failures;
	t->users[i].age_s = tu->now > last_ms ? (tu->now - last_ms) / 1000 : 0;
}

/* sipwardenctl top: each worker walks its own source table between two
 * batches and answers (worker.c follow_top); the failure counters are
 * shared and read here. A worker that does not answer in time is left out
 * and said to be. */
static void
ctl_top(void *ctx, struct ctl_top *t)
{
	struct daemon *d = ctx;
	struct top_users tu = { t, clock_mono_ms() };
	struct timespec until;
	unsigned req;

	t->density = d->cfg->dos_reqs_density_per_unit;
	t->sampling_s = d->cfg->dos_sampling_time_unit;
	t->auth_attempts = d->cfg->failed_auth_attempts;
	t->workers = d->nworkers;
	d->sh.top_limit = t->limit;
	req = atomic_fetch_add_explicit(&d->sh.top_req, 1, memory_order_release) + 1;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += TOP_WAIT_MS / 1000;
	pthread_mutex_lock(&d->sh.gen_lock);
	while (workers_answered(d, req) < d->nworkers)
		if (pthread_cond_timedwait(&d->sh.gen_cond, &d->sh.gen_lock, &until) == ETIMEDOUT)
			break;
	t->workers_answered = workers_answered(d, req);
	/* Merge the answers (each sorted) into the t->limit largest. */
	for (unsigned i = 0; i < d->nworkers; i++) {
		const struct worker *w = &d->workers[i];

		if (w->top_done != req)
			continue;
		for (unsigned j = 0; j < w->n_top; j++) {
			const struct ctl_top_src *s = &w->top[j];
			size_t k;

			if (t->n_src == t->limit && s->count <= t->src[t->n_src - 1].count)
				break;
			k = t->n_src < t->limit ? t->n_src++ : t->n_src - 1;
			for (; k > 0 && t->src[k - 1].count < s->count; k--)
				t->src[k] = t->src[k - 1];
			t->src[k] = *s;
		}
	}
	pthread_mutex_unlock(&d->sh.gen_lock);
	failtab_foreach(d->sh.fails, top_user, &tu);
}

const struct control_ops daemon_ctl_ops = {
	.ban = ctl_ban,
	.unban = ctl_unban,
	.unban_all = ctl_unban_all,
	.reload = ctl_reload,
	.status = ctl_status,
	.stats = ctl_stats,
	.foreach_ban = ctl_foreach_ban,
	.ban_origin = ctl_ban_origin,
	.commit = ctl_commit,
	.why = ctl_why,
	.top = ctl_top,
	.allow = daemon_allow_add,
	.disallow = daemon_allow_del,
	.foreach_allow = daemon_allow_foreach,
};
