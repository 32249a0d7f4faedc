/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "config.h"
#include "ngcpimport.h"

#define DATA TEST_SRCDIR "/unit/data/ngcp/"

struct result {
	int rc;
	char *out;
	char *err;
};

static struct result
import_file(const char *path)
{
	struct result r = { 0 };
	size_t olen, elen;
	FILE *o = open_memstream(&r.out, &olen), *e = open_memstream(&r.err, &elen);

	cr_assert(o && e);
	r.rc = ngcpimport_file(path, o, e);
	fclose(o);
	fclose(e);
	return r;
}

static struct result
import_text(const char *text)
{
	struct result r = { 0 };
	size_t olen, elen;
	FILE *o = open_memstream(&r.out, &olen), *e = open_memstream(&r.err, &elen);

	cr_assert(o && e);
	r.rc = ngcpimport_buffer("c.yml", text, strlen(text), o, e);
	fclose(o);
	fclose(e);
	return r;
}

static void
result_free(struct result *r)
{
	free(r->out);
	free(r->err);
}

/* The output must load in sipwarden, with no error at all. */
static struct config *
load_output(const struct result *r)
{
	struct config *cfg = NULL;
	char *errs = NULL;
	size_t elen;
	FILE *e = open_memstream(&errs, &elen);
	int rc;

	cr_assert_not_null(e);
	rc = config_load_buffer("out.yml", r->out, strlen(r->out), &cfg, e);
	fclose(e);
	cr_assert_eq(rc, 0, "output refused (%d):\n%s\n--- output:\n%s", rc, errs, r->out);
	cr_assert_str_eq(errs, "");
	free(errs);
	return cfg;
}

static void
expect_ok(const struct result *r)
{
	cr_assert_eq(r->rc, 0, "rc %d, errors:\n%s", r->rc, r->err);
	cr_assert_str_eq(r->err, "");
}

static void
expect_line(const struct result *r, const char *line)
{
	cr_expect_not_null(strstr(r->out, line), "no line '%s' in:\n%s", line, r->out);
}

static bool
has_net(const struct config *cfg, const char *text)
{
	struct addr_net n;

	cr_assert_eq(addr_net_parse(text, &n), 0);
	for (unsigned i = 0; i < cfg->n_whitelist; i++)
		if (cfg->whitelist[i].plen == n.plen && addr_equal(&cfg->whitelist[i].base, &n.base))
			return true;
	return false;
}

Test(ngcpimport, seed_settings_under_kamailio_lb_security)
{
	struct result r = import_file(DATA "seed.yml");
	struct config *cfg;

	expect_ok(&r);
	expect_line(&r, "\nsecurity:\n  dos_ban_enable: yes\n  dos_ban_time: 3600\n"
		    "  dos_reqs_density_per_unit: 50\n  dos_sampling_time_unit: 2\n"
		    "  dos_whitelisted_ips: []\n  dos_whitelisted_subnets: []\n"
		    "  failed_auth_attempts: 3\n  failed_auth_ban_enable: yes\n"
		    "  failed_auth_ban_time: 3600\n");
	expect_line(&r, "  udp_ports: [5060]   # kamailio.lb.port\n");
	expect_line(&r, "  tcp_ports: [5060]   # kamailio.lb.port\n");
	expect_line(&r, "  tls_ports: []   # kamailio.lb.tls.enable: no\n");
	/* Nothing else of the NGCP file leaks in: not its other sections,
	 * not the lb keys around security. */
	cr_expect_null(strstr(r.out, "not imported"), "%s", r.out);
	cr_expect_null(strstr(r.out, "max_forwards"));
	cr_expect_null(strstr(r.out, "5062"));

	cfg = load_output(&r);
	cr_expect_eq(cfg->dos_ban_enable, true);
	cr_expect_eq(cfg->dos_ban_time, 3600);
	cr_expect_eq(cfg->dos_reqs_density_per_unit, 50);
	cr_expect_eq(cfg->dos_sampling_time_unit, 2);
	cr_expect_eq(cfg->n_whitelist, 0);
	cr_expect_eq(cfg->failed_auth_attempts, 3);
	cr_expect_eq(cfg->failed_auth_ban_enable, true);
	cr_expect_eq(cfg->failed_auth_ban_time, 3600);
	cr_expect_eq(cfg->n_udp_ports, 1);
	cr_expect_eq(cfg->udp_ports[0], 5060);
	cr_expect_eq(cfg->n_tcp_ports, 1);
	cr_expect_eq(cfg->tcp_ports[0], 5060);
	cr_expect_eq(cfg->n_tls_ports, 0);
	/* What NGCP does not say keeps sipwarden's default. */
	cr_expect_eq(cfg->failed_auth_ban_target, CONFIG_AUTH_BAN_USER);
	cr_expect_eq(cfg->n_ua_blacklist, 3);
	config_free(cfg);
	result_free(&r);
}

