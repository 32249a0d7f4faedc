/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_DAEMON_H
#define SIPWARDEN_DAEMON_H

/*
 * daemon - the process around the workers: bind the queues, start the
 * workers, tell systemd, then serve signals and timers (ban expiry, reload,
 * watchdog) until told to stop.
 */

#include <stdbool.h>

#include "config.h"

struct daemon_opts {
	const char *config_path;
	const char *state_dir;   /* NULL: config's daemon.state_dir */
	const char *socket_path; /* NULL: config's daemon.socket */
};

/* Takes ownership of cfg. Returns the process exit status. */
int daemon_run(struct config *cfg, const struct daemon_opts *o);

#endif
