/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests: the users' known sources (lockout protection, issue 17)
 * outlive the process and travel through the cluster. Saved with the bans
 * and restored under the same key; a cluster's nodes derive one key and
 * merge what the others publish, into the same bounded table. Also: a
 * peer's ban never covers what this node never bans (loopback, its own
 * addresses, sip.server_addresses, peers, whitelists).
 */
#include <criterion/criterion.h>
#include <errno.h>
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
#include "hostaddr.h"
#include "knownsrc.h"
#include "state.h"

#define TTL_MS (30ull * 24 * 3600 * 1000)
#define WALL 1700000000
#define MONO 5000000ull

static char g_dir[64];

static void
mkdir_tmp(void)
{
	snprintf(g_dir, sizeof(g_dir), "/tmp/sw-known-XXXXXX");
	cr_assert_not_null(mkdtemp(g_dir));
}

static void
rm_tmp(void)
{
	char p[128];

	snprintf(p, sizeof(p), "%s/%s", g_dir, STATE_FILE);
	unlink(p);
	rmdir(g_dir);
}

/* ---- the table ---- */

Test(knownsrc, outbox_shares_new_and_daily_not_every_refresh)
{
	struct knowntab *t = knowntab_new(64);
	struct knowntab_entry e[8];
	struct addr a = A("203.0.113.14");

	knowntab_note(t, "alice@example.org", &a, MONO);
	cr_assert_eq(knowntab_take_shares(t, e, 8), 0, "not sharing: nothing queued");
	knowntab_set_sharing(t, true);
	knowntab_note(t, "bob@example.org", &a, MONO);
	cr_assert_eq(knowntab_take_shares(t, e, 8), 1);
	cr_assert_eq(e[0].ms, MONO);
	/* a REGISTER refresh a minute later: no new share, no new version */
	{
		uint64_t v = knowntab_version(t);

		knowntab_note(t, "bob@example.org", &a, MONO + 60000);
		cr_assert_eq(knowntab_take_shares(t, e, 8), 0);
		cr_assert_eq(knowntab_version(t), v);
	}
	knowntab_note(t, "bob@example.org", &a, MONO + KNOWNSRC_SHARE_MS);
	cr_assert_eq(knowntab_take_shares(t, e, 8), 1, "shared again after a day");
	knowntab_free(t);
}

Test(knownsrc, outbox_is_bounded)
{
	struct knowntab *t = knowntab_new(4 * KNOWNSRC_OUTBOX);
	struct knowntab_entry e[16];
	struct addr a = A("203.0.113.14");
	char user[32];
	uint32_t n = 0, got;

	knowntab_set_sharing(t, true);
	for (unsigned i = 0; i < KNOWNSRC_OUTBOX + 100; i++) {
		snprintf(user, sizeof(user), "u%u@example.org", i);
		knowntab_note(t, user, &a, MONO);
	}
	cr_assert_eq(knowntab_shares_dropped(t), 100);
	while ((got = knowntab_take_shares(t, e, 16)) > 0)
		n += got;
	cr_assert_eq(n, KNOWNSRC_OUTBOX);
	knowntab_free(t);
}

static void
collect(const struct knowntab_entry *e, void *arg)
{
	struct knowntab_entry *out = arg;

	*out = *e;
}

Test(knownsrc, merge_keeps_later_and_never_evicts_fresher)
{
	struct knowntab *t = knowntab_new(4); /* one set of 4 */
	struct addr a = A("203.0.113.14");
	struct knowntab_entry got = { 0 };
	char user[32];

	knowntab_note(t, "alice@example.org", &a, MONO);
	knowntab_foreach(t, MONO + 1000, TTL_MS, collect, &got);
	cr_assert_eq(got.ms, 1000, "the age");
	/* the same hash, older: nothing changes; newer: the time moves */
	cr_assert_eq(knowntab_merge(t, got.h, MONO + 1000, 5000), 0);
	cr_assert_eq(knowntab_merge(t, got.h, MONO + 1000, 0), 1);
	/* three more fill the set, all newer than a foreign old entry */
	for (unsigned i = 0; i < 3; i++) {
		snprintf(user, sizeof(user), "u%u@example.org", i);
		knowntab_note(t, user, &a, MONO + 1000);
	}
	cr_assert_eq(knowntab_merge(t, 0x1234567890abcdefull, MONO + 1000, 3600000), 0,
		     "an old foreign entry pushed out a fresher local one");
	cr_assert(knowntab_known(t, "alice@example.org", &a, MONO + 1000, TTL_MS));
	cr_assert_eq(knowntab_count(t, MONO + 1000, TTL_MS), 4);
	/* an entry older than the monotonic clock keeps its true age */
	knowntab_free(t);
	t = knowntab_new(64);
	cr_assert_eq(knowntab_merge(t, 0x77, 1000, 10ull * 24 * 3600 * 1000), 1);
	memset(&got, 0, sizeof(got));
	knowntab_foreach(t, 1000, TTL_MS, collect, &got);
	cr_assert_eq(got.ms, 10ull * 24 * 3600 * 1000);
	cr_assert_eq(knowntab_count(t, 1000 + 20ull * 24 * 3600 * 1000 - 1, TTL_MS), 1);
	cr_assert_eq(knowntab_count(t, 1000 + 20ull * 24 * 3600 * 1000, TTL_MS), 0,
		     "protection longer than known_source_time");
	knowntab_free(t);
}

