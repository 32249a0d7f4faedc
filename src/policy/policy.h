/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_POLICY_H
#define SIPWARDEN_POLICY_H

/*
 * policy - the verdict on one SIP message from one source.
 *
 * policy_judge() is a function of (config, tables, message, source, now):
 * it reads no clock, does no I/O and logs nothing. It returns what to do,
 * which event happened and which ban is due; the caller makes the ban
 * happen (banops: table, kernel set, cluster, log; or policy_ban_table()
 * where there is no kernel), reports the outcome with policy_ban_done(), and
 * turns the rest into a netlink verdict and counters. That split is what
 * lets the unit tests drive every rule with an injected clock.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "allowlist.h"
#include "authtrack.h"
#include "banrate.h"
#include "bans.h"
#include "knownsrc.h"
#include "config.h"
#include "sanity.h"
#include "scanner.h"
#include "enumtrack.h"
#include "sip.h"
#include "srctab.h"
#include "trust.h"

enum policy_reason {
	POLICY_PASS = 0,        /* accepted: nothing against it */
	POLICY_TRUSTED,         /* accepted: whitelisted / peering server */
	POLICY_REPLY,           /* accepted: a reply */
	POLICY_BANNED_IP,       /* dropped: source already banned */
	POLICY_DENSITY,         /* dropped: this message exceeded the density */
	POLICY_MALFORMED,       /* dropped (or accepted by config): not sane SIP */
	POLICY_UA,              /* dropped: blacklisted User-Agent */
	POLICY_BANNED_USER,     /* dropped: the user is banned */
	POLICY_SCANNER,         /* dropped: two traits of a scanner agree */
	POLICY_SCANNER_TRAIT,   /* dropped, never banned: one scanner trait */
	POLICY_REASON__MAX
};

enum policy_event {
	POLICY_EV_NONE = 0,
	POLICY_EV_BAN_IP,       /* a new IP ban was created (density or UA) */
	POLICY_EV_BAN_REFUSED,  /* a ban was due but the table is full */
	POLICY_EV_MALFORMED,
	POLICY_EV_UA,
	POLICY_EV_AUTH_BAN,     /* failed_auth_attempts reached: user/IP banned */
	POLICY_EV_SCANNER,      /* a scanner's fingerprint (maybe banned) */
};

struct policy_verdict {
	bool drop;
	enum policy_reason reason;
	enum policy_event event;
	bool parsed;            /* msg holds a scanned message */
	enum sip_flaw flaw;     /* when reason is POLICY_MALFORMED */
	enum sanity_fail sanity;/* when malformed although it scanned */
	bool ban_due;           /* an IP ban of ban_addr/ban_plen is decided */
	bool ban_spared;        /* a ban was due but would hit a trusted party */
	bool ban_limited;       /* a ban was due but its prefix made too many, or
				 * all sources did (banops.h, BANOPS_LINES_*) */
	bool known_source;      /* a banned user, let through from a known source */
	bool ban_refused;       /* outcome: the table is full (policy_ban_done) */
	bool new_ban;           /* outcome: this message created an IP ban */
	enum ban_reason ban_reason;
	uint32_t ban_time_s;
	struct addr ban_addr;   /* what was banned: the source, or its IPv6 */
	uint8_t ban_plen;       /*  prefix (dos_ipv6_prefix) */
	unsigned traits;        /* POLICY_SCANNER*: SCANNER_BIT() mask */
};

#define POLICY_UA_CACHE 64

/* Per-worker policy state. cfg_gen changes whenever cfg does, so that
 * per-source cached answers (trusted) are recomputed lazily. */
