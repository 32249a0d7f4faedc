/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "banops.h"
#include "build_config.h"
#include "clock.h"
#include "cluster.h"
#include "control.h"
#include "daemon.h"
#include "hostaddr.h"
#include "log.h"
#include "rtnl.h"
#include "state.h"
#include "stats.h"
#include "upkeep.h"
#include "worker.h"

/* The main loop's period: ban expiry, kernel set resync, status, and the
 * save of the bans the workers made since the last one (what a SIGKILL can
 * lose, doc/design.md). */
#define TICK_MS 1000
#define WORKER_STALL_MS 5000 /* a worker silent this long is stuck */
/* A worker picks a new configuration up between two batches; it waits at
 * most NFQ_TIMEOUT_MS plus queue.batch_wait_us for one. */
#define RELOAD_CONFIRM_MS 5000
/* How long an operator's change waits for Redis before the answer. */
#define CLUSTER_CONFIRM_MS 1500

/*
 * Built by daemon_init() in the order of its fields' use, torn down by
 * daemon_fini() from whatever state init reached: every field is zero, NULL
 * or -1 until it is built.
 */
struct daemon {
	const struct daemon_opts *opts;
	struct config *cfg;      /* the main thread's; the workers read sh.cfg */
	int sfd;                 /* signalfd of the signals setup_signals() blocks */
	int changed_fd;          /* eventfd: the cluster thread changed the table */
	struct worker_shared sh;
	bool sh_sync;            /* sh.gen_lock and sh.gen_cond exist */
	bool restored;           /* the table holds the state file: saving is safe */
	bool ready;
	int publish_err;         /* the current change's cluster publish failed */
	struct worker *workers;
	unsigned nworkers;       /* initialised (each started or not) */
	bool watchdog;
	uint64_t watchdog_usec;
	const char *state_dir;
	struct banops *ops;
	struct cluster *cluster; /* NULL: no cluster */
	struct upkeep up;
	struct control *ctl;     /* NULL: no control socket */
	const char *socket_path;
	uint64_t started_ms;
	bool stats_file_failed;  /* logged once per failure streak */
	struct ctl_cluster cluster_st; /* status scratch */
	struct rtnl *rtnl;       /* NULL: host addresses unknown (logged) */
};

/*
 * Gateway mode: the interfaces the SIP server's messages arrive on, from
 * sip.server_interface or else from the route to each server address.
 * Without any, no packet is read as the server's (all are judged): a
 * wrong guess must cost reply accounting, never hand it to a forger.
 */
static void
learn_server_ifs(struct daemon *d)
{
	const struct config *cfg = d->cfg;
	uint32_t ifs[WORKER_SERVER_IF_MAX];
	unsigned n = 0;

	if (cfg->server_interface) {
		uint32_t i = if_nametoindex(cfg->server_interface);

		if (i)
			ifs[n++] = i;
		else
			log_msg(LOG_ERR, "sip.server_interface %s: no such interface; the server's "
				"replies are not read", cfg->server_interface);
	} else {
		for (unsigned s = 0; s < cfg->n_server_addresses; s++) {
			uint32_t i;
			bool dup = false;
			int ret = rtnl_route_ifindex(&cfg->server_addresses[s].base, &i);

			if (ret < 0) {
				char buf[ADDR_STRLEN];

				log_msg(LOG_ERR, "no route to server address %s (%s); set "
					"sip.server_interface", addr_format(&cfg->server_addresses[s].base,
									    buf, sizeof(buf)),
					strerror(-ret));
				continue;
			}
			for (unsigned j = 0; j < n; j++)
				dup |= ifs[j] == i;
			if (!dup && n < WORKER_SERVER_IF_MAX)
				ifs[n++] = i;
		}
	}
	/* Shrink first, then write, then grow: a worker never reads an
	 * entry being written. */
	__atomic_store_n(&d->sh.n_server_if, 0, __ATOMIC_RELEASE);
	for (unsigned j = 0; j < n; j++)
		__atomic_store_n(&d->sh.server_if[j], ifs[j], __ATOMIC_RELAXED);
	__atomic_store_n(&d->sh.n_server_if, n, __ATOMIC_RELEASE);
	if (cfg->n_server_addresses)
		log_msg(LOG_INFO, "gateway mode: the server's messages are read from %u interface(s)", n);
}

