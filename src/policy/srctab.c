/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "srctab.h"

struct srctab {
	uint32_t capacity;
	uint32_t ring_size;
	size_t entry_size;
	uint32_t nbuckets; /* power of two */
	struct hash_key key; /* getrandom(): the buckets of spoofed sources are unpredictable */
	uint32_t used;
	uint32_t next_unused; /* slab entries never handed out start here */
	uint32_t free_head;   /* list of freed entries via hnext */
	uint32_t lru_head;    /* most recently seen */
	uint32_t lru_tail;    /* least recently seen */
	uint64_t evicted_live;
	uint64_t expired;
	uint32_t *buckets;
	unsigned char *slab;
	size_t slab_len;
};

/* Indices are stored +1 so that 0 can mean "none" and zeroed memory is a
 * valid empty table. */
static inline struct src_entry *
E(const struct srctab *t, uint32_t idx1)
{
	return (struct src_entry *)(t->slab + (size_t)(idx1 - 1) * t->entry_size);
}

static inline uint32_t
IDX(const struct srctab *t, const struct src_entry *e)
{
	return (uint32_t)(((const unsigned char *)e - t->slab) / t->entry_size) + 1;
}

struct srctab *
srctab_new(uint32_t capacity, uint32_t ring_size)
{
	struct srctab *t;
	uint32_t nb = 16;

	if (capacity < 16 || ring_size < 2 || ring_size > 1000001)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	/* No table without an unpredictable key: see hash.h. */
	if (hash_key_random(&t->key) < 0) {
		free(t);
		return NULL;
	}
	t->capacity = capacity;
	t->ring_size = ring_size;
	/* Keep entries 8-byte aligned. Two slots past the ring hold the
	 * entry's exact 64-bit span (see ring_span_get()). */
	t->entry_size = (sizeof(struct src_entry) + ((size_t)ring_size + 2) * sizeof(uint32_t) + 7) & ~(size_t)7;
	while (nb < capacity && nb < (1u << 30))
		nb <<= 1;
	t->nbuckets = nb;
	t->buckets = calloc(nb, sizeof(uint32_t));
	/* mmap rather than calloc: anonymous pages cost nothing until an
	 * entry is first written, so a large configured bound does not mean a
	 * large resident size for a quiet server. */
	t->slab_len = (size_t)capacity * t->entry_size;
	t->slab = mmap(NULL, t->slab_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (!t->buckets || t->slab == MAP_FAILED) {
		if (t->slab != MAP_FAILED && t->slab)
			munmap(t->slab, t->slab_len);
		free(t->buckets);
		free(t);
		return NULL;
	}
	return t;
}

void
srctab_free(struct srctab *t)
{
	if (!t)
		return;
	munmap(t->slab, t->slab_len);
	free(t->buckets);
	free(t);
}

uint32_t
srctab_ring_size(const struct srctab *t)
{
	return t->ring_size;
}

static void
lru_unlink(struct srctab *t, struct src_entry *e)
{
	if (e->lru_prev)
		E(t, e->lru_prev)->lru_next = e->lru_next;
	else
		t->lru_head = e->lru_next;
	if (e->lru_next)
		E(t, e->lru_next)->lru_prev = e->lru_prev;
	else
		t->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = 0;
}

static void
lru_push_front(struct srctab *t, struct src_entry *e, uint32_t idx)
{
	e->lru_prev = 0;
	e->lru_next = t->lru_head;
	if (t->lru_head)
		E(t, t->lru_head)->lru_prev = idx;
	t->lru_head = idx;
	if (!t->lru_tail)
		t->lru_tail = idx;
}

static uint32_t *
bucket_of(const struct srctab *t, const struct addr *a)
{
	return &t->buckets[addr_hash(a, &t->key) & (t->nbuckets - 1)];
}

static void
remove_entry(struct srctab *t, struct src_entry *e)
{
	uint32_t idx = IDX(t, e);
	uint32_t *pp = bucket_of(t, &e->addr);

	while (*pp && *pp != idx)
		pp = &E(t, *pp)->hnext;
	if (*pp)
		*pp = e->hnext;
	lru_unlink(t, e);
	e->hnext = t->free_head;
	t->free_head = idx;
	t->used--;
}

struct src_entry *
srctab_find(struct srctab *t, const struct addr *a)
{
	uint32_t i = *bucket_of(t, a);

	while (i) {
		struct src_entry *e = E(t, i);

		if (addr_equal(&e->addr, a))
			return e;
		i = e->hnext;
	}
	return NULL;
}

uint32_t
srctab_probes(const struct srctab *t, const struct addr *a)
{
	uint32_t n = 0;

	for (uint32_t i = *bucket_of(t, a); i; i = E(t, i)->hnext) {
		n++;
		if (addr_equal(&E(t, i)->addr, a))
			break;
	}
	return n;
}

struct src_entry *
srctab_get(struct srctab *t, const struct addr *a, uint64_t now_ms, bool *created)
{
	uint32_t *b = bucket_of(t, a);
	struct src_entry *e;
	uint32_t idx;

	for (idx = *b; idx; idx = e->hnext) {
		e = E(t, idx);
		if (addr_equal(&e->addr, a)) {
			if (t->lru_head != idx) {
				lru_unlink(t, e);
				lru_push_front(t, e, idx);
			}
			e->last_ms = (uint32_t)now_ms;
			*created = false;
			return e;
		}
	}

	if (t->free_head) {
		idx = t->free_head;
		t->free_head = E(t, idx)->hnext;
	} else if (t->next_unused < t->capacity) {
		idx = ++t->next_unused;
	} else {
		/* Full: the least recently seen source makes room. Idle entries
		 * are swept by srctab_expire(), so reaching this means the table
		 * is full of sources seen within source_idle_time: count it. */
		remove_entry(t, E(t, t->lru_tail));
		t->evicted_live++;
		idx = t->free_head;
		t->free_head = E(t, idx)->hnext;
	}
	e = E(t, idx);
	memset(e, 0, sizeof(*e));
	e->addr = *a;
	e->last_ms = (uint32_t)now_ms;
	e->hnext = *b;
	*b = idx;
	lru_push_front(t, e, idx);
	t->used++;
	*created = true;
	return e;
}

/*
 * The true time from the oldest stored request to the newest. Stored
 * timestamps are truncated to 32 bits, so "now - oldest" alone is ambiguous
 * once ring_size windows can exceed 2^32 ms (N=2000, T=3600 s): a steady
 * source whose span is 2^32 + 1 ms would read as 1 ms and be banned. Each
 * gap between consecutive requests is below the window (a larger gap
 * resets the ring), so it is exact; the span is their running sum.
 */
static uint64_t
ring_span_get(const struct srctab *t, const struct src_entry *e)
{
	uint64_t s;

	memcpy(&s, &e->ring[t->ring_size], sizeof(s));
	return s;
}

static void
ring_span_set(const struct srctab *t, struct src_entry *e, uint64_t s)
{
	memcpy(&e->ring[t->ring_size], &s, sizeof(s));
}

bool
srctab_hit(struct srctab *t, struct src_entry *e, uint64_t now_ms, uint32_t window_ms)
{
	uint32_t now = (uint32_t)now_ms;
	uint64_t span = 0;

	/* A gap of a whole window means no earlier request can ever share a
	 * window with a later one: forget them. This also keeps every gap
	 * between stored timestamps below the window, so each gap is exact
	 * under 32-bit wrapping subtraction. */
	if (e->ring_count) {
		uint32_t newest = e->ring[(e->ring_head + e->ring_count - 1) % t->ring_size];
		uint32_t gap = now - newest;

		if (gap >= window_ms) {
			e->ring_count = 0;
			e->ring_head = 0;
		} else {
			span = ring_span_get(t, e) + gap;
		}
	}

	if (e->ring_count < t->ring_size) {
		uint32_t pos = (e->ring_head + e->ring_count) % t->ring_size;

		e->ring[pos] = now;
		e->ring_count++;
		ring_span_set(t, e, span);
		if (e->ring_count < t->ring_size)
			return false;
	} else {
		/* Overwrite the oldest; the new oldest is the next slot. */
		uint32_t old = e->ring[e->ring_head];

		e->ring[e->ring_head] = now;
		e->ring_head = (e->ring_head + 1) % t->ring_size;
		span -= (uint32_t)(e->ring[e->ring_head] - old);
		ring_span_set(t, e, span);
	}
	return span < window_ms;
}

void
srctab_reset(struct src_entry *e)
{
	e->ring_count = 0;
	e->ring_head = 0;
}

uint32_t
srctab_expire(struct srctab *t, uint64_t now_ms, uint32_t idle_ms, uint32_t max)
{
	uint32_t now = (uint32_t)now_ms, n = 0;

	while (n < max && t->lru_tail) {
		struct src_entry *e = E(t, t->lru_tail);

		if ((uint32_t)(now - e->last_ms) < idle_ms)
			break;
		remove_entry(t, e);
		t->expired++;
		n++;
	}
	return n;
}

void
srctab_get_stats(const struct srctab *t, struct srctab_stats *st)
{
	st->capacity = t->capacity;
	st->used = t->used;
	st->evicted_live = t->evicted_live;
	st->expired = t->expired;
}

uint32_t
srctab_window_count(const struct srctab *t, const struct src_entry *e, uint64_t now_ms,
		    uint32_t window_ms)
{
	uint32_t now = (uint32_t)now_ms, n = 0;

	for (uint32_t i = 0; i < e->ring_count; i++)
		if (now - e->ring[(e->ring_head + i) % t->ring_size] < window_ms)
			n++;
	return n;
}

void
srctab_foreach(const struct srctab *t, srctab_cb cb, void *arg)
{
	for (uint32_t i = t->lru_head; i; i = E(t, i)->lru_next)
		cb(E(t, i), arg);
}
