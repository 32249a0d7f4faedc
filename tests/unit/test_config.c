/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "config.h"
#include "sip.h"

#define M(m) (1u << SIP_METHOD_##m)

/* Load text as "t.yml"; *errs gets everything written to the error stream. */
static int
load(const char *text, struct config **cfg, char **errs)
{
	size_t sz;
	FILE *f = open_memstream(errs, &sz);
	int rc;

	cr_assert_not_null(f);
	*cfg = NULL;
	rc = config_load_buffer("t.yml", text, strlen(text), cfg, f);
	fclose(f);
	return rc;
}

/* The text must be refused with exactly these messages. */
static void
expect_errors(const char *text, const char *want)
{
	struct config *cfg;
	char *errs;
	int rc;

	rc = load(text, &cfg, &errs);
	cr_expect_eq(rc, -EINVAL, "rc %d", rc);
	cr_expect_null(cfg);
	cr_expect_str_eq(errs, want, "got:\n%s", errs);
	free(errs);
}

static struct config *
load_ok(const char *text)
{
	struct config *cfg;
	char *errs;
	int rc;

	rc = load(text, &cfg, &errs);
	cr_assert_eq(rc, 0, "rc %d: %s", rc, errs);
	cr_assert_str_eq(errs, "");
	free(errs);
	cr_assert_not_null(cfg);
	return cfg;
}

static struct addr
A(const char *s)
{
	struct addr a;

	cr_assert_eq(addr_parse(s, &a), 0, "%s", s);
	return a;
}

static void
expect_nets_eq(const struct addr_net *x, const struct addr_net *y, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		cr_expect(addr_equal(&x[i].base, &y[i].base), "net %u", i);
		cr_expect_eq(x[i].plen, y[i].plen, "net %u", i);
	}
}

static void
expect_str_or_null_eq(const char *x, const char *y)
{
	if (x == NULL || y == NULL)
		cr_expect(x == y, "%s vs %s", x ? x : "NULL", y ? y : "NULL");
	else
		cr_expect_str_eq(x, y);
}

/* Every field but path. */
static void
expect_same(const struct config *x, const struct config *y)
{
	unsigned i;

	cr_expect_eq(x->mode, y->mode);
	cr_expect_eq(x->queue_first, y->queue_first);
	cr_expect_eq(x->queue_count, y->queue_count);
	cr_expect_eq(x->queue_maxlen, y->queue_maxlen);
	cr_expect_eq(x->queue_rcvbuf, y->queue_rcvbuf);
	cr_expect_eq(x->queue_fail_open, y->queue_fail_open);
	cr_expect_eq(x->queue_batch_wait_us, y->queue_batch_wait_us);
	cr_expect_eq(x->n_udp_ports, y->n_udp_ports);
	cr_expect_arr_eq(x->udp_ports, y->udp_ports, x->n_udp_ports * sizeof(uint16_t));
	cr_expect_eq(x->n_tcp_ports, y->n_tcp_ports);
	cr_expect_arr_eq(x->tcp_ports, y->tcp_ports, x->n_tcp_ports * sizeof(uint16_t));
	cr_expect_eq(x->n_tls_ports, y->n_tls_ports);
	cr_expect_arr_eq(x->tls_ports, y->tls_ports, x->n_tls_ports * sizeof(uint16_t));
	cr_expect_eq(x->dos_ban_enable, y->dos_ban_enable);
	cr_expect_eq(x->dos_ban_time, y->dos_ban_time);
	cr_expect_eq(x->dos_reqs_density_per_unit, y->dos_reqs_density_per_unit);
	cr_expect_eq(x->dos_sampling_time_unit, y->dos_sampling_time_unit);
	cr_assert_eq(x->n_whitelist, y->n_whitelist);
	expect_nets_eq(x->whitelist, y->whitelist, x->n_whitelist);
	cr_expect_eq(x->failed_auth_ban_enable, y->failed_auth_ban_enable);
	cr_expect_eq(x->failed_auth_attempts, y->failed_auth_attempts);
	cr_expect_eq(x->failed_auth_ban_time, y->failed_auth_ban_time);
	cr_expect_eq(x->failed_auth_ban_target, y->failed_auth_ban_target);
	cr_assert_eq(x->n_ua_blacklist, y->n_ua_blacklist);
	for (i = 0; i < x->n_ua_blacklist; i++)
		cr_expect_str_eq(x->ua_blacklist[i].pattern, y->ua_blacklist[i].pattern);
	cr_expect_eq(x->ua_blacklist_methods, y->ua_blacklist_methods);
	cr_expect_eq(x->ua_ban_ip, y->ua_ban_ip);
	cr_expect_eq(x->ua_ban_time, y->ua_ban_time);
	cr_expect_eq(x->malformed, y->malformed);
	cr_expect_eq(x->reject_sqli_chars, y->reject_sqli_chars);
	cr_assert_eq(x->n_peering_servers, y->n_peering_servers);
	expect_nets_eq(x->peering_servers, y->peering_servers, x->n_peering_servers);
	cr_expect_eq(x->max_sources, y->max_sources);
	cr_expect_eq(x->max_bans, y->max_bans);
	cr_expect_eq(x->source_idle_time, y->source_idle_time);
	expect_str_or_null_eq(x->state_dir, y->state_dir);
	expect_str_or_null_eq(x->socket_path, y->socket_path);
	expect_str_or_null_eq(x->stats_file, y->stats_file);
}

