/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Hash flooding (issue 16, item 4): keys an attacker chose offline to
 * collide in the tables' old hashes - unkeyed, or seeded from random()
 * that nothing seeded, so the same on every run - must cost no more than
 * any other keys now that every table hashes with SipHash under a key of
 * its own from getrandom() (hash.h).
 *
 * Each test reimplements the OLD hash of one table, brute-forces keys
 * that all land in one of its buckets (as an attacker with the source
 * would), feeds them to the real table and counts probes - entries
 * compared per lookup - rather than timing anything. Under the old hash
 * the N keys made one chain of N (N(N+1)/2 probes to find them all);
 * under a random key they spread like any others.
 */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "authtrack.h"
#include "bans.h"
#include "enumtrack.h"
#include "hash.h"
#include "policy.h"
#include "sip.h"
#include "srctab.h"
#include "tcpstream.h"
#include "wayset.h"

#define N 200

/* What random() returns first when nothing called srandom(): the seed
 * every table of the old code drew, the same in every run. */
#define OLD_SEED (1804289383u | 1u)

/* ---- the old hashes, as they were ---- */

static uint32_t
rotl32(uint32_t x, int r)
{
	return x << r | x >> (32 - r);
}

static uint32_t
murmur_block(uint32_t h, uint32_t k)
{
	k *= 0xcc9e2d51u;
	k = rotl32(k, 15);
	k *= 0x1b873593u;
	h ^= k;
	h = rotl32(h, 13);
	return h * 5 + 0xe6546b64u;
}

