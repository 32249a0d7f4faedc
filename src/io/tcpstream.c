/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstream - what happens inside one connection: sequence numbers, RFC
 * 5961 RST/SYN rules, framing into messages, the history retransmissions
 * are compared with. The table the connections live in is tcpconn.c's.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tcpconn.h"
#include "tcpframe.h"
#include "tcpstream.h"

/* TCP header flag bits (packet_info.tcp_flags is byte 13 of the header). */
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

#define BUF_MIN 2048u

/* One segment's new bytes, its judge, and what framing them produced
 * (applied by commit() on accept). */
struct seg_work {
	const uint8_t *p;
	uint32_t n;
	bool observe;       /* tcptab_observe(): delivered already, keep no history */
	tcp_msg_cb cb;
	void *arg;
	struct tcp_result *res;
	bool buf_partial;   /* the buffered message is still incomplete */
	bool flaw_dropped;  /* a framing flaw was judged drop */
	uint32_t tail_off;  /* start of a trailing partial in p (n: none) */
	struct fstate tail_fs;
};

#define is_crlf(ch) ((ch) == '\r' || (ch) == '\n')

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

		if (!tcpframe_hdr_end(p, avail, &fs->scanned, &hend)) {
			if (avail < t->max_msg)
				return false;
			hend = t->max_msg + 1; /* no end within the bound */
		}
		*len = hend <= t->max_msg ? hend : t->max_msg;
		*flaw = hend > t->max_msg ? TCPSTREAM_HDR_TOO_BIG : tcpframe_clen(p, hend, &clen);
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
	uint32_t k = tcpframe_find_start(w->p, w->n, c->st.flags & CF_BOL), i;

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

/* Keep the bytes just accepted (p[0..n), ending at the new st.nxt) for
 * comparing retransmissions, at most max_msg of them. Without memory the
 * history is emptied: what it cannot vouch for, a retransmission cannot
 * bring (dropped until acknowledged), so failure errs on the safe side. */
static void
hist_append(struct tcptab *t, struct tcp_conn *c, const uint8_t *p, uint32_t n)
{
	uint32_t max = t->max_msg, len = c->hist_len, cap;

	if (n >= max) {
		p += n - max;
		n = max;
		len = 0;
	} else if (len > max - n) {
		uint32_t cut = len - (max - n);

		memmove(c->hist, c->hist + cut, len - cut);
		len -= cut;
	}
	c->hist_len = len;
	if (len + n > c->hist_cap) {
		uint8_t *nh;

		for (cap = c->hist_cap ? c->hist_cap : BUF_MIN; cap < len + n; cap *= 2)
			;
		if (cap > max)
			cap = max;
		nh = realloc(c->hist, cap);
		if (!nh) {
			t->s.alloc_failures++;
			tcpconn_hist_release(t, c);
			return;
		}
		t->s.bytes_history += cap - c->hist_cap;
		c->hist = nh;
		c->hist_cap = cap;
	}
	memcpy(c->hist + len, p, n);
	c->hist_len = len + n;
}

/* The receiver acknowledged everything before c->acked: forget it. */
static void
hist_trim(struct tcptab *t, struct tcp_conn *c)
{
	uint32_t keep = c->st.nxt - c->acked;

	if (keep >= c->hist_len)
		return;
	if (!keep) {
		tcpconn_hist_release(t, c);
		return;
	}
	memmove(c->hist, c->hist + c->hist_len - keep, keep);
	c->hist_len = keep;
}

/*
 * Old bytes p[0..k) at sequence number seq (all before st.nxt) in a
 * segment: do they repeat what was accepted? Bytes the receiver has
 * acknowledged are in its stream whatever a copy says (it discards them);
 * the rest must match the history. A mismatch, or bytes the history no
 * longer holds, means the receiver may not have what was judged: sipwarden
 * accepted a segment the kernel discarded (bad checksum, invalid ACK,
 * PAWS, out of window...), and these bytes would take its place unjudged.
 */
static bool
old_bytes_match(const struct tcp_conn *c, uint32_t seq, const uint8_t *p, uint32_t k)
{
	uint32_t hstart = c->st.nxt - c->hist_len;

	if (c->xflags & CX_ACK_KNOWN) {
		int32_t a = (int32_t)(c->acked - seq);

		if (a > 0) {
			if ((uint32_t)a >= k)
				return true;
			seq += (uint32_t)a;
			p += a;
			k -= (uint32_t)a;
		}
	}
	if ((int32_t)(seq - hstart) < 0)
		return false;
	return memcmp(c->hist + (seq - hstart), p, k) == 0;
}

