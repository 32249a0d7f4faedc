/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "bankey_harness.h"
#include "bans.h"

static struct bantab *g_t;

static void
drop_table(void)
{
	bantab_free(g_t);
	g_t = NULL;
}

TestSuite(bans, .fini = drop_table);
TestSuite(bans_key, .fini = drop_table);
TestSuite(bans_expiry, .fini = drop_table);
TestSuite(bans_limit, .fini = drop_table);
TestSuite(bans_threads, .fini = drop_table, .timeout = 30);

static struct bantab *
mk(uint32_t max)
{
	bantab_free(g_t);
	g_t = bantab_new(max);
	cr_assert_not_null(g_t);
	return g_t;
}

static struct ban_key
KIP(const char *s)
{
	struct ban_key k;
	struct addr a;

	cr_assert_eq(addr_parse(s, &a), 0, "parse %s", s);
	memset(&k, 0, sizeof(k));
	ban_key_ip(&k, &a);
	return k;
}

static bool
banned(const struct ban_key *k, uint64_t now)
{
	return bantab_check(g_t, k, now);
}

/* ---- keys ---- */

Test(bans_key, ip_keys)
{
	struct ban_key k4 = KIP("203.0.113.7"), k6 = KIP("2001:db8:a::1");

	cr_assert_eq(k4.kind, BAN_KIND_IP);
	cr_assert_eq(k4.plen, 32);
	cr_assert_eq(k6.kind, BAN_KIND_IP);
	cr_assert_eq(k6.plen, 128);
}

/* Junk in the bytes an address does not use (addr.h) must not make one
 * address two ban keys: the ban would be evaded by its own twin. */
Test(bans_key, junk_in_unused_address_bytes)
{
	struct addr a, b;
	struct ban_key ka, kb;

	cr_assert_eq(addr_parse("203.0.113.7", &a), 0);
	b = a;
	memset(b.pad, 0x5a, sizeof(b.pad));
	memset(b.a + 4, 0xa5, sizeof(b.a) - 4);
	ban_key_ip(&ka, &a);
	ban_key_ip(&kb, &b);
	cr_assert_eq(ka.len, kb.len);
	cr_assert_eq(memcmp(ka.data, kb.data, ka.len), 0);
	/* the benign twin: a different address is a different key */
	b.a[3] = 8;
	ban_key_ip(&kb, &b);
	cr_assert_neq(memcmp(ka.data, kb.data, ka.len), 0);
}

Test(bans_key, user_key_length_limit)
{
	char user[BAN_KEY_MAX + 2];
	struct ban_key k;
	char buf[BAN_KEY_MAX + 1];

	memset(user, 'a', sizeof(user));
	user[BAN_KEY_MAX + 1] = '\0';
	memset(&k, 0x5a, sizeof(k));
	cr_assert_eq(ban_key_user(&k, user), -ENAMETOOLONG);

	user[BAN_KEY_MAX] = '\0';
	cr_assert_eq(ban_key_user(&k, user), 0);
	cr_assert_eq(k.kind, BAN_KIND_USER);
	cr_assert_eq(k.len, BAN_KEY_MAX);
	cr_assert_str_eq(ban_key_format(&k, buf, sizeof(buf)), user);

	mk(10);
	cr_assert_eq(bantab_add(g_t, &k, BAN_REASON_AUTH, 0, 1000), 1);
	cr_assert(banned(&k, 1));
}

/* Nobody is called "": the empty user is refused (issue 16, item 6: it
 * was banned, then saved as a state line that could not be read back). */
Test(bans_key, empty_user_key)
{
	struct ban_key k;

	cr_assert_eq(ban_key_user(&k, ""), -EINVAL);
	cr_assert_eq(ban_key_user(&k, "a"), 0);
	cr_assert_eq(k.len, 1);
}

Test(bans_key, format)
{
	char buf[ADDR_STRLEN + BAN_KEY_MAX];
	struct ban_key k;

	k = KIP("203.0.113.7");
	cr_assert_str_eq(ban_key_format(&k, buf, sizeof(buf)), "203.0.113.7");
	k = KIP("2001:DB8:A:0::1");
	cr_assert_str_eq(ban_key_format(&k, buf, sizeof(buf)), "2001:db8:a::1");
	k = KU("alice@example.org");
	cr_assert_str_eq(ban_key_format(&k, buf, sizeof(buf)), "alice@example.org");
	/* Truncated, still terminated. */
	cr_assert_str_eq(ban_key_format(&k, buf, 6), "alice");
}