/* The counters now (main thread only): the workers' summed, the queues'
 * and the daemon's own. Malformed messages by name: the scan's flaws, then
 * the sanity checks. */
static void
fill_stats(const struct daemon *d, struct ctl_stats *st)
{
	const struct config *cfg = d->cfg;
	struct banops_stats bs;

	memset(st, 0, sizeof(*st));
	st->monitor = cfg->mode == CONFIG_MODE_MONITOR;
	st->uptime_s = (clock_mono_ms() - d->started_ms) / 1000;
	st->n_reasons = POLICY_REASON__MAX < CTL_MAX_REASONS ? POLICY_REASON__MAX : CTL_MAX_REASONS;
	for (unsigned r = 0; r < st->n_reasons; r++)
		st->reasons[r].name = policy_reason_name(r);
	for (unsigned f = 1; f <= SIP_FLAW_TOO_MANY_HEADERS && st->n_malformed < CTL_MAX_MALFORMED;
	     f++)
		st->malformed[st->n_malformed++].name = sip_flaw_name((enum sip_flaw)f);
	for (unsigned f = 1; f < SANITY__MAX && st->n_malformed < CTL_MAX_MALFORMED; f++)
		st->malformed[st->n_malformed++].name = sanity_fail_name((enum sanity_fail)f);
	st->n_workers = d->nworkers < CTL_MAX_WORKERS ? d->nworkers : CTL_MAX_WORKERS;
	for (unsigned i = 0; i < d->nworkers; i++) {
		const struct worker *w = &d->workers[i];
		const struct worker_stats *s = &w->st;
		struct ctl_worker *cw = i < st->n_workers ? &st->workers[i] : &(struct ctl_worker){ 0 };
		struct srctab_stats ss = { 0 };
		struct nfq_stats n;
		unsigned m = 0;

#define SUM(name, ...) st->name += STAT_GET(s->name);
		SW_COUNTERS(SUM)
#undef SUM
		for (unsigned r = 0; r < st->n_reasons; r++)
			st->reasons[r].count += STAT_GET(s->reason[r]);
		for (unsigned f = 1; f <= SIP_FLAW_TOO_MANY_HEADERS && m < st->n_malformed; f++)
			st->malformed[m++].count += STAT_GET(s->flaw[f]);
		for (unsigned f = 1; f < SANITY__MAX && m < st->n_malformed; f++)
			st->malformed[m++].count += STAT_GET(s->sanity[f]);
		worker_get_nfq_stats(w, &n);
		if (w->src)
			srctab_get_stats(w->src, &ss);
		cw->queue = w->qnum;
		cw->packets = STAT_GET(s->packets);
		cw->accepted = STAT_GET(s->accepted);
		cw->dropped = STAT_GET(s->dropped);
		cw->enobufs = n.enobufs;
		cw->recv_errors = n.recv_errors;
		cw->send_errors = n.send_errors;
		cw->sources = ss.used;
		cw->sources_max = ss.capacity;
		cw->sources_evicted = ss.evicted_live;
		cw->txn_replaced = w->txns ? txntab_replaced(w->txns) : 0;
		st->enobufs += n.enobufs;
		st->recv_errors += n.recv_errors;
		st->send_errors += n.send_errors;
	}
	/* The kernel sets are banops' (its own thread), not a worker's. */
	banops_get_stats(d->ops, &bs);
	st->kernel_set_errors += bs.kset_errors;
	st->kernel_set_resyncs += bs.resyncs;
	st->ban_queue_full += bs.queue_full;
	st->ban_lines_lost += bs.lines_lost;
	/* Evictions happen in whichever thread bans (bans.h). */
	st->bans_evicted = bantab_evicted(d->sh.bans);
	st->bans_ip = bantab_count(d->sh.bans, BAN_KIND_IP);
	st->bans_user = bantab_count(d->sh.bans, BAN_KIND_USER);
	st->max_bans = cfg->max_bans;
}

