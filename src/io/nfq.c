/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "nfq.h"

/* Room for one whole 64 KiB packet plus the netlink and attribute headers. */
/* A multiple of 4 (netlink headers are aligned), and three cache lines
 * past a page multiple: slots at a page-multiple stride would put every
 * packet's first lines in the same L1 cache sets, and a batch of more
 * than eight packets would evict its own start before it is judged. */
#define RX_SLOT (0x10000 + 4096 + 192)
/* One verdict message: nlmsghdr + nfgenmsg + verdict attribute. */
#define VERDICT_MSG_MAX 64
#define TX_BUF ((NFQ_BATCH_MAX + 2) * VERDICT_MSG_MAX)

struct nfq_queue {
	struct mnl_socket *nl;
	int fd;
	uint16_t qnum;
	uint32_t portid;

	/* Receive side: one slot per packet of a batch. */
	unsigned char *rx;
	struct mmsghdr msgs[NFQ_BATCH_MAX];
	struct iovec iov[NFQ_BATCH_MAX];

	/* Transmit side: the pending ACCEPT run and the verdict buffer. */
	bool accept_pending;
	uint32_t accept_upto;
	size_t tx_len;
	unsigned char tx[TX_BUF];

	struct nfq_stats st;
};

static int
send_config(struct nfq_queue *q, struct nlmsghdr *nlh)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int ret;

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	/* The ACK (or error) is the next message on this fresh socket. */
	ret = (int)mnl_socket_recvfrom(q->nl, buf, sizeof(buf));
	if (ret < 0)
		return -errno;
	ret = mnl_cb_run(buf, (size_t)ret, nlh->nlmsg_seq, q->portid, NULL, NULL);
	return ret < 0 ? -errno : 0;
}

static int
configure(struct nfq_queue *q, const struct nfq_opts *o)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	uint32_t flags;
	int ret;

	/* Zeroed: the attributes have padding the kernel reads as part of
	 * the message (valgrind saw it go out uninitialised). */
	memset(buf, 0, sizeof(buf));
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, q->qnum);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_BIND);
	if ((ret = send_config(q, nlh)) < 0)
		return ret;

	memset(buf, 0, sizeof(buf));
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, q->qnum);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, 0xffff);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, o->maxlen);
	/* Fail-open and GSO go in one attribute with one mask: sent apart,
	 * the second message would clear the first flag. GSO spares the kernel
	 * segmenting large TCP packets for us; we never modify packets, so
	 * partial checksums do not matter. */
	flags = NFQA_CFG_F_GSO | (o->fail_open ? NFQA_CFG_F_FAIL_OPEN : 0);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN));
	return send_config(q, nlh);
}

int
nfq_queue_open(struct nfq_queue **out, uint16_t qnum, const struct nfq_opts *o)
{
	struct nfq_queue *q;
	struct timeval tv;
	int one = 1, rcvbuf = (int)o->rcvbuf, ret;

	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->qnum = qnum;
	q->rx = malloc((size_t)NFQ_BATCH_MAX * RX_SLOT);
	q->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!q->rx || !q->nl) {
		ret = q->rx ? -errno : -ENOMEM;
		goto fail;
	}
	if (mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto fail;
	}
	q->fd = mnl_socket_get_fd(q->nl);
	q->portid = mnl_socket_get_portid(q->nl);

	/* A burst larger than the socket buffer would be lost (or, fail-open,
	 * let through unjudged): size it for bursts. FORCE needs
	 * CAP_NET_ADMIN, which we have; fall back to the capped variant. */
	if (setsockopt(q->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(q->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	/* Without this, an overrun makes recv() fail with ENOBUFS; the queue
	 * counters tell us about losses anyway. */
	mnl_socket_setsockopt(q->nl, NETLINK_NO_ENOBUFS, &one, sizeof(one));
	/* A timeout lets the worker notice shutdown and prove liveness to the
	 * watchdog even when no SIP arrives. */
	tv.tv_sec = o->timeout_ms / 1000;
	tv.tv_usec = (o->timeout_ms % 1000) * 1000;
	setsockopt(q->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

	if ((ret = configure(q, o)) < 0)
		goto fail;

	for (unsigned i = 0; i < NFQ_BATCH_MAX; i++) {
		q->iov[i].iov_base = q->rx + (size_t)i * RX_SLOT;
		q->iov[i].iov_len = RX_SLOT;
		q->msgs[i].msg_hdr.msg_iov = &q->iov[i];
		q->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	*out = q;
	return 0;
fail:
	if (q->nl)
		mnl_socket_close(q->nl);
	free(q->rx);
	free(q);
	return ret;
}

void
nfq_queue_close(struct nfq_queue *q)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;

	if (!q)
		return;
	nfq_flush(q);
	/* Unbind explicitly so queued packets are reinjected (fail-open
	 * semantics of --queue-bypass apply from here on). */
	memset(buf, 0, sizeof(buf));
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, q->qnum);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_UNBIND);
	mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len);
	mnl_socket_close(q->nl);
	free(q->rx);
	free(q);
}

/* Pick the attributes we use out of one packet message. Lengths are
 * checked by mnl_attr_ok() for every attribute walked. */
