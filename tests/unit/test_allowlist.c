/* SPDX-License-Identifier: GPL-2.0-or-later */
/* allowlist (issue 20): the operator's runtime allow-list, its snapshots,
 * and the policy trusting it like the YAML whitelists. Each attack next to
 * its benign twin: an allow that covers one source must not make its
 * neighbours trusted, and a disallow restores banning. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "addr_harness.h"
#include "allowlist.h"
#include "bans.h"
#include "config.h"
#include "policy.h"
#include "srctab.h"

static struct ban_key
IPK(const char *s)
{
	struct addr_net n;
	struct ban_key k;

	cr_assert_eq(addr_net_parse(s, &n), 0, "parse %s", s);
	ban_key_ip(&k, &n.base);
	k.plen = n.plen;
	return k;
}

static struct ban_key
UK(const char *s)
{
	struct ban_key k;

	cr_assert_eq(ban_key_user(&k, s), 0);
	return k;
}

static struct allow_entry
E(struct ban_key k, int64_t expires, const char *comment)
{
	struct allow_entry e;

	memset(&e, 0, sizeof(e));
	e.key = k;
	e.expires = expires;
	e.created = 1000;
	snprintf(e.comment, sizeof(e.comment), "%s", comment);
	return e;
}

static bool
ip_ok(struct allowlist *al, const char *s)
{
	struct addr a = A(s);

	return allow_snap_ip(allowlist_snap(al), &a);
}

Test(allowlist, address_covers_itself_not_its_neighbours)
{
	struct allowlist *al = allowlist_new(0);
	struct allow_entry e = E(IPK("203.0.113.7"), 0, "customer X");

	cr_assert_not_null(al);
	cr_assert_not(ip_ok(al, "203.0.113.7"), "empty list allows nothing");
	cr_assert_eq(allowlist_add(al, &e), 1);
	cr_assert(ip_ok(al, "203.0.113.7"));
	/* The attack: a neighbour, another family, the same bytes as IPv6. */
	cr_assert_not(ip_ok(al, "203.0.113.8"));
	cr_assert_not(ip_ok(al, "203.0.113.6"));
	cr_assert_not(ip_ok(al, "::cb00:7107"));
	cr_assert_not(ip_ok(al, "2001:db8:c::7"));
	cr_assert_eq(allowlist_add(al, &e), 0, "a second allow replaces");
	cr_assert_eq(allowlist_count(al), 1);
	allowlist_free(al);
}

Test(allowlist, networks_of_both_families)
{
	struct allowlist *al = allowlist_new(0);
	struct allow_entry a = E(IPK("203.0.113.0/24"), 0, ""), b = E(IPK("2001:db8:c::/64"), 0, "");
	struct addr n;

	cr_assert_eq(allowlist_add(al, &a), 1);
	cr_assert_eq(allowlist_add(al, &b), 1);
	cr_assert(ip_ok(al, "203.0.113.0"));
	cr_assert(ip_ok(al, "203.0.113.255"));
	cr_assert(ip_ok(al, "2001:db8:c::1"));
	cr_assert(ip_ok(al, "2001:db8:c:0:ffff:ffff:ffff:ffff"));
	cr_assert_not(ip_ok(al, "203.0.114.0"));
	cr_assert_not(ip_ok(al, "203.0.112.255"));
	cr_assert_not(ip_ok(al, "2001:db8:c:1::1"));
	/* Overlaps: a ban of a wider network holding the allow, or of a
	 * narrower one inside it, would hit an allowed source. */
	n = A("203.0.0.0");
	cr_assert(allow_snap_net_overlaps(allowlist_snap(al), &n, 16));
	n = A("203.0.113.128");
	cr_assert(allow_snap_net_overlaps(allowlist_snap(al), &n, 25));
	n = A("203.0.114.0");
	cr_assert_not(allow_snap_net_overlaps(allowlist_snap(al), &n, 24));
	n = A("2001:db8:a::");
	cr_assert_not(allow_snap_net_overlaps(allowlist_snap(al), &n, 64));
	n = A("2001:db8::");
	cr_assert(allow_snap_net_overlaps(allowlist_snap(al), &n, 32));
	allowlist_free(al);
}

Test(allowlist, disallow_restores)
{
	struct allowlist *al = allowlist_new(0);
	struct allow_entry e = E(IPK("203.0.113.7"), 0, "");
	struct ban_key k = IPK("203.0.113.7");

	cr_assert_eq(allowlist_add(al, &e), 1);
	cr_assert(allowlist_covers_key(al, &k));
	cr_assert_eq(allowlist_del(al, &k), 0);
	cr_assert_not(ip_ok(al, "203.0.113.7"));
	cr_assert_not(allowlist_covers_key(al, &k));
	cr_assert_eq(allowlist_del(al, &k), -ENOENT);
	allowlist_free(al);
}