static bool
ua_matches(const struct config *cfg, const char *ua)
{
	unsigned i;

	for (i = 0; i < cfg->n_ua_blacklist; i++)
		if (regexec(&cfg->ua_blacklist[i].re, ua, 0, NULL, 0) == 0)
			return true;
	return false;
}

/* ---- valid files ---- */

Test(config, defaults)
{
	struct config *cfg = config_new_default();

	cr_assert_not_null(cfg);
	cr_expect_eq(cfg->mode, CONFIG_MODE_ENFORCE);
	cr_expect_eq(cfg->queue_first, 0);
	cr_expect_eq(cfg->queue_count, 2);
	cr_expect_eq(cfg->queue_maxlen, 16384);
	cr_expect_eq(cfg->queue_rcvbuf, 16u << 20);
	cr_expect(cfg->queue_fail_open);
	cr_expect_eq(cfg->queue_batch_wait_us, 200);
	cr_expect_eq(cfg->n_udp_ports, 1);
	cr_expect_eq(cfg->udp_ports[0], 5060);
	cr_expect_eq(cfg->n_tcp_ports, 1);
	cr_expect_eq(cfg->tcp_ports[0], 5060);
	cr_expect_eq(cfg->n_tls_ports, 1);
	cr_expect_eq(cfg->tls_ports[0], 5061);
	cr_expect(cfg->dos_ban_enable);
	cr_expect_eq(cfg->dos_ban_time, 3600);
	cr_expect_eq(cfg->dos_reqs_density_per_unit, 50);
	cr_expect_eq(cfg->dos_sampling_time_unit, 2);
	cr_expect_eq(cfg->n_whitelist, 0);
	cr_expect(cfg->failed_auth_ban_enable);
	cr_expect_eq(cfg->failed_auth_attempts, 3);
	cr_expect_eq(cfg->failed_auth_ban_time, 3600);
	cr_expect_eq(cfg->failed_auth_ban_target, CONFIG_AUTH_BAN_USER);
	cr_assert_eq(cfg->n_ua_blacklist, 3);
	cr_expect_str_eq(cfg->ua_blacklist[0].pattern, "friendly-scanner");
	cr_expect_str_eq(cfg->ua_blacklist[1].pattern, "sipvicious");
	cr_expect_str_eq(cfg->ua_blacklist[2].pattern, "^sipcli.+");
	cr_expect(ua_matches(cfg, "friendly-scanner"));
	cr_expect(ua_matches(cfg, "sipcli/v1.8"));
	cr_expect_not(ua_matches(cfg, "my sipcli"));
	cr_expect_not(ua_matches(cfg, "Linphone/5.0"));
	cr_expect_eq(cfg->ua_blacklist_methods, M(REGISTER) | M(INVITE));
	cr_expect(cfg->ua_ban_ip);
	cr_expect_eq(cfg->ua_ban_time, 3600);
	cr_expect_eq(cfg->malformed, CONFIG_MALFORMED_DROP);
	cr_expect_not(cfg->reject_sqli_chars);
	cr_expect_eq(cfg->n_peering_servers, 0);
	cr_expect_eq(cfg->max_sources, 1000000);
	cr_expect_eq(cfg->max_bans, 100000);
	cr_expect_eq(cfg->source_idle_time, 60);
	cr_expect_str_eq(cfg->state_dir, "/var/lib/sipwarden");
	cr_expect_str_eq(cfg->socket_path, "/run/sipwarden/control.sock");
	cr_expect_null(cfg->stats_file);
	config_free(cfg);
}

