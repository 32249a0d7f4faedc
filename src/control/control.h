/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_CONTROL_H
#define SIPWARDEN_CONTROL_H

/*
 * control - the Unix control socket that sipwardenctl talks to.
 *
 * It runs in the daemon's main thread, inside the daemon's own poll loop:
 * every socket is non-blocking, a client is served one request line and one
 * response (ctlproto.h), and nothing a client sends or fails to send can
 * stall the loop or disturb the workers. At most CONTROL_MAX_CLIENTS at
 * once; a client with no complete request (or a response it does not read)
 * for CONTROL_IDLE_MS is closed.
 *
 * The socket is mode 0660 owned by root and CONTROL_GROUP when that group
 * exists, else 0600 root only. Each peer is checked with SO_PEERCRED: root,
 * or a member (primary or supplementary) of the group; everyone else gets
 * "ERR denied" and is disconnected (logged, rate-limited).
 *
 * The daemon is reached only through struct control_ops, so this module
 * knows nothing of workers or configs.
 */

#include <poll.h>
#include <stdint.h>
#include <stdio.h>

#include "bans.h"
#include "ctlproto.h"

#define CONTROL_GROUP "sipwarden"
#define CONTROL_MAX_CLIENTS 32
#define CONTROL_MAX_FDS (1 + CONTROL_MAX_CLIENTS)
#define CONTROL_IDLE_MS 5000

/* What the daemon does for the control socket. All run in the thread that
 * calls control_handle(). */
struct control_ops {
	/* Ban for secs seconds (never 0): 1 new, 0 existing ban kept or
	 * extended, -ENOSPC table full, other negative errno. */
	int (*ban)(void *ctx, const struct ban_key *k, uint32_t secs);
	/* 0, or -ENOENT when there is no such ban. */
	int (*unban)(void *ctx, const struct ban_key *k);
	uint32_t (*unban_all)(void *ctx);
	/* 0, or a negative errno with a reason in errbuf (may hold several
	 * lines: they are joined). */
	int (*reload)(void *ctx, char *errbuf, size_t len);
	void (*status)(void *ctx, struct ctl_status *out);
	void (*stats)(void *ctx, struct ctl_stats *out);
	/* Visit every live ban (bantab_foreach()). */
	void (*foreach_ban)(void *ctx, bantab_cb cb, void *arg);
	/* The cluster node a ban came from into buf; false when unknown. May
	 * be NULL (no cluster). */
	bool (*ban_origin)(void *ctx, const struct ban_key *k, char *buf, size_t len);
	/* Called after a change succeeded (ban, unban, unban --all, reload) and
	 * before the answer: make it durable (the state file, the cluster). 0,
	 * or a negative errno with why a restart could undo it in note; the
	 * answer is still OK, with that warning. */
	int (*commit)(void *ctx, char *note, size_t len);
	/* Fill w's evidence records, limits and now_s for w->key (the bans
	 * are the control's to find). May be NULL: no evidence kept. */
	void (*why)(void *ctx, struct ctl_why *w);
	/* Fill t (t->limit rows at most) for top. May be NULL. */
	void (*top)(void *ctx, struct ctl_top *t);
	/*
	 * The runtime allow-list (allowlist.h); all three may be NULL: none.
	 * allow: add k for secs seconds (0: permanent) with comment ("" none),
	 * or replace its entry, and lift every ban it covers (*lifted: how
	 * many). 1 new, 0 replaced, -ENOSPC full (limits.max_allowed), -EDOM
	 * too wide without force, -EINVAL not a key, other negative errno.
	 */
	int (*allow)(void *ctx, const struct ban_key *k, uint32_t secs, const char *comment,
		     bool force, uint32_t *lifted);
	/* 0, or -ENOENT when k is not allowed. */
	int (*disallow)(void *ctx, const struct ban_key *k);
	/* Visit every entry, as `allowed` shows it (remaining and age now). */
	void (*foreach_allow)(void *ctx, void (*cb)(const struct ctl_allow *e, void *arg),
			      void *arg);
};

struct control;

/*
 * Create the listening socket at path (a stale socket file is replaced; a
 * live one, answered by another daemon, is -EADDRINUSE). group may be NULL
 * for CONTROL_GROUP. 0 or a negative errno.
 */
int control_open(struct control **out, const char *path, const char *group,
		 const struct control_ops *ops, void *ctx);
/* Close every client and the socket, and remove the socket file. */
void control_close(struct control *c);

/*
 * Fill pfds with the sockets to poll (the listening socket and each
 * client's, with the events wanted) and return how many (at most max;
 * CONTROL_MAX_FDS is always enough).
 */
unsigned control_poll_fds(struct control *c, struct pollfd *pfds, unsigned max);
/*
 * Serve what poll() reported in the n entries control_poll_fds() filled,
 * then close idle clients. Call it after every poll(), timeouts included.
 */
void control_handle(struct control *c, const struct pollfd *pfds, unsigned n, uint64_t now_ms);

/* Write the Prometheus exposition to path atomically (a temporary file in
 * the same directory, then rename). 0 or a negative errno. */
int control_write_stats_file(const char *path, const struct ctl_stats *st);

#endif
