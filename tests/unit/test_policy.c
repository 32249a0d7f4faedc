/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "bans.h"
#include "config.h"
#include "policy.h"
#include "sip.h"
#include "srctab.h"

#define N 50         /* dos_reqs_density_per_unit */
#define T_MS 2000    /* dos_sampling_time_unit = 2 s */
#define BAN_MS (3600 * 1000ull)

static struct config *g_cfg;
static struct policy g_p;
static struct sip_msg g_m;
static uint8_t *g_buf; /* the last judged payload: g_m points into it */

static void
setup(void)
{
	g_cfg = config_new_default();
	cr_assert_not_null(g_cfg, "config_new_default() failed");
	cr_assert_eq(g_cfg->dos_reqs_density_per_unit, N);
	cr_assert_eq(g_cfg->dos_sampling_time_unit, T_MS / 1000);
	cr_assert_eq(g_cfg->dos_ban_time * 1000ull, BAN_MS);
	g_p.cfg = g_cfg;
	g_p.cfg_gen = 1;
	g_p.src = srctab_new(1024, N + 1);
	g_p.bans = bantab_new(1000);
	cr_assert_not_null(g_p.src);
	cr_assert_not_null(g_p.bans);
}

static void
teardown(void)
{
	srctab_free(g_p.src);
	bantab_free(g_p.bans);
	config_free(g_cfg);
	free(g_buf);
	g_buf = NULL;
	memset(&g_p, 0, sizeof(g_p));
}

TestSuite(policy, .init = setup, .fini = teardown);
TestSuite(policy_density, .init = setup, .fini = teardown);
TestSuite(policy_trust, .init = setup, .fini = teardown);
TestSuite(policy_malformed, .init = setup, .fini = teardown);
TestSuite(policy_ua, .init = setup, .fini = teardown);

static struct addr
A(const char *s)
{
	struct addr a;

	cr_assert_eq(addr_parse(s, &a), 0, "parse %s", s);
	return a;
}

static struct addr_net *
nets(const char *const *list, unsigned n)
{
	struct addr_net *v = calloc(n ? n : 1, sizeof(*v));

	cr_assert_not_null(v);
	for (unsigned i = 0; i < n; i++)
		cr_assert_eq(addr_net_parse(list[i], &v[i]), 0, "parse %s", list[i]);
	return v;
}

/* Replace the whitelist (ips and subnets share one list in struct config). */
static void
set_whitelist(const char *const *list, unsigned n)
{
	free(g_cfg->whitelist);
	g_cfg->whitelist = nets(list, n);
	g_cfg->n_whitelist = n;
}

static void
set_peers(const char *const *list, unsigned n)
{
	free(g_cfg->peering_servers);
	g_cfg->peering_servers = nets(list, n);
	g_cfg->n_peering_servers = n;
}

/* Judge text from an exact-size heap copy, so ASan sees any overread. */
static struct policy_verdict
judge_n(const char *ip, const void *text, size_t len, uint64_t now)
{
	struct policy_verdict v;
	struct addr a = A(ip);

	free(g_buf);
	g_buf = malloc(len ? len : 1);
	cr_assert_not_null(g_buf);
	memcpy(g_buf, text, len);
	memset(&v, 0x5a, sizeof(v));
	policy_judge(&g_p, &a, g_buf, len, now, &g_m, &v);
	policy_ban_table(g_p.bans, &v, now);
	return v;
}

static struct policy_verdict
judge(const char *ip, const char *text, uint64_t now)
{
	return judge_n(ip, text, strlen(text), now);
}

/* A request as a real UA sends it; ua NULL leaves User-Agent out. */
static const char *
request(const char *method, const char *ua)
{
	static char buf[2048];
	char ualine[600] = "";

	if (ua)
		snprintf(ualine, sizeof(ualine), "User-Agent: %s\r\n", ua);
	snprintf(buf, sizeof(buf),
		 "%s sip:%s SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 203.0.113.7:5062;rport;branch=z9hG4bK-5f1a2c\r\n"
		 "Max-Forwards: 70\r\n"
		 "From: \"Alice\" <sip:alice@example.org>;tag=8a7b6c\r\n"
		 "To: <sip:%s@example.org>\r\n"
		 "Call-ID: 3c26700b5f1a2c@203.0.113.7\r\n"
		 "CSeq: 1 %s\r\n"
		 "Contact: <sip:alice@203.0.113.7:5062>\r\n"
		 "%s"
		 "Content-Length: 0\r\n"
		 "\r\n",
		 method, strcmp(method, "REGISTER") == 0 ? "example.org" : "bob@example.org",
		 strcmp(method, "REGISTER") == 0 ? "alice" : "bob", method, ualine);
	return buf;
}

