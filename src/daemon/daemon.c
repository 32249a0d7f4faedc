/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * daemon_run: one init, one loop, one teardown. What the loop serves lives
 * beside it: daemon_signal.c, daemon_reload.c, daemon_stats.c and
 * daemon_ctl.c (the control socket's callbacks).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "banops.h"
#include "clock.h"
#include "cluster.h"
#include "control.h"
#include "daemon.h"
#include "daemon_allow.h"
#include "daemon_ctl.h"
#include "daemon_internal.h"
#include "daemon_reload.h"
#include "daemon_signal.h"
#include "daemon_stats.h"
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

/* banops' way to tell the other nodes (cluster_publish_ban never blocks). */
static int
publish_ban(void *ctx, const struct ban_key *k, enum ban_reason r, uint32_t secs)
{
	return cluster_publish_ban(ctx, k, r, secs);
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
	int ret;

	d->opts = o;
	d->cfg = cfg;
	d->sfd = d->changed_fd = -1;
	d->started_ms = clock_mono_ms();
	/* First of all, before any thread exists: see daemon_signal.c. */
	ret = daemon_signals_block();
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
	daemon_learn_server_ifs(d);

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
	/* Before the restore, which loads it, and the workers, which read it. */
	if (daemon_allow_init(d) < 0) {
		log_msg(LOG_CRIT, "out of memory");
		return -ENOMEM;
	}
	d->up.state_dir = d->state_dir;
	d->up.bans = d->sh.bans;
	d->up.ops = d->ops;
	d->up.host = d->sh.host;
	d->up.known = d->sh.known;
	d->up.known_ttl_ms = (uint64_t)cfg->known_source_time * 1000u;
	/* A cluster's nodes hash known sources under one key: set before the
	 * saved ones are read under it (a failure: cluster_start() says). */
	if (cfg->cluster_enabled)
		cluster_known_key(cfg, d->sh.known);
	upkeep_restore(&d->up, clock_mono_ms());
	daemon_allow_restored(d);
	d->restored = true;

	/* The cluster's bans are in the table before the sets are synced and
	 * before READY (cluster.h). */
	if (cfg->cluster_enabled) {
		d->changed_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		ret = d->changed_fd < 0 ? -errno :
		      cluster_start(&d->cluster, cfg, d->sh.bans, d->ops, d->sh.allow,
				    d->changed_fd, d->sh.host, d->sh.known);
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
	ret = control_open(&d->ctl, d->socket_path, NULL, &daemon_ctl_ops, d);
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

static void
tick(struct daemon *d, uint64_t now)
{
	upkeep_expire(&d->up, now);
	daemon_allow_tick(d);
	upkeep_resync(&d->up, now);
	upkeep_save(&d->up, d->cfg, now);
	daemon_notify_status(d);
	daemon_write_stats_file(d);
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
			running = daemon_signals_serve(d);
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
		daemon_log_stats(d); /* the counters outlive the threads */
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
	daemon_allow_fini(d);
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
