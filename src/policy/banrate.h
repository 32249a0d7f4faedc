/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_BANRATE_H
#define SIPWARDEN_BANRATE_H

/*
 * banrate - how many automatic IP bans one source prefix may cause.
 *
 * Guards against weaponisation (issue 17): each spoofed packet can cause
 * one ban, so a stream of them from one network would churn the ban table
 * (and the kernel set) at the attacker's pace. At most BANRATE_MAX new
 * bans per BANRATE_WINDOW_MS come from one /16 (IPv4) or /48 (IPv6, 65536
 * /64s); past that the offending packets are still dropped, only not
 * banned (counted). The budget is a whole /24 (IPv4) or a /56's worth of
 * /64s: a burst of real scanners in one network is still banned.
 * A ban of the prefix itself would be the worse weapon: a spoofer would
 * get the neighbours of whoever they name banned.
 *
 * A fixed array of slots indexed by a keyed hash of the prefix: bounded,
 * no allocation per packet, and colliding prefixes only share a budget
 * (the attacker cannot aim a collision: the key is random per table).
 */

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"

#define BANRATE_SLOTS 4096
#define BANRATE_MAX 256
#define BANRATE_WINDOW_MS 10000u

struct banrate;

struct banrate *banrate_new(void);
void banrate_free(struct banrate *r);
/* May src cause one more ban now? Counts it when yes. */
bool banrate_take(struct banrate *r, const struct addr *src, uint64_t now_ms);

#endif
