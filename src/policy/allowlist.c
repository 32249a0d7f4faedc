/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "allowlist.h"

/*
 * A snapshot: the networks sorted by (family, address bytes, prefix
 * length), with the set of prefix lengths in use per family, and the users
 * sorted by (length, bytes). An address is looked up once per prefix length
 * in use (as bantab_check_ip() and the kernel's hash:net do), each a binary
 * search: cheap however long the list.
 */
struct allow_snap {
	uint32_t n_net, n_user;
	struct addr_net *net;
	struct ban_key *user;
	uint64_t plens4;        /* bit p: some IPv4 allow is a /p (0..32) */
	uint64_t plens6[3];     /* bit p: some IPv6 allow is a /p (0..128) */
};

struct retired {
	struct allow_snap *snap;
	unsigned gen;           /* replaced when the workers were told gen */
	struct retired *next;
};

struct allowlist {
	pthread_mutex_t lock;
	uint32_t max, n, cap;
	struct allow_entry *v;
	uint64_t version;
	bool hold;              /* a bulk load: publish once at the end */
	_Atomic(struct allow_snap *) cur;
	struct retired *retired;
	allowlist_publish_fn publish;
	void *publish_ctx;
};

static bool
plen_in(const struct allow_snap *s, int family, unsigned p)
{
	if (family == AF_INET)
		return p <= 32 && (s->plens4 >> p & 1);
	return p <= 128 && (s->plens6[p / 64] >> (p % 64) & 1);
}

static int
net_cmp(const struct addr *a, unsigned ap, const struct addr *b, unsigned bp)
{
	int c;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	c = memcmp(a->a, b->a, 16);
	if (c)
		return c;
	return ap < bp ? -1 : ap > bp;
}

static int
net_sort(const void *x, const void *y)
{
	const struct addr_net *a = x, *b = y;

	return net_cmp(&a->base, a->plen, &b->base, b->plen);
}

static int
user_cmp(const char *a, size_t an, const struct ban_key *b)
{
	if (an != b->len)
		return an < b->len ? -1 : 1;
	return memcmp(a, b->data, an);
}

static int
user_sort(const void *x, const void *y)
{
	const struct ban_key *a = x;

	return user_cmp(a->data, a->len, y);
}

