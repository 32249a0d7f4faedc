/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The control protocol's requests, as parsed, and its escaping. */
#include "ctl_harness.h"

/* --- request parsing ------------------------------------------------ */

Test(request, simple_commands)
{
	struct ctl_request r;

	cr_assert_eq(P("status", &r), CTL_OK);
	cr_assert_eq(r.cmd, CTL_CMD_STATUS);
	cr_assert(!r.json);
	cr_assert_eq(P("stats", &r), CTL_OK);
	cr_assert_eq(r.cmd, CTL_CMD_STATS);
	cr_assert_eq(P("reload", &r), CTL_OK);
	cr_assert_eq(r.cmd, CTL_CMD_RELOAD);
	cr_assert_eq(P("--json status", &r), CTL_OK);
	cr_assert(r.json);
	cr_assert_eq(P("stats --json", &r), CTL_OK);
	cr_assert(r.json);
	cr_assert_eq(P("  status  ", &r), CTL_OK, "runs of spaces separate words");
}

Test(request, bans)
{
	struct ctl_request r;

	cr_assert_eq(P("bans", &r), CTL_OK);
	cr_assert_eq(r.cmd, CTL_CMD_BANS);
	cr_assert_eq(r.kind, 0);
	cr_assert_eq(P("bans ip", &r), CTL_OK);
	cr_assert_eq(r.kind, BAN_KIND_IP);
	cr_assert_eq(P("--json bans user", &r), CTL_OK);
	cr_assert_eq(r.kind, BAN_KIND_USER);
	cr_assert(r.json);
	cr_assert_eq(P("bans net", &r), CTL_E_USAGE);
	cr_assert_eq(P("bans ip user", &r), CTL_E_USAGE);
}

Test(request, ban_ip)
{
	struct ctl_request r;
	struct ban_key k;

	cr_assert_eq(P("ban ip 203.0.113.7", &r), CTL_OK);
	cr_assert_eq(r.cmd, CTL_CMD_BAN);
	cr_assert_eq(r.kind, BAN_KIND_IP);
	cr_assert_eq(r.secs, 0, "0: the daemon's default");
	k = KIP("203.0.113.7");
	cr_assert(key_eq(&r.key, &k));
	cr_assert_eq(r.key.plen, 32);

	cr_assert_eq(P("ban ip 203.0.113.7 --time 60", &r), CTL_OK);
	cr_assert_eq(r.secs, 60);
	cr_assert_eq(P("ban --time=120 ip 203.0.113.7", &r), CTL_OK);
	cr_assert_eq(r.secs, 120);
	cr_assert_eq(P("ban ip 198.51.100.0/24 --time 31536000", &r), CTL_OK);
	cr_assert_eq(r.secs, 31536000);
	cr_assert_eq(r.key.plen, 24);
	cr_assert_eq(P("ban ip 2001:db8:a::/64", &r), CTL_OK);
	k = KIP("2001:db8:a::/64");
	cr_assert(key_eq(&r.key, &k));
	cr_assert_eq(P("ban ip 2001:db8::1", &r), CTL_OK);
	cr_assert_eq(r.key.plen, 128);
}

Test(request, ban_user)
{
	struct ctl_request r;

	cr_assert_eq(P("ban user alice@example.org --time 5", &r), CTL_OK);
	cr_assert_eq(r.kind, BAN_KIND_USER);
	cr_assert_eq(r.secs, 5);
	cr_assert_eq(r.key.len, strlen("alice@example.org"));
	cr_assert_eq(memcmp(r.key.data, "alice@example.org", r.key.len), 0);
	/* The domain is lower-cased as the policy does; the user part not. */
	cr_assert_eq(P("ban user Alice@Example.ORG", &r), CTL_OK);
	cr_assert_eq(memcmp(r.key.data, "Alice@example.org", r.key.len), 0);
	/* Only the last @ starts the domain. */
	cr_assert_eq(P("ban user a%40B@X.org", &r), CTL_OK);
	cr_assert_eq(memcmp(r.key.data, "a@B@x.org", r.key.len), 0);
}

