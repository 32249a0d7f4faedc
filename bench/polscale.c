/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * swb-polscale - the policy on N worker threads against one (issue 19: two
 * queues on two workers should pass >= 1.6x the packets of one at the same
 * CPU per packet). On a 2-core machine the traffic generator takes a core,
 * so the live bench cannot show it; here the messages are in memory before
 * the clock starts, and both cores are the workers'.
 *
 * Each worker is set up as worker_init() sets one up: its own source,
 * transaction and enumeration tables (the configured limits divided by N)
 * and its own policy keys; the ban table and the auth failure tables are
 * shared, as in the daemon, and hold the bans the live bench makes. Packets go to worker hash(source) % N, as
 * --queue-balance spreads a source's packets over the queues by address.
 * Each worker judges its share through the daemon's verdict core, with the
 * capture's timestamps as its clock, on a CPU of its own (pin()). What it
 * leaves out is the kernel's part of each packet (the queue, the verdict,
 * forwarding), which is per queue in the kernel too.
 *
 * With "new4", every IPv4 message of the capture is given a source never
 * seen before, spread over the whole IPv4 space (message i from
 * i * 2654435761, as in srcbench.c): the spoofed new-source flood that the
 * live bench cannot send (it may spoof inside 203.0.113.0/24 only), through
 * the whole policy. The addresses are only numbers in memory; nothing is
 * sent.
 *
 * With "cold:MB", each worker writes one byte in every 64-byte line of a
 * buffer of MB MiB (small pages) before each message, and times each
 * message alone: the policy as a packet finds it after a quiet spell, its
 * code, tables and stack pushed out of the caches (and its pages out of
 * the TLB) by whatever ran in between. This is the part of the latency
 * target's gap (issue 19: added latency at 10k/s) that a policy change can
 * move; the live bench measures the same thing with the kernel around it,
 * and with noise. MB of about the last-level cache sends everything to
 * memory; the wall and CPU times then count the evictions too.
 *
 * Usage: swb-polscale CONFIG CAPTURE THREADS [new4] [cold:MB]
 *   CAPTURE: a pcap or pcapng file (swb-gen --pcap writes one), at most
 *   2,000,000 packets
 * Output (one line): threads=N packets=P pass=X drop=Y wall_ms=W cpu_ms=C
 *   thread_cpu_ms=c1,c2,... shares=n1,n2,... sources=S
 *   [cold_mb=M cold_p10_ns=A cold_p50_ns=B cold_p90_ns=C]
 *   (wall: first worker start to last worker end; S: sources tracked at the
 *   end; cold_*: each message's own time, over all workers' messages)
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "authtrack.h"
#include "bans.h"
#include "config.h"
#include "enumtrack.h"
#include "packet.h"
#include "policy.h"
#include "replay_pcap.h"
#include "srctab.h"
#include "tcpstream.h"
#include "verdict.h"

#define MAX_THREADS 8
#define MAX_PACKETS 2000000u
#define TCP_MSG_MAX 65535
#define ENUM_SOURCES 4096 /* as the daemon's workers */

struct pkt {
	const uint8_t *data;
	size_t off; /* into the loaded capture, while it is read */
	uint32_t len;
	uint64_t ms;
};

struct worker {
	pthread_t thread;
	unsigned index, nt;
	struct policy pol;
	struct tcptab *tcp;
	struct verdict_core vc;
	struct pkt *pkts; /* this worker's share, in capture order */
	uint32_t n;
	/* Its messages' bytes, back to back: a worker reads its own buffer
	 * front to back, as the daemon's reads its own receive batch, not
	 * every other message of one shared capture (which cost the
	 * prefetcher half its work and two workers ~15 % per message). */
	uint8_t *bytes;
	size_t nbytes;
	/* Written for every message: a cache line of their own, or the
	 * next worker's reads of its policy (same line) would bounce. */
	_Alignas(64) uint64_t pass;
	uint64_t drop;
	double cpu_ms;
	struct timespec t0, t1;
	pthread_barrier_t *go;
	/* cold:MB: the buffer written between messages, and each message's
	 * time (ns) */
	volatile uint8_t *evict;
	size_t evict_len;
	uint32_t *cold_ns, n_cold;
};

static double
ms_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static void
on_ban(void *arg, struct policy_verdict *v, const struct addr *src, const struct sip_msg *m,
       uint64_t now)
{
	struct worker *w = arg;

	(void)src;
	(void)m;
	policy_ban_table(w->pol.bans, v, now);
}

static void
on_judged(void *arg, const struct policy_verdict *v, const struct addr *src,
	  const struct sip_msg *m, uint64_t now)
{
	struct worker *w = arg;

	(void)src;
	(void)m;
	(void)now;
	if (v->drop)
		w->drop++;
	else
		w->pass++;
}

