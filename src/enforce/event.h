/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_EVENT_H
#define SIPWARDEN_EVENT_H

/*
 * event - what a worker tells the operator after a verdict.
 *
 * A worker records events during a batch (event_capture copies the few
 * strings it needs out of the packet buffer, which is reused by the next
 * receive) and logs them once the verdicts are sent, so log I/O never
 * delays a verdict. Texts keep the Sipwise NGCP wording that fail2ban
 * filters match; every attacker-supplied string is escaped so that it can
 * neither break the line nor forge an "IP='...'" for a log scraper to ban.
 */

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "policy.h"
#include "sip.h"

#define EVENT_STR 256

struct event {
	enum policy_event ev;
	enum policy_reason reason;
	enum sip_flaw flaw;
	enum sanity_fail sanity;
	enum ban_reason ban_reason;
	uint32_t ban_time_s;
	bool new_ban;
	struct addr src;
	struct addr ban_addr;   /* the banned address or network */
	uint8_t ban_plen;
	unsigned traits;        /* SCANNER_BIT() mask */
	uint32_t enum_users;
	uint32_t failures;      /* auth ban: consecutive failures counted */
	char method[16];        /* request method, "" when unknown */
	char ruri[EVENT_STR];
	char callid[EVENT_STR];
	char ua[EVENT_STR];
	char user[EVENT_STR];
};

/* Fill e from a verdict and the (possibly unparsed) message. */
void event_capture(struct event *e, const struct policy_verdict *v, const struct addr *src,
		   const struct sip_msg *m);
/* Fill e from an authentication-failure ban (policy_reply()). */
void event_capture_auth(struct event *e, const struct policy_auth *a);
/* Fill e from an enumeration ban (policy_reply()). */
void event_capture_enum(struct event *e, const struct policy_auth *a);
/*
 * Log it (rate-limited per kind where an attacker can repeat it at will).
 * In monitor mode the wording says "would", and differs from the ban lines
 * so that no fail2ban filter acts on a ban that never happened.
 */
void event_log(const struct event *e, uint64_t now_ms, bool monitor);
/*
 * The line of a ban that is new (banops' thread): what fail2ban reads, so
 * never suppressed - not by the per-kind limits above, not by the log
 * budget (log.h). What bounds these lines is the number of bans that can
 * be made: banops.h, BANOPS_LINES_*.
 */
void event_log_ban(const struct event *e, uint64_t now_ms, bool monitor);

/* log_escape(): the one escaping of attacker text for the log. */
char *event_escape(const char *in, size_t inlen, char *out, size_t outlen);

#endif