Test(config, empty_and_comments_only_are_defaults)
{
	static const char *texts[] = {
		"", "\n", "# nothing here\n  # at all\n", "---\n", "---\n...\n", "~\n",
	};
	struct config *def = config_new_default(), *cfg;
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		cfg = load_ok(texts[i]);
		expect_same(cfg, def);
		cr_expect_str_eq(cfg->path, "t.yml");
		config_free(cfg);
	}
	config_free(def);
}

Test(config, default_file_is_defaults)
{
	struct config *def = config_new_default(), *cfg = NULL;
	char *errs;
	size_t sz;
	FILE *f = open_memstream(&errs, &sz);
	int rc;

	rc = config_load_file(TEST_SRCDIR "/../sipwarden.yml", &cfg, f);
	fclose(f);
	cr_assert_eq(rc, 0, "%s", errs);
	cr_assert_str_eq(errs, "");
	expect_same(cfg, def);
	cr_expect_str_eq(cfg->path, TEST_SRCDIR "/../sipwarden.yml");
	free(errs);
	config_free(cfg);
	config_free(def);
}

Test(config, full_file)
{
	struct config *cfg = load_ok(
		"mode: monitor\n"
		"queue:\n"
		"  first: 10\n"
		"  count: 4\n"
		"  maxlen: 1024\n"
		"  rcvbuf: 65536\n"
		"  batch_wait_us: 0\n"
		"  fail_open: no\n"
		"sip:\n"
		"  udp_ports: [5060, 5062]\n"
		"  tcp_ports:\n"
		"    - 5060\n"
		"  tls_ports: 5071\n"
		"security:\n"
		"  dos_ban_enable: off\n"
		"  dos_ban_time: 600\n"
		"  dos_reqs_density_per_unit: 100\n"
		"  dos_sampling_time_unit: 5\n"
		"  dos_whitelisted_ips: [192.0.2.10, '2001:db8::10']\n"
		"  dos_whitelisted_subnets:\n"
		"    - 198.51.100.0/24\n"
		"    - 2001:db8:5::/64\n"
		"  failed_auth_attempts: 5\n"
		"  failed_auth_ban_enable: false\n"
		"  failed_auth_ban_time: 120\n"
		"  failed_auth_ban_target: both\n"
		"  ua_blacklist: [\"^evil\", 'scan(ner)?$']\n"
		"  ua_blacklist_methods: [OPTIONS, REGISTER, INVITE, MESSAGE]\n"
		"  ua_ban_ip: 0\n"
		"  ua_ban_time: 31536000\n"
		"  malformed: accept\n"
		"  reject_sqli_chars: yes\n"
		"peering_servers:\n"
		"  - 203.0.113.5\n"
		"  - 2001:db8:c::/48\n"
		"limits:\n"
		"  max_sources: 1024\n"
		"  max_bans: 16\n"
		"  source_idle_time: 86400\n"
		"daemon:\n"
		"  state_dir: /tmp/sw/state\n"
		"  socket: /tmp/sw/ctl.sock\n"
		"  stats_file: /tmp/sw/stats.json\n");
	struct addr_net n;

	cr_expect_eq(cfg->mode, CONFIG_MODE_MONITOR);
	cr_expect_eq(cfg->queue_first, 10);
	cr_expect_eq(cfg->queue_count, 4);
	cr_expect_eq(cfg->queue_maxlen, 1024);
	cr_expect_eq(cfg->queue_rcvbuf, 65536);
	cr_expect_not(cfg->queue_fail_open);
	cr_expect_eq(cfg->queue_batch_wait_us, 0);
	cr_assert_eq(cfg->n_udp_ports, 2);
	cr_expect_eq(cfg->udp_ports[0], 5060);
	cr_expect_eq(cfg->udp_ports[1], 5062);
	cr_assert_eq(cfg->n_tcp_ports, 1);
	cr_expect_eq(cfg->tcp_ports[0], 5060);
	cr_assert_eq(cfg->n_tls_ports, 1);
	cr_expect_eq(cfg->tls_ports[0], 5071);
	cr_expect_not(cfg->dos_ban_enable);
	cr_expect_eq(cfg->dos_ban_time, 600);
	cr_expect_eq(cfg->dos_reqs_density_per_unit, 100);
	cr_expect_eq(cfg->dos_sampling_time_unit, 5);
	cr_assert_eq(cfg->n_whitelist, 4);
	/* IPs first, as full-length networks, then the subnets. */
	cr_expect_eq(addr_net_parse("192.0.2.10/32", &n), 0);
	expect_nets_eq(&cfg->whitelist[0], &n, 1);
	cr_expect_eq(addr_net_parse("2001:db8::10/128", &n), 0);
	expect_nets_eq(&cfg->whitelist[1], &n, 1);
	cr_expect_eq(addr_net_parse("198.51.100.0/24", &n), 0);
	expect_nets_eq(&cfg->whitelist[2], &n, 1);
	cr_expect_eq(addr_net_parse("2001:db8:5::/64", &n), 0);
	expect_nets_eq(&cfg->whitelist[3], &n, 1);
	cr_expect_eq(cfg->failed_auth_attempts, 5);
	cr_expect_not(cfg->failed_auth_ban_enable);
	cr_expect_eq(cfg->failed_auth_ban_time, 120);
	cr_expect_eq(cfg->failed_auth_ban_target, CONFIG_AUTH_BAN_BOTH);
	cr_assert_eq(cfg->n_ua_blacklist, 2);
	cr_expect_str_eq(cfg->ua_blacklist[0].pattern, "^evil");
	cr_expect_str_eq(cfg->ua_blacklist[1].pattern, "scan(ner)?$");
	cr_expect(ua_matches(cfg, "evilbot"));
	cr_expect(ua_matches(cfg, "my scan"));
	cr_expect_not(ua_matches(cfg, "sipvicious"));
	cr_expect_eq(cfg->ua_blacklist_methods,
		     M(OPTIONS) | M(REGISTER) | M(INVITE) | M(MESSAGE));
	cr_expect_not(cfg->ua_ban_ip);
	cr_expect_eq(cfg->ua_ban_time, 31536000);
	cr_expect_eq(cfg->malformed, CONFIG_MALFORMED_ACCEPT);
	cr_expect(cfg->reject_sqli_chars);
	cr_assert_eq(cfg->n_peering_servers, 2);
	cr_expect_eq(cfg->peering_servers[0].plen, 32);
	cr_expect_eq(cfg->peering_servers[1].plen, 48);
	cr_expect_eq(cfg->max_sources, 1024);
	cr_expect_eq(cfg->max_bans, 16);
	cr_expect_eq(cfg->source_idle_time, 86400);
	cr_expect_str_eq(cfg->state_dir, "/tmp/sw/state");
	cr_expect_str_eq(cfg->socket_path, "/tmp/sw/ctl.sock");
	cr_expect_str_eq(cfg->stats_file, "/tmp/sw/stats.json");
	config_free(cfg);
}

