/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_RTNL_H
#define SIPWARDEN_RTNL_H

/*
 * rtnl - what the kernel's routing netlink says about this host: its own
 * addresses (kept current in a hostaddr snapshot from RTM_NEWADDR /
 * RTM_DELADDR) and the interface a destination is routed through.
 *
 * Used by the daemon's main thread only; the workers read the hostaddr
 * snapshot without a lock (hostaddr.h).
 */

#include <stdint.h>

#include "addr.h"
#include "hostaddr.h"

struct rtnl;

/* Subscribe to address changes and load the current list into h.
 * 0 or a negative errno. */
int rtnl_open(struct rtnl **out, struct hostaddr *h);
void rtnl_close(struct rtnl *r);
/* The socket to poll for POLLIN. */
int rtnl_fd(const struct rtnl *r);
/* Apply the pending notifications (never blocks). After a lost
 * notification (-ENOBUFS) the whole list is loaded again. 0 or -errno. */
int rtnl_process(struct rtnl *r);
/* The output interface of the route to dst (RTM_GETROUTE). 0 or -errno
 * (-ENETUNREACH when there is no route). */
int rtnl_route_ifindex(const struct addr *dst, uint32_t *ifindex);

#endif
