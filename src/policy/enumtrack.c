/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "authtrack.h"
#include "bigmem.h"
#include "enumtrack.h"
#include "wayset.h"

/* The per-source table is 4-way too (oldest accused replaced), sized by
 * wayset_count(): the same associativity. */
#define SRC_WAYS WAYSET_WAYS

/* A remembered request; its key and time live in the wayset index. */
struct etxn {
	uint64_t target;
	struct addr src;
	bool creds;
};

struct esrc {
	struct addr src;
	uint64_t last_ms;    /* 0: empty */
	uint8_t n;           /* ring entries in use */
	uint8_t head;
	struct {
		uint32_t target; /* 32 bits of the target hash: plenty to tell users apart */
		uint32_t ms;     /* truncated time of the latest negative answer */
	} ring[ENUM_MAX_DISTINCT + 1];
};

struct enumtab {
	uint32_t ntx, nsrc;  /* buckets, powers of two */
	struct wayset *txset; /* ntx: keys and times, one cache line per set */
	struct etxn *tx;      /* ntx * WAYSET_WAYS */
	struct esrc *srcs;
	struct hash_key key;  /* getrandom(): sources and target users are the prober's */
};

/* Records are written at random: faulted in whole (bigmem.h). */
static size_t
tx_len(const struct enumtab *t)
{
	return (size_t)t->ntx * WAYSET_WAYS * sizeof(*t->tx);
}

static size_t
srcs_len(const struct enumtab *t)
{
	return (size_t)t->nsrc * SRC_WAYS * sizeof(*t->srcs);
}

struct enumtab *
enumtab_new(uint32_t max_txns, uint32_t max_sources)
{
	struct enumtab *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->ntx = wayset_count(max_txns, 26);
	t->nsrc = wayset_count(max_sources, 26);
	t->txset = wayset_alloc(t->ntx);
	t->tx = bigmem_alloc(tx_len(t));
	t->srcs = bigmem_alloc(srcs_len(t));
	/* No table without an unpredictable key: see hash.h. */
	if (!t->txset || !t->tx || !t->srcs || hash_key_random(&t->key) < 0) {
		enumtab_free(t);
		return NULL;
	}
	return t;
}

void
enumtab_free(struct enumtab *t)
{
	if (!t)
		return;
	free(t->txset);
	bigmem_free(t->tx, tx_len(t));
	bigmem_free(t->srcs, srcs_len(t));
	free(t);
}

/* The user part of a name-addr or URI span: after the display name (a
 * '<' outside quotes), after the scheme's ':', up to '@'. Raw bytes: the
 * hash only tells users apart. */
static struct hash_span
user_span(struct sip_str v)
{
	uint32_t i = 0, start = 0, end;
	bool quoted = false;
	const char *c;

	/* Without a '<' there is no display name to skip, quotes or not:
	 * the common R-URI is not walked byte by byte for one. */
	if (memchr(v.s, '<', v.len) == NULL)
		i = v.len;
	for (; i < v.len; i++) {
		if (v.s[i] == '\\' && quoted)
			i++;
		else if (v.s[i] == '"')
			quoted = !quoted;
		else if (v.s[i] == '<' && !quoted) {
			start = i + 1;
			break;
		}
	}
	c = memchr(v.s + start, ':', v.len - start);
	i = c ? (uint32_t)(c - v.s) + 1 : start;
	end = (uint32_t)(sip_find4(v.s + i, v.s + v.len, '@', '>', ';', ';') - v.s);
	return (struct hash_span){ v.s + i, end - i };
}

/* What user_span() gives for a URI sanity read: the user, or with none
 * the host and port (user_span() stops at '>' or ';' there). */
static struct hash_span
user_span_read(const struct sip_uri_read *u)
{
	struct sip_str s = u->user.len ? u->user : u->hostport;

	return (struct hash_span){ s.s, s.len };
}

uint64_t
enum_target_hash(const struct enumtab *t, const struct sip_msg *m, const struct sip_read *rd)
{
	struct hash_span f[2] = { { "", 0 }, { "", 0 } };
	uint64_t h;

	if (!m->to.s && !m->ruri.s)
		return 0;
	/* Both the To user (REGISTER walks it) and the request-URI user
	 * (INVITE and OPTIONS are routed by it): a prober varying either is a
	 * new target. Keyed: with a known hash a prober could pick spellings
	 * of its targets that all count as one. */
	if (rd && rd->to.set)
		f[0] = user_span_read(&rd->to);
	else if (m->to.s)
		f[0] = user_span(m->to);
	if (rd && rd->ruri.set)
		f[1] = user_span_read(&rd->ruri);
	else if (m->ruri.s)
		f[1] = user_span(m->ruri);
	h = hash_fields(&t->key, f, m->ruri.s ? 2 : 1);
	return h ? h : 1;
}

