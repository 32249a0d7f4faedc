/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_REPLYLIMIT_H
#define SIPWARDEN_REPLYLIMIT_H

/*
 * replylimit - how often sipwarden may answer anyone (banned_user_reply:
 * 403). A banned user's request can carry any spoofed source: each answer
 * is a packet sent to someone who may have asked for nothing (reflection).
 * So at most one answer per destination address per interval (a bounded,
 * keyed table: an attacker can neither grow it nor aim collisions at a
 * victim) and at most `rate` a second overall, shared by every worker.
 * A phone that retransmits its REGISTER still gets its 403; a flood of
 * spoofed requests gets a trickle, spread over its claimed sources.
 */

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "hash.h"
#include "log.h"

#define REPLYLIMIT_SLOTS 4096     /* per worker */
#define REPLYLIMIT_INTERVAL_MS 2000
#define REPLYLIMIT_RATE 20        /* per second, every worker together */
#define REPLYLIMIT_BURST 40

struct replylimit_slot {
	struct addr dst;
	uint64_t last_ms;
};

struct replylimit {
	struct hash_key key;
	uint32_t interval_ms;
	struct replylimit_slot slot[REPLYLIMIT_SLOTS];
	struct log_ratelimit *global; /* shared; NULL: none */
	uint64_t refused_dst, refused_global;
};

/* 0, or a negative errno when no random key could be had. */
int replylimit_init(struct replylimit *r, uint32_t interval_ms, struct log_ratelimit *global);
/* May an answer go to dst now? Takes the slot and a global token when so. */
bool replylimit_take(struct replylimit *r, const struct addr *dst, uint64_t now_ms);

#endif
