/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests: repeat offenders (ban_time_increment, ban_time_factor,
 * recidive_window, ban_time_max) through policy_judge()/policy_reply(),
 * with an injected clock.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "addr_harness.h"
#include "authtrack.h"
#include "bans.h"
#include "config.h"
#include "policy.h"
#include "sip.h"
#include "srctab.h"

#define N 5             /* dos_reqs_density_per_unit */
#define BASE 4u         /* dos_ban_time, s */
#define WINDOW 600      /* recidive_window, s */
#define MAX 1000        /* ban_time_max, s */

static struct config *cfg;
static struct policy pol;

static void
setup(void)
{
	cfg = config_new_default();
	cr_assert_not_null(cfg);
	cfg->dos_reqs_density_per_unit = N;
	cfg->dos_ban_time = BASE;
	cfg->ban_time_increment = true;
	cfg->ban_time_factor = 2;
	cfg->recidive_window = WINDOW;
	cfg->ban_time_max = MAX;
	cfg->failed_auth_attempts = 3;
	cfg->failed_auth_ban_time = BASE;
	pol.cfg = cfg;
	pol.cfg_gen = 1;
	pol.src = srctab_new(1024, N + 1);
	pol.bans = bantab_new(1000);
	pol.txns = txntab_new(1024);
	pol.fails = failtab_new(1000);
	pol.offenders = failtab_new(1000);
	cr_assert(pol.src && pol.bans && pol.txns && pol.fails && pol.offenders);
}

static void
teardown(void)
{
	srctab_free(pol.src);
	bantab_free(pol.bans);
	txntab_free(pol.txns);
	failtab_free(pol.fails);
	failtab_free(pol.offenders);
	config_free(cfg);
	memset(&pol, 0, sizeof(pol));
}

TestSuite(recidive, .init = setup, .fini = teardown);

static const char opt[] =
	"OPTIONS sip:198.51.100.10 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 203.0.113.7:5060;branch=z9hG4bKa1b2c3\r\n"
	"From: <sip:ping@example.org>;tag=8a7b6c\r\n"
	"To: <sip:198.51.100.10>\r\n"
	"Call-ID: 3c26700b5f1a2c@203.0.113.7\r\n"
	"CSeq: 1 OPTIONS\r\n"
	"Content-Length: 0\r\n\r\n";

/* A flood of N+1 requests from ip at now: the last one bans. Returns the
 * ban time in seconds and checks the table agrees. */
static uint32_t
density_ban(const char *ip, uint64_t now)
{
	struct addr a = A(ip);
	struct sip_msg m;
	struct policy_verdict v;

	cr_assert_not(bantab_check_ip(pol.bans, &a, now), "%s still banned at %llu", ip,
		      (unsigned long long)now);
	for (int i = 0; i < N; i++) {
		policy_judge(&pol, &a, (const uint8_t *)opt, strlen(opt), now, &m, &v);
		policy_ban_table(pol.bans, &v, now);
		cr_assert_not(v.drop, "request %d dropped: %s", i, policy_reason_name(v.reason));
	}
	policy_judge(&pol, &a, (const uint8_t *)opt, strlen(opt), now, &m, &v);
	policy_ban_table(pol.bans, &v, now);
	cr_assert(v.drop);
	cr_assert_eq(v.reason, POLICY_DENSITY);
	cr_assert_eq(v.event, POLICY_EV_BAN_IP);
	cr_assert(v.new_ban);
	/* banned for exactly that long */
	cr_assert(bantab_check_ip(pol.bans, &a, now + v.ban_time_s * 1000ull - 1));
	cr_assert_not(bantab_check_ip(pol.bans, &a, now + v.ban_time_s * 1000ull));
	return v.ban_time_s;
}

/* Ban after ban, each as soon as the previous one ended. */
static uint64_t
series(const char *ip, uint64_t t, const uint32_t *want, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint32_t s = density_ban(ip, t);

		cr_assert_eq(s, want[i], "ban %u: %u s, want %u s", i + 1, s, want[i]);
		t += s * 1000ull;
	}
	return t;
}

Test(recidive, doubles_each_time)
{
	static const uint32_t want[] = { 4, 8, 16, 32 };

	series("203.0.113.7", 100000, want, 4);
}

