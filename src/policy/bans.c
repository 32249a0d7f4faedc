/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "banfilter.h"
#include "bans.h"

#define NSHARDS 64
#define SHARD_BUCKETS 1024

/* Automatic IP bans looked at to pick one to evict. */
#define EVICT_SAMPLES 32

/* A chain's links are atomic: bantab_check() and evict_one() peek at a
 * bucket without its shard's lock; every other access holds it. */
typedef struct ban *_Atomic ban_link;

struct ban {
	ban_link next;
	uint64_t created_ms;
	uint64_t expires_ms;
	uint64_t hits;
	enum ban_reason reason;
	struct ban_key key; /* only the used part of data is allocated */
};

struct shard {
	pthread_mutex_t lock;
	ban_link buckets[SHARD_BUCKETS];
} __attribute__((aligned(64)));

struct bantab {
	uint32_t max_bans;
	struct hash_key key; /* getrandom(): bans an attacker causes land anywhere */
	_Atomic uint32_t count[3]; /* by kind */
	_Atomic uint32_t total;
	uint32_t auto_max;  /* automatic IP bans allowed (max_bans less the reserve) */
	_Atomic uint32_t auto_count;
	_Atomic uint32_t sample; /* where the next eviction sample starts */
	_Atomic uint64_t refused;
	_Atomic uint64_t evicted;
	_Atomic uint64_t version;
	_Atomic uint64_t min_expiry; /* no ban expires before this (a lower bound) */
	/* Prefix lengths in use by network bans: bit n of plens[fam][n/64]
	 * (fam 0: IPv4, 1: IPv6). Set when such a ban is added, never cleared:
	 * a stale bit costs one lookup, a missing one a missed ban. */
	_Atomic uint64_t plens[2][3];
	struct banfilter *filter; /* answers most "not banned" before the lookup */
	struct shard shards[NSHARDS];
};

struct bantab *
bantab_new(uint32_t max_bans)
{
	struct bantab *t;
	unsigned i;

	if (max_bans == 0)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	/* No table without an unpredictable key: see hash.h. */
	t->filter = banfilter_new();
	if (!t->filter || hash_key_random(&t->key) < 0) {
		banfilter_free(t->filter);
		free(t);
		return NULL;
	}
	t->max_bans = max_bans;
	/* A tenth is kept for user and operator bans (at least one). */
	t->auto_max = max_bans - (max_bans / 10 ? max_bans / 10 : (max_bans > 1));
	for (i = 0; i < NSHARDS; i++)
		pthread_mutex_init(&t->shards[i].lock, NULL);
	return t;
}

void
bantab_free(struct bantab *t)
{
	if (!t)
		return;
	bantab_clear(t);
	for (unsigned i = 0; i < NSHARDS; i++)
		pthread_mutex_destroy(&t->shards[i].lock);
	banfilter_free(t->filter);
	free(t);
}

void
ban_key_ip(struct ban_key *k, const struct addr *a)
{
	k->kind = BAN_KIND_IP;
	k->plen = a->family == AF_INET ? 32 : 128;
	k->len = sizeof(*a);
	memcpy(k->data, a, sizeof(*a));
	/* Key bytes are hashed and compared: pad[] and the unused a[4..15] of
	 * an IPv4 address may hold junk (addr.h), and must not make one
	 * address two bans. */
	memset(k->data + offsetof(struct addr, pad), 0, sizeof(a->pad));
	if (a->family == AF_INET)
		memset(k->data + offsetof(struct addr, a) + 4, 0, sizeof(a->a) - 4);
}

void
ban_key_net(struct ban_key *k, const struct addr *a, unsigned plen)
{
	struct addr m = *a;
	unsigned full = a->family == AF_INET ? 32 : 128;

	if (plen > full)
		plen = full;
	addr_mask(&m, plen);
	ban_key_ip(k, &m);
	k->plen = (uint8_t)plen;
}

int
ban_key_user(struct ban_key *k, const char *user)
{
	size_t n = strlen(user);

	/* Nobody is called "": an empty key would ban no user, and its state
	 * line ("user  0 ...") could not be read back. */
	if (n == 0)
		return -EINVAL;
	if (n > BAN_KEY_MAX)
		return -ENAMETOOLONG;
	k->kind = BAN_KIND_USER;
	k->plen = 0;
	k->len = (uint16_t)n;
	memcpy(k->data, user, n);
	return 0;
}