Test(bans_key, reason_names)
{
	cr_assert_str_eq(ban_reason_name(BAN_REASON_MANUAL), "manual");
	cr_assert_str_eq(ban_reason_name(BAN_REASON_DENSITY), "density");
	cr_assert_str_eq(ban_reason_name(BAN_REASON_UA), "ua");
	cr_assert_str_eq(ban_reason_name(BAN_REASON_AUTH), "auth");
	cr_assert_str_eq(ban_reason_name(BAN_REASON_MALFORMED), "malformed");
	cr_assert_str_eq(ban_reason_name(BAN_REASON__MAX), "unknown");
	cr_assert_str_eq(ban_reason_name((enum ban_reason)-1), "unknown");
}

/* addr.h lets callers leave pad[] uninitialised; the same address must
 * be the same ban however it was built. */
Test(bans_key, ip_key_ignores_addr_padding)
{
	struct addr clean, junk;
	struct ban_key k1, k2;

	cr_assert_eq(addr_parse("203.0.113.7", &clean), 0);
	junk = clean;
	memset(junk.pad, 0xa5, sizeof(junk.pad));
	ban_key_ip(&k1, &clean);
	ban_key_ip(&k2, &junk);
	mk(10);
	cr_assert_eq(bantab_add(g_t, &k1, BAN_REASON_DENSITY, 0, 1000), 1);
	cr_assert(banned(&k2, 1));
	cr_assert_eq(bantab_add(g_t, &k2, BAN_REASON_DENSITY, 0, 1000), 0);
	cr_assert_eq(bantab_del(g_t, &k2), 0);
	cr_assert_not(banned(&k1, 1));
}

/* ---- add / check / del ---- */

Test(bans, new_rejects_zero)
{
	cr_assert_null(bantab_new(0));
	bantab_free(NULL);
}

static void
add_check_del(struct ban_key k, struct ban_key other)
{
	mk(100);
	cr_assert_not(banned(&k, 0));
	cr_assert_eq(bantab_add(g_t, &k, BAN_REASON_MANUAL, 1000, 5000), 1);
	cr_assert(banned(&k, 1000));
	cr_assert(banned(&k, 3000));
	cr_assert_not(banned(&other, 3000));
	cr_assert_eq(bantab_count(g_t, k.kind), 1);
	cr_assert(bantab_any(g_t, k.kind));
	cr_assert_eq(bantab_del(g_t, &k), 0);
	cr_assert_not(banned(&k, 3000));
	cr_assert_eq(bantab_del(g_t, &k), -ENOENT);
	cr_assert_eq(bantab_count(g_t, k.kind), 0);
	cr_assert_not(bantab_any(g_t, k.kind));
}

Test(bans, add_check_del_ipv4)
{
	add_check_del(KIP("203.0.113.7"), KIP("203.0.113.8"));
}

Test(bans, add_check_del_ipv6)
{
	add_check_del(KIP("2001:db8:a::1"), KIP("2001:db8:a::2"));
}

Test(bans, add_check_del_user)
{
	add_check_del(KU("alice@example.org"), KU("alice@example.com"));
}

Test(bans, kinds_and_families_are_distinct)
{
	struct ban_key v4 = KIP("1.2.3.4"), v6 = KIP("102:304::");
	struct ban_key u = KU("1.2.3.4");

	mk(100);
	cr_assert_eq(bantab_add(g_t, &v4, BAN_REASON_MANUAL, 0, 1000), 1);
	cr_assert_not(banned(&v6, 1));
	cr_assert_not(banned(&u, 1));
	cr_assert_eq(bantab_add(g_t, &u, BAN_REASON_MANUAL, 0, 1000), 1);
	cr_assert_eq(bantab_add(g_t, &v6, BAN_REASON_MANUAL, 0, 1000), 1);
	cr_assert_eq(bantab_count(g_t, BAN_KIND_IP), 2);
	cr_assert_eq(bantab_count(g_t, BAN_KIND_USER), 1);
	cr_assert_eq(bantab_del(g_t, &v4), 0);
	cr_assert(banned(&v6, 1));
	cr_assert(banned(&u, 1));
}

