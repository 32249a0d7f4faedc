/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_BANOPS_H
#define SIPWARDEN_BANOPS_H

/*
 * banops - the one owner of "a ban happened": the daemon's table, the
 * kernel sets, the cluster's other nodes and the log kept in step.
 *
 * banops_ban() may be called from any thread (workers, the control and
 * upkeep code on the main thread, the cluster thread). It writes the table
 * at once, so that the caller's very next packet is judged against it, and
 * tells the cluster (cluster_publish_*() never blocks). What needs a
 * netlink round trip or log I/O - the kernel set add, the log line - goes
 * through a bounded queue to banops' own thread, so no verdict waits for
 * it. Nothing is dropped silently: when the queue is full the kernel sets
 * are marked dirty and resynced from the table at once (counted, logged
 * rate-limited), and the lines that did not fit are counted.
 *
 * Unbans go through the same queue, so that a kernel-set delete never
 * overtakes the add it undoes. The thread is the only writer of the kernel
 * sets: resyncs (at start, after a failure or a full queue, and daily) run
 * there too, in order with the adds and deletes.
 */

#include <stdbool.h>
#include <stdint.h>

#include "allowlist.h"
#include "bans.h"
#include "event.h"
#include "evidence.h"

#define BANOPS_QUEUE_DEFAULT 1024

/*
 * How many new bans with a verdict's line (what fail2ban reads) can be
 * made: BANOPS_LINES_IP_RATE a second after a burst of
 * BANOPS_LINES_IP_BURST for IP bans, and a bucket of its own for user bans
 * so that a flood of spoofed IP bans never takes alice's. Past that the ban
 * is not made (-EBUSY; the packet is still dropped, and counted as
 * bans_limited, like banrate.h's per-prefix limit).
 *
 * Why a cap on bans rather than on their lines: a ban line is never
 * suppressed (event_log_ban(): a ban fail2ban does not see is a ban half
 * made), yet journald drops everything of a service past 10000 lines in
 * 30 s (its default burst), ban lines included. In any 30 s the ban lines
 * are at most 80 x 30 + 800 + 20 x 30 + 200 = 4000, the rest at most the
 * log budget's 5000 (log.h; ban lines draw on it, so the rest yields to
 * them), and the budget's summaries 30: 9030, below 10000. A real attack
 * rarely needs 80 new bans a second for long, and one that does is one
 * the kernel set drops anyway for every source already banned.
 */
#define BANOPS_LINES_IP_RATE 80
#define BANOPS_LINES_IP_BURST 800
#define BANOPS_LINES_USER_RATE 20
#define BANOPS_LINES_USER_BURST 200
#define BANOPS_RETRY_MS 5000    /* a failed resync is retried this often */

struct banops;

/* Who else must hear of a new ban (the cluster), set by the daemon: 0 or
 * a negative errno (cluster_publish_ban()). */
typedef int (*banops_publish_fn)(void *ctx, const struct ban_key *k, enum ban_reason r,
				 uint32_t secs);

enum banops_flags {
	BANOPS_PUBLISH = 1,     /* tell the cluster's other nodes */
	/* One of many at once (a blocklist file, a cluster load): the table
	 * now, the kernel sets by one resync rather than a queue flood. */
	BANOPS_BULK = 2,
};

/* The log line of a new ban: a verdict's event (event_log()), or else, when
 * what is set, "<what>: IP '<key>' banned by <by> (<reason>) for <secs> s"
 * (the key is escaped there; by must be escaped by the caller already).
 * NULL or both empty: no line. */
struct banops_line {
	const struct event *ev;
	const char *what;
	const char *by;
	int *publish_ret;       /* NULL, or out: what publishing answered */
};

struct banops_stats {
	uint64_t kset_errors;   /* kernel set updates and resyncs that failed */
	uint64_t queue_full;    /* bans and unbans that found the queue full */
	uint64_t lines_lost;    /* of those, ban lines not logged */
	uint64_t resyncs;       /* kernel set resyncs done */
	uint32_t queued;        /* waiting for the thread now */
	bool resync_due;        /* a resync is pending */
	bool kset_usable;       /* the ipset netlink socket opened */
	bool kset_broken;       /* the last resync failed */
};

/* A banops over bans with a queue of cap entries (0: the default); no
 * thread yet, no kernel set. NULL without memory. */
struct banops *banops_new(struct bantab *bans, uint32_t cap, bool monitor);
/* Open the kernel set, resync it from the table (what is queued by then is
 * covered by it) and start the thread. 0 or a negative errno (no thread;
 * an unusable kernel set is not an error: the workers drop banned
 * sources themselves, said once in the log). */
int banops_start(struct banops *b, uint64_t now_ms);
/* Apply what is queued, stop and join the thread, free. NULL is a no-op. */
void banops_free(struct banops *b);

void banops_set_publish(struct banops *b, banops_publish_fn fn, void *ctx);
/* `sipwardenctl why`: a new ban's verdict line is folded into ev at once
 * (in the caller's thread; evidence.h is thread-safe), never lost to a
 * full queue. */
void banops_set_evidence(struct banops *b, struct evidence *ev);
/* The operator's allow-list (allowlist.h; NULL: none): a ban that would
 * cover an allowed address, network or user is refused (-EPERM), whoever
 * makes it - a worker, the operator, a blocklist, another node. Set before
 * the first ban. */
void banops_set_allowlist(struct banops *b, struct allowlist *al);
/* Monitor mode: the table records, the kernel sets and the cluster are
 * never touched, the lines say "would". */
void banops_set_monitor(struct banops *b, bool monitor);
bool banops_monitor(const struct banops *b);

/*
 * Ban key for secs seconds, or extend its ban (any thread). flags: enum
 * banops_flags; line: logged when the ban is new (may be NULL). Returns
 * bantab_add()'s answer: 1 new, 0 kept or extended, negative errno
 * (-ENOSPC: the table is full; -EPERM: the allow-list covers key; -EBUSY:
 * a new ban with a verdict's line past BANOPS_LINES_*; nothing else
 * happens then).
 */
int banops_ban(struct banops *b, const struct ban_key *k, enum ban_reason r, uint32_t secs,
	       uint64_t now_ms, unsigned flags, const struct banops_line *line);
/* Unban; -ENOENT when there was no such ban. The cluster is not told:
 * the caller knows whether it should be. flags: BANOPS_BULK or 0. */
int banops_unban(struct banops *b, const struct ban_key *k, unsigned flags);
/*
 * Lift every ban an allow of key covers (allowlist.h): a user's ban by its
 * name; an IP ban that overlaps the network either way, inside it or wider
 * and holding part of it (the kernel set cannot carve a hole in a network
 * ban). Each goes as banops_unban() does, then cb (may be NULL) is called
 * with it, outside any lock. The cluster is not told: cb may. Returns how
 * many; without memory to list them some stay (logged).
 */
typedef void (*banops_lift_cb)(const struct ban_key *lifted, void *arg);
uint32_t banops_lift(struct banops *b, const struct ban_key *key, uint64_t now_ms,
		     banops_lift_cb cb, void *arg);
/* Unban everything; returns how many. */
uint32_t banops_unban_all(struct banops *b);
/* Have the thread make the kernel sets hold exactly the table's live IP
 * bans, soon (any thread). */
void banops_resync_soon(struct banops *b);

void banops_get_stats(struct banops *b, struct banops_stats *st);

#endif
