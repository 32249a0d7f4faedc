/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "allowlist.h"
#include "banops.h"
#include "clock.h"
#include "cluster.h"
#include "daemon_reload.h"
#include "log.h"
#include "rtnl.h"

/* A worker picks a new configuration up between two batches; it waits at
 * most NFQ_TIMEOUT_MS plus queue.batch_wait_us for one. */
#define RELOAD_CONFIRM_MS 5000

/*
 * Gateway mode: the interfaces the SIP server's messages arrive on, from
 * sip.server_interface or else from the route to each server address.
 * Without any, no packet is read as the server's (all are judged): a
 * wrong guess must cost reply accounting, never hand it to a forger.
 */
void
daemon_learn_server_ifs(struct daemon *d)
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
	atomic_store_explicit(&d->sh.n_server_if, 0, memory_order_release);
	for (unsigned j = 0; j < n; j++)
		atomic_store_explicit(&d->sh.server_if[j], ifs[j], memory_order_relaxed);
	atomic_store_explicit(&d->sh.n_server_if, n, memory_order_release);
	if (cfg->n_server_addresses)
		log_msg(LOG_INFO, "gateway mode: the server's messages are read from %u interface(s)", n);
}

static bool
all_workers_on(const struct daemon *d, unsigned gen)
{
	/* At or past gen: the allow-list bumps the generation too (worker.h),
	 * and a worker may have skipped to a later one. Generations wrap. */
	for (unsigned i = 0; i < d->nworkers; i++)
		if ((int)(d->workers[i].gen_seen - gen) < 0)
			return false;
	return true;
}

/* Hand cfg to the workers and wait until each runs in it (worker.h): only
 * then may the old configuration, and its compiled regexes, go. false when
 * a worker did not confirm within RELOAD_CONFIRM_MS. */
static bool
publish_config(struct daemon *d, struct config *cfg)
{
	struct timespec until;
	unsigned gen;
	bool all;

	atomic_store_explicit(&d->sh.cfg, cfg, memory_order_relaxed);
	/* An RMW, as the allow-list's bump is (daemon_allow.c): a plain store
	 * could undo one made meanwhile, and hide its snapshot. */
	gen = atomic_fetch_add_explicit(&d->sh.cfg_gen, 1, memory_order_acq_rel) + 1;
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

int
daemon_reload(struct daemon *d, char *errbuf, size_t errbuflen)
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
	daemon_learn_server_ifs(d);
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
	/* Entries beyond a lowered bound are kept; new ones wait (allowlist.h). */
	allowlist_set_max(d->sh.allow, cfg->max_allowed);
	upkeep_blocklists(&d->up, cfg, clock_mono_ms());
	log_msg(LOG_NOTICE, "configuration reloaded from %s", d->opts->config_path);
	sd_notify(0, "READY=1");
	return 0;
}
