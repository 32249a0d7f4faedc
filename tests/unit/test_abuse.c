/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Issue 17: nobody can turn the policy against the host, its server, its
 * peers and whitelists. Each attack next to its benign twin. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "addr_harness.h"
#include "authtrack.h"
#include "bans.h"
#include "config.h"
#include "hostaddr.h"
#include "policy.h"
#include "sip.h"
#include "srctab.h"

static struct config *g_cfg;
static struct policy g_p;
static struct hostaddr *g_host;

static struct addr_net *
net1(const char *s)
{
	struct addr_net *n = calloc(1, sizeof(*n));

	cr_assert_not_null(n);
	cr_assert_eq(addr_net_parse(s, n), 0, "parse %s", s);
	return n;
}

static void
setup(void)
{
	struct addr own = A("203.0.113.250");

	g_cfg = config_new_default();
	cr_assert_not_null(g_cfg);
	g_cfg->whitelist = net1("2001:db8:5::10");
	g_cfg->n_whitelist = 1;
	g_cfg->server_addresses = net1("198.51.100.1");
	g_cfg->n_server_addresses = 1;
	g_host = hostaddr_new();
	cr_assert_not_null(g_host);
	hostaddr_add(g_host, &own);
	g_p.cfg = g_cfg;
	g_p.cfg_gen = 1;
	g_p.src = srctab_new(1024, g_cfg->dos_reqs_density_per_unit + 1);
	g_p.bans = bantab_new(1000);
	g_p.txns = txntab_new(1024);
	g_p.fails = failtab_new(1000);
	g_p.known = knowntab_new(1000);
	g_p.host = g_host;
}

static void
teardown(void)
{
	srctab_free(g_p.src);
	bantab_free(g_p.bans);
	txntab_free(g_p.txns);
	failtab_free(g_p.fails);
	knowntab_free(g_p.known);
	config_free(g_cfg);
	hostaddr_free(g_host);
	memset(&g_p, 0, sizeof(g_p));
}

TestSuite(abuse, .init = setup, .fini = teardown);

static const char *
request(const char *ua, const char *auth)
{
	static char buf[2048];

	snprintf(buf, sizeof(buf),
		 "REGISTER sip:example.org SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK-5f1a2c\r\n"
		 "From: <sip:alice@example.org>;tag=8a7b6c\r\n"
		 "To: <sip:alice@example.org>\r\n"
		 "Call-ID: 3c26700b5f1a2c@203.0.113.5\r\n"
		 "CSeq: 2 REGISTER\r\n"
		 "User-Agent: %s\r\n"
		 "%s"
		 "Content-Length: 0\r\n\r\n", ua, auth);
	return buf;
}

static struct policy_verdict
judge(const char *ip, const char *text, uint64_t now)
{
	struct policy_verdict v;
	struct sip_msg m;
	struct addr a = A(ip);

	policy_judge(&g_p, &a, (const uint8_t *)text, strlen(text), now, &m, &v);
	policy_ban_table(g_p.bans, &v, now);
	return v;
}

static bool
banned(const char *ip, uint64_t now)
{
	struct addr a = A(ip);

	return bantab_check_ip(g_p.bans, &a, now);
}

/* A spoofed scanner "from" each party that must never be banned: dropped
 * (the packet itself is still refused) but no ban anywhere. */
Test(abuse, spoofed_scanner_from_trusted_parties_bans_nothing)
{
	static const char *const who[] = {
		"127.0.0.1", "::1", "198.51.100.1", "203.0.113.250", "2001:db8:5::10",
		"224.0.0.1", "0.0.0.0", "::ffff:203.0.113.7", "255.255.255.255",
	};

	for (unsigned i = 0; i < sizeof(who) / sizeof(who[0]); i++) {
		struct policy_verdict v = judge(who[i], request("friendly-scanner", ""), 1000);

		cr_assert(v.drop, "%s", who[i]);
		cr_assert_not(v.new_ban, "%s banned", who[i]);
		cr_assert_not(v.ban_refused, "%s", who[i]);
		cr_assert_neq(v.event, POLICY_EV_BAN_IP, "%s", who[i]);
		cr_assert_not(banned(who[i], 1001), "%s banned", who[i]);
	}
	cr_assert_eq(bantab_count(g_p.bans, BAN_KIND_IP), 0);
}

