/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_BANOPS_H
#define SIPWARDEN_BANOPS_H

/*
 * banops - ban and unban as the operator sees it: the daemon's table, the
 * kernel set and the log kept in step. Used by the main thread (control
 * commands, start-up, resync); workers ban through policy + worker.c.
 */

#include <stdbool.h>
#include <stdint.h>

#include "bans.h"
#include "kernelset.h"

struct banops {
	struct bantab *bans;
	struct kernelset *ks;   /* NULL when the kernel set cannot be used */
	bool monitor;           /* monitor mode: never touch the kernel set */
	bool set_broken;        /* last resync failed (logged once) */
	uint64_t kset_errors;
};

/* Ban an IP network or a user for secs seconds. 1 new, 0 extended,
 * negative errno. */
int banops_ban(struct banops *b, const struct ban_key *k, enum ban_reason r, uint32_t secs,
	       uint64_t now_ms);
/* Unban; -ENOENT when there was no such ban. */
int banops_unban(struct banops *b, const struct ban_key *k);
/* Unban everything; returns how many. */
uint32_t banops_unban_all(struct banops *b);
/*
 * Make the kernel sets hold exactly the live IP bans: empty them (strays
 * added by hand go) and add every ban with its remaining time. Returns 0 or
 * a negative errno (also logged, once per failure streak).
 */
int banops_resync(struct banops *b, uint64_t now_ms);

#endif
