/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_STATS_H
#define SIPWARDEN_STATS_H

/*
 * stats - counters written by exactly one thread and read by others.
 *
 * The counters are C11 atomics. The owner increments with a relaxed load
 * and a relaxed store, not an atomic read-modify-write: there is no other
 * writer, and on x86 that is a plain move, no locked instruction on the
 * hot path. Readers load relaxed: a counter may be one increment old,
 * never torn.
 */

#include <stdatomic.h>
#include <stdint.h>

typedef _Atomic uint64_t stat_t;

#define STAT_GET(c) atomic_load_explicit(&(c), memory_order_relaxed)
#define STAT_SET(c, v) atomic_store_explicit(&(c), (v), memory_order_relaxed)
#define STAT_ADD(c, n) STAT_SET(c, STAT_GET(c) + (n))
#define STAT_INC(c) STAT_ADD(c, 1)

#endif
