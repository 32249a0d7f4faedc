/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * evidence - a bounded table of (subject, rule) records, least recently
 * touched evicted first (evidence.h).
 *
 * Recording runs on the workers after their verdicts are sent, for logged
 * events only, so one mutex is cheap enough; the subject is found through a
 * keyed hash (hash.h) because sources are the attacker's to choose. Queries
 * (the control socket) walk the whole table: they are rare, and a walk is
 * what finds the records of a network ban covering an address.
 */

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "evidence.h"
#include "hash.h"

#define NIL UINT32_MAX

struct slot {
	struct evidence_rec r;
	uint32_t hnext;              /* hash chain */
	uint32_t prev, next;         /* recency list, most recent at head */
	uint64_t h;
	bool used;
};

struct evidence {
	pthread_mutex_t lock;
	struct hash_key key;
	struct slot *slots;
	uint32_t *buckets;
	uint32_t n, used, mask;
	uint32_t head, tail;         /* recency list */
};

struct evidence *
evidence_new(unsigned entries)
{
	struct evidence *ev = calloc(1, sizeof(*ev));
	uint32_t nb = 1;

	if (!ev)
		return NULL;
	ev->n = entries ? entries : EVIDENCE_DEFAULT_ENTRIES;
	while (nb < ev->n * 2u)
		nb <<= 1;
	ev->mask = nb - 1;
	ev->slots = calloc(ev->n, sizeof(*ev->slots));
	ev->buckets = malloc(nb * sizeof(*ev->buckets));
	if (!ev->slots || !ev->buckets || hash_key_random(&ev->key) < 0) {
		evidence_free(ev);
		return NULL;
	}
	memset(ev->buckets, 0xff, nb * sizeof(*ev->buckets));
	ev->head = ev->tail = NIL;
	pthread_mutex_init(&ev->lock, NULL);
	return ev;
}

void
evidence_free(struct evidence *ev)
{
	if (!ev)
		return;
	if (ev->slots)
		pthread_mutex_destroy(&ev->lock);
	free(ev->slots);
	free(ev->buckets);
	free(ev);
}

static void
list_unlink(struct evidence *ev, uint32_t i)
{
	struct slot *s = &ev->slots[i];

	if (s->prev != NIL)
		ev->slots[s->prev].next = s->next;
	else
		ev->head = s->next;
	if (s->next != NIL)
		ev->slots[s->next].prev = s->prev;
	else
		ev->tail = s->prev;
}

static void
list_push_head(struct evidence *ev, uint32_t i)
{
	struct slot *s = &ev->slots[i];

	s->prev = NIL;
	s->next = ev->head;
	if (ev->head != NIL)
		ev->slots[ev->head].prev = i;
	ev->head = i;
	if (ev->tail == NIL)
		ev->tail = i;
}

static void
hash_unlink(struct evidence *ev, uint32_t i)
{
	uint32_t *p = &ev->buckets[ev->slots[i].h & ev->mask];

	while (*p != NIL && *p != i)
		p = &ev->slots[*p].hnext;
	if (*p == i)
		*p = ev->slots[i].hnext;
}

/* The subject and rule as one hashable key. */
struct subject {
	enum evidence_kind kind;
	struct addr addr;
	const char *user;
	const char *rule;
};

static uint64_t
subject_hash(const struct evidence *ev, const struct subject *s)
{
	char buf[sizeof(struct addr) + EVIDENCE_STR + 40];
	size_t n = 0, l;

	buf[n++] = (char)s->kind;
	if (s->kind == EVIDENCE_IP) {
		memcpy(buf + n, &s->addr, sizeof(s->addr));
		n += sizeof(s->addr);
	} else {
		l = strnlen(s->user, EVIDENCE_STR - 1);
		memcpy(buf + n, s->user, l);
		n += l;
	}
	buf[n++] = '\0';
	l = strnlen(s->rule, 31);
	memcpy(buf + n, s->rule, l);
	n += l;
	return hash_bytes(&ev->key, buf, n);
}

static bool
subject_is(const struct evidence_rec *r, const struct subject *s)
{
	if (r->kind != s->kind || strncmp(r->rule, s->rule, sizeof(r->rule)) != 0)
		return false;
	if (s->kind == EVIDENCE_IP)
		return addr_equal(&r->addr, &s->addr);
	return strncmp(r->user, s->user, sizeof(r->user)) == 0;
}

