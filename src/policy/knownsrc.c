/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <pthread.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "knownsrc.h"

#define WAYS 4
#define LOCKS 64

struct entry {
	uint64_t h;        /* 0: free */
	uint64_t last_ms;
};

struct knowntab {
	struct hash_key key;
	uint32_t nsets;
	pthread_mutex_t locks[LOCKS];
	struct entry *e;   /* nsets * WAYS */
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
	return t;
}

void
knowntab_free(struct knowntab *t)
{
	if (!t)
		return;
	for (unsigned i = 0; i < LOCKS; i++)
		pthread_mutex_destroy(&t->locks[i]);
	free(t->e);
	free(t);
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

void
knowntab_note(struct knowntab *t, const char *user, const struct addr *src, uint64_t now_ms)
{
	uint64_t h;
	struct entry *set, *victim;
	pthread_mutex_t *lock;
	uint32_t s;

	if (!t)
		return;
	h = key_of(t, user, src);
	s = (uint32_t)((h >> 1) % t->nsets);
	set = &t->e[(size_t)s * WAYS];
	lock = &t->locks[s % LOCKS];
	pthread_mutex_lock(lock);
	victim = &set[0];
	for (unsigned i = 0; i < WAYS; i++) {
		if (set[i].h == h) {
			victim = &set[i];
			break;
		}
		if (set[i].last_ms < victim->last_ms)
			victim = &set[i];
	}
	victim->h = h;
	victim->last_ms = now_ms;
	pthread_mutex_unlock(lock);
}

bool
knowntab_known(struct knowntab *t, const char *user, const struct addr *src,
	       uint64_t now_ms, uint64_t ttl_ms)
{
	uint64_t h;
	struct entry *set;
	pthread_mutex_t *lock;
	bool known = false;
	uint32_t s;

	if (!t || !ttl_ms)
		return false;
	h = key_of(t, user, src);
	s = (uint32_t)((h >> 1) % t->nsets);
	set = &t->e[(size_t)s * WAYS];
	lock = &t->locks[s % LOCKS];
	pthread_mutex_lock(lock);
	for (unsigned i = 0; i < WAYS; i++)
		if (set[i].h == h && set[i].last_ms + ttl_ms > now_ms && set[i].last_ms <= now_ms)
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
			     t->e[(size_t)s * WAYS + i].last_ms + ttl_ms > now_ms;
		pthread_mutex_unlock(&t->locks[s % LOCKS]);
	}
	return n;
}