/* ---- saved with the bans ---- */

Test(knownsrc, saved_and_restored_with_the_bans)
{
	struct knowntab *a = knowntab_new(64), *b = knowntab_new(64);
	struct bantab *ba = bantab_new(16), *bb = bantab_new(16);
	struct state_known ka = { a, TTL_MS }, kb = { b, TTL_MS };
	struct state_report rep;
	struct addr home = A("203.0.113.14"), v6 = A("2001:db8:7::");
	struct ban_key k;

	mkdir_tmp();
	knowntab_note(a, "alice@example.org", &home, MONO);
	knowntab_note(a, "bob@example.org", &v6, MONO - 3600000);
	cr_assert_eq(ban_key_user(&k, "alice@example.org"), 0);
	cr_assert_eq(bantab_add(ba, &k, BAN_REASON_AUTH, MONO, 600000), 1);
	cr_assert_eq(state_save_known(g_dir, ba, NULL, &ka, MONO, WALL), 1);
	/* restarted a day later, with another random key and clock */
	cr_assert_eq(state_load_known(g_dir, bb, NULL, &kb, 2000, WALL + 86400, &rep), 0);
	cr_assert_eq(rep.bad_lines, 0);
	cr_assert_eq(rep.known, 2);
	cr_assert(knowntab_known(b, "alice@example.org", &home, 2000, TTL_MS));
	cr_assert(knowntab_known(b, "bob@example.org", &v6, 2000, TTL_MS));
	cr_assert_not(knowntab_known(b, "alice@example.org", &v6, 2000, TTL_MS));
	/* and forgotten on time: alice 29 days after that day, not 30 */
	cr_assert(knowntab_known(b, "alice@example.org", &home, 2000 + 28ull * 86400000, TTL_MS));
	cr_assert_not(knowntab_known(b, "alice@example.org", &home, 2000 + 29ull * 86400000,
				     TTL_MS));
	/* a file older than known_source_time brings nothing back */
	knowntab_free(b);
	b = knowntab_new(64);
	kb.t = b;
	bantab_free(bb);
	bb = bantab_new(16);
	cr_assert_eq(state_load_known(g_dir, bb, NULL, &kb, 2000, WALL + 31 * 86400, &rep), 0);
	cr_assert_eq(rep.known, 0);
	cr_assert_eq(rep.known_skipped, 2);
	cr_assert_eq(rep.bad_lines, 0);
	rm_tmp();
	knowntab_free(a);
	knowntab_free(b);
	bantab_free(ba);
	bantab_free(bb);
}

Test(knownsrc, a_fixed_key_is_kept_and_other_entries_skipped)
{
	struct knowntab *a = knowntab_new(64), *b = knowntab_new(64);
	struct bantab *bans = bantab_new(16);
	struct state_known ka = { a, TTL_MS }, kb = { b, TTL_MS };
	struct hash_key cluster = { 1, 2 }, other = { 3, 4 }, got;
	struct state_report rep;
	struct addr home = A("203.0.113.14");
	bool fixed;

	mkdir_tmp();
	knowntab_set_key(a, &other, false);
	knowntab_note(a, "alice@example.org", &home, MONO);
	cr_assert_eq(state_save_known(g_dir, bans, NULL, &ka, MONO, WALL), 0);
	/* the node joined a cluster since: its key stays, the entries
	 * made under the old one are meaningless and skipped */
	knowntab_set_key(b, &cluster, true);
	cr_assert_eq(state_load_known(g_dir, bans, NULL, &kb, MONO, WALL, &rep), 0);
	cr_assert_eq(rep.known, 0);
	cr_assert_eq(rep.known_skipped, 1);
	cr_assert_eq(rep.bad_lines, 0);
	knowntab_get_key(b, &got, &fixed);
	cr_assert(fixed && got.k0 == 1 && got.k1 == 2);
	/* under the cluster's key both ways, the entry comes back */
	knowntab_set_key(a, &cluster, true);
	knowntab_note(a, "alice@example.org", &home, MONO);
	cr_assert_eq(state_save_known(g_dir, bans, NULL, &ka, MONO, WALL), 0);
	cr_assert_eq(state_load_known(g_dir, bans, NULL, &kb, MONO, WALL, &rep), 0);
	cr_assert_eq(rep.known, 1);
	cr_assert(knowntab_known(b, "alice@example.org", &home, MONO, TTL_MS));
	rm_tmp();
	knowntab_free(a);
	knowntab_free(b);
	bantab_free(bans);
}

