/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * swb-noopq - the no-op reference NFQUEUE reader of the sipwarden benchmark.
 *
 * The cheapest correct userspace verdict loop on the libmnl +
 * libnetfilter_queue nlmsg API: one thread per queue, packets copied whole
 * (NFQNL_COPY_PACKET, like the daemon), received in batches with
 * recvmmsg(MSG_WAITFORONE), and one NFQNL_MSG_VERDICT_BATCH ACCEPT per
 * batch covering every id up to the last one received. It looks at nothing
 * but the packet id. --unbatched receives one message per recv() and sends
 * one NFQNL_MSG_VERDICT per packet, for the unbatched figure. --wait-us N
 * applies the daemon's interrupt moderation (queue.batch_wait_us; the
 * decision is src/batchwait.c, linked in) for a like-with-like reference.
 *
 * Written for the benchmark, independently of src/nfq.c.
 *
 * Runs until SIGTERM/SIGINT or --max-seconds (hard cap 600 s); prints
 *   packets=N batches=N utime_s=X stime_s=X cpu_us_per_pkt=X
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "batchwait.h"

#define MAX_QUEUES 16
#define BATCH 64
#define SLOT (65536 + 4096)
#define MAX_SECONDS 600

struct q {
	pthread_t th;
	uint16_t num;
	struct mnl_socket *nl;
	uint64_t packets, batches, errors;
};

static volatile sig_atomic_t stop;
static bool unbatched, fail_open;
static uint32_t maxlen = 16384, rcvbuf = 16 << 20;
static uint32_t wait_us; /* --wait-us: the daemon's queue.batch_wait_us */

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int
cfg_send(struct mnl_socket *nl, struct nlmsghdr *nlh)
{
	char buf[8192];
	uint32_t portid = mnl_socket_get_portid(nl);
	int r;

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = 1;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	r = (int)mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (r < 0)
		return -errno;
	return mnl_cb_run(buf, (size_t)r, 1, portid, NULL, NULL) < 0 ? -errno : 0;
}

static int
bind_queue(struct q *q)
{
	char buf[8192];
	struct nlmsghdr *nlh;
	struct timeval tv = { 0, 200000 };
	int one = 1, rb = (int)rcvbuf, r;

	q->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!q->nl || mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	if (setsockopt(mnl_socket_get_fd(q->nl), SOL_SOCKET, SO_RCVBUFFORCE, &rb, sizeof(rb)) < 0)
		setsockopt(mnl_socket_get_fd(q->nl), SOL_SOCKET, SO_RCVBUF, &rb, sizeof(rb));
	mnl_socket_setsockopt(q->nl, NETLINK_NO_ENOBUFS, &one, sizeof(one));
	setsockopt(mnl_socket_get_fd(q->nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, q->num);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_BIND);
	if ((r = cfg_send(q->nl, nlh)) < 0)
		return r;
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, q->num);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, 0xffff);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, maxlen);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS,
			 htonl(NFQA_CFG_F_GSO | (fail_open ? NFQA_CFG_F_FAIL_OPEN : 0)));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN));
	return cfg_send(q->nl, nlh);
}

/* The packet id, or 0 when the message carries no packet header. */
static uint32_t
packet_id(const struct nlmsghdr *nlh)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) == NFQA_PACKET_HDR &&
		    mnl_attr_get_payload_len(a) >= sizeof(struct nfqnl_msg_packet_hdr)) {
			const struct nfqnl_msg_packet_hdr *h = mnl_attr_get_payload(a);

			return ntohl(h->packet_id);
		}
	}
	return 0;
}

static void
verdict(struct q *q, int type, uint32_t id)
{
	char buf[128];
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, type, q->num);

	nfq_nlmsg_verdict_put(nlh, (int)id, NF_ACCEPT);
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0)
		q->errors++;
}

