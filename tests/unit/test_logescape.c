/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests: no log line can carry a raw control byte or an unescaped
 * quote of attacker text (issue 17, item 7: a From user with %0a, decoded
 * into the user key, forged "IP '192.0.2.1' is blocked and banned" at the
 * ban's expiry, which the shipped fail2ban filter matches).
 *
 * Hostile keys and header values go through every path that logs them (ban
 * expiry, cluster ban/unban/unban-all, policy events, the control audit's
 * escaping, and log_msg() itself as the belt) with stderr captured; each
 * line is then checked byte by byte.
 */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bans.h"
#include "clock.h"
#include "cluster_internal.h"
#include "event.h"
#include "log.h"
#include "upkeep.h"

/* A user key as the attacker writes it: a decoded %0a, a forged NGCP line,
 * both quotes, a backslash, every control byte, DEL and UTF-8. */
static size_t
hostile(char *buf, size_t len)
{
	static const char forged[] = "alice\n2026-12-06 04:00:00.000 sipwarden[1]: WARNING: "
				     "IP '192.0.2.1' is blocked and banned\r\"x\\y'";
	size_t n = sizeof(forged) - 1;

	cr_assert(len > n + 64);
	memcpy(buf, forged, n);
	for (unsigned c = 0; c < 0x20; c++)
		buf[n++] = (char)c;
	buf[n++] = 0x7f;
	memcpy(buf + n, "\xc3\xa9t\xc3\xa9@example.org", 17);
	return n + 17;
}

static int g_saved = -1;
static char g_path[] = "/tmp/sw-logesc-XXXXXX";

static void
capture_start(void)
{
	int fd = mkstemp(g_path);

	cr_assert(fd >= 0);
	fflush(stderr);
	g_saved = dup(STDERR_FILENO);
	cr_assert(dup2(fd, STDERR_FILENO) >= 0);
	close(fd);
	log_init(LOG_TARGET_STDERR, LOG_DEBUG);
}

/* Stop capturing; returns the text (malloc'd) and its length. */
static char *
capture_end(size_t *len)
{
	FILE *f;
	char *buf;
	long n;

	fflush(stderr);
	dup2(g_saved, STDERR_FILENO);
	close(g_saved);
	f = fopen(g_path, "rb");
	cr_assert_not_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	unlink(g_path);
	strcpy(g_path, "/tmp/sw-logesc-XXXXXX");
	*len = (size_t)n;
	return buf;
}

/*
 * Every line: no control byte but its newline, no DEL, no double quote
 * (no format writes one) and no forged line: the hostile text's quote never
 * closes a quote of the line, so "'192.0.2.1'" and "IP='" of the forged IP
 * never appear. Returns the number of lines.
 */
static unsigned
check_lines(const char *out, size_t len, unsigned want_lines)
{
	unsigned lines = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)out[i];

		if (c == '\n') {
			lines++;
			continue;
		}
		cr_assert(c >= 0x20 && c != 0x7f, "raw byte 0x%02x at %zu:\n%s", c, i, out);
		cr_assert(c != '"', "unescaped double quote at %zu:\n%s", i, out);
	}
	cr_assert(len == 0 || out[len - 1] == '\n');
	cr_assert_null(strstr(out, "'192.0.2.1'"), "forged quote:\n%s", out);
	cr_assert_null(strstr(out, "y'"), "the key's own quote unescaped:\n%s", out);
	cr_assert_eq(lines, want_lines, "%u lines, want %u:\n%s", lines, want_lines, out);
	return lines;
}

Test(logescape, escape_function)
{
	char out[64];

	cr_assert_str_eq(log_escape("a'b\"c\\d\n\x7f\xc3\xa9", 11, out, sizeof(out)),
			 "a\\x27b\\x22c\\x5cd\\x0a\\x7f\\xc3\\xa9");
	cr_assert_str_eq(log_escape("a\0b", 3, out, sizeof(out)), "a\\x00b");
	/* truncated at a whole escape */
	cr_assert_str_eq(log_escape("ab\n", 3, out, 6), "ab");
	cr_assert_str_eq(log_escape_str(NULL, out, sizeof(out)), "");
	/* the benign twin: a plain user key is unchanged */
	cr_assert_str_eq(log_escape_str("alice@example.org", out, sizeof(out)), "alice@example.org");
}

Test(logescape, log_msg_scrubs_what_a_caller_forgot)
{
	size_t len;
	char *out;

	capture_start();
	log_msg(LOG_WARNING, "raw %s end", "a\nIP '192.0.2.2' is blocked\r\x01\x7f");
	log_msg(LOG_INFO, "benign line");
	out = capture_end(&len);
	check_lines(out, len, 2);
	cr_assert_not_null(strstr(out, "raw a\\x0aIP '192.0.2.2' is blocked\\x0d\\x01\\x7f end"), "%s",
			   out);
	cr_assert_not_null(strstr(out, "INFO: benign line\n"), "%s", out);
	free(out);
}