Test(allowlist, users_exactly)
{
	struct allowlist *al = allowlist_new(0);
	struct allow_entry e = E(UK("alice@example.org"), 0, "");
	const struct allow_snap *s;

	cr_assert_eq(allowlist_add(al, &e), 1);
	s = allowlist_snap(al);
	cr_assert(allow_snap_user(s, "alice@example.org", 17));
	cr_assert_not(allow_snap_user(s, "alice@example.or", 16));
	cr_assert_not(allow_snap_user(s, "alicf@example.org", 17));
	cr_assert_not(allow_snap_user(s, "bob@example.org", 15));
	cr_assert_not(allow_snap_user(s, "alice@example.org.evil", 22));
	/* a user allow says nothing of addresses */
	cr_assert_not(ip_ok(al, "203.0.113.7"));
	allowlist_free(al);
}

Test(allowlist, keys_validated)
{
	struct ban_key k;

	cr_assert_eq(allowlist_key_check(&(struct ban_key){ .kind = BAN_KIND_USER, .len = 0 }, false),
		     -EINVAL);
	k = UK("@example.org");
	cr_assert_eq(allowlist_key_check(&k, false), -EINVAL, "empty user part");
	k = UK("alice@");
	cr_assert_eq(allowlist_key_check(&k, false), -EINVAL, "empty domain");
	k = UK("alice");
	cr_assert_eq(allowlist_key_check(&k, false), -EINVAL, "no domain");
	k = UK("a@b@example.org");
	cr_assert_eq(allowlist_key_check(&k, false), 0, "the last @ splits");
	k = IPK("203.0.113.0/24");
	cr_assert_eq(allowlist_key_check(&k, false), 0);
	k = IPK("203.0.0.0/16");
	cr_assert_eq(allowlist_key_check(&k, false), 0);
	k = IPK("203.0.0.0/15");
	cr_assert_eq(allowlist_key_check(&k, false), -EDOM, "wide needs force");
	cr_assert_eq(allowlist_key_check(&k, true), 0);
	k = IPK("0.0.0.0/0");
	cr_assert_eq(allowlist_key_check(&k, true), -EDOM, "a /0 never");
	k = IPK("::/0");
	cr_assert_eq(allowlist_key_check(&k, true), -EDOM);
	k = IPK("2001:db8::/32");
	cr_assert_eq(allowlist_key_check(&k, false), -EDOM);
	cr_assert_eq(allowlist_key_check(&k, true), 0);
	k = IPK("2001:db8:c::/48");
	cr_assert_eq(allowlist_key_check(&k, false), 0);
	k = IPK("203.0.113.7");
	k.plen = 33;
	cr_assert_eq(allowlist_key_check(&k, true), -EINVAL, "prefix beyond the family");
	k = IPK("203.0.113.7");
	k.plen = 24;
	cr_assert_eq(allowlist_key_check(&k, true), -EINVAL, "host bits set");
}

Test(allowlist, bounded_and_nothing_lost_when_full)
{
	struct allowlist *al = allowlist_new(3);
	char ip[32];

	for (int i = 1; i <= 3; i++) {
		struct allow_entry e;

		snprintf(ip, sizeof(ip), "203.0.113.%d", i);
		e = E(IPK(ip), 0, "");
		cr_assert_eq(allowlist_add(al, &e), 1);
	}
	{
		struct allow_entry e = E(IPK("203.0.113.4"), 0, "");
		struct allow_entry again = E(IPK("203.0.113.2"), 500, "renewed");

		cr_assert_eq(allowlist_add(al, &e), -ENOSPC);
		cr_assert_eq(allowlist_add(al, &again), 0, "a renewal fits a full list");
	}
	cr_assert_eq(allowlist_count(al), 3);
	for (int i = 1; i <= 3; i++) {
		snprintf(ip, sizeof(ip), "203.0.113.%d", i);
		cr_assert(ip_ok(al, ip), "%s kept", ip);
	}
	cr_assert_not(ip_ok(al, "203.0.113.4"));
	allowlist_free(al);
}

static void
count_cb(const struct allow_entry *e, void *arg)
{
	(void)e;
	(*(int *)arg)++;
}

