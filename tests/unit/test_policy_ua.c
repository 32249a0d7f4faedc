/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The policy's User-Agent blacklist: scanners dropped and banned, methods
 * and patterns, folded and repeated User-Agent headers, trusted sources,
 * ban times, a full ban table, and scanners known by two traits (branch
 * and tag) rather than one. The harness is in policy_harness.h.
 */
#include "policy_harness.h"

TestSuite(policy_ua, .init = setup, .fini = teardown);

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
	struct policy_verdict v;

	fill_ban_table();
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
