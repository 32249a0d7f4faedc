/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The config loader on valid files (defaults, empty and comment-only
 * files, the shipped sipwarden.yml, a full file, the ngcp block, booleans
 * and nulls) and the config queries (config_is_trusted, the rules
 * environment). The error classes are in test_config_errors.c; the
 * harness in config_harness.h.
 */
#include "addr_harness.h"
#include "config_harness.h"

#define M(m) (1u << SIP_METHOD_##m)

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