Test(bans, user_keys_are_exact)
{
	struct ban_key k = KU("alice@example.org");
	struct ban_key up = KU("Alice@example.org"), pre = KU("alice@example.or");

	mk(100);
	bantab_add(g_t, &k, BAN_REASON_AUTH, 0, 1000);
	cr_assert_not(banned(&up, 1));
	cr_assert_not(banned(&pre, 1));
}

Test(bans, rejects_bad_kind)
{
	struct ban_key k = KU("x@y");

	mk(100);
	k.kind = 0;
	cr_assert_eq(bantab_add(g_t, &k, BAN_REASON_MANUAL, 0, 1000), -EINVAL);
	k.kind = 3;
	cr_assert_eq(bantab_add(g_t, &k, BAN_REASON_MANUAL, 0, 1000), -EINVAL);
	cr_assert_eq(bantab_count(g_t, BAN_KIND_USER), 0);
}

struct seen {
	unsigned n;
	char keys[64][ADDR_STRLEN + BAN_KEY_MAX];
	struct ban_info info[64];
};

static void
collect(const struct ban_info *b, void *arg)
{
	struct seen *s = arg;

	cr_assert_lt(s->n, 64);
	ban_key_format(b->key, s->keys[s->n], sizeof(s->keys[0]));
	s->info[s->n] = *b;
	s->info[s->n].key = NULL; /* points into the table */
	s->n++;
}

static const struct ban_info *
find_seen(const struct seen *s, const char *key)
{
	for (unsigned i = 0; i < s->n; i++)
		if (strcmp(s->keys[i], key) == 0)
			return &s->info[i];
	return NULL;
}

Test(bans, hits_reason_and_times_reported)
{
	struct ban_key k = KIP("203.0.113.7");
	struct seen s = { 0 };
	const struct ban_info *bi;

	mk(100);
	bantab_add(g_t, &k, BAN_REASON_DENSITY, 1000, 60000);
	for (int i = 0; i < 5; i++)
		cr_assert(banned(&k, 2000));
	bantab_foreach(g_t, 2000, collect, &s);
	cr_assert_eq(s.n, 1);
	bi = find_seen(&s, "203.0.113.7");
	cr_assert_not_null(bi);
	cr_assert_eq(bi->reason, BAN_REASON_DENSITY);
	cr_assert_eq(bi->created_ms, 1000);
	cr_assert_eq(bi->expires_ms, 61000);
	cr_assert_eq(bi->hits, 5);
}

/* ---- expiry ---- */

Test(bans_expiry, exact_millisecond)
{
	struct ban_key k = KIP("2001:db8:a::7"), u = KU("bob@example.org");

	mk(100);
	cr_assert_eq(bantab_add(g_t, &k, BAN_REASON_DENSITY, 10000, 3600000), 1);
	cr_assert_eq(bantab_add(g_t, &u, BAN_REASON_AUTH, 10000, 1), 1);
	cr_assert(banned(&k, 10000 + 3600000 - 1));
	cr_assert_not(banned(&k, 10000 + 3600000));
	cr_assert_not(banned(&k, 10000 + 3600001));
	cr_assert(banned(&u, 10000));
	cr_assert_not(banned(&u, 10001));
}

Test(bans_expiry, zero_duration_is_no_ban)
{
	struct ban_key k = KIP("203.0.113.7");

	mk(100);
	bantab_add(g_t, &k, BAN_REASON_MANUAL, 5000, 0);
	cr_assert_not(banned(&k, 5000));
}

Test(bans_expiry, reban_extends_never_shortens)
{
	struct ban_key k = KIP("203.0.113.7");
	struct seen s = { 0 };

	mk(100);
	cr_assert_eq(bantab_add(g_t, &k, BAN_REASON_DENSITY, 0, 10000), 1);
	/* Shorter: kept at 10000. */
	cr_assert_eq(bantab_add(g_t, &k, BAN_REASON_UA, 1000, 5000), 0);
	cr_assert(banned(&k, 9999));
	cr_assert_not(banned(&k, 10000));

	mk(100);
	cr_assert_eq(bantab_add(g_t, &k, BAN_REASON_DENSITY, 0, 10000), 1);
	/* Longer: extended to 22000. */
	cr_assert_eq(bantab_add(g_t, &k, BAN_REASON_UA, 2000, 20000), 0);
	cr_assert(banned(&k, 21999));
	bantab_foreach(g_t, 3000, collect, &s);
	cr_assert_eq(s.n, 1);
	cr_assert_eq(s.info[0].expires_ms, 22000);
	cr_assert_eq(s.info[0].created_ms, 0);
	cr_assert_not(banned(&k, 22000));
	cr_assert_eq(bantab_count(g_t, BAN_KIND_IP), 1);
}

