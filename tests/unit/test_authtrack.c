/* Unit tests: transaction table, failure counters, user keys and the
 * reply-side policy (policy_reply), with an injected clock. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "authtrack.h"
#include "bans.h"
#include "config.h"
#include "policy.h"
#include "sip.h"
#include "srctab.h"

#define REQ(auth) \
	"REGISTER sip:example.org SIP/2.0\r\n" \
	"Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK776\r\n" \
	"From: \"Alice\" <sip:105@example.org>;tag=a73kszlfl\r\n" \
	"To: <sip:105@example.org>\r\n" \
	"Call-ID: 1j9FpLxk3uxtm8tn@203.0.113.5\r\n" \
	"CSeq: 2 REGISTER\r\n" \
	"User-Agent: test-phone/1.0\r\n" \
	auth \
	"Content-Length: 0\r\n\r\n"
#define CREDS "Authorization: Digest username=\"105\", realm=\"example.org\", nonce=\"x\", " \
	      "uri=\"sip:example.org\", response=\"0123456789abcdef0123456789abcdef\"\r\n"

static char *
reply(unsigned status, const char *tag)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf),
		 "SIP/2.0 %u Whatever\r\n"
		 "Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK776\r\n"
		 "From: \"Alice\" <sip:105@example.org>;tag=%s\r\n"
		 "To: <sip:105@example.org>;tag=srv\r\n"
		 "Call-ID: 1j9FpLxk3uxtm8tn@203.0.113.5\r\n"
		 "CSeq: 2 REGISTER\r\n"
		 "Content-Length: 0\r\n\r\n", status, tag);
	return buf;
}

static struct config *cfg;
static struct policy pol;
static struct addr src;

static void
setup(void)
{
	cfg = config_new_default();
	cr_assert_not_null(cfg);
	cfg->failed_auth_attempts = 3;
	cfg->failed_auth_ban_time = 60;
	pol.cfg = cfg;
	pol.src = srctab_new(1024, cfg->dos_reqs_density_per_unit + 1);
	pol.bans = bantab_new(1000);
	pol.txns = txntab_new(1024);
	pol.fails = failtab_new(1000);
	addr_parse("203.0.113.5", &src);
}

static void
teardown(void)
{
	srctab_free(pol.src);
	bantab_free(pol.bans);
	txntab_free(pol.txns);
	failtab_free(pol.fails);
	config_free(cfg);
}

static void
request(const char *text, uint64_t now, struct policy_verdict *v)
{
	struct sip_msg m;

	policy_judge(&pol, &src, (const uint8_t *)text, strlen(text), now, &m, v);
	policy_ban_table(pol.bans, v, now);
}

static void
answer(unsigned status, const char *tag, uint64_t now, struct policy_auth *a)
{
	struct sip_msg m;
	enum sip_flaw f;
	const char *r = reply(status, tag);

	cr_assert_eq(sip_scan(r, strlen(r), &m, &f), 0);
	policy_reply(&pol, &m, now, a);
	policy_reply_table(pol.bans, a, now);
}

static bool
user_banned(const char *user, uint64_t now)
{
	struct ban_key k;

	ban_key_user(&k, user);
	return bantab_check(pol.bans, &k, now);
}

TestSuite(authtrack, .init = setup, .fini = teardown);

Test(authtrack, challenge_without_credentials_never_counts)
{
	struct policy_verdict v;
	struct policy_auth a;

	for (int i = 0; i < 10; i++) {
		request(REQ(""), 1000 + i, &v);
		answer(401, "a73kszlfl", 1001 + i, &a);
		cr_assert(!a.failure);
	}
	cr_assert_eq(failtab_count(pol.fails), 0);
}

Test(authtrack, nth_failure_bans_user)
{
	struct policy_verdict v;
	struct policy_auth a;

	for (int i = 1; i <= 3; i++) {
		request(REQ(CREDS), 1000 * i, &v);
		cr_assert(!v.drop);
		answer(i == 2 ? 407 : 401, "a73kszlfl", 1000 * i + 5, &a);
		cr_assert(a.failure);
		cr_assert_eq(a.event, i == 3 ? POLICY_EV_AUTH_BAN : POLICY_EV_NONE);
	}
	cr_assert_str_eq(a.txn.user, "105@example.org");
	cr_assert_str_eq(a.txn.ua, "test-phone/1.0");
	cr_assert(user_banned("105@example.org", 4000));
	/* the banned user's next request is dropped, from any source */
	addr_parse("2001:db8:c::9", &src);
	request(REQ(CREDS), 5000, &v);
	cr_assert(v.drop);
	cr_assert_eq(v.reason, POLICY_BANNED_USER);
	/* and the ban ends */
	cr_assert(!user_banned("105@example.org", 3000 + 60000 + 5));
}