/* Scratch for fill_stats() in the main thread: too big for a loop's stack. */
static struct ctl_stats stats_now;

static void
log_stats(const struct daemon *d)
{
	char line[1024];
	FILE *f = fmemopen(line, sizeof(line), "w");

	if (!f)
		return;
	fill_stats(d, &stats_now);
	ctlproto_format_stats_line(f, &stats_now);
	fputc('\0', f);
	fclose(f);
	line[sizeof(line) - 1] = '\0';
	log_msg(LOG_INFO, "stats: %s", line);
}

static void
notify_status(const struct daemon *d)
{
	fill_stats(d, &stats_now);
	sd_notifyf(0, "STATUS=%u queues, %llu packets, %llu dropped, %u IP bans, %u user bans",
		   d->nworkers, (unsigned long long)stats_now.packets,
		   (unsigned long long)stats_now.dropped, stats_now.bans_ip, stats_now.bans_user);
}


/* Workers are alive when each has looped recently: nfq_recv() returns at
 * least every NFQ_TIMEOUT_MS even without traffic, so a silent worker is
 * stuck, and then the watchdog must not be fed. */
static bool
workers_alive(const struct daemon *d, uint64_t now)
{
	for (unsigned i = 0; i < d->nworkers; i++) {
		uint64_t hb = STAT_GET(d->workers[i].st.heartbeat_ms);

		if (hb + WORKER_STALL_MS < now)
			return false;
	}
	return true;
}


static bool
all_workers_on(const struct daemon *d, unsigned gen)
{
	for (unsigned i = 0; i < d->nworkers; i++)
		if (d->workers[i].gen_seen != gen)
			return false;
	return true;
}

/* Hand cfg to the workers and wait until each runs in it (worker.h): only
 * then may the old configuration, and its compiled regexes, go. false when
 * a worker did not confirm within RELOAD_CONFIRM_MS. */
static bool
publish_config(struct daemon *d, struct config *cfg)
{
	unsigned gen = atomic_load_explicit(&d->sh.cfg_gen, memory_order_relaxed) + 1;
	struct timespec until;
	bool all;

	atomic_store_explicit(&d->sh.cfg, cfg, memory_order_relaxed);
	atomic_store_explicit(&d->sh.cfg_gen, gen, memory_order_release);
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += RELOAD_CONFIRM_MS / 1000;
	pthread_mutex_lock(&d->sh.gen_lock);
	while (!(all = all_workers_on(d, gen)))
		if (pthread_cond_timedwait(&d->sh.gen_cond, &d->sh.gen_lock, &until) == ETIMEDOUT) {
			all = all_workers_on(d, gen);
			break;
		}
	pthread_mutex_unlock(&d->sh.gen_lock);
	return all;
}

