/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_DAEMON_ALLOW_H
#define SIPWARDEN_DAEMON_ALLOW_H

/*
 * daemon_allow - the daemon's side of the operator's runtime allow-list
 * (allowlist.h, `sipwardenctl allow`): it owns the list, hands its
 * snapshots to the workers through the configuration generation, lifts
 * the bans an allow covers through banops (so the kernel sets and the
 * cluster follow), expires timed entries each tick, and writes every
 * change to the journal. Main thread only, but for the publish hook.
 */

#include <stdbool.h>
#include <stdint.h>

#include "control.h"

struct daemon;

/* Create the list (before the restore and before the workers) and tell
 * banops and the workers of it. 0 or -ENOMEM. */
int daemon_allow_init(struct daemon *d);
/* After the restore: lift the bans the restored allows cover (a crash
 * between an allow and its save leaves both in the file). */
void daemon_allow_restored(struct daemon *d);
/* Each tick: expire timed entries, free the snapshots no worker reads. */
void daemon_allow_tick(struct daemon *d);
/* Once no thread runs. */
void daemon_allow_fini(struct daemon *d);

/* control_ops (control.h); ctx is the struct daemon. */
int daemon_allow_add(void *ctx, const struct ban_key *k, uint32_t secs, const char *comment,
		     bool force, uint32_t *lifted);
int daemon_allow_del(void *ctx, const struct ban_key *k);
void daemon_allow_foreach(void *ctx, void (*cb)(const struct ctl_allow *e, void *arg),
			  void *arg);

#endif
