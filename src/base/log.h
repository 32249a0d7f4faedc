/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_LOG_H
#define SIPWARDEN_LOG_H

/*
 * log - one place that decides where messages go.
 *
 * Under systemd (stderr is the journal stream) messages go to journald with
 * structured fields (SIPWARDEN_EVENT, SIPWARDEN_IP, SIPWARDEN_USER,
 * SIPWARDEN_UA, SIPWARDEN_CALLID); otherwise to stderr as one line each with
 * a timestamp. The MESSAGE text of ban events keeps the Sipwise NGCP wording
 * so that existing fail2ban filters keep working.
 *
 * Thread-safe. Events that an attacker can trigger at line rate go through
 * a log_ratelimit so a flood cannot flood the journal.
 */

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

enum log_target { LOG_TARGET_AUTO = 0, LOG_TARGET_STDERR, LOG_TARGET_JOURNAL };

void log_init(enum log_target target, int max_priority);

/* Structured context of an event; any field may be NULL. */
struct log_fields {
	const char *event;  /* SIPWARDEN_EVENT, e.g. "ban-ip" */
	const char *ip;
	const char *user;
	const char *ua;
	const char *callid;
	bool ban;           /* the line of a new ban: never suppressed (budget below) */
};

/*
 * The one escaping of attacker-derived text (SIP headers, user keys, cluster
 * keys, control requests) for a log line or a journal field: printable ASCII
 * is kept except the quotes ' and " and the backslash; every other byte
 * (control bytes, DEL, anything above ASCII, UTF-8 included) becomes \xHH.
 * So the text can neither break a line nor close the quotes of an NGCP line
 * and forge an "IP '...' is blocked" for a log scraper (fail2ban) to act on.
 * Truncated at a whole escape to fit outlen (>= 1). Returns out.
 */
char *log_escape(const char *in, size_t inlen, char *out, size_t outlen);
/* log_escape() of a NUL-terminated string (NULL gives ""). */
char *log_escape_str(const char *in, char *out, size_t outlen);

/*
 * Every message and field is also scrubbed on its way out: a control byte
 * or DEL that reached it unescaped is written as \xHH, so no line can be
 * split or forged whatever a caller forgot. (Quotes cannot be told apart
 * from the format's own there: attacker text goes through log_escape().)
 */
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_event(int prio, const struct log_fields *f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * A token bucket: at most `burst` messages, refilled at `per_sec` a second.
 * log_ratelimit_take() returns true when a message may be logged; when it
 * refuses, it counts the suppressed message, and the next allowed message
 * can report how many were suppressed (*suppressed, reset by the call).
 */
struct log_ratelimit {
	uint32_t per_sec;
	uint32_t burst;
	/* private */
	uint64_t last_ms;
	double tokens;
	uint64_t suppressed;
	atomic_bool lock; /* a spinlock: held for a few instructions */
};

#define LOG_RATELIMIT_INIT(rate, b) { .per_sec = (rate), .burst = (b), .tokens = (b) }

bool log_ratelimit_take(struct log_ratelimit *rl, uint64_t now_ms, uint64_t *suppressed);

/*
 * The global log budget, under journald's default rate limit (10000
 * messages per 30 s, beyond which it drops a service's messages, ban lines
 * included): at most LOG_BUDGET_BURST lines at once and LOG_BUDGET_RATE a
 * second after, so at most 5000 in any 30 s. A line over budget is
 * counted, and the next line let through (or the next upkeep tick, see
 * log_budget_flush()) is preceded by "N more log lines suppressed". The
 * line of a new ban (log_fields.ban, also in monitor mode: what fail2ban
 * reads), the ban table's fill warnings (event ban-table: once per
 * crossing, once a minute at most, and wanted most when a flood spends the
 * budget) and lines of priority LOG_CRIT or above are never suppressed;
 * they draw on the budget all the same, so the rest yields to them. What
 * keeps the whole below journald's limit is then the number of bans that
 * can be made (banops.h, BANOPS_LINES_*: at most 4000 lines in 30 s).
 */
#define LOG_BUDGET_RATE 100
#define LOG_BUDGET_BURST 2000
/*
 * Say "N more log lines suppressed" now if lines were suppressed and no
 * summary went out in the last second. A summary otherwise rides only on
 * the next line let through, so a flood that stops would never be summed
 * up; the daemon calls this from its one-second upkeep tick.
 */
void log_budget_flush(void);
/* Tests: the budget's clock (NULL: the monotonic clock), and a full budget. */
void log_budget_reset(uint64_t (*now_ms)(void));

#endif