Test(recidive, other_sources_start_at_base)
{
	static const uint32_t want[] = { 4, 8, 16 };
	static const uint32_t first[] = { 4 };
	uint64_t t = series("203.0.113.7", 100000, want, 3);

	series("203.0.113.8", t, first, 1);
	series("2001:db8:b::1", t, first, 1);
}

Test(recidive, window_boundary)
{
	uint64_t t = 100000;

	cr_assert_eq(density_ban("203.0.113.7", t), 4);
	/* the window runs from the end of the previous ban (t + 4 s): 1 ms
	 * inside it */
	t += 4000 + WINDOW * 1000ull - 1;
	cr_assert_eq(density_ban("203.0.113.7", t), 8);
	/* and exactly at its end (this ban ends at t + 8 s): a first offence
	 * again */
	t += 8000 + WINDOW * 1000ull;
	cr_assert_eq(density_ban("203.0.113.7", t), 4);
	cr_assert_eq(density_ban("203.0.113.7", t + 4000), 8);
}

Test(recidive, capped_at_max)
{
	static const uint32_t want[] = { 4, 8, 16, 32, 64, 128, 256, 512, 1000 };

	series("203.0.113.7", 100000, want, 9);
}

Test(recidive, capped_with_long_window)
{
	static const uint32_t want[] = { 4, 8, 16, 32, 64, 128, 256, 512, 1000, 1000, 1000 };

	cfg->recidive_window = 86400;
	series("203.0.113.7", 100000, want, 11);
}

/*
 * The window is counted from the previous ban's start, so a ban longer
 * than recidive_window forgets the offender: with window 600 s and the
 * 1000 s cap, the ban after a 1000 s ban is 4 s again. With the defaults
 * (3600 s base, factor 2, window 86400, max 604800) that happens after the
 * 32-hour ban: ban_time_max is never reached and the most persistent
 * offender cycles 1h..32h. Enable once the window counts from the end of
 * the previous ban.
 */
Test(recidive, ban_longer_than_window_still_counts)
{
	static const uint32_t want[] = { 4, 8, 16, 32, 64, 128, 256, 512, 1000, 1000 };

	series("203.0.113.7", 100000, want, 10);
}

Test(recidive, increment_off_always_base)
{
	static const uint32_t want[] = { 4, 4, 4, 4, 4 };

	cfg->ban_time_increment = false;
	series("203.0.113.7", 100000, want, 5);
}

Test(recidive, no_offender_table_always_base)
{
	static const uint32_t want[] = { 4, 4, 4 };

	failtab_free(pol.offenders);
	pol.offenders = NULL;
	series("203.0.113.7", 100000, want, 3);
}

Test(recidive, factor_one_and_base_over_max)
{
	static const uint32_t ones[] = { 4, 4, 4 };
	static const uint32_t big[] = { 2000, 2000 };

	cfg->ban_time_factor = 1;
	series("203.0.113.7", 100000, ones, 3);
	/* a base longer than the cap is not shortened */
	cfg->ban_time_factor = 3;
	cfg->dos_ban_time = 2000;
	series("203.0.113.8", 100000, big, 2);
}

Test(recidive, factor_three)
{
	static const uint32_t want[] = { 4, 12, 36, 108, 324, 972, 1000 };

	cfg->ban_time_factor = 3;
	cfg->recidive_window = 86400; /* the 972 s ban outlasts 600 s */
	series("203.0.113.7", 100000, want, 7);
}

Test(recidive, ipv6_prefix_is_one_offender)
{
	uint64_t t = 100000;

	cr_assert_eq(density_ban("2001:db8:a::1", t), 4);
	cr_assert_eq(density_ban("2001:db8:a::2", t + 4000), 8);
	cr_assert_eq(density_ban("2001:db8:a:0:ffff::3", t + 12000), 16);
	cr_assert_eq(density_ban("2001:db8:a:1::1", t + 12000), 4);
}

/* ---- user bans (failed authentication) ---- */

#define REQ_CREDS \
	"REGISTER sip:example.org SIP/2.0\r\n" \
	"Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK776\r\n" \
	"From: <sip:105@example.org>;tag=a73kszlfl\r\n" \
	"To: <sip:105@example.org>\r\n" \
	"Call-ID: 1j9FpLxk3uxtm8tn@203.0.113.5\r\n" \
	"CSeq: 2 REGISTER\r\n" \
	"Authorization: Digest username=\"105\", realm=\"example.org\", nonce=\"x\", " \
	"uri=\"sip:example.org\", response=\"0123456789abcdef0123456789abcdef\"\r\n" \
	"Content-Length: 0\r\n\r\n"
