/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>

#include "knownsrc.h"

#define WAYS 4
#define LOCKS 64
/* Times are kept as the caller's monotonic ms plus BIAS, so that an entry
 * older than the clock itself (saved before the last boot, monotonic time
 * starts at boot) keeps its exact age instead of being cut to "at boot",
 * which would lengthen its protection. About 34 years: older is expired
 * for any sane known_source_time. */
#define BIAS (1ull << 40)

struct entry {
	uint64_t h;         /* 0: free */
	uint64_t last;      /* last success, biased */
	uint64_t shared;    /* last queued for sharing (or learnt from outside), biased */
};

struct knowntab {
	struct hash_key key;
	bool key_fixed;
	uint32_t nsets;
	pthread_mutex_t locks[LOCKS];
	struct entry *e;   /* nsets * WAYS */
	atomic_uint_fast64_t version;

	/* the outbox (knowntab_take_shares()) */
	pthread_mutex_t out_lock;
	atomic_bool sharing;
	struct knowntab_entry out[KNOWNSRC_OUTBOX];
	uint32_t out_head, out_n;
	uint64_t out_dropped;
};

struct knowntab *
knowntab_new(uint32_t max)
{
	struct knowntab *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->nsets = (max + WAYS - 1) / WAYS;
	if (t->nsets == 0)
		t->nsets = 1;
	t->e = calloc((size_t)t->nsets * WAYS, sizeof(*t->e));
	if (!t->e || hash_key_random(&t->key) < 0) {
		free(t->e);
		free(t);
		return NULL;
	}
	for (unsigned i = 0; i < LOCKS; i++)
		pthread_mutex_init(&t->locks[i], NULL);
	pthread_mutex_init(&t->out_lock, NULL);
	return t;
}

void
knowntab_free(struct knowntab *t)
{
	if (!t)
		return;
	for (unsigned i = 0; i < LOCKS; i++)
		pthread_mutex_destroy(&t->locks[i]);
	pthread_mutex_destroy(&t->out_lock);
	free(t->e);
	free(t);
}

void
knowntab_set_key(struct knowntab *t, const struct hash_key *k, bool fixed)
{
	if (!t)
		return;
	/* Every stripe held: a worker noting meanwhile sees the old table or
	 * the new one (a hash computed under a torn key only misses). */
	for (unsigned i = 0; i < LOCKS; i++)
		pthread_mutex_lock(&t->locks[i]);
	t->key = *k;
	t->key_fixed = fixed;
	memset(t->e, 0, (size_t)t->nsets * WAYS * sizeof(*t->e));
	for (unsigned i = LOCKS; i-- > 0;)
		pthread_mutex_unlock(&t->locks[i]);
	pthread_mutex_lock(&t->out_lock);
	t->out_n = 0;
	pthread_mutex_unlock(&t->out_lock);
	atomic_fetch_add(&t->version, 1);
}

void
knowntab_get_key(struct knowntab *t, struct hash_key *k, bool *fixed)
{
	*k = t->key;
	*fixed = t->key_fixed;
}

bool
knowntab_empty(struct knowntab *t)
{
	bool empty = true;

	for (uint32_t s = 0; s < t->nsets && empty; s++) {
		pthread_mutex_lock(&t->locks[s % LOCKS]);
		for (unsigned i = 0; i < WAYS; i++)
			empty = empty && !t->e[(size_t)s * WAYS + i].h;
		pthread_mutex_unlock(&t->locks[s % LOCKS]);
	}
	return empty;
}

void
knowntab_set_sharing(struct knowntab *t, bool on)
{
	if (t)
		atomic_store(&t->sharing, on);
}

/* The user's text, then the address: one keyed hash, never 0. */
static uint64_t
key_of(const struct knowntab *t, const char *user, const struct addr *src)
{
	uint8_t buf[256 + 1 + 17];
	size_t n = strnlen(user, 256);

	memcpy(buf, user, n);
	buf[n] = 0;
	buf[n + 1] = src->family;
	/* only the address's own bytes: an IPv4 one's a[4..15] may be junk */
	memset(buf + n + 2, 0, 16);
	memcpy(buf + n + 2, src->a, src->family == AF_INET ? 4 : 16);
	return hash_bytes(&t->key, buf, n + 2 + 16) | 1;
}

static struct entry *
set_of(struct knowntab *t, uint64_t h, pthread_mutex_t **lock)
{
	uint32_t s = (uint32_t)((h >> 1) % t->nsets);

	*lock = &t->locks[s % LOCKS];
	return &t->e[(size_t)s * WAYS];
}

static void
share(struct knowntab *t, uint64_t h, uint64_t last_ms)
{
	pthread_mutex_lock(&t->out_lock);
	if (t->out_n < KNOWNSRC_OUTBOX) {
		t->out[(t->out_head + t->out_n) % KNOWNSRC_OUTBOX] =
			(struct knowntab_entry){ .h = h, .ms = last_ms };
		t->out_n++;
	} else {
		t->out_dropped++;
	}
	pthread_mutex_unlock(&t->out_lock);
}

