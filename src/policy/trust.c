/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>
#include <sys/socket.h>

#include "trust.h"

static bool
is_loopback(const struct addr *a)
{
	static const uint8_t one[16] = { [15] = 1 };

	if (a->family == AF_INET)
		return a->a[0] == 127;
	return a->family == AF_INET6 && memcmp(a->a, one, 16) == 0;
}

enum trust_martian
trust_martian(const struct hostaddr *host, const struct addr *src, bool on_loopback)
{
	static const uint8_t zero[16];
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (is_loopback(src))
		return on_loopback ? TRUST_MARTIAN_NONE : TRUST_MARTIAN_LOOPBACK;
	if (src->family == AF_INET) {
		if (src->a[0] == 0)
			return TRUST_MARTIAN_THIS_NET;
		if ((src->a[0] & 0xf0) == 0xe0)
			return TRUST_MARTIAN_MULTICAST;
		if (src->a[0] == 255 && src->a[1] == 255 && src->a[2] == 255 && src->a[3] == 255)
			return TRUST_MARTIAN_BROADCAST;
	} else if (src->family == AF_INET6) {
		if (memcmp(src->a, zero, 16) == 0)
			return TRUST_MARTIAN_THIS_NET;
		if (src->a[0] == 0xff)
			return TRUST_MARTIAN_MULTICAST;
		if (memcmp(src->a, mapped, 12) == 0)
			return TRUST_MARTIAN_V4MAPPED;
	}
	/* The host's own address arriving from a wire: the kernel would call
	 * it a martian too, but only after PREROUTING, where the queue is.
	 * Local traffic to a local address comes in on lo. */
	if (!on_loopback && hostaddr_contains(host, src))
		return TRUST_MARTIAN_HOST;
	return TRUST_MARTIAN_NONE;
}

static bool
nets_overlap(const struct addr_net *n, const struct addr *net, unsigned plen)
{
	struct addr x = n->base, y = *net;
	unsigned p = n->plen < plen ? n->plen : plen;

	if (x.family != y.family)
		return false;
	addr_mask(&x, p);
	addr_mask(&y, p);
	return addr_equal(&x, &y);
}

static bool
list_overlaps(const struct addr_net *l, unsigned n, const struct addr *net, unsigned plen)
{
	for (unsigned i = 0; i < n; i++)
		if (nets_overlap(&l[i], net, plen))
			return true;
	return false;
}

bool
trust_net_covers(const struct config *cfg, const struct hostaddr *host,
		 const struct addr *net, unsigned plen)
{
	struct addr lo;

	/* loopback: 127/8 and ::1 */
	memset(&lo, 0, sizeof(lo));
	lo.family = net->family;
	if (net->family == AF_INET)
		lo.a[0] = 127;
	else
		lo.a[15] = 1;
	{
		struct addr_net ln = { .base = lo, .plen = (uint8_t)(net->family == AF_INET ? 8 : 128) };

		if (nets_overlap(&ln, net, plen))
			return true;
	}
	if (list_overlaps(cfg->whitelist, cfg->n_whitelist, net, plen) ||
	    list_overlaps(cfg->peering_servers, cfg->n_peering_servers, net, plen) ||
	    list_overlaps(cfg->server_addresses, cfg->n_server_addresses, net, plen))
		return true;
	return hostaddr_in_net(host, net, plen);
}

bool
trust_never_ban(const struct config *cfg, const struct hostaddr *host, const struct addr *a)
{
	return trust_net_covers(cfg, host, a, a->family == AF_INET ? 32 : 128);
}