Test(request, unban)
{
	struct ctl_request r;
	struct ban_key k = KIP("203.0.113.7");

	cr_assert_eq(P("unban ip 203.0.113.7", &r), CTL_OK);
	cr_assert_eq(r.cmd, CTL_CMD_UNBAN);
	cr_assert(key_eq(&r.key, &k));
	cr_assert_eq(P("unban user bob@example.org", &r), CTL_OK);
	cr_assert_eq(r.kind, BAN_KIND_USER);
	cr_assert_eq(P("unban --all", &r), CTL_OK);
	cr_assert_eq(r.cmd, CTL_CMD_UNBAN_ALL);
	cr_assert_eq(P("--json unban --all", &r), CTL_OK);
	cr_assert(r.json);
}

Test(request, unknown_command)
{
	char err[256];

	cr_assert_eq(PE("frobnicate", err, sizeof(err)), CTL_E_USAGE);
	cr_assert_not_null(strstr(err, "unknown command 'frobnicate'"), "%s", err);
	cr_assert_eq(PE("STATUS", err, sizeof(err)), CTL_E_USAGE);
	cr_assert_eq(PE("--verbose status", err, sizeof(err)), CTL_E_USAGE);
	cr_assert_not_null(strstr(err, "unknown option"), "%s", err);
	cr_assert_eq(PE("", err, sizeof(err)), CTL_E_USAGE);
	cr_assert_eq(PE("   ", err, sizeof(err)), CTL_E_USAGE);
	cr_assert_eq(PE("--json", err, sizeof(err)), CTL_E_USAGE);
}

Test(request, missing_and_extra_args)
{
	static const char *const bad[] = {
		"ban", "ban ip", "ban user", "ban net 203.0.113.7", "unban", "unban ip",
		"unban user", "status now", "stats x", "reload x", "unban --all x",
		"ban ip 203.0.113.7 203.0.113.8", "ban ip 203.0.113.7 --time",
		"ban ip 203.0.113.7 --time 5 --time 6", "unban ip 203.0.113.7 --time 5",
		"ban --all", "status --time 5", "unban --all --all", "unban --all ip 203.0.113.7",
	};
	struct ctl_request r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(P(bad[i], &r), CTL_E_USAGE, "'%s'", bad[i]);
}

Test(request, bad_address_is_invalid_not_usage)
{
	static const char *const bad[] = {
		"ban ip 203.0.113.300", "ban ip example.org", "ban ip 10.0.0.1/8",
		"ban ip 203.0.113.0/33", "ban ip 2001:db8::/129", "ban ip 2001:db8:::1",
		"ban ip 0.0.0.0/0", "ban ip ::/0", "unban ip 203.0.113.7/", "ban ip /24",
		"ban ip 203.0.113.7/-1", "ban ip -", "ban -- ip -5",
	};
	struct ctl_request r;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(P(bad[i], &r), CTL_E_INVALID, "'%s'", bad[i]);
	cr_assert_eq(PE("ban ip 0.0.0.0/0", err, sizeof(err)), CTL_E_INVALID);
	cr_assert_not_null(strstr(err, "every source"), "%s", err);
}

Test(request, bad_time)
{
	static const char *const bad[] = {
		"0", "00", "-5", "abc", "5s", "1.5", "+5", "0x10", "31536001", "4294967296",
		"99999999999999999999999", "%20", "5%205",
	};
	struct ctl_request r;
	char line[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "ban ip 203.0.113.7 --time %s", bad[i]);
		cr_assert_eq(P(line, &r), CTL_E_USAGE, "'%s'", line);
		snprintf(line, sizeof(line), "ban user a@b --time=%s", bad[i]);
		cr_assert_eq(P(line, &r), CTL_E_USAGE, "'%s'", line);
	}
	cr_assert_eq(P("ban ip 203.0.113.7 --time=", &r), CTL_E_USAGE);
	cr_assert_eq(P("ban ip 203.0.113.7 --time 007", &r), CTL_OK);
	cr_assert_eq(r.secs, 7);
	cr_assert_eq(P("ban ip 203.0.113.7 --time 1", &r), CTL_OK);
	cr_assert_eq(r.secs, 1);
}

