/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The config loader's refusals, one test per error class: syntax, unknown
 * keys, types, ranges, integers, booleans, enums, duplicates, addresses,
 * regexes, methods, ports, paths, aliases, tags and depth, many errors
 * together, size, a missing file and the bound on list lengths. The
 * harness is in config_harness.h.
 */
#include "config_harness.h"

/* ---- one test per error class ---- */

Test(config, err_syntax)
{
	struct config *cfg;
	char *errs;

	cr_expect_eq(load("security:\n  dos_ban_time: 10\n dos_ban_enable: yes\n", &cfg, &errs),
		     -EINVAL);
	cr_expect_null(cfg);
	cr_expect_str_eq(errs, "t.yml:3:2: YAML syntax error: did not find expected key "
			 "(while parsing a block mapping at 1:1)\n");
	free(errs);

	expect_errors("sip: [5060\n",
		      "t.yml:2:1: YAML syntax error: did not find expected ',' or ']' "
		      "(while parsing a flow sequence at 1:6)\n");
	expect_errors("mode: enforce\n\tqueue: {}\n",
		      "t.yml:2:1: YAML syntax error: found a tab character that violates "
		      "indentation (while scanning a plain scalar at 1:7)\n");
	/* A NUL byte is a reader error, located by offset. */
	{
		static const char text[] = "mode: enforce\nqu\0eue: {}\n";

		size_t sz;
		FILE *f = open_memstream(&errs, &sz);

		cr_expect_eq(config_load_buffer("t.yml", text, sizeof(text) - 1, &cfg, f),
			     -EINVAL);
		fclose(f);
		cr_expect_str_eq(errs, "t.yml:2:3: YAML syntax error: "
				 "control characters are not allowed\n");
		free(errs);
	}
}

Test(config, err_unknown_key)
{
	expect_errors("security:\n  dos_ban_time: 60\n  foo: 1\n",
		      "t.yml:3:3: unknown key 'foo' in section 'security'\n");
	expect_errors("mode: enforce\nsecurityy:\n  dos_ban_time: 60\n",
		      "t.yml:2:1: unknown key 'securityy' at top level\n");
	/* The NGCP nesting is not supported: paste only the security: part. */
	expect_errors("kamailio:\n  lb:\n    security: {}\n",
		      "t.yml:1:1: unknown key 'kamailio' at top level\n");
	/* Keys are case-sensitive and control characters are not echoed. */
	expect_errors("Mode: enforce\n\"a\\x1bb\": 1\n",
		      "t.yml:1:1: unknown key 'Mode' at top level\n"
		      "t.yml:2:1: unknown key 'a?b' at top level\n");
}

Test(config, err_wrong_type)
{
	expect_errors("security: [1, 2]\n",
		      "t.yml:1:11: security: expected a mapping, got a sequence\n");
	expect_errors("queue:\n  count: {a: 1}\n",
		      "t.yml:2:10: queue.count: expected a scalar, got a mapping\n");
	expect_errors("security:\n  dos_whitelisted_ips: 192.0.2.1\n",
		      "t.yml:2:24: security.dos_whitelisted_ips: expected a sequence, got a scalar\n");
	expect_errors("- a\n- b\n",
		      "t.yml:1:1: expected a mapping of sections at top level, got a sequence\n");
	expect_errors("mode:\n",
		      "t.yml:1:6: mode: missing value\n");
	expect_errors("{[a]: 1}\n",
		      "t.yml:1:2: mapping keys must be scalars, got a sequence\n");
}

Test(config, err_out_of_range)
{
	expect_errors("security:\n  dos_ban_time: 0\n",
		      "t.yml:2:17: security.dos_ban_time: 0 is out of range (1..31536000)\n");
	expect_errors("queue:\n  count: 65\n",
		      "t.yml:2:10: queue.count: 65 is out of range (1..64)\n");
	expect_errors("queue:\n  batch_wait_us: 5001\n",
		      "t.yml:2:18: queue.batch_wait_us: 5001 is out of range (0..5000)\n");
	expect_errors("limits:\n  max_sources: 99999999999999999999999\n",
		      "t.yml:2:16: limits.max_sources: 99999999999999999999999 is out of "
		      "range (1024..100000000)\n");
	expect_errors("sip:\n  udp_ports: [0, 65536]\n",
		      "t.yml:2:15: sip.udp_ports: 0 is out of range (1..65535)\n"
		      "t.yml:2:18: sip.udp_ports: 65536 is out of range (1..65535)\n");
	/* first + count - 1 must be a queue number too. */
	expect_errors("queue:\n  first: 65535\n  count: 2\n",
		      "t.yml:2:10: queue.first: 65535 is out of range with queue.count 2 "
		      "(0..65534)\n");
}