Test(config, ngcp_block_verbatim)
{
	struct config *cfg = load_ok(
		"security:\n"
		"  dos_ban_enable: 'yes'\n"
		"  dos_ban_time: 3600\n"
		"  dos_reqs_density_per_unit: 50\n"
		"  dos_sampling_time_unit: 2\n"
		"  dos_whitelisted_ips: []\n"
		"  dos_whitelisted_subnets: []\n"
		"  failed_auth_attempts: 3\n"
		"  failed_auth_ban_enable: 'yes'\n"
		"  failed_auth_ban_time: 3600\n");
	struct config *def = config_new_default();

	expect_same(cfg, def);
	config_free(def);
	config_free(cfg);
}

Test(config, booleans_and_nulls)
{
	static const struct { const char *v; bool want; } b[] = {
		{ "yes", 1 }, { "no", 0 }, { "true", 1 }, { "false", 0 },
		{ "on", 1 }, { "off", 0 }, { "1", 1 }, { "0", 0 }, { "'yes'", 1 },
		{ "'no'", 0 }, { "\"off\"", 0 }, { "Yes", 1 }, { "FALSE", 0 },
	};
	char text[128];
	struct config *cfg;
	size_t i;

	for (i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
		snprintf(text, sizeof(text), "security: {dos_ban_enable: %s, ua_ban_ip: %s}\n",
			 b[i].v, b[i].want ? "no" : "yes");
		cfg = load_ok(text);
		cr_expect_eq(cfg->dos_ban_enable, b[i].want, "%s", b[i].v);
		cr_expect_eq(cfg->ua_ban_ip, !b[i].want, "%s", b[i].v);
		config_free(cfg);
	}
	/* A section or list left empty when its entries are commented out. */
	cfg = load_ok("queue:\nsecurity:\n  dos_whitelisted_ips:\n  ua_blacklist: ~\n"
		      "sip:\n  udp_ports: []\ndaemon:\n  stats_file: null\n");
	cr_expect_eq(cfg->n_whitelist, 0);
	cr_expect_eq(cfg->n_ua_blacklist, 0);
	cr_expect_null(cfg->ua_blacklist);
	cr_expect_eq(cfg->n_udp_ports, 0);
	cr_expect_null(cfg->stats_file);
	config_free(cfg);
}

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