const char *
ban_key_format(const struct ban_key *k, char *buf, size_t len)
{
	if (k->kind == BAN_KIND_IP) {
		struct addr a;

		memcpy(&a, k->data, sizeof(a));
		return addr_format(&a, buf, len);
	}
	snprintf(buf, len, "%.*s", (int)k->len, k->data);
	return buf;
}

const char *
ban_reason_name(enum ban_reason r)
{
	static const char *const names[BAN_REASON__MAX] = {
		[BAN_REASON_MANUAL] = "manual",
		[BAN_REASON_DENSITY] = "density",
		[BAN_REASON_UA] = "ua",
		[BAN_REASON_AUTH] = "auth",
		[BAN_REASON_MALFORMED] = "malformed",
		[BAN_REASON_ENUM] = "enum",
		[BAN_REASON_SCANNER] = "scanner",
		[BAN_REASON_BLOCKLIST] = "blocklist",
	};

	return (unsigned)r < BAN_REASON__MAX ? names[r] : "unknown";
}

/* The bytes of a key that are hashed and compared (and filtered). */
static size_t
key_bytes(const struct ban_key *k)
{
	return offsetof(struct ban_key, data) + k->len;
}

uint64_t
ban_key_hash(const struct ban_key *k, const struct hash_key *hk)
{
	/* kind, plen, len and the used data bytes lie back to back (no
	 * padding: bans.h), and an IP key's pad[] bytes are zeroed by
	 * ban_key_ip(): equal keys hash alike. */
	return hash_bytes(hk, k, key_bytes(k));
}

static uint64_t
key_hash(const struct bantab *t, const struct ban_key *k)
{
	return ban_key_hash(k, &t->key);
}

static bool
key_equal(const struct ban_key *x, const struct ban_key *y)
{
	return x->kind == y->kind && x->plen == y->plen && x->len == y->len &&
	       memcmp(x->data, y->data, x->len) == 0;
}

/* Lock the key's shard and return the link that points at its entry (or
 * the NULL link at the end of its chain). The caller unlocks *sp. */
static ban_link *
lock_lookup(struct bantab *t, const struct ban_key *k, struct shard **sp)
{
	uint64_t h = key_hash(t, k);
	struct shard *s = &t->shards[h % NSHARDS];
	ban_link *pp = &s->buckets[(h / NSHARDS) % SHARD_BUCKETS];

	pthread_mutex_lock(&s->lock);
	*sp = s;
	while (*pp && !key_equal(&(*pp)->key, k))
		pp = &(*pp)->next;
	return pp;
}

static void
bump(struct bantab *t)
{
	atomic_fetch_add_explicit(&t->version, 1, memory_order_relaxed);
}

uint64_t
bantab_version(const struct bantab *t)
{
	return atomic_load_explicit(&t->version, memory_order_relaxed);
}

bool
ban_is_automatic(const struct ban_key *k, enum ban_reason r)
{
	return k->kind == BAN_KIND_IP && r != BAN_REASON_MANUAL && r != BAN_REASON_BLOCKLIST;
}

/* hold: the ban's slot (total, and auto_count for an automatic one) is
 * handed to the caller's insert rather than freed (evict_one()). */
static void
unlink_ban_hold(struct bantab *t, ban_link *pp, bool hold)
{
	struct ban *b = *pp;

	*pp = b->next;
	banfilter_del(t->filter, &b->key, key_bytes(&b->key));
	if (!hold) {
		if (ban_is_automatic(&b->key, b->reason))
			atomic_fetch_sub_explicit(&t->auto_count, 1, memory_order_relaxed);
		atomic_fetch_sub_explicit(&t->total, 1, memory_order_relaxed);
	}
	atomic_fetch_sub_explicit(&t->count[b->key.kind], 1, memory_order_relaxed);
	free(b);
}

static void
unlink_ban(struct bantab *t, ban_link *pp)
{
	unlink_ban_hold(t, pp, false);
}

static void
fill_info(const struct ban *b, struct ban_info *bi)
{
	bi->key = &b->key;
	bi->reason = b->reason;
	bi->expires_ms = b->expires_ms;
	bi->created_ms = b->created_ms;
	bi->hits = b->hits;
}

/* Lower the bound on the earliest expiry. */
static void
note_expiry(struct bantab *t, uint64_t expires_ms)
{
	uint64_t cur = atomic_load_explicit(&t->min_expiry, memory_order_relaxed);

	while (expires_ms < cur &&
	       !atomic_compare_exchange_weak_explicit(&t->min_expiry, &cur, expires_ms,
						      memory_order_relaxed, memory_order_relaxed))
		;
}

