/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "clock.h"
#include "log.h"

static pthread_mutex_t budget_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t (*budget_clock)(void) = clock_mono_ms;
static double budget_tokens = LOG_BUDGET_BURST;
static uint64_t budget_last_ms, budget_suppressed, budget_summary_ms;

void
log_budget_reset(uint64_t (*now_ms)(void))
{
	pthread_mutex_lock(&budget_lock);
	budget_clock = now_ms ? now_ms : clock_mono_ms;
	budget_tokens = LOG_BUDGET_BURST;
	budget_last_ms = 0;
	budget_suppressed = 0;
	budget_summary_ms = 0;
	pthread_mutex_unlock(&budget_lock);
}

/* A token for one line; `always` takes it even in debt (down to one burst
 * below zero). *sup: lines suppressed so far, handed out at most once a
 * second (the summaries must not spend the budget they report on). */
static bool
budget_take(bool always, uint64_t *sup)
{
	uint64_t now;
	bool ok;

	pthread_mutex_lock(&budget_lock);
	now = budget_clock();
	if (budget_last_ms && now > budget_last_ms) {
		budget_tokens += (double)(now - budget_last_ms) * LOG_BUDGET_RATE / 1000.0;
		if (budget_tokens > LOG_BUDGET_BURST)
			budget_tokens = LOG_BUDGET_BURST;
	}
	if (!budget_last_ms || now > budget_last_ms)
		budget_last_ms = now;
	ok = always || budget_tokens >= 1.0;
	if (ok) {
		budget_tokens -= 1.0;
		if (budget_tokens < -LOG_BUDGET_BURST)
			budget_tokens = -LOG_BUDGET_BURST;
		if (budget_suppressed && (!budget_summary_ms || now - budget_summary_ms >= 1000)) {
			*sup = budget_suppressed;
			budget_suppressed = 0;
			budget_summary_ms = now ? now : 1;
		}
	} else {
		budget_suppressed++;
	}
	pthread_mutex_unlock(&budget_lock);
	return ok;
}

static void emit_out(int prio, const struct log_fields *f, const char *msg);

static void
emit_summary(uint64_t sup)
{
	char line[160];

	snprintf(line, sizeof(line), "%llu more log lines suppressed (log budget: %u a "
		 "second, burst %u)", (unsigned long long)sup, LOG_BUDGET_RATE,
		 LOG_BUDGET_BURST);
	emit_out(LOG_NOTICE, NULL, line);
}

void
log_budget_flush(void)
{
	uint64_t now, sup = 0;

	pthread_mutex_lock(&budget_lock);
	now = budget_clock();
	/* Same cadence as the summaries riding on lines: once a second at
	 * most, and never within a second of the last one. */
	if (budget_suppressed && (!budget_summary_ms || now - budget_summary_ms >= 1000)) {
		sup = budget_suppressed;
		budget_suppressed = 0;
		budget_summary_ms = now ? now : 1;
	}
	pthread_mutex_unlock(&budget_lock);
	if (sup)
		emit_summary(sup);
}

static bool
is_ban_line(int prio, const struct log_fields *f)
{
	if (prio <= LOG_CRIT)
		return true;
	if (!f)
		return false;
	/* A new ban's line says so itself (event_log_ban()): an event name
	 * alone would also exempt the repeats an attacker can cause at will
	 * (a user already banned, failing again). */
	return f->ban || (f->event && strcmp(f->event, "ban-table") == 0);
}

static bool use_journal;
static int log_max_prio = LOG_INFO;
static pthread_mutex_t stderr_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * systemd sets JOURNAL_STREAM to "dev:ino" of the stream it connected to
 * stderr; only if stderr is still that stream is the journal our audience.
 * (Checking the variable alone would misfire for a child whose stderr was
 * redirected, e.g. a test harness started from a systemd unit.)
 */
static bool
stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void
log_init(enum log_target target, int max_priority)
{
	log_max_prio = max_priority;
	if (target == LOG_TARGET_AUTO)
		use_journal = stderr_is_journal();
	else
		use_journal = target == LOG_TARGET_JOURNAL;
}

static const char *
prio_name(int prio)
{
	static const char *const names[] = {
		"EMERG", "ALERT", "CRIT", "ERROR", "WARNING", "NOTICE", "INFO", "DEBUG"
	};

	return prio >= 0 && prio <= 7 ? names[prio] : "INFO";
}

static bool
is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* in[0..inlen) into out (NUL-terminated, cut at a whole character to fit):
 * a byte is kept when keep() says so, else written as \xHH. */