void
enumtab_prefetch(const struct enumtab *t, uint64_t key)
{
	size_t set = key & (t->ntx - 1);
	const char *rec = (const char *)&t->tx[set * WAYSET_WAYS];

	__builtin_prefetch(&t->txset[set], 1);
	__builtin_prefetch(rec, 1);
	__builtin_prefetch(rec + sizeof(struct etxn) * WAYSET_WAYS - 1, 1);
}

void
enumtab_request(struct enumtab *t, uint64_t key, const struct addr *src,
		uint64_t target, bool creds, uint64_t now_ms)
{
	size_t set = key & (t->ntx - 1);
	bool evicted;
	struct etxn *v = &t->tx[set * WAYSET_WAYS + wayset_claim(&t->txset[set], key, now_ms,
							  TXN_TIMEOUT_MS, &evicted)];

	v->target = target;
	v->src = *src;
	v->creds = creds;
}

bool
enumtab_conflict(struct enumtab *t, uint64_t key, const struct addr *src, uint64_t target,
		 uint64_t now_ms)
{
	size_t set = key & (t->ntx - 1);
	int w = wayset_find(&t->txset[set], key, now_ms, TXN_TIMEOUT_MS);
	const struct etxn *x;

	if (w < 0)
		return false;
	x = &t->tx[set * WAYSET_WAYS + (unsigned)w];
	return x->target != target || !addr_equal(&x->src, src);
}

static struct esrc *
source(struct enumtab *t, const struct addr *src, uint64_t now_ms, bool create)
{
	uint64_t h = addr_hash(src, &t->key);
	struct esrc *b = &t->srcs[(size_t)(h & (t->nsrc - 1)) * SRC_WAYS], *v = &b[0];

	for (int i = 0; i < SRC_WAYS; i++) {
		if (b[i].last_ms && addr_equal(&b[i].src, src))
			return &b[i];
		if (!b[i].last_ms || b[i].last_ms < v->last_ms)
			v = &b[i];
	}
	if (!create)
		return NULL;
	/* An empty way or the least recently accused source. */
	memset(v, 0, offsetof(struct esrc, ring));
	v->src = *src;
	v->last_ms = now_ms ? now_ms : 1;
	return v;
}

uint32_t
enumtab_reply(struct enumtab *t, uint64_t key, unsigned status, uint64_t now_ms,
	      uint32_t window_ms, struct addr *src)
{
	size_t set = key & (t->ntx - 1);
	int w = wayset_find(&t->txset[set], key, now_ms, TXN_TIMEOUT_MS);
	struct etxn *x;
	struct esrc *s;
	uint32_t now = (uint32_t)now_ms, target;
	unsigned i, keep = 0;
	bool negative;

	if (w < 0 || status < 200)
		return 0;
	t->txset[set].key[w] = 0; /* a final reply ends the transaction */
	x = &t->tx[set * WAYSET_WAYS + (unsigned)w];
	negative = status == 404 || status == 484 ||
		   (x->creds && (status == 401 || status == 403 || status == 407));
	if (!negative)
		return 0;
	*src = x->src;
	target = (uint32_t)(x->target ^ (x->target >> 32));

	s = source(t, &x->src, now_ms, true);
	/* Keep the answers still inside the window, dropping this target's
	 * earlier one: it is counted once, with its latest time. */
	for (i = 0; i < s->n; i++) {
		unsigned j = (s->head + i) % (ENUM_MAX_DISTINCT + 1);

		if ((uint32_t)(now - s->ring[j].ms) >= window_ms || s->ring[j].target == target)
			continue;
		s->ring[keep] = s->ring[j];
		keep++;
	}
	/* keep <= n <= ENUM_MAX_DISTINCT+1; compacted to the front. */
	if (keep == ENUM_MAX_DISTINCT + 1)
		memmove(&s->ring[0], &s->ring[1], sizeof(s->ring[0]) * --keep);
	s->ring[keep].target = target;
	s->ring[keep].ms = now;
	s->n = (uint8_t)(keep + 1);
	s->head = 0;
	s->last_ms = now_ms;
	return s->n;
}

void
enumtab_forget(struct enumtab *t, const struct addr *src)
{
	struct esrc *s = source(t, src, 0, false);

	if (s)
		memset(s, 0, offsetof(struct esrc, ring));
}