Test(bans_expiry, expired_then_added_again_is_new)
{
	struct ban_key k = KU("alice@example.org");
	struct seen s = { 0 };

	mk(100);
	cr_assert_eq(bantab_add(g_t, &k, BAN_REASON_AUTH, 0, 1000), 1);
	cr_assert(banned(&k, 500));
	cr_assert_eq(bantab_add(g_t, &k, BAN_REASON_MANUAL, 1000, 1000), 1);
	cr_assert_eq(bantab_count(g_t, BAN_KIND_USER), 1);
	bantab_foreach(g_t, 1000, collect, &s);
	cr_assert_eq(s.n, 1);
	cr_assert_eq(s.info[0].created_ms, 1000);
	cr_assert_eq(s.info[0].expires_ms, 2000);
	cr_assert_eq(s.info[0].hits, 0);
	cr_assert_eq(s.info[0].reason, BAN_REASON_MANUAL);
}

Test(bans_expiry, expire_reports_each_expired_ban_once)
{
	struct seen s = { 0 };
	char name[64];

	mk(1000);
	/* 40 bans: user i expires at 1000 * (i + 1). */
	for (int i = 0; i < 40; i++) {
		struct ban_key k;

		snprintf(name, sizeof(name), "u%d@example.org", i);
		k = KU(name);
		cr_assert_eq(bantab_add(g_t, &k, BAN_REASON_AUTH, 0, 1000 * (uint64_t)(i + 1)), 1);
	}
	for (int i = 0; i < 10; i++) {
		struct ban_key k;

		snprintf(name, sizeof(name), "10.0.0.%d", i);
		k = KIP(name);
		cr_assert_eq(bantab_add(g_t, &k, BAN_REASON_DENSITY, 0, 100000), 1);
	}
	/* At 15000, users 0..14 have expired (expiry <= now). */
	cr_assert_eq(bantab_expire(g_t, 15000, collect, &s), 15);
	cr_assert_eq(s.n, 15);
	for (int i = 0; i < 15; i++) {
		const struct ban_info *bi;
		unsigned dup = 0;

		snprintf(name, sizeof(name), "u%d@example.org", i);
		bi = find_seen(&s, name);
		cr_assert_not_null(bi, "%s not reported", name);
		cr_assert_eq(bi->expires_ms, 1000 * (uint64_t)(i + 1));
		cr_assert_eq(bi->reason, BAN_REASON_AUTH);
		for (unsigned j = 0; j < s.n; j++)
			dup += strcmp(s.keys[j], name) == 0;
		cr_assert_eq(dup, 1, "%s reported %u times", name, dup);
	}
	cr_assert_eq(bantab_count(g_t, BAN_KIND_USER), 25);
	cr_assert_eq(bantab_count(g_t, BAN_KIND_IP), 10);
	s.n = 0;
	cr_assert_eq(bantab_expire(g_t, 15000, collect, &s), 0);
	cr_assert_eq(s.n, 0);
	cr_assert_eq(bantab_expire(g_t, 100000, NULL, NULL), 35);
	cr_assert_eq(bantab_count(g_t, BAN_KIND_USER), 0);
	cr_assert_eq(bantab_count(g_t, BAN_KIND_IP), 0);
	cr_assert_not(bantab_any(g_t, BAN_KIND_IP));
}

Test(bans_expiry, foreach_skips_expired)
{
	struct ban_key a = KIP("203.0.113.1"), b = KIP("2001:db8:a::2"), u = KU("c@d");
	struct seen s = { 0 };

	mk(100);
	bantab_add(g_t, &a, BAN_REASON_DENSITY, 0, 1000);
	bantab_add(g_t, &b, BAN_REASON_DENSITY, 0, 2000);
	bantab_add(g_t, &u, BAN_REASON_AUTH, 0, 3000);
	bantab_foreach(g_t, 999, collect, &s);
	cr_assert_eq(s.n, 3);
	s.n = 0;
	bantab_foreach(g_t, 1000, collect, &s);
	cr_assert_eq(s.n, 2);
	cr_assert_null(find_seen(&s, "203.0.113.1"));
	cr_assert_not_null(find_seen(&s, "2001:db8:a::2"));
	cr_assert_not_null(find_seen(&s, "c@d"));
	s.n = 0;
	bantab_foreach(g_t, 3000, collect, &s);
	cr_assert_eq(s.n, 0);
	/* foreach reports, it does not sweep. */
	cr_assert_eq(bantab_count(g_t, BAN_KIND_IP), 2);
}