static void *
loop(void *arg)
{
	struct q *q = arg;
	int fd = mnl_socket_get_fd(q->nl);
	unsigned nb = unbatched ? 1 : BATCH;
	unsigned char *rx = malloc((size_t)nb * SLOT);
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	struct batchwait bw = { 0 };

	if (!rx)
		return NULL;
	memset(mm, 0, sizeof(mm));
	for (unsigned i = 0; i < nb; i++) {
		iov[i].iov_base = rx + (size_t)i * SLOT;
		iov[i].iov_len = SLOT;
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	while (!stop) {
		int n = recvmmsg(fd, mm, nb, MSG_WAITFORONE, NULL);
		uint32_t last = 0;

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ENOBUFS)
				q->errors++;
			continue;
		}
		for (int i = 0; i < n; i++) {
			const struct nlmsghdr *nlh = iov[i].iov_base;
			int len = (int)mm[i].msg_len;

			for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
				uint32_t id;

				if ((nlh->nlmsg_type & 0xff) != NFQNL_MSG_PACKET)
					continue;
				id = packet_id(nlh);
				if (!id)
					continue;
				q->packets++;
				if (unbatched)
					verdict(q, NFQNL_MSG_VERDICT, id);
				else
					last = id;
			}
		}
		if (last)
			verdict(q, NFQNL_MSG_VERDICT_BATCH, last);
		q->batches++;
		/* The daemon's moderation (src/batchwait.c, linked in), so the
		 * report can also compare like with like. */
		if (wait_us) {
			struct timespec now, ts = { 0, 0 };
			uint32_t us;

			clock_gettime(CLOCK_MONOTONIC, &now);
			us = batchwait_next(&bw, (unsigned)n, nb, wait_us,
					    (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000);
			ts.tv_nsec = (long)us * 1000;
			if (us)
				clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
		}
	}
	free(rx);
	return NULL;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "first", 1, 0, 'f' }, { "count", 1, 0, 'c' }, { "unbatched", 0, 0, 'u' },
		{ "fail-open", 0, 0, 'o' }, { "maxlen", 1, 0, 'm' }, { "rcvbuf", 1, 0, 'b' },
		{ "max-seconds", 1, 0, 't' }, { "ready", 1, 0, 'R' }, { "wait-us", 1, 0, 'w' },
		{ 0, 0, 0, 0 },
	};
	unsigned first = 0, count = 1, maxsec = MAX_SECONDS;
	const char *ready = NULL;
	struct q qs[MAX_QUEUES];
	struct rusage ru;
	uint64_t pk = 0, ba = 0, er = 0;
	int opt;

	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (opt) {
		case 'f': first = (unsigned)atoi(optarg); break;
		case 'c': count = (unsigned)atoi(optarg); break;
		case 'u': unbatched = true; break;
		case 'o': fail_open = true; break;
		case 'm': maxlen = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'b': rcvbuf = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 't': maxsec = (unsigned)atoi(optarg); break;
		case 'R': ready = optarg; break;
		case 'w': wait_us = (uint32_t)strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: swb-noopq [--first Q] [--count N] [--unbatched] "
					"[--fail-open] [--maxlen N] [--rcvbuf B] [--max-seconds S] [--ready FILE] "
					"[--wait-us N]\n");
			return 2;
		}
	}
	if (count < 1 || count > MAX_QUEUES || first + count > 65535)
		return 2;
	if (maxsec == 0 || maxsec > MAX_SECONDS)
		maxsec = MAX_SECONDS;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGALRM, on_signal);
	memset(qs, 0, sizeof(qs));
	for (unsigned i = 0; i < count; i++) {
		int r;

		qs[i].num = (uint16_t)(first + i);
		if ((r = bind_queue(&qs[i])) < 0) {
			fprintf(stderr, "swb-noopq: queue %u: %s\n", qs[i].num, strerror(-r));
			return 1;
		}
	}
	for (unsigned i = 0; i < count; i++)
		pthread_create(&qs[i].th, NULL, loop, &qs[i]);
	alarm(maxsec);
	if (ready) {
		FILE *f = fopen(ready, "w");

		if (f)
			fclose(f);
	}
	for (unsigned i = 0; i < count; i++) {
		char buf[256];
		struct nlmsghdr *nlh;

		pthread_join(qs[i].th, NULL);
		nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, qs[i].num);
		nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_UNBIND);
		mnl_socket_sendto(qs[i].nl, nlh, nlh->nlmsg_len);
		mnl_socket_close(qs[i].nl);
		pk += qs[i].packets;
		ba += qs[i].batches;
		er += qs[i].errors;
	}
	getrusage(RUSAGE_SELF, &ru);
	double ut = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
	double st = (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;

	printf("packets=%llu batches=%llu errors=%llu utime_s=%.3f stime_s=%.3f cpu_us_per_pkt=%.3f\n",
	       (unsigned long long)pk, (unsigned long long)ba, (unsigned long long)er, ut, st,
	       pk ? (ut + st) * 1e6 / (double)pk : 0.0);
	return 0;
}
