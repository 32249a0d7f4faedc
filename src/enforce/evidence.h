/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_EVIDENCE_H
#define SIPWARDEN_EVIDENCE_H

/*
 * evidence - why a source or a user was dropped or banned, kept for
 * `sipwardenctl why` after the log has scrolled and after the ban expired.
 *
 * Every event a worker logs (event.h: a ban, a refused ban, a blacklisted
 * User-Agent, a scanner, a malformed message, a user ban) is folded into
 * one record per (subject, rule): how many times, the first and the last
 * offending message, the bans it led to. Subjects are the source address
 * and, for authentication failures, the user too. The table is bounded
 * (limits.evidence_entries) and forgets the record touched longest ago, so
 * a flood of one kind cannot grow it; an attacker who rotates sources can
 * push old records out, which only costs history, never a verdict (the
 * table is read by the control socket alone).
 *
 * Thread-safe: workers record, the main thread queries.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "event.h"

#define EVIDENCE_STR 160
#define EVIDENCE_DEFAULT_ENTRIES 4096

enum evidence_kind { EVIDENCE_IP = 1, EVIDENCE_USER = 2 };

struct evidence_msg {
	uint64_t at_s;               /* wall clock, seconds since the epoch */
	char method[16];
	char ruri[EVIDENCE_STR];     /* escaped as in the log (event.h) */
	char callid[EVIDENCE_STR];
	char ua[EVIDENCE_STR];
	struct addr src;
};

struct evidence_rec {
	enum evidence_kind kind;
	struct addr addr;            /* EVIDENCE_IP: the source */
	char user[EVIDENCE_STR];     /* EVIDENCE_USER: user@domain, escaped */
	char rule[32];               /* "density", "ua", "malformed:cseq", ... */
	uint64_t count;              /* offending messages seen */
	uint64_t bans;               /* bans this rule created for the subject */
	uint32_t value;              /* the count against the limit, where known */
	uint32_t last_ban_time_s;
	struct addr ban_addr;        /* the last ban: address or network */
	uint8_t ban_plen;
	struct evidence_msg first, last;
};

struct evidence;

/* A table of at most entries records (0: EVIDENCE_DEFAULT_ENTRIES).
 * NULL on allocation failure. */
struct evidence *evidence_new(unsigned entries);
void evidence_free(struct evidence *ev);

/* Fold one logged event in, at wall-clock second now_s. */
void evidence_record(struct evidence *ev, const struct event *e, uint64_t now_s);

/*
 * The records about an address (its own, and those of a ban on a network
 * that contains it) or about a user, the most recently touched first; at
 * most max into out. Returns how many.
 */
size_t evidence_find_ip(struct evidence *ev, const struct addr *a,
			struct evidence_rec *out, size_t max);
size_t evidence_find_user(struct evidence *ev, const char *user,
			  struct evidence_rec *out, size_t max);

/* Records held, and the bound. */
unsigned evidence_count(struct evidence *ev);

#endif