Test(logescape, ban_expiry_of_a_hostile_user_key)
{
	struct bantab *t = bantab_new(16);
	struct upkeep u = { .bans = t };
	struct ban_key k = { .kind = BAN_KIND_USER };
	struct addr a;
	size_t len;
	char *out;

	cr_assert_not_null(t);
	k.len = (uint16_t)hostile(k.data, sizeof(k.data));
	cr_assert_eq(bantab_add(t, &k, BAN_REASON_AUTH, 1000, 1000), 1);
	cr_assert_eq(ban_key_user(&k, "bob@example.org"), 0);
	cr_assert_eq(bantab_add(t, &k, BAN_REASON_AUTH, 1000, 1000), 1);
	cr_assert_eq(addr_parse("203.0.113.9", &a), 0);
	ban_key_ip(&k, &a);
	cr_assert_eq(bantab_add(t, &k, BAN_REASON_DENSITY, 1000, 1000), 1);
	capture_start();
	upkeep_expire(&u, 5000);
	out = capture_end(&len);
	check_lines(out, len, 3);
	cr_assert_not_null(strstr(out, "ban of 'alice\\x0a2026-12-06"), "%s", out);
	cr_assert_not_null(strstr(out, "IP \\x27192.0.2.1\\x27 is blocked"), "%s", out);
	/* the benign twins, as they were */
	cr_assert_not_null(strstr(out, "ban of 'bob@example.org' (auth) expired\n"), "%s", out);
	cr_assert_not_null(strstr(out, "ban of '203.0.113.9' (density) expired\n"), "%s", out);
	free(out);
	bantab_free(t);
}

Test(logescape, cluster_lines)
{
	static struct cluster c;
	struct cluster_msg m;
	struct bantab *bans = bantab_new(16);
	size_t len;
	char *out;

	memset(&c, 0, sizeof(c));
	pthread_mutex_init(&c.lock, NULL);
	snprintf(c.node, sizeof(c.node), "here");
	cr_assert_not_null(bans);
	/* never started: banops_free() applies and logs what was queued */
	c.ops = banops_new(bans, 16, false);
	c.bans = bans;
	c.origins = cluster_origins_new(16);
	c.changed_fd = -1;
	c.apply_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(100, 100);
	c.err_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(100, 100);
	cr_assert_not_null(c.ops);
	cr_assert_not_null(c.origins);

	memset(&m, 0, sizeof(m));
	m.op = CLUSTER_OP_BAN;
	snprintf(m.node, sizeof(m.node), "n'1\n\"x");
	m.key.kind = BAN_KIND_USER;
	m.key.len = (uint16_t)hostile(m.key.data, sizeof(m.key.data));
	m.reason = BAN_REASON_AUTH;
	m.time = clock_wall_s() + 600;
	capture_start();
	cluster_apply_msg(&c, &m);
	m.op = CLUSTER_OP_UNBAN;
	cluster_apply_msg(&c, &m);
	m.op = CLUSTER_OP_UNBAN_ALL;
	cluster_apply_msg(&c, &m);
	/* the benign twin */
	m.op = CLUSTER_OP_BAN;
	snprintf(m.node, sizeof(m.node), "edge-b");
	cr_assert_eq(ban_key_user(&m.key, "bob@example.org"), 0);
	cluster_apply_msg(&c, &m);
	banops_free(c.ops);
	out = capture_end(&len);
	check_lines(out, len, 4);
	cr_assert_not_null(strstr(out, "by node 'n\\x271\\x0a\\x22x'"), "%s", out);
	cr_assert_not_null(strstr(out, "cluster: user 'bob@example.org' banned by node 'edge-b'"),
			   "%s", out);
	free(out);
	bantab_free(bans);
	cluster_origins_free(c.origins);
}