Test(authtrack, success_resets_count)
{
	struct policy_verdict v;
	struct policy_auth a;
	unsigned seq[] = { 401, 401, 200, 403, 401 };

	for (unsigned i = 0; i < 5; i++) {
		request(REQ(CREDS), 1000 * (i + 1), &v);
		answer(seq[i], "a73kszlfl", 1000 * (i + 1) + 1, &a);
	}
	cr_assert_eq(a.failures, 2);
	cr_assert(!user_banned("105@example.org", 6000));
}

Test(authtrack, failures_from_different_ips_add_up)
{
	const char *ips[] = { "203.0.113.5", "203.0.113.6", "2001:db8:a::7" };
	struct policy_verdict v;
	struct policy_auth a;

	for (int i = 0; i < 3; i++) {
		addr_parse(ips[i], &src);
		request(REQ(CREDS), 1000 * (i + 1), &v);
		answer(403, "a73kszlfl", 1000 * (i + 1) + 1, &a);
	}
	cr_assert_eq(a.event, POLICY_EV_AUTH_BAN);
	cr_assert(user_banned("105@example.org", 4000));
}

Test(authtrack, reply_without_request_is_ignored)
{
	struct policy_auth a;
	struct policy_verdict v;

	answer(401, "a73kszlfl", 1000, &a);
	cr_assert(!a.failure);
	/* a different From tag is another transaction */
	request(REQ(CREDS), 2000, &v);
	answer(401, "othertag", 2001, &a);
	cr_assert(!a.failure);
}

Test(authtrack, transaction_expires_after_32s)
{
	struct policy_verdict v;
	struct policy_auth a;

	request(REQ(CREDS), 1000, &v);
	answer(401, "a73kszlfl", 1000 + TXN_TIMEOUT_MS, &a);
	cr_assert(!a.failure);
	request(REQ(CREDS), 100000, &v);
	answer(401, "a73kszlfl", 100000 + TXN_TIMEOUT_MS - 1, &a);
	cr_assert(a.failure);
}

Test(authtrack, target_ip_bans_source_not_user)
{
	struct policy_verdict v;
	struct policy_auth a;
	struct ban_key k;

	cfg->failed_auth_ban_target = CONFIG_AUTH_BAN_IP;
	for (int i = 1; i <= 3; i++) {
		request(REQ(CREDS), 1000 * i, &v);
		answer(401, "a73kszlfl", 1000 * i + 1, &a);
	}
	cr_assert(a.ip_banned);
	cr_assert(!a.user_banned);
	ban_key_ip(&k, &src);
	cr_assert(bantab_check(pol.bans, &k, 4000));
	cr_assert(!user_banned("105@example.org", 4000));
}

Test(authtrack, txntab_is_bounded)
{
	struct txntab *t = txntab_new(1024);
	struct sip_msg m = { 0 };
	uint64_t key = 0;

	for (uint64_t i = 1; i <= 100000; i++) {
		key = i * 0x9e3779b97f4a7c15ULL;
		txntab_put(t, key, 1000, &src, "u@example.org", &m);
	}
	cr_assert_gt(txntab_replaced(t), 90000);
	/* the latest is still there */
	cr_assert(txntab_get(t, key, 1001, false, NULL));
	txntab_free(t);
}

Test(authtrack, failtab_is_bounded_and_forgets)
{
	struct failtab *f = failtab_new(64);
	char u[64];

	for (int i = 0; i < 10000; i++) {
		snprintf(u, sizeof(u), "u%d@example.org", i);
		failtab_fail(f, u, 1000, 60000);
	}
	cr_assert_leq(failtab_count(f), 64);
	cr_assert_eq(failtab_fail(f, "x@example.org", 1000, 60000), 1);
	cr_assert_eq(failtab_fail(f, "x@example.org", 2000, 60000), 2);
	/* quiet for the forget time: starts again */
	cr_assert_eq(failtab_fail(f, "x@example.org", 62000, 60000), 1);
	failtab_free(f);
}

Test(authtrack, user_key_forms)
{
	struct sip_msg m;
	enum sip_flaw fl;
	char key[AUTH_USER_MAX];
	const char *r1 = REQ(CREDS);
	const char *r2 = REQ("Authorization: Digest username=\"105@\", realm=\"x\"\r\n");
	const char *r3 = REQ("");

	cr_assert_eq(sip_scan(r1, strlen(r1), &m, &fl), 0);
	cr_assert_eq(auth_user_key(&m, NULL, key, sizeof(key)), 0);
	cr_assert_str_eq(key, "105@example.org");
	cr_assert_eq(sip_scan(r2, strlen(r2), &m, &fl), 0);
	cr_assert_eq(auth_user_key(&m, NULL, key, sizeof(key)), 0);
	cr_assert_str_eq(key, "105@example.org");
	cr_assert_eq(sip_scan(r3, strlen(r3), &m, &fl), 0);
	cr_assert_eq(auth_user_key(&m, NULL, key, sizeof(key)), 0);
	cr_assert_str_eq(key, "105@example.org");
}