Test(request, bad_user)
{
	char line[1024], user[300];
	struct ctl_request r;

	cr_assert_eq(P("ban user alice", &r), CTL_E_INVALID);
	cr_assert_eq(P("ban user alice@", &r), CTL_E_INVALID);
	cr_assert_eq(P("ban user @example.org", &r), CTL_OK, "an empty user part is a key");
	/* BAN_KEY_MAX bytes fit; one more does not. */
	memset(user, 'u', sizeof(user));
	memcpy(user + BAN_KEY_MAX - 4, "@x.y", 5);
	cr_assert_eq(strlen(user), BAN_KEY_MAX);
	snprintf(line, sizeof(line), "ban user %s", user);
	cr_assert_eq(P(line, &r), CTL_OK);
	cr_assert_eq(r.key.len, BAN_KEY_MAX);
	memset(user, 'u', sizeof(user));
	memcpy(user + BAN_KEY_MAX - 3, "@x.y", 5);
	snprintf(line, sizeof(line), "ban user %s", user);
	cr_assert_eq(P(line, &r), CTL_E_INVALID);
	/* Escaped bytes count once each. */
	memset(line, 0, sizeof(line));
	strcpy(line, "unban user ");
	for (int i = 0; i < 250; i++)
		strcat(line, "%41");
	strcat(line, "@x.y");
	cr_assert_eq(P(line, &r), CTL_OK);
	cr_assert_eq(r.key.len, 254);
}

Test(request, oversized_line)
{
	char *line = malloc(CTL_LINE_MAX + 10);
	char err[128];
	struct ctl_request r;

	cr_assert_not_null(line);
	memset(line, 'a', CTL_LINE_MAX + 9);
	line[CTL_LINE_MAX + 9] = '\0';
	cr_assert_eq(ctlproto_parse_request(line, CTL_LINE_MAX, &r, err, sizeof(err)),
		     CTL_E_TOOLONG);
	cr_assert_eq(ctlproto_parse_request(line, CTL_LINE_MAX + 9, &r, err, sizeof(err)),
		     CTL_E_TOOLONG);
	cr_assert_eq(ctlproto_parse_request(line, CTL_LINE_MAX - 1, &r, err, sizeof(err)),
		     CTL_E_USAGE, "4095 bytes + LF is allowed; it is just not a command");
	free(line);
}

Test(request, embedded_nul_cr_and_binary)
{
	struct ctl_request r;
	char err[128];

	cr_assert_eq(ctlproto_parse_request("status\0x", 8, &r, err, sizeof(err)), CTL_E_USAGE);
	cr_assert_not_null(strstr(err, "NUL"));
	cr_assert_eq(ctlproto_parse_request("status\r", 7, &r, err, sizeof(err)), CTL_E_USAGE);
	cr_assert_not_null(strstr(err, "CR"));
	cr_assert_eq(P("ban user a\rb@c", &r), CTL_E_USAGE);
	cr_assert_eq(P("status\t", &r), CTL_E_USAGE);
	cr_assert_eq(P("ban user \xc3\xa9@example.org", &r), CTL_E_USAGE, "raw 8-bit");
	cr_assert_eq(P("ban user \x7f@example.org", &r), CTL_E_USAGE);
	cr_assert_eq(P("ban user a%00b@example.org", &r), CTL_E_USAGE);
	cr_assert_eq(P("ban user a%", &r), CTL_E_USAGE);
	cr_assert_eq(P("ban user a%4", &r), CTL_E_USAGE);
	cr_assert_eq(P("ban user a%zz@b", &r), CTL_E_USAGE);
	cr_assert_eq(P("ban user a%0d%0a%1b%22%5c%ff@example.org", &r), CTL_OK);
	cr_assert_eq(r.key.len, 19);
	cr_assert_eq(memcmp(r.key.data, "a\r\n\x1b\"\\\xff@example.org", 19), 0);
}

