/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control protocol's allow-list commands (issue 20): allow, disallow,
 * allowed, as parsed and as formatted.
 */
#include "ctl_harness.h"

Test(request, allow_ip)
{
	struct ctl_request r;
	struct ban_key k = KIP("203.0.113.7");

	cr_assert_eq(P("allow ip 203.0.113.7", &r), CTL_OK, "%s", g_err);
	cr_assert_eq(r.cmd, CTL_CMD_ALLOW);
	cr_assert_eq(r.kind, BAN_KIND_IP);
	cr_assert_eq(r.secs, 0, "no --time: permanent");
	cr_assert(!r.force);
	cr_assert_str_eq(r.comment, "");
	cr_assert(key_eq(&r.key, &k));

	cr_assert_eq(P("allow ip 198.51.100.0/24 --time 600 --comment ticket%2042", &r), CTL_OK);
	cr_assert_eq(r.secs, 600);
	cr_assert_eq(r.key.plen, 24);
	cr_assert_str_eq(r.comment, "ticket 42");
	cr_assert_eq(P("--json allow --comment=x --time=5 ip 2001:db8:a::/64", &r), CTL_OK);
	cr_assert(r.json);
	cr_assert_str_eq(r.comment, "x");
	k = KIP("2001:db8:a::/64");
	cr_assert(key_eq(&r.key, &k));
}

/* A /0 never; wider than /16 or /48 only with --force (allowlist.h). */
Test(request, allow_wide_networks)
{
	struct ctl_request r;

	cr_assert_eq(P("allow ip 0.0.0.0/0", &r), CTL_E_INVALID);
	cr_assert(strstr(g_err, "trust every source"), "%s", g_err);
	cr_assert_eq(P("allow ip 0.0.0.0/0 --force", &r), CTL_E_INVALID);
	cr_assert_eq(P("allow ip 10.0.0.0/8", &r), CTL_E_INVALID);
	cr_assert(strstr(g_err, "--force"), "%s", g_err);
	cr_assert_eq(P("allow ip 10.0.0.0/8 --force", &r), CTL_OK);
	cr_assert(r.force);
	cr_assert_eq(P("allow ip 10.0.0.0/16", &r), CTL_OK);
	cr_assert_eq(P("allow ip 2001:db8::/32", &r), CTL_E_INVALID);
	cr_assert_eq(P("allow ip 2001:db8::/32 --force", &r), CTL_OK);
	cr_assert_eq(P("allow ip 2001:db8::/48", &r), CTL_OK);
	cr_assert_eq(P("allow ip 203.0.113.7/24", &r), CTL_E_INVALID, "host bits set");
	/* The /0 refusal of ban still speaks of banning. */
	cr_assert_eq(P("ban ip 0.0.0.0/0", &r), CTL_E_INVALID);
	cr_assert(strstr(g_err, "ban every source"), "%s", g_err);
}

Test(request, allow_user)
{
	struct ctl_request r;

	cr_assert_eq(P("allow user Alice@Example.ORG --time 60 --comment vip", &r), CTL_OK);
	cr_assert_eq(r.kind, BAN_KIND_USER);
	cr_assert_eq(r.secs, 60);
	cr_assert_eq(r.key.len, strlen("Alice@example.org"));
	cr_assert_eq(memcmp(r.key.data, "Alice@example.org", r.key.len), 0);
	cr_assert_eq(P("allow user alice", &r), CTL_E_INVALID);
	cr_assert_eq(P("allow user alice@example.org --force", &r), CTL_E_USAGE,
		     "--force is for networks");
}