struct seen_users {
	unsigned n;
	uint32_t alice;
};

static void
user_visit(const char *user, uint32_t failures, uint64_t last_ms, void *arg)
{
	struct seen_users *s = arg;

	s->n++;
	if (strcmp(user, "alice@example.org") == 0)
		s->alice = failures;
	cr_assert_eq(last_ms, 5000);
}

/* sipwardenctl top lists the failure counters. */
Test(failtab, foreach_visits_every_counter)
{
	struct failtab *f = failtab_new(100);
	struct seen_users s = { 0 };

	failtab_fail(f, "alice@example.org", 5000, 60000);
	failtab_fail(f, "alice@example.org", 5000, 60000);
	failtab_fail(f, "bob@example.org", 5000, 60000);
	failtab_foreach(f, user_visit, &s);
	cr_assert_eq(s.n, 2);
	cr_assert_eq(s.alice, 2);
	failtab_free(f);
}

/* ---- decoys (issue 16, item 2) ---- */

#define DECOY "Authorization: Digest username=\"999\", realm=\"example.org\", nonce=\"x\", " \
	      "uri=\"sip:example.org\", response=\"0123456789abcdef0123456789abcdef\"\r\n"

/* Each guess for 105 is followed by a decoy under the same Call-ID, CSeq
 * and From tag naming another user: the decoy is judged malformed, the
 * record stays 105's, and 105 is banned at failed_auth_attempts. */
Test(authtrack, decoy_transaction_does_not_take_the_failure)
{
	struct policy_verdict v;
	struct policy_auth a;
	int i;

	for (i = 1; i <= 20 && !user_banned("105@example.org", 1000 * i); i++) {
		request(REQ(CREDS), 1000 * i, &v);
		cr_assert(!v.drop);
		request(REQ(DECOY), 1000 * i + 1, &v);
		cr_assert(v.drop);
		cr_assert_eq(v.reason, POLICY_MALFORMED);
		answer(401, "a73kszlfl", 1000 * i + 5, &a);
		cr_assert_str_eq(a.txn.user, "105@example.org");
	}
	cr_assert_eq(i, 4, "banned after %d guesses", i - 1);
	cr_assert_not(user_banned("999@example.org", 5000));
}

/* Two Authorization headers, or Authorization beside Proxy-Authorization,
 * naming different users: malformed, never keyed on the decoy. */
Test(authtrack, conflicting_credentials_are_malformed)
{
	struct policy_verdict v;

	request(REQ(DECOY CREDS), 1000, &v);
	cr_assert(v.drop);
	cr_assert_eq(v.reason, POLICY_MALFORMED);
	request(REQ("Proxy-" DECOY CREDS), 2000, &v);
	cr_assert(v.drop);
	cr_assert_eq(v.reason, POLICY_MALFORMED);
}

/* The benign twins: a retransmission (same user, same source) and the
 * same username in Authorization and Proxy-Authorization pass and count
 * as one request. */
Test(authtrack, retransmission_and_same_user_twice_pass)
{
	struct policy_verdict v;
	struct policy_auth a;

	request(REQ(CREDS), 1000, &v);
	cr_assert(!v.drop);
	request(REQ(CREDS), 1500, &v);
	cr_assert(!v.drop);
	answer(401, "a73kszlfl", 1600, &a);
	cr_assert(a.failure);
	cr_assert_eq(a.failures, 1);
	request(REQ("Proxy-" CREDS CREDS), 2000, &v);
	cr_assert(!v.drop);
	answer(200, "a73kszlfl", 2100, &a);
	cr_assert(a.success);
	cr_assert_not(user_banned("105@example.org", 3000));
}

/* txn_key() of a request whose From value is from: the tag is all it
 * takes from that header. */
static uint64_t
key_of(const char *from)
{
	static const struct hash_key k = { 1, 2 };
	static char buf[1024];
	struct sip_msg m;

	snprintf(buf, sizeof(buf),
		 "REGISTER sip:example.org SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK776\r\n"
		 "From: %s\r\n"
		 "To: <sip:105@example.org>\r\n"
		 "Call-ID: 1j9FpLxk3uxtm8tn@203.0.113.5\r\n"
		 "CSeq: 2 REGISTER\r\n"
		 "Content-Length: 0\r\n\r\n", from);
	cr_assert_eq(sip_scan(buf, strlen(buf), &m, NULL), 0, "%s", buf);
	return txn_key(&k, &m, NULL);
}