Test(logescape, policy_events)
{
	static char ua[600], callid[600], ruri[600];
	struct policy_verdict v;
	struct policy_auth pa;
	struct sip_msg m;
	struct event e;
	struct addr src;
	size_t len, n;
	char *out;

	cr_assert_eq(addr_parse("203.0.113.7", &src), 0);
	n = hostile(ua, sizeof(ua));
	memcpy(callid, ua, n);
	memcpy(ruri, ua, n);
	memset(&m, 0, sizeof(m));
	m.is_request = true;
	m.user_agent = (struct sip_str){ ua, (uint32_t)n };
	m.call_id = (struct sip_str){ callid, (uint32_t)n };
	m.ruri = (struct sip_str){ ruri, (uint32_t)n };
	memset(&v, 0, sizeof(v));
	v.parsed = true;
	v.drop = true;

	capture_start();
	v.event = POLICY_EV_UA;
	event_capture(&e, &v, &src, &m);
	event_log(&e, 1000, false);
	v.event = POLICY_EV_SCANNER;
	v.traits = SCANNER_BIT(SCANNER_VIA_BRANCH) | SCANNER_BIT(SCANNER_FROM_TAG);
	event_capture(&e, &v, &src, &m);
	event_log(&e, 1000, false);
	v.event = POLICY_EV_BAN_IP;
	v.new_ban = true;
	event_capture(&e, &v, &src, &m);
	event_log(&e, 1000, false);
	memset(&pa, 0, sizeof(pa));
	pa.event = POLICY_EV_AUTH_BAN;
	pa.user_banned = true;
	pa.txn.src = src;
	n = hostile(ua, sizeof(ua));
	memcpy(pa.txn.user, ua + 6, sizeof(pa.txn.user) - 1); /* from the forged line on */
	pa.txn.user[sizeof(pa.txn.user) - 1] = '\0';
	(void)n;
	snprintf(pa.txn.ua, sizeof(pa.txn.ua), "x'\"\n");
	event_capture_auth(&e, &pa);
	event_log(&e, 1000, false);
	out = capture_end(&len);
	cr_assert(check_lines(out, len, 4) == 4);
	cr_assert_not_null(strstr(out, "malicious UA='alice 2026-12-06"), "%s", out);
	cr_assert_not_null(strstr(out, "from IP='203.0.113.7'"), "%s", out);
	free(out);
}

/* ---- the global log budget (issue 17, item 9) ---- */

static uint64_t g_now_ms;

static uint64_t
fake_now(void)
{
	return g_now_ms;
}

