/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpconn - the connection table behind tcpstream: a slab of tcp_conn
 * under a keyed hash, LRU order, eviction and idle expiry. What happens
 * inside a connection (framing, sequence numbers, RST/SYN, history) is
 * tcpstream.c's.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "tcpconn.h"

/* Eviction looks this far past the LRU tail to spare partial messages: a
 * clean connection resynchronises at its next message for free, a partial
 * one leaves the rest of that message unjudgeable. */
#define EVICT_SCAN 16

#define MSG_MIN 256u
#define MSG_MAX (16u << 20)

struct tcptab *
tcptab_new(uint32_t max_conns, uint32_t max_msg_bytes, uint32_t idle_ms)
{
	struct tcptab *t;
	uint32_t nb = 16;

	if (max_conns < 16 || max_conns > (1u << 28) || max_msg_bytes < MSG_MIN ||
	    max_msg_bytes > MSG_MAX || idle_ms == 0)
		return NULL;
	while (nb < max_conns)
		nb <<= 1;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->s.capacity = max_conns;
	t->max_msg = max_msg_bytes;
	t->idle_ms = idle_ms;
	t->nbuckets = nb;
	t->buckets = calloc(nb, sizeof(uint32_t));
	/* Large callocs are fresh anonymous mappings: untouched entries cost
	 * no resident memory, so a generous max_conns is cheap when quiet. */
	t->slab = calloc(max_conns, sizeof(struct tcp_conn));
	/* No table without an unpredictable key: see hash.h. */
	if (!t->buckets || !t->slab || hash_key_random(&t->key) < 0) {
		tcptab_free(t);
		return NULL;
	}
	return t;
}

void
tcpconn_buf_release(struct tcptab *t, struct tcp_conn *c)
{
	if (c->st.pend)
		t->s.conns_pending--;
	t->s.bytes_buffered -= c->st.pend;
	t->s.bytes_allocated -= c->cap;
	free(c->buf);
	c->buf = NULL;
	c->cap = 0;
	c->st.pend = 0;
	memset(&c->st.fs, 0, sizeof(c->st.fs));
}

void
tcpconn_hist_release(struct tcptab *t, struct tcp_conn *c)
{
	t->s.bytes_history -= c->hist_cap;
	free(c->hist);
	c->hist = NULL;
	c->hist_cap = c->hist_len = 0;
}

void
tcptab_free(struct tcptab *t)
{
	if (!t)
		return;
	for (uint32_t i = t->lru_head; i; i = C(t, i)->lru_next) {
		free(C(t, i)->buf);
		free(C(t, i)->hist);
	}
	free(t->buckets);
	free(t->slab);
	free(t);
}

/*
 * The connection's bucket under the table's key: source ports (and, with
 * IPv6, addresses) are the peer's to choose, so an unkeyed hash would let
 * it stack its connections into one chain. IPv4 packs into two words;
 * IPv6 hashes the 36 bytes of both addresses and ports, a different input
 * length, so the families never share an input.
 */
static uint32_t *
bucket_of(const struct tcptab *t, const struct tcp_key *k)
{
	uint64_t h;

	if (k->src.family == AF_INET && k->dst.family == AF_INET) {
		uint32_t s4, d4;

		memcpy(&s4, k->src.a, 4);
		memcpy(&d4, k->dst.a, 4);
		h = hash_u64x2(&t->key, (uint64_t)s4 << 32 | d4,
			       (uint64_t)k->sport << 16 | k->dport);
	} else {
		uint8_t b[36];

		memcpy(b, k->src.a, 16);
		memcpy(b + 16, k->dst.a, 16);
		memcpy(b + 32, &k->sport, 2);
		memcpy(b + 34, &k->dport, 2);
		h = hash_bytes(&t->key, b, sizeof(b));
	}
	return &t->buckets[h & (t->nbuckets - 1)];
}

static void
lru_unlink(struct tcptab *t, struct tcp_conn *c)
{
	if (c->lru_prev)
		C(t, c->lru_prev)->lru_next = c->lru_next;
	else
		t->lru_head = c->lru_next;
	if (c->lru_next)
		C(t, c->lru_next)->lru_prev = c->lru_prev;
	else
		t->lru_tail = c->lru_prev;
	c->lru_prev = c->lru_next = 0;
}

