/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_KNOWNSRC_H
#define SIPWARDEN_KNOWNSRC_H

/*
 * knownsrc - where each user recently proved its password: the sources
 * (IPv4 address, IPv6 dos_ipv6_prefix network) from which a credentialed
 * request of the user got a 2xx, for security.known_source_time.
 *
 * Guards against weaponisation (issue 17, account lockout): anyone can
 * make the server send 401s for alice to addresses they spoof, and three
 * of them ban alice everywhere. A user ban does not apply to alice's known
 * sources, so she keeps working from where she is known to have been, and
 * the guesser stays banned everywhere else.
 *
 * Shared by the workers (a reply and the next request may be seen by
 * different ones): a fixed array of 4-way sets, indexed by a keyed SipHash
 * of (user, source) so that an attacker cannot aim at one set; only the
 * 64-bit hash is kept (no user text), each set under its own lock
 * (striped). Bounded: a full set replaces its oldest entry.
 *
 * Kept beyond the process, like the bans (a restart must not unprotect
 * alice for known_source_time): an entry is its hash and time, so the hash
 * key must outlive the process too. It is saved with the entries (state.h)
 * and adopted at the next start; on a cluster every node derives the same
 * key from cluster.key_file (cluster.h) so that one node's entries mean the
 * same on the others, and what a node learns goes to a bounded outbox that
 * the cluster thread publishes. Nothing here trusts what comes back in:
 * merged entries land in the same bounded sets.
 */

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "hash.h"

/* A known source is shared again (published, saved) at most this often
 * while the user keeps authenticating from it: a REGISTER refresh every
 * minute must not become a cluster message every minute. */
#define KNOWNSRC_SHARE_MS (24ull * 3600 * 1000)
/* Entries waiting for the cluster thread; past this they are dropped and
 * counted (the node still knows them, its peers learn them at the next
 * share). */
#define KNOWNSRC_OUTBOX 1024

struct knowntab;

/* What leaves the table: an entry's hash and, from knowntab_foreach(),
 * the age of its last success; from knowntab_take_shares(), its time (ms,
 * the caller's monotonic clock). */
struct knowntab_entry {
	uint64_t h;
	uint64_t ms;
};

/* A table of at least max entries (rounded up to a whole number of sets);
 * NULL without memory. Its key is random until knowntab_set_key(). */
struct knowntab *knowntab_new(uint32_t max);
void knowntab_free(struct knowntab *t);

/*
 * Replace the hash key, forgetting every entry (they were made under the
 * old one). fixed: the key comes from the configuration (the cluster's),
 * and a saved file's other key must not replace it. Before the workers
 * run: not safe against concurrent notes.
 */
void knowntab_set_key(struct knowntab *t, const struct hash_key *k, bool fixed);
/* The key and whether it is fixed. */
void knowntab_get_key(struct knowntab *t, struct hash_key *k, bool *fixed);
/* No entry at all (of any age). */
bool knowntab_empty(struct knowntab *t);
/* Have knowntab_note() queue what it learns for knowntab_take_shares(). */
void knowntab_set_sharing(struct knowntab *t, bool on);

/* user authenticated from src (already aggregated) at now_ms. */
void knowntab_note(struct knowntab *t, const char *user, const struct addr *src, uint64_t now_ms);
/* Did user authenticate from src within ttl_ms before now_ms? t may be NULL. */
bool knowntab_known(struct knowntab *t, const char *user, const struct addr *src,
		    uint64_t now_ms, uint64_t ttl_ms);
uint32_t knowntab_count(struct knowntab *t, uint64_t now_ms, uint64_t ttl_ms);

/*
 * An entry from outside (the state file, another node), under this table's
 * key, whose last success was age_ms before now_ms (it may predate the
 * monotonic clock): an entry with the same hash keeps the later time; a
 * new one takes a free or the oldest slot of its set, unless every slot
 * there is more recent. Never queued for sharing (it came from where it
 * would go). 1 stored, 0 not (older than what the set holds, or h is 0).
 */
int knowntab_merge(struct knowntab *t, uint64_t h, uint64_t now_ms, uint64_t age_ms);
/* Every entry younger than ttl_ms at now_ms, under its set's lock (cb
 * must not call back into t). */
void knowntab_foreach(struct knowntab *t, uint64_t now_ms, uint64_t ttl_ms,
		      void (*cb)(const struct knowntab_entry *e, void *arg), void *arg);
/* Up to max entries noted since the last call, oldest first. */
uint32_t knowntab_take_shares(struct knowntab *t, struct knowntab_entry *out, uint32_t max);
/* Shares dropped because the outbox was full. */
uint64_t knowntab_shares_dropped(struct knowntab *t);
/* Grows when an entry is added or due to be shared: the state is saved
 * when this moved (a refresh of a known entry alone does not move it). */
uint64_t knowntab_version(struct knowntab *t);

#endif
