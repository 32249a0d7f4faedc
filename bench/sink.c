/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * swb-sink - counting UDP sink for the sipwarden benchmark.
 *
 * One dual-stack UDP socket on [::]:PORT, recvmmsg() in batches. A datagram
 * whose "X-Bench: RUN SEQ NS" header names the run given with --run is
 * counted as matched; with --lat its one-way latency (CLOCK_MONOTONIC at
 * receive minus NS from the header: same host, same clock) is recorded and
 * the percentiles printed at the end. Socket drops come from SO_RXQ_OVFL.
 *
 * Runs until SIGTERM/SIGINT, or --max-seconds (hard cap SINK_MAX_SECONDS).
 * Output (stdout, one line at exit):
 *   recv=N matched=N sockdrops=N lat_n=N p50_us=X p90_us=X p99_us=X p999_us=X max_us=X
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define SINK_MAX_SECONDS 600
#define SINK_BATCH 64
#define SINK_MAX_SAMPLES (8u << 20)
#define BUFSZ 2048

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double
pct(const uint32_t *v, size_t n, double p)
{
	size_t i;

	if (!n)
		return 0;
	i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i] / 1000.0;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "port", 1, 0, 'p' }, { "run", 1, 0, 'r' }, { "lat", 0, 0, 'l' },
		{ "max-seconds", 1, 0, 't' }, { "ready", 1, 0, 'R' }, { "skip", 1, 0, 's' },
		{ 0, 0, 0, 0 },
	};
	unsigned port = 5060, maxsec = SINK_MAX_SECONDS;
	unsigned long skip = 0;
	const char *run = "r0", *ready = NULL;
	bool lat = false;
	char tag[40];
	size_t taglen;
	int opt, fd, zero = 0, one = 1, rb = 32 << 20;
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT };

	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (opt) {
		case 'p': port = (unsigned)atoi(optarg); break;
		case 'r': run = optarg; break;
		case 'l': lat = true; break;
		case 't': maxsec = (unsigned)atoi(optarg); break;
		case 'R': ready = optarg; break;
		case 's': skip = strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: swb-sink [--port P] [--run ID] [--lat] [--skip N] "
					"[--max-seconds S] [--ready FILE]\n");
			return 2;
		}
	}
	if (maxsec == 0 || maxsec > SINK_MAX_SECONDS)
		maxsec = SINK_MAX_SECONDS;
	snprintf(tag, sizeof(tag), "X-Bench: %s ", run);
	taglen = strlen(tag);

	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("swb-sink: socket");
		return 1;
	}
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rb, sizeof(rb)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof(rb));
	{
		struct timeval tv = { 0, 100000 };

		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	sa.sin6_port = htons((uint16_t)port);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("swb-sink: bind");
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (ready) {
		FILE *f = fopen(ready, "w");

		if (f)
			fclose(f);
	}

	static char buf[SINK_BATCH][BUFSZ];
	static char ctl[SINK_BATCH][CMSG_SPACE(sizeof(uint32_t))];
	struct mmsghdr mm[SINK_BATCH];
	struct iovec iov[SINK_BATCH];
	uint32_t *samples = lat ? malloc(SINK_MAX_SAMPLES * sizeof(uint32_t)) : NULL;
	size_t ns = 0;
	unsigned long long recv_n = 0, matched = 0;
	uint32_t drops = 0;
	uint64_t end = now_ns() + (uint64_t)maxsec * 1000000000ull;

	if (lat && !samples)
		return 1;
	while (!stop && now_ns() < end) {
		for (int i = 0; i < SINK_BATCH; i++) {
			iov[i].iov_base = buf[i];
			iov[i].iov_len = BUFSZ - 1;
			memset(&mm[i].msg_hdr, 0, sizeof(mm[i].msg_hdr));
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
			mm[i].msg_hdr.msg_control = ctl[i];
			mm[i].msg_hdr.msg_controllen = sizeof(ctl[i]);
		}
		int n = recvmmsg(fd, mm, SINK_BATCH, MSG_WAITFORONE, NULL);
		uint64_t t = now_ns();

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			perror("swb-sink: recvmmsg");
			break;
		}
		for (int i = 0; i < n; i++) {
			char *m = buf[i], *p;
			size_t len = mm[i].msg_len;
			struct cmsghdr *c;

			recv_n++;
			for (c = CMSG_FIRSTHDR(&mm[i].msg_hdr); c; c = CMSG_NXTHDR(&mm[i].msg_hdr, c))
				if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL)
					memcpy(&drops, CMSG_DATA(c), sizeof(drops));
			m[len] = 0;
			p = memmem(m, len, tag, taglen);
			if (!p)
				continue;
			matched++;
			if (samples && matched > skip && ns < SINK_MAX_SAMPLES) {
				unsigned long long seq, ts;

				if (sscanf(p + taglen, "%llu %llu", &seq, &ts) == 2 && ts <= t) {
					uint64_t d = t - ts;

					samples[ns++] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
				}
			}
		}
	}
	if (samples)
		qsort(samples, ns, sizeof(*samples), cmp_u32);
	printf("recv=%llu matched=%llu sockdrops=%u lat_n=%zu p50_us=%.1f p90_us=%.1f "
	       "p99_us=%.1f p999_us=%.1f max_us=%.1f\n",
	       recv_n, matched, drops, ns, pct(samples, ns, 0.5), pct(samples, ns, 0.9),
	       pct(samples, ns, 0.99), pct(samples, ns, 0.999), ns ? samples[ns - 1] / 1000.0 : 0.0);
	free(samples);
	close(fd);
	return 0;
}