/* The From tag is found by jumping from one '"', '<', '>' or ';' to the
 * next (sip_find4()): a tag parameter inside quotes or angle brackets is
 * no tag, whichever sixteen-byte block its bytes fall in, and the tag's
 * name is read in any case. */
Test(authtrack, txn_key_reads_the_from_tag)
{
	uint64_t k1 = key_of("<sip:105@example.org>;tag=1");

	cr_assert_eq(key_of("sip:105@example.org;tag=1"), k1);
	cr_assert_eq(key_of("<sip:105@example.org>;TAG=1"), k1);
	cr_assert_eq(key_of("<sip:105@example.org;tag=2>;tag=1"), k1);
	cr_assert_eq(key_of("\"a;tag=3\" <sip:105@example.org>;tag=1"), k1);
	cr_assert_eq(key_of("\"a\\\";tag=3<;tag=4\" <sip:105@example.org>;tag=1"), k1);
	cr_assert_eq(key_of("\"A display name of forty bytes, or so\" <sip:105@example.org>;x=y;tag=1;z"), k1);
	cr_assert_eq(key_of("<sip:105@example.org>;tag=1 ;x"), k1);
	cr_assert_neq(key_of("<sip:105@example.org>;tag=2"), k1);
	cr_assert_neq(key_of("<sip:105@example.org;tag=1>"), k1);
	cr_assert_neq(key_of("\"x;tag=1\" <sip:105@example.org>"), k1);
	cr_assert_neq(key_of("<sip:105@example.org>;tag=12"), k1);
}

/* The table keeps a record's strings packed one after the other:
 * txntab_get() hands out each field exactly as the fixed fields of
 * struct txn held it, cut at the same length, whatever the others'. */
Test(authtrack, txn_record_fields_survive_packing)
{
	struct txntab *t = txntab_new(1024);
	static char buf[2048], user[300], ua[300], callid[300];
	struct addr a;
	struct sip_msg m;
	struct txn out;

	cr_assert_not_null(t);
	cr_assert_eq(addr_parse("2001:db8::5", &a), 0);
	memset(user, 'u', sizeof(user) - 1);
	memset(ua, 'a', sizeof(ua) - 1);
	memset(callid, 'c', sizeof(callid) - 1);
	/* every field beyond its cut, the UA folded over two lines */
	snprintf(buf, sizeof(buf),
		 "REGISTER sip:%.200s@example.org SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK776\r\n"
		 "From: <sip:105@example.org>;tag=1\r\n"
		 "To: <sip:105@example.org>\r\n"
		 "Call-ID: %s\r\n"
		 "CSeq: 2 REGISTER\r\n"
		 "User-Agent: x\r\n %s\r\n"
		 "Content-Length: 0\r\n\r\n", user, callid, ua);
	cr_assert_eq(sip_scan(buf, strlen(buf), &m, NULL), 0);
	txntab_put(t, 7, 1000, &a, user, &m);
	cr_assert(txntab_get(t, 7, 1001, false, &out));
	cr_assert_eq(out.key, 7);
	cr_assert(addr_equal(&out.src, &a));
	cr_assert_eq(strlen(out.user), AUTH_USER_MAX - 1);
	cr_assert_eq(strncmp(out.user, user, AUTH_USER_MAX - 1), 0);
	cr_assert_eq(strlen(out.ua), AUTH_STR_MAX - 1);
	cr_assert_eq(strncmp(out.ua, "x a", 3), 0, "folded, then unfolded: %s", out.ua);
	cr_assert_eq(strlen(out.ruri), AUTH_STR_MAX - 1);
	cr_assert_eq(strncmp(out.ruri, "sip:uuu", 7), 0);
	cr_assert_eq(strlen(out.callid), AUTH_STR_MAX - 1);
	cr_assert_eq(strncmp(out.callid, callid, AUTH_STR_MAX - 1), 0);

	/* short fields, none absent, then an empty UA between two */
	snprintf(buf, sizeof(buf),
		 "OPTIONS sip:b SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK777\r\n"
		 "From: <sip:105@example.org>;tag=2\r\n"
		 "To: <sip:105@example.org>\r\n"
		 "Call-ID: id\r\n"
		 "CSeq: 3 OPTIONS\r\n"
		 "Content-Length: 0\r\n\r\n");
	cr_assert_eq(sip_scan(buf, strlen(buf), &m, NULL), 0);
	txntab_put(t, 8, 1000, &a, "", &m);
	cr_assert(txntab_get(t, 8, 1001, true, &out));
	cr_assert_str_eq(out.user, "");
	cr_assert_str_eq(out.ua, "");
	cr_assert_str_eq(out.ruri, "sip:b");
	cr_assert_str_eq(out.callid, "id");
	cr_assert_not(txntab_get(t, 8, 1001, false, NULL), "taken");
	txntab_free(t);
}
