/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_TRUST_H
#define SIPWARDEN_TRUST_H

/*
 * trust - who may never be banned, and which sources cannot be real.
 *
 * Guards against weaponisation (issue 17): UDP sources can be spoofed, so a
 * ban that an attacker can cause must never land on the host itself, its
 * SIP server, a peer or a whitelisted address, nor on a network that holds
 * one of them (an IPv6 /64 ban, a blocklist or cluster entry, an operator's
 * network ban). And a source no real packet can carry (loopback from a
 * wire, 0.0.0.0/8, multicast, broadcast, ::, v4-mapped) is a forgery: it
 * is dropped and counted, never banned (a ban of it would only hurt).
 */

#include <stdbool.h>

#include "addr.h"
#include "config.h"
#include "hostaddr.h"

enum trust_martian {
	TRUST_MARTIAN_NONE = 0,
	TRUST_MARTIAN_LOOPBACK,    /* 127/8 or ::1 not on the loopback interface */
	TRUST_MARTIAN_THIS_NET,    /* 0.0.0.0/8, :: */
	TRUST_MARTIAN_MULTICAST,   /* 224/4, ff00::/8 */
	TRUST_MARTIAN_BROADCAST,   /* 255.255.255.255 */
	TRUST_MARTIAN_V4MAPPED,    /* ::ffff:0:0/96 as an IPv6 source */
	TRUST_MARTIAN_HOST,        /* the host's own address, from a wire */
	TRUST_MARTIAN__MAX
};

/*
 * Can a packet from src that arrived on a non-loopback interface (or, when
 * on_loopback, on lo) be real? host may be NULL.
 */
enum trust_martian trust_martian(const struct hostaddr *host, const struct addr *src,
				 bool on_loopback);

/*
 * Never banned: loopback, the host's own addresses, sip.server_addresses,
 * peering servers and whitelists. host may be NULL.
 */
bool trust_never_ban(const struct config *cfg, const struct hostaddr *host, const struct addr *a);

/*
 * Would a ban of net/plen cover (or overlap) anything never to be banned?
 * A single address (full length) is the same as trust_never_ban().
 */
bool trust_net_covers(const struct config *cfg, const struct hostaddr *host,
		      const struct addr *net, unsigned plen);

#endif
