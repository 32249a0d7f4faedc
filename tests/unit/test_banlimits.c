/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests: the minimum prefix length of network bans from blocklists, the
 * cluster and the control socket (limits.min_ban_prefix4/6), and blocklist
 * entries that cover a trusted address (issue 17, item 8). A /0 or /1 would
 * drop everyone; an entry covering a peer would cut this node off.
 */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr_harness.h"
#include "bans.h"
#include "clock.h"
#include "cluster_harness.h"
#include "cluster_internal.h"
#include "config.h"
#include "upkeep.h"

static struct config *
load(const char *yaml)
{
	struct config *cfg = NULL;

	cr_assert_eq(config_load_buffer("t.yml", yaml, strlen(yaml), &cfg, stderr), 0, "%s", yaml);
	return cfg;
}

Test(banlimits, config_defaults_and_bounds)
{
	struct config *cfg = load("");

	cr_assert_eq(cfg->min_ban_prefix4, 8);
	cr_assert_eq(cfg->min_ban_prefix6, 32);
	cr_assert_not(config_ban_prefix_ok(cfg, AF_INET, 0));
	cr_assert_not(config_ban_prefix_ok(cfg, AF_INET, 7));
	cr_assert(config_ban_prefix_ok(cfg, AF_INET, 8));
	cr_assert(config_ban_prefix_ok(cfg, AF_INET, 32));
	cr_assert_not(config_ban_prefix_ok(cfg, AF_INET6, 0));
	cr_assert_not(config_ban_prefix_ok(cfg, AF_INET6, 31));
	cr_assert(config_ban_prefix_ok(cfg, AF_INET6, 32));
	cr_assert(config_ban_prefix_ok(cfg, AF_INET6, 64));
	config_free(cfg);
	cfg = load("limits:\n  min_ban_prefix4: 16\n  min_ban_prefix6: 48\n");
	cr_assert_not(config_ban_prefix_ok(cfg, AF_INET, 15));
	cr_assert(config_ban_prefix_ok(cfg, AF_INET, 16));
	cr_assert_not(config_ban_prefix_ok(cfg, AF_INET6, 47));
	config_free(cfg);
	/* /0 cannot be configured */
	{
		struct config *bad = NULL;
		FILE *devnull = fopen("/dev/null", "w");

		cr_assert_lt(config_load_buffer("t.yml", "limits:\n  min_ban_prefix4: 0\n",
						strlen("limits:\n  min_ban_prefix4: 0\n"), &bad,
						devnull), 0);
		fclose(devnull);
	}
}

Test(banlimits, blocklist_wide_and_trusted_entries_refused)
{
	char path[] = "/tmp/sw-bl-XXXXXX", yaml[512];
	const char *list = "0.0.0.0/0\n128.0.0.0/1\n10.0.0.0/7\n::/0\n2001:db8::/31\n"
			   "198.51.100.0/24\n127.0.0.0/8\n"
			   "203.0.113.0/24\n2001:db8:a::/48\n192.0.2.7\n";
	struct config *cfg;
	struct bantab *t = bantab_new(64);
	struct banops *ops = banops_new(t, 64, false);
	struct upkeep u = { .bans = t, .ops = ops };
	int fd = mkstemp(path);

	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, list, strlen(list)), (ssize_t)strlen(list));
	close(fd);
	snprintf(yaml, sizeof(yaml),
		 "security:\n  blocklist_files: [%s]\n  dos_whitelisted_ips: [198.51.100.7]\n", path);
	cfg = load(yaml);
	cr_assert_not_null(ops);
	upkeep_blocklists(&u, cfg, 1000);
	/* the benign twins: sane entries banned */
	cr_assert(bantab_check_ip(t, &(struct addr){ 0 }, 1000) == false);
	{
		struct addr a = A("203.0.113.9"), b = A("2001:db8:a::1"), c = A("192.0.2.7");

		cr_assert(bantab_check_ip(t, &a, 1001));
		cr_assert(bantab_check_ip(t, &b, 1001));
		cr_assert(bantab_check_ip(t, &c, 1001));
	}
	/* nothing else: not the world, not the whitelisted peer, not loopback */
	{
		struct addr a = A("8.8.8.8"), b = A("198.51.100.7"), c = A("127.0.0.1"),
			    d = A("10.1.2.3"), e = A("2001:db8:5::1");

		cr_assert_not(bantab_check_ip(t, &a, 1001));
		cr_assert_not(bantab_check_ip(t, &b, 1001));
		cr_assert_not(bantab_check_ip(t, &c, 1001));
		cr_assert_not(bantab_check_ip(t, &d, 1001));
		cr_assert_not(bantab_check_ip(t, &e, 1001));
	}
	cr_assert_eq(bantab_count(t, BAN_KIND_IP), 3);
	unlink(path);
	config_free(cfg);
	banops_free(ops);
	bantab_free(t);
}

