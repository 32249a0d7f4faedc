/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asciicase.h"
#include "authtrack.h"
#include "bigmem.h"
#include "wayset.h"

#define FAIL_SHARDS 64

/*
 * A record as the table keeps it: struct txn's four strings one after the
 * other, each cut where struct txn cuts it. A request with credentials is
 * remembered at every pass, at a random place in a table far larger than
 * the caches: packed, a phone's record is written in two or three cache
 * lines where struct txn's fixed fields spread the same bytes over six
 * of its seven.
 */
struct txn_rec {
	uint64_t key;         /* txn_key(); whether a way is in use, and since
			       * when, is kept in the table's wayset index */
	struct addr src;
	uint8_t len[3];       /* user, UA and R-URI lengths, NUL not counted */
	char text[AUTH_USER_MAX + 3 * AUTH_STR_MAX];
};

_Static_assert(AUTH_USER_MAX <= 256 && AUTH_STR_MAX <= 256, "lengths are kept in a byte");

struct txntab {
	uint32_t nbuckets;       /* power of two */
	uint64_t replaced;
	struct wayset *sets;     /* nbuckets: the keys, probed in one cache line */
	struct txn_rec *ways;    /* nbuckets * WAYSET_WAYS records */
};

/* The From tag without a libosip2 parse: ";tag=" found case-insensitively
 * outside quotes and angle brackets of the raw span. Good enough for a
 * hash key; both the request and its reply carry the same bytes. */
static struct sip_str
from_tag(struct sip_str from)
{
	struct sip_str t = { NULL, 0 };
	bool quoted = false;
	int angle = 0;

	/* The walk acts on four bytes and skips the rest, sixteen at a
	 * time (this runs for every request with credentials or an
	 * enumeration check, and for every final reply). */
	const char *e = from.s + from.len;

	for (const char *p = sip_find4(from.s, e, '"', '<', '>', ';'); p < e;
	     p = sip_find4(p + 1, e, '"', '<', '>', ';')) {
		uint32_t i = (uint32_t)(p - from.s);
		char c = *p;

		if (c == '"' && (i == 0 || from.s[i - 1] != '\\'))
			quoted = !quoted;
		else if (!quoted && c == '<')
			angle++;
		else if (!quoted && c == '>' && angle)
			angle--;
		else if (!quoted && !angle && c == ';' && i + 4 < from.len &&
			 ascii_case_eq(from.s + i + 1, "tag=", 4)) {
			uint32_t j = i + 5;

			t.s = from.s + j;
			while (j < from.len && from.s[j] != ';' && from.s[j] != ' ' &&
			       from.s[j] != '\t' && from.s[j] != '\r' && from.s[j] != '\n')
				j++;
			t.len = (uint32_t)(j - (i + 5));
			break;
		}
	}
	return t;
}

uint64_t
txn_key(const struct hash_key *k, const struct sip_msg *m, const struct sip_read *rd)
{
	struct sip_str tag;
	struct hash_span f[4];
	uint64_t h;

	if (!m->call_id.s || !m->cseq_ok || !m->from.s)
		return 0;
	/* Keyed: the value both picks the set and stands for the
	 * transaction in it, so an attacker who could compute it could aim
	 * requests at one set or forge a match for another's record. */
	tag = rd && rd->from.set ? rd->from.tag : from_tag(m->from);
	f[0] = (struct hash_span){ m->call_id.s, m->call_id.len };
	f[1] = (struct hash_span){ &m->cseq_num, sizeof(m->cseq_num) };
	f[2] = (struct hash_span){ m->cseq_method_name.s ? m->cseq_method_name.s : "",
				   m->cseq_method_name.len };
	f[3] = (struct hash_span){ tag.s, tag.len };
	h = hash_fields(k, f, tag.s ? 4 : 3);
	return h ? h : 1;
}

/* Records are written at random: faulted in whole (bigmem.h). */
static size_t
ways_len(const struct txntab *t)
{
	return (size_t)t->nbuckets * WAYSET_WAYS * sizeof(*t->ways);
}

struct txntab *
txntab_new(uint32_t capacity)
{
	struct txntab *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->nbuckets = wayset_count(capacity, 28);
	t->sets = wayset_alloc(t->nbuckets);
	t->ways = bigmem_alloc(ways_len(t));
	if (!t->sets || !t->ways) {
		txntab_free(t);
		return NULL;
	}
	return t;
}

void
txntab_free(struct txntab *t)
{
	if (!t)
		return;
	free(t->sets);
	bigmem_free(t->ways, ways_len(t));
	free(t);
}

