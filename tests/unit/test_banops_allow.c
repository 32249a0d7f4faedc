/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests: banops and the runtime allow-list (issue 20) - the gate that
 * refuses a ban covering an allowed key, whoever makes it, and
 * banops_lift(), which lifts the bans an allow covers. No thread: the
 * queue is only filled.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "allowlist.h"
#include "banops.h"
#include "bans.h"

#define NOW 1000000

static struct bantab *g_t;
static struct banops *g_b;
static struct allowlist *g_al;

static void
init(void)
{
	g_t = bantab_new(100);
	g_b = banops_new(g_t, 64, false);
	g_al = allowlist_new(10);
	cr_assert(g_t && g_b && g_al);
	banops_set_allowlist(g_b, g_al);
}

static void
fini(void)
{
	banops_free(g_b);
	bantab_free(g_t);
	allowlist_free(g_al);
}

TestSuite(banops_allow, .init = init, .fini = fini, .timeout = 30);

static struct ban_key
K(const char *s)
{
	struct ban_key k;

	memset(&k, 0, sizeof(k));
	if (strchr(s, '@')) {
		cr_assert_eq(ban_key_user(&k, s), 0);
	} else {
		struct addr_net n;

		cr_assert_eq(addr_net_parse(s, &n), 0, "%s", s);
		ban_key_net(&k, &n.base, n.plen);
	}
	return k;
}

static void
allow(const char *s)
{
	struct allow_entry e;

	memset(&e, 0, sizeof(e));
	e.key = K(s);
	cr_assert_geq(allowlist_add(g_al, &e), 0, "%s", s);
}

static int
ban(const char *s)
{
	struct ban_key k = K(s);

	return banops_ban(g_b, &k, BAN_REASON_MANUAL, 60, NOW, 0, NULL);
}

static bool
banned(const char *s)
{
	struct ban_key k = K(s);

	return bantab_check(g_t, &k, NOW);
}

Test(banops_allow, a_ban_covering_an_allow_is_refused)
{
	allow("203.0.113.7");
	allow("2001:db8:a::/48");
	allow("alice@example.org");
	cr_assert_eq(ban("203.0.113.7"), -EPERM);
	cr_assert_eq(ban("203.0.113.0/24"), -EPERM, "a wider ban holding it");
	cr_assert_eq(ban("2001:db8:a:1::/64"), -EPERM, "a ban inside an allowed network");
	cr_assert_eq(ban("2001:db8::/32"), -EPERM);
	cr_assert_eq(ban("alice@example.org"), -EPERM);
	/* Neighbours and other users are banned as ever. */
	cr_assert_eq(ban("203.0.113.8"), 1);
	cr_assert_eq(ban("2001:db8:b::/48"), 1);
	cr_assert_eq(ban("bob@example.org"), 1);
	cr_assert_eq(bantab_count(g_t, BAN_KIND_IP), 2);
	/* Removed, the entry no longer protects. */
	{
		struct ban_key k = K("203.0.113.7");

		cr_assert_eq(allowlist_del(g_al, &k), 0);
	}
	cr_assert_eq(ban("203.0.113.7"), 1);
}

struct seen {
	unsigned n;
	char last[64];
};

static void
count_lifted(const struct ban_key *k, void *arg)
{
	struct seen *s = arg;

	s->n++;
	ban_key_format(k, s->last, sizeof(s->last));
}

Test(banops_allow, lift_takes_every_overlapping_ban)
{
	struct ban_key a = K("198.51.100.0/24"), u = K("alice@example.org");
	struct seen s = { 0 };

	cr_assert_eq(ban("198.51.100.7"), 1);
	cr_assert_eq(ban("198.51.100.128/25"), 1);
	cr_assert_eq(ban("198.51.0.0/16"), 1);    /* wider: holds the allow */
	cr_assert_eq(ban("198.51.101.1"), 1);     /* next door: stays */
	cr_assert_eq(ban("alice@example.org"), 1);
	cr_assert_eq(ban("2001:db8::1"), 1);
	cr_assert_eq(banops_lift(g_b, &a, NOW, count_lifted, &s), 3);
	cr_assert_eq(s.n, 3);
	cr_assert(!banned("198.51.100.7") && !banned("198.51.100.128/25") &&
		  !banned("198.51.0.0/16"));
	cr_assert(banned("198.51.101.1") && banned("2001:db8::1") && banned("alice@example.org"));
	s.n = 0;
	cr_assert_eq(banops_lift(g_b, &u, NOW, count_lifted, &s), 1);
	cr_assert_str_eq(s.last, "alice@example.org");
	cr_assert(!banned("alice@example.org"));
	cr_assert_eq(banops_lift(g_b, &u, NOW, NULL, NULL), 0, "nothing left to lift");
}
