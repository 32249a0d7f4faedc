/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tcpstream.h"

/* TCP header flag bits (packet_info.tcp_flags is byte 13 of the header). */
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04

/* Eviction looks this far past the LRU tail to spare partial messages: a
 * clean connection resynchronises at its next message for free, a partial
 * one leaves the rest of that message unjudgeable. */
#define EVICT_SCAN 16

#define MSG_MIN 256u
#define MSG_MAX (16u << 20)
#define BUF_MIN 2048u

enum {
	CF_SYNCED = 1,   /* we know where messages start */
	CF_BOL = 2,      /* unsynced: the next stream byte starts a line */
	CF_POISONED = 4, /* framing lost for good */
};

/* Framing progress of one message: the header-end search resumes at
 * scanned; msg_len is its total length once the header block is parsed. */
struct fstate {
	uint32_t scanned, msg_len;
};

/* The part of a connection a dropped segment must leave untouched: it is
 * copied before framing and copied back on drop. */
struct conn_state {
	uint32_t nxt;      /* next expected sequence number */
	uint32_t pend;     /* bytes of the partial message in buf */
	struct fstate fs;  /* of the partial message in buf */
	uint32_t unsynced; /* bytes seen while looking for a start line */
	uint8_t flags;
};

struct tcp_key {
	struct addr src, dst;
	uint16_t sport, dport;
};

struct tcp_conn {
	struct tcp_key key;
	uint32_t hnext;    /* hash chain (index + 1; 0 ends) */
	uint32_t lru_prev, lru_next; /* index + 1; 0 = none */
	uint32_t last_ms;  /* truncated monotonic ms of the last segment */
	struct conn_state st;
	uint32_t cap;      /* size of buf */
	uint8_t *buf;      /* only while a partial message is pending */
	uint32_t drop_len; /* new bytes of the segment last dropped at nxt (0: none) */
	uint64_t drop_hash; /* and their hash */
};

struct tcptab {
	uint32_t max_msg, idle_ms, seed;
	uint32_t nbuckets; /* power of two */
	uint32_t next_unused, free_head, lru_head, lru_tail;
	uint32_t *buckets;
	struct tcp_conn *slab;
	struct tcptab_stats s;
};

/* One segment's new bytes, its judge, and what framing them produced
 * (applied by commit() on accept). */
struct seg_work {
	const uint8_t *p;
	uint32_t n;
	tcp_msg_cb cb;
	void *arg;
	struct tcp_result *res;
	bool buf_partial;   /* the buffered message is still incomplete */
	bool flaw_dropped;  /* a framing flaw was judged drop */
	uint32_t tail_off;  /* start of a trailing partial in p (n: none) */
	struct fstate tail_fs;
};

/* Indices are stored + 1 so that 0 means none and zeroed memory is empty. */
#define C(t, idx1) (&(t)->slab[(idx1) - 1])
#define IDX(t, c) ((uint32_t)((c) - (t)->slab) + 1)

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
	t->seed = (uint32_t)random() | 1u;
	t->buckets = calloc(nb, sizeof(uint32_t));
	/* Large callocs are fresh anonymous mappings: untouched entries cost
	 * no resident memory, so a generous max_conns is cheap when quiet. */
	t->slab = calloc(max_conns, sizeof(struct tcp_conn));
	if (!t->buckets || !t->slab) {
		tcptab_free(t);
		return NULL;
	}
	return t;
}

static void
buf_release(struct tcptab *t, struct tcp_conn *c)
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
tcptab_free(struct tcptab *t)
{
	if (!t)
		return;
	for (uint32_t i = t->lru_head; i; i = C(t, i)->lru_next)
		free(C(t, i)->buf);
	free(t->buckets);
	free(t->slab);
	free(t);
}

