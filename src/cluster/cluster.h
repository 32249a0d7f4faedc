/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_CLUSTER_H
#define SIPWARDEN_CLUSTER_H

/*
 * cluster - bans shared by several sipwarden nodes through Redis
 * (doc/cluster.md).
 *
 * One thread of its own owns two hiredis connections: one SUBSCRIBEd to
 * <prefix>bans, one for commands. Every ban and unban this node makes is
 * handed over through a bounded queue (cluster_publish_*(): never blocks,
 * drops and counts when full), then stored as <prefix>ban:<kind>:<key> with
 * a TTL equal to the ban's remaining time and published on the channel.
 * What other nodes publish is applied through banops (its table, kernel
 * sets and log) from the cluster thread. Messages carry the
 * sender's node name; a node ignores its own.
 *
 * Redis unreachable: bans keep being enforced locally; the outage is logged
 * once and counted, the thread reconnects with exponential backoff (capped
 * at 30 s) and, when the link is back, sends the unbans made meanwhile,
 * loads the cluster's bans and re-publishes this node's own. No worker ever
 * waits for Redis.
 *
 * The operator's runtime allow-list travels too (allow, disallow; stored as
 * <prefix>allow:<kind>:<key>): a peer's allow is added to this node's list
 * with the peer as its origin and lifts the bans it covers here. Each node
 * expires a timed entry itself, at the same wall-clock second.
 *
 * Density counting, failure counters and repeat offenders stay local to each
 * node; bans and allows travel, and so do the users' known sources
 * (lockout protection, knownsrc.h): a node publishes what its outbox
 * holds, and merges what the others publish into its bounded table.
 */

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "banops.h"
#include "bans.h"
#include "cluster_proto.h"
#include "config.h"
#include "ctlproto.h"
#include "hostaddr.h"
#include "knownsrc.h"

struct cluster;

/*
 * Start the cluster thread for cfg's cluster: section and wait until its
 * first connection attempt has loaded the cluster's bans into bans (or
 * failed, or CLUSTER_LOAD_WAIT_MS passed): call it before READY, and after
 * the process blocked the signals it handles (a thread inherits the mask).
 * A failed connection is not an error (the thread keeps trying). Peers'
 * bans go through ops, which must outlive the cluster. changed_fd (an
 * eventfd, or -1) is written when another node's unban changed the table,
 * so that the daemon saves it at once rather than at its next tick. 0 or a
 * negative errno (no memory, no thread).
 */
#define CLUSTER_LOAD_WAIT_MS 5000
/*
 * Load and check cluster.key_file (cluster_auth_load()): owned by this
 * process's user, by root, or (run as root, as --check-config is) by the
 * service user "sipwarden". 0, or a negative errno with the operator's
 * message in err. The daemon refuses to start, and --check-config fails,
 * when the cluster is on and this fails.
 */
int cluster_check_key(const struct config *cfg, struct cluster_auth *out, char *err, size_t len);
/*
 * On a cluster the users' known sources (knownsrc.h) are hashed under a key
 * derived from cluster.key_file, the same on every node: set it (fixed)
 * before the saved ones are loaded. 0 or the negative errno of
 * cluster_check_key() (the table keeps its key then).
 */
int cluster_known_key(const struct config *cfg, struct knowntab *known);
/* host: the host's addresses, never banned by a peer (may be NULL); known:
 * the known sources, shared with and learnt from the other nodes (may be
 * NULL). */
int cluster_start(struct cluster **out, const struct config *cfg, struct bantab *bans,
		  struct banops *ops, struct allowlist *allow, int changed_fd,
		  const struct hostaddr *host, struct knowntab *known);
/* Stop and join the thread, close the connections. NULL is a no-op. */
void cluster_stop(struct cluster *c);
/* After a reload: monitor mode and the trusted addresses follow cfg; the
 * connection settings take effect at restart (a change is logged). */
void cluster_reconfigure(struct cluster *c, const struct config *cfg);

/* Publish this node's ban / unban (any thread; c may be NULL). Never
 * blocks on Redis. Not in monitor mode. 0 (queued, or nothing to publish)
 * or -ENOSPC: the queue was full, the event is lost (counted). */
int cluster_publish_ban(struct cluster *c, const struct ban_key *k, enum ban_reason r,
			uint32_t secs);
int cluster_publish_unban(struct cluster *c, const struct ban_key *k);
int cluster_publish_unban_all(struct cluster *c);
/* This node's allow of e->key / its removal, likewise. */
int cluster_publish_allow(struct cluster *c, const struct allow_entry *e);
int cluster_publish_disallow(struct cluster *c, const struct ban_key *k);
/*
 * Wait, at most timeout_ms, until every event published so far has been
 * stored in Redis: what the control socket waits for before it answers an
 * operator's change. 0 (c NULL: at once); -ENOTCONN when the link is down
 * or failed meanwhile (unbans wait for the link, bans are re-published
 * then, but a restart before that loads the old state from Redis);
 * -ETIMEDOUT.
 */
int cluster_flush(struct cluster *c, unsigned timeout_ms);

/* The node k's ban came from into buf (CTL_NODE_MAX + 1); false when not
 * known (a blocklist entry, a ban from before the start). */
bool cluster_ban_origin(struct cluster *c, const struct ban_key *k, char *buf, size_t len);
void cluster_get_status(struct cluster *c, struct ctl_cluster *st);

#endif