Test(allowlist, expiry)
{
	struct allowlist *al = allowlist_new(0);
	struct allow_entry t = E(IPK("203.0.113.7"), 2000, ""), p = E(IPK("203.0.113.8"), 0, "");
	int n = 0;

	cr_assert_eq(allowlist_add(al, &t), 1);
	cr_assert_eq(allowlist_add(al, &p), 1);
	cr_assert_eq(allowlist_expire(al, 1999, count_cb, &n), 0);
	cr_assert(ip_ok(al, "203.0.113.7"));
	cr_assert_eq(allowlist_expire(al, 2000, count_cb, &n), 1);
	cr_assert_eq(n, 1);
	cr_assert_not(ip_ok(al, "203.0.113.7"));
	cr_assert(ip_ok(al, "203.0.113.8"), "permanent stays");
	allowlist_free(al);
}

/* The workers' snapshot outlives a change until they pass its generation. */
static unsigned g_gen;

static unsigned
bump(void *ctx)
{
	(void)ctx;
	return ++g_gen;
}

Test(allowlist, snapshots_kept_until_reclaimed)
{
	struct allowlist *al = allowlist_new(0);
	struct allow_entry a = E(IPK("203.0.113.7"), 0, ""), b = E(IPK("203.0.113.8"), 0, "");
	const struct allow_snap *old;
	struct addr x = A("203.0.113.7");

	g_gen = 10;
	allowlist_set_publish(al, bump, NULL);
	cr_assert_eq(allowlist_add(al, &a), 1);
	cr_assert_eq(g_gen, 11);
	old = allowlist_snap(al);
	cr_assert_eq(allowlist_add(al, &b), 1);
	cr_assert_eq(g_gen, 12);
	cr_assert_neq(allowlist_snap(al), old);
	/* A worker still on generation 11 reads the old snapshot (ASan would
	 * see a use after free). */
	allowlist_reclaim(al, 11);
	cr_assert(allow_snap_ip(old, &x));
	allowlist_reclaim(al, 12);
	allowlist_free(al);
}

/* ---- the policy trusts it like the YAML whitelists ---- */

#define N 50

static const char reg[] =
	"REGISTER sip:example.org SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 203.0.113.7:5062;rport;branch=z9hG4bK-5f1a2c\r\n"
	"Max-Forwards: 70\r\n"
	"From: <sip:alice@example.org>;tag=8a7b6c\r\n"
	"To: <sip:alice@example.org>\r\n"
	"Call-ID: 3c26700b5f1a2c@203.0.113.7\r\n"
	"CSeq: 1 REGISTER\r\n"
	"Contact: <sip:alice@203.0.113.7:5062>\r\n"
	"Content-Length: 0\r\n"
	"\r\n";

struct fixture {
	struct config *cfg;
	struct policy p;
	struct allowlist *al;
	struct sip_msg m;
};

static void
fx_init(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->cfg = config_new_default();
	cr_assert_not_null(f->cfg);
	cr_assert_eq(f->cfg->dos_reqs_density_per_unit, N);
	f->p.cfg = f->cfg;
	f->p.cfg_gen = 1;
	f->p.src = srctab_new(1024, N + 1);
	f->p.bans = bantab_new(1000);
	f->al = allowlist_new(0);
	cr_assert(f->p.src && f->p.bans && f->al);
}

static void
fx_fini(struct fixture *f)
{
	srctab_free(f->p.src);
	bantab_free(f->p.bans);
	allowlist_free(f->al);
	config_free(f->cfg);
}

/* What the worker does on a new generation. */
static void
fx_follow(struct fixture *f)
{
	f->p.allow = allowlist_snap(f->al);
	f->p.cfg_gen++;
}

static struct policy_verdict
fx_judge(struct fixture *f, const char *ip, uint64_t now)
{
	struct policy_verdict v;
	struct addr a = A(ip);

	policy_judge(&f->p, &a, (const uint8_t *)reg, sizeof(reg) - 1, now, &f->m, &v);
	policy_ban_table(f->p.bans, &v, now);
	return v;
}

/* n requests; returns how many were dropped. */
static int
flood(struct fixture *f, const char *ip, int n, uint64_t now)
{
	int dropped = 0;

	for (int i = 0; i < n; i++)
		dropped += fx_judge(f, ip, now).drop;
	return dropped;
}

