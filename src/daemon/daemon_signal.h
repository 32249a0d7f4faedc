/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_DAEMON_SIGNAL_H
#define SIPWARDEN_DAEMON_SIGNAL_H

/*
 * daemon_signal - the process's signals: blocked in every thread and read
 * from a signalfd by the main loop. SIGTERM and SIGINT stop, SIGHUP
 * reloads, SIGUSR1 logs the counters.
 */

#include <stdbool.h>

#include "daemon_internal.h"

/* Block the signals and return a signalfd for them, or a negative errno.
 * Before the process's first thread is created. */
int daemon_signals_block(void);
/* Serve every signal queued on d->sfd; false when told to stop. */
bool daemon_signals_serve(struct daemon *d);

#endif