Test(bans_expiry, set_restores_exactly)
{
	struct ban_key k = KIP("203.0.113.7"), u = KU("eve@example.org");
	struct seen s = { 0 };
	const struct ban_info *bi;

	mk(100);
	cr_assert_eq(bantab_set(g_t, &k, BAN_REASON_UA, 1234, 99999), 1);
	cr_assert_eq(bantab_set(g_t, &u, BAN_REASON_AUTH, 50, 7000), 1);
	bantab_foreach(g_t, 2000, collect, &s);
	cr_assert_eq(s.n, 2);
	bi = find_seen(&s, "203.0.113.7");
	cr_assert_not_null(bi);
	cr_assert_eq(bi->created_ms, 1234);
	cr_assert_eq(bi->expires_ms, 99999);
	cr_assert_eq(bi->reason, BAN_REASON_UA);
	bi = find_seen(&s, "eve@example.org");
	cr_assert_not_null(bi);
	cr_assert_eq(bi->created_ms, 50);
	cr_assert_eq(bi->expires_ms, 7000);
	cr_assert(banned(&k, 99998));
	cr_assert_not(banned(&k, 99999));

	/* Unlike add, set may shorten: the state file is the truth. */
	cr_assert_eq(bantab_set(g_t, &u, BAN_REASON_MANUAL, 60, 5000), 0);
	cr_assert(banned(&u, 4999));
	cr_assert_not(banned(&u, 5000));
	cr_assert_eq(bantab_count(g_t, BAN_KIND_USER), 1);
}

Test(bans, clear_removes_everything)
{
	char name[32];

	mk(1000);
	for (int i = 0; i < 100; i++) {
		struct ban_key k;

		snprintf(name, sizeof(name), "10.0.%d.%d", i / 10, i % 10);
		k = KIP(name);
		bantab_add(g_t, &k, BAN_REASON_DENSITY, 0, 1000);
		snprintf(name, sizeof(name), "user%d@x", i);
		k = KU(name);
		bantab_add(g_t, &k, BAN_REASON_AUTH, 0, 1000);
	}
	cr_assert_eq(bantab_count(g_t, BAN_KIND_IP), 100);
	cr_assert_eq(bantab_count(g_t, BAN_KIND_USER), 100);
	cr_assert_eq(bantab_clear(g_t), 200);
	cr_assert_eq(bantab_count(g_t, BAN_KIND_IP), 0);
	cr_assert_eq(bantab_count(g_t, BAN_KIND_USER), 0);
	cr_assert_not(bantab_any(g_t, BAN_KIND_IP));
	cr_assert_not(bantab_any(g_t, BAN_KIND_USER));
	cr_assert_eq(bantab_clear(g_t), 0);
	for (int i = 0; i < 100; i++) {
		struct ban_key k;

		snprintf(name, sizeof(name), "user%d@x", i);
		k = KU(name);
		cr_assert_not(banned(&k, 1));
	}
}

/* The persistence code saves when the version moved. */
Test(bans, version_moves_on_changes_only)
{
	struct ban_key a = KIP("203.0.113.7"), u = KU("alice@example.org");
	struct ban_key full = KU("one-too-many@x");
	uint64_t v;

	mk(2);
	v = bantab_version(g_t);
#define MOVED() do { uint64_t nv = bantab_version(g_t); cr_assert_gt(nv, v); v = nv; } while (0)
#define STILL() cr_assert_eq(bantab_version(g_t), v)
	/* an operator ban: never evicted to make room (bans.h) */
	bantab_add(g_t, &a, BAN_REASON_MANUAL, 0, 10000);
	MOVED();
	bantab_check(g_t, &a, 1);
	STILL();
	bantab_add(g_t, &a, BAN_REASON_MANUAL, 1, 5000);    /* not extended */
	STILL();
	bantab_add(g_t, &a, BAN_REASON_MANUAL, 1, 20000);   /* extended */
	MOVED();
	bantab_set(g_t, &u, BAN_REASON_AUTH, 0, 3000);
	MOVED();
	cr_assert_eq(bantab_add(g_t, &full, BAN_REASON_AUTH, 1, 3000), -ENOSPC);
	STILL();
	cr_assert_eq(bantab_expire(g_t, 3000, NULL, NULL), 1);
	STILL();
	cr_assert_eq(bantab_del(g_t, &u), -ENOENT);
	STILL();
	cr_assert_eq(bantab_del(g_t, &a), 0);
	MOVED();
	bantab_add(g_t, &a, BAN_REASON_DENSITY, 5000, 10000);
	MOVED();
	cr_assert_eq(bantab_clear(g_t), 1);
	MOVED();
	cr_assert_eq(bantab_clear(g_t), 0);
	STILL();
#undef MOVED
#undef STILL
}