void
txntab_put(struct txntab *tt, uint64_t key, uint64_t now_ms, const struct addr *src,
	   const char *user, const struct sip_msg *m)
{
	size_t set = key & (tt->nbuckets - 1);
	bool evicted;
	unsigned i = wayset_claim(&tt->sets[set], key, now_ms, TXN_TIMEOUT_MS, &evicted);
	struct txn_rec *r = &tt->ways[set * WAYSET_WAYS + i];
	size_t n, at;

	if (evicted)
		tt->replaced++;
	r->key = key;
	r->src = *src;
	n = strnlen(user, AUTH_USER_MAX - 1);
	memcpy(r->text, user, n);
	r->text[n] = '\0';
	r->len[0] = (uint8_t)n;
	at = n + 1;
	/* sip_str_copy() returns what it wrote, NUL not counted */
	n = sip_str_copy(m->user_agent, r->text + at, AUTH_STR_MAX);
	r->len[1] = (uint8_t)n;
	at += n + 1;
	n = sip_str_copy(m->ruri, r->text + at, AUTH_STR_MAX);
	r->len[2] = (uint8_t)n;
	at += n + 1;
	sip_str_copy(m->call_id, r->text + at, AUTH_STR_MAX);
}

/* A packed string out into its field of struct txn (n < size) */
static const char *
unpack(const char *s, size_t n, char *out)
{
	memcpy(out, s, n);
	out[n] = '\0';
	return s + n + 1;
}

void
txntab_prefetch(const struct txntab *tt, uint64_t key)
{
	__builtin_prefetch(&tt->sets[key & (tt->nbuckets - 1)], 1);
}

bool
txntab_get(struct txntab *tt, uint64_t key, uint64_t now_ms, bool take, struct txn *out)
{
	size_t set = key & (tt->nbuckets - 1);
	int i = wayset_find(&tt->sets[set], key, now_ms, TXN_TIMEOUT_MS);

	if (i < 0)
		return false;
	if (out) {
		const struct txn_rec *r = &tt->ways[set * WAYSET_WAYS + (unsigned)i];
		const char *s = r->text;

		out->key = r->key;
		out->src = r->src;
		s = unpack(s, r->len[0], out->user);
		s = unpack(s, r->len[1], out->ua);
		s = unpack(s, r->len[2], out->ruri);
		unpack(s, strnlen(s, AUTH_STR_MAX - 1), out->callid);
	}
	if (take)
		tt->sets[set].key[i] = 0;
	return true;
}

uint64_t
txntab_replaced(const struct txntab *tt)
{
	return tt->replaced;
}

/* ---- the shared failure counters ---- */

struct fail {
	struct fail *next;
	uint64_t last_ms;
	uint32_t count;
	char user[];
};

struct fshard {
	pthread_mutex_t lock;
	struct fail *head; /* most recently failed first */
	uint32_t n;
} __attribute__((aligned(64)));

struct failtab {
	uint32_t per_shard;
	_Atomic uint32_t total;
	struct hash_key key; /* getrandom(): users are the attacker's to name */
	struct fshard shards[FAIL_SHARDS];
};

struct failtab *
failtab_new(uint32_t max_users)
{
	struct failtab *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->per_shard = (max_users + FAIL_SHARDS - 1) / FAIL_SHARDS;
	if (f->per_shard < 1)
		f->per_shard = 1;
	/* No table without an unpredictable key: see hash.h. */
	if (hash_key_random(&f->key) < 0) {
		free(f);
		return NULL;
	}
	for (int i = 0; i < FAIL_SHARDS; i++)
		pthread_mutex_init(&f->shards[i].lock, NULL);
	return f;
}

void
failtab_free(struct failtab *f)
{
	if (!f)
		return;
	for (int i = 0; i < FAIL_SHARDS; i++) {
		struct fail *e = f->shards[i].head;

		while (e) {
			struct fail *n = e->next;

			free(e);
			e = n;
		}
		pthread_mutex_destroy(&f->shards[i].lock);
	}
	free(f);
}

static struct fshard *
shard_of(struct failtab *f, const char *user)
{
	return &f->shards[hash_bytes(&f->key, user, strlen(user)) % FAIL_SHARDS];
}

/* Each shard is a short move-to-front list: failures are rare next to
 * packets, and the list bound (per_shard) keeps a walk short enough. */