/* Value of an automatic ban for eviction: lower goes first. A ban that
 * dropped more than one packet is holding a real sender off. */
static bool
less_valuable(const struct ban *x, const struct ban *y)
{
	bool xa = x->hits > 1, ya = y->hits > 1;

	if (xa != ya)
		return !xa;
	return x->expires_ms < y->expires_ms;
}

/*
 * Evict the least valuable automatic IP ban of a sample (bans.h): the
 * first EVICT_SAMPLES automatic bans found walking the buckets from a
 * moving start, so successive evictions look at different parts of the
 * table. Where a ban sits follows the hash, which the attacker cannot
 * steer. A full table of max_bans entries yields the sample within about
 * EVICT_SAMPLES * buckets / max_bans buckets; a table holding fewer
 * automatic bans than that is looked at whole. Returns 1 when one went
 * (its key in *out when out is not NULL), 0 when there is none to evict,
 * -EAGAIN when another worker took the chosen one first. Its slot, an automatic one,
 * is not freed but handed to the caller, who must take it (insert) or
 * give it back (release_slot()): freed, another worker's insert could
 * take it first, and this one would be refused for a full table.
 */
static int
evict_one(struct bantab *t, uint64_t now_ms, struct ban_key *out)
{
	struct ban_key victim;
	bool found = false;
	/* Read only once found; zeroed for compilers that cannot tell
	 * (gcc -Os warns). */
	struct ban best = { .hits = 0 };
	unsigned seen = 0;
	uint32_t start = atomic_fetch_add_explicit(&t->sample, 40503u, memory_order_relaxed);

	for (unsigned i = 0; i < NSHARDS * SHARD_BUCKETS && seen < EVICT_SAMPLES; i++) {
		uint32_t pos = (start + i) % (NSHARDS * SHARD_BUCKETS);
		struct shard *s = &t->shards[pos % NSHARDS];
		struct ban *b;

		if (!atomic_load_explicit(&s->buckets[(pos / NSHARDS) % SHARD_BUCKETS], memory_order_acquire))
			continue;
		pthread_mutex_lock(&s->lock);
		for (b = s->buckets[(pos / NSHARDS) % SHARD_BUCKETS]; b; b = b->next) {
			if (!ban_is_automatic(&b->key, b->reason))
				continue;
			seen++;
			if (!found || b->expires_ms <= now_ms || less_valuable(b, &best)) {
				best.hits = b->hits;
				best.expires_ms = b->expires_ms;
				/* Only key.len bytes of data are allocated. */
				victim.kind = b->key.kind;
				victim.plen = b->key.plen;
				victim.len = b->key.len;
				memcpy(victim.data, b->key.data, b->key.len);
				found = true;
			}
		}
		pthread_mutex_unlock(&s->lock);
	}
	if (!found)
		return 0;
	{
		struct shard *s;
		ban_link *pp = lock_lookup(t, &victim, &s);
		bool gone = false;

		/* Still there and still automatic (a manual ban may have
		 * replaced it meanwhile). */
		if (*pp && ban_is_automatic(&(*pp)->key, (*pp)->reason)) {
			unlink_ban_hold(t, pp, true);
			gone = true;
		}
		pthread_mutex_unlock(&s->lock);
		if (!gone)
			return -EAGAIN;
	}
	atomic_fetch_add_explicit(&t->evicted, 1, memory_order_relaxed);
	bump(t);
	if (out) {
		out->kind = victim.kind;
		out->plen = victim.plen;
		out->len = victim.len;
		memcpy(out->data, victim.data, victim.len);
	}
	return 1;
}

/* Does a live ban of k already hold the slot an insert of reason r needs?
 * Not when an exact insert turns an operator's ban into an automatic one:
 * that takes an automatic slot, so the quota must have room for it. */
static bool
holds_slot(struct bantab *t, const struct ban_key *k, enum ban_reason r, bool exact,
	   uint64_t now_ms)
{
	struct shard *s;
	ban_link *pp = lock_lookup(t, k, &s);
	bool held = *pp && (*pp)->expires_ms > now_ms &&
		    !(exact && ban_is_automatic(k, r) && !ban_is_automatic(&(*pp)->key, (*pp)->reason));

	pthread_mutex_unlock(&s->lock);
	return held;
}

