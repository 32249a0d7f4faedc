/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_AUTHTRACK_H
#define SIPWARDEN_AUTHTRACK_H

/*
 * authtrack - authentication failures counted from the server's replies.
 *
 * Two tables:
 *  - a per-worker transaction table (struct txntab): every request that
 *    carried credentials is remembered, keyed by Call-ID, CSeq number and
 *    method and From tag, until its final reply or the SIP transaction
 *    timeout (32 s). It is direct-mapped with 4 ways per bucket: bounded by
 *    construction, oldest way replaced first. --queue-balance hashes both
 *    directions of a client/server pair to the same queue, so a reply meets
 *    its request in the same worker without locks.
 *  - a shared failure table (struct failtab): consecutive failures per
 *    user@domain across every source IP and worker, sharded with a lock per
 *    shard, bounded (max_auth_users; the least recently failed user in the
 *    shard makes room), and forgotten after failed_auth_ban_time without a
 *    failure.
 *
 * A failure is a 401, 407 or 403 final reply to a request that carried
 * Authorization or Proxy-Authorization; the first challenge of a request
 * without credentials is never seen here, as such requests are not
 * remembered. A 2xx reply for the user resets the count.
 */

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "sip.h"

#define AUTH_USER_MAX SIP_AUTH_USER_MAX /* user@domain, NUL included */
#define AUTH_STR_MAX 96   /* UA, R-URI, Call-ID kept for the log line */
#define TXN_TIMEOUT_MS 32000

/* A remembered request, as txntab_get() hands it out. The table keeps
 * it packed (authtrack.c): the same fields, each cut at the same length. */
struct txn {
	uint64_t key;           /* txn_key() */
	struct addr src;
	char user[AUTH_USER_MAX];
	char ua[AUTH_STR_MAX];
	char ruri[AUTH_STR_MAX];
	char callid[AUTH_STR_MAX];
};

struct txntab;

struct txntab *txntab_new(uint32_t capacity);
void txntab_free(struct txntab *t);
/* The transaction key of a request or of the reply to it under k (hash.h;
 * the caller's per-worker key), 0 when the message lacks what identifies a
 * transaction. */
/* rd: what sanity_check_read() read of m (From's tag), or NULL to read it
 * here (the answer is the same; a request's second walk is saved). */
uint64_t txn_key(const struct hash_key *k, const struct sip_msg *m, const struct sip_read *rd);
/* Remember the request m under key, from src, speaking for user (cut at
 * AUTH_USER_MAX - 1 bytes; its User-Agent, R-URI and Call-ID at
 * AUTH_STR_MAX - 1, unfolded), replacing the oldest or an expired way of
 * its bucket. */
void txntab_put(struct txntab *tt, uint64_t key, uint64_t now_ms, const struct addr *src,
		const char *user, const struct sip_msg *m);
/* Start loading key's slot into the cache (the table is far larger than
 * the caches; the caller does other work before txntab_put()). */
void txntab_prefetch(const struct txntab *tt, uint64_t key);
/* Find and, when take is set, remove. Expired entries are not found. */
bool txntab_get(struct txntab *tt, uint64_t key, uint64_t now_ms, bool take, struct txn *out);
uint64_t txntab_replaced(const struct txntab *tt); /* live entries overwritten */

struct failtab;

struct failtab *failtab_new(uint32_t max_users);
void failtab_free(struct failtab *f);
/* Count one failure for user; returns the consecutive count so far. An
 * entry idle for forget_ms or more starts again from zero. */
uint32_t failtab_fail(struct failtab *f, const char *user, uint64_t now_ms, uint64_t forget_ms);
/* Date the entry's last event at last_ms (which may lie in the future: the
 * repeat-offender table dates a ban by its end, so that the window runs
 * from when the ban is over). */
void failtab_touch(struct failtab *f, const char *user, uint64_t last_ms);
void failtab_reset(struct failtab *f, const char *user);
uint32_t failtab_count(const struct failtab *f);
/* Visit every counter (sipwardenctl top), one shard locked at a time: the
 * callback must only copy. */
typedef void (*failtab_cb)(const char *user, uint32_t failures, uint64_t last_ms, void *arg);
void failtab_foreach(struct failtab *f, failtab_cb cb, void *arg);

/*
 * The identity a request speaks for, "user@domain": the credentials'
 * username when present, else the From user; the domain is the From host.
 * Returns 0 or a negative errno (-EINVAL when nothing usable). rd: what
 * sanity_check_read() read of m (the credentials' username, From's user
 * and host), or NULL to read them here (the answer is the same).
 */
int auth_user_key(const struct sip_msg *m, const struct sip_read *rd, char *out, size_t len);

#endif