Test(ngcpimport, unknown_keys_become_comments_in_place)
{
	struct result r = import_file(DATA "extra_keys.yml");
	struct config *cfg;

	expect_ok(&r);
	expect_line(&r, "  dos_ban_enable: no\n  # not imported: topoh_enable: 'yes'\n"
		    "  dos_ban_time: 600\n");
	expect_line(&r, "  # not imported: scan_hosts: [1.2.3.4, {note: 'two words'}]\n");
	expect_line(&r, "  # not imported: xfwd_trusted: ~\n");
	expect_line(&r, "  dos_whitelisted_ips: [192.0.2.10, \"2001:db8::10\"]\n");
	expect_line(&r, "  dos_whitelisted_subnets: [192.0.2.0/24, \"2001:db8:1::/48\"]\n");
	expect_line(&r, "  udp_ports: [5080]");
	expect_line(&r, "  tls_ports: [5063]   # kamailio.lb.tls.enable: yes, kamailio.lb.tls.port\n");

	cfg = load_output(&r);
	cr_expect_eq(cfg->dos_ban_enable, false);
	cr_expect_eq(cfg->dos_ban_time, 600);
	cr_expect_eq(cfg->dos_reqs_density_per_unit, 100);
	cr_expect_eq(cfg->dos_sampling_time_unit, 5);
	cr_expect_eq(cfg->n_whitelist, 4);
	cr_expect(has_net(cfg, "192.0.2.10/32"));
	cr_expect(has_net(cfg, "2001:db8::10/128"));
	cr_expect(has_net(cfg, "192.0.2.0/24"));
	cr_expect(has_net(cfg, "2001:db8:1::/48"));
	cr_expect_eq(cfg->failed_auth_attempts, 5);
	cr_expect_eq(cfg->failed_auth_ban_enable, false);
	cr_expect_eq(cfg->failed_auth_ban_time, 1);
	cr_expect_eq(cfg->udp_ports[0], 5080);
	cr_expect_eq(cfg->tcp_ports[0], 5080);
	cr_expect_eq(cfg->n_tls_ports, 1);
	cr_expect_eq(cfg->tls_ports[0], 5063);
	config_free(cfg);
	result_free(&r);
}

Test(ngcpimport, top_level_security_section)
{
	struct result r = import_file(DATA "toplevel.yml");
	struct config *cfg;

	expect_ok(&r);
	cr_expect_null(strstr(r.out, "sip:"), "no ports without kamailio.lb:\n%s", r.out);
	cfg = load_output(&r);
	cr_expect_eq(cfg->dos_ban_time, 3600);
	cr_expect_eq(cfg->dos_reqs_density_per_unit, 50);
	cr_expect_eq(cfg->n_tls_ports, 1); /* sipwarden's default stays */
	config_free(cfg);
	result_free(&r);
}

Test(ngcpimport, bare_key_list)
{
	struct result r = import_file(DATA "bare.yml");
	struct config *cfg;

	expect_ok(&r);
	cfg = load_output(&r);
	cr_expect_eq(cfg->failed_auth_attempts, 3);
	cr_expect_eq(cfg->failed_auth_ban_time, 1);
	cr_expect_eq(cfg->dos_ban_time, 3600);
	config_free(cfg);
	result_free(&r);
}