/* ---- queries ---- */

Test(config, is_trusted)
{
	struct config *cfg = load_ok(
		"security:\n"
		"  dos_whitelisted_ips: [192.0.2.10, '2001:db8::10']\n"
		"  dos_whitelisted_subnets: [198.51.100.0/24, '2001:db8:5::/64']\n"
		"peering_servers: [203.0.113.5, '2001:db8:c::/48']\n");
	struct addr a;

	a = A("192.0.2.10");
	cr_expect(config_is_trusted(cfg, &a));
	a = A("192.0.2.11");
	cr_expect_not(config_is_trusted(cfg, &a));
	a = A("198.51.100.255");
	cr_expect(config_is_trusted(cfg, &a));
	a = A("198.51.101.0");
	cr_expect_not(config_is_trusted(cfg, &a));
	a = A("203.0.113.5");
	cr_expect(config_is_trusted(cfg, &a));
	a = A("203.0.113.6");
	cr_expect_not(config_is_trusted(cfg, &a));
	a = A("2001:db8::10");
	cr_expect(config_is_trusted(cfg, &a));
	a = A("2001:db8::11");
	cr_expect_not(config_is_trusted(cfg, &a));
	a = A("2001:db8:5::abcd");
	cr_expect(config_is_trusted(cfg, &a));
	a = A("2001:db8:5:1::");
	cr_expect_not(config_is_trusted(cfg, &a));
	a = A("2001:db8:c:ffff::1");
	cr_expect(config_is_trusted(cfg, &a));
	a = A("2001:db8:a::1");
	cr_expect_not(config_is_trusted(cfg, &a));
	/* The v4-mapped form of a trusted v4 address is another address. */
	a = A("::ffff:192.0.2.10");
	cr_expect_not(config_is_trusted(cfg, &a));
	config_free(cfg);

	cfg = config_new_default();
	a = A("192.0.2.10");
	cr_expect_not(config_is_trusted(cfg, &a));
	config_free(cfg);
}

static char *
rules_env(const struct config *cfg)
{
	char *buf;
	size_t sz;
	FILE *f = open_memstream(&buf, &sz);

	cr_assert_not_null(f);
	config_print_rules_env(cfg, f);
	fclose(f);
	return buf;
}

Test(config, print_rules_env)
{
	struct config *cfg = config_new_default();
	char *s;

	s = rules_env(cfg);
	cr_expect_str_eq(s, "QUEUE_FIRST=0\nQUEUE_COUNT=2\nFAIL_OPEN=1\nUDP_PORTS=5060\n"
			 "TCP_PORTS=5060\nTLS_PORTS=5061\nMODE=enforce\nMAX_BANS=100000\nSERVER_ADDRESSES=\n");
	free(s);
	config_free(cfg);

	cfg = load_ok("mode: monitor\nqueue: {first: 100, count: 8, fail_open: no}\n"
		      "sip: {udp_ports: [5060, 5062, 5080], tcp_ports: [], tls_ports: []}\n");
	s = rules_env(cfg);
	cr_expect_str_eq(s, "QUEUE_FIRST=100\nQUEUE_COUNT=8\nFAIL_OPEN=0\n"
			 "UDP_PORTS=5060,5062,5080\nTCP_PORTS=\nTLS_PORTS=\nMODE=monitor\nMAX_BANS=100000\nSERVER_ADDRESSES=\n");
	free(s);
	config_free(cfg);
}