/* Benign twin: the same scanner from a stranger is banned. */
Test(abuse, scanner_from_a_stranger_is_banned)
{
	struct policy_verdict v = judge("203.0.113.66", request("friendly-scanner", ""), 1000);

	cr_assert(v.drop);
	cr_assert(v.new_ban);
	cr_assert_not(v.ban_spared);
	cr_assert(banned("203.0.113.66", 1001));
	/* the host's neighbour address is no host address */
	v = judge("203.0.113.251", request("friendly-scanner", ""), 1000);
	cr_assert(v.new_ban);
}

/* Issue 17, attack 2: a spoofed scanner in the whitelisted peer's /64.
 * The ban is narrowed to the offender; the peer and the rest of the /64
 * keep working. */
Test(abuse, ipv6_ban_never_covers_a_whitelisted_neighbour)
{
	struct policy_verdict v = judge("2001:db8:5::99", request("friendly-scanner", ""), 1000);

	cr_assert(v.drop);
	cr_assert(v.new_ban);
	cr_assert_eq(v.ban_plen, 128, "ban of /%u covers the whitelisted peer", v.ban_plen);
	cr_assert(banned("2001:db8:5::99", 1001));
	cr_assert_not(banned("2001:db8:5::10", 1001));
	v = judge("2001:db8:5::10", request("Linphone/5.2", ""), 1002);
	cr_assert_not(v.drop, "whitelisted peer dropped as %s", policy_reason_name(v.reason));
	cr_assert_eq(v.reason, POLICY_TRUSTED);
	v = judge("2001:db8:5::98", request("Linphone/5.2", ""), 1002);
	cr_assert_not(v.drop);
}

/* Benign twin: an attacker's /64 with nobody trusted in it is banned whole. */
Test(abuse, ipv6_ban_of_an_untrusted_64_stays_a_64)
{
	struct policy_verdict v = judge("2001:db8:a::66", request("friendly-scanner", ""), 1000);

	cr_assert(v.new_ban);
	cr_assert_eq(v.ban_plen, 64);
	cr_assert(banned("2001:db8:a::1234", 1001));
}

/* Trust is checked before the ban lookup: a network ban that got in some
 * other way (cluster, an old state file) does not drop the peer. */
Test(abuse, trust_before_ban_lookup)
{
	struct ban_key k;
	struct addr n = A("2001:db8:5::");
	struct policy_verdict v;

	ban_key_net(&k, &n, 64);
	cr_assert_eq(bantab_add(g_p.bans, &k, BAN_REASON_MANUAL, 0, 3600000), 1);
	v = judge("2001:db8:5::10", request("Linphone/5.2", ""), 1000);
	cr_assert_not(v.drop, "whitelisted peer dropped as %s", policy_reason_name(v.reason));
	/* benign twin: the ban still holds for everyone else in it */
	v = judge("2001:db8:5::99", request("Linphone/5.2", ""), 1000);
	cr_assert(v.drop);
	cr_assert_eq(v.reason, POLICY_BANNED_IP);
}

/* Density from a spoofed server address: dropped, never banned. */
Test(abuse, density_from_the_server_address_is_not_banned)
{
	const char *r = request("Linphone/5.2", "");
	struct policy_verdict v;
	bool spared = false;

	for (unsigned i = 0; i <= g_cfg->dos_reqs_density_per_unit; i++) {
		v = judge("198.51.100.1", r, 1000);
		spared |= v.ban_spared;
		cr_assert_not(v.new_ban);
	}
	cr_assert(spared);
	cr_assert_eq(bantab_count(g_p.bans, BAN_KIND_IP), 0);
}

#define CREDS "Authorization: Digest username=\"alice\", realm=\"example.org\", nonce=\"x\", " \
	      "uri=\"sip:example.org\", response=\"0123456789abcdef0123456789abcdef\"\r\n"

static void
reply_n(unsigned status, uint64_t now, struct policy_auth *a)
{
	char r[512];
	struct sip_msg m;
	enum sip_flaw f;

	snprintf(r, sizeof(r),
		 "SIP/2.0 %u Whatever\r\n"
		 "Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK-5f1a2c\r\n"
		 "From: <sip:alice@example.org>;tag=8a7b6c\r\n"
		 "To: <sip:alice@example.org>;tag=srv\r\n"
		 "Call-ID: 3c26700b5f1a2c@203.0.113.5\r\n"
		 "CSeq: 2 REGISTER\r\n"
		 "Content-Length: 0\r\n\r\n", status);
	cr_assert_eq(sip_scan(r, strlen(r), &m, &f), 0);
	policy_reply(&g_p, &m, now, a);
	policy_reply_table(g_p.bans, a, now);
}

