/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_BANFILTER_H
#define SIPWARDEN_BANFILTER_H

/*
 * banfilter - "surely not banned", ahead of the ban table's keyed lookup.
 *
 * Every packet asks whether its source is banned (and whether a prefix of
 * it is, for each prefix length a ban uses), every request with
 * credentials whether its user is. Nearly always the answer is no, and
 * once any ban exists the table found it with a SipHash of the key (280
 * instructions for an address) and a random line of a 512 KB bucket
 * array. The filter gives most of those noes from one byte: 65,536
 * counters, one per slot of a quick hash of the key (hash_quick(), under
 * the filter's own random key), each counting the bans whose key lands
 * in it. Zero: no ban has this key. Anything else: ask the table.
 *
 * Never wrong about a ban that is in the table: a counter is raised
 * before its ban is linked into the table and lowered after it is
 * unlinked. A counter that reaches 255 stays there for good (its slot is
 * then always looked up), so that 8-bit counters keep the array at 64 KB,
 * small enough for the lines of a site's active sources to stay cached.
 * Collisions, chosen or not, only send lookups on to the table: with a
 * full ban table (10M bans) every slot is taken and the filter costs what
 * it saves.
 */

#include <stdbool.h>
#include <stddef.h>

struct banfilter;

/* NULL when out of memory or without a random key (hash.h). */
struct banfilter *banfilter_new(void);
void banfilter_free(struct banfilter *f);
/* A ban's key is the len bytes at key, those the table hashes and
 * compares. Counting: one add per ban linked, one del per ban unlinked
 * (any thread; the table's shard locks are not needed). */
void banfilter_add(struct banfilter *f, const void *key, size_t len);
void banfilter_del(struct banfilter *f, const void *key, size_t len);
/* false: no ban with this key is in the table (or one is being added at
 * this instant, which the next call sees). */
bool banfilter_maybe(const struct banfilter *f, const void *key, size_t len);

#endif