uint32_t
failtab_fail(struct failtab *f, const char *user, uint64_t now_ms, uint64_t forget_ms)
{
	struct fshard *s = shard_of(f, user);
	struct fail **pp, *e = NULL;
	uint32_t count;

	pthread_mutex_lock(&s->lock);
	for (pp = &s->head; *pp; pp = &(*pp)->next)
		if (strcmp((*pp)->user, user) == 0) {
			e = *pp;
			*pp = e->next;
			s->n--;
			break;
		}
	if (!e) {
		size_t n = strlen(user) + 1;

		if (s->n >= f->per_shard) {
			/* The least recently failed user makes room. */
			for (pp = &s->head; *pp && (*pp)->next; pp = &(*pp)->next)
				;
			if (*pp) {
				free(*pp);
				*pp = NULL;
				s->n--;
				atomic_fetch_sub_explicit(&f->total, 1, memory_order_relaxed);
			}
		}
		e = malloc(sizeof(*e) + n);
		if (!e) {
			pthread_mutex_unlock(&s->lock);
			return 0;
		}
		memcpy(e->user, user, n);
		e->count = 0;
		atomic_fetch_add_explicit(&f->total, 1, memory_order_relaxed);
	} else if (now_ms > e->last_ms && now_ms - e->last_ms >= forget_ms) {
		e->count = 0;
	}
	e->count++;
	e->last_ms = now_ms;
	count = e->count;
	e->next = s->head;
	s->head = e;
	s->n++;
	pthread_mutex_unlock(&s->lock);
	return count;
}

void
failtab_touch(struct failtab *f, const char *user, uint64_t last_ms)
{
	struct fshard *s = shard_of(f, user);

	pthread_mutex_lock(&s->lock);
	for (struct fail *e = s->head; e; e = e->next)
		if (strcmp(e->user, user) == 0) {
			e->last_ms = last_ms;
			break;
		}
	pthread_mutex_unlock(&s->lock);
}

void
failtab_reset(struct failtab *f, const char *user)
{
	struct fshard *s = shard_of(f, user);
	struct fail **pp;

	pthread_mutex_lock(&s->lock);
	for (pp = &s->head; *pp; pp = &(*pp)->next)
		if (strcmp((*pp)->user, user) == 0) {
			struct fail *e = *pp;

			*pp = e->next;
			free(e);
			s->n--;
			atomic_fetch_sub_explicit(&f->total, 1, memory_order_relaxed);
			break;
		}
	pthread_mutex_unlock(&s->lock);
}

uint32_t
failtab_count(const struct failtab *f)
{
	return atomic_load_explicit(&f->total, memory_order_relaxed);
}

int
auth_user_key(const struct sip_msg *m, const struct sip_read *rd, char *out, size_t len)
{
	char user[AUTH_USER_MAX], fuser[AUTH_USER_MAX], host[AUTH_USER_MAX];
	struct sip_str cred = m->authorization.s ? m->authorization : m->proxy_authorization;
	const struct sip_cred_user *cu = rd ? &rd->cred : NULL;
	int ret;

	if (!m->from.s)
		return -EINVAL;
	/* sanity_check_read() read From on its fast path: the same answer
	 * without a second walk (this runs for every request while a user is
	 * banned) */
	if (rd && rd->from.set)
		ret = sip_uri_read_userhost(&rd->from, fuser, sizeof(fuser), host, sizeof(host));
	else
		ret = sip_extract_userhost(m->from, fuser, sizeof(fuser), host, sizeof(host));
	if (ret < 0)
		return ret;
	user[0] = '\0';
	if (cred.s && cu && cu->set) {
		/* sanity_check_read() read it: the same answer, no second walk */
		if (cu->ret == 0)
			memcpy(user, cu->user, sizeof(user));
	} else if (cred.s && sip_extract_auth_username(cred, user, sizeof(user)) < 0) {
		user[0] = '\0';
	}
	if (!user[0])
		memcpy(user, fuser, sizeof(user));
	/* Some clients put the domain in the username ("105@example.org"),
	 * some a bare trailing '@' (sipsak's "105@"): the server compares what
	 * is there, so a full user@domain is kept as it is. */
	{
		char *at = strchr(user, '@');

		if (at && at[1]) {
			if (strlen(user) >= len)
				return -ENOSPC;
			memcpy(out, user, strlen(user) + 1);
			return 0;
		}
		if (at)
			*at = '\0';
	}
	if (!user[0] || !host[0])
		return -EINVAL;
	{
		/* memcpy, not snprintf: this runs for every request with
		 * credentials. */
		size_t ul = strlen(user), hl = strlen(host);

		if (ul + 1 + hl >= len)
			return -ENOSPC;
		memcpy(out, user, ul);
		out[ul] = '@';
		memcpy(out + ul + 1, host, hl + 1);
	}
	return 0;
}

void
failtab_foreach(struct failtab *f, failtab_cb cb, void *arg)
{
	for (int i = 0; i < FAIL_SHARDS; i++) {
		struct fshard *s = &f->shards[i];

		pthread_mutex_lock(&s->lock);
		for (const struct fail *e = s->head; e; e = e->next)
			cb(e->user, e->count, e->last_ms, arg);
		pthread_mutex_unlock(&s->lock);
	}
}