static void
reply401(uint64_t now, struct policy_auth *a)
{
	static const char r[] =
		"SIP/2.0 401 Unauthorized\r\n"
		"Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK-5f1a2c\r\n"
		"From: <sip:alice@example.org>;tag=8a7b6c\r\n"
		"To: <sip:alice@example.org>;tag=srv\r\n"
		"Call-ID: 3c26700b5f1a2c@203.0.113.5\r\n"
		"CSeq: 2 REGISTER\r\n"
		"Content-Length: 0\r\n\r\n";
	struct sip_msg m;
	enum sip_flaw f;

	cr_assert_eq(sip_scan(r, strlen(r), &m, &f), 0);
	policy_reply(&g_p, &m, now, a);
	policy_reply_table(g_p.bans, a, now);
}

/* failed_auth_ban_target: ip never bans a trusted source (the whitelisted
 * peer relays many users' wrong passwords); benign twin: a stranger. */
Test(abuse, auth_ip_ban_spares_the_peer)
{
	struct policy_auth a;

	g_cfg->failed_auth_ban_target = CONFIG_AUTH_BAN_IP;
	for (unsigned i = 0; i < g_cfg->failed_auth_attempts; i++) {
		judge("2001:db8:5::10", request("Linphone/5.2", CREDS), 1000 + i);
		reply401(1000 + i, &a);
	}
	cr_assert_eq(a.event, POLICY_EV_AUTH_BAN);
	cr_assert_not(a.ip_banned);
	cr_assert(a.ban_spared);
	for (unsigned i = 0; i < g_cfg->failed_auth_attempts; i++) {
		judge("203.0.113.5", request("Linphone/5.2", CREDS), 2000 + i);
		reply401(2000 + i, &a);
	}
	cr_assert(a.ip_banned);
	cr_assert(banned("203.0.113.5", 3000));
}

/* ---- issue 17, attack 3: the ban table filled by spoofed sources ---- */

static struct ban_key
KIPn(unsigned i)
{
	struct ban_key k;
	struct addr a;
	char ip[32];

	snprintf(ip, sizeof(ip), "10.%u.%u.%u", (i >> 16) & 255, (i >> 8) & 255, i & 255);
	cr_assert_eq(addr_parse(ip, &a), 0);
	ban_key_ip(&k, &a);
	return k;
}

Test(abuse, spoofed_ip_bans_never_crowd_out_user_and_operator_bans)
{
	struct bantab *t = bantab_new(100);
	struct ban_key k, gone;

	cr_assert_eq(bantab_auto_max(t), 90);
	/* 1000 spoofed sources, one ban each: every one is made (the oldest
	 * single-hit ones make room), never more than the quota. */
	for (unsigned i = 0; i < 1000; i++) {
		k = KIPn(i);
		cr_assert_eq(bantab_add_evict(t, &k, BAN_REASON_UA, i, 3600000, &gone), 1, "ban %u", i);
		cr_assert_eq(gone.kind, i < 90 ? 0 : BAN_KIND_IP, "ban %u", i);
		cr_assert_leq(bantab_auto_count(t), 90);
	}
	cr_assert_eq(bantab_evicted(t), 910);
	cr_assert_eq(bantab_refused(t), 0);
	/* a real user ban for alice, and an operator's ban, still go in */
	cr_assert_eq(ban_key_user(&k, "alice@example.org"), 0);
	cr_assert_eq(bantab_add(t, &k, BAN_REASON_AUTH, 2000, 3600000), 1);
	cr_assert(bantab_check(t, &k, 2001));
	k = KIPn(5000);
	cr_assert_eq(bantab_add(t, &k, BAN_REASON_MANUAL, 2000, 3600000), 1);
	/* 10 user bans fill the reserve; more take automatic bans' room */
	for (unsigned i = 0; i < 20; i++) {
		char u[32];

		snprintf(u, sizeof(u), "u%u@example.org", i);
		cr_assert_eq(ban_key_user(&k, u), 0);
		cr_assert_eq(bantab_add(t, &k, BAN_REASON_AUTH, 2000, 3600000), 1, "user %u", i);
	}
	cr_assert_eq(bantab_count(t, BAN_KIND_USER), 21);
	cr_assert_eq(bantab_refused(t), 0);
	bantab_free(t);
}

/* Found by fuzz_state: a state file (or a cluster peer) that sets an
 * operator's ban again with an automatic reason turns it automatic; with
 * the quota full that took a slot the quota did not have. It must evict
 * another automatic ban instead. Benign twin: the same with the quota
 * not full evicts nothing. */
