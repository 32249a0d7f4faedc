/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "banfilter.h"
#include "hash.h"

#define BANFILTER_BITS 16
#define BANFILTER_STUCK 255 /* a counter that got here never comes down */

struct banfilter {
	struct hash_key key;
	_Atomic uint8_t count[1u << BANFILTER_BITS];
};

struct banfilter *
banfilter_new(void)
{
	struct banfilter *f = calloc(1, sizeof(*f));

	if (f && hash_key_random(&f->key) < 0) {
		free(f);
		return NULL;
	}
	return f;
}

void
banfilter_free(struct banfilter *f)
{
	free(f);
}

static _Atomic uint8_t *
slot(const struct banfilter *f, const void *key, size_t len)
{
	uint64_t h = hash_quick(&f->key, key, len);

	return (_Atomic uint8_t *)&f->count[h >> (64 - BANFILTER_BITS)];
}

void
banfilter_add(struct banfilter *f, const void *key, size_t len)
{
	_Atomic uint8_t *c = slot(f, key, len);
	uint8_t v = atomic_load_explicit(c, memory_order_relaxed);

	/* Raised before the ban is linked: the link's store publishes it. */
	while (v != BANFILTER_STUCK &&
	       !atomic_compare_exchange_weak_explicit(c, &v, (uint8_t)(v + 1), memory_order_release,
						      memory_order_relaxed))
		;
}

void
banfilter_del(struct banfilter *f, const void *key, size_t len)
{
	_Atomic uint8_t *c = slot(f, key, len);
	uint8_t v = atomic_load_explicit(c, memory_order_relaxed);

	/* A stuck counter no longer knows how many bans it holds. 0 cannot
	 * be seen here (a del follows its add), but must never wrap. */
	while (v != BANFILTER_STUCK && v != 0 &&
	       !atomic_compare_exchange_weak_explicit(c, &v, (uint8_t)(v - 1), memory_order_release,
						      memory_order_relaxed))
		;
}

bool
banfilter_maybe(const struct banfilter *f, const void *key, size_t len)
{
	return atomic_load_explicit(slot(f, key, len), memory_order_acquire) != 0;
}
