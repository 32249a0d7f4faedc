/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * addr - IPv4/IPv6 addresses and networks as fixed-size values.
 *
 * Everything here is pure and allocation-free: addr_net_contains() and
 * addr_hash() run for every packet, the parsers only for configuration and
 * control commands.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"

/* Longest text we hand to inet_pton(): an IPv6 address with an embedded
 * IPv4 tail is 45 characters; anything longer is garbage. */
#define ADDR_TEXT_MAX (ADDR_STRLEN - 1)

static unsigned
addr_bits(const struct addr *a)
{
	return a->family == AF_INET ? 32 : 128;
}

int
addr_parse(const char *s, struct addr *out)
{
	struct addr tmp;

	if (s == NULL || *s == '\0' || strlen(s) > ADDR_TEXT_MAX)
		return -EINVAL;
	memset(&tmp, 0, sizeof(tmp));
	/* glibc's inet_pton(AF_INET) takes only the four-part dotted decimal
	 * form, so "10.1" and "0x0a.0.0.1" are refused, as they should be. */
	if (inet_pton(AF_INET, s, tmp.a) == 1)
		tmp.family = AF_INET;
	else if (inet_pton(AF_INET6, s, tmp.a) == 1)
		tmp.family = AF_INET6;
	else
		return -EINVAL;
	*out = tmp;
	return 0;
}

/* A prefix length: 1 to 3 decimal digits, no sign, no leading zero. */
static int
parse_plen(const char *s, unsigned max, unsigned *out)
{
	unsigned v = 0;
	size_t i;

	if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0'))
		return -EINVAL;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= 3 || s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int
addr_net_parse(const char *s, struct addr_net *out)
{
	char buf[ADDR_TEXT_MAX + 1];
	struct addr a, masked;
	const char *slash;
	unsigned plen;
	size_t alen;

	if (s == NULL)
		return -EINVAL;
	slash = strchr(s, '/');
	alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen > ADDR_TEXT_MAX)
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (addr_parse(buf, &a) < 0)
		return -EINVAL;
	if (slash == NULL)
		plen = addr_bits(&a);
	else if (parse_plen(slash + 1, addr_bits(&a), &plen) < 0)
		return -EINVAL;
	masked = a;
	addr_mask(&masked, plen);
	if (!addr_equal(&masked, &a))
		return -EINVAL;
	out->base = a;
	out->plen = (uint8_t)plen;
	return 0;
}

bool
addr_net_contains(const struct addr_net *net, const struct addr *a)
{
	unsigned full, rem;
	uint8_t m;

	if (net->base.family != a->family)
		return false;
	full = net->plen / 8;
	rem = net->plen % 8;
	if (full > 16)
		return false;
	if (memcmp(net->base.a, a->a, full) != 0)
		return false;
	if (rem == 0)
		return true;
	m = (uint8_t)(0xff << (8 - rem));
	return ((net->base.a[full] ^ a->a[full]) & m) == 0;
}

bool
addr_equal(const struct addr *x, const struct addr *y)
{
	/* pad[] is deliberately not compared: callers may build addresses on
	 * the stack without clearing it. */
	return x->family == y->family && memcmp(x->a, y->a, sizeof(x->a)) == 0;
}

void
addr_mask(struct addr *a, unsigned plen)
{
	unsigned max = addr_bits(a), i;

	if (plen > max)
		plen = max;
	for (i = plen / 8; i < sizeof(a->a); i++) {
		if (i == plen / 8 && plen % 8 != 0)
			a->a[i] &= (uint8_t)(0xff << (8 - plen % 8));
		else
			a->a[i] = 0;
	}
}

const char *
addr_format(const struct addr *a, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	if ((a->family != AF_INET && a->family != AF_INET6) ||
	    inet_ntop(a->family, a->a, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
	return buf;
}

static inline uint32_t
rotl32(uint32_t x, int r)
{
	return (x << r) | (x >> (32 - r));
}

static inline uint32_t
murmur_block(uint32_t h, uint32_t k)
{
	k *= 0xcc9e2d51u;
	k = rotl32(k, 15);
	k *= 0x1b873593u;
	h ^= k;
	h = rotl32(h, 13);
	return h * 5 + 0xe6546b64u;
}

/*
 * MurmurHash3 (x86_32) over five 32-bit words: the family, then a[16]. The
 * family is mixed in as a value rather than read with pad[] so that the
 * hash agrees with addr_equal() even when pad[] holds junk. The seed is
 * random per table so that an attacker cannot aim a flood of sources at
 * one bucket.
 */
uint32_t
addr_hash(const struct addr *a, uint32_t seed)
{
	uint32_t h = seed, w;
	size_t i;

	h = murmur_block(h, a->family);
	for (i = 0; i < sizeof(a->a); i += 4) {
		memcpy(&w, a->a + i, 4);
		h = murmur_block(h, w);
	}
	h ^= 20;
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

void
addr_from_v4(struct addr *a, const void *be4)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	memcpy(a->a, be4, 4);
}

void
addr_from_v6(struct addr *a, const void *be16)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET6;
	memcpy(a->a, be16, 16);
}