Test(abuse, operator_ban_turned_automatic_keeps_the_quota)
{
	struct bantab *t = bantab_new(8); /* 7 automatic */
	struct ban_key k;

	for (unsigned i = 0; i < 7; i++) {
		k = KIPn(i);
		cr_assert_eq(bantab_set(t, &k, BAN_REASON_DENSITY, 0, 1000000), 1);
	}
	k = KIPn(7);
	cr_assert_eq(bantab_set(t, &k, BAN_REASON_MANUAL, 0, 1000000), 1);
	cr_assert_eq(bantab_auto_count(t), 7);
	cr_assert_eq(bantab_set(t, &k, BAN_REASON_DENSITY, 0, 1000000), 0);
	cr_assert_leq(bantab_auto_count(t), bantab_auto_max(t));
	cr_assert_eq(bantab_count(t, BAN_KIND_IP), 7);
	cr_assert_eq(bantab_evicted(t), 1);
	cr_assert(bantab_check(t, &k, 10));
	bantab_free(t);

	t = bantab_new(8);
	k = KIPn(0);
	cr_assert_eq(bantab_set(t, &k, BAN_REASON_DENSITY, 0, 1000000), 1);
	k = KIPn(1);
	cr_assert_eq(bantab_set(t, &k, BAN_REASON_MANUAL, 0, 1000000), 1);
	cr_assert_eq(bantab_set(t, &k, BAN_REASON_DENSITY, 0, 1000000), 0);
	cr_assert_eq(bantab_auto_count(t), 2);
	cr_assert_eq(bantab_evicted(t), 0);
	bantab_free(t);
}

/* The least valuable goes first: a ban that keeps dropping a real sender
 * stays, one that dropped at most one packet goes; then least time left. */
Test(abuse, eviction_keeps_the_bans_that_work)
{
	struct bantab *t = bantab_new(16); /* 15 automatic: all in one sample */
	struct ban_key k, gone;

	for (unsigned i = 0; i < 15; i++) {
		k = KIPn(i);
		/* the hot ones have the least time left: hits must weigh more */
		cr_assert_eq(bantab_add(t, &k, BAN_REASON_DENSITY, 0, i < 5 ? 1000000 : 2000000 + i), 1);
		if (i < 5)
			for (int h = 0; h < 10; h++)
				cr_assert(bantab_check(t, &k, 10));
	}
	k = KIPn(100);
	cr_assert_eq(bantab_add_evict(t, &k, BAN_REASON_DENSITY, 20, 3000000, &gone), 1);
	cr_assert_eq(gone.kind, BAN_KIND_IP);
	/* the cold one with the least time left: 10.0.0.5 */
	k = KIPn(5);
	cr_assert_eq(memcmp(gone.data, k.data, k.len), 0, "evicted the wrong ban");
	for (unsigned i = 0; i < 5; i++) {
		k = KIPn(i);
		cr_assert(bantab_check(t, &k, 30), "hot ban %u evicted", i);
	}
	/* benign twin: operator bans are never evicted, so a table full of
	 * them refuses an automatic ban */
	bantab_free(t);
	t = bantab_new(16);
	for (unsigned i = 0; i < 16; i++) {
		k = KIPn(i);
		cr_assert_eq(bantab_add(t, &k, BAN_REASON_MANUAL, 0, 1000000), 1);
	}
	k = KIPn(100);
	cr_assert_eq(bantab_add_evict(t, &k, BAN_REASON_DENSITY, 20, 1000, &gone), -ENOSPC);
	cr_assert_eq(gone.kind, 0);
	bantab_free(t);
}

/* One prefix may not churn the table: past BANRATE_MAX bans a window,
 * its offenders are dropped but not banned. Benign twin: other prefixes
 * and the next window are not affected. */
Test(abuse, ban_creation_per_prefix_is_limited)
{
	char ip[32];
	unsigned made = 0, limited = 0;

	g_p.banrate = banrate_new();
	cr_assert_not_null(g_p.banrate);
	for (unsigned i = 0; i < BANRATE_MAX + 10; i++) {
		struct policy_verdict v;

		snprintf(ip, sizeof(ip), "203.0.%u.%u", i / 250, i % 250 + 1);
		v = judge(ip, request("friendly-scanner", ""), 20000);
		cr_assert(v.drop);
		made += v.new_ban;
		limited += v.ban_limited;
	}
	cr_assert_eq(made, BANRATE_MAX);
	cr_assert_eq(limited, 10);
	cr_assert(judge("192.0.2.7", request("friendly-scanner", ""), 20000).new_ban);
	cr_assert(judge("203.0.113.200", request("friendly-scanner", ""), 20000 + BANRATE_WINDOW_MS)
			  .new_ban);
	banrate_free(g_p.banrate);
	g_p.banrate = NULL;
}