static const char reply_200[] =
	"SIP/2.0 200 OK\r\n"
	"Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bK-77aa\r\n"
	"From: <sip:alice@example.org>;tag=8a7b6c\r\n"
	"To: <sip:alice@example.org>;tag=srv1\r\n"
	"Call-ID: 3c26700b5f1a2c@203.0.113.7\r\n"
	"CSeq: 1 REGISTER\r\n"
	"Content-Length: 0\r\n"
	"\r\n";

static const char garbage[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not SIP at all";

static void
assert_accept(struct policy_verdict v, enum policy_reason r)
{
	cr_assert_not(v.drop, "dropped: %s", policy_reason_name(v.reason));
	cr_assert_eq(v.reason, r, "reason %s, want %s", policy_reason_name(v.reason),
		     policy_reason_name(r));
	cr_assert_not(v.new_ban);
}

static void
assert_drop(struct policy_verdict v, enum policy_reason r)
{
	cr_assert(v.drop, "accepted: %s", policy_reason_name(v.reason));
	cr_assert_eq(v.reason, r, "reason %s, want %s", policy_reason_name(v.reason),
		     policy_reason_name(r));
}

/* Banned by its own address or a network holding it (IPv6 sources are
 * banned as their dos_ipv6_prefix network). */
static bool
ip_banned(const char *ip, uint64_t now)
{
	struct addr a = A(ip);

	return bantab_check_ip(g_p.bans, &a, now);
}

/* n requests from ip at now, all expected to pass with reason r. */
static void
pass_n(const char *ip, const char *text, int n, uint64_t now, enum policy_reason r)
{
	for (int i = 0; i < n; i++) {
		struct policy_verdict v = judge(ip, text, now);

		cr_assert_not(v.drop, "%s: request %d dropped (%s)", ip, i + 1,
			      policy_reason_name(v.reason));
		cr_assert_eq(v.reason, r, "%s: request %d: %s", ip, i + 1,
			     policy_reason_name(v.reason));
		cr_assert_eq(v.event, POLICY_EV_NONE);
	}
}

static void
assert_density_ban(struct policy_verdict v)
{
	assert_drop(v, POLICY_DENSITY);
	cr_assert_eq(v.event, POLICY_EV_BAN_IP);
	cr_assert(v.new_ban);
	cr_assert_eq(v.ban_reason, BAN_REASON_DENSITY);
	cr_assert_eq(v.ban_time_s, 3600);
}

/* ---- basics ---- */

Test(policy, legit_requests_pass)
{
	static const char *const methods[] = { "REGISTER", "INVITE", "OPTIONS", "BYE" };

	for (unsigned i = 0; i < 4; i++) {
		struct policy_verdict v = judge("203.0.113.10", request(methods[i], "Linphone/5.2"), 1000);

		assert_accept(v, POLICY_PASS);
		cr_assert_eq(v.event, POLICY_EV_NONE);
		cr_assert(v.parsed);
		cr_assert(g_m.is_request);
	}
	cr_assert_eq(bantab_count(g_p.bans, BAN_KIND_IP), 0);
}

Test(policy, reply_accepted)
{
	struct policy_verdict v = judge("198.51.100.20", reply_200, 1000);

	assert_accept(v, POLICY_REPLY);
	cr_assert(v.parsed);
	cr_assert_not(g_m.is_request);
	cr_assert_eq(g_m.status, 200);
}

Test(policy, reason_names)
{
	cr_assert_str_eq(policy_reason_name(POLICY_PASS), "pass");
	cr_assert_str_eq(policy_reason_name(POLICY_TRUSTED), "trusted");
	cr_assert_str_eq(policy_reason_name(POLICY_REPLY), "reply");
	cr_assert_str_eq(policy_reason_name(POLICY_BANNED_IP), "banned-ip");
	cr_assert_str_eq(policy_reason_name(POLICY_DENSITY), "density");
	cr_assert_str_eq(policy_reason_name(POLICY_MALFORMED), "malformed");
	cr_assert_str_eq(policy_reason_name(POLICY_UA), "ua");
	cr_assert_str_eq(policy_reason_name(POLICY_BANNED_USER), "banned-user");
	cr_assert_str_eq(policy_reason_name(POLICY_REASON__MAX), "unknown");
}

/* ---- density ---- */

Test(policy_density, flood_is_banned_then_released)
{
	const char *reg = request("REGISTER", "Linphone/5.2");
	const uint64_t t0 = 100000;
	struct policy_verdict v;

	pass_n("203.0.113.7", reg, N, t0, POLICY_PASS);
	v = judge("203.0.113.7", reg, t0 + 5);
	assert_density_ban(v);
	cr_assert(ip_banned("203.0.113.7", t0 + 6));

	/* Further packets: already banned, no new event. */
	for (int i = 0; i < 200; i++) {
		v = judge("203.0.113.7", i % 2 ? reg : garbage, t0 + 10 + (uint64_t)i);
		assert_drop(v, POLICY_BANNED_IP);
		cr_assert_eq(v.event, POLICY_EV_NONE);
		cr_assert_not(v.new_ban);
	}

	/* Another source is unaffected. */
	pass_n("203.0.113.8", reg, N, t0 + 10, POLICY_PASS);

	v = judge("203.0.113.7", reg, t0 + 5 + BAN_MS - 1);
	assert_drop(v, POLICY_BANNED_IP);
	v = judge("203.0.113.7", reg, t0 + 5 + BAN_MS);
	assert_accept(v, POLICY_PASS);
	/* A fresh start: the flood before the ban does not count again. */
	pass_n("203.0.113.7", reg, N - 1, t0 + 5 + BAN_MS, POLICY_PASS);
	assert_density_ban(judge("203.0.113.7", reg, t0 + 5 + BAN_MS));
}

/* 50 requests late in one fixed 2 s window and 50 early in the next. */
Test(policy_density, straddling_fixed_window_boundary)
{
	const char *opt = request("OPTIONS", NULL);
	struct policy_verdict v;

	for (int i = 0; i < 50; i++)
		assert_accept(judge("203.0.113.7", opt, 1900 + (uint64_t)i), POLICY_PASS);
	v = judge("203.0.113.7", opt, 2000);
	assert_density_ban(v);
}

Test(policy_density, rate_exactly_at_limit_is_allowed)
{
	const char *opt = request("OPTIONS", NULL);

	/* N+1 requests spanning exactly T: allowed, for 5000 requests. */
	for (int i = 0; i < 5000; i++) {
		struct policy_verdict v = judge("203.0.113.7", opt, 1000 + (uint64_t)i * (T_MS / N));

		assert_accept(v, POLICY_PASS);
	}
}

Test(policy_density, ipv6_source_banned_alone_with_prefix_128)
{
	const char *reg = request("REGISTER", NULL);

	g_cfg->dos_ipv6_prefix = 128;
	pass_n("2001:db8:a::66", reg, N, 5000, POLICY_PASS);
	assert_density_ban(judge("2001:db8:a::66", reg, 5000));
	assert_drop(judge("2001:db8:a::66", reg, 5001), POLICY_BANNED_IP);
	assert_accept(judge("2001:db8:a::67", reg, 5001), POLICY_PASS);
	assert_accept(judge("203.0.113.66", reg, 5001), POLICY_PASS);
}

Test(policy_density, ipv6_prefix_counts_and_bans_the_64)
{
	const char *reg = request("REGISTER", NULL);
	char ip[64];
	struct policy_verdict v;

	/* An attacker rotating through its /64: every request from a new
	 * address, all of them counted together. */
	for (int i = 0; i < N; i++) {
		snprintf(ip, sizeof(ip), "2001:db8:a::%x", 0x100 + i);
		assert_accept(judge(ip, reg, 5000), POLICY_PASS);
	}
	v = judge("2001:db8:a::ffff", reg, 5000);
	assert_density_ban(v);
	cr_assert_eq(v.ban_plen, 64);
	assert_drop(judge("2001:db8:a:0:1234::1", reg, 5001), POLICY_BANNED_IP);
	assert_accept(judge("2001:db8:b::1", reg, 5001), POLICY_PASS);
}

Test(policy_density, disabled_never_bans)
{
	const char *reg = request("REGISTER", NULL);

	g_cfg->dos_ban_enable = false;
	pass_n("203.0.113.7", reg, 20 * N, 1000, POLICY_PASS);
	cr_assert_eq(bantab_count(g_p.bans, BAN_KIND_IP), 0);
}

Test(policy_density, custom_limits)
{
	const char *reg = request("REGISTER", NULL);

	/* density 3 per 10 s, ban 60 s */
	srctab_free(g_p.src);
	g_p.src = srctab_new(1024, 4);
	g_cfg->dos_reqs_density_per_unit = 3;
	g_cfg->dos_sampling_time_unit = 10;
	g_cfg->dos_ban_time = 60;
	pass_n("203.0.113.7", reg, 1, 0, POLICY_PASS);
	pass_n("203.0.113.7", reg, 1, 4000, POLICY_PASS);
	pass_n("203.0.113.7", reg, 1, 8000, POLICY_PASS);
	/* 10 s after the first: span 10 s, not dense. */
	pass_n("203.0.113.7", reg, 1, 10000, POLICY_PASS);
	{
		struct policy_verdict v = judge("203.0.113.7", reg, 13999);

		assert_drop(v, POLICY_DENSITY);
		cr_assert_eq(v.ban_time_s, 60);
	}
	assert_drop(judge("203.0.113.7", reg, 13999 + 59999), POLICY_BANNED_IP);
	assert_accept(judge("203.0.113.7", reg, 13999 + 60000), POLICY_PASS);
}

Test(policy_density, replies_count)
{
	struct policy_verdict v;

	pass_n("203.0.113.7", reply_200, N, 1000, POLICY_REPLY);
	v = judge("203.0.113.7", reply_200, 1000);
	assert_density_ban(v);
	assert_drop(judge("203.0.113.7", reply_200, 1001), POLICY_BANNED_IP);
}

Test(policy_density, requests_and_replies_count_together)
{
	for (int i = 0; i < N; i++)
		assert_accept(judge("203.0.113.7", i % 2 ? reply_200 : request("INVITE", NULL), 1000),
			      i % 2 ? POLICY_REPLY : POLICY_PASS);
	assert_density_ban(judge("203.0.113.7", request("INVITE", NULL), 1000));
}

Test(policy_density, ban_table_full)
{
	const char *reg = request("REGISTER", NULL);
	struct addr other = A("192.0.2.1");
	struct ban_key k;
	struct policy_verdict v;

	bantab_free(g_p.bans);
	g_p.bans = bantab_new(1);
	ban_key_ip(&k, &other);
	cr_assert_eq(bantab_add(g_p.bans, &k, BAN_REASON_MANUAL, 0, 10 * BAN_MS), 1);

	pass_n("203.0.113.7", reg, N, 1000, POLICY_PASS);
	v = judge("203.0.113.7", reg, 1000);
	assert_drop(v, POLICY_DENSITY);
	cr_assert_eq(v.event, POLICY_EV_BAN_REFUSED);
	cr_assert_not(v.new_ban);
	cr_assert_eq(bantab_refused(g_p.bans), 1);
	cr_assert_not(ip_banned("203.0.113.7", 1001));
}

/* ---- trusted sources ---- */

Test(policy_trust, whitelisted_ips_never_banned)
{
	static const char *const wl[] = { "203.0.113.7", "2001:db8:c::5" };
	const char *reg = request("REGISTER", NULL);

	set_whitelist(wl, 2);
	pass_n("203.0.113.7", reg, 20 * N, 1000, POLICY_TRUSTED);
	pass_n("2001:db8:c::5", reg, 20 * N, 1000, POLICY_TRUSTED);
	pass_n("203.0.113.7", reply_200, 20 * N, 1000, POLICY_REPLY);
	/* Garbage from a trusted source is still garbage, but no ban. */
	for (int i = 0; i < 5 * N; i++) {
		struct policy_verdict v = judge("203.0.113.7", garbage, 1000);

		assert_drop(v, POLICY_MALFORMED);
		cr_assert_eq(v.event, POLICY_EV_MALFORMED);
	}
	cr_assert_eq(bantab_count(g_p.bans, BAN_KIND_IP), 0);
	/* Neighbours are not whitelisted. */
	pass_n("203.0.113.8", reg, N, 1000, POLICY_PASS);
	assert_density_ban(judge("203.0.113.8", reg, 1000));
	pass_n("2001:db8:c::6", reg, N, 1000, POLICY_PASS);
	assert_density_ban(judge("2001:db8:c::6", reg, 1000));
}

Test(policy_trust, whitelisted_subnets_never_banned)
{
	static const char *const wl[] = { "192.0.2.9", "203.0.113.0/24", "2001:db8:c::/64" };
	static const char *const in[] = {
		"203.0.113.0", "203.0.113.7", "203.0.113.255", "2001:db8:c::1",
		"2001:db8:c:0:ffff:ffff:ffff:ffff",
	};
	static const char *const out[] = { "203.0.114.7", "203.0.112.255", "2001:db8:c:1::1", "2001:db8:d::1" };
	const char *inv = request("INVITE", NULL);

	set_whitelist(wl, 3);
	for (unsigned i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		pass_n(in[i], inv, 3 * N, 1000, POLICY_TRUSTED);
	for (unsigned i = 0; i < sizeof(out) / sizeof(out[0]); i++) {
		pass_n(out[i], inv, N, 1000, POLICY_PASS);
		assert_density_ban(judge(out[i], inv, 1000));
	}
	cr_assert_eq(bantab_count(g_p.bans, BAN_KIND_IP), 4);
}

Test(policy_trust, peering_servers_never_banned)
{
	static const char *const peers[] = { "198.51.100.50", "2001:db8:5::/64" };
	const char *inv = request("INVITE", NULL);

	set_peers(peers, 2);
	pass_n("198.51.100.50", inv, 20 * N, 1000, POLICY_TRUSTED);
	pass_n("2001:db8:5::99", inv, 20 * N, 1000, POLICY_TRUSTED);
	pass_n("198.51.100.51", inv, N, 1000, POLICY_PASS);
	assert_density_ban(judge("198.51.100.51", inv, 1000));
}

/* A banned address that is whitelisted later (reload) is not dropped by
 * density, but the existing ban still holds until removed. */
Test(policy_trust, config_generation_recomputes_trust)
{
	static const char *const wl[] = { "203.0.113.9" };
	const char *reg = request("REGISTER", NULL);

	assert_accept(judge("203.0.113.9", reg, 1000), POLICY_PASS);
	set_whitelist(wl, 1);
	g_p.cfg_gen++;
	assert_accept(judge("203.0.113.9", reg, 1001), POLICY_TRUSTED);
	pass_n("203.0.113.9", reg, 3 * N, 1002, POLICY_TRUSTED);

	set_whitelist(NULL, 0);
	g_p.cfg_gen++;
	pass_n("203.0.113.9", reg, N, 5000, POLICY_PASS);
	assert_density_ban(judge("203.0.113.9", reg, 5000));
}

/* ---- malformed ---- */

Test(policy_malformed, garbage_dropped)
{
	static const char *const junk[] = {
		garbage, "\r\n\r\n", "HELLO\r\n\r\n", "REGISTER sip:x SIP/2.0\r\nVia: x\r\n",
		"REGISTER sip:x SIP/2.0\r\nno colon here\r\n\r\n",
	};

	for (unsigned i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		struct policy_verdict v = judge("203.0.113.7", junk[i], 1000 + i * 1000ull);

		assert_drop(v, POLICY_MALFORMED);
		cr_assert_eq(v.event, POLICY_EV_MALFORMED, "junk %u", i);
		cr_assert_not(v.parsed);
		cr_assert_neq(v.flaw, SIP_FLAW_NONE, "junk %u", i);
		cr_assert_not(v.new_ban);
	}
	{
		struct policy_verdict v = judge_n("203.0.113.7", "", 0, 10000);

		assert_drop(v, POLICY_MALFORMED);
		cr_assert_eq(v.flaw, SIP_FLAW_EMPTY);
	}
	{
		static const char nul[] = "OPTIONS sip:x SIP/2.0\r\nVia: a\0b\r\n\r\n";
		struct policy_verdict v = judge_n("203.0.113.7", nul, sizeof(nul) - 1, 20000);

		assert_drop(v, POLICY_MALFORMED);
	}
}

Test(policy_malformed, garbage_counts_toward_density)
{
	struct policy_verdict v;

	for (int i = 0; i < N; i++) {
		v = judge("203.0.113.7", garbage, 1000);
		assert_drop(v, POLICY_MALFORMED);
		cr_assert_eq(v.event, POLICY_EV_MALFORMED);
	}
	v = judge("203.0.113.7", garbage, 1000);
	assert_density_ban(v);
	assert_drop(judge("203.0.113.7", request("REGISTER", NULL), 1001), POLICY_BANNED_IP);
}

Test(policy_malformed, accept_by_config)
{
	struct policy_verdict v;

	g_cfg->malformed = CONFIG_MALFORMED_ACCEPT;
	v = judge("203.0.113.7", garbage, 1000);
	cr_assert_not(v.drop);
	cr_assert_eq(v.reason, POLICY_MALFORMED);
	cr_assert_eq(v.event, POLICY_EV_MALFORMED);
	/* Still counted: the flood is banned all the same. */
	for (int i = 1; i < N; i++)
		cr_assert_not(judge("203.0.113.7", garbage, 1000).drop);
	assert_density_ban(judge("203.0.113.7", garbage, 1000));
}

/* ---- User-Agent blacklist ---- */

static void
assert_ua_drop(struct policy_verdict v, bool banned_now)
{
	assert_drop(v, POLICY_UA);
	cr_assert_eq(v.event, POLICY_EV_UA);
	cr_assert(v.parsed);
	cr_assert_eq(v.new_ban, banned_now);
	if (banned_now) {
		cr_assert_eq(v.ban_reason, BAN_REASON_UA);
		cr_assert_eq(v.ban_time_s, g_cfg->ua_ban_time);
	}
}

Test(policy_ua, scanner_register_dropped_and_banned)
{
	struct policy_verdict v;

	v = judge("203.0.113.66", request("REGISTER", "friendly-scanner"), 1000);
	assert_ua_drop(v, true);
	cr_assert(ip_banned("203.0.113.66", 1001));
	v = judge("203.0.113.66", request("REGISTER", "Linphone/5.2"), 1002);
	assert_drop(v, POLICY_BANNED_IP);
	cr_assert_eq(v.event, POLICY_EV_NONE);
	assert_drop(judge("203.0.113.66", request("OPTIONS", NULL), 1000 + BAN_MS - 1),
		    POLICY_BANNED_IP);
	assert_accept(judge("203.0.113.66", request("OPTIONS", NULL), 1000 + BAN_MS), POLICY_PASS);
}

Test(policy_ua, scanner_invite_dropped)
{
	/* The User-Agent rule on its own: the test message's other headers
	 * are not sipvicious', but say so. */
	g_cfg->scanner_fingerprints = false;
	assert_ua_drop(judge("2001:db8:a::66", request("INVITE", "sipvicious"), 1000), true);
	cr_assert(ip_banned("2001:db8:a::66", 1001));
}

Test(policy_ua, unlisted_method_accepted)
{
	/* Default methods are REGISTER and INVITE. */
	assert_accept(judge("203.0.113.66", request("OPTIONS", "friendly-scanner"), 1000), POLICY_PASS);
	assert_accept(judge("203.0.113.66", request("BYE", "friendly-scanner"), 1000), POLICY_PASS);
	cr_assert_not(ip_banned("203.0.113.66", 1001));

	g_cfg->ua_blacklist_methods |= 1u << SIP_METHOD_OPTIONS;
	assert_ua_drop(judge("203.0.113.67", request("OPTIONS", "friendly-scanner"), 1000), true);
}

Test(policy_ua, anchored_pattern)
{
	assert_ua_drop(judge("203.0.113.66", request("REGISTER", "sipcli/1.8"), 1000), true);
	assert_accept(judge("203.0.113.67", request("REGISTER", "mysipcli"), 1000), POLICY_PASS);
	assert_accept(judge("203.0.113.67", request("REGISTER", "mysipcli/1.8"), 1000), POLICY_PASS);
	/* ".+" wants at least one more character. */
	assert_accept(judge("203.0.113.67", request("REGISTER", "sipcli"), 1000), POLICY_PASS);
}

Test(policy_ua, unanchored_pattern_matches_inside)
{
	assert_ua_drop(judge("203.0.113.66", request("REGISTER", "Mozilla friendly-scanner 1.0"), 1000),
		       true);
}

Test(policy_ua, legit_ua_and_no_ua_pass)
{
	assert_accept(judge("203.0.113.10", request("REGISTER", "Zoiper rv2.10"), 1000), POLICY_PASS);
	assert_accept(judge("203.0.113.10", request("INVITE", NULL), 1000), POLICY_PASS);
	assert_accept(judge("203.0.113.10", request("INVITE", ""), 1000), POLICY_PASS);
}

Test(policy_ua, folded_header_matched)
{
	static const char msg[] =
		"REGISTER sip:example.org SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 203.0.113.66:5060;branch=z9hG4bK-1\r\n"
		"From: <sip:100@example.org>;tag=1\r\n"
		"To: <sip:100@example.org>\r\n"
		"Call-ID: 1@203.0.113.66\r\n"
		"CSeq: 1 REGISTER\r\n"
		"user-agent:\r\n"
		"\tfriendly-scanner\r\n"
		"Content-Length: 0\r\n"
		"\r\n";
	static const char msg2[] =
		"INVITE sip:bob@example.org SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 203.0.113.67:5060;branch=z9hG4bK-1\r\n"
		"From: <sip:100@example.org>;tag=1\r\n"
		"To: <sip:bob@example.org>\r\n"
		"Call-ID: 2@203.0.113.67\r\n"
		"CSeq: 1 INVITE\r\n"
		"USER-AGENT   :   sipcli\r\n"
		"   /1.8\r\n"
		"Content-Length: 0\r\n"
		"\r\n";

	assert_ua_drop(judge("203.0.113.66", msg, 1000), true);
	assert_ua_drop(judge("203.0.113.67", msg2, 1000), true);
	/* A fold is one space (RFC 3261 7.3.1), as the server reads it too. */
	assert_ua_drop(judge("203.0.113.68", request("REGISTER", "Mozilla/5.0\r\n friendly-scanner/1.0"),
			     1000), true);
	assert_accept(judge("203.0.113.69", request("REGISTER", "friendly-\r\n scanner"), 1000),
		      POLICY_PASS);
}

Test(policy_ua, no_ban_when_disabled)
{
	struct policy_verdict v;

	g_cfg->ua_ban_ip = false;
	for (int i = 0; i < 3; i++) {
		v = judge("203.0.113.66", request("REGISTER", "friendly-scanner"), 1000 + (uint64_t)i);
		assert_ua_drop(v, false);
	}
	cr_assert_eq(bantab_count(g_p.bans, BAN_KIND_IP), 0);
	assert_accept(judge("203.0.113.66", request("REGISTER", "Linphone"), 1010), POLICY_PASS);
}

Test(policy_ua, trusted_source_dropped_not_banned)
{
	static const char *const wl[] = { "198.51.100.0/24" };

	set_whitelist(wl, 1);
	assert_ua_drop(judge("198.51.100.7", request("INVITE", "friendly-scanner"), 1000), false);
	cr_assert_not(ip_banned("198.51.100.7", 1001));
	assert_accept(judge("198.51.100.7", request("INVITE", "Kamailio"), 1002), POLICY_TRUSTED);
}

Test(policy_ua, ban_time_from_ua_ban_time)
{
	struct policy_verdict v;

	g_cfg->ua_ban_time = 10;
	v = judge("203.0.113.66", request("REGISTER", "friendly-scanner"), 1000);
	assert_ua_drop(v, true);
	assert_drop(judge("203.0.113.66", request("OPTIONS", NULL), 10999), POLICY_BANNED_IP);
	assert_accept(judge("203.0.113.66", request("OPTIONS", NULL), 11000), POLICY_PASS);
}

Test(policy_ua, ban_table_full_still_drops)
{
	struct addr other = A("192.0.2.1");
	struct ban_key k;
	struct policy_verdict v;

	bantab_free(g_p.bans);
	g_p.bans = bantab_new(1);
	ban_key_ip(&k, &other);
	cr_assert_eq(bantab_add(g_p.bans, &k, BAN_REASON_MANUAL, 0, 10 * BAN_MS), 1);
	v = judge("203.0.113.66", request("REGISTER", "friendly-scanner"), 1000);
	assert_drop(v, POLICY_UA);
	cr_assert_not(v.new_ban);
	cr_assert_eq(bantab_refused(g_p.bans), 1);
	cr_assert_not(ip_banned("203.0.113.66", 1001));
}

Test(policy_ua, empty_blacklist)
{
	unsigned n = g_cfg->n_ua_blacklist;

	g_cfg->n_ua_blacklist = 0;
	assert_accept(judge("203.0.113.66", request("REGISTER", "friendly-scanner"), 1000), POLICY_PASS);
	g_cfg->n_ua_blacklist = n;
}

Test(policy_ua, blacklisted_direct)
{
	cr_assert(policy_ua_blacklisted(g_cfg, SIP_METHOD_REGISTER, "friendly-scanner"));
	cr_assert(policy_ua_blacklisted(g_cfg, SIP_METHOD_INVITE, "sipvicious 0.3.3"));
	cr_assert(policy_ua_blacklisted(g_cfg, SIP_METHOD_INVITE, "sipcli/1.8"));
	cr_assert_not(policy_ua_blacklisted(g_cfg, SIP_METHOD_INVITE, "mysipcli"));
	cr_assert_not(policy_ua_blacklisted(g_cfg, SIP_METHOD_OPTIONS, "friendly-scanner"));
	cr_assert_not(policy_ua_blacklisted(g_cfg, SIP_METHOD_NONE, "friendly-scanner"));
	cr_assert_not(policy_ua_blacklisted(g_cfg, SIP_METHOD_REGISTER, ""));
	cr_assert_not(policy_ua_blacklisted(g_cfg, SIP_METHOD_REGISTER, "Linphone"));
}

/* The density check comes first: a scanner flood is a density ban. */
Test(policy_ua, ua_requests_count_toward_density)
{
	g_cfg->ua_ban_ip = false;
	for (int i = 0; i < N; i++)
		assert_ua_drop(judge("203.0.113.66", request("REGISTER", "friendly-scanner"), 1000), false);
	assert_density_ban(judge("203.0.113.66", request("REGISTER", "friendly-scanner"), 1000));
}

/* sipvicious with its User-Agent changed, as svwar builds a REGISTER. */
static const char *
sv_request(const char *branch, const char *tag)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf),
		 "REGISTER sip:198.51.100.10 SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 203.0.113.66:5060;branch=%s;rport\r\n"
		 "Max-Forwards: 70\r\n"
		 "To: \"100\"<sip:100@198.51.100.10>\r\n"
		 "From: \"100\"<sip:100@198.51.100.10>;tag=%s\r\n"
		 "User-Agent: Linphone/5.2\r\n"
		 "Call-ID: 3812345678\r\n"
		 "Contact: sip:100@198.51.100.10\r\n"
		 "CSeq: 1 REGISTER\r\n"
		 "Accept: application/sdp\r\n"
		 "Content-Length: 0\r\n\r\n", branch, tag);
	return buf;
}

