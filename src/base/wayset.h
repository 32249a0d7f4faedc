/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_WAYSET_H
#define SIPWARDEN_WAYSET_H

/*
 * wayset - the lookup index of a 4-way set-associative table with expiry.
 *
 * The transaction tables (authtrack, enumtrack) are written for nearly
 * every request and hold far more than the CPU caches, so each request's
 * probe is a cache miss. Keeping a set's four keys and birth times in one
 * 64-byte line, apart from the records themselves, makes the probe one
 * miss instead of one per way; the caller then touches only the record it
 * reads or writes (record i of set s is records[s * WAYSET_WAYS + i]).
 * Bounded by construction: a full set replaces its oldest way.
 */

#include <stdbool.h>
#include <stdint.h>

#define WAYSET_WAYS 4

struct wayset {
	uint64_t key[WAYSET_WAYS];  /* 0: empty way */
	uint64_t born[WAYSET_WAYS]; /* ms */
} __attribute__((aligned(64)));

/* Sets for at least want entries: a power of two, at most 2^max_log2. */
uint32_t wayset_count(uint32_t want, unsigned max_log2);
/* A zeroed, cache-line aligned array of n sets; free() it. */
struct wayset *wayset_alloc(uint32_t n);

/*
 * The way to (re)write key into: the way already holding it (a
 * retransmission), else a free or expired way, else the oldest. Marks it
 * key, born now_ms; *evicted tells whether a live entry of another key
 * was overwritten.
 */
unsigned wayset_claim(struct wayset *s, uint64_t key, uint64_t now_ms, uint64_t ttl_ms,
		      bool *evicted);
/* The way holding key and younger than ttl_ms, or -1. A match that has
 * expired is freed on the way. */
int wayset_find(struct wayset *s, uint64_t key, uint64_t now_ms, uint64_t ttl_ms);

#endif