Test(request, allow_usage_errors)
{
	struct ctl_request r;
	char big[CTL_COMMENT_MAX + 64];

	cr_assert_eq(P("allow", &r), CTL_E_USAGE);
	cr_assert_eq(P("allow ip", &r), CTL_E_USAGE);
	cr_assert_eq(P("allow net 1.2.3.4", &r), CTL_E_USAGE);
	cr_assert_eq(P("allow ip 203.0.113.7 extra", &r), CTL_E_USAGE);
	cr_assert_eq(P("allow ip 203.0.113.7 --time 0", &r), CTL_E_USAGE);
	cr_assert_eq(P("allow ip 203.0.113.7 --time 31536001", &r), CTL_E_USAGE);
	cr_assert_eq(P("allow ip 203.0.113.7 --comment", &r), CTL_E_USAGE);
	cr_assert_eq(P("allow ip 203.0.113.7 --comment a --comment b", &r), CTL_E_USAGE);
	cr_assert_eq(P("allow ip 203.0.113.7 --force --force", &r), CTL_E_USAGE);
	cr_assert_eq(P("ban ip 203.0.113.7 --comment a", &r), CTL_E_USAGE);
	cr_assert_eq(P("ban ip 203.0.113.7 --force", &r), CTL_E_USAGE);
	cr_assert_eq(P("disallow ip 203.0.113.7 --time 5", &r), CTL_E_USAGE);
	cr_assert_eq(P("allowed --time 5", &r), CTL_E_USAGE);
	/* The comment's bound, checked before the daemon sees it. */
	memset(big, 'c', sizeof(big));
	memcpy(big, "allow ip 203.0.113.7 --comment ", 31);
	big[31 + CTL_COMMENT_MAX] = '\0';
	cr_assert_eq(P(big, &r), CTL_OK, "%s", g_err);
	cr_assert_eq(strlen(r.comment), CTL_COMMENT_MAX);
	big[31 + CTL_COMMENT_MAX] = 'c';
	big[32 + CTL_COMMENT_MAX] = '\0';
	cr_assert_eq(P(big, &r), CTL_E_USAGE);
}

Test(request, disallow_and_allowed)
{
	struct ctl_request r;
	struct ban_key k = KIP("2001:db8::/48");

	cr_assert_eq(P("disallow ip 2001:db8::/48", &r), CTL_OK);
	cr_assert_eq(r.cmd, CTL_CMD_DISALLOW);
	cr_assert(key_eq(&r.key, &k));
	/* A wide network can always be removed. */
	cr_assert_eq(P("disallow ip 10.0.0.0/8", &r), CTL_OK);
	cr_assert_eq(P("disallow user bob@example.org", &r), CTL_OK);
	cr_assert_eq(r.kind, BAN_KIND_USER);
	cr_assert_eq(P("disallow", &r), CTL_E_USAGE);
	cr_assert_eq(P("allowed", &r), CTL_OK);
	cr_assert_eq(r.cmd, CTL_CMD_ALLOWED);
	cr_assert_eq(r.kind, 0);
	cr_assert_eq(P("allowed user --json", &r), CTL_OK);
	cr_assert_eq(r.kind, BAN_KIND_USER);
	cr_assert(r.json);
	cr_assert_eq(P("allowed net", &r), CTL_E_USAGE);
}

/* What sipwardenctl sends is what the daemon parses, comment bytes too. */
Test(request, allow_encode_round_trip)
{
	char *argv[] = { "allow", "user", "a b@example.org", "--comment", "caller \"X\"\n%", NULL };
	char line[CTL_LINE_MAX + 1];
	struct ctl_request r;
	int n = ctlproto_encode_request(5, argv, true, line, sizeof(line));

	cr_assert_gt(n, 0);
	cr_assert_eq(ctlproto_parse_request(line, (size_t)n - 1, &r, g_err, sizeof(g_err)), CTL_OK,
		     "%s", g_err);
	cr_assert(r.json);
	cr_assert_str_eq(r.comment, "caller \"X\"\n%");
	cr_assert_eq(memcmp(r.key.data, "a b@example.org", r.key.len), 0);
}

static struct ctl_allow
A(const char *key, uint64_t rem, uint64_t age, const char *comment, const char *origin)
{
	struct ctl_allow e;

	memset(&e, 0, sizeof(e));
	if (strchr(key, '@'))
		cr_assert_eq(ban_key_user(&e.key, key), 0);
	else
		e.key = KIP(key);
	e.remaining_s = rem;
	e.age_s = age;
	snprintf(e.comment, sizeof(e.comment), "%s", comment);
	snprintf(e.origin, sizeof(e.origin), "%s", origin);
	return e;
}

Test(format, allowed_table)
{
	struct ctl_allow v[3] = {
		A("u@example.org", 0, 5, "", ""),
		A("203.0.113.7", 60, 2, "ticket 42", ""),
		A("198.51.100.0/24", 0, 9, "bad\x1b", ""),
	};
	struct cap c;
	char *out;

	cap_open(&c);
	cr_assert_eq(ctlproto_format_allowed(c.f, v, 3, false), 0);
	out = cap_close(&c);
	cr_assert_str_eq(out,
		"KIND  KEY              REMAINING        AGE  COMMENT\n"
		"ip    198.51.100.0/24  permanent          9  bad\\x1b\n"
		"ip    203.0.113.7             60          2  ticket 42\n"
		"user  u@example.org    permanent          5  -\n");
	free(out);
}

