/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_ALLOWLIST_H
#define SIPWARDEN_ALLOWLIST_H

/*
 * allowlist - the operator's runtime allow-list (`sipwardenctl allow`).
 *
 * An allowed address, network or user is trusted exactly like the YAML
 * whitelists (trust.h): never banned, never dropped as banned. The list is
 * the operator's, not the attacker's: its keys come from the control socket,
 * the state file or a signed cluster message, and it is bounded
 * (limits.max_allowed) all the same.
 *
 * Writers (the control socket, the expiry tick, the cluster thread) change
 * the list under its mutex, and each change publishes a new immutable
 * snapshot (struct allow_snap) by pointer. Workers read a snapshot without
 * any lock: they take the current one at a batch boundary, when the
 * publish hook (allowlist_set_publish()) has told them, by a generation,
 * that it changed. A replaced snapshot is kept until every worker runs past
 * that generation (allowlist_reclaim()), as the configuration is on reload.
 *
 * Guards against weaponisation: an allow of a whole network is refused when
 * it is wider than ALLOW_WIDE4/ALLOW_WIDE6 unless forced, and a /0 always
 * (it would switch the firewall off; monitor mode is the way to do that).
 */

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "bans.h"

#define ALLOW_COMMENT_MAX 200      /* comment bytes */
#define ALLOW_ORIGIN_MAX 63        /* cluster node name bytes */
#define ALLOW_MAX_DEFAULT 10000    /* limits.max_allowed */
#define ALLOW_WIDE4 16             /* IPv4 allows shorter than this need force */
#define ALLOW_WIDE6 48             /* IPv6 likewise */

struct allow_entry {
	struct ban_key key;        /* as a ban's: an IP network (plen) or user@domain */
	int64_t expires;           /* wall clock, seconds; 0: permanent */
	int64_t created;           /* wall clock, seconds */
	char comment[ALLOW_COMMENT_MAX + 1]; /* raw bytes, NUL-terminated */
	char origin[ALLOW_ORIGIN_MAX + 1];   /* the node that allowed it ("" unknown) */
};

struct allow_snap;
struct allowlist;

/* Called after every change with a new snapshot in place; returns the
 * generation the workers will confirm once they use it (the daemon bumps
 * its configuration generation). */
typedef unsigned (*allowlist_publish_fn)(void *ctx);

/* An empty list of at most max entries (0: ALLOW_MAX_DEFAULT). NULL
 * without memory. */
struct allowlist *allowlist_new(uint32_t max);
/* Frees every snapshot too: only once no worker runs. NULL is a no-op. */
void allowlist_free(struct allowlist *al);
void allowlist_set_publish(struct allowlist *al, allowlist_publish_fn fn, void *ctx);
/* limits.max_allowed changed by a reload: entries beyond it are kept (no
 * allow is ever lost), new ones refused until the list is below it. */
void allowlist_set_max(struct allowlist *al, uint32_t max);

/* A bulk load (the state file): while held, changes publish no snapshot;
 * releasing publishes one for all of them. */
void allowlist_hold(struct allowlist *al, bool hold);

/*
 * Is k an allow an operator may make? 0; -EINVAL (not a key: an empty user
 * part or domain, a bad prefix length, host bits set); -EDOM (a /0, or,
 * unless force, a network wider than ALLOW_WIDE4 / ALLOW_WIDE6).
 */
int allowlist_key_check(const struct ban_key *k, bool force);

/*
 * Allow e->key (checked with allowlist_key_check(, true) at least), or
 * replace the expiry, comment and origin of its entry. 1 new, 0 replaced,
 * -ENOSPC the list is full (nothing changed), -EINVAL a bad key, -ENOMEM.
 */
int allowlist_add(struct allowlist *al, const struct allow_entry *e);
/* Remove the entry of exactly k. 0, -ENOENT, -ENOMEM (nothing changed). */
int allowlist_del(struct allowlist *al, const struct ban_key *k);
/* Copy the entry of exactly k into *out (may be NULL). 0 or -ENOENT. */
int allowlist_get(struct allowlist *al, const struct ban_key *k, struct allow_entry *out);

typedef void (*allowlist_cb)(const struct allow_entry *e, void *arg);
/* Remove the entries expired at now (wall clock, s), calling cb (may be
 * NULL) for each before it goes. Returns how many. */
uint32_t allowlist_expire(struct allowlist *al, int64_t now, allowlist_cb cb, void *arg);
/* Visit every entry, in the order the list keeps (under the lock: do not
 * call back into the list from cb). */
void allowlist_foreach(struct allowlist *al, allowlist_cb cb, void *arg);
uint32_t allowlist_count(struct allowlist *al);
/* Bumped by every change (saves compare it). */
uint64_t allowlist_version(struct allowlist *al);

/*
 * Queries for any thread, under the lock (the control socket, banops, the
 * cluster): does an allow cover address a; does one overlap network
 * net/plen (cover it, or lie inside it); is the user of k allowed. A key of
 * kind IP is asked as allowlist_overlaps(), of kind user as a user.
 */
bool allowlist_covers_key(struct allowlist *al, const struct ban_key *k);

/* The workers' side: the current snapshot (never NULL once published;
 * NULL before the first change). Valid until the worker confirms a later
 * generation than the one it took it at. */
const struct allow_snap *allowlist_snap(struct allowlist *al);
/* Free the snapshots replaced at generations every worker has passed:
 * oldest is the least generation any worker has confirmed. */
void allowlist_reclaim(struct allowlist *al, unsigned oldest);

/* Lock-free queries of a snapshot (s may be NULL: nothing allowed). */
bool allow_snap_any(const struct allow_snap *s);
bool allow_snap_ip(const struct allow_snap *s, const struct addr *a);
bool allow_snap_net_overlaps(const struct allow_snap *s, const struct addr *net, unsigned plen);
bool allow_snap_user(const struct allow_snap *s, const char *user, size_t len);

#endif