Test(allowlist_policy, allowed_source_never_banned_neighbour_is)
{
	struct fixture f;
	struct allow_entry e = E(IPK("203.0.113.7"), 0, "");

	fx_init(&f);
	cr_assert_eq(allowlist_add(f.al, &e), 1);
	fx_follow(&f);
	cr_assert_eq(flood(&f, "203.0.113.7", 10 * N, 1000), 0);
	cr_assert_eq(fx_judge(&f, "203.0.113.7", 1000).reason, POLICY_TRUSTED);
	cr_assert_eq(bantab_count(f.p.bans, BAN_KIND_IP), 0);
	/* The attack twin: the allow makes no neighbour trusted. */
	cr_assert_eq(flood(&f, "203.0.113.8", N, 1000), 0);
	cr_assert(fx_judge(&f, "203.0.113.8", 1000).new_ban);
	cr_assert_eq(bantab_count(f.p.bans, BAN_KIND_IP), 1);
	fx_fini(&f);
}

Test(allowlist_policy, an_existing_ban_does_not_drop_an_allowed_source)
{
	struct fixture f;
	struct allow_entry e = E(IPK("203.0.113.0/24"), 0, "");
	struct ban_key b = IPK("203.0.113.7");

	fx_init(&f);
	cr_assert_eq(bantab_add(f.p.bans, &b, BAN_REASON_MANUAL, 1000, 3600000), 1);
	cr_assert(fx_judge(&f, "203.0.113.7", 1000).drop);
	cr_assert_eq(allowlist_add(f.al, &e), 1);
	fx_follow(&f);
	cr_assert_not(fx_judge(&f, "203.0.113.7", 1001).drop);
	/* A source outside the allowed /24 banned by its own ban still is. */
	b = IPK("203.0.114.7");
	cr_assert_eq(bantab_add(f.p.bans, &b, BAN_REASON_MANUAL, 1000, 3600000), 1);
	cr_assert(fx_judge(&f, "203.0.114.7", 1001).drop);
	fx_fini(&f);
}

Test(allowlist_policy, disallow_restores_banning)
{
	struct fixture f;
	struct allow_entry e = E(IPK("203.0.113.7"), 0, "");
	struct ban_key k = IPK("203.0.113.7");

	fx_init(&f);
	cr_assert_eq(allowlist_add(f.al, &e), 1);
	fx_follow(&f);
	cr_assert_eq(flood(&f, "203.0.113.7", 3 * N, 1000), 0);
	cr_assert_eq(allowlist_del(f.al, &k), 0);
	fx_follow(&f);
	cr_assert_eq(flood(&f, "203.0.113.7", N, 5000), 0);
	cr_assert(fx_judge(&f, "203.0.113.7", 5000).new_ban, "banning works again");
	cr_assert(fx_judge(&f, "203.0.113.7", 5001).drop);
	fx_fini(&f);
}

Test(allowlist_policy, ipv6_prefix_ban_narrowed_around_an_allowed_address)
{
	struct fixture f;
	struct allow_entry e = E(IPK("2001:db8:a::7"), 0, "");
	struct policy_verdict v;

	fx_init(&f);
	f.cfg->dos_ipv6_prefix = 64;
	cr_assert_eq(allowlist_add(f.al, &e), 1);
	fx_follow(&f);
	/* A neighbour in the same /64 floods: the ban is its address alone,
	 * never the /64 holding the allowed one. */
	flood(&f, "2001:db8:a::66", N, 1000);
	v = fx_judge(&f, "2001:db8:a::66", 1000);
	cr_assert(v.new_ban);
	cr_assert_eq(v.ban_plen, 128);
	cr_assert_not(fx_judge(&f, "2001:db8:a::7", 1000).drop);
	fx_fini(&f);
}

Test(allowlist_policy, allowed_user_not_dropped_by_its_ban)
{
	struct fixture f;
	struct allow_entry e = E(UK("alice@example.org"), 0, "");
	struct ban_key u = UK("alice@example.org");

	fx_init(&f);
	cr_assert_eq(bantab_add(f.p.bans, &u, BAN_REASON_AUTH, 1000, 3600000), 1);
	cr_assert_eq(fx_judge(&f, "203.0.113.7", 1000).reason, POLICY_BANNED_USER);
	cr_assert_eq(allowlist_add(f.al, &e), 1);
	fx_follow(&f);
	cr_assert_not(fx_judge(&f, "203.0.113.7", 1001).drop);
	/* The twin: allowing bob lets alice's ban stand. */
	cr_assert_eq(allowlist_del(f.al, &e.key), 0);
	e = E(UK("bob@example.org"), 0, "");
	cr_assert_eq(allowlist_add(f.al, &e), 1);
	fx_follow(&f);
	cr_assert_eq(fx_judge(&f, "203.0.113.7", 1002).reason, POLICY_BANNED_USER);
	fx_fini(&f);
}