#define REPLY_401 \
	"SIP/2.0 401 Unauthorized\r\n" \
	"Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK776\r\n" \
	"From: <sip:105@example.org>;tag=a73kszlfl\r\n" \
	"To: <sip:105@example.org>;tag=srv\r\n" \
	"Call-ID: 1j9FpLxk3uxtm8tn@203.0.113.5\r\n" \
	"CSeq: 2 REGISTER\r\n" \
	"Content-Length: 0\r\n\r\n"

/* failed_auth_attempts wrong passwords from 203.0.113.5 starting at t;
 * returns the last reply's verdict. */
static struct policy_auth
auth_failures(uint64_t t)
{
	struct addr src = A("203.0.113.5");
	struct sip_msg m;
	struct policy_verdict v;
	struct policy_auth a;
	enum sip_flaw f;

	for (unsigned i = 0; i < cfg->failed_auth_attempts; i++) {
		uint64_t now = t + 100 * i;

		policy_judge(&pol, &src, (const uint8_t *)REQ_CREDS, strlen(REQ_CREDS), now, &m,
			     &v);
		policy_ban_table(pol.bans, &v, now);
		cr_assert_not(v.drop, "attempt %u dropped: %s", i, policy_reason_name(v.reason));
		cr_assert_eq(sip_scan(REPLY_401, strlen(REPLY_401), &m, &f), 0);
		policy_reply(&pol, &m, now + 10, &a);
		policy_reply_table(pol.bans, &a, now + 10);
		cr_assert(a.failure);
	}
	cr_assert_eq(a.event, POLICY_EV_AUTH_BAN);
	return a;
}

static bool
user_banned(uint64_t now)
{
	struct ban_key k;

	ban_key_user(&k, "105@example.org");
	return bantab_check(pol.bans, &k, now);
}

Test(recidive, user_bans_increase)
{
	static const uint32_t want[] = { 4, 8, 16, 32 };
	uint64_t t = 100000;

	for (unsigned i = 0; i < 4; i++) {
		struct policy_auth a = auth_failures(t);
		uint64_t at = t + 100 * (cfg->failed_auth_attempts - 1) + 10;

		cr_assert(a.user_banned);
		cr_assert_eq(a.ban_time_s, want[i], "user ban %u: %u s", i + 1, a.ban_time_s);
		cr_assert(user_banned(at + want[i] * 1000ull - 1));
		cr_assert_not(user_banned(at + want[i] * 1000ull));
		t = at + want[i] * 1000ull;
	}
}

Test(recidive, user_bans_off_always_base)
{
	uint64_t t = 100000;

	cfg->ban_time_increment = false;
	for (unsigned i = 0; i < 3; i++) {
		struct policy_auth a = auth_failures(t);

		cr_assert_eq(a.ban_time_s, BASE);
		t += 10000;
	}
}

Test(recidive, auth_ip_bans_increase)
{
	uint64_t t = 100000;
	struct addr src = A("203.0.113.5");

	cfg->failed_auth_ban_target = CONFIG_AUTH_BAN_IP;
	for (unsigned i = 0; i < 3; i++) {
		struct policy_auth a = auth_failures(t);
		uint64_t at = t + 100 * (cfg->failed_auth_attempts - 1) + 10;

		cr_assert(a.ip_banned);
		cr_assert_eq(a.ban_time_s, BASE << i);
		cr_assert_eq(a.ban_plen, 32);
		cr_assert(bantab_check_ip(pol.bans, &src, at + (BASE << i) * 1000ull - 1));
		t = at + (BASE << i) * 1000ull;
		cr_assert_not(bantab_check_ip(pol.bans, &src, t));
	}
}

Test(recidive, user_and_ip_keys_are_separate)
{
	/* A user ban does not make the source a repeat offender, nor the
	 * reverse. */
	uint64_t t = 100000;
	struct policy_auth a = auth_failures(t);

	cr_assert_eq(a.ban_time_s, 4);
	cr_assert_eq(density_ban("203.0.113.5", t + 5000), 4);
	a = auth_failures(t + 10000);
	cr_assert_eq(a.ban_time_s, 8);
	cr_assert_eq(density_ban("203.0.113.5", t + 15000), 8);
}