static void
on_server(void *arg, const struct sip_msg *m, uint64_t now)
{
	(void)arg;
	(void)m;
	(void)now;
}

static const struct verdict_hooks hooks = {
	.ban = on_ban, .judged = on_judged, .server_msg = on_server,
};

/*
 * Worker t on the t-th CPU the process may use, when there are enough:
 * each worker on a core of its own, the case the target is about. Left
 * to the scheduler, both workers started on the CPU that created them and
 * one of them ran 1.5x slower per message until it was moved.
 */
static void
pin(unsigned index, unsigned nt)
{
	cpu_set_t allowed, one;
	unsigned seen = 0;

	if (sched_getaffinity(0, sizeof(allowed), &allowed) < 0 ||
	    (unsigned)CPU_COUNT(&allowed) < nt)
		return;
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, &allowed) || seen++ != index)
			continue;
		CPU_ZERO(&one);
		CPU_SET(c, &one);
		pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
		return;
	}
}

static void *
work(void *arg)
{
	struct worker *w = arg;
	struct timespec c0, c1;

	pin(w->index, w->nt);
	pthread_barrier_wait(w->go);
	clock_gettime(CLOCK_MONOTONIC, &w->t0);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
	for (uint32_t i = 0; i < w->n; i++) {
		struct packet_info pi;
		struct verdict_result res;
		struct timespec a, b;

		if (w->evict) {
			for (size_t j = 0; j < w->evict_len; j += 64)
				w->evict[j] = (uint8_t)(i + j);
			clock_gettime(CLOCK_MONOTONIC, &a);
		}
		if (packet_parse(w->pkts[i].data, w->pkts[i].len, &pi) != PACKET_OK)
			continue;
		verdict_packet(&w->vc, &pi, true, w->pkts[i].ms, &res);
		if (w->evict) {
			double ns;

			clock_gettime(CLOCK_MONOTONIC, &b);
			ns = ms_between(&a, &b) * 1e6;
			w->cold_ns[w->n_cold++] = ns >= UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
		}
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
	clock_gettime(CLOCK_MONOTONIC, &w->t1);
	w->cpu_ms = ms_between(&c0, &c1);
	return NULL;
}

/* Small pages on purpose: what runs between two packets pushes the
 * policy's pages out of the TLB too. */
static int
cold_alloc(struct worker *w, size_t len, uint32_t n)
{
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		return -1;
	(void)madvise(m, len, MADV_NOHUGEPAGE);
	w->evict = m;
	w->evict_len = len;
	w->cold_ns = malloc((n ? n : 1) * sizeof(*w->cold_ns));
	return w->cold_ns ? 0 : -1;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* cold:MB: every worker's message times, merged; p10, p50 and p90. */
static void
print_cold(const struct worker *ws, unsigned nt, size_t mb)
{
	uint32_t *all, n = 0;

	for (unsigned t = 0; t < nt; t++)
		n += ws[t].n_cold;
	if (n == 0 || !(all = malloc(n * sizeof(*all))))
		return;
	n = 0;
	for (unsigned t = 0; t < nt; t++) {
		memcpy(all + n, ws[t].cold_ns, ws[t].n_cold * sizeof(*all));
		n += ws[t].n_cold;
	}
	qsort(all, n, sizeof(*all), cmp_u32);
	printf(" cold_mb=%zu cold_p10_ns=%u cold_p50_ns=%u cold_p90_ns=%u", mb, all[n / 10],
	       all[n / 2], all[n * 9 / 10]);
	free(all);
}

/*
 * The capture's IP packets in memory, read with sipwarden-replay's reader
 * (replay_pcap.h: pcap or pcapng, any link type it decodes): their bytes
 * back to back in *buf, *pkts pointing into it. Frames that are not whole
 * IP packets are skipped.
 */
static int
load(const char *path, uint8_t **buf, struct pkt **pkts, uint32_t *n)
{
	char err[512];
	struct replay_cap *cap;
	struct replay_frame f;
	size_t used = 0, size = 0;
	uint32_t room = 0;
	int r;

	*buf = NULL;
	*pkts = NULL;
	*n = 0;
	if ((r = replay_cap_open(path, &cap, err, sizeof(err))) < 0) {
		fprintf(stderr, "swb-polscale: %s\n", err);
		return r;
	}
	while (*n < MAX_PACKETS && (r = replay_cap_next(cap, &f)) > 0) {
		if (f.status != REPLAY_FRAME_IP)
			continue;
		if (used + f.l3_len > size) {
			uint8_t *b = realloc(*buf, size = (used + f.l3_len) * 2);

			if (!b) {
				r = -ENOMEM;
				break;
			}
			*buf = b;
		}
		if (*n == room) {
			struct pkt *p = realloc(*pkts, (room = room ? room * 2 : 65536) * sizeof(**pkts));

			if (!p) {
				r = -ENOMEM;
				break;
			}
			*pkts = p;
		}
		memcpy(*buf + used, f.l3, f.l3_len);
		/* An offset until the buffer stops moving. */
		(*pkts)[(*n)++] = (struct pkt){ .off = used, .len = (uint32_t)f.l3_len,
						.ms = f.ts_us / 1000u };
		used += f.l3_len;
	}
	if (r < 0 && r != -ENOMEM)
		fprintf(stderr, "swb-polscale: %s: %s\n", path, replay_cap_error(cap));
	replay_cap_close(cap);
	for (uint32_t i = 0; i < *n; i++)
		(*pkts)[i].data = *buf + (*pkts)[i].off;
	return r < 0 ? r : 0;
}

/* Message i from source i * 2654435761 (distinct for distinct i, spread
 * over the whole space). The IPv4 header checksum is not read by
 * packet_parse(), and the UDP one is not checked (csum_unknown, as for a
 * capture). */
static void
new_sources(struct pkt *pkts, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *ip = (uint8_t *)(uintptr_t)pkts[i].data;
		uint32_t a = i * 2654435761u;

		if (pkts[i].len >= 20 && ip[0] >> 4 == 4) {
			ip[12] = (uint8_t)(a >> 24);
			ip[13] = (uint8_t)(a >> 16);
			ip[14] = (uint8_t)(a >> 8);
			ip[15] = (uint8_t)a;
		}
	}
}

/* The worker a packet goes to: by source address, FNV-1a (any fixed
 * spread will do; the kernel uses its own hash of the addresses). */
static unsigned
pick(const struct pkt *p, unsigned n)
{
	struct packet_info pi;
	uint32_t h = 2166136261u;

	if (n == 1 || packet_parse(p->data, p->len, &pi) != PACKET_OK)
		return 0;
	for (unsigned i = 0; i < sizeof(pi.src.a); i++)
		h = (h ^ pi.src.a[i]) * 16777619u;
	return h % n;
}

/* The bans the live bench makes before it measures (bench/lib.sh: one
 * user, one address the mix never sends from), so that every message
 * pays the ban lookups it pays in the daemon. */
static int
preban(struct bantab *bans)
{
	struct ban_key k;
	struct addr a;

	if (addr_parse("203.0.113.240", &a) < 0)
		return -1;
	ban_key_ip(&k, &a);
	if (bantab_add(bans, &k, BAN_REASON_MANUAL, 0, UINT64_MAX / 2) < 0)
		return -1;
	if (ban_key_user(&k, "banned-bench@example.org") < 0)
		return -1;
	return bantab_add(bans, &k, BAN_REASON_MANUAL, 0, UINT64_MAX / 2) < 0 ? -1 : 0;
}

int
main(int argc, char **argv)
{
	static struct worker ws[MAX_THREADS];
	struct config *cfg = NULL;
	struct bantab *bans;
	struct failtab *fails, *offenders;
	struct pkt *all = NULL;
	uint8_t *buf = NULL;
	uint32_t n = 0;
	unsigned nt;
	pthread_barrier_t go;
	struct timespec t0, t1;
	uint64_t pass = 0, drop = 0, sources = 0;
	double cpu = 0;
	bool new4 = false;
	long cold_mb = 0;
	char *e;
	int r;

	for (int i = 4; i < argc; i++) {
		if (strcmp(argv[i], "new4") == 0)
			new4 = true;
		else if (strncmp(argv[i], "cold:", 5) == 0 &&
			 (cold_mb = strtol(argv[i] + 5, &e, 10)) >= 1 && cold_mb <= 1024 && !*e)
			continue;
		else
			argc = 0;	/* usage */
	}
	if (argc < 4 || argc > 6 || (nt = (unsigned)atoi(argv[3])) < 1 || nt > MAX_THREADS) {
		fprintf(stderr, "usage: swb-polscale CONFIG CAPTURE THREADS(1..%d) [new4] "
			"[cold:MB(1..1024)]\n", MAX_THREADS);
		return 2;
	}
	if (config_load_file(argv[1], &cfg, stderr) < 0)
		return 1;
	if ((r = load(argv[2], &buf, &all, &n)) < 0 || n == 0) {
		if (r == 0 || r == -ENOMEM)
			fprintf(stderr, "swb-polscale: %s: %s\n", argv[2],
				r ? strerror(-r) : "no IP packets");
		return 1;
	}
	if (new4)
		new_sources(all, n);
	bans = bantab_new(cfg->max_bans);
	fails = failtab_new(cfg->max_auth_users);
	offenders = failtab_new(cfg->max_bans);
	if (!bans || !fails || !offenders || preban(bans) < 0)
		return 1;
	for (unsigned t = 0; t < nt; t++) {
		struct worker *w = &ws[t];
		uint32_t cap = cfg->max_sources / nt;

		w->index = t;
		w->nt = nt;
		w->go = &go;
		w->pkts = malloc(n * sizeof(*w->pkts));
		w->pol.cfg = cfg;
		w->pol.cfg_gen = 1;
		w->pol.src = srctab_new(cap < 1024 ? 1024 : cap, cfg->dos_reqs_density_per_unit + 1);
		w->pol.txns = txntab_new(cfg->max_transactions / nt);
		w->pol.enums = enumtab_new(cfg->max_transactions / nt, ENUM_SOURCES);
		w->pol.bans = bans;
		w->pol.fails = fails;
		w->pol.offenders = offenders;
		w->tcp = tcptab_new(1024, TCP_MSG_MAX, cfg->tcp_idle_time * 1000u);
		if (!w->pkts || !w->pol.src || !w->pol.txns || !w->pol.enums || !w->tcp ||
		    policy_keys_init(&w->pol) < 0) {
			fprintf(stderr, "swb-polscale: out of memory\n");
			return 1;
		}
		w->vc = (struct verdict_core){ .pol = &w->pol, .tcp = w->tcp, .hooks = &hooks,
					       .arg = w };
		if (cold_mb && cold_alloc(w, (size_t)cold_mb << 20, n) < 0) {
			fprintf(stderr, "swb-polscale: out of memory\n");
			return 1;
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		struct worker *w = &ws[pick(&all[i], nt)];

		w->pkts[w->n++] = all[i];
		w->nbytes += all[i].len;
	}
	for (unsigned t = 0; t < nt; t++) {
		struct worker *w = &ws[t];
		size_t off = 0;

		w->bytes = malloc(w->nbytes ? w->nbytes : 1);
		if (!w->bytes) {
			fprintf(stderr, "swb-polscale: out of memory\n");
			return 1;
		}
		for (uint32_t i = 0; i < w->n; i++) {
			memcpy(w->bytes + off, w->pkts[i].data, w->pkts[i].len);
			w->pkts[i].data = w->bytes + off;
			off += w->pkts[i].len;
		}
	}
	pthread_barrier_init(&go, NULL, nt);
	for (unsigned t = 0; t < nt; t++)
		if (pthread_create(&ws[t].thread, NULL, work, &ws[t]) != 0) {
			fprintf(stderr, "swb-polscale: cannot start thread %u\n", t);
			return 1;
		}
	for (unsigned t = 0; t < nt; t++)
		pthread_join(ws[t].thread, NULL);
	t0 = ws[0].t0;
	t1 = ws[0].t1;
	for (unsigned t = 0; t < nt; t++) {
		if (ms_between(&ws[t].t0, &t0) > 0)
			t0 = ws[t].t0;
		if (ms_between(&t1, &ws[t].t1) > 0)
			t1 = ws[t].t1;
		pass += ws[t].pass;
		drop += ws[t].drop;
		cpu += ws[t].cpu_ms;
	}
	printf("threads=%u packets=%u pass=%llu drop=%llu wall_ms=%.1f cpu_ms=%.1f thread_cpu_ms=",
	       nt, n, (unsigned long long)pass, (unsigned long long)drop, ms_between(&t0, &t1), cpu);
	for (unsigned t = 0; t < nt; t++)
		printf("%s%.1f", t ? "," : "", ws[t].cpu_ms);
	printf(" shares=");
	for (unsigned t = 0; t < nt; t++)
		printf("%s%u", t ? "," : "", ws[t].n);
	for (unsigned t = 0; t < nt; t++) {
		struct srctab_stats st;

		srctab_get_stats(ws[t].pol.src, &st);
		sources += st.used;
	}
	printf(" sources=%llu", (unsigned long long)sources);
	if (cold_mb)
		print_cold(ws, nt, (size_t)cold_mb);
	printf("\n");
	for (unsigned t = 0; t < nt; t++) {
		srctab_free(ws[t].pol.src);
		txntab_free(ws[t].pol.txns);
		enumtab_free(ws[t].pol.enums);
		tcptab_free(ws[t].tcp);
		free(ws[t].pkts);
		free(ws[t].bytes);
		free(ws[t].cold_ns);
		if (ws[t].evict)
			munmap((void *)ws[t].evict, ws[t].evict_len);
	}
	pthread_barrier_destroy(&go);
	bantab_free(bans);
	failtab_free(fails);
	failtab_free(offenders);
	config_free(cfg);
	free(all);
	free(buf);
	return pass + drop > 0 ? 0 : 1;
}