/* "100" \x01 "3812345678" */
#define SV_TAG "313030013338313233343536373"
#define SV_TAG_FULL SV_TAG "8"

Test(policy_ua, scanner_two_traits_banned)
{
	struct policy_verdict v;

	v = judge("203.0.113.66", sv_request("z9hG4bK-3812345678", SV_TAG_FULL), 1000);
	assert_drop(v, POLICY_SCANNER);
	cr_assert_eq(v.event, POLICY_EV_SCANNER);
	cr_assert(v.new_ban);
	cr_assert_eq(v.ban_reason, BAN_REASON_SCANNER);
	cr_assert_eq(v.traits, SCANNER_BIT(SCANNER_VIA_BRANCH) | SCANNER_BIT(SCANNER_FROM_TAG));
	cr_assert(ip_banned("203.0.113.66", 1001));
}

/* One trait alone (a device whose generator happens to match one shape):
 * dropped and counted under its own reason, no ban, no scanner log line. */
Test(policy_ua, scanner_one_trait_dropped_not_banned)
{
	struct policy_verdict v;

	v = judge("203.0.113.66", sv_request("z9hG4bK-3812345678", "8a7b6c5d"), 1000);
	assert_drop(v, POLICY_SCANNER_TRAIT);
	cr_assert_eq(v.event, POLICY_EV_NONE);
	cr_assert_not(v.new_ban);
	v = judge("203.0.113.66", sv_request("z9hG4bKPj1c2d", SV_TAG_FULL), 1001);
	assert_drop(v, POLICY_SCANNER_TRAIT);
	cr_assert_not(v.new_ban);
	cr_assert_not(ip_banned("203.0.113.66", 1002));
	/* the benign twin: nothing of sipvicious, accepted */
	assert_accept(judge("203.0.113.66", sv_request("z9hG4bKPj1c2d", "8a7b6c5d"), 1003),
		      POLICY_PASS);
	cr_assert_str_eq(policy_reason_name(POLICY_SCANNER_TRAIT), "scanner-trait");
}

/*
 * Issue 16, item 3: Kamailio's $ua reads the first User-Agent; a scanner
 * that sends a benign one first and its own second (any case) is still
 * judged on every one. The twin: two benign agents pass.
 */
Test(policy_ua, every_user_agent_header_matched)
{
	const char *msg = request("REGISTER", "Mozilla/5.0\r\nuSeR-aGeNt:  friendly-scanner");

	g_cfg->scanner_fingerprints = false;
	assert_ua_drop(judge("203.0.113.66", msg, 1000), true);
	cr_assert(ip_banned("203.0.113.66", 1001));
	assert_ua_drop(judge("203.0.113.67",
			     request("INVITE", "Zoiper\r\nUser-Agent: x\r\nUser-Agent: sipvicious"),
			     1000), true);
	assert_accept(judge("203.0.113.10", request("REGISTER", "Mozilla/5.0\r\nUser-Agent: Zoiper rv2.10"),
			    1000), POLICY_PASS);
	assert_accept(judge("203.0.113.11", request("INVITE", "Linphone/5.2\r\nUser-Agent: Linphone/5.2"),
			    1000), POLICY_PASS);
	cr_assert_not(ip_banned("203.0.113.10", 1001));
}