/* Give back an automatic slot evict_one() handed over. */
static void
release_slot(struct bantab *t)
{
	atomic_fetch_sub_explicit(&t->auto_count, 1, memory_order_relaxed);
	atomic_fetch_sub_explicit(&t->total, 1, memory_order_relaxed);
}

/* A ban's reason changes (an operator bans what the policy banned, or the
 * other way round): keep the count of automatic bans true. */
static void
set_reason(struct bantab *t, struct ban *b, enum ban_reason r)
{
	bool was = ban_is_automatic(&b->key, b->reason), is = ban_is_automatic(&b->key, r);

	if (was && !is)
		atomic_fetch_sub_explicit(&t->auto_count, 1, memory_order_relaxed);
	else if (!was && is)
		atomic_fetch_add_explicit(&t->auto_count, 1, memory_order_relaxed);
	b->reason = r;
}

/* Is there room for one more ban of this kind (counters only, racy by
 * design: the insert below takes the slot atomically). */
static bool
has_room(struct bantab *t, bool automatic)
{
	if (atomic_load_explicit(&t->total, memory_order_relaxed) >= t->max_bans)
		return false;
	return !automatic || atomic_load_explicit(&t->auto_count, memory_order_relaxed) < t->auto_max;
}

static int
insert(struct bantab *t, const struct ban_key *k, enum ban_reason r,
       uint64_t created_ms, uint64_t expires_ms, bool exact, uint64_t now_ms,
       struct ban_key *evicted)
{
	bool automatic = ban_is_automatic(k, r), held = false;
	unsigned tries = 0;
	struct shard *s;
	ban_link *pp;
	struct ban *b;

	if (evicted)
		evicted->kind = 0;
	if ((k->kind != BAN_KIND_IP && k->kind != BAN_KIND_USER) || k->len > BAN_KEY_MAX)
		return -EINVAL;
	/* Full: expired bans make room. The sweep walks every shard, so it
	 * runs only when some ban can have expired: a flood that keeps the
	 * table full of live bans gets its refusals cheaply. */
	if (!has_room(t, automatic) &&
	    now_ms >= atomic_load_explicit(&t->min_expiry, memory_order_relaxed))
		bantab_expire(t, now_ms, NULL, NULL);
	/* Still no room: the least valuable automatic ban goes, unless the
	 * key is banned already (then nothing new is needed). Its slot is
	 * ours (evict_one()). */
	if (!has_room(t, automatic) && !holds_slot(t, k, r, exact, now_ms))
		held = evict_one(t, now_ms, evicted) > 0;