Test(knownsrc, damaged_known_lines_are_bad_lines)
{
	static const char *const bad[] = {
		"known 00000000000000zz 1700000000",
		"known 0000000000000000 1700000000",
		"known 123 1700000000",
		"known 0000000000000001",
		"known 0000000000000001 1700000000 x",
		"knownkey 0011",
	};
	struct knowntab *t = knowntab_new(64);
	struct bantab *bans = bantab_new(16);
	struct state_known kt = { t, TTL_MS };
	struct state_report rep;
	char path[128];

	mkdir_tmp();
	snprintf(path, sizeof(path), "%s/%s", g_dir, STATE_FILE);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		FILE *f = fopen(path, "w");

		cr_assert_not_null(f);
		fprintf(f, "# sipwarden state 1\nknownkey %032x\n%s\nend 0\n", 7, bad[i]);
		fclose(f);
		cr_assert_eq(state_load_known(g_dir, bans, NULL, &kt, MONO, WALL, &rep), 0);
		cr_assert_eq(rep.bad_lines, 1, "%s", bad[i]);
		cr_assert_eq(rep.known, 0, "%s", bad[i]);
		unlink(rep.moved_to);
	}
	rm_tmp();
	knowntab_free(t);
	bantab_free(bans);
}

/* ---- through the cluster ---- */

Test(knownsrc, known_message_round_trip)
{
	struct cluster_msg m = { .op = CLUSTER_OP_KNOWN, .known = 0xfedcba9876543210ull,
				 .time = WALL }, back;
	char line[CLUSTER_LINE_MAX + 1];
	int n;

	snprintf(m.node, sizeof(m.node), "node-a");
	n = cluster_msg_encode(&m, line, sizeof(line));
	cr_assert_gt(n, 0);
	cr_assert_str_eq(line, "SW1 known node-a fedcba9876543210 1700000000");
	cr_assert_eq(cluster_msg_decode(line, (size_t)n, &back), 0);
	cr_assert_eq(back.op, CLUSTER_OP_KNOWN);
	cr_assert_eq(back.known, m.known);
	cr_assert_eq(back.time, WALL);
	cr_assert_eq(cluster_msg_decode("SW1 known n 0000000000000000 1", 30, &back), -EINVAL);
	cr_assert_eq(cluster_msg_decode("SW1 known n 00000000000000g1 1", 30, &back), -EINVAL);
	cr_assert_eq(cluster_msg_decode("SW1 known n 01 1", 16, &back), -EINVAL);
	m.known = 0;
	cr_assert_lt(cluster_msg_encode(&m, line, sizeof(line)), 0);
}

static void
fake_cluster(struct cluster *c, const char *node)
{
	cluster_fixture(c, node);
	c->known_ttl_ms = TTL_MS;
}

Test(knownsrc, one_nodes_known_source_protects_alice_on_another)
{
	static struct cluster b;
	struct cluster_auth auth = { .key_len = 32 };
	struct knowntab *ta = knowntab_new(64), *tb = knowntab_new(64);
	struct hash_key ka, kb;
	struct knowntab_entry e;
	struct cluster_msg m = { .op = CLUSTER_OP_KNOWN };
	struct addr home = A("203.0.113.14");

	memset(auth.key, 0x5a, auth.key_len);
	cluster_auth_known_key(&auth, &ka);
	cluster_auth_known_key(&auth, &kb);
	cr_assert(ka.k0 == kb.k0 && ka.k1 == kb.k1, "nodes with one key file derive one key");
	knowntab_set_key(ta, &ka, true);
	knowntab_set_key(tb, &kb, true);
	knowntab_set_sharing(ta, true);
	/* node a sees alice's 200 OK */
	knowntab_note(ta, "alice@example.org", &home, clock_mono_ms());
	cr_assert_eq(knowntab_take_shares(ta, &e, 1), 1);
	/* node b applies what a published */
	fake_cluster(&b, "node-b");
	b.known = tb;
	snprintf(m.node, sizeof(m.node), "node-a");
	m.known = e.h;
	m.time = clock_wall_s() - 60;
	cluster_apply_msg(&b, &m);
	cr_assert(knowntab_known(tb, "alice@example.org", &home, clock_mono_ms(), TTL_MS));
	cr_assert_eq(b.known_learnt, 1);
	/* benign twin: a share older than known_source_time is not taken */
	m.known = 0x99;
	m.time = clock_wall_s() - (int64_t)(TTL_MS / 1000) - 1;
	cluster_apply_msg(&b, &m);
	cr_assert_eq(b.known_learnt, 1);
	cluster_fixture_free(&b);
	knowntab_free(ta);
	knowntab_free(tb);
}