Test(config, err_bad_integer)
{
	expect_errors("security:\n  dos_ban_time: -5\n  failed_auth_attempts: 0x10\n"
		      "  ua_ban_time: 010\n  failed_auth_ban_time: 1.5\n"
		      "  dos_sampling_time_unit: ''\n",
		      "t.yml:2:17: security.dos_ban_time: invalid integer '-5' (decimal digits only)\n"
		      "t.yml:3:25: security.failed_auth_attempts: invalid integer '0x10' "
		      "(decimal digits only)\n"
		      "t.yml:4:16: security.ua_ban_time: invalid integer '010' (no leading zeros)\n"
		      "t.yml:5:25: security.failed_auth_ban_time: invalid integer '1.5' "
		      "(decimal digits only)\n"
		      "t.yml:6:27: security.dos_sampling_time_unit: invalid integer '' "
		      "(decimal digits only)\n");
}

Test(config, err_bad_boolean)
{
	expect_errors("queue:\n  fail_open: maybe\n",
		      "t.yml:2:14: queue.fail_open: invalid boolean 'maybe' "
		      "(expected yes/no, true/false, on/off or 1/0)\n");
}

Test(config, err_bad_enum)
{
	expect_errors("mode: enforcing\nsecurity:\n  malformed: reject\n"
		      "  failed_auth_ban_target: host\n",
		      "t.yml:1:7: mode: invalid value 'enforcing' (expected one of: "
		      "enforce, monitor)\n"
		      "t.yml:3:14: security.malformed: invalid value 'reject' (expected one "
		      "of: drop, accept)\n"
		      "t.yml:4:27: security.failed_auth_ban_target: invalid value 'host' "
		      "(expected one of: user, ip, both)\n");
}

Test(config, err_duplicate_key)
{
	expect_errors("security:\n  dos_ban_time: 60\n  dos_ban_time: 70\n",
		      "t.yml:3:3: duplicate key 'dos_ban_time' in section 'security' "
		      "(first at line 2)\n");
	expect_errors("mode: enforce\nmode: monitor\n",
		      "t.yml:2:1: duplicate key 'mode' at top level (first at line 1)\n");
}

Test(config, err_bad_address)
{
	expect_errors("security:\n"
		      "  dos_whitelisted_ips: [192.0.2.256, 192.0.2.0/24]\n"
		      "  dos_whitelisted_subnets:\n"
		      "    - 10.0.0.1/8\n"
		      "    - 10.0.0.0/33\n"
		      "    - 2001:db8::1/64\n"
		      "    - nonsense\n"
		      "    - 10.0.0.0/\n"
		      "peering_servers: [203.0.113.0/23]\n",
		      "t.yml:2:25: security.dos_whitelisted_ips: invalid IP address "
		      "'192.0.2.256'\n"
		      "t.yml:2:38: security.dos_whitelisted_ips: invalid IP address "
		      "'192.0.2.0/24' (subnets go in dos_whitelisted_subnets)\n"
		      "t.yml:4:7: security.dos_whitelisted_subnets: '10.0.0.1/8' has host "
		      "bits set (did you mean 10.0.0.0/8?)\n"
		      "t.yml:5:7: security.dos_whitelisted_subnets: invalid prefix length in "
		      "'10.0.0.0/33' (0..32)\n"
		      "t.yml:6:7: security.dos_whitelisted_subnets: '2001:db8::1/64' has host "
		      "bits set (did you mean 2001:db8::/64?)\n"
		      "t.yml:7:7: security.dos_whitelisted_subnets: invalid IP address "
		      "'nonsense'\n"
		      "t.yml:8:7: security.dos_whitelisted_subnets: invalid prefix length in "
		      "'10.0.0.0/' (0..32)\n"
		      "t.yml:9:19: peering_servers: '203.0.113.0/23' has host bits set "
		      "(did you mean 203.0.112.0/23?)\n");
}

