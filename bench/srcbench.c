/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * swb-srcbench - the source table alone: CPU per request of a source never
 * seen before against one seen before (issue 19), for IPv4 and IPv6, with
 * no traffic at all (addresses are only numbers here; none is sent).
 *
 * Built by bench/run.sh --newsrc against a tree's src/policy/srctab.c, so
 * that an older tree's table can be measured beside this one: it uses
 * only srctab_new/get/hit/free, whose signatures both keep.
 *
 * Usage: swb-srcbench CAPACITY RING_SIZE NEW_COUNT
 * Output (one line): new4_ns=N new6_ns=N known_ns=N rss_kb=N collide4_ns=N rand4_ns=N
 *
 * collide4/rand4: a hash-collision flood against a random one (issue 19):
 * 4096 new IPv4 sources whose low 20 bits are all zero (one bucket of any
 * table indexed by the address's low bits, the classic unkeyed choice),
 * against 4096 random new ones, each set into fresh tables of 65,536
 * entries, 20 times; ns per request. The table's keyed hash should make
 * the two cost the same.
 * Bounded: NEW_COUNT <= 4,000,000 requests per family.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "srctab.h"

#define MAX_NEW 4000000u
#define KNOWN 200u
#define WINDOW_MS 1000u

static double
cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* i-th address: IPv4 spread over the whole space, IPv6 one /64 each. */
static struct addr
nth(uint32_t i, int v6)
{
	struct addr a;

	memset(&a, 0, sizeof(a));
	if (!v6) {
		uint32_t x = i * 2654435761u; /* distinct for distinct i */

		a.family = 2; /* AF_INET */
		memcpy(a.a, &x, 4);
	} else {
		a.family = 10; /* AF_INET6 */
		a.a[0] = 0x20;
		a.a[1] = 0x01;
		a.a[2] = 0x0d;
		a.a[3] = 0xb8;
		a.a[4] = 0x80 | (uint8_t)(i >> 24);
		a.a[5] = (uint8_t)(i >> 16);
		a.a[6] = (uint8_t)(i >> 8);
		a.a[7] = (uint8_t)i;
	}
	return a;
}

/* n requests, each from its own new source, one per simulated 10 us. */
static double
run_new(struct srctab *t, uint32_t n, int v6)
{
	double t0 = cpu_ns();
	bool created;

	for (uint32_t i = 0; i < n; i++) {
		struct addr a = nth(i, v6);
		uint64_t now = 1000 + i / 100;

		srctab_hit(t, srctab_get(t, &a, now, &created), now, WINDOW_MS);
	}
	return (cpu_ns() - t0) / n;
}

#define COLLIDE_N 4096u
#define COLLIDE_CAP 65536u
#define COLLIDE_REPS 20

/* ns per request of COLLIDE_N new IPv4 sources, colliding or random. */
static double
run_collide(uint32_t ring, int colliding)
{
	double ns = 0;
	bool created;

	for (int r = 0; r < COLLIDE_REPS; r++) {
		struct srctab *t = srctab_new(COLLIDE_CAP, ring);
		double t0;

		if (!t)
			return -1;
		t0 = cpu_ns();
		for (uint32_t i = 0; i < COLLIDE_N; i++) {
			struct addr a;
			uint32_t x = colliding ? i << 20 : (i + (uint32_t)r * COLLIDE_N) * 2654435761u;

			memset(&a, 0, sizeof(a));
			a.family = 2; /* AF_INET */
			memcpy(a.a, &x, 4);
			srctab_hit(t, srctab_get(t, &a, 1000, &created), 1000, WINDOW_MS);
		}
		ns += cpu_ns() - t0;
		srctab_free(t);
	}
	return ns / (COLLIDE_N * COLLIDE_REPS);
}

static long
rss_kb(void)
{
	char line[256];
	long kb = 0;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

int
main(int argc, char **argv)
{
	uint32_t cap, ring, n;
	struct srctab *t4, *t6, *tk;
	double new4, new6, known, t0;
	bool created;
	long rss;

	if (argc != 4)
		return 2;
	cap = (uint32_t)strtoul(argv[1], NULL, 10);
	ring = (uint32_t)strtoul(argv[2], NULL, 10);
	n = (uint32_t)strtoul(argv[3], NULL, 10);
	if (n == 0 || n > MAX_NEW || n > cap)
		return 2;
	t4 = srctab_new(cap, ring);
	t6 = srctab_new(cap, ring);
	tk = srctab_new(cap, ring);
	if (!t4 || !t6 || !tk)
		return 1;
	new4 = run_new(t4, n, 0);
	new6 = run_new(t6, n, 1);
	rss = rss_kb();
	/* Known: KNOWN sources, each seen before, one request per source per
	 * 2 simulated ms (500 per window: below the bench's limit of 600;
	 * with a lower one the verdict is ignored here, the ring rolls). */
	for (uint32_t k = 0; k < KNOWN; k++) {
		struct addr a = nth(k, k & 1);

		srctab_get(tk, &a, 1000, &created);
	}
	t0 = cpu_ns();
	for (uint32_t i = 0; i < n; i++) {
		struct addr a = nth(i % KNOWN, (i % KNOWN) & 1);
		uint64_t now = 1000 + (uint64_t)(i / KNOWN) * 2;

		srctab_hit(tk, srctab_get(tk, &a, now, &created), now, WINDOW_MS);
	}
	known = (cpu_ns() - t0) / n;
	printf("new4_ns=%.0f new6_ns=%.0f known_ns=%.0f rss_kb=%ld collide4_ns=%.0f rand4_ns=%.0f\n",
	       new4, new6, known, rss, run_collide(ring, 1), run_collide(ring, 0));
	srctab_free(t4);
	srctab_free(t6);
	srctab_free(tk);
	return 0;
}