Test(format, allowed_json_and_origin)
{
	struct ctl_allow v[2] = {
		A("203.0.113.7", 60, 2, "say \"hi\"", "node-b"),
		A("x\"y@example.org", 0, 1, "", ""),
	};
	struct cap c;
	char *out;

	cap_open(&c);
	cr_assert_eq(ctlproto_format_allowed(c.f, v, 2, true), 0);
	out = cap_close(&c);
	cr_assert_str_eq(out,
		"{\"allowed\":[{\"kind\":\"ip\",\"key\":\"203.0.113.7\",\"remaining\":60,\"age\":2,"
		"\"comment\":\"say \\\"hi\\\"\",\"origin\":\"node-b\"},{\"kind\":\"user\",\"key\":"
		"\"x\\\"y@example.org\",\"remaining\":null,\"age\":1,\"comment\":\"\"}]}\n");
	free(out);
	cap_open(&c);
	cr_assert_eq(ctlproto_format_allowed(c.f, v, 2, false), 0);
	out = cap_close(&c);
	cr_assert(strstr(out, "  ORIGIN  COMMENT\n"), "%s", out);
	cr_assert(strstr(out, "  node-b  say \"hi\"\n"), "%s", out);
	cr_assert(strstr(out, "  -       -\n"), "ORIGIN padded to its header: %s", out);
	free(out);
	cap_open(&c);
	cr_assert_eq(ctlproto_format_allowed(c.f, NULL, 0, true), 0);
	out = cap_close(&c);
	cr_assert_str_eq(out, "{\"allowed\":[]}\n");
	free(out);
}

Test(format, allow_results)
{
	struct ban_key k = KIP("203.0.113.7");
	struct cap c;
	char *out;

	cap_open(&c);
	ctlproto_format_result(c.f, "allowed", &k, 600, 2, NULL, true);
	out = cap_close(&c);
	cr_assert_str_eq(out, "{\"result\":\"allowed\",\"kind\":\"ip\",\"key\":\"203.0.113.7\","
			 "\"time\":600,\"count\":2}\n");
	free(out);
	cap_open(&c);
	ctlproto_format_result(c.f, "disallowed", &k, 0, -1, NULL, false);
	out = cap_close(&c);
	cr_assert_str_eq(out, "ip 203.0.113.7 disallowed\n");
	free(out);
}

/* why: the allow-list's entries that cover the subject, beside its bans. */
Test(format, why_shows_covering_allows)
{
	static struct ctl_why w;
	struct cap c;
	char *out;

	memset(&w, 0, sizeof(w));
	w.key = KIP("203.0.113.7");
	w.n_allows = 2;
	w.allows[0] = A("203.0.113.0/24", 0, 30, "ticket 42 'x'", "");
	w.allows[1] = A("203.0.113.7", 60, 5, "", "node-b");
	cap_open(&c);
	cr_assert_eq(ctlproto_format_why(c.f, &w, false), 0);
	out = cap_close(&c);
	cr_assert(strstr(out, "allowed  ip 203.0.113.0/24: permanently, 30 s old, comment "
			 "'ticket 42 'x'' (trusted: never banned nor dropped as banned)\n"),
		  "%s", out);
	cr_assert(strstr(out, "allowed  ip 203.0.113.7: 60 s left, 5 s old, from node node-b, "
			 "comment ''"), "%s", out);
	free(out);
	cap_open(&c);
	cr_assert_eq(ctlproto_format_why(c.f, &w, true), 0);
	out = cap_close(&c);
	cr_assert(strstr(out, "\"allowed\":[{\"kind\":\"ip\",\"key\":\"203.0.113.0/24\","
			 "\"remaining\":null,\"age\":30,\"comment\":\"ticket 42 'x'\",\"origin\":null},"
			 "{\"kind\":\"ip\",\"key\":\"203.0.113.7\",\"remaining\":60,\"age\":5,"
			 "\"comment\":\"\",\"origin\":\"node-b\"}],\"evidence\":[]"), "%s", out);
	free(out);
}