Test(request, encode_round_trip)
{
	char *const words[] = { "ban", "user", "a b%c\"\\\x01\xff\n@Example.org", "--time", "9" };
	char line[CTL_LINE_MAX + 1];
	struct ctl_request r;
	int n = ctlproto_encode_request(5, words, true, line, sizeof(line));

	cr_assert_gt(n, 0);
	cr_assert_eq((size_t)n, strlen(line));
	cr_assert_eq(line[n - 1], '\n');
	cr_assert_null(memchr(line, '\r', (size_t)n));
	cr_assert_str_eq(line, "--json ban user a%20b%25c\"\\%01%FF%0A@Example.org --time 9\n");
	cr_assert_eq(ctlproto_parse_request(line, (size_t)n - 1, &r, NULL, 0), CTL_OK);
	cr_assert(r.json);
	cr_assert_eq(r.secs, 9);
	cr_assert_eq(r.key.len, strlen("a b%c\"\\\x01\xff\n@example.org"));
	cr_assert_eq(memcmp(r.key.data, "a b%c\"\\\x01\xff\n@example.org", r.key.len), 0);
}

Test(request, encode_limits)
{
	char big[2000], line[CTL_LINE_MAX + 1], small[8];
	char *w[] = { "ban", "user", big };
	char *e[] = { "ban", "" };

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_assert_gt(ctlproto_encode_request(3, w, false, line, sizeof(line)), 0);
	memset(big, '\x01', sizeof(big) - 1); /* 3 bytes each encoded: too long */
	cr_assert_eq(ctlproto_encode_request(3, w, false, line, sizeof(line)), -ENOSPC);
	cr_assert_eq(ctlproto_encode_request(2, e, false, line, sizeof(line)), -EINVAL);
	cr_assert_eq(ctlproto_encode_request(1, w, true, small, sizeof(small)), -ENOSPC);
	cr_assert_eq(ctlproto_encode_request(1, w, false, small, sizeof(small)), 4);
	cr_assert_str_eq(small, "ban\n");
}

/* --- escaping -------------------------------------------------------- */

static char *
json_of(const char *s, size_t n)
{
	struct cap c;

	cap_open(&c);
	ctlproto_put_json_string(c.f, s, n);
	return cap_close(&c);
}