/* ---- issue 17, attack 4: account lockout by spoofed failures ---- */

#define DAY_MS (86400ull * 1000)

/* alice proved her password from 203.0.113.5; three spoofed credentialed
 * REGISTERs make the server send three 401s; alice is banned, but not
 * from her known source. */
static void
lock_alice_out(uint64_t t0)
{
	struct policy_auth a;

	judge("203.0.113.5", request("Linphone/5.2", CREDS), t0);
	reply_n(200, t0 + 1, &a);
	cr_assert(a.success);
	for (unsigned i = 0; i < g_cfg->failed_auth_attempts; i++) {
		char ip[32];

		snprintf(ip, sizeof(ip), "203.0.113.%u", 66 + i);
		judge(ip, request("Linphone/5.2", CREDS), t0 + 10 + i);
		reply_n(401, t0 + 10 + i, &a);
	}
	cr_assert(a.user_banned, "alice not banned");
}

Test(abuse, lockout_spares_the_users_known_source)
{
	struct policy_verdict v;

	lock_alice_out(1000);
	v = judge("203.0.113.5", request("Linphone/5.2", CREDS), 2000);
	cr_assert_not(v.drop, "alice dropped at her known source: %s", policy_reason_name(v.reason));
	cr_assert(v.known_source);
	/* the guesser, and anyone else, stays banned as alice */
	v = judge("203.0.113.66", request("Linphone/5.2", CREDS), 2000);
	cr_assert(v.drop);
	cr_assert_eq(v.reason, POLICY_BANNED_USER);
	v = judge("203.0.113.9", request("Linphone/5.2", CREDS), 2000);
	cr_assert_eq(v.reason, POLICY_BANNED_USER);
}

/* Benign twins: known_source_time 0 turns it off, and a known source is
 * forgotten after known_source_time. */
Test(abuse, lockout_protection_off_and_expiry)
{
	struct policy_verdict v;

	g_cfg->known_source_time = 0;
	lock_alice_out(1000);
	v = judge("203.0.113.5", request("Linphone/5.2", CREDS), 2000);
	cr_assert_eq(v.reason, POLICY_BANNED_USER);
	g_cfg->known_source_time = 1;
	cr_assert_not(knowntab_known(g_p.known, "alice@example.org", &(struct addr){ 0 }, 0, 1));
}

Test(abuse, known_source_expires)
{
	struct addr a = A("203.0.113.5"), b = A("203.0.113.6");
	struct knowntab *t = knowntab_new(16);

	knowntab_note(t, "alice@example.org", &a, 1000);
	cr_assert(knowntab_known(t, "alice@example.org", &a, 1000 + 30 * DAY_MS - 1, 30 * DAY_MS));
	cr_assert_not(knowntab_known(t, "alice@example.org", &a, 1000 + 30 * DAY_MS, 30 * DAY_MS));
	cr_assert_not(knowntab_known(t, "alice@example.org", &b, 2000, 30 * DAY_MS));
	cr_assert_not(knowntab_known(t, "bob@example.org", &a, 2000, 30 * DAY_MS));
	/* bounded: 1000 users noted into 16 slots */
	for (unsigned i = 0; i < 1000; i++) {
		char u[32];

		snprintf(u, sizeof(u), "u%u@example.org", i);
		knowntab_note(t, u, &a, 3000 + i);
	}
	cr_assert_leq(knowntab_count(t, 5000, 30 * DAY_MS), 16);
	knowntab_free(t);
}

/* alice's known address, built with junk in the bytes IPv4 does not use,
 * is still her known address (and a different address is not). */
Test(abuse, known_source_ignores_unused_address_bytes)
{
	struct addr a = A("203.0.113.5"), b = a;
	struct knowntab *t = knowntab_new(16);

	knowntab_note(t, "alice@example.org", &a, 1000);
	memset(b.pad, 0x11, sizeof(b.pad));
	memset(b.a + 4, 0x22, sizeof(b.a) - 4);
	cr_assert(knowntab_known(t, "alice@example.org", &b, 2000, 30 * DAY_MS));
	b.a[3] = 6;
	cr_assert_not(knowntab_known(t, "alice@example.org", &b, 2000, 30 * DAY_MS));
	knowntab_free(t);
}
