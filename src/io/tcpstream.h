/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_TCPSTREAM_H
#define SIPWARDEN_TCPSTREAM_H

/*
 * tcpstream - SIP message framing of TCP byte streams, per connection.
 *
 * Over TCP a segment may carry several messages, part of one, or only
 * CRLF keep-alives. tcptab_segment() follows one direction of a connection
 * (key: src addr, sport, dst addr, dport) by sequence number, cuts the
 * stream into messages by header block end and Content-Length, and hands
 * each complete message to a callback that answers accept or drop. The
 * peer controls every byte, every cut and every header field, so:
 *
 *   - a segment that completes no message (a part of one, keep-alives, a
 *     retransmission of accepted bytes, a pure ACK) is accepted;
 *   - a segment in which any unit was judged drop is dropped, and its
 *     connection is hostile from then on: no more payload of it is taken
 *     (res->hostile), since TCP cannot deliver anything behind a hole;
 *   - old bytes in a segment (a retransmission) must repeat the accepted
 *     ones byte for byte unless the receiver acknowledged them, else the
 *     segment is dropped and the connection hostile (res->rtx_mismatch):
 *     a segment sipwarden accepted may have been discarded by the kernel;
 *   - RST and SYN are obeyed only as RFC 5961 receivers obey them: an RST
 *     at exactly the next expected byte, a SYN on a live connection only
 *     once the server's SYN-ACK confirms it (tcptab_observe()); others
 *     are ignored (res->ignored) and the stream is kept;
 *   - payload without ACK is dropped (receivers discard it).
 *
 * The table is owned by one worker thread and takes no locks. Connections
 * live in a slab of max_conns entries (LRU eviction, counted; idle expiry);
 * a connection holds a heap buffer only while a partial message is pending,
 * never larger than max_msg_bytes. Everything runs on an injected clock.
 * doc/tcp.md explains the behaviour and its limits.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "packet.h"

struct tcptab;

/* What the callback is handed. Anything but TCPSTREAM_OK is not a framed
 * SIP message: the caller should judge it as malformed. */
enum tcpstream_flaw {
	TCPSTREAM_OK = 0,          /* start line + headers + Content-Length bytes */
	TCPSTREAM_NO_CLEN,         /* header block without Content-Length */
	TCPSTREAM_BAD_CLEN,        /* not 1*DIGIT, or repeated with other values */
	TCPSTREAM_CLEN_TOO_BIG,    /* headers + declared body > max_msg_bytes */
	TCPSTREAM_HDR_TOO_BIG,     /* no end of header block in max_msg_bytes */
	TCPSTREAM_RESYNC,          /* bytes before the first start line seen on a
				    * connection picked up mid-stream */
	TCPSTREAM_POISONED,        /* a segment of a connection whose framing was
				    * lost earlier (the whole new payload) */
	TCPSTREAM_FLAW__MAX
};

/*
 * Judge one unit: true = accept, false = drop. msg is valid only during the
 * call (it may point into the segment or into the connection's buffer).
 * For a flawed unit, msg holds the bytes concerned (possibly only the
 * header block). Called in stream order; it must not call back into the
 * table.
 */
typedef bool (*tcp_msg_cb)(void *arg, const uint8_t *msg, size_t len, enum tcpstream_flaw flaw);

struct tcp_result {
	bool accept;          /* the segment's verdict */
	uint32_t n_complete;  /* units handed to the callback */
	uint32_t n_dropped;   /* of which the callback said drop */
	uint32_t partial;     /* bytes of an incomplete message now pending */
	uint32_t keepalives;  /* CRLF runs between messages */
	bool out_of_order;    /* starts beyond the next expected byte: not
			       * framed; accept is false and must stay so */
	bool retransmission;  /* every payload byte was accepted before */
	bool hostile;         /* dropped: the connection carried a message
			       * judged drop (now or before) */
	bool rtx_mismatch;    /* dropped: old bytes unlike the judged ones */
	bool ignored;         /* an RST or SYN outside the window: ignored */
	bool no_ack;          /* dropped: payload without the ACK flag */
	bool poisoned;        /* framing of this connection is lost */
	bool resync;          /* connection picked up without its SYN */
	bool closed;          /* FIN/RST: the connection state was freed */
	bool untracked;       /* no state kept (pure ACK of an unknown connection) */
};

