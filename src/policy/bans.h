/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_BANS_H
#define SIPWARDEN_BANS_H

/*
 * bans - the table of banned IPs and banned users, shared by all workers.
 *
 * Lookups happen for every packet, so the table is split into shards, each
 * with its own lock: two workers rarely touch the same shard, and the
 * control thread's listing or the expiry sweep holds one shard at a time.
 *
 * The table is bounded (max_bans) and keeps room for every kind (issue 17):
 * spoofed UDP sources can make one automatic IP ban per packet, and they
 * must not crowd out what matters more. Automatic IP bans (density, UA,
 * scanner, enumeration, auth by IP) may fill at most max_bans minus a
 * reserve of a tenth; user bans and operator bans (manual, blocklist) may
 * use the whole table. When a ban does not fit, expired bans make room
 * first, then the least valuable automatic IP ban is evicted: of a sample
 * of entries, one that dropped at most one packet with the least time left
 * (the sample keeps the cost per insert constant under a flood). Only when
 * no automatic IP ban is there to evict is a ban refused (and counted).
 */

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"

#define BAN_KEY_MAX 256 /* user@domain bytes, NUL excluded */

enum ban_kind { BAN_KIND_IP = 1, BAN_KIND_USER = 2 };

enum ban_reason {
	BAN_REASON_MANUAL = 0,
	BAN_REASON_DENSITY,
	BAN_REASON_UA,
	BAN_REASON_AUTH,
	BAN_REASON_MALFORMED,
	BAN_REASON_ENUM,
	BAN_REASON_SCANNER,
	BAN_REASON_BLOCKLIST,
	BAN_REASON__MAX
};

struct ban_key {
	uint8_t kind;  /* enum ban_kind */
	uint8_t plen;  /* IP: prefix length (32/128 for one address) */
	uint16_t len;  /* bytes used in data */
	char data[BAN_KEY_MAX];
};

/* What bantab_foreach() and bantab_expire() report. */
struct ban_info {
	const struct ban_key *key;
	enum ban_reason reason;
	uint64_t expires_ms; /* monotonic */
	uint64_t created_ms;
	uint64_t hits;       /* packets dropped because of this ban */
};

struct bantab;

struct bantab *bantab_new(uint32_t max_bans);
void bantab_free(struct bantab *t);

void ban_key_ip(struct ban_key *k, const struct addr *a);
/* A network: the address with host bits past plen cleared. */
void ban_key_net(struct ban_key *k, const struct addr *a, unsigned plen);
/* user is "user@domain"; -EINVAL when empty, -ENAMETOOLONG when over
 * BAN_KEY_MAX. */
int ban_key_user(struct ban_key *k, const char *user);
/* Text form of a key: the address, or the user. */
const char *ban_key_format(const struct ban_key *k, char *buf, size_t len);
const char *ban_reason_name(enum ban_reason r);
/* SipHash (hash.h) of the used key bytes under a table's key. Keys are
 * attacker-chosen: each table draws its key from getrandom(). */
uint64_t ban_key_hash(const struct ban_key *k, const struct hash_key *hk);

/*
 * Ban key until now_ms + duration_ms, or extend an existing ban (a ban is
 * never shortened by a later, shorter one: the later expiry wins).
 * Returns 1 when a new ban was created, 0 when an existing one was kept or
 * extended, -ENOSPC when the table is full of live bans.
 */
int bantab_add(struct bantab *t, const struct ban_key *k, enum ban_reason r,
	       uint64_t now_ms, uint64_t duration_ms);
/* The same; when an automatic IP ban was evicted to make room, its key is
 * copied to *evicted (for the kernel set), else evicted->kind is 0.
 * evicted may be NULL. */
int bantab_add_evict(struct bantab *t, const struct ban_key *k, enum ban_reason r,
		     uint64_t now_ms, uint64_t duration_ms, struct ban_key *evicted);
/* Automatic bans (may be evicted, count against the quota): IP bans for
 * any reason but manual and blocklist. */
bool ban_is_automatic(const struct ban_key *k, enum ban_reason r);
/* Like bantab_add() but sets the expiry exactly (restore from state). */
int bantab_set(struct bantab *t, const struct ban_key *k, enum ban_reason r,
	       uint64_t created_ms, uint64_t expires_ms);
/* True while k is banned (counts a hit). Expired entries read as absent. */
bool bantab_check(struct bantab *t, const struct ban_key *k, uint64_t now_ms);
/* Entries compared to look k up (tests: colliding keys cost no more). */
uint32_t bantab_probes(struct bantab *t, const struct ban_key *k);
/*
 * Is this source banned, by its own address or by any banned network that
 * holds it? Only the prefix lengths that some ban uses are tried (as the
 * kernel's hash:net does), so with address bans alone it is one lookup.
 */
bool bantab_check_ip(struct bantab *t, const struct addr *a, uint64_t now_ms);
/* Cheap pre-check for the hot path: are there any bans of this kind? */
bool bantab_any(const struct bantab *t, enum ban_kind kind);
/* Remove a ban. 0 or -ENOENT. */
int bantab_del(struct bantab *t, const struct ban_key *k);
/* Remove every ban; returns how many. */
uint32_t bantab_clear(struct bantab *t);

typedef void (*bantab_cb)(const struct ban_info *b, void *arg);
/* Remove expired bans, calling cb (may be NULL) for each before it goes. */
uint32_t bantab_expire(struct bantab *t, uint64_t now_ms, bantab_cb cb, void *arg);
/* Visit every live ban. cb runs with a shard lock held: do not call back
 * into the table from it. */
void bantab_foreach(struct bantab *t, uint64_t now_ms, bantab_cb cb, void *arg);

uint32_t bantab_count(const struct bantab *t, enum ban_kind kind);
/* Grows whenever a ban is created, changed or removed other than by expiry:
 * the persistence code saves when it moved. */
uint64_t bantab_version(const struct bantab *t);
uint64_t bantab_refused(const struct bantab *t);
uint64_t bantab_evicted(const struct bantab *t);
uint32_t bantab_max(const struct bantab *t);
/* How many automatic IP bans fit (max_bans less the reserve). */
uint32_t bantab_auto_max(const struct bantab *t);
uint32_t bantab_auto_count(const struct bantab *t);

#endif