/* First index whose network sorts at or after (a, p). */
static uint32_t
lower_bound(const struct allow_snap *s, const struct addr *a, unsigned p)
{
	uint32_t lo = 0, hi = s->n_net;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (net_cmp(&s->net[mid].base, s->net[mid].plen, a, p) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Is some allow a /p (p <= maxp) that holds a? */
static bool
held_by(const struct allow_snap *s, const struct addr *a, unsigned maxp)
{
	unsigned full = a->family == AF_INET ? 32 : 128;

	if (maxp > full)
		maxp = full;
	for (unsigned p = 0; p <= maxp; p++) {
		struct addr m = *a;
		uint32_t i;

		if (!plen_in(s, a->family, p))
			continue;
		addr_mask(&m, p);
		i = lower_bound(s, &m, p);
		if (i < s->n_net && net_cmp(&s->net[i].base, s->net[i].plen, &m, p) == 0)
			return true;
	}
	return false;
}

bool
allow_snap_any(const struct allow_snap *s)
{
	return s && (s->n_net || s->n_user);
}

bool
allow_snap_ip(const struct allow_snap *s, const struct addr *a)
{
	return s && s->n_net && held_by(s, a, 128);
}

bool
allow_snap_net_overlaps(const struct allow_snap *s, const struct addr *net, unsigned plen)
{
	struct addr m = *net;
	uint32_t i;

	if (!s || !s->n_net)
		return false;
	if (held_by(s, net, plen))
		return true;
	/* An allow inside net: the networks sort by address, so the first
	 * at or after net's base is the only candidate. */
	addr_mask(&m, plen);
	i = lower_bound(s, &m, 0);
	if (i == s->n_net || s->net[i].base.family != m.family)
		return false;
	{
		struct addr x = s->net[i].base;

		addr_mask(&x, plen);
		return addr_equal(&x, &m);
	}
}

bool
allow_snap_user(const struct allow_snap *s, const char *user, size_t len)
{
	uint32_t lo = 0, hi;

	if (!s || !s->n_user)
		return false;
	hi = s->n_user;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = user_cmp(user, len, &s->user[mid]);

		if (c == 0)
			return true;
		if (c > 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

static void
snap_free(struct allow_snap *s)
{
	if (!s)
		return;
	free(s->net);
	free(s->user);
	free(s);
}

/* Under the lock: a snapshot of the entries. NULL without memory. */
static struct allow_snap *
snap_build(const struct allowlist *al)
{
	struct allow_snap *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->net = calloc(al->n ? al->n : 1, sizeof(*s->net));
	s->user = calloc(al->n ? al->n : 1, sizeof(*s->user));
	if (!s->net || !s->user) {
		snap_free(s);
		return NULL;
	}
	for (uint32_t i = 0; i < al->n; i++) {
		const struct ban_key *k = &al->v[i].key;

		if (k->kind == BAN_KIND_USER) {
			s->user[s->n_user++] = *k;
			continue;
		}
		struct addr_net *n = &s->net[s->n_net++];

		memcpy(&n->base, k->data, sizeof(n->base));
		n->plen = k->plen;
		if (n->base.family == AF_INET)
			s->plens4 |= 1ull << k->plen;
		else
			s->plens6[k->plen / 64] |= 1ull << (k->plen % 64);
	}
	qsort(s->net, s->n_net, sizeof(*s->net), net_sort);
	qsort(s->user, s->n_user, sizeof(*s->user), user_sort);
	return s;
}

/*
 * Under the lock, after a change: the new snapshot in place, the old one
 * kept for the workers that may still read it. Without memory the old
 * snapshot stays (-ENOMEM): the caller undoes its change, so that what the
 * workers trust and what the list says never part.
 */
static int
publish(struct allowlist *al)
{
	struct allow_snap *s, *old;
	struct retired *r;
	unsigned gen = 0;

	al->version++;
	if (al->hold)
		return 0;
	s = snap_build(al);
	r = malloc(sizeof(*r));
	if (!s || !r) {
		snap_free(s);
		free(r);
		return -ENOMEM;
	}
	old = atomic_exchange_explicit(&al->cur, s, memory_order_release);
	if (al->publish)
		gen = al->publish(al->publish_ctx);
	if (!old) {
		free(r);
		return 0;
	}
	r->snap = old;
	r->gen = gen;
	r->next = al->retired;
	al->retired = r;
	return 0;
}

struct allowlist *
allowlist_new(uint32_t max)
{
	struct allowlist *al = calloc(1, sizeof(*al));

	if (!al)
		return NULL;
	pthread_mutex_init(&al->lock, NULL);
	al->max = max ? max : ALLOW_MAX_DEFAULT;
	atomic_init(&al->cur, NULL);
	return al;
}

void
allowlist_free(struct allowlist *al)
{
	if (!al)
		return;
	while (al->retired) {
		struct retired *r = al->retired;

		al->retired = r->next;
		snap_free(r->snap);
		free(r);
	}
	snap_free(atomic_load(&al->cur));
	free(al->v);
	pthread_mutex_destroy(&al->lock);
	free(al);
}

void
allowlist_set_publish(struct allowlist *al, allowlist_publish_fn fn, void *ctx)
{
	pthread_mutex_lock(&al->lock);
	al->publish = fn;
	al->publish_ctx = ctx;
	pthread_mutex_unlock(&al->lock);
}

void
allowlist_set_max(struct allowlist *al, uint32_t max)
{
	pthread_mutex_lock(&al->lock);
	al->max = max ? max : ALLOW_MAX_DEFAULT;
	pthread_mutex_unlock(&al->lock);
}

void
allowlist_hold(struct allowlist *al, bool hold)
{
	pthread_mutex_lock(&al->lock);
	al->hold = hold;
	if (!hold)
		publish(al);
	pthread_mutex_unlock(&al->lock);
}

int
allowlist_key_check(const struct ban_key *k, bool force)
{
	if (k->kind == BAN_KIND_USER) {
		const char *at = memchr(k->data, '@', k->len);

		if (k->len == 0 || k->len > BAN_KEY_MAX || memchr(k->data, '\0', k->len))
			return -EINVAL;
		/* The last '@' separates the domain (user parts may hold one). */
		while (at) {
			const char *next = memchr(at + 1, '@', k->len - (size_t)(at + 1 - k->data));

			if (!next)
				break;
			at = next;
		}
		if (!at || at == k->data || at == k->data + k->len - 1)
			return -EINVAL;
		return 0;
	}
	if (k->kind != BAN_KIND_IP || k->len != sizeof(struct addr))
		return -EINVAL;
	{
		struct addr a, m;
		unsigned full;

		memcpy(&a, k->data, sizeof(a));
		if (a.family != AF_INET && a.family != AF_INET6)
			return -EINVAL;
		full = a.family == AF_INET ? 32 : 128;
		if (k->plen > full)
			return -EINVAL;
		m = a;
		addr_mask(&m, k->plen);
		if (!addr_equal(&m, &a))
			return -EINVAL;
		if (k->plen == 0)
			return -EDOM;
		if (!force && k->plen < (a.family == AF_INET ? ALLOW_WIDE4 : ALLOW_WIDE6))
			return -EDOM;
	}
	return 0;
}

static bool
key_eq(const struct ban_key *a, const struct ban_key *b)
{
	return a->kind == b->kind && a->plen == b->plen && a->len == b->len &&
	       memcmp(a->data, b->data, a->len) == 0;
}

static int
find(const struct allowlist *al, const struct ban_key *k)
{
	for (uint32_t i = 0; i < al->n; i++)
		if (key_eq(&al->v[i].key, k))
			return (int)i;
	return -1;
}

int
allowlist_add(struct allowlist *al, const struct allow_entry *e)
{
	struct allow_entry prev;
	int i, ret;

	if (allowlist_key_check(&e->key, true) < 0)
		return -EINVAL;
	pthread_mutex_lock(&al->lock);
	i = find(al, &e->key);
	if (i >= 0) {
		prev = al->v[i];
		al->v[i] = e[0];
		ret = publish(al);
		if (ret < 0)
			al->v[i] = prev;
		pthread_mutex_unlock(&al->lock);
		return ret < 0 ? ret : 0;
	}
	if (al->n >= al->max) {
		pthread_mutex_unlock(&al->lock);
		return -ENOSPC;
	}
	if (al->n == al->cap) {
		uint32_t cap = al->cap ? al->cap * 2 : 16;
		struct allow_entry *v;

		if (cap > al->max)
			cap = al->max;
		v = realloc(al->v, (size_t)cap * sizeof(*v));
		if (!v) {
			pthread_mutex_unlock(&al->lock);
			return -ENOMEM;
		}
		al->v = v;
		al->cap = cap;
	}
	al->v[al->n++] = *e;
	/* Strings from elsewhere are cut, never overrun. */
	al->v[al->n - 1].comment[ALLOW_COMMENT_MAX] = '\0';
	al->v[al->n - 1].origin[ALLOW_ORIGIN_MAX] = '\0';
	ret = publish(al);
	if (ret < 0)
		al->n--;
	pthread_mutex_unlock(&al->lock);
	return ret < 0 ? ret : 1;
}

int
allowlist_del(struct allowlist *al, const struct ban_key *k)
{
	struct allow_entry gone;
	int i, ret;

	pthread_mutex_lock(&al->lock);
	i = find(al, k);
	if (i < 0) {
		pthread_mutex_unlock(&al->lock);
		return -ENOENT;
	}
	gone = al->v[i];
	al->v[i] = al->v[--al->n];
	ret = publish(al);
	if (ret < 0) {
		al->v[al->n++] = al->v[i];
		al->v[i] = gone;
	}
	pthread_mutex_unlock(&al->lock);
	return ret;
}

int
allowlist_get(struct allowlist *al, const struct ban_key *k, struct allow_entry *out)
{
	int i;

	pthread_mutex_lock(&al->lock);
	i = find(al, k);
	if (i >= 0 && out)
		*out = al->v[i];
	pthread_mutex_unlock(&al->lock);
	return i >= 0 ? 0 : -ENOENT;
}

uint32_t
allowlist_expire(struct allowlist *al, int64_t now, allowlist_cb cb, void *arg)
{
	uint32_t gone = 0;

	pthread_mutex_lock(&al->lock);
	for (uint32_t i = 0; i < al->n;) {
		if (al->v[i].expires == 0 || al->v[i].expires > now) {
			i++;
			continue;
		}
		if (cb)
			cb(&al->v[i], arg);
		al->v[i] = al->v[--al->n];
		gone++;
	}
	/* Without memory for a new snapshot the workers keep trusting what
	 * expired; the next tick tries again (the entries are gone already). */
	if (gone && publish(al) < 0)
		al->version++;
	pthread_mutex_unlock(&al->lock);
	return gone;
}

void
allowlist_foreach(struct allowlist *al, allowlist_cb cb, void *arg)
{
	pthread_mutex_lock(&al->lock);
	for (uint32_t i = 0; i < al->n; i++)
		cb(&al->v[i], arg);
	pthread_mutex_unlock(&al->lock);
}

uint32_t
allowlist_count(struct allowlist *al)
{
	uint32_t n;

	pthread_mutex_lock(&al->lock);
	n = al->n;
	pthread_mutex_unlock(&al->lock);
	return n;
}

uint64_t
allowlist_version(struct allowlist *al)
{
	uint64_t v;

	pthread_mutex_lock(&al->lock);
	v = al->version;
	pthread_mutex_unlock(&al->lock);
	return v;
}

bool
allowlist_covers_key(struct allowlist *al, const struct ban_key *k)
{
	const struct allow_snap *s;
	bool r;

	/* The current snapshot cannot be retired while the lock is held. */
	pthread_mutex_lock(&al->lock);
	s = atomic_load_explicit(&al->cur, memory_order_relaxed);
	if (k->kind == BAN_KIND_USER) {
		r = allow_snap_user(s, k->data, k->len);
	} else {
		struct addr a;

		memcpy(&a, k->data, sizeof(a));
		r = allow_snap_net_overlaps(s, &a, k->plen);
	}
	pthread_mutex_unlock(&al->lock);
	return r;
}

const struct allow_snap *
allowlist_snap(struct allowlist *al)
{
	return al ? atomic_load_explicit(&al->cur, memory_order_acquire) : NULL;
}

void
allowlist_reclaim(struct allowlist *al, unsigned oldest)
{
	pthread_mutex_lock(&al->lock);
	for (struct retired **pp = &al->retired; *pp;) {
		struct retired *r = *pp;

		/* Generations wrap: compare by difference. */
		if ((int)(oldest - r->gen) >= 0) {
			*pp = r->next;
			snap_free(r->snap);
			free(r);
		} else {
			pp = &r->next;
		}
	}
	pthread_mutex_unlock(&al->lock);
}