static uint32_t *
bucket_of(const struct tcptab *t, const struct tcp_key *k)
{
	uint32_t h = addr_hash(&k->src, t->seed ^ ((uint32_t)k->sport << 16 | k->dport));

	return &t->buckets[addr_hash(&k->dst, h) & (t->nbuckets - 1)];
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

static void
remove_conn(struct tcptab *t, struct tcp_conn *c)
{
	uint32_t idx = IDX(t, c), *pp = bucket_of(t, &c->key);

	while (*pp && *pp != idx)
		pp = &C(t, *pp)->hnext;
	if (*pp)
		*pp = c->hnext;
	lru_unlink(t, c);
	buf_release(t, c);
	c->hnext = t->free_head;
	t->free_head = idx;
	t->s.conns--;
}

static struct tcp_conn *
find_conn(const struct tcptab *t, const struct tcp_key *k)
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
		remove_conn(t, victim);
		t->s.expired++;
		return;
	}
	while (k++ < EVICT_SCAN && c && c->st.pend)
		c = c->lru_prev ? C(t, c->lru_prev) : NULL;
	if (c && !c->st.pend)
		victim = c;
	t->s.evicted_pending += victim->st.pend != 0;
	t->s.evicted++;
	remove_conn(t, victim);
}

static struct tcp_conn *
create_conn(struct tcptab *t, const struct tcp_key *k, uint32_t now)
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

/* FNV-1a: only compares a retransmission with the dropped original. A
 * forged collision merely gets the forgery dropped unjudged. */