Test(ngcpimport, values_sipwarden_refuses_are_reported_at_the_ngcp_line)
{
	struct result r = import_file(DATA "bad_value.yml");

	cr_expect_eq(r.rc, -EINVAL);
	cr_expect_str_eq(r.out, "", "nothing printed on failure");
	cr_expect_str_eq(r.err,
		DATA "bad_value.yml:5:21: security.dos_ban_time: 0 is out of range (1..31536000)\n"
		DATA "bad_value.yml:6:28: security.dos_whitelisted_ips: invalid IP address "
		"'192.0.2.0/24' (subnets go in dos_whitelisted_subnets)\n"
		DATA "bad_value.yml:7:31: security.failed_auth_ban_enable: invalid boolean "
		"'maybe' (expected yes/no, true/false, on/off or 1/0)\n");
	result_free(&r);
}

Test(ngcpimport, no_security_section)
{
	struct result r = import_file(DATA "no_security.yml");

	cr_expect_eq(r.rc, -EINVAL);
	cr_expect_str_eq(r.out, "");
	cr_expect_str_eq(r.err, DATA "no_security.yml:2:3: no security section: expected "
			 "kamailio: lb: security: (NGCP config.yml), a top-level security: or the "
			 "NGCP security keys (dos_ban_enable, ...)\n");
	result_free(&r);
}

Test(ngcpimport, not_yaml_reports_line_and_column)
{
	struct result r = import_file(DATA "not_yaml.yml");

	cr_expect_eq(r.rc, -EINVAL);
	cr_expect_str_eq(r.out, "");
	cr_expect(strncmp(r.err, DATA "not_yaml.yml:5:21: not valid YAML: ",
			  strlen(DATA "not_yaml.yml:5:21: not valid YAML: ")) == 0, "%s", r.err);
	result_free(&r);
}

Test(ngcpimport, missing_file)
{
	struct result r = import_file(DATA "does-not-exist.yml");

	cr_expect_eq(r.rc, -ENOENT);
	cr_expect_str_eq(r.out, "");
	cr_expect_str_eq(r.err, DATA "does-not-exist.yml: No such file or directory\n");
	result_free(&r);
}

Test(ngcpimport, directory_is_unreadable)
{
	struct result r = import_file(DATA);

	cr_expect_eq(r.rc, -EISDIR);
	cr_expect_str_eq(r.out, "");
	result_free(&r);
}

Test(ngcpimport, binary_and_empty_input)
{
	static const char bin[] = "kamailio:\n  lb: \x01\x02\n";
	struct result r = import_text(bin);

	cr_expect_eq(r.rc, -EINVAL);
	cr_expect(strncmp(r.err, "c.yml:2:7: not valid YAML: ", 27) == 0, "%s", r.err);
	result_free(&r);

	r = import_text("");
	cr_expect_eq(r.rc, -EINVAL);
	cr_expect_str_eq(r.err, "c.yml:1:1: empty file: no YAML document\n");
	result_free(&r);

	r = import_text("just some text\n");
	cr_expect_eq(r.rc, -EINVAL);
	cr_expect_str_eq(r.err, "c.yml:1:1: expected a mapping at the top level (an NGCP "
			 "config.yml), got a scalar\n");
	result_free(&r);
}