/* A node's cluster state for cluster_apply_msg(), and a peer's manual
 * ban message to feed it (the key is the caller's). */
static void
mk_cluster(struct cluster *c, struct cluster_msg *m)
{
	cluster_fixture(c, "here");
	memset(m, 0, sizeof(*m));
	m->op = CLUSTER_OP_BAN;
	snprintf(m->node, sizeof(m->node), "there");
	m->reason = BAN_REASON_MANUAL;
	m->time = clock_wall_s() + 600;
}

Test(banlimits, cluster_wide_ban_refused)
{
	static struct cluster c;
	struct cluster_msg m;
	struct addr_net n;

	mk_cluster(&c, &m);
	cr_assert_eq(addr_net_parse("128.0.0.0/1", &n), 0);
	ban_key_net(&m.key, &n.base, n.plen);
	cluster_apply_msg(&c, &m);
	cr_assert_eq(bantab_count(c.bans, BAN_KIND_IP), 0);
	cr_assert_eq(c.refused, 1);
	cr_assert_eq(addr_net_parse("2001:db8::/31", &n), 0);
	ban_key_net(&m.key, &n.base, n.plen);
	cluster_apply_msg(&c, &m);
	cr_assert_eq(bantab_count(c.bans, BAN_KIND_IP), 0);
	/* the benign twin */
	cr_assert_eq(addr_net_parse("203.0.113.0/24", &n), 0);
	ban_key_net(&m.key, &n.base, n.plen);
	cluster_apply_msg(&c, &m);
	cr_assert_eq(bantab_count(c.bans, BAN_KIND_IP), 1);
	cr_assert_eq(c.refused, 2);
	cluster_fixture_free(&c);
}

/* A peer's ban of an address this node never bans is not applied, and
 * the operator sees it counted (issue 17); its twin is applied. */
Test(banlimits, cluster_trusted_ban_refused_and_counted)
{
	static struct cluster c;
	struct config *cfg = config_new_default();
	struct cluster_msg m;
	struct addr_net n;

	cr_assert_not_null(cfg);
	mk_cluster(&c, &m);
	cluster_apply_set_trusted(&c, cfg);
	cr_assert_eq(addr_net_parse("127.0.0.1", &n), 0);
	ban_key_net(&m.key, &n.base, n.plen);
	cluster_apply_msg(&c, &m);
	cr_assert_eq(bantab_count(c.bans, BAN_KIND_IP), 0);
	cr_assert_eq(c.refused, 1);
	/* an aggregate holding loopback is refused whole */
	cr_assert_eq(addr_net_parse("127.0.0.0/16", &n), 0);
	ban_key_net(&m.key, &n.base, n.plen);
	cluster_apply_msg(&c, &m);
	cr_assert_eq(bantab_count(c.bans, BAN_KIND_IP), 0);
	cr_assert_eq(c.refused, 2);
	/* the benign twin */
	cr_assert_eq(addr_net_parse("203.0.113.7", &n), 0);
	ban_key_net(&m.key, &n.base, n.plen);
	cluster_apply_msg(&c, &m);
	cr_assert_eq(bantab_count(c.bans, BAN_KIND_IP), 1);
	cr_assert_eq(c.refused, 2);
	cluster_fixture_free(&c);
	config_free(cfg);
}