/* ---- the bound ---- */

Test(bans_limit, full_of_live_bans_refuses)
{
	struct ban_key k;
	char name[32];

	/* Operator bans are never evicted (issue 17): a table full of them
	 * refuses. */
	mk(10);
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "10.0.0.%d", i);
		k = KIP(name);
		cr_assert_eq(bantab_add(g_t, &k, BAN_REASON_MANUAL, 0, 1000), 1);
	}
	k = KIP("10.0.0.200");
	cr_assert_eq(bantab_add(g_t, &k, BAN_REASON_DENSITY, 10, 1000), -ENOSPC);
	cr_assert_eq(bantab_refused(g_t), 1);
	k = KU("late@x");
	cr_assert_eq(bantab_set(g_t, &k, BAN_REASON_AUTH, 10, 1000), -ENOSPC);
	cr_assert_eq(bantab_refused(g_t), 2);
	cr_assert_not(banned(&k, 11));
	cr_assert_eq(bantab_count(g_t, BAN_KIND_IP), 10);
	cr_assert_eq(bantab_count(g_t, BAN_KIND_USER), 0);

	/* An existing ban can still be extended when full. */
	k = KIP("10.0.0.3");
	cr_assert_eq(bantab_add(g_t, &k, BAN_REASON_DENSITY, 10, 5000), 0);
	cr_assert(banned(&k, 4000));
	cr_assert_eq(bantab_refused(g_t), 2);

	/* Deleting one makes room for exactly one. */
	k = KIP("10.0.0.0");
	cr_assert_eq(bantab_del(g_t, &k), 0);
	k = KU("late@x");
	cr_assert_eq(bantab_add(g_t, &k, BAN_REASON_AUTH, 20, 1000), 1);
	k = KU("later@x");
	cr_assert_eq(bantab_add(g_t, &k, BAN_REASON_AUTH, 20, 1000), -ENOSPC);
	cr_assert_eq(bantab_refused(g_t), 3);
}

Test(bans_limit, expired_bans_make_room)
{
	struct ban_key k;
	char name[32];
	struct seen s = { 0 };

	mk(10);
	/* Half expire at 1000, half at 100000. */
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "10.0.0.%d", i);
		k = KIP(name);
		cr_assert_eq(bantab_add(g_t, &k, BAN_REASON_MANUAL, 0, i < 5 ? 1000 : 100000), 1);
	}
	k = KIP("10.0.0.100");
	cr_assert_eq(bantab_add(g_t, &k, BAN_REASON_MANUAL, 999, 1000), -ENOSPC);
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "10.0.1.%d", i);
		k = KIP(name);
		cr_assert_eq(bantab_add(g_t, &k, BAN_REASON_MANUAL, 1000, 1000), 1, "add %d", i);
	}
	k = KIP("10.0.2.1");
	cr_assert_eq(bantab_add(g_t, &k, BAN_REASON_MANUAL, 1000, 1000), -ENOSPC);
	cr_assert_eq(bantab_refused(g_t), 2);
	cr_assert_eq(bantab_count(g_t, BAN_KIND_IP), 10);
	bantab_foreach(g_t, 1000, collect, &s);
	cr_assert_eq(s.n, 10);
	for (int i = 5; i < 10; i++) {
		snprintf(name, sizeof(name), "10.0.0.%d", i);
		cr_assert_not_null(find_seen(&s, name), "live ban %s lost", name);
	}
}

Test(bans_limit, limit_of_one)
{
	struct ban_key a = KIP("203.0.113.1"), b = KIP("203.0.113.2");

	mk(1);
	cr_assert_eq(bantab_add(g_t, &a, BAN_REASON_MANUAL, 0, 1000), 1);
	cr_assert_eq(bantab_add(g_t, &b, BAN_REASON_MANUAL, 0, 1000), -ENOSPC);
	cr_assert_eq(bantab_add(g_t, &b, BAN_REASON_MANUAL, 1000, 1000), 1);
	cr_assert_not(banned(&a, 1000));
	cr_assert(banned(&b, 1000));
}