static char *
hex_escape(const char *in, size_t inlen, char *out, size_t outlen, bool (*keep)(unsigned char))
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (!outlen)
		return out;
	for (size_t i = 0; i < inlen; i++) {
		unsigned char c = (unsigned char)in[i];

		if (keep(c)) {
			if (o + 1 >= outlen)
				break;
			out[o++] = (char)c;
		} else {
			if (o + 4 >= outlen)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return out;
}

/* Attacker text: printable ASCII but the quotes and the backslash that
 * delimit it in a log line. */
static bool
keep_in_quotes(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '\'' && c != '"' && c != '\\';
}

static bool
keep_not_ctl(unsigned char c)
{
	return !is_ctl(c);
}

char *
log_escape(const char *in, size_t inlen, char *out, size_t outlen)
{
	return hex_escape(in, inlen, out, outlen, keep_in_quotes);
}

char *
log_escape_str(const char *in, char *out, size_t outlen)
{
	return log_escape(in ? in : "", in ? strlen(in) : 0, out, outlen);
}

/* The belt under log_escape(): control bytes left in s are rewritten as
 * \xHH into out (truncated to fit). Returns s itself when it has none. */
static const char *
scrub(const char *s, char *out, size_t outlen)
{
	const char *p = s;

	while (*p && !is_ctl((unsigned char)*p))
		p++;
	if (!*p)
		return s;
	return hex_escape(s, strlen(s), out, outlen, keep_not_ctl);
}

static void
emit_stderr(int prio, const char *msg)
{
	struct timespec ts;
	struct tm tm;
	char when[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	/* One fprintf per line under a lock: lines from two workers never
	 * interleave, which log scrapers (fail2ban) rely on. */
	pthread_mutex_lock(&stderr_lock);
	fprintf(stderr, "%s.%03ld sipwarden[%ld]: %s: %s\n", when,
		ts.tv_nsec / 1000000, (long)getpid(), prio_name(prio), msg);
	fflush(stderr);
	pthread_mutex_unlock(&stderr_lock);
}

/* Journal field values may hold any bytes but we keep them to one line so
 * that `journalctl -o verbose` and exports stay readable. */
static int
add_field(struct iovec *iov, int n, char *buf, size_t len, const char *name, const char *val)
{
	char clean[600];
	int w;

	if (!val)
		return n;
	w = snprintf(buf, len, "%s=%s", name, scrub(val, clean, sizeof(clean)));
	if (w < 0)
		return n;
	iov[n].iov_base = buf;
	iov[n].iov_len = (size_t)w < len ? (size_t)w : len - 1;
	return n + 1;
}

/* Write one scrubbed message, budget already taken. */
static void
emit_out(int prio, const struct log_fields *f, const char *msg)
{
	if (!use_journal) {
		emit_stderr(prio, msg);
		return;
	}

	{
		char bufs[8][600];
		struct iovec iov[8];
		int n = 0;

		/* Named explicitly: otherwise journald takes the thread's comm,
		 * and fail2ban's journal matching would depend on it. */
		n = add_field(iov, n, bufs[n], sizeof(bufs[0]), "SYSLOG_IDENTIFIER", "sipwarden");
		n = add_field(iov, n, bufs[n], sizeof(bufs[0]), "MESSAGE", msg);
		n = add_field(iov, n, bufs[n], sizeof(bufs[0]), "PRIORITY",
			      (const char[]){ (char)('0' + (prio & 7)), 0 });
		if (f) {
			n = add_field(iov, n, bufs[n], sizeof(bufs[0]), "SIPWARDEN_EVENT", f->event);
			n = add_field(iov, n, bufs[n], sizeof(bufs[0]), "SIPWARDEN_IP", f->ip);
			n = add_field(iov, n, bufs[n], sizeof(bufs[0]), "SIPWARDEN_USER", f->user);
			n = add_field(iov, n, bufs[n], sizeof(bufs[0]), "SIPWARDEN_UA", f->ua);
			n = add_field(iov, n, bufs[n], sizeof(bufs[0]), "SIPWARDEN_CALLID", f->callid);
		}
		if (sd_journal_sendv(iov, n) < 0)
			emit_stderr(prio, msg);
	}
}

static void __attribute__((format(printf, 3, 0)))
emit(int prio, const struct log_fields *f, const char *fmt, va_list ap)
{
	char raw[1024], clean[1024];
	uint64_t sup = 0;

	if (prio > log_max_prio)
		return;
	if (!budget_take(is_ban_line(prio, f), &sup))
		return;
	if (sup) /* rides on the line let through: at most one per line */
		emit_summary(sup);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	emit_out(prio, f, scrub(raw, clean, sizeof(clean)));
}

void
log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(prio, NULL, fmt, ap);
	va_end(ap);
}

void
log_event(int prio, const struct log_fields *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(prio, f, fmt, ap);
	va_end(ap);
}

bool
log_ratelimit_take(struct log_ratelimit *rl, uint64_t now_ms, uint64_t *suppressed)
{
	bool ok;

	while (atomic_exchange_explicit(&rl->lock, true, memory_order_acquire))
		;
	if (rl->last_ms == 0 || now_ms < rl->last_ms) {
		rl->last_ms = now_ms;
	} else {
		rl->tokens += (double)(now_ms - rl->last_ms) * rl->per_sec / 1000.0;
		if (rl->tokens > rl->burst)
			rl->tokens = rl->burst;
		rl->last_ms = now_ms;
	}
	ok = rl->tokens >= 1.0;
	if (ok) {
		rl->tokens -= 1.0;
		if (suppressed)
			*suppressed = rl->suppressed;
		rl->suppressed = 0;
	} else {
		rl->suppressed++;
	}
	atomic_store_explicit(&rl->lock, false, memory_order_release);
	return ok;
}