static void
peer_ban(struct cluster *c, const char *net)
{
	struct cluster_msg m = { .op = CLUSTER_OP_BAN, .reason = BAN_REASON_MANUAL };
	struct addr_net n;

	snprintf(m.node, sizeof(m.node), "there");
	m.time = clock_wall_s() + 600;
	cr_assert_eq(addr_net_parse(net, &n), 0, "%s", net);
	ban_key_net(&m.key, &n.base, n.plen);
	cluster_apply_msg(c, &m);
}

Test(knownsrc, a_peers_ban_never_covers_what_this_node_trusts)
{
	static struct cluster c;
	struct config *cfg = NULL;
	static const char yaml[] =
		"sip:\n  server_addresses: [198.51.100.10]\n"
		"security:\n  dos_whitelisted_ips: [203.0.113.50]\n";
	struct hostaddr *h = hostaddr_new();
	struct addr own = A("192.0.2.77");

	cr_assert_eq(config_load_buffer("t.yml", yaml, strlen(yaml), &cfg, stderr), 0);
	fake_cluster(&c, "here");
	hostaddr_replace(h, &own, 1);
	c.hostaddrs = h;
	cluster_apply_set_trusted(&c, cfg);
	peer_ban(&c, "127.0.0.1");
	peer_ban(&c, "127.0.0.0/8");
	peer_ban(&c, "::1");
	peer_ban(&c, "198.51.100.10");        /* the SIP server */
	peer_ban(&c, "198.51.100.0/24");      /* an aggregate holding it */
	peer_ban(&c, "203.0.113.0/24");       /* holding the whitelisted one */
	peer_ban(&c, "192.0.2.77");           /* the host's own */
	peer_ban(&c, "192.0.2.0/24");
	cr_assert_eq(bantab_count(c.bans, BAN_KIND_IP), 0, "a trusted address was banned");
	/* the benign twins */
	peer_ban(&c, "198.51.100.11");
	peer_ban(&c, "192.0.2.78");
	peer_ban(&c, "2001:db8:9::/64");
	cr_assert_eq(bantab_count(c.bans, BAN_KIND_IP), 3);
	/* too wide: refused whatever it covers */
	peer_ban(&c, "8.0.0.0/7");
	cr_assert_eq(bantab_count(c.bans, BAN_KIND_IP), 3);
	cluster_fixture_free(&c);
	hostaddr_free(h);
	config_free(cfg);
}

/* Leaving monitor mode restores the saved state at run time: the workers'
 * entries since the start stay, under the key adopted then; a file under
 * another key cannot replace a table that holds entries. */
Test(knownsrc, a_restore_at_run_time_keeps_what_was_learnt)
{
	struct knowntab *t = knowntab_new(64), *other = knowntab_new(64);
	struct bantab *bans = bantab_new(16);
	struct state_known kt = { t, TTL_MS }, ko = { other, TTL_MS };
	struct state_report rep;
	struct addr home = A("203.0.113.14"), cafe = A("198.51.100.99");

	mkdir_tmp();
	knowntab_note(t, "alice@example.org", &home, MONO);
	cr_assert_eq(state_save_known(g_dir, bans, NULL, &kt, MONO, WALL), 0);
	/* bob logs in, then the state is restored again */
	knowntab_note(t, "bob@example.org", &cafe, MONO + 1000);
	cr_assert_eq(state_load_known(g_dir, bans, NULL, &kt, MONO + 2000, WALL + 2, &rep), 0);
	cr_assert_eq(rep.known, 0, "alice's entry is there already, not newer");
	cr_assert(knowntab_known(t, "bob@example.org", &cafe, MONO + 2000, TTL_MS));
	cr_assert(knowntab_known(t, "alice@example.org", &home, MONO + 2000, TTL_MS));
	/* another table's file: its key is not adopted over entries */
	knowntab_note(other, "carol@example.org", &home, MONO);
	cr_assert_eq(state_save_known(g_dir, bans, NULL, &ko, MONO, WALL), 0);
	cr_assert_eq(state_load_known(g_dir, bans, NULL, &kt, MONO + 3000, WALL + 3, &rep), 0);
	cr_assert_eq(rep.known_skipped, 1);
	cr_assert(knowntab_known(t, "bob@example.org", &cafe, MONO + 3000, TTL_MS));
	rm_tmp();
	knowntab_free(t);
	knowntab_free(other);
	bantab_free(bans);
}
