/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_UPKEEP_H
#define SIPWARDEN_UPKEEP_H

/*
 * upkeep - the main thread's care of the ban table between packets: save
 * it to and restore it from the state directory, keep the kernel sets in
 * step with it (resync on start, after a failure, and once a day), expire
 * bans, and load the blocklist files. Runs on the main thread only.
 */

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "banops.h"
#include "bans.h"
#include "config.h"
#include "hostaddr.h"

struct upkeep {
	const char *state_dir;
	struct bantab *bans;
	struct allowlist *allow;      /* saved and restored with the bans (may be NULL) */
	struct banops *ops;
	const struct hostaddr *host;  /* the host's addresses (may be NULL) */
	struct knowntab *known;       /* saved with the bans (may be NULL) */
	uint64_t known_ttl_ms;        /* known_source_time, for the restore */
	uint64_t known_saved_version; /* knowntab_version() at the last save */
	uint64_t saved_version;       /* bantab_version() at the last save */
	uint64_t saved_allow_version; /* allowlist_version() likewise */
	bool save_failed;             /* logged once per failure streak */
	uint64_t next_full_resync_ms; /* ipset caps timeouts at 24.8 days */
	bool full_warned;             /* the table passed UPKEEP_FULL_WARN_PCT */
	uint64_t evicted_seen;        /* bantab_evicted() at the last report */
	uint64_t refused_seen;        /* bantab_refused() at the last report */
	uint64_t next_report_ms;      /* evictions/refusals: one line a minute */
};

/* The ban table's fill that warns (and, once below the lower mark, re-arms). */
#define UPKEEP_FULL_WARN_PCT 80
#define UPKEEP_FULL_REARM_PCT 70
/* Expiries logged one by one per tick; the rest in one summary line. */
#define UPKEEP_EXPIRY_LINES 10

/* Load the saved bans, allow-list and known sources (creating the state
 * directory if needed). */
void upkeep_restore(struct upkeep *u, uint64_t now);
/* Save when the table or the allow-list changed since the last save (never in monitor mode:
 * -EPERM). 0 when the file holds the table (saved now, or unchanged since
 * the last save), else the negative errno of the failed save. */
int upkeep_save(struct upkeep *u, const struct config *cfg, uint64_t now);
/*
 * Remove expired bans: the first UPKEEP_EXPIRY_LINES each tick get a line
 * of their own, the rest one summary line (a flood of spoofed sources
 * expires by the thousand). Warns when the table passes
 * UPKEEP_FULL_WARN_PCT, sums up evictions and refusals once a minute, and
 * flushes the log budget's "N more suppressed" summary (log.h).
 */
void upkeep_expire(struct upkeep *u, uint64_t now);
/* Have banops resync the kernel sets once a day. */
void upkeep_resync(struct upkeep *u, uint64_t now);
/* Replace every blocklist ban with what cfg's blocklist_files say now. */
void upkeep_blocklists(struct upkeep *u, const struct config *cfg, uint64_t now);
/* Log each line of a multi-line error text (config and blocklist errors). */
void upkeep_log_lines(char *text);

#endif
