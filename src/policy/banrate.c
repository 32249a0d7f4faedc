/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "banrate.h"
#include "hash.h"

struct slot {
	uint64_t tag;        /* hash of the prefix; 0: free */
	uint64_t start_ms;   /* window start */
	uint32_t n;          /* bans in this window */
};

struct banrate {
	struct hash_key key;
	struct slot slots[BANRATE_SLOTS];
};

struct banrate *
banrate_new(void)
{
	struct banrate *r = calloc(1, sizeof(*r));

	if (r && hash_key_random(&r->key) < 0) {
		free(r);
		return NULL;
	}
	return r;
}

void
banrate_free(struct banrate *r)
{
	free(r);
}

bool
banrate_take(struct banrate *r, const struct addr *src, uint64_t now_ms)
{
	struct addr p = *src;
	struct slot *s;
	uint64_t h;

	if (!r)
		return true;
	addr_mask(&p, src->family == AF_INET ? 16 : 48);
	h = hash_bytes(&r->key, p.a, sizeof(p.a)) ^ p.family;
	h |= 1;
	s = &r->slots[(h >> 1) % BANRATE_SLOTS];
	if (s->tag != h || now_ms - s->start_ms >= BANRATE_WINDOW_MS || now_ms < s->start_ms) {
		/* Another prefix's slot is taken over only when its window
		 * is over; until then both share its budget. */
		if (s->tag == h || now_ms - s->start_ms >= BANRATE_WINDOW_MS ||
		    now_ms < s->start_ms) {
			s->tag = h;
			s->start_ms = now_ms;
			s->n = 0;
		}
	}
	if (s->n >= BANRATE_MAX)
		return false;
	s->n++;
	return true;
}
