/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_DAEMON_CTL_H
#define SIPWARDEN_DAEMON_CTL_H

/*
 * daemon_ctl - what the control socket (control.h) asks of the daemon:
 * bans and unbans by the operator, status, stats, why, top, reload. The
 * callbacks run in the main thread; their ctx is the struct daemon.
 */

#include "control.h"

extern const struct control_ops daemon_ctl_ops;

#endif
