/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_SRCTAB_H
#define SIPWARDEN_SRCTAB_H

/*
 * srctab - per-worker table of recently seen sources and their request
 * timestamps, the state behind the DoS density rule.
 *
 * The table is owned by one worker thread (--queue-balance sends one source
 * to one queue), so it takes no locks. It has a fixed capacity chosen at
 * creation: an attacker spoofing a million addresses gets the least recently
 * seen entries evicted (and counted), never unbounded growth.
 *
 * Density is judged exactly, not with fixed windows: "more than N requests
 * within any T-ms span" is the test "the oldest of the last N+1 request
 * times is less than T ms old". It is done in two stages so that a new
 * source costs a compact entry and nothing more (issue 19):
 *  - every source has a compact entry (SRCTAB_SMALL exact timestamps
 *    inline) from a pool faulted in at creation;
 *  - a source that makes SRCTAB_SMALL requests within one window takes an
 *    exact ring of N+1 timestamps from a second, smaller pool, seeded with
 *    those SRCTAB_SMALL timestamps. Every earlier request is at least T
 *    older than the promoting one (else it would have promoted earlier), so
 *    the seeded ring decides exactly as a ring kept from the first request.
 * A full ring pool hands the ring of its least recently judged owner to the
 * newcomer (counted in rings_evicted); the owner keeps its newest
 * SRCTAB_SMALL timestamps inline. Both pools are touched at creation: the
 * new-source path neither allocates nor faults.
 */

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"

/* Timestamps kept inline: the promotion threshold (requests in a window). */
#define SRCTAB_SMALL 8

struct srctab;

struct src_entry {
	struct addr addr;
	uint32_t hnext;    /* hash chain (index + 1; 0 ends) */
	uint32_t lru_prev; /* index + 1; 0 = none */
	uint32_t lru_next;
	uint32_t last_ms;  /* truncated monotonic ms this source was last seen */
	uint32_t cfg_gen;  /* config generation `trusted` was computed for */
	uint32_t ring_head; /* of the ring in use: inline or pooled */
	uint32_t ring_count;
	uint32_t ring;     /* pooled exact ring (index + 1); 0 = inline ring */
	uint8_t trusted;
	uint8_t pad[3];
	uint64_t span;     /* inline ring's exact span (see ring_step()) */
	uint32_t small[SRCTAB_SMALL]; /* inline request times (truncated ms) */
};

struct srctab_stats {
	uint32_t capacity;
	uint32_t used;
	uint64_t evicted_live; /* evicted to make room before going idle */
	uint64_t expired;      /* removed after source_idle_time */
	uint32_t rings_capacity; /* exact rings in the pool (0: all inline) */
	uint32_t rings_used;
	uint64_t promoted;      /* sources that took an exact ring */
	uint64_t rings_evicted; /* rings taken from their owner: pool full */
	uint64_t entry_bytes;   /* pre-faulted compact pool (with its buckets) */
	uint64_t ring_bytes;    /* pre-faulted ring pool */
};

/*
 * capacity: maximum entries (>= 16). ring_size: N+1 for a density limit
 * of N requests. The ring pool is sized by srctab_rings_default().
 * Returns NULL on ENOMEM or a bad argument.
 */
struct srctab *srctab_new(uint32_t capacity, uint32_t ring_size);
/* The same with rings exact rings (>= 1; ignored when ring_size <=
 * SRCTAB_SMALL, where the inline ring is the whole history). */
struct srctab *srctab_new_rings(uint32_t capacity, uint32_t ring_size, uint32_t rings);
/* capacity / 16, at most the compact pool's bytes, at least 16. */
uint32_t srctab_rings_default(uint32_t capacity, uint32_t ring_size);
void srctab_free(struct srctab *t);
uint32_t srctab_ring_size(const struct srctab *t);

/* Find the entry for a, creating it (evicting the least recently seen
 * entry when full) if absent. Never fails. *created tells which. The entry
 * becomes the most recently seen. */
struct src_entry *srctab_get(struct srctab *t, const struct addr *a, uint64_t now_ms,
			     bool *created);
struct src_entry *srctab_find(struct srctab *t, const struct addr *a);

/*
 * Record a request at now_ms and answer whether the source has now made more
 * than ring_size-1 requests within a span shorter than window_ms.
 */
bool srctab_hit(struct srctab *t, struct src_entry *e, uint64_t now_ms, uint32_t window_ms);
/* Forget the request history of an entry (after it was banned). Its ring,
 * if any, stays its own until the pool needs it or the entry goes. */
void srctab_reset(struct src_entry *e);

/* Remove at most `max` entries idle for idle_ms or more; returns how many. */
uint32_t srctab_expire(struct srctab *t, uint64_t now_ms, uint32_t idle_ms, uint32_t max);
/* Entries compared to look a up (its chain up to it, or all of it): how
 * tests show that keys chosen to collide cost no more than others. */
uint32_t srctab_probes(const struct srctab *t, const struct addr *a);
void srctab_get_stats(const struct srctab *t, struct srctab_stats *st);

/* Requests of e within the window_ms before now_ms (sipwardenctl top). */
uint32_t srctab_window_count(const struct srctab *t, const struct src_entry *e,
			     uint64_t now_ms, uint32_t window_ms);
/* Visit every entry, most recently seen first. Only from the owning thread. */
typedef void (*srctab_cb)(const struct src_entry *e, void *arg);
void srctab_foreach(const struct srctab *t, srctab_cb cb, void *arg);

#endif