	note_expiry(t, expires_ms);
again:
	pp = lock_lookup(t, k, &s);
	if (*pp) {
		b = *pp;
		/* It holds a slot already: the one handed over goes back. */
		if (held)
			release_slot(t);
		if (b->expires_ms <= now_ms) {
			/* An expired ban not yet swept: this is a new ban. */
			b->created_ms = created_ms;
			b->expires_ms = expires_ms;
			b->hits = 0;
			set_reason(t, b, r);
			pthread_mutex_unlock(&s->lock);
			bump(t);
			return 1;
		}
		if (exact || expires_ms > b->expires_ms) {
			b->expires_ms = expires_ms;
			/* An operator's ban stays one (never evictable) when the
			 * policy bans the same key again. */
			if (exact || !ban_is_automatic(k, r) || ban_is_automatic(&b->key, b->reason))
				set_reason(t, b, r);
			bump(t);
		}
		pthread_mutex_unlock(&s->lock);
		return 0;
	}
	if (held) {
		/* The slot handed over was an automatic one. */
		if (!automatic)
			atomic_fetch_sub_explicit(&t->auto_count, 1, memory_order_relaxed);
	} else if (atomic_fetch_add_explicit(&t->total, 1, memory_order_relaxed) >= t->max_bans) {
		atomic_fetch_sub_explicit(&t->total, 1, memory_order_relaxed);
		pthread_mutex_unlock(&s->lock);
		goto full;
	} else if (automatic &&
		   atomic_fetch_add_explicit(&t->auto_count, 1, memory_order_relaxed) >= t->auto_max) {
		atomic_fetch_sub_explicit(&t->auto_count, 1, memory_order_relaxed);
		atomic_fetch_sub_explicit(&t->total, 1, memory_order_relaxed);
		pthread_mutex_unlock(&s->lock);
		goto full;
	}
	b = malloc(offsetof(struct ban, key.data) + k->len);
	if (!b) {
		if (automatic)
			atomic_fetch_sub_explicit(&t->auto_count, 1, memory_order_relaxed);
		atomic_fetch_sub_explicit(&t->total, 1, memory_order_relaxed);
		pthread_mutex_unlock(&s->lock);
		atomic_fetch_add_explicit(&t->refused, 1, memory_order_relaxed);
		return -ENOMEM;
	}
	b->next = NULL;
	b->created_ms = created_ms;
	b->expires_ms = expires_ms;
	b->hits = 0;
	b->reason = r;
	if (k->kind == BAN_KIND_IP) {
		const struct addr *a = (const struct addr *)(const void *)k->data;
		int fam = a->family == AF_INET ? 0 : 1;

		if (k->plen < (fam ? 128 : 32))
			atomic_fetch_or_explicit(&t->plens[fam][k->plen / 64],
						 1ULL << (k->plen % 64), memory_order_relaxed);
	}
	b->key.kind = k->kind;
	b->key.plen = k->plen;
	b->key.len = k->len;
	memcpy(b->key.data, k->data, k->len);
	banfilter_add(t->filter, k, key_bytes(k));
	*pp = b;
	atomic_fetch_add_explicit(&t->count[k->kind], 1, memory_order_relaxed);
	pthread_mutex_unlock(&s->lock);
	bump(t);
	return 1;

full:
	/* Room was seen, but another worker took it meanwhile: evict for
	 * this one too, unless an eviction already made is still to be
	 * reported (*evicted holds one key). An eviction fails when another
	 * worker took the same victim first, which is progress for that
	 * worker: sample again (bounded, so that no insert spins forever). */
	while (tries++ < 64 && (!evicted || evicted->kind == 0)) {
		int e = evict_one(t, now_ms, evicted);

		if (e > 0) {
			held = true;
			goto again;
		}
		if (e == 0)
			break; /* nothing automatic to evict: truly full */
	}
	atomic_fetch_add_explicit(&t->refused, 1, memory_order_relaxed);
	return -ENOSPC;
}

int
bantab_add(struct bantab *t, const struct ban_key *k, enum ban_reason r,
	   uint64_t now_ms, uint64_t duration_ms)
{
	return insert(t, k, r, now_ms, now_ms + duration_ms, false, now_ms, NULL);
}

int
bantab_add_evict(struct bantab *t, const struct ban_key *k, enum ban_reason r,
		 uint64_t now_ms, uint64_t duration_ms, struct ban_key *evicted)
{
	return insert(t, k, r, now_ms, now_ms + duration_ms, false, now_ms, evicted);
}

int
bantab_set(struct bantab *t, const struct ban_key *k, enum ban_reason r,
	   uint64_t created_ms, uint64_t expires_ms)
{
	return insert(t, k, r, created_ms, expires_ms, true, created_ms, NULL);
}

bool
bantab_any(const struct bantab *t, enum ban_kind kind)
{
	return atomic_load_explicit(&t->count[kind], memory_order_relaxed) != 0;
}

bool
bantab_check(struct bantab *t, const struct ban_key *k, uint64_t now_ms)
{
	struct shard *s;
	ban_link *pp;
	bool banned = false;
	uint64_t h;

	/* The common answer, "not banned", mostly comes from the filter or
	 * else an empty bucket: given without the shard lock. A ban being
	 * added at this instant is seen by the next packet. */
	if (!banfilter_maybe(t->filter, k, key_bytes(k)))
		return false;
	h = key_hash(t, k);
	if (!atomic_load_explicit(&t->shards[h % NSHARDS].buckets[(h / NSHARDS) % SHARD_BUCKETS],
				  memory_order_acquire))
		return false;

	pp = lock_lookup(t, k, &s);
	if (*pp && (*pp)->expires_ms > now_ms) {
		(*pp)->hits++;
		banned = true;
	}
	pthread_mutex_unlock(&s->lock);
	return banned;
}

uint32_t
bantab_probes(struct bantab *t, const struct ban_key *k)
{
	uint64_t h = key_hash(t, k);
	struct shard *s = &t->shards[h % NSHARDS];
	uint32_t n = 0;

	pthread_mutex_lock(&s->lock);
	for (struct ban *b = s->buckets[(h / NSHARDS) % SHARD_BUCKETS]; b; b = b->next) {
		n++;
		if (key_equal(&b->key, k))
			break;
	}
	pthread_mutex_unlock(&s->lock);
	return n;
}

