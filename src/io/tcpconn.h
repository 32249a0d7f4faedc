/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_TCPCONN_H
#define SIPWARDEN_TCPCONN_H

/*
 * tcpconn - the connection table of tcpstream (internal to io: only
 * tcpstream.c and tcpconn.c include it). It owns where connections live
 * (slab, keyed hash chains, LRU, eviction, expiry); tcpstream.c owns what
 * they hold. struct tcptab and struct tcp_conn are shared by both.
 */

#include <stdbool.h>
#include <stdint.h>

#include "hash.h"
#include "packet.h"
#include "tcpstream.h"

enum {
	CF_SYNCED = 1,   /* we know where messages start */
	CF_BOL = 2,      /* unsynced: the next stream byte starts a line */
	CF_POISONED = 4, /* framing lost for good */
	CF_HOSTILE = 8,  /* carried a message judged drop: no more payload */
	CF_EMBRYO = 16,  /* opened by a SYN, no payload accepted since */
};

/* tcp_conn.xflags: what the peer's segments told us. */
enum {
	CX_ACK_KNOWN = 1,  /* acked is what the receiver acknowledged */
	CX_SYN_PENDING = 2,/* a SYN arrived on the live connection (syn_nxt) */
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
	/* The accepted bytes the receiver has not acknowledged yet (at most
	 * max_msg of them): [st.nxt - hist_len, st.nxt). A retransmission of
	 * these must repeat them byte for byte. */
	uint8_t *hist;
	uint32_t hist_len, hist_cap;
	uint32_t acked;    /* receiver's ACK: it holds every byte before */
	uint32_t syn_nxt;  /* ISN + 1 of a SYN seen on the live connection */
	uint8_t xflags;
};

struct tcptab {
	uint32_t max_msg, idle_ms;
	struct hash_key key; /* getrandom(): 4-tuples are the peer's choice */
	uint32_t nbuckets; /* power of two */
	uint32_t next_unused, free_head, lru_head, lru_tail;
	uint32_t *buckets;
	struct tcp_conn *slab;
	struct tcptab_stats s;
};

/* Indices are stored + 1 so that 0 means none and zeroed memory is empty. */
#define C(t, idx1) (&(t)->slab[(idx1) - 1])
#define IDX(t, c) ((uint32_t)((c) - (t)->slab) + 1)

/* The connection of k, or NULL. */
struct tcp_conn *tcpconn_find(const struct tcptab *t, const struct tcp_key *k);
/* A zeroed connection for k (not tracked before), making room in a full
 * table by expiry or LRU eviction; never fails. Counted as created. */
struct tcp_conn *tcpconn_create(struct tcptab *t, const struct tcp_key *k, uint32_t now);
/* Forget c and free its buffers. */
void tcpconn_remove(struct tcptab *t, struct tcp_conn *c);
/* c carried a segment at now (truncated ms): most recently seen. */
void tcpconn_touch(struct tcptab *t, struct tcp_conn *c, uint32_t now);
/* Free c's partial-message buffer / its history, keeping the counts. */
void tcpconn_buf_release(struct tcptab *t, struct tcp_conn *c);
void tcpconn_hist_release(struct tcptab *t, struct tcp_conn *c);

#endif
