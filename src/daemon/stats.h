/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_STATS_H
#define SIPWARDEN_STATS_H

/*
 * stats - counters written by exactly one thread and read by others.
 *
 * The owner increments with a relaxed atomic store (a plain move on x86,
 * no locked instruction on the hot path); readers load relaxed. A reader
 * may see a counter one increment old, never a torn value.
 */

#include <stdint.h>

#define STAT_INC(c) __atomic_store_n(&(c), (c) + 1, __ATOMIC_RELAXED)
#define STAT_ADD(c, n) __atomic_store_n(&(c), (c) + (n), __ATOMIC_RELAXED)
#define STAT_SET(c, v) __atomic_store_n(&(c), (v), __ATOMIC_RELAXED)
#define STAT_GET(c) __atomic_load_n(&(c), __ATOMIC_RELAXED)

#endif