Test(config, err_invalid_regex)
{
	struct config *cfg;
	char *errs;

	cr_expect_eq(load("security:\n  ua_blacklist:\n    - good\n    - 'bad(('\n    - ''\n",
			  &cfg, &errs), -EINVAL);
	cr_expect_null(cfg);
	/* The regerror() wording is libc's; pin the location and the start. */
	cr_expect(strncmp(errs, "t.yml:4:7: security.ua_blacklist: invalid regular "
			  "expression 'bad((': ", 65) == 0, "%s", errs);
	cr_expect_not_null(strstr(errs, "\nt.yml:5:7: security.ua_blacklist: empty pattern\n"),
			   "%s", errs);
	free(errs);
}

Test(config, err_unknown_method)
{
	expect_errors("security:\n  ua_blacklist_methods: [INVITE, register, FOO]\n",
		      "t.yml:2:34: security.ua_blacklist_methods: unknown SIP method "
		      "'register' (method names are case-sensitive: did you mean "
		      "'REGISTER'?)\n"
		      "t.yml:2:44: security.ua_blacklist_methods: unknown SIP method 'FOO' "
		      "(expected INVITE, ACK, BYE, CANCEL, REGISTER, OPTIONS, SUBSCRIBE, "
		      "NOTIFY, PUBLISH, INFO, PRACK, UPDATE, MESSAGE or REFER)\n");
}

Test(config, err_ports)
{
	expect_errors("sip:\n  udp_ports: [5060, 5062, 5060]\n  tcp_ports: [5061]\n",
		      "t.yml:2:27: sip.udp_ports: duplicate port 5060 (first at line 2)\n"
		      "t.yml:3:15: port 5061 is in both sip.tcp_ports and sip.tls_ports "
		      "(a TLS port cannot be parsed as SIP)\n");
	expect_errors("sip:\n  tls_ports: 5060\n",
		      "t.yml:2:14: port 5060 is in both sip.tcp_ports and sip.tls_ports "
		      "(a TLS port cannot be parsed as SIP)\n");
	expect_errors("sip:\n  udp_ports: [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,"
		      "20,21,22,23,24,25,26,27,28,29,30,31,32,33]\n",
		      "t.yml:2:102: sip.udp_ports: too many entries (at most 32)\n");
}

Test(config, err_paths)
{
	expect_errors("daemon:\n  state_dir: var/lib\n  socket: ''\n  stats_file: \"\"\n",
		      "t.yml:2:14: daemon.state_dir: path must be absolute\n"
		      "t.yml:3:11: daemon.socket: empty path\n"
		      "t.yml:4:15: daemon.stats_file: empty path\n");
	expect_errors("daemon:\n  socket: /run/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock\n",
		      "t.yml:2:11: daemon.socket: path too long (at most 107 bytes)\n");
	expect_errors("daemon:\n  state_dir: \"/var/lib\\0x\"\n",
		      "t.yml:2:14: daemon.state_dir: value contains a NUL byte\n");
}

Test(config, err_alias_rejected)
{
	expect_errors("security:\n"
		      "  dos_ban_time: &t 600\n"
		      "  failed_auth_ban_time: *t\n",
		      "t.yml:3:25: YAML aliases are not allowed ('*t'): write the value out\n");
	/* Billion laughs: every alias refused, nothing expanded. */
	expect_errors("a: &a [x, x, x]\n"
		      "b: &b [*a, *a, *a]\n"
		      "c: &c [*b, *b, *b]\n",
		      "t.yml:1:1: unknown key 'a' at top level\n"
		      "t.yml:2:1: unknown key 'b' at top level\n"
		      "t.yml:2:8: YAML aliases are not allowed ('*a'): write the value out\n"
		      "t.yml:2:12: YAML aliases are not allowed ('*a'): write the value out\n"
		      "t.yml:2:16: YAML aliases are not allowed ('*a'): write the value out\n"
		      "t.yml:3:1: unknown key 'c' at top level\n"
		      "t.yml:3:8: YAML aliases are not allowed ('*b'): write the value out\n"
		      "t.yml:3:12: YAML aliases are not allowed ('*b'): write the value out\n"
		      "t.yml:3:16: YAML aliases are not allowed ('*b'): write the value out\n");
}

