/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * addr - IPv4/IPv6 addresses and networks as fixed-size values.
 *
 * Everything here is pure and allocation-free: addr_net_contains() and
 * addr_hash() run for every packet, the parsers only for configuration and
 * control commands.
 */

#include <arpa/inet.h>
#include <endian.h>
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
	/* pad[], and a[4..15] of an IPv4 address, are deliberately not
	 * compared: callers may build addresses on the stack without clearing
	 * them, and addr_hash() reads exactly these bytes too. */
	return x->family == y->family && memcmp(x->a, y->a, addr_bits(x) / 8) == 0;
}

void
addr_mask(struct addr *a, unsigned plen)
{
	unsigned max = addr_bits(a);
	uint64_t w[2];

	if (plen > max)
		plen = max;
	/* Two big-endian words, a mask each: a ban lookup masks the address
	 * once for every prefix length a ban uses, on every packet, and the
	 * byte loop this replaces was half the lookup's cost. */
	memcpy(w, a->a, sizeof(w));
	for (unsigned i = 0; i < 2; i++) {
		unsigned keep = plen > 64 * i ? plen - 64 * i : 0;

		if (keep < 64)
			w[i] &= htobe64(keep ? ~0ULL << (64 - keep) : 0);
	}
	memcpy(a->a, w, sizeof(w));
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

/*
 * SipHash-1-3 under the table's key (hash.h): an attacker who picks the
 * addresses (spoofed UDP sources, a /64 to rotate through) cannot aim
 * them at one bucket. IPv4 hashes as one word and IPv6 as two, so the
 * two families never meet on one input; pad[] is never read, so the hash
 * agrees with addr_equal() even when pad[] holds junk.
 */
uint64_t
addr_hash(const struct addr *a, const struct hash_key *k)
{
	uint64_t w0, w1;

	if (a->family == AF_INET) {
		uint32_t v4;

		memcpy(&v4, a->a, 4);
		return hash_u64(k, v4);
	}
	memcpy(&w0, a->a, 8);
	memcpy(&w1, a->a + 8, 8);
	return hash_u64x2(k, w0, w1);
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