/* Apply an accepted segment: advance, keep only a trailing partial. */
static int
commit(struct tcptab *t, struct tcp_conn *c, const struct seg_work *w, uint32_t pend0)
{
	uint32_t tail = w->n - w->tail_off;

	c->st.nxt += w->n;
	c->st.flags &= (uint8_t)~CF_EMBRYO;
	if ((c->st.flags & CF_POISONED) || (!w->buf_partial && !tail)) {
		tcpconn_buf_release(t, c); /* nothing pending: no buffer */
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
	tcpconn_remove(t, c);
	t->s.closed++;
	res->closed = true;
}

/* A connection starts (again) with its next byte at nxt. */
static void
restart(struct tcptab *t, struct tcp_conn *c, uint32_t nxt)
{
	tcpconn_buf_release(t, c);
	tcpconn_hist_release(t, c);
	memset(&c->st, 0, sizeof(c->st));
	c->st.nxt = nxt;
	c->st.flags = CF_SYNCED | CF_EMBRYO;
	c->acked = nxt;
	c->xflags = CX_ACK_KNOWN;
}

/*
 * An observed segment of the receiver (the server) acknowledges the other
 * direction (key rk) up to pi->tcp_ack. Its SYN-ACK is the word on which
 * connection the receiver's stack accepted: it restarts that direction at
 * the acknowledged ISN + 1 when it was waiting for one (a SYN seen on the
 * live connection, or one that carried no payload yet).
 */
static void
peer_ack(struct tcptab *t, const struct tcp_key *rk, const struct packet_info *pi)
{
	struct tcp_conn *rc = tcpconn_find(t, rk);
	uint32_t a = pi->tcp_ack;

	if (!rc)
		return;
	if (pi->tcp_flags & TCP_SYN) {
		if (((rc->xflags & CX_SYN_PENDING) && a == rc->syn_nxt) ||
		    ((rc->st.flags & CF_EMBRYO) && a != rc->st.nxt)) {
			restart(t, rc, a);
			t->s.syn_restarts++;
		}
		return;
	}
	if ((int32_t)(a - rc->st.nxt) > 0)
		return; /* acknowledges bytes never accepted: not for us to trust */
	if (!(rc->xflags & CX_ACK_KNOWN) || (int32_t)(a - rc->acked) > 0) {
		rc->acked = a;
		rc->xflags |= CX_ACK_KNOWN;
		hist_trim(t, rc);
	}
}

/* The connection of a segment after RST and SYN (NULL: keep no state);
 * *seq becomes the sequence number of the first payload byte. */
static struct tcp_conn *
conn_of(struct tcptab *t, const struct packet_info *pi, uint32_t now, uint32_t *seq,
	bool observe, struct tcp_result *res)
{
	struct tcp_key k = { pi->src, pi->dst, pi->sport, pi->dport };
	struct tcp_key rk = { pi->dst, pi->src, pi->dport, pi->sport };
	struct tcp_conn *c = tcpconn_find(t, &k), *r;

	if (pi->tcp_flags & TCP_RST) {
		/* RFC 5961 3.2: only an RST at exactly the next expected byte
		 * resets; the receiver answers any other with a challenge ACK
		 * at most, so forgetting the stream for it would let the bytes
		 * after it be framed afresh. The server's own (observed) RST is
		 * its stack's word. Receivers ignore data in an RST. */
		r = tcpconn_find(t, &rk);
		if (!observe && (!c || *seq != c->st.nxt)) {
			res->ignored = c || r;
			t->s.rst_ignored += c || r;
			return NULL;
		}
		if (c)
			close_conn(t, c, res);
		if (r && r != c)
			close_conn(t, r, res);
		return NULL;
	}
	if (observe && (pi->tcp_flags & TCP_ACK))
		peer_ack(t, &rk, pi);
	if (pi->tcp_flags & TCP_SYN) {
		if (c && !observe && !(c->st.flags & CF_EMBRYO)) {
			/* RFC 5961 4.2: a SYN on a live connection is answered
			 * with a challenge ACK, not obeyed. Noted; only the
			 * server's SYN-ACK for it restarts the stream (a reused
			 * port after a close sipwarden did not see). */
			c->syn_nxt = *seq + 1;
			c->xflags |= CX_SYN_PENDING;
			res->ignored = true;
			t->s.syn_ignored++;
			return NULL;
		}
		/* A new connection (or one that carried nothing yet). The SYN
		 * takes one sequence number; data (TFO) follows it. */
		if (!c)
			c = tcpconn_create(t, &k, now);
		restart(t, c, ++*seq);
	} else if (!c) {
		if (pi->payload_len == 0) {
			res->untracked = true; /* an ACK creates no state */
			return NULL;
		}
		/* Predates the daemon, expired or evicted: pick it up here.
		 * What came before is unknown: no ACK known yet. */
		c = tcpconn_create(t, &k, now);
		c->st.nxt = *seq;
		c->st.flags = CF_BOL;
		t->s.resyncs++;
	}
	tcpconn_touch(t, c, now);
	return c;
}

/* A message judged drop: TCP cannot deliver anything behind it, and the
 * peer sent it, so nothing more of its payload is taken (doc/tcp.md). */
static void
make_hostile(struct tcptab *t, struct tcp_conn *c, struct tcp_result *res)
{
	if (!(c->st.flags & CF_HOSTILE)) {
		c->st.flags |= CF_HOSTILE;
		t->s.hostile++;
	}
	tcpconn_buf_release(t, c);
	tcpconn_hist_release(t, c);
	res->hostile = true;
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
	/* One dropped unit drops the segment: the server would read every
	 * message in it, the dropped one too. */
	if (w->flaw_dropped || res->n_dropped)
		res->accept = false;
	if (res->accept && (ret = commit(t, c, w, saved.pend)) == 0) {
		if (!w->observe)
			hist_append(t, c, w->p, n);
		res->partial = c->st.pend;
		return 0;
	}
	/* Leave the stream where it was; poisoning stays. */
	res->accept = false;
	c->st = saved;
	c->st.flags |= poisoned;
	if (poisoned)
		tcpconn_buf_release(t, c);
	if (ret == 0)
		make_hostile(t, c, res);
	return ret;
}

static int
segment(struct tcptab *t, const struct packet_info *pi, uint64_t now_ms, tcp_msg_cb cb,
	void *arg, struct tcp_result *res, bool observe)
{
	struct seg_work w = { .cb = cb, .arg = arg, .res = res, .observe = observe };
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
	c = conn_of(t, pi, (uint32_t)now_ms, &seq, observe, res);
	if (!c)
		return 0;

	if (c->st.flags & CF_HOSTILE) {
		if (n) {
			res->hostile = true;
			res->accept = false;
			t->s.hostile_drops++;
		} else if (pi->tcp_flags & TCP_FIN) {
			close_conn(t, c, res);
		}
		return 0;
	}
	if (n && !(pi->tcp_flags & (TCP_ACK | TCP_SYN)) && !observe) {
		/* Payload without ACK: an established receiver discards it
		 * (RFC 9293 3.10.7.4), so it must not be taken as delivered. */
		res->accept = false;
		res->no_ack = true;
		t->s.no_ack++;
		return 0;
	}
	if (c->st.flags & CF_POISONED) {
		/* Framing is lost: every payload is one opaque unit. */
		res->poisoned = true;
		if (n)
			res->accept = !judge(t, c, &w, p, n, TCPSTREAM_POISONED);
		t->s.messages += res->n_complete;
		if (!res->accept)
			make_hostile(t, c, res);
		else if (pi->tcp_flags & TCP_FIN)
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
	if (skip && n && !observe && !old_bytes_match(c, seq, p, skip < n ? skip : n)) {
		/* Other bytes than the ones judged, where the receiver may not
		 * have the judged ones: they would reach it unjudged. */
		res->rtx_mismatch = true;
		res->accept = false;
		t->s.rtx_mismatches++;
		make_hostile(t, c, res);
		return 0;
	}
	if (skip >= n) {
		/* Nothing new: a retransmission of the bytes accepted before
		 * (checked above), a pure ACK or a FIN. */
		if (n) {
			res->retransmission = true;
			t->s.retransmissions++;
		}
		if ((pi->tcp_flags & TCP_FIN) && d <= 0)
			close_conn(t, c, res);
		return 0;
	}
	w.p = p + skip;
	w.n = w.tail_off = n - skip;
	ret = frame_segment(t, c, &w);
	if (ret == 0 && res->accept && (pi->tcp_flags & TCP_FIN))
		close_conn(t, c, res);
	return ret;
}

int
tcptab_segment(struct tcptab *t, const struct packet_info *pi, uint64_t now_ms,
	       tcp_msg_cb cb, void *arg, struct tcp_result *res)
{
	return segment(t, pi, now_ms, cb, arg, res, false);
}

int
tcptab_observe(struct tcptab *t, const struct packet_info *pi, uint64_t now_ms,
	       tcp_msg_cb cb, void *arg, struct tcp_result *res)
{
	return segment(t, pi, now_ms, cb, arg, res, true);
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
