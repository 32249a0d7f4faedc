/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "addr_harness.h"
#include "evidence.h"

static struct event
ev_of(const char *ip, enum policy_event kind, enum ban_reason br, bool new_ban)
{
	struct event e;

	memset(&e, 0, sizeof(e));
	cr_assert_eq(addr_parse(ip, &e.src), 0);
	e.ev = kind;
	e.ban_reason = br;
	e.new_ban = new_ban;
	e.ban_addr = e.src;
	e.ban_plen = e.src.family == AF_INET ? 32 : 128;
	e.ban_time_s = 600;
	strcpy(e.method, "INVITE");
	strcpy(e.ruri, "sip:100@198.51.100.1");
	snprintf(e.callid, sizeof(e.callid), "c-%s", ip);
	strcpy(e.ua, "friendly-scanner");
	return e;
}

Test(evidence, folds_one_subject_and_rule_keeping_first_and_last)
{
	struct evidence *ev = evidence_new(64);
	struct event e = ev_of("203.0.113.7", POLICY_EV_UA, BAN_REASON_UA, true);
	struct evidence_rec r[4];
	struct addr a = A("203.0.113.7");

	evidence_record(ev, &e, 1000);
	e.new_ban = false;
	strcpy(e.callid, "second");
	evidence_record(ev, &e, 1005);
	cr_assert_eq(evidence_count(ev), 1);
	cr_assert_eq(evidence_find_ip(ev, &a, r, 4), 1);
	cr_assert_str_eq(r[0].rule, "ua");
	cr_assert_eq(r[0].count, 2);
	cr_assert_eq(r[0].bans, 1);
	cr_assert_eq(r[0].first.at_s, 1000);
	cr_assert_str_eq(r[0].first.callid, "c-203.0.113.7");
	cr_assert_eq(r[0].last.at_s, 1005);
	cr_assert_str_eq(r[0].last.callid, "second");
	cr_assert_str_eq(r[0].first.method, "INVITE");
	evidence_free(ev);
}

Test(evidence, a_rule_per_record_and_other_sources_apart)
{
	struct evidence *ev = evidence_new(64);
	struct event e1 = ev_of("203.0.113.7", POLICY_EV_UA, BAN_REASON_UA, false);
	struct event e2 = ev_of("203.0.113.7", POLICY_EV_MALFORMED, 0, false);
	struct event e3 = ev_of("203.0.113.8", POLICY_EV_UA, BAN_REASON_UA, false);
	struct evidence_rec r[4];
	struct addr a = A("203.0.113.7"), none = A("203.0.113.9");

	e2.sanity = SANITY_CSEQ_METHOD;
	evidence_record(ev, &e1, 1);
	evidence_record(ev, &e2, 2);
	evidence_record(ev, &e3, 3);
	cr_assert_eq(evidence_find_ip(ev, &a, r, 4), 2);
	/* The most recently touched first. */
	cr_assert_str_eq(r[0].rule, "malformed:cseq-method");
	cr_assert_str_eq(r[1].rule, "ua");
	cr_assert_eq(evidence_find_ip(ev, &none, r, 4), 0);
	evidence_free(ev);
}

Test(evidence, a_network_ban_covers_its_other_addresses)
{
	struct evidence *ev = evidence_new(64);
	struct event e = ev_of("2001:db8:a::7", POLICY_EV_BAN_IP, BAN_REASON_DENSITY, true);
	struct evidence_rec r[2];
	struct addr in = A("2001:db8:a::99"), out = A("2001:db8:b::7");

	e.ban_addr = A("2001:db8:a::");
	e.ban_plen = 64;
	evidence_record(ev, &e, 1);
	cr_assert_eq(evidence_find_ip(ev, &in, r, 2), 1);
	cr_assert_str_eq(r[0].rule, "density");
	cr_assert_eq(r[0].ban_plen, 64);
	cr_assert_eq(evidence_find_ip(ev, &out, r, 2), 0);
	evidence_free(ev);
}

Test(evidence, auth_bans_are_kept_for_the_user_and_the_source)
{
	struct evidence *ev = evidence_new(64);
	struct event e = ev_of("203.0.113.20", POLICY_EV_AUTH_BAN, BAN_REASON_AUTH, false);
	struct evidence_rec r[2];
	struct addr a = A("203.0.113.20");

	strcpy(e.user, "alice@example.org");
	e.failures = 3;
	evidence_record(ev, &e, 1);
	cr_assert_eq(evidence_find_user(ev, "alice@example.org", r, 2), 1);
	cr_assert_str_eq(r[0].rule, "auth");
	cr_assert_eq(r[0].value, 3);
	cr_assert_eq(r[0].bans, 1);
	cr_assert_eq(evidence_find_user(ev, "bob@example.org", r, 2), 0);
	cr_assert_eq(evidence_find_ip(ev, &a, r, 2), 1);
	evidence_free(ev);
}

/* A flood of new sources cannot grow the table: the record touched longest
 * ago goes, the one touched last stays. */
Test(evidence, bounded_least_recent_forgotten)
{
	struct evidence *ev = evidence_new(64);
	struct evidence_rec r[2];
	char ip[32];
	struct event keep = ev_of("198.51.100.200", POLICY_EV_UA, BAN_REASON_UA, true);
	struct addr k = A("198.51.100.200"), first = A("203.0.113.0");

	for (unsigned i = 0; i < 10000; i++) {
		struct event e;

		snprintf(ip, sizeof(ip), "203.0.%u.%u", 113 + i / 256 % 2, i % 256);
		e = ev_of(ip, POLICY_EV_MALFORMED, 0, false);
		evidence_record(ev, &e, i);
		if (i % 32 == 0)
			evidence_record(ev, &keep, i);
		cr_assert_leq(evidence_count(ev), 64);
	}
	cr_assert_eq(evidence_count(ev), 64);
	cr_assert_eq(evidence_find_ip(ev, &k, r, 2), 1);
	cr_assert_eq(evidence_find_ip(ev, &first, r, 2), 0);
	evidence_free(ev);
}

Test(evidence, events_without_a_rule_are_not_kept)
{
	struct evidence *ev = evidence_new(0);
	struct event e = ev_of("203.0.113.7", POLICY_EV_NONE, 0, false);

	evidence_record(ev, &e, 1);
	evidence_record(NULL, &e, 1);
	cr_assert_eq(evidence_count(ev), 0);
	evidence_free(ev);
	evidence_free(NULL);
}
