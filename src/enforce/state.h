/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_STATE_H
#define SIPWARDEN_STATE_H

/*
 * state - bans saved in the state directory, so that they survive a
 * restart, an upgrade or a crash.
 *
 * The file (STATE_FILE under the state directory) is text, one ban a line,
 * with absolute wall-clock expiry so that time spent stopped counts against
 * the ban. It is written atomically: a temporary file, fsync, rename, fsync
 * of the directory. On load, a damaged line is skipped and counted, the good
 * ones are kept, and a damaged file is moved aside (never deleted) for a
 * person to look at.
 *
 * The operator's runtime allow-list (allowlist.h) is saved in the same file,
 * one "allow" line an entry, so that a ban and the allow that lifted it are
 * never saved apart.
 */

#include <stdint.h>

#include "allowlist.h"
#include "bans.h"
#include "knownsrc.h"

#define STATE_FILE "bans.state"

struct state_report {
	uint32_t loaded;     /* bans restored */
	uint32_t expired;    /* skipped: ran out while we were down */
	uint32_t bad_lines;  /* skipped: unreadable */
	uint32_t refused;    /* skipped: table full */
	uint32_t allowed;    /* allow-list entries restored */
	uint32_t allow_expired; /* skipped: ran out while we were down */
	uint32_t allow_refused; /* skipped: the allow-list is full */
	uint32_t known;      /* known sources restored */
	uint32_t known_skipped; /* under another key (cluster.key_file changed), expired, or not kept */
	int truncated;       /* no end marker */
	char moved_to[4200]; /* where a damaged file went ("" if not moved) */
};

/* Save t's bans and al's entries (al may be NULL: none). Returns the
 * number of bans written or a negative errno. */
int state_save(const char *dir, struct bantab *t, struct allowlist *al, uint64_t now_ms,
	       int64_t now_wall);
/* Load into t, and into al (NULL: allow lines are skipped, not counted as
 * damage). Returns 0 (also when there is no file yet) or a negative errno
 * for I/O failures; content damage is reported in *rep, not as an error. */
int state_load(const char *dir, struct bantab *t, struct allowlist *al, uint64_t now_ms,
	       int64_t now_wall, struct state_report *rep);

/*
 * The users' known sources (knownsrc.h) travel in the same file, so that a
 * restart does not lift alice's lockout protection: "knownkey <32 hex>"
 * (the table's hash key: an entry is only its hash) then one "known <16
 * hex> <wall s of the last success>" a source younger than ttl_ms. On
 * load, a table whose key is not fixed (no cluster) adopts the file's; a
 * fixed key that differs (cluster.key_file changed) skips the entries. The
 * table bounds what a file can bring in. known may be NULL (as above).
 */
struct state_known {
	struct knowntab *t;
	uint64_t ttl_ms;     /* security.known_source_time */
};

int state_save_known(const char *dir, struct bantab *t, struct allowlist *al,
		     const struct state_known *known, uint64_t now_ms, int64_t now_wall);
int state_load_known(const char *dir, struct bantab *t, struct allowlist *al,
		     const struct state_known *known, uint64_t now_ms, int64_t now_wall,
		     struct state_report *rep);

#endif
