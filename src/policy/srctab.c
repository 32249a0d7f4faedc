/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bigmem.h"
#include "srctab.h"

/* One exact ring of the pool: N+1 request times of its owner. */
struct src_ring {
	uint32_t owner;    /* entry index + 1 */
	uint32_t lru_prev; /* ring index + 1; 0 = none */
	uint32_t lru_next; /* also the free list */
	uint32_t pad;
	uint64_t span;     /* exact span of ts[] (see ring_step()) */
	uint32_t ts[];
};

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
	size_t buckets_len;
	unsigned char *slab;
	size_t slab_len;
	/* The exact rings: a pool of rings_cap, LRU by last judged request. */
	uint32_t rings_cap;
	uint32_t rings_used;
	uint32_t rings_unused; /* pool rings never handed out start here */
	uint32_t rings_free;
	uint32_t rings_head;
	uint32_t rings_tail;
	uint64_t promoted;
	uint64_t rings_evicted;
	size_t ring_entry_size;
	unsigned char *rings;
	size_t rings_len;
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

static inline struct src_ring *
R(const struct srctab *t, uint32_t idx1)
{
	return (struct src_ring *)(t->rings + (size_t)(idx1 - 1) * t->ring_entry_size);
}

static size_t
ring_entry_size(uint32_t ring_size)
{
	return (sizeof(struct src_ring) + (size_t)ring_size * sizeof(uint32_t) + 7) & ~(size_t)7;
}

uint32_t
srctab_rings_default(uint32_t capacity, uint32_t ring_size)
{
	uint64_t by_bytes = (uint64_t)capacity * sizeof(struct src_entry) / ring_entry_size(ring_size);
	uint64_t n = capacity / 16;

	/* A legitimate source rarely makes SRCTAB_SMALL requests in one
	 * window, so a sixteenth of the table is plenty; a long ring must not
	 * make the pool outweigh the compact entries it serves. */
	if (n > by_bytes)
		n = by_bytes;
	return n < 16 ? 16 : (uint32_t)n;
}

struct srctab *
srctab_new_rings(uint32_t capacity, uint32_t ring_size, uint32_t rings)
{
	struct srctab *t;
	uint32_t nb = 16;

	if (capacity < 16 || ring_size < 2 || ring_size > 1000001 || rings < 1)
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
	t->entry_size = sizeof(struct src_entry);
	while (nb < capacity && nb < (1u << 30))
		nb <<= 1;
	t->nbuckets = nb;
	t->buckets_len = (size_t)nb * sizeof(uint32_t);
	t->buckets = bigmem_alloc(t->buckets_len);
	t->slab_len = (size_t)capacity * t->entry_size;
	t->slab = bigmem_alloc(t->slab_len);
	/* A limit the inline ring holds whole needs no pool. */
	t->rings_cap = ring_size > SRCTAB_SMALL ? rings : 0;
	t->ring_entry_size = ring_entry_size(ring_size);
	t->rings_len = (size_t)t->rings_cap * t->ring_entry_size;
	t->rings = t->rings_cap ? bigmem_alloc(t->rings_len) : NULL;
	if (!t->buckets || !t->slab || (t->rings_cap && !t->rings)) {
		srctab_free(t);
		return NULL;
	}
	return t;
}

struct srctab *
srctab_new(uint32_t capacity, uint32_t ring_size)
{
	return srctab_new_rings(capacity, ring_size, srctab_rings_default(capacity, ring_size));
}

void
srctab_free(struct srctab *t)
{
	if (!t)
		return;
	bigmem_free(t->rings, t->rings_len);
	bigmem_free(t->slab, t->slab_len);
	bigmem_free(t->buckets, t->buckets_len);
	free(t);
}

uint32_t
srctab_ring_size(const struct srctab *t)
{
	return t->ring_size;
}

/* ---- the ring pool ---- */

static void
ring_lru_unlink(struct srctab *t, struct src_ring *r)
{
	if (r->lru_prev)
		R(t, r->lru_prev)->lru_next = r->lru_next;
	else
		t->rings_head = r->lru_next;
	if (r->lru_next)
		R(t, r->lru_next)->lru_prev = r->lru_prev;
	else
		t->rings_tail = r->lru_prev;
	r->lru_prev = r->lru_next = 0;
}

static void
ring_lru_front(struct srctab *t, struct src_ring *r, uint32_t ridx)
{
	r->lru_prev = 0;
	r->lru_next = t->rings_head;
	if (t->rings_head)
		R(t, t->rings_head)->lru_prev = ridx;
	t->rings_head = ridx;
	if (!t->rings_tail)
		t->rings_tail = ridx;
}

/* Give e's ring back to the pool; e keeps nothing of it. */
static void
ring_release(struct srctab *t, struct src_entry *e)
{
	struct src_ring *r = R(t, e->ring);

	ring_lru_unlink(t, r);
	r->owner = 0;
	r->lru_next = t->rings_free;
	t->rings_free = e->ring;
	t->rings_used--;
	e->ring = 0;
	e->ring_head = e->ring_count = 0;
}

/*
 * The pool is full: its least recently judged owner goes back to its
 * inline ring with its newest SRCTAB_SMALL request times (their span is
 * the sum of their exact gaps). Older times are lost, so if that source
 * goes on to cross the limit, its ban can come up to N - SRCTAB_SMALL
 * requests later than with the whole ring; it never comes for a source
 * that stays below the limit. Counted in rings_evicted.
 */
