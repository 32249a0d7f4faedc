/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_ENUMTRACK_H
#define SIPWARDEN_ENUMTRACK_H

/*
 * enumtrack - extension enumeration seen in the server's answers.
 *
 * svwar and its kin walk extensions; whatever User-Agent they send, the
 * server answers most of them "no such user". Per worker:
 *  - a small transaction table remembers, for each request, who sent it,
 *    a hash of the user it targeted and whether it carried credentials,
 *    until its final reply (32 s at most; direct-mapped, 4 ways: bounded);
 *  - a per-source ring of the distinct target users answered 404/484 (or
 *    401/403/407 when credentials were sent) within the window. More than
 *    the configured number of distinct users bans the source.
 * A first challenge (401/407 without credentials) never counts: a PBX
 * registering hundreds of accounts from one address is normal.
 */

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "sip.h"

#define ENUM_MAX_DISTINCT 100

struct enumtab;

struct enumtab *enumtab_new(uint32_t max_txns, uint32_t max_sources);
void enumtab_free(struct enumtab *t);

/* A hash of the user a request targets (the To and request-URI user
 * parts, raw), under the table's key. rd: what sanity_check_read() read
 * of m (To and the request-URI), or NULL to read them here (the answer is
 * the same). */
uint64_t enum_target_hash(const struct enumtab *t, const struct sip_msg *m,
			  const struct sip_read *rd);

/* Start loading key's slots into the cache, ahead of enumtab_request(). */
void enumtab_prefetch(const struct enumtab *t, uint64_t key);
/* Remember a request (key: txn_key() of authtrack.h). */
void enumtab_request(struct enumtab *t, uint64_t key, const struct addr *src,
		     uint64_t target, bool creds, uint64_t now_ms);
/* Is a live request remembered under key for another source or target?
 * Such a second request (a decoy) would overwrite it and have the
 * server's 404 counted against a user already counted (issue 16). */
bool enumtab_conflict(struct enumtab *t, uint64_t key, const struct addr *src, uint64_t target,
		      uint64_t now_ms);
/*
 * The final reply to key has status. Returns the number of distinct target
 * users answered negatively for that source within window_ms (0 when the
 * reply is not negative or matches no remembered request); *src is set.
 */
uint32_t enumtab_reply(struct enumtab *t, uint64_t key, unsigned status, uint64_t now_ms,
		       uint32_t window_ms, struct addr *src);
/* Forget a source's history (after it was banned). */
void enumtab_forget(struct enumtab *t, const struct addr *src);

#endif