static uint64_t
hash_bytes(const uint8_t *p, uint32_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (uint32_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

#define is_wsp(ch) ((ch) == ' ' || (ch) == '\t')
#define is_dig(ch) ((ch) >= '0' && (ch) <= '9')
#define is_crlf(ch) ((ch) == '\r' || (ch) == '\n')

/* The header block ends at the first empty line, LF LF or LF CR LF, as in
 * sip_scan() and Kamailio's reader. Resumes at *scanned (updated when the
 * end is not there yet); *hend is the offset just past the empty line. */
static bool
find_hdr_end(const uint8_t *p, uint32_t n, uint32_t *scanned, uint32_t *hend)
{
	for (uint32_t i = *scanned; i < n; i++) {
		const uint8_t *lf = memchr(p + i, '\n', n - i);

		if (!lf)
			break;
		i = (uint32_t)(lf - p);
		if (i + 1 >= n || (p[i + 1] == '\r' && i + 2 >= n)) {
			*scanned = i; /* the next bytes decide: resume at this LF */
			return false;
		}
		if (p[i + 1] == '\n' || (p[i + 1] == '\r' && p[i + 2] == '\n')) {
			*hend = i + (p[i + 1] == '\n' ? 2 : 3);
			return true;
		}
	}
	*scanned = n;
	return false;
}

/* Content-Length or "l" in the header lines of [0, hend): LWS 1*DIGIT LWS,
 * folds allowed; repeats must agree. Read wide and saturating, so that
 * "4294967328" stays 2^32+32 and leading zeros are harmless. */
static enum tcpstream_flaw
parse_clen(const uint8_t *p, uint32_t hend, uint64_t *out)
{
	const uint8_t *lf = memchr(p, '\n', hend);
	uint32_t ls = (uint32_t)(lf - p) + 1; /* the start line has a LF */
	bool found = false;

	while (ls < hend) {
		uint32_t le, ne, q, v;
		uint64_t val = 0;
		bool digits = false;

		lf = memchr(p + ls, '\n', hend - ls);
		le = (uint32_t)(lf - p);
		if (le == ls || (le == ls + 1 && p[ls] == '\r'))
			break; /* the empty line */
		/* The logical header runs on over folded lines. */
		ne = le + 1;
		while (ne < hend && is_wsp(p[ne])) {
			lf = memchr(p + ne, '\n', hend - ne);
			le = (uint32_t)(lf - p);
			ne = le + 1;
		}
		for (q = ls; q < le && p[q] != ':' && !is_wsp(p[q]); q++)
			;
		if (!(q - ls == 14 && !strncasecmp((const char *)p + ls, "content-length", 14)) &&
		    !(q - ls == 1 && (p[ls] | 0x20) == 'l'))
			goto next;
		while (q < le && is_wsp(p[q]))
			q++;
		if (q >= le || p[q] != ':')
			goto next; /* not a header line at all: sip_scan's business */
		for (v = q + 1; v < le && (is_wsp(p[v]) || is_crlf(p[v])); v++)
			;
		for (; v < le && is_dig(p[v]); v++) {
			digits = true;
			if (val > (UINT64_MAX - 9) / 10)
				val = UINT64_MAX; /* saturate: larger than any bound */
			else
				val = val * 10 + (uint64_t)(p[v] - '0');
		}
		while (v < le && (is_wsp(p[v]) || is_crlf(p[v])))
			v++;
		if (!digits || v != le || (found && val != *out))
			return TCPSTREAM_BAD_CLEN;
		*out = val;
		found = true;
next:
		ls = ne;
	}
	return found ? TCPSTREAM_OK : TCPSTREAM_NO_CLEN;
}

/* Frame the message at p[0] (not CR/LF) with avail bytes present. False:
 * wait for more (fs keeps the progress). True: a unit of *len bytes to
 * judge, a message when *flaw is TCPSTREAM_OK. */
static bool
frame_one(const struct tcptab *t, const uint8_t *p, uint32_t avail, struct fstate *fs,
	  uint32_t *len, enum tcpstream_flaw *flaw)
{
	if (fs->msg_len == 0) {
		uint32_t hend;
		uint64_t clen = 0;

		if (!find_hdr_end(p, avail, &fs->scanned, &hend)) {
			if (avail < t->max_msg)
				return false;
			hend = t->max_msg + 1; /* no end within the bound */
		}
		*len = hend <= t->max_msg ? hend : t->max_msg;
		*flaw = hend > t->max_msg ? TCPSTREAM_HDR_TOO_BIG : parse_clen(p, hend, &clen);
		/* Compare without adding: clen may be near 2^64. */
		if (*flaw == TCPSTREAM_OK && clen > t->max_msg - hend)
			*flaw = TCPSTREAM_CLEN_TOO_BIG;
		if (*flaw != TCPSTREAM_OK)
			return true;
		fs->msg_len = hend + (uint32_t)clen;
	}
	*len = fs->msg_len;
	return avail >= fs->msg_len;
}

/* A complete Request-Line or Status-Line at p[0..n)? SIP/2.0 only: sanity
 * refuses other versions anyway. Used only to resynchronise. */
static bool
start_line_at(const uint8_t *p, uint32_t n)
{
	const uint8_t *lf = memchr(p, '\n', n);
	uint32_t e, i, u;

	if (!lf)
		return false;
	e = (uint32_t)(lf - p);
	if (e && p[e - 1] == '\r')
		e--;
	if (e >= 11 && !strncasecmp((const char *)p, "SIP/2.0 ", 8))
		return is_dig(p[8]) && is_dig(p[9]) && is_dig(p[10]) && (e == 11 || p[11] == ' ');
	if (e < 12 || strncasecmp((const char *)p + e - 8, " SIP/2.0", 8))
		return false;
	/* method SP Request-URI: a token, then no space and no control. */
	for (i = 0; i < e - 8 && (isalnum(p[i]) || (p[i] && strchr("-.!%*_+`'~", p[i]))); i++)
		;
	if (i == 0 || p[i] != ' ')
		return false;
	for (u = ++i; i < e - 8 && p[i] > ' ' && p[i] != 0x7f; i++)
		;
	return i > u && i == e - 8;
}

/* Offset of the first start line in p[0..n), n if none. Offset 0 only
 * counts when it begins a line of the stream. */
static uint32_t
find_start(const uint8_t *p, uint32_t n, bool bol)
{
	const uint8_t *lf;
	uint32_t i = 0;

	if (bol && start_line_at(p, n))
		return 0;
	while ((lf = memchr(p + i, '\n', n - i)) && (i = (uint32_t)(lf - p) + 1) < n)
		if (start_line_at(p + i, n - i))
			return i;
	return n;
}

/* Framing of the connection is lost for good (only ever called once). */
#define POISON(t, c) ((c)->st.flags |= CF_POISONED, (t)->s.poisoned++)

/* Hand one unit to the callback; true when it is to be dropped. A framing
 * flaw loses the framing for good, and the bytes after it cannot be
 * judged: its verdict decides the segment. */
static bool
judge(struct tcptab *t, struct tcp_conn *c, struct seg_work *w, const uint8_t *m,
      uint32_t len, enum tcpstream_flaw flaw)
{
	bool drop = !w->cb(w->arg, m, len, flaw);

	w->res->n_complete++;
	w->res->n_dropped += drop;
	if (flaw != TCPSTREAM_OK && flaw < TCPSTREAM_RESYNC) {
		w->flaw_dropped = drop;
		POISON(t, c);
	}
	return drop;
}

/* Grow c->buf to hold need bytes (need <= max_msg). */
static int
buf_reserve(struct tcptab *t, struct tcp_conn *c, uint32_t need)
{
	uint32_t cap = c->cap ? c->cap : BUF_MIN;
	uint8_t *nb;

	if (need <= c->cap)
		return 0;
	while (cap < need)
		cap *= 2; /* max_msg <= 16 MiB: no overflow */
	if (cap > t->max_msg)
		cap = t->max_msg;
	nb = realloc(c->buf, cap);
	if (!nb) {
		t->s.alloc_failures++;
		return -ENOMEM;
	}
	t->s.bytes_allocated += cap - c->cap;
	c->buf = nb;
	c->cap = cap;
	return 0;
}

/* Frame messages in w->p[off..n) in place. A trailing partial message is
 * only noted (w->tail_off); commit() copies it on accept. */
static void
frame_inplace(struct tcptab *t, struct tcp_conn *c, struct seg_work *w, uint32_t off)
{
	while (off < w->n) {
		struct fstate fs = { 0, 0 };
		enum tcpstream_flaw flaw = TCPSTREAM_OK;
		uint32_t len = 0, k = off;

		/* RFC 5626 keep-alives: CRLF runs between messages. */
		while (k < w->n && is_crlf(w->p[k]))
			k++;
		w->res->keepalives += k != off;
		if ((off = k) == w->n)
			break;
		if (!frame_one(t, w->p + off, w->n - off, &fs, &len, &flaw)) {
			w->tail_off = off;
			w->tail_fs = fs;
			return;
		}
		judge(t, c, w, w->p + off, len, flaw);
		if (flaw != TCPSTREAM_OK)
			return;
		off += len;
	}
}

/* Complete the buffered partial message with the segment's first bytes;
 * returns how many segment bytes it took, or -ENOMEM. */
static int
frame_buffered(struct tcptab *t, struct tcp_conn *c, struct seg_work *w)
{
	uint32_t pend = c->st.pend, room = t->max_msg - pend;
	uint32_t take = w->n < room ? w->n : room, len = 0;
	struct fstate *fs = &c->st.fs; /* restored by the caller on drop */
	enum tcpstream_flaw flaw = TCPSTREAM_OK;

	/* Once the length is known, copy only what completes the message. */
	if (fs->msg_len && take > fs->msg_len - pend)
		take = fs->msg_len - pend;
	if (buf_reserve(t, c, pend + take) < 0)
		return -ENOMEM;
	memcpy(c->buf + pend, w->p, take);
	if (!frame_one(t, c->buf, pend + take, fs, &len, &flaw)) {
		w->buf_partial = true; /* only when every byte was taken */
		return (int)take;
	}
	judge(t, c, w, c->buf, len, flaw);
	return flaw != TCPSTREAM_OK ? (int)take : (int)(len - pend);
}

/* Looking for the first message start of a connection picked up without
 * its SYN; returns the offset framing continues at (n: none). */
static uint32_t
resync(struct tcptab *t, struct tcp_conn *c, struct seg_work *w)
{
	uint32_t k = find_start(w->p, w->n, c->st.flags & CF_BOL), i;

	w->res->resync = true;
	for (i = 0; i < k && is_crlf(w->p[i]); i++)
		;
	if (i == k && k)
		w->res->keepalives++;
	else if (k)
		judge(t, c, w, w->p, k, TCPSTREAM_RESYNC);
	if (k < w->n) {
		c->st.flags |= CF_SYNCED;
		c->st.unsynced = 0;
		return k;
	}
	if (w->n > t->max_msg - c->st.unsynced)
		POISON(t, c); /* no message start within a message's size */
	else
		c->st.unsynced += w->n;
	c->st.flags = (uint8_t)((c->st.flags & ~CF_BOL) | (w->p[w->n - 1] == '\n' ? CF_BOL : 0));
	return w->n;
}

/* Apply an accepted segment: advance, keep only a trailing partial. */
static int
commit(struct tcptab *t, struct tcp_conn *c, const struct seg_work *w, uint32_t pend0)
{
	uint32_t tail = w->n - w->tail_off;

	c->st.nxt += w->n;
	c->drop_len = 0;
	if ((c->st.flags & CF_POISONED) || (!w->buf_partial && !tail)) {
		buf_release(t, c); /* nothing pending: no buffer */
		return 0;
	}
	if (w->buf_partial) {
		c->st.pend = pend0 + w->n;
	} else {
		if (buf_reserve(t, c, tail) < 0)
			return -ENOMEM;
		memcpy(c->buf, w->p + w->tail_off, tail);
		c->st.pend = tail;
		c->st.fs = w->tail_fs;
	}
	if (!pend0)
		t->s.conns_pending++;
	t->s.bytes_buffered += (uint64_t)c->st.pend - pend0;
	return 0;
}

static void
close_conn(struct tcptab *t, struct tcp_conn *c, struct tcp_result *res)
{
	remove_conn(t, c);
	t->s.closed++;
	res->closed = true;
}

/* The connection of a segment after RST and SYN (NULL: keep no state);
 * *seq becomes the sequence number of the first payload byte. */
static struct tcp_conn *
conn_of(struct tcptab *t, const struct packet_info *pi, uint32_t now, uint32_t *seq,
	struct tcp_result *res)
{
	struct tcp_key k = { pi->src, pi->dst, pi->sport, pi->dport };
	struct tcp_key rk = { pi->dst, pi->src, pi->dport, pi->sport };
	struct tcp_conn *c = find_conn(t, &k), *r;

	if (pi->tcp_flags & TCP_RST) {
		/* An RST ends both directions; receivers ignore its data. */
		r = find_conn(t, &rk);
		if (c)
			close_conn(t, c, res);
		if (r && r != c)
			close_conn(t, r, res);
		return NULL;
	}
	if (pi->tcp_flags & TCP_SYN) {
		/* A new connection, or the 4-tuple reused: start afresh. The
		 * SYN takes one sequence number; data (TFO) follows it. */
		if (c)
			buf_release(t, c);
		else
			c = create_conn(t, &k, now);
		memset(&c->st, 0, sizeof(c->st));
		c->drop_len = 0;
		c->st.nxt = ++*seq;
		c->st.flags = CF_SYNCED;
	} else if (!c) {
		if (pi->payload_len == 0) {
			res->untracked = true; /* an ACK creates no state */
			return NULL;
		}
		/* Predates the daemon, expired or evicted: pick it up here. */
		c = create_conn(t, &k, now);
		c->st.nxt = *seq;
		c->st.flags = CF_BOL;
		t->s.resyncs++;
	}
	c->last_ms = now;
	if (t->lru_head != IDX(t, c)) {
		lru_unlink(t, c);
		lru_push_front(t, c);
	}
	return c;
}

/* Frame and judge the new bytes, then commit on accept or go back to the
 * state before on drop. */
static int
frame_segment(struct tcptab *t, struct tcp_conn *c, struct seg_work *w)
{
	struct conn_state saved = c->st;
	struct tcp_result *res = w->res;
	uint32_t k = 0, n = w->n;
	uint8_t poisoned;
	int ret = 0;

	if (saved.pend) {
		int used = frame_buffered(t, c, w);

		if (used < 0) {
			res->accept = false;
			return used;
		}
		k = w->buf_partial ? n : (uint32_t)used;
	} else if (!(c->st.flags & CF_SYNCED)) {
		k = resync(t, c, w);
	}
	if (k < n && !(c->st.flags & CF_POISONED))
		frame_inplace(t, c, w, k);
	t->s.messages += res->n_complete;
	t->s.keepalives += res->keepalives;
	poisoned = c->st.flags & CF_POISONED;
	res->poisoned = poisoned;
	if (w->flaw_dropped || (res->n_complete && res->n_dropped == res->n_complete))
		res->accept = false;
	if (res->accept && (ret = commit(t, c, w, saved.pend)) == 0) {
		res->partial = c->st.pend;
		return 0;
	}
	/* Leave the stream where it was, so that the retransmission is
	 * framed from the same point; poisoning stays. */
	res->accept = false;
	c->st = saved;
	c->st.flags |= poisoned;
	if (poisoned) {
		buf_release(t, c);
	} else if (ret == 0) {
		c->drop_len = n; /* nxt stays: that is where it was dropped */
		c->drop_hash = hash_bytes(w->p, n);
	}
	return ret;
}

int
tcptab_segment(struct tcptab *t, const struct packet_info *pi, uint64_t now_ms,
	       tcp_msg_cb cb, void *arg, struct tcp_result *res)
{
	struct seg_work w = { .cb = cb, .arg = arg, .res = res };
	uint32_t seq, n, skip;
	const uint8_t *p;
	struct tcp_conn *c;
	int32_t d;
	int ret;

	if (!res)
		return -EINVAL;
	memset(res, 0, sizeof(*res));
	res->accept = true; /* nothing judged yet */
	if (!t || !pi || !cb || pi->proto != IPPROTO_TCP || (pi->payload_len && !pi->payload) ||
	    pi->payload_len > UINT32_MAX / 2)
		return -EINVAL;
	seq = pi->tcp_seq;
	p = pi->payload;
	n = (uint32_t)pi->payload_len;
	c = conn_of(t, pi, (uint32_t)now_ms, &seq, res);
	if (!c)
		return 0;

	if (c->st.flags & CF_POISONED) {
		/* Framing is lost: every payload is one opaque unit. */
		res->poisoned = true;
		if (n)
			res->accept = !judge(t, c, &w, p, n, TCPSTREAM_POISONED);
		t->s.messages += res->n_complete;
		if (res->accept && (pi->tcp_flags & TCP_FIN))
			close_conn(t, c, res);
		return 0;
	}
	d = (int32_t)(seq - c->st.nxt);
	if (d > 0 && n) {
		/* A gap before it: judging it now would need reassembly, and
		 * accepting it unjudged would let the kernel assemble a
		 * message we never saw. Reported; the caller drops it. */
		res->out_of_order = true;
		res->accept = false;
		t->s.out_of_order++;
		return 0;
	}
	skip = d < 0 ? (uint32_t)-(int64_t)d : 0;
	if (skip >= n) {
		/* Nothing new: a retransmission of bytes accepted before (a
		 * dropped segment never advances nxt), a pure ACK or a FIN. */
		if (n) {
			res->retransmission = true;
			t->s.retransmissions++;
		}
		if ((pi->tcp_flags & TCP_FIN) && d <= 0)
			close_conn(t, c, res);
		return 0;
	}
	p += skip;
	n -= skip;
	if (c->drop_len && n >= c->drop_len && hash_bytes(p, c->drop_len) == c->drop_hash) {
		/* The sender repeats what we dropped: same bytes, same verdict,
		 * not judged again, so no message is counted twice. */
		res->redropped = true;
		res->accept = false;
		t->s.redropped++;
		return 0;
	}
	w.p = p;
	w.n = w.tail_off = n;
	ret = frame_segment(t, c, &w);
	if (ret == 0 && res->accept && (pi->tcp_flags & TCP_FIN))
		close_conn(t, c, res);
	return ret;
}

void
tcptab_forget(struct tcptab *t, const struct packet_info *pi)
{
	struct tcp_key k = { pi->src, pi->dst, pi->sport, pi->dport };
	struct tcp_conn *c = find_conn(t, &k);

	if (c)
		remove_conn(t, c);
}

uint32_t
tcptab_expire(struct tcptab *t, uint64_t now_ms, uint32_t max)
{
	uint32_t now = (uint32_t)now_ms, n = 0;

	while (n < max && t->lru_tail) {
		struct tcp_conn *c = C(t, t->lru_tail);

		if ((uint32_t)(now - c->last_ms) < t->idle_ms)
			break;
		remove_conn(t, c);
		t->s.expired++;
		n++;
	}
	return n;
}

void
tcptab_get_stats(const struct tcptab *t, struct tcptab_stats *st)
{
	*st = t->s;
}

const char *
tcpstream_flaw_name(enum tcpstream_flaw f)
{
	static const char *const names[TCPSTREAM_FLAW__MAX] = {
		[TCPSTREAM_OK] = "ok",
		[TCPSTREAM_NO_CLEN] = "no-content-length",
		[TCPSTREAM_BAD_CLEN] = "bad-content-length",
		[TCPSTREAM_CLEN_TOO_BIG] = "content-length-too-big",
		[TCPSTREAM_HDR_TOO_BIG] = "header-too-big",
		[TCPSTREAM_RESYNC] = "resync",
		[TCPSTREAM_POISONED] = "poisoned",
	};

	return (unsigned)f < TCPSTREAM_FLAW__MAX ? names[f] : "?";
}
