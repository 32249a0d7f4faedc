/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The runtime allow-list in the state file (issue 20): saved with the
 * bans, restored at start, damage counted as for bans.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "allowlist.h"
#include "bans.h"
#include "state.h"

#define WALL 1700000000
#define MONO 5000000

static char g_dir[64];
static struct bantab *g_t;
static struct allowlist *g_a, *g_b;

static void
setup(void)
{
	strcpy(g_dir, "/tmp/test_state_allow.XXXXXX");
	cr_assert_not_null(mkdtemp(g_dir));
	g_t = bantab_new(100);
	g_a = allowlist_new(10);
	g_b = allowlist_new(10);
	cr_assert(g_t && g_a && g_b);
}

static void
teardown(void)
{
	DIR *d = opendir(g_dir);
	struct dirent *e;
	char p[512];

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		snprintf(p, sizeof(p), "%s/%s", g_dir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(g_dir);
	bantab_free(g_t);
	allowlist_free(g_a);
	allowlist_free(g_b);
}

TestSuite(state_allow, .init = setup, .fini = teardown);

static struct allow_entry
E(const char *key, int64_t expires, const char *comment, const char *origin)
{
	struct allow_entry e;

	memset(&e, 0, sizeof(e));
	if (strchr(key, '@')) {
		cr_assert_eq(ban_key_user(&e.key, key), 0);
	} else {
		struct addr_net n;

		cr_assert_eq(addr_net_parse(key, &n), 0, "%s", key);
		ban_key_net(&e.key, &n.base, n.plen);
	}
	e.expires = expires;
	e.created = WALL - 10;
	snprintf(e.comment, sizeof(e.comment), "%s", comment);
	snprintf(e.origin, sizeof(e.origin), "%s", origin);
	return e;
}

static void
write_file(const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", g_dir, STATE_FILE);
	f = fopen(p, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

static bool
same(struct allowlist *al, const struct allow_entry *want)
{
	struct allow_entry got;

	return allowlist_get(al, &want->key, &got) == 0 && got.expires == want->expires &&
	       got.created == want->created && strcmp(got.comment, want->comment) == 0 &&
	       strcmp(got.origin, want->origin) == 0;
}

Test(state_allow, round_trip_with_the_bans)
{
	struct allow_entry v[] = {
		E("203.0.113.7", 0, "ticket 42: 'X' said \"hi\"\n%", ""),
		E("2001:db8:a::/48", WALL + 600, "", "node-b"),
		E("a b@Example.org", WALL + 60, "\x01\xff", "-"),
		E("10.0.0.0/8", 0, "forced", ""),
	};
	struct ban_key k;
	struct addr a;
	struct state_report rep;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		cr_assert_eq(allowlist_add(g_a, &v[i]), 1);
	addr_parse("198.51.100.1", &a);
	ban_key_ip(&k, &a);
	cr_assert_eq(bantab_add(g_t, &k, BAN_REASON_MANUAL, MONO, 60000), 1);
	cr_assert_eq(state_save(g_dir, g_t, g_a, MONO, WALL), 1, "the count is of bans");
	bantab_clear(g_t);
	cr_assert_eq(state_load(g_dir, g_t, g_b, MONO, WALL, &rep), 0);
	cr_assert_eq(rep.loaded, 1);
	cr_assert_eq(rep.allowed, 4);
	cr_assert_eq(rep.bad_lines + rep.truncated + rep.allow_expired + rep.allow_refused, 0);
	cr_assert_eq(allowlist_count(g_b), 4);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		cr_assert(same(g_b, &v[i]), "entry %zu", i);
	/* Expired while stopped: skipped, counted. */
	cr_assert_eq(state_load(g_dir, g_t, g_a, MONO, WALL + 60, &rep), 0);
	cr_assert_eq(rep.allowed, 3);
	cr_assert_eq(rep.allow_expired, 1);
}

Test(state_allow, damaged_lines_are_counted_and_the_file_moved)
{
	struct state_report rep;
	char text[2048];

	snprintf(text, sizeof(text),
		 "# sipwarden state 1\n"
		 "allow ip 203.0.113.7 32 0 %d = =ok\n"
		 "allow ip 0.0.0.0 0 0 %d = =\n"         /* a /0: never */
		 "allow ip 203.0.113.7 24 0 %d = =\n"    /* host bits: masked, a /24 */
		 "allow ip 203.0.113.8 32 -5 %d = =\n"   /* negative expiry */
		 "allow user %%00@x 0 0 %d = =\n"        /* NUL */
		 "allow user a@x 0 0 %d = nocomment\n"   /* no '=' */
		 "allow user a@x 0 0 %d = =%%zz\n"       /* bad escape */
		 "allow net a 0 0 %d = =\n"
		 "allow ip 203.0.113.9 32 0 %d = = extra\n"
		 "end 0\n",
		 WALL, WALL, WALL, WALL, WALL, WALL, WALL, WALL, WALL);
	write_file(text);
	cr_assert_eq(state_load(g_dir, g_t, g_a, MONO, WALL, &rep), 0);
	cr_assert_eq(rep.allowed, 2, "allowed %u bad %u", rep.allowed, rep.bad_lines);
	cr_assert_eq(rep.bad_lines, 7);
	cr_assert_neq(rep.moved_to[0], '\0');
}

/* Without a list (a tool, an old caller) allow lines are passed over, not
 * taken for damage. */
Test(state_allow, no_list_skips_allow_lines)
{
	struct state_report rep;

	write_file("# sipwarden state 1\nallow ip 203.0.113.7 32 0 1 = =\nend 0\n");
	cr_assert_eq(state_load(g_dir, g_t, NULL, MONO, WALL, &rep), 0);
	cr_assert_eq(rep.bad_lines, 0);
	cr_assert_eq(rep.moved_to[0], '\0');
}

Test(state_allow, full_list_refuses)
{
	struct allowlist *small = allowlist_new(1);
	struct state_report rep;

	cr_assert_not_null(small);
	write_file("# sipwarden state 1\nallow ip 203.0.113.7 32 0 1 = =\n"
		   "allow ip 203.0.113.8 32 0 1 = =\nend 0\n");
	cr_assert_eq(state_load(g_dir, g_t, small, MONO, WALL, &rep), 0);
	cr_assert_eq(rep.allowed, 1);
	cr_assert_eq(rep.allow_refused, 1);
	cr_assert_eq(rep.bad_lines, 0);
	allowlist_free(small);
}
