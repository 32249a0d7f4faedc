/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_CLOCK_H
#define SIPWARDEN_CLOCK_H

/*
 * clock - the daemon's two time sources.
 *
 * Policy code never calls these: it is handed "now" as a parameter so that
 * unit tests can drive it with an injected clock and exact boundaries.
 */

#include <stdint.h>

/* Monotonic milliseconds (CLOCK_MONOTONIC): ban expiry, density windows. */
uint64_t clock_mono_ms(void);
/* Wall-clock seconds since the epoch: only for what outlives the process
 * (the state file) and for what people read. */
int64_t clock_wall_s(void);

#endif