struct policy {
	const struct config *cfg;
	uint32_t cfg_gen;
	struct srctab *src;
	struct bantab *bans;
	struct txntab *txns;    /* per worker; NULL: auth tracking off */
	struct enumtab *enums;  /* per worker; NULL: enumeration detection off */
	struct failtab *fails;  /* shared */
	struct failtab *offenders; /* shared; NULL: no repeat-offender tracking */
	const struct hostaddr *host; /* the host's own addresses; NULL: none known */
	struct banrate *banrate; /* per worker; NULL: bans per prefix not limited */
	struct knowntab *known;  /* shared; NULL: no lockout protection */
	/* The operator's allow-list (allowlist.h), trusted like the YAML
	 * whitelists; NULL: empty. The worker swaps it at a batch boundary
	 * with a new cfg_gen, so that cached trust is computed again. */
	const struct allow_snap *allow;
	/* Per worker: the blacklist's verdict on recently seen User-Agents
	 * (a phone fleet sends a handful of them), valid for one config
	 * generation. Spares regexec() per request. A slot is trusted on
	 * its 64-bit hash alone, so the hash is keyed: with a known one a
	 * scanner could pick a User-Agent whose hash equals a cached benign
	 * one and inherit its verdict. */
	struct {
		uint64_t hash[POLICY_UA_CACHE];
		uint8_t bad[POLICY_UA_CACHE];
		uint32_t gen;
	} ua_cache;
	/* Keys (hash.h) of the transaction identity txn_key() and of the UA
	 * cache; policy_keys_init() draws them, or the first message does. */
	struct hash_key txn_hkey, ua_hkey;
	bool keyed;
};

/* Draw the policy's hash keys from getrandom(). 0 or -errno; a worker
 * must not judge with a predictable key. */
int policy_keys_init(struct policy *p);

/* What a server reply told us (policy_reply()). */
struct policy_auth {
	enum policy_event event;   /* POLICY_EV_AUTH_BAN or NONE */
	bool failure;              /* a 401/407/403 to credentials */
	bool success;              /* a 2xx reset the count */
	uint32_t failures;         /* consecutive count after this reply */
	/* Decisions, made to happen by the caller (see policy_judge()): */
	bool user_ban_due;         /* ban txn.user for user_ban_s */
	bool ip_ban_due;           /* ban ban_addr/ban_plen for ip_ban_s (auth) */
	bool enum_ban_due;         /* ban ban_addr/ban_plen for enum_ban_s */
	uint32_t user_ban_s, ip_ban_s, enum_ban_s;
	/* Outcomes, filled by the caller: */
	bool ip_banned;            /* new IP ban (kernel set) */
	bool user_banned;          /* new or extended user ban */
	bool enum_banned;          /* new enumeration ban */
	uint32_t ban_time_s;       /* what the log line says */
	struct txn txn;            /* the request it answered */
	/* enumeration: the source answered "no such user" too often */
	uint32_t enum_users;
	bool ban_spared;           /* an IP ban was due on a trusted party */
	bool ban_limited;          /* ... or its prefix made too many bans */
	struct addr ban_addr;
	uint8_t ban_plen;
};

/*
 * Judge one UDP payload (or one complete TCP-framed message) from src.
 * m receives the scanned message (valid when v->parsed).
 */
void policy_judge(struct policy *p, const struct addr *src, const uint8_t *payload,
		  size_t len, uint64_t now_ms, struct sip_msg *m, struct policy_verdict *v);

/*
 * A packet whose payload cannot be read (a TLS connection attempt): only
 * the IP bans and the density rule apply to it.
 */
void policy_judge_opaque(struct policy *p, const struct addr *src, uint64_t now_ms,
			 struct policy_verdict *v);

/*
 * A reply sent by the SIP server itself (it is never judged: replies are
 * accepted at once and read after the verdicts). Counts authentication
 * failures against the request it answers and bans at
 * failed_auth_attempts.
 */
void policy_reply(struct policy *p, const struct sip_msg *m, uint64_t now_ms,
		  struct policy_auth *out);

/*
 * Is src banned (by address or by a network that holds it)? Trust is
 * checked first: a trusted source is never "banned", whatever a ban of its
 * network says (issue 17: a spoofed neighbour must not get a whitelisted
 * peer dropped).
 */
bool policy_ip_banned(struct policy *p, const struct addr *src, uint64_t now_ms);

/*
 * The outcome of v's due ban: r is bantab_add()'s answer (1 new, 0 kept or
 * extended, negative: refused). Sets new_ban, ban_refused and the event.
 */
void policy_ban_done(struct policy_verdict *v, int r);
/* Where bans reach no kernel (sipwarden-replay, tests): v's due ban, or
 * a's, into the table t alone, outcomes filled. */
void policy_ban_table(struct bantab *t, struct policy_verdict *v, uint64_t now_ms);
void policy_reply_table(struct bantab *t, struct policy_auth *a, uint64_t now_ms);

/* Is this User-Agent (NUL-terminated, unfolded) blacklisted for method? */
bool policy_ua_blacklisted(const struct config *cfg, enum sip_method method, const char *ua);

const char *policy_reason_name(enum policy_reason r);

#endif
