/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_DAEMON_INTERNAL_H
#define SIPWARDEN_DAEMON_INTERNAL_H

/*
 * daemon_internal - the daemon's state, shared by the files of the main
 * thread: daemon.c (init, loop, teardown), daemon_signal.c, daemon_reload.c,
 * daemon_stats.c and daemon_ctl.c. Nothing outside src/daemon/ includes it.
 */

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "control.h"
#include "daemon.h"
#include "upkeep.h"
#include "worker.h"

/*
 * Built by daemon_init() in the order of its fields' use, torn down by
 * daemon_fini() from whatever state init reached: every field is zero, NULL
 * or -1 until it is built.
 */
struct daemon {
	const struct daemon_opts *opts;
	struct config *cfg;      /* the main thread's; the workers read sh.cfg */
	int sfd;                 /* signalfd of daemon_signals_block() */
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

#endif
