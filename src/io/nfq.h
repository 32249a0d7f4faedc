/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_NFQ_H
#define SIPWARDEN_NFQ_H

/*
 * nfq - one NFQUEUE queue: receive packets, send verdicts.
 *
 * Built on libmnl and libnetfilter_queue's nlmsg helpers (the old
 * nfq_queue_open() API is deprecated). Packets are received in batches with
 * recvmmsg(); verdicts are collected and sent in one sendmsg() per batch:
 * consecutive ACCEPTs collapse into one NFQNL_MSG_VERDICT_BATCH, which is
 * flushed before any DROP so that a DROP never covers an earlier ACCEPT or
 * vice versa. Nothing is allocated per packet.
 */

#include <stdbool.h>
#include <stdint.h>

struct nfq_opts {
	uint32_t maxlen;    /* kernel queue length (packets) */
	uint32_t rcvbuf;    /* socket receive buffer (bytes) */
	bool fail_open;     /* accept instead of drop when the queue is full */
	uint32_t timeout_ms;/* nfq_recv() returns -EAGAIN after this idle time */
};

struct nfq_pkt {
	uint32_t id;
	uint16_t hw_proto;  /* ETH_P_IP / ETH_P_IPV6, host order */
	uint8_t hook;       /* NF_INET_PRE_ROUTING, NF_INET_LOCAL_OUT, ... */
	uint32_t indev;     /* input interface index, 0: none (OUTPUT) */
	uint32_t outdev;    /* output interface index, 0: not routed yet */
	bool csum_unverified;/* NFQA_SKB_CSUM_NOTVERIFIED: the receiving stack
			     * will verify the L4 checksum (not yet done by the
			     * NIC or GRO, and not CHECKSUM_PARTIAL, whose field
			     * is not filled in yet): so should we */
	uint32_t len;       /* bytes in data */
	uint32_t orig_len;  /* length on the wire (>= len when truncated) */
	const uint8_t *data;/* network-layer packet; valid until the next recv */
};

struct nfq_stats {
	uint64_t packets;
	uint64_t batches;
	uint64_t recv_errors;
	uint64_t enobufs;
	uint64_t send_errors;
	uint64_t bad_messages;
};

struct nfq_queue;

/* Bind queue qnum. Returns 0 or a negative errno (-EPERM without
 * CAP_NET_ADMIN, -EBUSY when another process holds the queue). */
int nfq_queue_open(struct nfq_queue **out, uint16_t qnum, const struct nfq_opts *o);
void nfq_queue_close(struct nfq_queue *q);

/*
 * Wait for packets; fill up to max entries of pkts. Returns the count (>0),
 * -EAGAIN on timeout or interruption, -ENOBUFS when the kernel dropped
 * packets for want of buffer space (counted; just call again), or another
 * negative errno.
 */
int nfq_recv(struct nfq_queue *q, struct nfq_pkt *pkts, unsigned max);

/* Queue a verdict; verdicts must be given in packet order within a batch. */
void nfq_accept(struct nfq_queue *q, uint32_t id);
void nfq_drop(struct nfq_queue *q, uint32_t id);
/* Send the verdicts queued so far. 0 or negative errno (counted). */
int nfq_flush(struct nfq_queue *q);

#define NFQ_BATCH_MAX 64

void nfq_get_stats(const struct nfq_queue *q, struct nfq_stats *st);

#endif