static unsigned
count_lines(const char *out, const char *needle)
{
	unsigned n = 0;

	for (const char *p = out; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

Test(logbudget, below_journald_and_ban_lines_never_suppressed)
{
	struct log_fields ban = { .event = "ban-ip", .ip = "203.0.113.7", .ban = true };
	size_t len;
	char *out;
	unsigned total, bans = 0;

	g_now_ms = 1000;
	log_budget_reset(fake_now);
	capture_start();
	/* 30 s of a flood of loggable events: 100 lines a millisecond, and
	 * among them a ban line every 10 ms (3000 bans) */
	for (uint64_t ms = 0; ms < 30000; ms++) {
		g_now_ms = 1000 + ms;
		for (int i = 0; i < 100; i++)
			log_msg(LOG_NOTICE, "noise %d", i);
		if (ms % 10 == 0) {
			log_event(LOG_WARNING, &ban, "IP '203.0.113.7' is blocked and banned - n=%llu",
				  (unsigned long long)ms);
			bans++;
		}
	}
	out = capture_end(&len);
	total = count_lines(out, "\n");
	cr_log_info("30 s: %u lines written (%u ban lines), of 3 000 000 noise lines", total, bans);
	/* every ban line is there */
	cr_assert_eq(count_lines(out, "is blocked and banned"), bans);
	/* and everything together stays below journald's 10000 per 30 s */
	cr_assert_lt(total, 10000, "%u lines", total);
	cr_assert_leq(total, LOG_BUDGET_BURST + 30 * LOG_BUDGET_RATE + bans + 31, "%u lines", total);
	/* the suppressed ones are said, at most once a second */
	cr_assert_geq(count_lines(out, "more log lines suppressed"), 25);
	cr_assert_leq(count_lines(out, "more log lines suppressed"), 31);
	free(out);
	log_budget_reset(NULL);
}

/* A new ban's line is exempt because it says so (event_log_ban()), not by its
 * event name: the repeats an attacker causes at will (alice, banned
 * already, failing again: the same "ban-user" event) are budgeted. And no
 * per-kind limit of event.c cuts the ban lines either. */
Test(logbudget, only_a_new_bans_line_is_exempt)
{
	struct log_fields repeat = { .event = "ban-user", .ip = "203.0.113.7" };
	struct event e;
	size_t len;
	char *out;

	memset(&e, 0, sizeof(e));
	e.ev = POLICY_EV_BAN_IP;
	addr_parse("203.0.113.7", &e.src);
	snprintf(e.ruri, sizeof(e.ruri), "sip:x");
	snprintf(e.callid, sizeof(e.callid), "c");
	g_now_ms = 1000;
	log_budget_reset(fake_now);
	capture_start();
	for (int i = 0; i < 3 * LOG_BUDGET_BURST; i++)
		log_msg(LOG_NOTICE, "noise %d", i);
	log_event(LOG_WARNING, &repeat, "Consecutive Authentication Failure again");
	/* 5000 new bans in one millisecond: more than event.c's per-kind
	 * limit (burst 1000) and the budget; every line is out */
	for (int i = 0; i < 5000; i++)
		event_log_ban(&e, 1000, false);
	out = capture_end(&len);
	cr_assert_eq(count_lines(out, "Consecutive Authentication Failure again"), 0);
	cr_assert_eq(count_lines(out, "is blocked and banned"), 5000);
	free(out);
	log_budget_reset(NULL);
}

Test(logbudget, table_warning_survives_a_spent_budget)
{
	struct log_fields table = { .event = "ban-table" };
	size_t len;
	char *out;

	g_now_ms = 1000;
	log_budget_reset(fake_now);
	capture_start();
	/* a flood spends the whole budget within the same millisecond... */
	for (int i = 0; i < 3 * LOG_BUDGET_BURST; i++)
		log_msg(LOG_NOTICE, "noise %d", i);
	/* ...and the ban table's warning, the line the operator needs then,
	 * still gets out; an ordinary warning does not */
	log_event(LOG_WARNING, &table, "ban table 90%% full");
	log_msg(LOG_WARNING, "some other warning");
	out = capture_end(&len);
	cr_assert_eq(count_lines(out, "ban table 90% full"), 1);
	cr_assert_eq(count_lines(out, "some other warning"), 0);
	free(out);
	log_budget_reset(NULL);
}

Test(logbudget, quiet_logging_untouched)
{
	size_t len;
	char *out;

	g_now_ms = 1000;
	log_budget_reset(fake_now);
	capture_start();
	/* the benign twin: a busy but sane daemon, 50 lines a second */
	for (int s = 0; s < 60; s++) {
		g_now_ms = 1000 + (uint64_t)s * 1000;
		for (int i = 0; i < 50; i++)
			log_msg(LOG_INFO, "line %d %d", s, i);
	}
	out = capture_end(&len);
	cr_assert_eq(count_lines(out, "\n"), 3000);
	cr_assert_null(strstr(out, "suppressed"));
	free(out);
	log_budget_reset(NULL);
}

/*
 * A flood that stops: the summary used to ride only on the next line let
 * through, so a quiet daemon never said what it had dropped. The upkeep
 * tick (every second) flushes it, with the clock injected.
 */
Test(logbudget, flood_that_stops_is_summed_up_by_the_tick)
{
	struct bantab *t = bantab_new(16);
	struct upkeep u = { .bans = t };
	size_t len;
	char *out;

	cr_assert_not_null(t);
	g_now_ms = 1000;
	log_budget_reset(fake_now);
	capture_start();
	for (int i = 0; i < LOG_BUDGET_BURST + 500; i++)
		log_msg(LOG_NOTICE, "noise %d", i);
	/* the flood stops; only the one-second tick runs */
	g_now_ms = 1200;
	upkeep_expire(&u, g_now_ms);
	/* and then nothing is left to say: no more summaries */
	for (int s = 2; s < 10; s++) {
		g_now_ms = (uint64_t)s * 1000;
		upkeep_expire(&u, g_now_ms);
	}
	out = capture_end(&len);
	cr_assert_eq(count_lines(out, "noise"), LOG_BUDGET_BURST);
	cr_assert_eq(count_lines(out, "more log lines suppressed"), 1, "%s", out);
	cr_assert_not_null(strstr(out, ": 500 more log lines suppressed"));
	free(out);
	bantab_free(t);
	log_budget_reset(NULL);
}

/* The flush keeps the once-a-second cadence: a summary just said is not
 * followed by another within the second, and the benign twin, a daemon
 * that suppressed nothing, never writes one. */
Test(logbudget, flush_at_most_once_a_second)
{
	size_t len;
	char *out;

	g_now_ms = 1000;
	log_budget_reset(fake_now);
	capture_start();
	log_budget_flush();
	for (int i = 0; i < LOG_BUDGET_BURST + 10; i++)
		log_msg(LOG_NOTICE, "noise %d", i);
	log_budget_flush(); /* 10 */
	for (int i = 0; i < 5; i++)
		log_msg(LOG_NOTICE, "more %d", i);
	g_now_ms = 1500;
	log_budget_flush(); /* within the second: nothing yet */
	g_now_ms = 2000;
	log_budget_flush(); /* the 5 (and the budget has refilled by 100) */
	g_now_ms = 3000;
	log_budget_flush();
	out = capture_end(&len);
	cr_assert_eq(count_lines(out, "more log lines suppressed"), 2, "%s", out);
	cr_assert_not_null(strstr(out, ": 10 more log lines suppressed"));
	cr_assert_not_null(strstr(out, ": 5 more log lines suppressed"));
	cr_assert(strstr(out, ": 10 more") < strstr(out, ": 5 more"));
	free(out);
	log_budget_reset(NULL);
}
