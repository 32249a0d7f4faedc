/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The harness of the policy tests (test_policy: basics, density, trusted
 * sources, malformed; test_policy_ua: the User-Agent blacklist): a default
 * config with fresh source and ban tables per test, requests as a real UA
 * sends them, judged from an exact-size heap copy, and asserts on the
 * verdict.
 */
#ifndef SIPWARDEN_TEST_POLICY_HARNESS_H
#define SIPWARDEN_TEST_POLICY_HARNESS_H

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "addr_harness.h"
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

static inline void
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

static inline void
teardown(void)
{
	srctab_free(g_p.src);
	bantab_free(g_p.bans);
	config_free(g_cfg);
	free(g_buf);
	g_buf = NULL;
	memset(&g_p, 0, sizeof(g_p));
}

static inline struct addr_net *
nets(const char *const *list, unsigned n)
{
	struct addr_net *v = calloc(n ? n : 1, sizeof(*v));

	cr_assert_not_null(v);
	for (unsigned i = 0; i < n; i++)
		cr_assert_eq(addr_net_parse(list[i], &v[i]), 0, "parse %s", list[i]);
	return v;
}

/* A ban table with room for one ban, taken by an operator's ban of
 * 192.0.2.1: every ban the policy decides is then refused for a full table. */
static inline void
fill_ban_table(void)
{
	struct addr other = A("192.0.2.1");
	struct ban_key k;

	bantab_free(g_p.bans);
	g_p.bans = bantab_new(1);
	ban_key_ip(&k, &other);
	cr_assert_eq(bantab_add(g_p.bans, &k, BAN_REASON_MANUAL, 0, 10 * BAN_MS), 1);
}

/* Replace the whitelist (ips and subnets share one list in struct config). */
static inline void
set_whitelist(const char *const *list, unsigned n)
{
	free(g_cfg->whitelist);
	g_cfg->whitelist = nets(list, n);
	g_cfg->n_whitelist = n;
}

static inline void
set_peers(const char *const *list, unsigned n)
{
	free(g_cfg->peering_servers);
	g_cfg->peering_servers = nets(list, n);
	g_cfg->n_peering_servers = n;
}

/* Judge text from an exact-size heap copy, so ASan sees any overread. */
static inline struct policy_verdict
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

static inline struct policy_verdict
judge(const char *ip, const char *text, uint64_t now)
{
	return judge_n(ip, text, strlen(text), now);
}

/* A request as a real UA sends it; ua NULL leaves User-Agent out. */
static inline const char *
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

static inline void
assert_accept(struct policy_verdict v, enum policy_reason r)
{
	cr_assert_not(v.drop, "dropped: %s", policy_reason_name(v.reason));
	cr_assert_eq(v.reason, r, "reason %s, want %s", policy_reason_name(v.reason),
		     policy_reason_name(r));
	cr_assert_not(v.new_ban);
}

static inline void
assert_drop(struct policy_verdict v, enum policy_reason r)
{
	cr_assert(v.drop, "accepted: %s", policy_reason_name(v.reason));
	cr_assert_eq(v.reason, r, "reason %s, want %s", policy_reason_name(v.reason),
		     policy_reason_name(r));
}

/* Banned by its own address or a network holding it (IPv6 sources are
 * banned as their dos_ipv6_prefix network). */
static inline bool
ip_banned(const char *ip, uint64_t now)
{
	struct addr a = A(ip);

	return bantab_check_ip(g_p.bans, &a, now);
}

/* n requests from ip at now, all expected to pass with reason r. */
static inline void
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

static inline void
assert_density_ban(struct policy_verdict v)
{
	assert_drop(v, POLICY_DENSITY);
	cr_assert_eq(v.event, POLICY_EV_BAN_IP);
	cr_assert(v.new_ban);
	cr_assert_eq(v.ban_reason, BAN_REASON_DENSITY);
	cr_assert_eq(v.ban_time_s, 3600);
}


#endif
