/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_KERNELSET_H
#define SIPWARDEN_KERNELSET_H

/*
 * kernelset - banned networks in the kernel's ipset sets, over netlink.
 *
 * sipwarden-rules creates two hash:net sets with per-element timeouts,
 * sipwarden4 and sipwarden6, matched by a DROP rule in raw/PREROUTING
 * (before conntrack and before the queue). The daemon adds an element when
 * it bans and deletes it when it unbans, with a timeout equal to the time
 * the ban has left, so the kernel drops a banned flood without a userspace
 * round trip and keeps dropping it while the daemon is down.
 *
 * Why ipset and not an nf_tables set: iptables-nft's `-m set` match works on
 * every Debian kernel, the sets survive a daemon restart and are listed with
 * a tool every operator knows (`ipset list`), and the netlink protocol is
 * small and versioned (negotiated at open).
 *
 * One struct kernelset per thread: it owns a netlink socket and is not
 * locked.
 */

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define KERNELSET_NAME4 "sipwarden4"
#define KERNELSET_NAME6 "sipwarden6"
/* ipset keeps timeouts in jiffies-derived milliseconds: its limit. */
#define KERNELSET_MAX_TIMEOUT 2147483u

enum kernelset_cmd { KERNELSET_ADD, KERNELSET_DEL, KERNELSET_FLUSH };

struct kernelset;

/* Open a netlink socket and negotiate the ipset protocol version.
 * 0 or negative errno (-EPROTONOSUPPORT without ipset in the kernel). */
int kernelset_open(struct kernelset **out);
void kernelset_close(struct kernelset *ks);

/*
 * Add a (plen-bit) network with a timeout in seconds (clamped to
 * KERNELSET_MAX_TIMEOUT; 0 is raised to 1 since 0 would mean forever), or
 * refresh the timeout of an element already there. Returns 0 or a negative
 * errno; -ENOENT when the set does not exist.
 */
int kernelset_add(struct kernelset *ks, const struct addr *a, uint8_t plen, uint32_t timeout_s);
/* Delete; an element that is not there is not an error. */
int kernelset_del(struct kernelset *ks, const struct addr *a, uint8_t plen);
/* Remove every element of the set of one family (AF_INET / AF_INET6). */
int kernelset_flush(struct kernelset *ks, int family);

/*
 * Build one ipset request into buf (len bytes). Exposed for the unit tests
 * that check the attribute layout. Returns the message length or -ENOSPC.
 */
int kernelset_build(void *buf, size_t len, enum kernelset_cmd cmd, uint8_t protocol,
		    uint32_t seq, int family, const struct addr *a, uint8_t plen,
		    uint32_t timeout_s);

#endif