/* errbuf (may be NULL) receives the reasons a reload was refused. */
static int
reload(struct daemon *d, char *errbuf, size_t errbuflen)
{
	struct config *old = d->cfg, *cfg = NULL;
	bool old_monitor = old->mode == CONFIG_MODE_MONITOR;
	char *errs = NULL;
	size_t errlen = 0;
	FILE *ef = open_memstream(&errs, &errlen);
	int ret;

	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
		   (unsigned long long)clock_mono_ms() * 1000ull);
	ret = config_load_file(d->opts->config_path, &cfg, ef);
	if (ef)
		fclose(ef);
	if (ret < 0) {
		log_msg(LOG_ERR, "reload rejected, keeping the running configuration:");
		if (errs && errbuf && errbuflen)
			snprintf(errbuf, errbuflen, "%s", errs);
		if (errs)
			upkeep_log_lines(errs);
		free(errs);
		sd_notify(0, "READY=1");
		return ret;
	}
	free(errs);
	if (cfg->queue_first != old->queue_first || cfg->queue_count != old->queue_count)
		log_msg(LOG_WARNING, "queue.first/queue.count changes take effect at restart");

	d->cfg = cfg;
	learn_server_ifs(d);
	if (publish_config(d, cfg))
		config_free(old);
	else
		log_msg(LOG_WARNING, "a worker did not confirm the reload within %d s; keeping "
			"the old configuration's memory", RELOAD_CONFIRM_MS / 1000);
	if (old_monitor && cfg->mode == CONFIG_MODE_ENFORCE) {
		/* Monitor-mode bans were never enforced, nor saved: going live
		 * must not suddenly enforce what was only a trial. */
		uint32_t n = bantab_clear(d->sh.bans);

		log_msg(LOG_NOTICE, "enforce mode: %u bans recorded in monitor mode discarded; "
			"restoring the saved bans", n);
		upkeep_restore(&d->up, clock_mono_ms());
		banops_resync_soon(d->ops);
	}
	banops_set_monitor(d->ops, cfg->mode == CONFIG_MODE_MONITOR);
	cluster_reconfigure(d->cluster, cfg);
	upkeep_blocklists(&d->up, cfg, clock_mono_ms());
	log_msg(LOG_NOTICE, "configuration reloaded from %s", d->opts->config_path);
	sd_notify(0, "READY=1");
	return 0;
}


/* banops' way to tell the other nodes (cluster_publish_ban never blocks). */
static int
publish_ban(void *ctx, const struct ban_key *k, enum ban_reason r, uint32_t secs)
{
	return cluster_publish_ban(ctx, k, r, secs);
}

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
		off = snprintf(note, len, "monitor mode: bans are not saved (the state file keeps "
			       "those of enforce mode)");
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
	return reload(ctx, errbuf, len);
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
	fill_stats(ctx, st);
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

static const struct control_ops ctl_ops = {
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
};

/* daemon.stats_file: the Prometheus text, rewritten atomically each tick. */
static void
write_stats_file(struct daemon *d)
{
	const char *path = d->cfg->stats_file;
	int ret;

	if (!path)
		return;
	fill_stats(d, &stats_now);
	ret = control_write_stats_file(path, &stats_now);
	if (ret < 0 && !d->stats_file_failed)
		log_msg(LOG_ERR, "cannot write %s: %s (retrying)", path, strerror(-ret));
	d->stats_file_failed = ret < 0;
}


/*
 * The one owner of the signal mask. Called before the first thread of the
 * process is created (the cluster thread, the workers): a thread inherits
 * its creator's mask, so every thread blocks these and the kernel can only
 * queue them for the signalfd. A thread that did not block them would take
 * a process-directed SIGTERM or SIGHUP itself, with the default action:
 * the process ends at once, without its shutdown path.
 */
