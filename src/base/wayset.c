/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "wayset.h"

uint32_t
wayset_count(uint32_t want, unsigned max_log2)
{
	uint32_t n = 1;

	while ((uint64_t)n * WAYSET_WAYS < want && n < (1u << max_log2))
		n <<= 1;
	return n;
}

struct wayset *
wayset_alloc(uint32_t n)
{
	size_t sz = (size_t)n * sizeof(struct wayset);
	struct wayset *s = aligned_alloc(_Alignof(struct wayset), sz);

	if (s)
		memset(s, 0, sz);
	return s;
}

unsigned
wayset_claim(struct wayset *s, uint64_t key, uint64_t now_ms, uint64_t ttl_ms, bool *evicted)
{
	unsigned i, v = 0;

	*evicted = false;
	for (i = 0; i < WAYSET_WAYS; i++) {
		if (s->key[i] == key || s->key[i] == 0 || now_ms - s->born[i] >= ttl_ms) {
			v = i;
			goto claim;
		}
		if (s->born[i] < s->born[v])
			v = i;
	}
	*evicted = true;
claim:
	s->key[v] = key;
	s->born[v] = now_ms;
	return v;
}

int
wayset_find(struct wayset *s, uint64_t key, uint64_t now_ms, uint64_t ttl_ms)
{
	for (unsigned i = 0; i < WAYSET_WAYS; i++) {
		if (s->key[i] != key)
			continue;
		if (now_ms - s->born[i] >= ttl_ms) {
			s->key[i] = 0;
			return -1;
		}
		return (int)i;
	}
	return -1;
}
