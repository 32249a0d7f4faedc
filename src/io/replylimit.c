/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "replylimit.h"

int
replylimit_init(struct replylimit *r, uint32_t interval_ms, struct log_ratelimit *global)
{
	memset(r, 0, sizeof(*r));
	r->interval_ms = interval_ms;
	r->global = global;
	return hash_key_random(&r->key);
}

bool
replylimit_take(struct replylimit *r, const struct addr *dst, uint64_t now_ms)
{
	/* addr_hash()/addr_equal(), never the raw struct: pad[] (and a[4..15]
	 * of an IPv4 address built without memset) may hold junk, and two
	 * copies of one victim address hashing apart would each get their
	 * own answer, evading the per-destination limit. */
	struct replylimit_slot *s =
		&r->slot[addr_hash(dst, &r->key) % REPLYLIMIT_SLOTS];
	bool same = s->last_ms && addr_equal(&s->dst, dst);

	/* One slot per hash: another address in it is forgotten, which only
	 * lets that one (random, keyed) address be answered again. */
	if (same && s->last_ms && now_ms - s->last_ms < r->interval_ms) {
		r->refused_dst++;
		return false;
	}
	if (r->global && !log_ratelimit_take(r->global, now_ms, NULL)) {
		r->refused_global++;
		return false;
	}
	s->dst = *dst;
	s->last_ms = now_ms ? now_ms : 1;
	return true;
}