static int
setup_signals(sigset_t *set)
{
	int ret, fd;

	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR1);
	/* pthread_sigmask returns the error; it does not set errno. */
	ret = pthread_sigmask(SIG_BLOCK, set, NULL);
	if (ret != 0)
		return -ret;
	signal(SIGPIPE, SIG_IGN);
	fd = signalfd(-1, set, SFD_CLOEXEC | SFD_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

static int
start_workers(struct daemon *d)
{
	const struct config *cfg = d->cfg;
	int ret;

	d->workers = calloc(cfg->queue_count, sizeof(*d->workers));
	if (!d->workers)
		return -ENOMEM;
	for (unsigned i = 0; i < cfg->queue_count; i++) {
		uint16_t q = (uint16_t)(cfg->queue_first + i);

		ret = worker_init(&d->workers[i], i, q, &d->sh);
		if (ret < 0) {
			log_msg(LOG_ERR, "cannot bind NFQUEUE queue %u: %s%s", q, strerror(-ret),
				ret == -EPERM ? " (CAP_NET_ADMIN is needed)" :
				ret == -EBUSY ? " (another process holds this queue)" : "");
			return ret;
		}
		d->nworkers = i + 1;
	}
	for (unsigned i = 0; i < d->nworkers; i++) {
		STAT_SET(d->workers[i].st.heartbeat_ms, clock_mono_ms());
		ret = worker_start(&d->workers[i]);
		if (ret < 0) {
			log_msg(LOG_ERR, "cannot start worker %u: %s", i, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* Everything up to READY. On failure the daemon is left half-built for
 * daemon_fini(); 0 or a negative errno (logged). */
static int
daemon_init(struct daemon *d, struct config *cfg, const struct daemon_opts *o)
{
	pthread_condattr_t mono;
	sigset_t set;
	int ret;

	d->opts = o;
	d->cfg = cfg;
	d->sfd = d->changed_fd = -1;
	d->started_ms = clock_mono_ms();
	/* First of all, before any thread exists: see setup_signals(). */
	ret = setup_signals(&set);
	if (ret < 0) {
		log_msg(LOG_CRIT, "signal setup failed: %s", strerror(-ret));
		return ret;
	}
	d->sfd = ret;

	atomic_init(&d->sh.cfg, cfg);
	atomic_init(&d->sh.cfg_gen, 0);
	atomic_init(&d->sh.stop, false);
	pthread_mutex_init(&d->sh.gen_lock, NULL);
	pthread_condattr_init(&mono);
	pthread_condattr_setclock(&mono, CLOCK_MONOTONIC);
	pthread_cond_init(&d->sh.gen_cond, &mono);
	pthread_condattr_destroy(&mono);
	d->sh_sync = true;

	/* Before the workers: the host's addresses are never banned. */
	d->sh.host = hostaddr_new();
	if (!d->sh.host || (ret = rtnl_open(&d->rtnl, d->sh.host)) < 0) {
		log_msg(LOG_WARNING, "cannot follow the host's addresses (%s): only loopback and "
			"the configured addresses are protected from bans",
			d->sh.host ? strerror(-ret) : "out of memory");
		d->rtnl = NULL;
	}
	learn_server_ifs(d);

	/* Copies: a reload frees the configuration these may come from. */
	d->state_dir = strdup(o->state_dir ? o->state_dir : cfg->state_dir);
	d->socket_path = strdup(o->socket_path ? o->socket_path : cfg->socket_path);
	d->sh.bans = bantab_new(cfg->max_bans);
	d->sh.fails = failtab_new(cfg->max_auth_users);
	d->sh.replies = (struct log_ratelimit)LOG_RATELIMIT_INIT(REPLYLIMIT_RATE, REPLYLIMIT_BURST);
	d->sh.offenders = failtab_new(cfg->max_bans);
	/* Lockout protection; without memory for it the daemon runs on
	 * without (logged). */
	d->sh.known = knowntab_new(cfg->max_known_sources);
	if (!d->sh.known)
		log_msg(LOG_ERR, "no memory for %u known sources: user bans apply everywhere",
			cfg->max_known_sources);
	d->sh.evidence = evidence_new(cfg->evidence_entries);
	if (!d->state_dir || !d->socket_path || !d->sh.bans || !d->sh.fails || !d->sh.offenders ||
	    !d->sh.evidence) {
		log_msg(LOG_CRIT, "out of memory");
		return -ENOMEM;
	}
	d->ops = banops_new(d->sh.bans, 0, cfg->mode == CONFIG_MODE_MONITOR);
	if (!d->ops) {
		log_msg(LOG_CRIT, "out of memory");
		return -ENOMEM;
	}
	d->sh.ops = d->ops;
	banops_set_evidence(d->ops, d->sh.evidence);
	d->up.state_dir = d->state_dir;
	d->up.bans = d->sh.bans;
	d->up.ops = d->ops;
	d->up.host = d->sh.host;
	upkeep_restore(&d->up, clock_mono_ms());
	d->restored = true;

	/* The cluster's bans are in the table before the sets are synced and
	 * before READY (cluster.h). */
	if (cfg->cluster_enabled) {
		d->changed_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		ret = d->changed_fd < 0 ? -errno :
		      cluster_start(&d->cluster, cfg, d->sh.bans, d->ops, d->changed_fd);
		if (ret < 0)
			log_msg(LOG_ERR, "cannot start the cluster thread: %s; bans stay local",
				strerror(-ret));
	}
	banops_set_publish(d->ops, publish_ban, d->cluster);
	ret = start_workers(d);
	if (ret < 0)
		return ret;
	d->watchdog = sd_watchdog_enabled(0, &d->watchdog_usec) > 0;
	/* The queues are bound, so banned sources are dropped by the workers
	 * already: now make the kernel sets agree with the table, and start
	 * the ban thread. */
	ret = banops_start(d->ops, clock_mono_ms());
	if (ret < 0) {
		log_msg(LOG_CRIT, "cannot start the ban thread: %s", strerror(-ret));
		return ret;
	}
	d->up.next_full_resync_ms = clock_mono_ms() + 24ull * 3600 * 1000;
	upkeep_blocklists(&d->up, cfg, clock_mono_ms());
	upkeep_save(&d->up, cfg, clock_mono_ms());
	ret = control_open(&d->ctl, d->socket_path, NULL, &ctl_ops, d);
	if (ret < 0) {
		/* Protection matters more than the CLI: run on without it. */
		log_msg(LOG_ERR, "cannot open control socket %s: %s; sipwardenctl will not "
			"reach this daemon", d->socket_path, strerror(-ret));
		d->ctl = NULL;
	}

	log_msg(LOG_NOTICE, "sipwarden ready: queues %u-%u, mode %s, density %u/%us, %u workers",
		cfg->queue_first, cfg->queue_first + cfg->queue_count - 1,
		cfg->mode == CONFIG_MODE_MONITOR ? "monitor" : "enforce",
		cfg->dos_reqs_density_per_unit, cfg->dos_sampling_time_unit, d->nworkers);
	sd_notify(0, "READY=1");
	d->ready = true;
	return 0;
}

/* Serve every signal queued on the signalfd; false when told to stop. */
static bool
handle_signals(struct daemon *d)
{
	struct signalfd_siginfo si;
	bool running = true;

	while (read(d->sfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			running = false;
			break;
		case SIGHUP:
			/* No one waits for an answer: a failed save is logged and
			 * retried each tick. */
			if (reload(d, NULL, 0) == 0)
				upkeep_save(&d->up, d->cfg, clock_mono_ms());
			break;
		case SIGUSR1:
			log_stats(d);
			break;
		}
	}
	return running;
}

static void
tick(struct daemon *d, uint64_t now)
{
	upkeep_expire(&d->up, now);
	upkeep_resync(&d->up, now);
	upkeep_save(&d->up, d->cfg, now);
	notify_status(d);
	write_stats_file(d);
	if (d->watchdog && workers_alive(d, now))
		sd_notify(0, "WATCHDOG=1");
}

/* Signals, the host's addresses, the cluster's changes, the control socket
 * and the tick, until SIGTERM or SIGINT. */
static void
daemon_loop(struct daemon *d)
{
	struct pollfd pfd[3 + CONTROL_MAX_FDS];
	uint64_t next_tick = clock_mono_ms() + TICK_MS;
	bool running = true;

	while (running) {
		uint64_t now = clock_mono_ms(), v;
		unsigned nctl = d->ctl ? control_poll_fds(d->ctl, pfd + 3, CONTROL_MAX_FDS) : 0;
		int ret;

		pfd[0] = (struct pollfd){ .fd = d->sfd, .events = POLLIN };
		/* The host's addresses as they change (a negative fd is skipped). */
		pfd[1] = (struct pollfd){ .fd = d->rtnl ? rtnl_fd(d->rtnl) : -1, .events = POLLIN };
		pfd[2] = (struct pollfd){ .fd = d->changed_fd, .events = POLLIN }; /* -1: none */
		if (poll(pfd, 3 + nctl, next_tick > now ? (int)(next_tick - now) : 0) < 0)
			for (unsigned i = 0; i < 3 + nctl; i++)
				pfd[i].revents = 0;
		if (pfd[0].revents & POLLIN)
			running = handle_signals(d);
		if ((pfd[1].revents & POLLIN) && (ret = rtnl_process(d->rtnl)) < 0)
			log_msg(LOG_WARNING, "host address updates: %s", strerror(-ret));
		/* Another node's unban: saved now, not at the next tick. */
		if ((pfd[2].revents & POLLIN) && read(d->changed_fd, &v, sizeof(v)) == sizeof(v))
			upkeep_save(&d->up, d->cfg, clock_mono_ms());
		now = clock_mono_ms();
		if (d->ctl)
			control_handle(d->ctl, pfd + 3, nctl, now);
		/* Control clients wake the loop; the tick keeps its pace. */
		if (now < next_tick)
			continue;
		next_tick = now + TICK_MS;
		tick(d, now);
	}
}

/* Undo what daemon_init() built, however far it got. */
static void
daemon_fini(struct daemon *d)
{
	if (d->ready) {
		sd_notify(0, "STOPPING=1");
		log_msg(LOG_NOTICE, "sipwarden stopping");
	}
	control_close(d->ctl);
	d->ctl = NULL;
	atomic_store_explicit(&d->sh.stop, true, memory_order_release);
	for (unsigned i = 0; i < d->nworkers; i++)
		worker_fini(&d->workers[i]);
	cluster_stop(d->cluster);
	d->cluster = NULL;
	if (d->workers && d->ops)
		log_stats(d); /* the counters outlive the threads */
	/* After the workers and the cluster: what they queued reaches the
	 * kernel before the thread ends. */
	banops_free(d->ops);
	d->ops = NULL;
	d->sh.ops = NULL;
	free(d->workers);
	d->workers = NULL;
	d->nworkers = 0;
	/* The final save, with every thread gone. Never before the restore:
	 * an empty table would overwrite the saved bans. */
	if (d->restored && upkeep_save(&d->up, d->cfg, clock_mono_ms()) == 0)
		log_msg(LOG_INFO, "bans saved to %s/%s: %u IP bans, %u user bans", d->state_dir,
			STATE_FILE, bantab_count(d->sh.bans, BAN_KIND_IP),
			bantab_count(d->sh.bans, BAN_KIND_USER));
	rtnl_close(d->rtnl);
	hostaddr_free(d->sh.host);
	if (d->changed_fd >= 0)
		close(d->changed_fd);
	if (d->sfd >= 0)
		close(d->sfd);
	bantab_free(d->sh.bans);
	failtab_free(d->sh.fails);
	failtab_free(d->sh.offenders);
	knowntab_free(d->sh.known);
	evidence_free(d->sh.evidence);
	if (d->sh_sync) {
		pthread_cond_destroy(&d->sh.gen_cond);
		pthread_mutex_destroy(&d->sh.gen_lock);
	}
	config_free(d->cfg);
	free((char *)d->state_dir);
	free((char *)d->socket_path);
}

int
daemon_run(struct config *cfg, const struct daemon_opts *o)
{
	struct daemon d = { 0 };
	int status = EXIT_FAILURE;

	if (daemon_init(&d, cfg, o) == 0) {
		daemon_loop(&d);
		status = EXIT_SUCCESS;
	}
	daemon_fini(&d);
	return status;
}