static bool
parse_packet(const struct nlmsghdr *nlh, struct nfq_pkt *p)
{
	const struct nlattr *a;
	bool have_hdr = false;

	p->data = NULL;
	p->len = 0;
	p->orig_len = 0;
	p->indev = 0;
	p->outdev = 0;
	p->csum_unverified = false;
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		uint16_t type = mnl_attr_get_type(a);
		uint16_t plen = mnl_attr_get_payload_len(a);

		if (type == NFQA_PACKET_HDR && plen >= sizeof(struct nfqnl_msg_packet_hdr)) {
			const struct nfqnl_msg_packet_hdr *h = mnl_attr_get_payload(a);

			p->id = ntohl(h->packet_id);
			p->hw_proto = ntohs(h->hw_protocol);
			p->hook = h->hook;
			have_hdr = true;
		} else if (type == NFQA_PAYLOAD) {
			p->data = mnl_attr_get_payload(a);
			p->len = plen;
		} else if (type == NFQA_IFINDEX_INDEV && plen >= 4) {
			p->indev = ntohl(mnl_attr_get_u32(a));
		} else if (type == NFQA_IFINDEX_OUTDEV && plen >= 4) {
			p->outdev = ntohl(mnl_attr_get_u32(a));
		} else if (type == NFQA_CAP_LEN && plen >= 4) {
			p->orig_len = ntohl(*(const uint32_t *)mnl_attr_get_payload(a));
		} else if (type == NFQA_SKB_INFO && plen >= 4) {
			/* The skb's checksum state. A GRO'd or offloaded
			 * packet's checksum field does not cover its bytes
			 * (CSUMNOTREADY, or verified and merged): only the
			 * ones the stack will check are ours to check. */
			uint32_t info = ntohl(*(const uint32_t *)mnl_attr_get_payload(a));

			p->csum_unverified = (info & NFQA_SKB_CSUM_NOTVERIFIED) != 0;
		}
	}
	if (!p->orig_len)
		p->orig_len = p->len;
	return have_hdr;
}

int
nfq_recv(struct nfq_queue *q, struct nfq_pkt *pkts, unsigned max)
{
	int n, out = 0;

	if (max > NFQ_BATCH_MAX)
		max = NFQ_BATCH_MAX;
	n = recvmmsg(q->fd, q->msgs, max, MSG_WAITFORONE, NULL);
	if (n < 0) {
		int err = errno;

		if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR)
			return -EAGAIN;
		q->st.recv_errors++;
		if (err == ENOBUFS)
			q->st.enobufs++;
		return -err;
	}
	for (int i = 0; i < n; i++) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)q->iov[i].iov_base;
		int len = (int)q->msgs[i].msg_len;

		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			if ((nlh->nlmsg_type & 0xff) != NFQNL_MSG_PACKET ||
			    (nlh->nlmsg_type >> 8) != NFNL_SUBSYS_QUEUE) {
				if (nlh->nlmsg_type != NLMSG_NOOP)
					q->st.bad_messages++;
				continue;
			}
			if ((unsigned)out >= max || !parse_packet(nlh, &pkts[out])) {
				q->st.bad_messages++;
				continue;
			}
			out++;
		}
	}
	q->st.packets += (uint64_t)out;
	q->st.batches++;
	return out > 0 ? out : -EAGAIN;
}

/* Send what is in the verdict buffer, in order. */
static int
tx_send(struct nfq_queue *q)
{
	ssize_t r;

	if (!q->tx_len)
		return 0;
	r = mnl_socket_sendto(q->nl, q->tx, q->tx_len);
	q->tx_len = 0;
	if (r < 0) {
		q->st.send_errors++;
		return -errno;
	}
	return 0;
}

static void
put_verdict(struct nfq_queue *q, int type, uint32_t id, int verdict)
{
	struct nlmsghdr *nlh;

	if (q->tx_len + VERDICT_MSG_MAX > sizeof(q->tx))
		tx_send(q);
	nlh = nfq_nlmsg_put((char *)q->tx + q->tx_len, type, q->qnum);
	nfq_nlmsg_verdict_put(nlh, (int)id, verdict);
	q->tx_len += NLMSG_ALIGN(nlh->nlmsg_len);
}

static void
close_accept_run(struct nfq_queue *q)
{
	if (!q->accept_pending)
		return;
	put_verdict(q, NFQNL_MSG_VERDICT_BATCH, q->accept_upto, NF_ACCEPT);
	q->accept_pending = false;
}

void
nfq_accept(struct nfq_queue *q, uint32_t id)
{
	q->accept_pending = true;
	q->accept_upto = id;
}

void
nfq_drop(struct nfq_queue *q, uint32_t id)
{
	/* The batch verdict covers every id up to accept_upto: it must go out
	 * before this DROP, and must not reach past it. */
	close_accept_run(q);
	put_verdict(q, NFQNL_MSG_VERDICT, id, NF_DROP);
}

int
nfq_flush(struct nfq_queue *q)
{
	close_accept_run(q);
	return tx_send(q);
}

void
nfq_get_stats(const struct nfq_queue *q, struct nfq_stats *st)
{
	*st = q->st;
}