Test(config, err_tags_and_depth)
{
	expect_errors("security:\n  dos_ban_time: !!int 600\n  ua_blacklist: !foo [a]\n",
		      "t.yml:2:17: YAML tags (!...) are not allowed\n"
		      "t.yml:3:17: YAML tags (!...) are not allowed\n");
	expect_errors("security:\n  ua_blacklist: [[a]]\n",
		      "t.yml:2:18: security.ua_blacklist: expected a scalar, got a sequence\n");
	{
		/* Deep nesting is refused without recursing into it. */
		char deep[1100];
		size_t o = 0;
		int i;

		o += (size_t)snprintf(deep, sizeof(deep), "queue: ");
		for (i = 0; i < 500; i++)
			deep[o++] = '[';
		for (i = 0; i < 500; i++)
			deep[o++] = ']';
		strcpy(deep + o, "\n");
		expect_errors(deep,
			      "t.yml:1:8: queue: expected a mapping, got a sequence\n"
			      "t.yml:1:13: YAML nesting too deep (at most 6 levels)\n");
	}
	expect_errors("a: 1\n---\nb: 2\n",
		      "t.yml:1:1: unknown key 'a' at top level\n"
		      "t.yml:2:1: only one YAML document is allowed\n");
}

Test(config, err_many_together)
{
	expect_errors("mode: fast\n"
		      "queue:\n"
		      "  count: 0\n"
		      "  bogus: 1\n"
		      "security:\n"
		      "  dos_ban_enable: perhaps\n"
		      "  dos_whitelisted_subnets: [10.0.0.1/8]\n"
		      "  ua_blacklist: ['(']\n"
		      "limits:\n"
		      "  max_bans: 15\n",
		      "t.yml:1:7: mode: invalid value 'fast' (expected one of: enforce, monitor)\n"
		      "t.yml:3:10: queue.count: 0 is out of range (1..64)\n"
		      "t.yml:4:3: unknown key 'bogus' in section 'queue'\n"
		      "t.yml:6:19: security.dos_ban_enable: invalid boolean 'perhaps' "
		      "(expected yes/no, true/false, on/off or 1/0)\n"
		      "t.yml:7:29: security.dos_whitelisted_subnets: '10.0.0.1/8' has host "
		      "bits set (did you mean 10.0.0.0/8?)\n"
		      "t.yml:8:18: security.ua_blacklist: invalid regular expression '(': "
		      "Unmatched ( or \\(\n"
		      "t.yml:10:13: limits.max_bans: 15 is out of range (16..10000000)\n");
}

Test(config, err_too_large)
{
	size_t len = (4u << 20) + 1;
	char *big = malloc(len), *errs;
	struct config *cfg = NULL;
	size_t sz;
	FILE *f = open_memstream(&errs, &sz);

	cr_assert_not_null(big);
	memset(big, '#', len);
	cr_expect_eq(config_load_buffer("t.yml", big, len, &cfg, f), -EFBIG);
	fclose(f);
	cr_expect_null(cfg);
	cr_expect_str_eq(errs, "t.yml: file too large (4194305 bytes, at most 4194304)\n");
	free(errs);
	free(big);
}

Test(config, err_missing_file)
{
	struct config *cfg = NULL;
	char *errs;
	size_t sz;
	FILE *f = open_memstream(&errs, &sz);

	cr_expect_eq(config_load_file("/nonexistent/sw.yml", &cfg, f), -ENOENT);
	fclose(f);
	cr_expect_null(cfg);
	cr_expect_str_eq(errs, "/nonexistent/sw.yml: No such file or directory\n");
	free(errs);
	/* A NULL error stream is allowed. */
	cr_expect_eq(config_load_buffer("t.yml", "mode: x\n", 8, &cfg, NULL), -EINVAL);
	cr_expect_null(cfg);
}

Test(config, list_bound)
{
	size_t cap = 16 * (CONFIG_MAX_LIST + 2), o = 0;
	char *text = malloc(cap);
	unsigned i;
	char want[128];

	cr_assert_not_null(text);
	o += (size_t)snprintf(text + o, cap - o, "peering_servers:\n");
	for (i = 0; i <= CONFIG_MAX_LIST; i++)
		o += (size_t)snprintf(text + o, cap - o, "- 10.0.%u.%u\n", i / 256, i % 256);
	snprintf(want, sizeof(want),
		 "t.yml:%u:3: peering_servers: too many entries (at most %u)\n",
		 CONFIG_MAX_LIST + 2, CONFIG_MAX_LIST);
	expect_errors(text, want);
	free(text);
}
