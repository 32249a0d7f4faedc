/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_HOSTADDR_H
#define SIPWARDEN_HOSTADDR_H

/*
 * hostaddr - the host's own addresses, as a snapshot every worker reads
 * without a lock.
 *
 * One writer (the daemon's main thread, fed by rtnl.c from RTM_NEWADDR /
 * RTM_DELADDR) replaces the whole list; readers run on every packet that
 * would be banned, so they never block: a sequence counter around a fixed
 * array (a seqlock) lets a reader retry in the rare case that it raced a
 * change. Nothing is allocated after hostaddr_new(), so there is no freeing
 * to coordinate with readers.
 *
 * Why it exists: a spoofed packet "from" the host's own address must never
 * make the host ban itself (issue 17).
 */

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"

#define HOSTADDR_MAX 256 /* addresses past this are not remembered (counted) */

struct hostaddr;

struct hostaddr *hostaddr_new(void);
void hostaddr_free(struct hostaddr *h);

/* Writer side (one thread). Replace the whole list (n > HOSTADDR_MAX is
 * cut and counted in hostaddr_overflow()). */
void hostaddr_replace(struct hostaddr *h, const struct addr *a, unsigned n);
/* Add or remove one address; add returns -ENOSPC when the list is full. */
int hostaddr_add(struct hostaddr *h, const struct addr *a);
void hostaddr_del(struct hostaddr *h, const struct addr *a);

/* Reader side (any thread; h may be NULL: nothing is the host's). */
bool hostaddr_contains(const struct hostaddr *h, const struct addr *a);
/* Does the network net/plen hold any of the host's addresses? */
bool hostaddr_in_net(const struct hostaddr *h, const struct addr *net, unsigned plen);
unsigned hostaddr_count(const struct hostaddr *h);
uint64_t hostaddr_overflow(const struct hostaddr *h);

#endif
