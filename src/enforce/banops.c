/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "banops.h"
#include "log.h"

static void
key_addr(const struct ban_key *k, struct addr *a)
{
	memcpy(a, k->data, sizeof(*a));
}

static int
kset_add(struct banops *b, const struct ban_key *k, uint64_t secs)
{
	struct addr a;
	int ret;

	if (b->monitor || k->kind != BAN_KIND_IP)
		return 0;
	if (!b->ks)
		return -ENOTCONN;
	key_addr(k, &a);
	ret = kernelset_add(b->ks, &a, k->plen, secs > UINT32_MAX ? UINT32_MAX : (uint32_t)secs);
	if (ret < 0)
		b->kset_errors++;
	return ret;
}

int
banops_ban(struct banops *b, const struct ban_key *k, enum ban_reason r, uint32_t secs,
	   uint64_t now_ms)
{
	int ret = bantab_add(b->bans, k, r, now_ms, (uint64_t)secs * 1000u);

	if (ret >= 0)
		kset_add(b, k, secs);
	return ret;
}

int
banops_unban(struct banops *b, const struct ban_key *k)
{
	int ret = bantab_del(b->bans, k);

	if (ret == 0 && k->kind == BAN_KIND_IP && b->ks) {
		struct addr a;

		key_addr(k, &a);
		if (kernelset_del(b->ks, &a, k->plen) < 0)
			b->kset_errors++;
	}
	return ret;
}

uint32_t
banops_unban_all(struct banops *b)
{
	uint32_t n = bantab_clear(b->bans);

	if (b->ks) {
		kernelset_flush(b->ks, AF_INET);
		kernelset_flush(b->ks, AF_INET6);
	}
	return n;
}

struct collect {
	struct ban_key *keys;
	uint64_t *expires;
	size_t n, cap;
};

static void
collect_ip(const struct ban_info *bi, void *arg)
{
	struct collect *c = arg;

	if (bi->key->kind != BAN_KIND_IP)
		return;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		struct ban_key *k = realloc(c->keys, cap * sizeof(*k));
		uint64_t *e = k ? realloc(c->expires, cap * sizeof(*e)) : NULL;

		if (k)
			c->keys = k;
		if (!k || !e)
			return; /* counted below as a short copy */
		c->expires = e;
		c->cap = cap;
	}
	/* bantab allocates only the used part of a key: copy no more. */
	memcpy(&c->keys[c->n], bi->key, offsetof(struct ban_key, data) + bi->key->len);
	c->expires[c->n] = bi->expires_ms;
	c->n++;
}

int
banops_resync(struct banops *b, uint64_t now_ms)
{
	struct collect c = { 0 };
	int ret;

	if (!b->ks) {
		if (!b->set_broken)
			log_msg(LOG_ERR, "kernel ban sets unusable (no ipset netlink); banned "
				"sources are dropped by the daemon itself");
		b->set_broken = true;
		return -ENOTCONN;
	}
	ret = kernelset_flush(b->ks, AF_INET);
	if (ret == 0)
		ret = kernelset_flush(b->ks, AF_INET6);
	if (ret < 0)
		goto fail;
	if (!b->monitor) {
		/* Copy first: the kernel round trips must not run under the
		 * table's shard locks, which the workers need. */
		bantab_foreach(b->bans, now_ms, collect_ip, &c);
		for (size_t i = 0; i < c.n && ret == 0; i++) {
			uint64_t left = (c.expires[i] - now_ms + 999) / 1000;

			ret = kset_add(b, &c.keys[i], left);
		}
		free(c.keys);
		free(c.expires);
		if (ret < 0)
			goto fail;
	}
	if (b->set_broken)
		log_msg(LOG_NOTICE, "kernel ban sets back in step (%zu IP bans)", c.n);
	b->set_broken = false;
	return 0;
fail:
	if (!b->set_broken)
		log_msg(LOG_ERR, "kernel ban sets %s/%s: %s%s; banned sources are dropped by "
			"the daemon itself, retrying", KERNELSET_NAME4, KERNELSET_NAME6,
			strerror(-ret), ret == -ENOENT ? " (run 'sipwarden-rules install')" : "");
	b->set_broken = true;
	b->kset_errors++;
	return ret;
}
