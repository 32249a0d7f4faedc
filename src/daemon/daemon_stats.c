/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "allowlist.h"
#include "banops.h"
#include "clock.h"
#include "control.h"
#include "daemon_stats.h"
#include "log.h"
#include "stats.h"

/* The counters now (main thread only): the workers' summed, the queues'
 * and the daemon's own. Malformed messages by name: the scan's flaws, then
 * the sanity checks. */
void
daemon_fill_stats(const struct daemon *d, struct ctl_stats *st)
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
		cw->sources_dense = ss.rings_used;
		cw->sources_dense_evicted = ss.rings_evicted;
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
	st->allowed = d->sh.allow ? allowlist_count(d->sh.allow) : 0;
}

/* Scratch for daemon_fill_stats() in the main thread: too big for a loop's stack. */
static struct ctl_stats stats_now;

void
daemon_log_stats(const struct daemon *d)
{
	char line[1024];
	FILE *f = fmemopen(line, sizeof(line), "w");

	if (!f)
		return;
	daemon_fill_stats(d, &stats_now);
	ctlproto_format_stats_line(f, &stats_now);
	fputc('\0', f);
	fclose(f);
	line[sizeof(line) - 1] = '\0';
	log_msg(LOG_INFO, "stats: %s", line);
}

void
daemon_notify_status(const struct daemon *d)
{
	daemon_fill_stats(d, &stats_now);
	sd_notifyf(0, "STATUS=%u queues, %llu packets, %llu dropped, %u IP bans, %u user bans",
		   d->nworkers, (unsigned long long)stats_now.packets,
		   (unsigned long long)stats_now.dropped, stats_now.bans_ip, stats_now.bans_user);
}
/* daemon.stats_file: the Prometheus text, rewritten atomically each tick. */
void
daemon_write_stats_file(struct daemon *d)
{
	const char *path = d->cfg->stats_file;
	int ret;

	if (!path)
		return;
	daemon_fill_stats(d, &stats_now);
	ret = control_write_stats_file(path, &stats_now);
	if (ret < 0 && !d->stats_file_failed)
		log_msg(LOG_ERR, "cannot write %s: %s (retrying)", path, strerror(-ret));
	d->stats_file_failed = ret < 0;
}