static uint32_t
old_addr_hash(const struct addr *a, uint32_t seed)
{
	uint32_t h = seed, w;

	h = murmur_block(h, a->family);
	for (size_t i = 0; i < sizeof(a->a); i += 4) {
		memcpy(&w, a->a + i, 4);
		h = murmur_block(h, w);
	}
	h ^= 20;
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

static uint32_t
old_ban_key_hash(const struct ban_key *k, uint32_t seed)
{
	uint32_t h = 2166136261u ^ seed;

	h = (h ^ k->kind) * 16777619u;
	h = (h ^ k->plen) * 16777619u;
	for (uint16_t i = 0; i < k->len; i++)
		h = (h ^ (uint8_t)k->data[i]) * 16777619u;
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	return h;
}

static uint64_t
old_mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static uint64_t
old_hash_words(uint64_t h, const char *s, size_t n)
{
	uint64_t w;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	if (i < n) {
		w = 0;
		memcpy(&w, s + i, n - i);
		h = (h ^ w ^ ((uint64_t)(n - i) << 59)) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	return h;
}

/* The old txn_key() of a REGISTER with this Call-ID, CSeq 1 and From tag
 * "t" (the messages of reg() below). */
static uint64_t
old_txn_key(const char *callid)
{
	uint32_t cseq = 1;
	uint64_t h = 0xcbf29ce484222325ULL;

	h = old_hash_words(h, callid, strlen(callid));
	h = old_hash_words(h ^ 0x1f, (const char *)&cseq, sizeof(cseq));
	h = old_hash_words(h ^ 0x2f, "REGISTER", 8);
	h = old_hash_words(h ^ 0x3f, "t", 1);
	h = old_mix64(h);
	return h ? h : 1;
}

static struct addr
v4(uint32_t x)
{
	struct addr a;
	uint8_t b[4] = { (uint8_t)(x >> 24), (uint8_t)(x >> 16), (uint8_t)(x >> 8), (uint8_t)x };

	addr_from_v4(&a, b);
	return a;
}

/* N IPv4 addresses of 10.0.0.0/8 whose old hash under seed falls into
 * bucket 0 of nb. */
static unsigned
colliding_sources(struct addr *out, unsigned n, uint32_t seed, uint32_t nb)
{
	unsigned got = 0;

	for (uint32_t x = 0x0a000000u; got < n && x < 0x0b000000u; x++) {
		struct addr a = v4(x);

		if ((old_addr_hash(&a, seed) & (nb - 1)) == 0)
			out[got++] = a;
	}
	return got;
}

/* Every lookup cheap, and the total close to N: N keys spread over a
 * table of >= 4N buckets leave chains of one or two. */
static void
expect_bounded(const uint32_t *probes, unsigned n, const char *what)
{
	uint64_t total = 0;
	uint32_t max = 0;

	for (unsigned i = 0; i < n; i++) {
		cr_expect_geq(probes[i], 1, "%s: key %u not found", what, i);
		total += probes[i];
		if (probes[i] > max)
			max = probes[i];
	}
	cr_expect_leq(max, 8, "%s: a lookup compared %u entries", what, max);
	cr_expect_leq(total, 2ull * n, "%s: %llu probes for %u keys (one chain: %llu)", what,
		      (unsigned long long)total, n, (unsigned long long)n * (n + 1) / 2);
}

/* ---- sources (srctab) ---- */

Test(hashflood, sources_colliding_under_the_old_seed_spread)
{
	struct srctab *t = srctab_new(4096, 4);
	static struct addr keys[N];
	uint32_t probes[N];
	bool created;

	cr_assert_not_null(t);
	/* srctab_new(4096) made 4096 buckets. */
	cr_assert_eq(colliding_sources(keys, N, OLD_SEED, 4096), N);
	for (unsigned i = 0; i < N; i++)
		srctab_get(t, &keys[i], 1000, &created);
	for (unsigned i = 0; i < N; i++)
		probes[i] = srctab_probes(t, &keys[i]);
	expect_bounded(probes, N, "srctab");
	srctab_free(t);
}

/* Two tables made one after the other do not share a layout: a key that
 * collides in one tells nothing about the other. */
Test(hashflood, every_table_has_its_own_key)
{
	struct srctab *a = srctab_new(1024, 4), *b = srctab_new(1024, 4);
	/* As many keys as the tables hold: some ~500 pairs share a bucket
	 * in each, so two layouts that differ cannot give every key the
	 * same chain position by chance. (With 64 keys, often none shared
	 * a bucket in either table, and the test failed at random.) */
	static struct addr keys[1024];
	unsigned same = 0;
	bool created;

	cr_assert(a && b);
	for (unsigned i = 0; i < 1024; i++) {
		keys[i] = v4(0x0a000000u + i);
		srctab_get(a, &keys[i], 1000, &created);
		srctab_get(b, &keys[i], 1000, &created);
	}
	for (unsigned i = 0; i < 1024; i++)
		same += srctab_probes(a, &keys[i]) == srctab_probes(b, &keys[i]);
	/* Equal chains in both for every key would mean one layout. */
	cr_expect_lt(same, 1024);
	srctab_free(a);
	srctab_free(b);
}

/* ---- bans (bantab) ---- */

Test(hashflood, bans_colliding_under_the_old_seed_spread)
{
	struct bantab *t = bantab_new(10000);
	static struct ban_key keys[N];
	uint32_t probes[N];
	unsigned got = 0;

	cr_assert_not_null(t);
	/* Old bucket: shard h % 64, chain (h / 64) % 1024, so all 16 low
	 * bits of the old hash equal. */
	for (uint32_t x = 0x0a000000u; got < N && x < 0x0c000000u; x++) {
		struct addr a = v4(x);

		ban_key_ip(&keys[got], &a);
		if ((old_ban_key_hash(&keys[got], OLD_SEED) & 0xffff) == 0)
			got++;
	}
	cr_assert_eq(got, N);
	for (unsigned i = 0; i < N; i++)
		cr_assert_eq(bantab_add(t, &keys[i], BAN_REASON_DENSITY, 1000, 60000), 1);
	for (unsigned i = 0; i < N; i++)
		probes[i] = bantab_probes(t, &keys[i]);
	expect_bounded(probes, N, "bantab");
	bantab_free(t);
}

/* ---- TCP connections (tcptab) ---- */

static bool
accept_all(void *arg, const uint8_t *msg, size_t len, enum tcpstream_flaw flaw)
{
	return true;
}

Test(hashflood, tcp_4tuples_colliding_under_the_old_seed_spread)
{
	struct tcptab *t = tcptab_new(4096, 4096, 30000);
	static struct packet_info keys[N];
	struct tcp_result res;
	uint32_t probes[N];
	struct addr dst = v4(0xc6336401u); /* 198.51.100.1 */
	unsigned got = 0;

	cr_assert_not_null(t);
	/* The old bucket: source hashed with the ports in the seed, then the
	 * destination; the peer picks its address and source port. */
	for (uint32_t x = 0; got < N && x < 64; x++) {
		struct addr src = v4(0xcb007100u + x); /* 203.0.113.x */

		for (uint32_t port = 1024; got < N && port < 65536; port++) {
			uint32_t h = old_addr_hash(&src, OLD_SEED ^ (port << 16 | 5060));

			if ((old_addr_hash(&dst, h) & 4095) != 0)
				continue;
			keys[got] = (struct packet_info){
				.src = src, .dst = dst, .proto = IPPROTO_TCP, .sport = (uint16_t)port,
				.dport = 5060, .tcp_flags = 0x02, .tcp_seq = 1000,
			};
			got++;
		}
	}
	cr_assert_eq(got, N);
	for (unsigned i = 0; i < N; i++)
		cr_assert_eq(tcptab_segment(t, &keys[i], 1000, accept_all, NULL, &res), 0);
	for (unsigned i = 0; i < N; i++)
		probes[i] = tcptab_probes(t, &keys[i]);
	expect_bounded(probes, N, "tcptab");
	tcptab_free(t);
}

/* ---- transactions (txntab): a set is 4 ways, so colliding keys evict ---- */

static struct sip_msg g_m;
static char g_buf[512];

static const struct sip_msg *
reg(const char *callid)
{
	enum sip_flaw f;

	snprintf(g_buf, sizeof(g_buf),
		 "REGISTER sip:example.org SIP/2.0\r\nVia: SIP/2.0/UDP 203.0.113.66;branch=z9hG4bKx\r\n"
		 "From: <sip:alice@example.org>;tag=t\r\nTo: <sip:alice@example.org>\r\n"
		 "Call-ID: %s\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n", callid);
	cr_assert_eq(sip_scan(g_buf, strlen(g_buf), &g_m, &f), 0);
	return &g_m;
}

/*
 * The attacker's own guess for alice is a transaction it can name; under
 * the old unkeyed txn_key() it sent four more requests into that set and
 * the guess's record was evicted before the server's 401 came back: the
 * failure was charged to nobody. Now the set of a key is unpredictable.
 */
Test(hashflood, transactions_colliding_under_the_old_hash_do_not_evict)
{
	struct txntab *tt = txntab_new(1024);
	uint32_t sets = wayset_count(1024, 28);
	char ids[16][32];
	struct hash_key k;
	unsigned got = 0;
	uint64_t guess, keys[16];
	struct txn t = { 0 };
	struct addr src = { 0 };

	cr_assert_not_null(tt);
	cr_assert_eq(hash_key_random(&k), 0);
	for (uint32_t i = 0; got < 16 && i < 1000000; i++) {
		snprintf(ids[got], sizeof(ids[got]), "flood-%u", i);
		if ((old_txn_key(ids[got]) & (sets - 1)) == 0)
			got++;
	}
	cr_assert_eq(got, 16);
	/* The reimplementation is the old function: a check on its shape. */
	cr_assert_eq(old_txn_key(ids[0]) & (sets - 1), old_txn_key(ids[15]) & (sets - 1));

	guess = txn_key(&k, reg(ids[0]), NULL);
	txntab_put(tt, guess, 1000, &src, "alice@example.org", reg(ids[0]));
	for (unsigned i = 1; i < 16; i++) {
		keys[i] = txn_key(&k, reg(ids[i]), NULL);
		txntab_put(tt, keys[i], 1000 + i, &src, "decoy@example.org", reg(ids[i]));
	}
	cr_expect(txntab_get(tt, guess, 2000, false, &t), "the guess was evicted");
	cr_expect_str_eq(t.user, "alice@example.org");
	cr_expect_eq(txntab_replaced(tt), 0);
	txntab_free(tt);
}

/* ---- enumeration sources (enumtab): the old constant seed 0x5eed ---- */

Test(hashflood, enum_sources_colliding_under_the_old_seed_do_not_evict)
{
	struct enumtab *t = enumtab_new(1024, 1024);
	uint32_t nsrc = wayset_count(1024, 26);
	struct addr prober = v4(0xcb007107u), got_src; /* 203.0.113.7 */
	static struct addr decoys[8];
	uint32_t ph = old_addr_hash(&prober, 0x5eed) & (nsrc - 1);
	unsigned got = 0;
	uint64_t key = 1;

	cr_assert_not_null(t);
	for (uint32_t x = 0x0a000000u; got < 8 && x < 0x0b000000u; x++) {
		struct addr a = v4(x);

		if ((old_addr_hash(&a, 0x5eed) & (nsrc - 1)) == ph)
			decoys[got++] = a;
	}
	cr_assert_eq(got, 8);
	/* Two users answered 404 for the prober... */
	for (uint64_t u = 1; u <= 2; u++, key++) {
		enumtab_request(t, key * 0x9e3779b97f4a7c15ULL, &prober, u, false, 1000);
		cr_assert_eq(enumtab_reply(t, key * 0x9e3779b97f4a7c15ULL, 404, 1001, 60000,
					   &got_src), u);
	}
	/* ...then eight spoofed sources of its old set get a 404 each... */
	for (unsigned i = 0; i < 8; i++, key++) {
		enumtab_request(t, key * 0x9e3779b97f4a7c15ULL, &decoys[i], 7, false, 1002);
		enumtab_reply(t, key * 0x9e3779b97f4a7c15ULL, 404, 1003 + i, 60000, &got_src);
	}
	/* ...and the prober's third user still counts as its third. */
	enumtab_request(t, key * 0x9e3779b97f4a7c15ULL, &prober, 3, false, 1020);
	cr_expect_eq(enumtab_reply(t, key * 0x9e3779b97f4a7c15ULL, 404, 1021, 60000, &got_src), 3);
	enumtab_free(t);
}

/* ---- the User-Agent verdict cache (policy.c) ---- */

/* The cache trusts a slot on its 64-bit hash alone: with a hash known in
 * advance a scanner could pick a User-Agent that shares a benign agent's
 * hash and inherit its verdict. Each policy (one per worker) draws its
 * own key, so the same value hashes differently in each, and differently
 * from an unkeyed (all-zero key) SipHash an attacker could compute. */
Test(hashflood, ua_cache_hash_is_keyed_per_policy)
{
	static const char ua[] = "friendly-scanner";
	struct policy a = { 0 }, b = { 0 };
	struct hash_key zero = { 0 };

	cr_assert_eq(policy_keys_init(&a), 0);
	cr_assert_eq(policy_keys_init(&b), 0);
	cr_assert(a.keyed && b.keyed);
	cr_assert_neq(hash_bytes(&a.ua_hkey, ua, strlen(ua)), hash_bytes(&b.ua_hkey, ua, strlen(ua)));
	cr_assert_neq(hash_bytes(&a.ua_hkey, ua, strlen(ua)), hash_bytes(&zero, ua, strlen(ua)));
	/* the transaction identity too (txntab, enumtab) */
	cr_assert_neq(hash_bytes(&a.txn_hkey, ua, strlen(ua)), hash_bytes(&b.txn_hkey, ua, strlen(ua)));
}
