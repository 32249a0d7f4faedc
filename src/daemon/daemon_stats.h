/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_DAEMON_STATS_H
#define SIPWARDEN_DAEMON_STATS_H

/*
 * daemon_stats - the counters as the main thread shows them: summed over
 * the workers, with the queues' and the ban thread's own, for the SIGUSR1
 * line, systemd's STATUS, sipwardenctl stats and daemon.stats_file.
 * Main thread only.
 */

#include "ctlproto.h"
#include "daemon_internal.h"

void daemon_fill_stats(const struct daemon *d, struct ctl_stats *st);
/* The SIGUSR1 line (also logged at stop). */
void daemon_log_stats(const struct daemon *d);
void daemon_notify_status(const struct daemon *d);
/* daemon.stats_file, if set: the Prometheus text. */
void daemon_write_stats_file(struct daemon *d);

#endif