Test(escape, json_strings)
{
	static const struct {
		const char *in;
		size_t n;
		const char *out;
	} t[] = {
		{ "alice@example.org", 17, "\"alice@example.org\"" },
		{ "a\"b", 3, "\"a\\\"b\"" },
		{ "a\\b", 3, "\"a\\\\b\"" },
		{ "\n\r\t\x01\x1f\x7f", 6, "\"\\n\\r\\t\\u0001\\u001f\\u007f\"" },
		{ "\x1b[31m", 5, "\"\\u001b[31m\"" },
		{ "\xc3\xa9t\xc3\xa9", 5, "\"\xc3\xa9t\xc3\xa9\"" },       /* valid UTF-8 */
		{ "\xf0\x9f\x98\x80", 4, "\"\xf0\x9f\x98\x80\"" },
		{ "a\xffz", 3, "\"a\\ufffdz\"" },                            /* invalid byte */
		{ "\xc0\x80", 2, "\"\\ufffd\\ufffd\"" },                     /* overlong NUL */
		{ "\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"" },         /* surrogate */
		{ "\xc3", 1, "\"\\ufffd\"" },                                /* cut short */
		{ "\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" }, /* > U+10FFFF */
		{ "\xe2\x80\xa8", 3, "\"\\u2028\"" },
		{ "</script>", 9, "\"</script>\"" },
		{ "", 0, "\"\"" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *j = json_of(t[i].in, t[i].n);

		cr_assert_str_eq(j, t[i].out, "case %zu", i);
		free(j);
	}
}

Test(escape, table_text)
{
	struct cap c;

	cap_open(&c);
	ctlproto_put_escaped(c.f, "a b\\\x1b[0m\xff\"@x", 12);
	cr_assert_str_eq(cap_close(&c), "a\\x20b\\\\\\x1b[0m\\xff\"@x");
	free(c.buf);
}

Test(escape, key_text)
{
	struct ban_key k = KIP("198.51.100.0/24");
	char buf[300];

	cr_assert_str_eq(ctlproto_key_text(&k, buf, sizeof(buf)), "198.51.100.0/24");
	k = KIP("2001:db8::7");
	cr_assert_str_eq(ctlproto_key_text(&k, buf, sizeof(buf)), "2001:db8::7");
	cr_assert_eq(ban_key_user(&k, "bob@example.org"), 0);
	cr_assert_str_eq(ctlproto_key_text(&k, buf, sizeof(buf)), "bob@example.org");
}

Test(request, why)
{
	struct ctl_request r;
	struct ban_key k = KIP("2001:db8:a::7");
	char err[256];

	cr_assert_eq(P("why ip 2001:db8:a::7", &r), CTL_OK);
	cr_assert_eq(r.cmd, CTL_CMD_WHY);
	cr_assert(key_eq(&r.key, &k));
	cr_assert_eq(P("--json why user alice@Example.ORG", &r), CTL_OK);
	cr_assert_eq(r.kind, BAN_KIND_USER);
	cr_assert(r.json);
	cr_assert_eq(r.key.len, strlen("alice@example.org"));
	cr_assert_eq(memcmp(r.key.data, "alice@example.org", r.key.len), 0);
	cr_assert_eq(PE("why", err, sizeof(err)), CTL_E_USAGE);
	cr_assert_eq(PE("why ip", err, sizeof(err)), CTL_E_USAGE);
	cr_assert_eq(PE("why ip 203.0.113.7 --time 5", err, sizeof(err)), CTL_E_USAGE);
	cr_assert_eq(PE("why ip not-an-address", err, sizeof(err)), CTL_E_INVALID);
}

Test(request, top)
{
	struct ctl_request r;
	char err[256];

	cr_assert_eq(P("top", &r), CTL_OK);
	cr_assert_eq(r.cmd, CTL_CMD_TOP);
	cr_assert_eq(r.limit, CTL_TOP_DEFAULT);
	cr_assert_eq(P("--json top --limit 100", &r), CTL_OK);
	cr_assert_eq(r.limit, 100);
	cr_assert_eq(P("top --limit=3", &r), CTL_OK);
	cr_assert_eq(r.limit, 3);
	cr_assert_eq(PE("top --limit 0", err, sizeof(err)), CTL_E_USAGE);
	cr_assert_eq(PE("top --limit 101", err, sizeof(err)), CTL_E_USAGE);
	cr_assert_eq(PE("top --limit -1", err, sizeof(err)), CTL_E_USAGE);
	cr_assert_eq(PE("top --limit 5x", err, sizeof(err)), CTL_E_USAGE);
	cr_assert_eq(PE("top --limit", err, sizeof(err)), CTL_E_USAGE);
	cr_assert_eq(PE("top --limit 1 --limit 2", err, sizeof(err)), CTL_E_USAGE);
	cr_assert_eq(PE("top extra", err, sizeof(err)), CTL_E_USAGE);
	cr_assert_eq(PE("bans --limit 3", err, sizeof(err)), CTL_E_USAGE);
}