struct tcptab_stats {
	uint32_t capacity;
	uint32_t conns;            /* connections tracked now */
	uint32_t conns_pending;    /* of which hold a partial message */
	uint64_t created;
	uint64_t evicted;          /* removed to make room (LRU) */
	uint64_t evicted_pending;  /* of which held a partial message */
	uint64_t expired;          /* idle for idle_ms */
	uint64_t closed;           /* FIN or RST */
	uint64_t poisoned;         /* connections whose framing was lost */
	uint64_t keepalives;
	uint64_t messages;         /* units handed to the callback */
	uint64_t out_of_order;
	uint64_t retransmissions;
	uint64_t hostile;          /* connections made hostile */
	uint64_t hostile_drops;    /* segments dropped as theirs */
	uint64_t rtx_mismatches;   /* retransmissions unlike the judged bytes */
	uint64_t rst_ignored;      /* RSTs not at the next expected byte */
	uint64_t syn_ignored;      /* SYNs on a live connection */
	uint64_t syn_restarts;     /* connections restarted by the server's SYN-ACK */
	uint64_t no_ack;           /* payload segments without ACK */
	uint64_t resyncs;          /* connections picked up mid-stream */
	uint64_t alloc_failures;
	uint64_t bytes_buffered;   /* pending bytes now, all connections */
	uint64_t bytes_allocated;  /* message buffer capacity now, all connections */
	uint64_t bytes_history;    /* capacity of the histories of accepted,
				    * unacknowledged bytes now */
};

/*
 * max_conns >= 16; max_msg_bytes in [256, 16 MiB] bounds one message and
 * therefore one connection's buffer, and its history of unacknowledged
 * bytes; idle_ms > 0. NULL on ENOMEM or a bad argument. Worst-case buffer
 * memory is 2 * max_conns * max_msg_bytes.
 */
struct tcptab *tcptab_new(uint32_t max_conns, uint32_t max_msg_bytes, uint32_t idle_ms);
void tcptab_free(struct tcptab *t);

/*
 * Feed one TCP segment (pi->proto must be IPPROTO_TCP) seen at now_ms.
 * res is fully overwritten; res->accept is the verdict to give the
 * segment. Returns 0, -EINVAL on a bad argument (res->accept true:
 * nothing judged), or -ENOMEM when a pending partial message could not be
 * buffered (res->accept false, state rolled back: the sender retransmits).
 */
int tcptab_segment(struct tcptab *t, const struct packet_info *pi, uint64_t now_ms,
		   tcp_msg_cb cb, void *arg, struct tcp_result *res);

/*
 * The same for a segment of the protected server, which is delivered
 * already (queued on its way out and accepted): it is framed so that its
 * messages reach the callback (whose answer is ignored), keeps no history,
 * and tells the table what the server's stack did with the other
 * direction: its ACKs release that direction's history, and its SYN-ACK
 * restarts a connection whose port was reused. Its RSTs are obeyed as is.
 */
int tcptab_observe(struct tcptab *t, const struct packet_info *pi, uint64_t now_ms,
		   tcp_msg_cb cb, void *arg, struct tcp_result *res);

/*
 * Forget the connection of pi's direction (if tracked). For monitor mode,
 * which accepts a segment tcptab_segment() said to drop (out of order, or
 * not buffered): the kernel delivers it, so the stream state would stay
 * out of step for good. Forgotten, the next segment is picked up as a
 * connection seen mid-stream and resynchronised on a SIP start line.
 */
void tcptab_forget(struct tcptab *t, const struct packet_info *pi);

/* Remove at most max connections idle for idle_ms or more; returns how many. */
uint32_t tcptab_expire(struct tcptab *t, uint64_t now_ms, uint32_t max);
/* Connections compared to look pi's up (its chain up to it, or all of
 * it): how tests show that chosen 4-tuples cost no more than others. */
uint32_t tcptab_probes(const struct tcptab *t, const struct packet_info *pi);
void tcptab_get_stats(const struct tcptab *t, struct tcptab_stats *st);
const char *tcpstream_flaw_name(enum tcpstream_flaw f);

#endif