void
knowntab_note(struct knowntab *t, const char *user, const struct addr *src, uint64_t now_ms)
{
	uint64_t h;
	struct entry *set, *victim;
	pthread_mutex_t *lock;
	uint64_t now;
	bool due;

	if (!t)
		return;
	h = key_of(t, user, src);
	set = set_of(t, h, &lock);
	pthread_mutex_lock(lock);
	victim = &set[0];
	for (unsigned i = 0; i < WAYS; i++) {
		if (set[i].h == h) {
			victim = &set[i];
			break;
		}
		if (set[i].last < victim->last)
			victim = &set[i];
	}
	now = now_ms + BIAS;
	if (victim->h != h) {
		victim->h = h;
		victim->shared = 0;
		due = true;
	} else {
		due = now < victim->shared || now - victim->shared >= KNOWNSRC_SHARE_MS;
	}
	victim->last = now;
	if (due)
		victim->shared = now;
	pthread_mutex_unlock(lock);
	if (!due)
		return;
	atomic_fetch_add(&t->version, 1);
	if (atomic_load(&t->sharing))
		share(t, h, now_ms);
}

bool
knowntab_known(struct knowntab *t, const char *user, const struct addr *src,
	       uint64_t now_ms, uint64_t ttl_ms)
{
	uint64_t h;
	struct entry *set;
	pthread_mutex_t *lock;
	bool known = false;

	if (!t || !ttl_ms)
		return false;
	h = key_of(t, user, src);
	set = set_of(t, h, &lock);
	pthread_mutex_lock(lock);
	for (unsigned i = 0; i < WAYS; i++)
		if (set[i].h == h && set[i].last + ttl_ms > now_ms + BIAS &&
		    set[i].last <= now_ms + BIAS)
			known = true;
	pthread_mutex_unlock(lock);
	return known;
}

uint32_t
knowntab_count(struct knowntab *t, uint64_t now_ms, uint64_t ttl_ms)
{
	uint32_t n = 0;

	if (!t)
		return 0;
	for (uint32_t s = 0; s < t->nsets; s++) {
		pthread_mutex_lock(&t->locks[s % LOCKS]);
		for (unsigned i = 0; i < WAYS; i++)
			n += t->e[(size_t)s * WAYS + i].h &&
			     t->e[(size_t)s * WAYS + i].last + ttl_ms > now_ms + BIAS;
		pthread_mutex_unlock(&t->locks[s % LOCKS]);
	}
	return n;
}

int
knowntab_merge(struct knowntab *t, uint64_t h, uint64_t now_ms, uint64_t age_ms)
{
	struct entry *set, *victim;
	pthread_mutex_t *lock;
	uint64_t last;
	int ret = 0;

	if (!t || !h || age_ms >= now_ms + BIAS)
		return 0;
	last = now_ms + BIAS - age_ms;
	set = set_of(t, h, &lock);
	pthread_mutex_lock(lock);
	victim = NULL;
	for (unsigned i = 0; i < WAYS; i++) {
		if (set[i].h == h) {
			victim = &set[i];
			break;
		}
		/* a free slot first, else the oldest */
		if (!victim || (victim->h && (!set[i].h || set[i].last < victim->last)))
			victim = &set[i];
	}
	if (victim->h == h) {
		if (last > victim->last) {
			victim->last = last;
			ret = 1;
		}
		/* What another node shared need not be shared again today. */
		if (last > victim->shared)
			victim->shared = last;
	} else if (!victim->h || victim->last < last) {
		/* A foreign entry never pushes out a more recent one: a peer
		 * cannot make this node forget what it saw itself. */
		*victim = (struct entry){ .h = h, .last = last, .shared = last };
		ret = 1;
	}
	pthread_mutex_unlock(lock);
	if (ret)
		atomic_fetch_add(&t->version, 1);
	return ret;
}

void
knowntab_foreach(struct knowntab *t, uint64_t now_ms, uint64_t ttl_ms,
		 void (*cb)(const struct knowntab_entry *e, void *arg), void *arg)
{
	if (!t)
		return;
	for (uint32_t s = 0; s < t->nsets; s++) {
		pthread_mutex_lock(&t->locks[s % LOCKS]);
		for (unsigned i = 0; i < WAYS; i++) {
			const struct entry *e = &t->e[(size_t)s * WAYS + i];
			struct knowntab_entry out = { .h = e->h, .ms = now_ms + BIAS - e->last };

			if (e->h && e->last <= now_ms + BIAS && e->last + ttl_ms > now_ms + BIAS)
				cb(&out, arg);
		}
		pthread_mutex_unlock(&t->locks[s % LOCKS]);
	}
}

uint32_t
knowntab_take_shares(struct knowntab *t, struct knowntab_entry *out, uint32_t max)
{
	uint32_t n = 0;

	if (!t)
		return 0;
	pthread_mutex_lock(&t->out_lock);
	while (n < max && t->out_n) {
		out[n++] = t->out[t->out_head];
		t->out_head = (t->out_head + 1) % KNOWNSRC_OUTBOX;
		t->out_n--;
	}
	pthread_mutex_unlock(&t->out_lock);
	return n;
}

uint64_t
knowntab_shares_dropped(struct knowntab *t)
{
	uint64_t n;

	if (!t)
		return 0;
	pthread_mutex_lock(&t->out_lock);
	n = t->out_dropped;
	pthread_mutex_unlock(&t->out_lock);
	return n;
}

uint64_t
knowntab_version(struct knowntab *t)
{
	return t ? atomic_load(&t->version) : 0;
}
