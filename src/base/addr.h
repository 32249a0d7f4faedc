/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_ADDR_H
#define SIPWARDEN_ADDR_H

/*
 * addr - IPv4/IPv6 addresses and networks as fixed-size values.
 *
 * An IPv4 address is kept as its 4 bytes in a[0..3] with the rest zero, so
 * that addresses of either family hash and compare as plain memory.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hash.h"

#define ADDR_STRLEN 46 /* INET6_ADDRSTRLEN */

struct addr {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t pad[3];
	uint8_t a[16];
};

struct addr_net {
	struct addr base; /* host bits cleared */
	uint8_t plen;     /* prefix length: 0..32 or 0..128 */
};

/* Parse "192.0.2.1" or "2001:db8::1". Returns 0 or -EINVAL. */
int addr_parse(const char *s, struct addr *out);
/* Parse "192.0.2.0/24", "2001:db8::/32" or a bare address (full length).
 * Returns 0 or -EINVAL (also for host bits set: "10.0.0.1/8" is refused, as
 * an operator who writes it has almost certainly made a mistake). */
int addr_net_parse(const char *s, struct addr_net *out);
bool addr_net_contains(const struct addr_net *net, const struct addr *a);
bool addr_equal(const struct addr *x, const struct addr *y);
/* Clear host bits beyond plen (plen is clamped to the family's length). */
void addr_mask(struct addr *a, unsigned plen);
/* Writes a NUL-terminated text form into buf (>= ADDR_STRLEN bytes). */
const char *addr_format(const struct addr *a, char *buf, size_t len);
/* The keyed hash of an address (hash.h), for tables an attacker fills. */
uint64_t addr_hash(const struct addr *a, const struct hash_key *k);
void addr_from_v4(struct addr *a, const void *be4);
void addr_from_v6(struct addr *a, const void *be16);

#endif
