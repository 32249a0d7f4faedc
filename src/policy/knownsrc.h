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
 */

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"

struct knowntab;

/* A table of at least max entries (rounded up to a whole number of sets);
 * NULL without memory. */
struct knowntab *knowntab_new(uint32_t max);
void knowntab_free(struct knowntab *t);

/* user authenticated from src (already aggregated) at now_ms. */
void knowntab_note(struct knowntab *t, const char *user, const struct addr *src, uint64_t now_ms);
/* Did user authenticate from src within ttl_ms before now_ms? t may be NULL. */
bool knowntab_known(struct knowntab *t, const char *user, const struct addr *src,
		    uint64_t now_ms, uint64_t ttl_ms);
uint32_t knowntab_count(struct knowntab *t, uint64_t now_ms, uint64_t ttl_ms);

#endif