/* ---- threads ---- */

#define THREAD_OPS 200000
#define SHARED_KEYS 64
#define KEPT_KEYS 500

struct worker_arg {
	int id;
	unsigned own_misses; /* own key not banned right after adding it */
	unsigned own_del_fail;
};

static void *
worker(void *p)
{
	struct worker_arg *w = p;
	uint64_t seed = 0x2545f4914f6cdd1dull * (uint64_t)(w->id + 1);
	char name[64];

	for (int i = 0; i < THREAD_OPS / 4; i++) {
		struct ban_key own, shared;
		struct addr a;
		uint8_t b[16] = { 0 };

		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;

		/* Own keys: alternate IPv6 address and user; nobody else touches them. */
		if (i % 2) {
			b[0] = 0x20;
			b[1] = 0x01;
			b[2] = (uint8_t)w->id;
			b[14] = (uint8_t)(i >> 8);
			b[15] = (uint8_t)i;
			addr_from_v6(&a, b);
			ban_key_ip(&own, &a);
		} else {
			snprintf(name, sizeof(name), "t%d-%d@example.org", w->id, i % 4096);
			ban_key_user(&own, name);
		}
		if (bantab_add(g_t, &own, BAN_REASON_MANUAL, 0, 1000000) < 0)
			w->own_del_fail++;
		if (!bantab_check(g_t, &own, 1))
			w->own_misses++;
		if (bantab_del(g_t, &own) != 0)
			w->own_del_fail++;

		/* Shared keys: any outcome is fine, only consistency matters. */
		snprintf(name, sizeof(name), "shared-%u@example.org", (unsigned)(seed % SHARED_KEYS));
		ban_key_user(&shared, name);
		switch (seed >> 60 & 3) {
		case 0:
		case 1:
			bantab_add(g_t, &shared, BAN_REASON_AUTH, 0, 1000000);
			break;
		case 2:
			bantab_check(g_t, &shared, 1);
			break;
		default:
			bantab_del(g_t, &shared);
			break;
		}
	}
	/* Some that stay. */
	for (int i = 0; i < KEPT_KEYS; i++) {
		struct ban_key k;

		snprintf(name, sizeof(name), "kept-%d-%d@example.org", w->id, i);
		ban_key_user(&k, name);
		if (bantab_add(g_t, &k, BAN_REASON_AUTH, 0, 1000000) != 1)
			w->own_del_fail++;
	}
	return NULL;
}

static void
count_cb(const struct ban_info *b, void *arg)
{
	unsigned *n = arg;

	n[b->key->kind]++;
}

Test(bans_threads, two_threads_stay_consistent)
{
	pthread_t th[2];
	struct worker_arg w[2] = { { .id = 1 }, { .id = 2 } };
	unsigned seen[3] = { 0 };
	uint32_t shared = 0;

	mk(100000);
	for (int i = 0; i < 2; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, worker, &w[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(w[i].own_misses, 0, "thread %d: own ban missed", i);
		cr_assert_eq(w[i].own_del_fail, 0, "thread %d: own add/del failed", i);
	}
	cr_assert_eq(bantab_count(g_t, BAN_KIND_IP), 0);
	bantab_foreach(g_t, 1, count_cb, seen);
	cr_assert_eq(seen[BAN_KIND_IP], 0);
	cr_assert_eq(seen[BAN_KIND_USER], bantab_count(g_t, BAN_KIND_USER));
	for (unsigned i = 0; i < SHARED_KEYS; i++) {
		struct ban_key k;
		char name[64];

		snprintf(name, sizeof(name), "shared-%u@example.org", i);
		ban_key_user(&k, name);
		shared += bantab_del(g_t, &k) == 0;
	}
	cr_assert_eq(bantab_count(g_t, BAN_KIND_USER), 2 * KEPT_KEYS,
		     "user count %u after deleting %u shared", bantab_count(g_t, BAN_KIND_USER),
		     shared);
	cr_assert_eq(bantab_clear(g_t), 2 * KEPT_KEYS);
	cr_assert_eq(bantab_count(g_t, BAN_KIND_USER), 0);
	cr_assert_eq(bantab_refused(g_t), 0);
}
