/* Unit tests: the ban filter (banfilter.h) and the ban table behind it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "addr_harness.h"
#include "banfilter.h"
#include "bans.h"

static struct ban_key
ip_key(const char *s)
{
	struct ban_key k;
	struct addr a = A(s);

	ban_key_ip(&k, &a);
	return k;
}

static size_t
key_len(const struct ban_key *k)
{
	return offsetof(struct ban_key, data) + k->len;
}

Test(banfilter, counts_bans_in_and_out)
{
	struct banfilter *f = banfilter_new();
	struct ban_key a = ip_key("203.0.113.7"), b = ip_key("203.0.113.8");

	cr_assert_not_null(f);
	cr_assert_not(banfilter_maybe(f, &a, key_len(&a)));
	banfilter_add(f, &a, key_len(&a));
	banfilter_add(f, &a, key_len(&a));
	cr_assert(banfilter_maybe(f, &a, key_len(&a)));
	banfilter_del(f, &a, key_len(&a));
	cr_assert(banfilter_maybe(f, &a, key_len(&a)), "one of two still counted");
	banfilter_del(f, &a, key_len(&a));
	cr_assert_not(banfilter_maybe(f, &a, key_len(&a)));
	/* a del with nothing counted (never done by bans.c) does not wrap */
	banfilter_del(f, &b, key_len(&b));
	cr_assert_not(banfilter_maybe(f, &b, key_len(&b)));
	banfilter_free(f);
}

/* The attack: more bans in one slot than a counter holds (here one key
 * 300 times, as keys chosen to collide would). The counter sticks at its
 * top: never a false "not banned" while any of them is in, and after all
 * are out the slot is only looked up for nothing. */
Test(banfilter, a_full_counter_sticks)
{
	struct banfilter *f = banfilter_new();
	struct ban_key a = ip_key("2001:db8::1");

	for (int i = 0; i < 300; i++)
		banfilter_add(f, &a, key_len(&a));
	for (int i = 0; i < 299; i++) {
		banfilter_del(f, &a, key_len(&a));
		cr_assert(banfilter_maybe(f, &a, key_len(&a)), "after %d of 300 out", i + 1);
	}
	banfilter_del(f, &a, key_len(&a));
	cr_assert(banfilter_maybe(f, &a, key_len(&a)));
	banfilter_free(f);
}

static bool
banned_ip(struct bantab *t, const char *s, uint64_t now_ms)
{
	struct addr a = A(s);

	return bantab_check_ip(t, &a, now_ms);
}

/* Through the table: every ban is found, every source without one is not,
 * prefix bans included, with bans coming and going (expiry, deletion). */
Test(banfilter, table_answers_are_unchanged)
{
	struct bantab *t = bantab_new(100000);
	char buf[64];
	int found = 0;

	cr_assert_not_null(t);
	for (int i = 0; i < 4000; i++) {
		struct ban_key k;

		snprintf(buf, sizeof(buf), "198.51.%d.%d", i / 250, i % 250);
		k = ip_key(buf);
		cr_assert_eq(bantab_add(t, &k, BAN_REASON_MANUAL, 1000, i % 2 ? 5000 : 50000), 1);
	}
	struct ban_key net;
	struct addr base = A("203.0.113.0");

	ban_key_net(&net, &base, 24);
	cr_assert_eq(bantab_add(t, &net, BAN_REASON_MANUAL, 1000, 50000), 1);
	bantab_expire(t, 10000, NULL, NULL); /* the odd ones are gone */
	for (int i = 0; i < 4000; i++) {
		snprintf(buf, sizeof(buf), "198.51.%d.%d", i / 250, i % 250);
		bool banned = banned_ip(t, buf, 10000);

		cr_assert_eq(banned, i % 2 == 0, "%s", buf);
		found += banned;
	}
	cr_assert_eq(found, 2000);
	cr_assert(banned_ip(t, "203.0.113.99", 10000));
	cr_assert_not(banned_ip(t, "203.0.114.99", 10000));
	cr_assert_not(banned_ip(t, "2001:db8::1", 10000));
	cr_assert_eq(bantab_del(t, &net), 0);
	cr_assert_not(banned_ip(t, "203.0.113.99", 10000));
	bantab_clear(t);
	cr_assert_not(banned_ip(t, "198.51.0.0", 10000));
	bantab_free(t);
}