static void
copy_str(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void
fill_msg(struct evidence_msg *m, const struct event *e, uint64_t now_s)
{
	m->at_s = now_s;
	copy_str(m->method, sizeof(m->method), e->method[0] ? e->method : "-");
	copy_str(m->ruri, sizeof(m->ruri), e->ruri);
	copy_str(m->callid, sizeof(m->callid), e->callid);
	copy_str(m->ua, sizeof(m->ua), e->ua[0] ? e->ua : "<null>");
	m->src = e->src;
}

/* Find or make the record of s (evicting the least recent), under lock. */
static struct evidence_rec *
touch(struct evidence *ev, const struct subject *s, bool *fresh)
{
	uint64_t h = subject_hash(ev, s);
	uint32_t i;
	struct slot *sl;

	for (i = ev->buckets[h & ev->mask]; i != NIL; i = ev->slots[i].hnext)
		if (ev->slots[i].h == h && subject_is(&ev->slots[i].r, s)) {
			list_unlink(ev, i);
			list_push_head(ev, i);
			*fresh = false;
			return &ev->slots[i].r;
		}
	if (ev->used < ev->n) {
		i = ev->used++;
	} else {
		i = ev->tail;
		list_unlink(ev, i);
		hash_unlink(ev, i);
	}
	sl = &ev->slots[i];
	memset(sl, 0, sizeof(*sl));
	sl->used = true;
	sl->h = h;
	sl->hnext = ev->buckets[h & ev->mask];
	ev->buckets[h & ev->mask] = i;
	list_push_head(ev, i);
	sl->r.kind = s->kind;
	if (s->kind == EVIDENCE_IP)
		sl->r.addr = s->addr;
	else
		copy_str(sl->r.user, sizeof(sl->r.user), s->user);
	copy_str(sl->r.rule, sizeof(sl->r.rule), s->rule);
	*fresh = true;
	return &sl->r;
}

/* The rule an event is evidence of, as `why` names it. */
static const char *
event_rule(const struct event *e, char *buf, size_t len)
{
	switch (e->ev) {
	case POLICY_EV_BAN_IP:
		return ban_reason_name(e->ban_reason);
	case POLICY_EV_BAN_REFUSED:
		snprintf(buf, len, "%s (ban refused)", ban_reason_name(e->ban_reason));
		return buf;
	case POLICY_EV_MALFORMED:
		snprintf(buf, len, "malformed:%s", e->sanity ? sanity_fail_name(e->sanity)
							      : sip_flaw_name(e->flaw));
		return buf;
	case POLICY_EV_UA:
		return "ua";
	case POLICY_EV_AUTH_BAN:
		return "auth";
	case POLICY_EV_SCANNER:
		return policy_reason_name(e->reason);
	default:
		return NULL;
	}
}

static void
fold(struct evidence *ev, const struct subject *s, const struct event *e, uint64_t now_s)
{
	bool fresh;
	struct evidence_rec *r = touch(ev, s, &fresh);

	if (fresh)
		fill_msg(&r->first, e, now_s);
	fill_msg(&r->last, e, now_s);
	r->count++;
	if (e->enum_users)
		r->value = e->enum_users;
	if (e->failures)
		r->value = e->failures;
	if (e->new_ban || e->ev == POLICY_EV_AUTH_BAN) {
		r->bans++;
		r->last_ban_time_s = e->ban_time_s;
		r->ban_addr = e->ban_addr;
		r->ban_plen = e->ban_plen;
	}
}

void
evidence_record(struct evidence *ev, const struct event *e, uint64_t now_s)
{
	char rbuf[64];
	const char *rule = event_rule(e, rbuf, sizeof(rbuf));
	struct subject s = { .rule = rule };

	if (!ev || !rule)
		return;
	pthread_mutex_lock(&ev->lock);
	if (e->src.family) {
		s.kind = EVIDENCE_IP;
		s.addr = e->src;
		fold(ev, &s, e, now_s);
	}
	if (e->user[0]) {
		s.kind = EVIDENCE_USER;
		s.user = e->user;
		fold(ev, &s, e, now_s);
	}
	pthread_mutex_unlock(&ev->lock);
}

static bool
covers(const struct evidence_rec *r, const struct addr *a)
{
	struct addr_net net;

	if (r->kind != EVIDENCE_IP)
		return false;
	if (addr_equal(&r->addr, a))
		return true;
	if (!r->bans || r->ban_addr.family != a->family)
		return false;
	net.base = r->ban_addr;
	net.plen = r->ban_plen;
	addr_mask(&net.base, net.plen);
	return addr_net_contains(&net, a);
}

static bool
match_ip(const struct evidence_rec *r, const void *a)
{
	return covers(r, a);
}

static bool
match_user(const struct evidence_rec *r, const void *user)
{
	return r->kind == EVIDENCE_USER && strncmp(r->user, user, sizeof(r->user)) == 0;
}

/* One predicate per key kind: a single function taking an address or a
 * user, one of them NULL, made gcc -O3 see strncmp(..., NULL) in the
 * address path's clone (-Wnonnull, a release build failed). */
static size_t
find(struct evidence *ev, bool (*match)(const struct evidence_rec *, const void *),
     const void *key, struct evidence_rec *out, size_t max)
{
	size_t n = 0;

	pthread_mutex_lock(&ev->lock);
	for (uint32_t i = ev->head; i != NIL && n < max; i = ev->slots[i].next) {
		const struct evidence_rec *r = &ev->slots[i].r;

		if (match(r, key))
			out[n++] = *r;
	}
	pthread_mutex_unlock(&ev->lock);
	return n;
}

size_t
evidence_find_ip(struct evidence *ev, const struct addr *a, struct evidence_rec *out, size_t max)
{
	return ev ? find(ev, match_ip, a, out, max) : 0;
}

size_t
evidence_find_user(struct evidence *ev, const char *user, struct evidence_rec *out, size_t max)
{
	return ev ? find(ev, match_user, user, out, max) : 0;
}

unsigned
evidence_count(struct evidence *ev)
{
	unsigned n;

	if (!ev)
		return 0;
	pthread_mutex_lock(&ev->lock);
	n = ev->used;
	pthread_mutex_unlock(&ev->lock);
	return n;
}
