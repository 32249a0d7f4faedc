/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "hostaddr.h"

struct hostaddr {
	_Atomic uint32_t seq; /* odd while the writer changes the list */
	_Atomic uint32_t n;
	uint64_t overflow;
	struct addr a[HOSTADDR_MAX];
};

struct hostaddr *
hostaddr_new(void)
{
	return calloc(1, sizeof(struct hostaddr));
}

void
hostaddr_free(struct hostaddr *h)
{
	free(h);
}

static void
write_begin(struct hostaddr *h)
{
	atomic_fetch_add_explicit(&h->seq, 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
}

static void
write_end(struct hostaddr *h)
{
	atomic_fetch_add_explicit(&h->seq, 1, memory_order_release);
}

/* Addresses are compared as memory (addr.h): clear the padding. */
static struct addr
clean(const struct addr *a)
{
	struct addr c = *a;

	memset(c.pad, 0, sizeof(c.pad));
	return c;
}

void
hostaddr_replace(struct hostaddr *h, const struct addr *a, unsigned n)
{
	write_begin(h);
	if (n > HOSTADDR_MAX) {
		h->overflow += n - HOSTADDR_MAX;
		n = HOSTADDR_MAX;
	}
	for (unsigned i = 0; i < n; i++)
		h->a[i] = clean(&a[i]);
	atomic_store_explicit(&h->n, n, memory_order_relaxed);
	write_end(h);
}

int
hostaddr_add(struct hostaddr *h, const struct addr *a)
{
	struct addr c = clean(a);
	unsigned n = h->n;

	for (unsigned i = 0; i < n; i++)
		if (addr_equal(&h->a[i], &c))
			return 0;
	if (n >= HOSTADDR_MAX) {
		h->overflow++;
		return -ENOSPC;
	}
	write_begin(h);
	h->a[n] = c;
	atomic_store_explicit(&h->n, n + 1, memory_order_relaxed);
	write_end(h);
	return 0;
}

void
hostaddr_del(struct hostaddr *h, const struct addr *a)
{
	struct addr c = clean(a);
	unsigned n = h->n;

	for (unsigned i = 0; i < n; i++)
		if (addr_equal(&h->a[i], &c)) {
			write_begin(h);
			h->a[i] = h->a[n - 1];
			atomic_store_explicit(&h->n, n - 1, memory_order_relaxed);
			write_end(h);
			return;
		}
}

/*
 * Run match over a consistent view of the list. The copy of each entry is
 * made under the sequence check, so a torn read is retried, never used.
 * The writer changes the list a few times a day: the retry bound is only a
 * guard against a writer stuck mid-change, and then the answer errs towards
 * "the host's" (no ban), the safe side.
 */
static bool
scan(const struct hostaddr *h, bool (*match)(const struct addr *, const void *), const void *arg)
{
	for (int tries = 0; tries < 1000; tries++) {
		uint32_t s0 = atomic_load_explicit(&h->seq, memory_order_acquire);
		bool hit = false;
		uint32_t n;

		if (s0 & 1)
			continue;
		n = atomic_load_explicit(&h->n, memory_order_relaxed);
		if (n > HOSTADDR_MAX)
			n = HOSTADDR_MAX;
		for (uint32_t i = 0; i < n && !hit; i++) {
			struct addr c;

			memcpy(&c, &h->a[i], sizeof(c));
			hit = match(&c, arg);
		}
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&h->seq, memory_order_relaxed) == s0)
			return hit;
	}
	return true;
}

static bool
match_equal(const struct addr *x, const void *arg)
{
	return addr_equal(x, arg);
}

struct netarg {
	struct addr net;
	unsigned plen;
};

static bool
match_net(const struct addr *x, const void *arg)
{
	const struct netarg *na = arg;
	struct addr m = *x;

	if (x->family != na->net.family)
		return false;
	addr_mask(&m, na->plen);
	return addr_equal(&m, &na->net);
}

bool
hostaddr_contains(const struct hostaddr *h, const struct addr *a)
{
	struct addr c;

	if (!h)
		return false;
	c = clean(a);
	return scan(h, match_equal, &c);
}

bool
hostaddr_in_net(const struct hostaddr *h, const struct addr *net, unsigned plen)
{
	struct netarg na;

	if (!h)
		return false;
	na.net = clean(net);
	na.plen = plen;
	addr_mask(&na.net, plen);
	return scan(h, match_net, &na);
}

unsigned
hostaddr_count(const struct hostaddr *h)
{
	return h ? atomic_load_explicit(&h->n, memory_order_relaxed) : 0;
}

uint64_t
hostaddr_overflow(const struct hostaddr *h)
{
	return h ? h->overflow : 0;
}