bool
bantab_check_ip(struct bantab *t, const struct addr *a, uint64_t now_ms)
{
	struct ban_key k;
	int fam = a->family == AF_INET ? 0 : 1;
	unsigned full = fam ? 128 : 32;

	ban_key_ip(&k, a);
	if (bantab_check(t, &k, now_ms))
		return true;
	/* Longest prefix first, so the most specific ban counts the hit. */
	for (int w = 2; w >= 0; w--) {
		uint64_t bits = atomic_load_explicit(&t->plens[fam][w], memory_order_relaxed);

		while (bits) {
			unsigned plen = (unsigned)w * 64 + 63 - (unsigned)__builtin_clzll(bits);

			bits &= ~(1ULL << (plen % 64));
			if (plen >= full)
				continue;
			ban_key_net(&k, a, plen);
			if (bantab_check(t, &k, now_ms))
				return true;
		}
	}
	return false;
}

int
bantab_del(struct bantab *t, const struct ban_key *k)
{
	struct shard *s;
	ban_link *pp;
	int ret = -ENOENT;

	pp = lock_lookup(t, k, &s);
	if (*pp) {
		unlink_ban(t, pp);
		ret = 0;
	}
	pthread_mutex_unlock(&s->lock);
	if (ret == 0)
		bump(t);
	return ret;
}

uint32_t
bantab_clear(struct bantab *t)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < NSHARDS; i++) {
		struct shard *s = &t->shards[i];

		pthread_mutex_lock(&s->lock);
		for (unsigned j = 0; j < SHARD_BUCKETS; j++)
			while (s->buckets[j]) {
				unlink_ban(t, &s->buckets[j]);
				n++;
			}
		pthread_mutex_unlock(&s->lock);
	}
	if (n)
		bump(t);
	return n;
}

uint32_t
bantab_expire(struct bantab *t, uint64_t now_ms, bantab_cb cb, void *arg)
{
	uint64_t min = UINT64_MAX;
	uint32_t n = 0;

	/* Raised to what the sweep finds; an insert racing with it may be
	 * missed, which only delays its expiry to the next sweep (the main
	 * thread sweeps every second). */
	atomic_store_explicit(&t->min_expiry, UINT64_MAX, memory_order_relaxed);
	for (unsigned i = 0; i < NSHARDS; i++) {
		struct shard *s = &t->shards[i];

		pthread_mutex_lock(&s->lock);
		for (unsigned j = 0; j < SHARD_BUCKETS; j++) {
			ban_link *pp = &s->buckets[j];

			while (*pp) {
				if ((*pp)->expires_ms <= now_ms) {
					if (cb) {
						struct ban_info bi;

						fill_info(*pp, &bi);
						cb(&bi, arg);
					}
					unlink_ban(t, pp);
					n++;
				} else {
					if ((*pp)->expires_ms < min)
						min = (*pp)->expires_ms;
					pp = &(*pp)->next;
				}
			}
		}
		pthread_mutex_unlock(&s->lock);
	}
	note_expiry(t, min);
	return n;
}

void
bantab_foreach(struct bantab *t, uint64_t now_ms, bantab_cb cb, void *arg)
{
	for (unsigned i = 0; i < NSHARDS; i++) {
		struct shard *s = &t->shards[i];

		pthread_mutex_lock(&s->lock);
		for (unsigned j = 0; j < SHARD_BUCKETS; j++)
			for (struct ban *b = s->buckets[j]; b; b = b->next) {
				struct ban_info bi;

				if (b->expires_ms <= now_ms)
					continue;
				fill_info(b, &bi);
				cb(&bi, arg);
			}
		pthread_mutex_unlock(&s->lock);
	}
}

uint32_t
bantab_count(const struct bantab *t, enum ban_kind kind)
{
	return atomic_load_explicit(&t->count[kind], memory_order_relaxed);
}

uint64_t
bantab_refused(const struct bantab *t)
{
	return atomic_load_explicit(&t->refused, memory_order_relaxed);
}

uint64_t
bantab_evicted(const struct bantab *t)
{
	return atomic_load_explicit(&t->evicted, memory_order_relaxed);
}

uint32_t
bantab_max(const struct bantab *t)
{
	return t->max_bans;
}

uint32_t
bantab_auto_max(const struct bantab *t)
{
	return t->auto_max;
}

uint32_t
bantab_auto_count(const struct bantab *t)
{
	return atomic_load_explicit(&t->auto_count, memory_order_relaxed);
}