static void
ring_demote(struct srctab *t, struct src_entry *e)
{
	struct src_ring *r = R(t, e->ring);
	uint32_t n = e->ring_count < SRCTAB_SMALL ? e->ring_count : SRCTAB_SMALL;
	uint32_t first = e->ring_head + e->ring_count - n;
	uint64_t span = 0;

	for (uint32_t i = 0; i < n; i++) {
		e->small[i] = r->ts[(first + i) % t->ring_size];
		if (i)
			span += (uint32_t)(e->small[i] - e->small[i - 1]);
	}
	ring_release(t, e);
	e->ring_head = 0;
	e->ring_count = n;
	e->span = span;
}

/* A ring for e, from the free list, the untouched rest of the pool, or
 * the least recently judged owner. Never fails: the pool has >= 1 ring. */
static struct src_ring *
ring_take(struct srctab *t, struct src_entry *e)
{
	uint32_t ridx;
	struct src_ring *r;

	if (!t->rings_free && t->rings_unused == t->rings_cap) {
		ring_demote(t, E(t, R(t, t->rings_tail)->owner));
		t->rings_evicted++;
	}
	if (t->rings_free) {
		ridx = t->rings_free;
		t->rings_free = R(t, ridx)->lru_next;
	} else {
		ridx = ++t->rings_unused;
	}
	r = R(t, ridx);
	r->owner = IDX(t, e);
	ring_lru_front(t, r, ridx);
	t->rings_used++;
	e->ring = ridx;
	return r;
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
	if (e->ring)
		ring_release(t, e);
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
 * One request at now against a ring of `size` request times: true when
 * it is full and its span is below the window (more than size - 1
 * requests within a span shorter than window_ms).
 *
 * *span is the true time from the oldest stored request to the newest.
 * Stored timestamps are truncated to 32 bits, so "now - oldest" alone is
 * ambiguous once ring_size windows can exceed 2^32 ms (N=2000, T=3600 s):
 * a steady source whose span is 2^32 + 1 ms would read as 1 ms and be
 * banned. Each gap between consecutive requests is below the window (a
 * larger gap resets the ring), so it is exact; the span is their sum.
 */
static bool
ring_step(uint32_t *ts, uint32_t size, uint32_t *head, uint32_t *count, uint64_t *span,
	  uint32_t now, uint32_t window_ms)
{
	uint64_t sp = 0;

	/* A gap of a whole window means no earlier request can ever share a
	 * window with a later one: forget them. This also keeps every gap
	 * between stored timestamps below the window, so each gap is exact
	 * under 32-bit wrapping subtraction. */
	if (*count) {
		uint32_t gap = now - ts[(*head + *count - 1) % size];

		if (gap >= window_ms) {
			*count = 0;
			*head = 0;
		} else {
			sp = *span + gap;
		}
	}
	if (*count < size) {
		ts[(*head + *count) % size] = now;
		(*count)++;
		*span = sp;
		return *count == size && sp < window_ms;
	}
	/* Overwrite the oldest; the new oldest is the next slot. */
	{
		uint32_t old = ts[*head];

		ts[*head] = now;
		*head = (*head + 1) % size;
		sp -= (uint32_t)(ts[*head] - old);
		*span = sp;
	}
	return sp < window_ms;
}

/*
 * Stage one runs on the inline ring, sized min(N+1, SRCTAB_SMALL). When
 * it fills within one window and the limit is larger, the source is
 * promoted: its SRCTAB_SMALL times seed an exact ring. They are all the
 * history that matters: the request before the oldest of them is at
 * least a window older than the newest (at that newer request the inline
 * ring was full and not within a window, or it was reset by a gap), so
 * it can share no window with this request or any later one. Hence the
 * ban comes at the same request as with a ring kept from the start, and
 * never for a source that stays at or below the limit.
 */
bool
srctab_hit(struct srctab *t, struct src_entry *e, uint64_t now_ms, uint32_t window_ms)
{
	uint32_t now = (uint32_t)now_ms;
	struct src_ring *r;

	if (!e->ring) {
		uint32_t small = t->ring_size < SRCTAB_SMALL ? t->ring_size : SRCTAB_SMALL;
		bool dense = ring_step(e->small, small, &e->ring_head, &e->ring_count, &e->span,
				       now, window_ms);

		if (!dense || small == t->ring_size)
			return dense;
		/* Promotion: SRCTAB_SMALL < ring_size, so not yet dense. */
		r = ring_take(t, e);
		for (uint32_t i = 0; i < small; i++)
			r->ts[i] = e->small[(e->ring_head + i) % small];
		r->span = e->span;
		e->ring_head = 0;
		t->promoted++;
		return false;
	}
	r = R(t, e->ring);
	if (t->rings_head != e->ring) {
		ring_lru_unlink(t, r);
		ring_lru_front(t, r, e->ring);
	}
	return ring_step(r->ts, t->ring_size, &e->ring_head, &e->ring_count, &r->span, now,
			 window_ms);
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
	st->rings_capacity = t->rings_cap;
	st->rings_used = t->rings_used;
	st->promoted = t->promoted;
	st->rings_evicted = t->rings_evicted;
	st->entry_bytes = t->slab_len + t->buckets_len;
	st->ring_bytes = t->rings_len;
}

uint32_t
srctab_window_count(const struct srctab *t, const struct src_entry *e, uint64_t now_ms,
		    uint32_t window_ms)
{
	uint32_t now = (uint32_t)now_ms, n = 0;
	const uint32_t *ts = e->ring ? R(t, e->ring)->ts : e->small;
	uint32_t size = e->ring ? t->ring_size :
			t->ring_size < SRCTAB_SMALL ? t->ring_size : SRCTAB_SMALL;

	for (uint32_t i = 0; i < e->ring_count; i++)
		if (now - ts[(e->ring_head + i) % size] < window_ms)
			n++;
	return n;
}

void
srctab_foreach(const struct srctab *t, srctab_cb cb, void *arg)
{
	for (uint32_t i = t->lru_head; i; i = E(t, i)->lru_next)
		cb(E(t, i), arg);
}
