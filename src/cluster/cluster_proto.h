/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_CLUSTER_PROTO_H
#define SIPWARDEN_CLUSTER_PROTO_H

/*
 * cluster_proto - the pure half of the cluster (cluster.h): the text lines
 * nodes exchange through Redis, the Redis key names, and the two bounded
 * tables the cluster thread shares with the rest of the daemon (the queue of
 * bans to publish, and which node each ban came from). No sockets, no clock:
 * everything is handed in, so the unit tests drive every path.
 *
 * A message (doc/cluster.md) is one line of space-separated words:
 *
 *   SW1 ban <node> <kind> <key> <reason> <expires>
 *   SW1 unban <node> <kind> <key>
 *   SW1 unban-all <node>
 *   SW1 hello <node> <now>
 *   SW1 allow <node> <kind> <key> <expires> =<comment>
 *   SW1 disallow <node> <kind> <key>
 *   SW1 known <node> <hash> <when>
 *
 * kind is "ip" or "user"; key is an address, address/prefix, or
 * user@domain with every byte outside %x21-7E and "%" percent-encoded;
 * reason is a ban_reason_name(); expires and now are wall-clock seconds
 * since the epoch. known shares a user's known source (knownsrc.h): hash is
 * the entry's 16 hex digits under the key every node derives from
 * cluster.key_file (cluster_auth_known_key()), when the wall-clock second
 * of its last success; it is only published, never stored. A ban's Redis key is <prefix>ban:<kind>:<key> and its
 * value is the "ban" line itself.
 *
 * allow and disallow carry the operator's runtime allow-list (allowlist.h):
 * expires 0 is a permanent entry; the comment is encoded as a user key is,
 * behind a "=" that keeps an empty one a word. An allow's Redis key is
 * <prefix>allow:<kind>:<key>, its value the "allow" line.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "allowlist.h"
#include "bans.h"
#include "config.h"
#include "hash.h"

#define CLUSTER_NODE_MAX CONFIG_NODE_MAX
#define CLUSTER_PREFIX_MAX CONFIG_PREFIX_MAX
#define CLUSTER_VERSION "SW1"
/* The longest line: a user key of BAN_KEY_MAX bytes and an allow's
 * comment, all encoded. */
#define CLUSTER_LINE_MAX (3 * BAN_KEY_MAX + 3 * ALLOW_COMMENT_MAX + CLUSTER_NODE_MAX + 96 + \
			  CLUSTER_SIG_MAX)
/* " t=<seconds> mac=<64 hex>" */
#define CLUSTER_SIG_MAX (4 + 20 + 5 + 64)
/* A message published more than this far from the receiver's clock (either
 * way) is refused: replay protection. Nodes' clocks must agree (NTP). */
#define CLUSTER_WINDOW_S 30
#define CLUSTER_KEYNAME_MAX (CLUSTER_PREFIX_MAX + 3 * BAN_KEY_MAX + 16)

enum cluster_op {
	CLUSTER_OP_NONE = 0,
	CLUSTER_OP_BAN,
	CLUSTER_OP_UNBAN,
	CLUSTER_OP_UNBAN_ALL,
	CLUSTER_OP_HELLO,
	CLUSTER_OP_ALLOW,
	CLUSTER_OP_DISALLOW,
	CLUSTER_OP_KNOWN,
};

struct cluster_msg {
	enum cluster_op op;
	char node[CLUSTER_NODE_MAX + 1];
	struct ban_key key;     /* ban, unban */
	enum ban_reason reason; /* ban */
	int64_t time;           /* ban: expiry; hello: sender's clock (wall s); allow:
				 * expiry, 0 permanent; known: last success */
	uint64_t known;         /* known: the entry's hash (never 0) */
	char comment[ALLOW_COMMENT_MAX + 1]; /* allow: raw bytes, no NUL */
};

/* Encode m as a line (no LF) into buf. Returns its length or -ENOSPC. */
int cluster_msg_encode(const struct cluster_msg *m, char *buf, size_t len);
/* Decode one line of len bytes. 0, -EPROTO (not ours or a later version)
 * or -EINVAL (damaged). */
int cluster_msg_decode(const char *line, size_t len, struct cluster_msg *m);

/*
 * Signatures (doc/cluster.md). Every line a node writes (published or stored
 * in Redis) ends in " t=<wall seconds> mac=<hex HMAC-SHA-256>", the MAC over
 * everything before " mac=" under the key of cluster.key_file, which every
 * node shares. Whoever can write to Redis without the key can neither forge
 * nor alter a ban or an unban; a published line is only taken within
 * CLUSTER_WINDOW_S of its time, so an old one cannot be replayed (a stored
 * ban line is bounded by its own expiry instead).
 */
struct cluster_auth {
	uint8_t key[64];
	size_t key_len;
};