static void
lru_push_front(struct tcptab *t, struct tcp_conn *c)
{
	uint32_t idx = IDX(t, c);

	c->lru_prev = 0;
	c->lru_next = t->lru_head;
	if (t->lru_head)
		C(t, t->lru_head)->lru_prev = idx;
	t->lru_head = idx;
	if (!t->lru_tail)
		t->lru_tail = idx;
}

void
tcpconn_remove(struct tcptab *t, struct tcp_conn *c)
{
	uint32_t idx = IDX(t, c), *pp = bucket_of(t, &c->key);

	while (*pp && *pp != idx)
		pp = &C(t, *pp)->hnext;
	if (*pp)
		*pp = c->hnext;
	lru_unlink(t, c);
	tcpconn_buf_release(t, c);
	tcpconn_hist_release(t, c);
	c->hnext = t->free_head;
	t->free_head = idx;
	t->s.conns--;
}

struct tcp_conn *
tcpconn_find(const struct tcptab *t, const struct tcp_key *k)
{
	for (uint32_t i = *bucket_of(t, k); i; i = C(t, i)->hnext) {
		const struct tcp_key *e = &C(t, i)->key;

		if (e->sport == k->sport && e->dport == k->dport && addr_equal(&e->src, &k->src) &&
		    addr_equal(&e->dst, &k->dst))
			return C(t, i);
	}
	return NULL;
}

/* Make room in a full table: an expired connection if there is one, else
 * the least recently seen one that holds no partial message. */
static void
evict_one(struct tcptab *t, uint32_t now)
{
	struct tcp_conn *victim = C(t, t->lru_tail), *c = victim;
	unsigned k = 0;

	if ((uint32_t)(now - victim->last_ms) >= t->idle_ms) {
		tcpconn_remove(t, victim);
		t->s.expired++;
		return;
	}
	while (k++ < EVICT_SCAN && c && c->st.pend)
		c = c->lru_prev ? C(t, c->lru_prev) : NULL;
	if (c && !c->st.pend)
		victim = c;
	t->s.evicted_pending += victim->st.pend != 0;
	t->s.evicted++;
	tcpconn_remove(t, victim);
}

struct tcp_conn *
tcpconn_create(struct tcptab *t, const struct tcp_key *k, uint32_t now)
{
	struct tcp_conn *c;
	uint32_t idx, *b;

	if (!t->free_head && t->next_unused >= t->s.capacity)
		evict_one(t, now);
	if (t->free_head) {
		idx = t->free_head;
		t->free_head = C(t, idx)->hnext;
	} else {
		idx = ++t->next_unused;
	}
	c = C(t, idx);
	memset(c, 0, sizeof(*c));
	c->key = *k;
	b = bucket_of(t, k);
	c->hnext = *b;
	*b = idx;
	lru_push_front(t, c);
	t->s.conns++;
	t->s.created++;
	return c;
}

/* c carried a segment at now: it is the most recently seen. */
void
tcpconn_touch(struct tcptab *t, struct tcp_conn *c, uint32_t now)
{
	c->last_ms = now;
	if (t->lru_head != IDX(t, c)) {
		lru_unlink(t, c);
		lru_push_front(t, c);
	}
}

void
tcptab_forget(struct tcptab *t, const struct packet_info *pi)
{
	struct tcp_key k = { pi->src, pi->dst, pi->sport, pi->dport };
	struct tcp_conn *c = tcpconn_find(t, &k);

	if (c)
		tcpconn_remove(t, c);
}

uint32_t
tcptab_expire(struct tcptab *t, uint64_t now_ms, uint32_t max)
{
	uint32_t now = (uint32_t)now_ms, n = 0;

	while (n < max && t->lru_tail) {
		struct tcp_conn *c = C(t, t->lru_tail);

		if ((uint32_t)(now - c->last_ms) < t->idle_ms)
			break;
		tcpconn_remove(t, c);
		t->s.expired++;
		n++;
	}
	return n;
}

uint32_t
tcptab_probes(const struct tcptab *t, const struct packet_info *pi)
{
	struct tcp_key k = { pi->src, pi->dst, pi->sport, pi->dport };
	uint32_t n = 0;

	for (uint32_t i = *bucket_of(t, &k); i; i = C(t, i)->hnext) {
		const struct tcp_key *e = &C(t, i)->key;

		n++;
		if (e->sport == k.sport && e->dport == k.dport && addr_equal(&e->src, &k.src) &&
		    addr_equal(&e->dst, &k.dst))
			break;
	}
	return n;
}

void
tcptab_get_stats(const struct tcptab *t, struct tcptab_stats *st)
{
	*st = t->s;
}