Test(ngcpimport, shapes_are_checked)
{
	struct result r = import_text("security: [a, b]\n");

	cr_expect_eq(r.rc, -EINVAL);
	cr_expect_str_eq(r.err, "c.yml:1:11: security: expected a mapping, got a sequence\n");
	result_free(&r);

	r = import_text("security:\n  dos_ban_time: [1]\n  dos_whitelisted_ips: [[1.2.3.4]]\n"
			"  dos_whitelisted_subnets: {a: b}\n  dos_ban_time: 5\n");
	cr_expect_eq(r.rc, -EINVAL);
	cr_expect_str_eq(r.err,
		"c.yml:2:17: security.dos_ban_time: expected a scalar, got a sequence\n"
		"c.yml:3:25: security.dos_whitelisted_ips: expected an address, got a sequence\n"
		"c.yml:4:28: security.dos_whitelisted_subnets: expected a list of addresses, got "
		"a mapping\n"
		"c.yml:5:3: duplicate key 'dos_ban_time' in security (first at line 2)\n");
	result_free(&r);

	r = import_text("kamailio:\n  lb:\n    port: [5060]\n    security: {}\n");
	cr_expect_eq(r.rc, -EINVAL);
	cr_expect_str_eq(r.err, "c.yml:3:11: kamailio.lb.port: expected a port number, got a "
			 "sequence\n");
	result_free(&r);

	r = import_text("kamailio:\n  lb:\n    tls: {enable: perhaps}\n    security: {}\n");
	cr_expect_eq(r.rc, -EINVAL);
	cr_expect_str_eq(r.err, "c.yml:3:19: kamailio.lb.tls.enable: invalid boolean (expected "
			 "yes/no)\n");
	result_free(&r);
}

Test(ngcpimport, port_errors_name_the_ngcp_key)
{
	struct result r = import_text("kamailio:\n  lb:\n    port: 70000\n    security:\n"
				      "      dos_ban_time: 60\n");

	cr_expect_eq(r.rc, -EINVAL);
	cr_expect_str_eq(r.err,
		"c.yml:3:11: sip.udp_ports: 70000 is out of range (1..65535) (from kamailio.lb.port)\n"
		"c.yml:3:11: sip.tcp_ports: 70000 is out of range (1..65535) (from kamailio.lb.port)\n");
	result_free(&r);
}

Test(ngcpimport, tls_enabled_without_port_uses_5061)
{
	struct result r = import_text("kamailio:\n  lb:\n    tls:\n      enable: 'yes'\n"
				      "    security:\n      dos_ban_time: 60\n");
	struct config *cfg;

	expect_ok(&r);
	cfg = load_output(&r);
	cr_expect_eq(cfg->n_tls_ports, 1);
	cr_expect_eq(cfg->tls_ports[0], 5061);
	cr_expect_eq(cfg->n_udp_ports, 1); /* no lb.port: the default */
	config_free(cfg);
	result_free(&r);
}

Test(ngcpimport, empty_section_keeps_defaults)
{
	struct result r = import_text("kamailio:\n  lb:\n    security:\n");
	struct config *cfg;

	expect_ok(&r);
	expect_line(&r, "  # kamailio.lb.security is empty in the NGCP file");
	cfg = load_output(&r);
	cr_expect_eq(cfg->dos_ban_time, 3600);
	config_free(cfg);
	result_free(&r);
}

Test(ngcpimport, hostile_values_stay_in_their_place)
{
	/* A newline or quote in a value must not make a second key, a
	 * control byte must not reach the terminal, and a self-referencing
	 * alias must not loop. */
	struct result r = import_text(
		"security:\n"
		"  dos_whitelisted_ips: [\"1.2.3.4\\nmode: monitor\"]\n"
		"  other: \"a\\x1b[31mb\\nc\"\n"
		"  loop: &l [x, *l]\n");

	cr_expect_eq(r.rc, -EINVAL, "%s", r.out);
	cr_expect_str_eq(r.out, "");
	cr_expect_not_null(strstr(r.err, "c.yml:2:24: security.dos_whitelisted_ips: invalid IP "
				  "address '1.2.3.4?mode: monitor'"), "%s", r.err);
	result_free(&r);

	r = import_text("security:\n  other: \"a\\x1b[31mb\\nc\"\n  loop: &l [x, *l]\n"
			"  dos_ban_time: \"3600\"\n");
	expect_ok(&r);
	expect_line(&r, "  # not imported: other: 'a\\x1b[31mb\\x0ac'\n");
	expect_line(&r, "  # not imported: loop: [x, [x, [x, [x, ...]]]]\n");
	expect_line(&r, "  dos_ban_time: 3600\n");
	config_free(load_output(&r));
	result_free(&r);
}