/*
 * Read the key file: a regular file owned by one of the n uids in owners,
 * neither group nor others may read or write it, 16 to 4096 bytes (trailing
 * white space ignored). 0, or a negative errno with a message for the
 * operator in err (what is wrong and what to change). A NULL path is
 * refused (-ENOKEY).
 */
int cluster_auth_load(struct cluster_auth *a, const char *path, const unsigned *owners,
		      unsigned n, char *err, size_t errlen);
/* The known-source table's hash key (knownsrc.h) of a cluster: the same on
 * every node holding the key file, and unrelated to the signing key (an
 * HMAC of a fixed label under it). */
void cluster_auth_known_key(const struct cluster_auth *a, struct hash_key *out);
/* Sign the n-byte line in buf (size len) made at wall time now: returns the
 * new length or -ENOSPC. */
int cluster_msg_sign(const struct cluster_auth *a, char *buf, size_t len, int n, int64_t now);
/* cluster_msg_encode() and sign. */
int cluster_msg_encode_signed(const struct cluster_auth *a, const struct cluster_msg *m,
			      int64_t now, char *buf, size_t len);
/*
 * Check a signed line and decode it. With window, its time must be within
 * CLUSTER_WINDOW_S of now. 0; -EBADMSG (no signature or a wrong one);
 * -ETIME (outside the window); else as cluster_msg_decode().
 */
int cluster_msg_open(const struct cluster_auth *a, const char *line, size_t len, int64_t now,
		     bool window, struct cluster_msg *m);

/* The key as a message carries it, percent-encoded: "203.0.113.7",
 * "2001:db8:a::/64", "alice@example.org" (3 * BAN_KEY_MAX + 1 bytes is
 * always enough). Returns the length or -ENOSPC. */
int cluster_key_text(const struct ban_key *k, char *buf, size_t len);
/* <prefix>ban:<kind>:<key> for k. Returns its length or -ENOSPC. */
int cluster_key_name(const char *prefix, const struct ban_key *k, char *buf, size_t len);
/* <prefix>allow:<kind>:<key> for k, likewise. */
int cluster_allow_key_name(const char *prefix, const struct ban_key *k, char *buf, size_t len);

/*
 * The queue of ban events from the workers and the main thread to the
 * cluster thread: a bounded ring under a mutex held only for a copy. A
 * full queue drops the event and counts it (a worker never waits).
 */
struct cluster_queue {
	pthread_mutex_t lock;
	struct cluster_msg *ring;
	uint32_t cap, head, n;
	uint64_t dropped;  /* under lock */
	uint64_t pushed;   /* under lock: messages ever queued */
};

int cluster_queue_init(struct cluster_queue *q, uint32_t cap);
void cluster_queue_fini(struct cluster_queue *q);
/* 1 when the queue was empty before (wake the consumer), 0, or -ENOSPC
 * when full (dropped and counted). */
int cluster_queue_push(struct cluster_queue *q, const struct cluster_msg *m);
/* Up to max messages, oldest first; returns how many. */
uint32_t cluster_queue_pop(struct cluster_queue *q, struct cluster_msg *out, uint32_t max);
uint64_t cluster_queue_dropped(struct cluster_queue *q);
/* Messages ever queued: the n-th pushed is the n-th popped (FIFO). */
uint64_t cluster_queue_pushed(struct cluster_queue *q);

/*
 * Which node each ban came from, for `bans` and so that a node re-publishes
 * only its own bans. Bounded (cap entries; when full, entries past their
 * expiry go first, then the insert is refused); each entry forgets itself at
 * its ban's expiry (cluster_origins_prune()).
 */
struct cluster_origins;

struct cluster_origins *cluster_origins_new(uint32_t cap);
void cluster_origins_free(struct cluster_origins *o);
/* Record (or replace) the origin of k until expires (wall s). When keep is
 * true an existing entry keeps its node (its expiry may grow). now (wall
 * s) lets a full table drop expired entries first. 0, -ENOSPC or -ENOMEM. */
int cluster_origins_set(struct cluster_origins *o, const struct ban_key *k, const char *node,
			int64_t expires, bool keep, int64_t now);
void cluster_origins_del(struct cluster_origins *o, const struct ban_key *k);
void cluster_origins_clear(struct cluster_origins *o);
/* Copy the origin of k into buf (CLUSTER_NODE_MAX + 1 bytes); false when
 * none is known. */
bool cluster_origins_get(struct cluster_origins *o, const struct ban_key *k, char *buf,
			 size_t len);
/* Forget entries whose expiry is at or before now; returns how many. */
uint32_t cluster_origins_prune(struct cluster_origins *o, int64_t now);
uint32_t cluster_origins_count(struct cluster_origins *o);

#endif
