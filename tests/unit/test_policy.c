/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The policy: legitimate requests and replies, reason names, the density
 * ban (IPv4, IPv6 prefixes, limits, a full ban table), trusted sources
 * (whitelist, peering servers, config generations) and malformed
 * messages. The User-Agent blacklist is in test_policy_ua.c; the harness
 * in policy_harness.h.
 */
#include "policy_harness.h"

TestSuite(policy, .init = setup, .fini = teardown);
TestSuite(policy_density, .init = setup, .fini = teardown);
TestSuite(policy_trust, .init = setup, .fini = teardown);
TestSuite(policy_malformed, .init = setup, .fini = teardown);

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
	struct policy_verdict v;

	fill_ban_table();

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

