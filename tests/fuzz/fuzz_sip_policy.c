/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_sip_policy - raw IP packets through packet_parse() and policy_judge(),
 * the path every queued packet takes in the worker, plus the slow-path
 * helpers (sip_extract_*, sanity_check, event_capture) on what was parsed.
 *
 * Input (gen_corpus.py writes it):
 *
 *   byte 0     flags: bit 0 picks config A or B; bit 1 flips the config on
 *              every packet (and bumps cfg_gen); bits 2-4 pick the size of
 *              the sip_extract_*() output buffers; bit 7 starts the
 *              clock past 2^32 ms (the source table truncates times to
 *              32 bits)
 *   byte 1     each packet is judged 1 + (byte & 7) times
 *   bytes 2-3  clock step between repeats, ms (big-endian)
 *   bytes 4-7  clock start, ms (big-endian)
 *   then       packet { SEP delta_hi delta_lo packet }
 *
 * SEP is the 4 bytes "\0SWP"; delta is added to the clock (ms) before the
 * packet that follows it. Each packet is copied into a buffer of exactly its
 * size so that AddressSanitizer sees any read past its end. The ban and
 * source tables start empty for every input, so a crash reproduces from
 * its input alone.
 *
 * Both configs have low limits (3 requests a window, 16 bans) so that the
 * density rule, bans, a full ban table and ban expiry are all reachable.
 * Requests with credentials are remembered in a small transaction table
 * and a parsed reply goes through policy_reply(), as the worker reads the
 * server's replies: the record is written by one packet and read back,
 * fields and all, by another (both tables, like the source table, new for
 * every input).
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "authtrack.h"
#include "bans.h"
#include "config.h"
#include "event.h"
#include "log.h"
#include "packet.h"
#include "policy.h"
#include "sanity.h"
#include "sip.h"
#include "srctab.h"
#include "fuzz_check.h"

#define DENSITY 3
#define MAX_BANS 16
#define HDR 8
#define SEP "\0SWP"
#define SEP_LEN 4
#define MAX_PACKETS 64

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct config *g_cfg[2];
static struct bantab *g_bans;

static struct addr_net *
nets(const char *const *list, unsigned n)
{
	struct addr_net *v = calloc(n, sizeof(*v));

	CHECK(v != NULL);
	for (unsigned i = 0; i < n; i++)
		CHECK(addr_net_parse(list[i], &v[i]) == 0);
	return v;
}

static struct config *
make_config(int variant)
{
	static const char *const wl[] = { "203.0.113.1", "2001:db8:c::/64", "10.0.0.0/8" };
	static const char *const peers[] = { "198.51.100.10", "2001:db8:5::10" };
	struct config *c = config_new_default();

	CHECK(c != NULL);
	c->dos_reqs_density_per_unit = DENSITY;
	c->max_bans = MAX_BANS;
	c->max_sources = 16;
	c->source_idle_time = 2;
	if (variant == 0) {
		/* enforce, strict */
		c->dos_sampling_time_unit = 1;
		c->dos_ban_time = 2;
		c->ua_ban_time = 5;
		c->reject_sqli_chars = true;
		c->malformed = CONFIG_MALFORMED_DROP;
		c->whitelist = nets(wl, 3);
		c->n_whitelist = 3;
		c->peering_servers = nets(peers, 2);
		c->n_peering_servers = 2;
	} else {
		/* lenient: accept malformed, UA rule on every method, no IP ban */
		c->mode = CONFIG_MODE_MONITOR;
		c->dos_sampling_time_unit = 2;
		c->dos_ban_time = 1;
		c->malformed = CONFIG_MALFORMED_ACCEPT;
		c->ua_ban_ip = false;
		c->ua_blacklist_methods = ~0u;
		c->whitelist = nets(wl + 1, 1);
		c->n_whitelist = 1;
	}
	return c;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* Nothing the core might log reaches stderr (prio > -1 always). */
	log_init(LOG_TARGET_STDERR, -1);
	g_cfg[0] = make_config(0);
	g_cfg[1] = make_config(1);
	g_bans = bantab_new(MAX_BANS);
	CHECK(g_bans != NULL);
	return 0;
}

static bool
span_ok(struct sip_str v, const uint8_t *buf, size_t len)
{
	const char *b = (const char *)buf;

	if (!v.s)
		return v.len == 0;
	return v.s >= b && v.s <= b + len && v.len <= (size_t)(b + len - v.s);
}

/* Every span sip_scan() returns must lie inside the scanned buffer. */
static void
check_spans(const struct sip_msg *m, const uint8_t *buf, size_t len)
{
	const struct sip_str all[] = {
		m->method_name, m->ruri, m->version, m->from, m->to, m->call_id, m->cseq,
		m->via, m->contact, m->user_agent, m->authorization,
		m->proxy_authorization, m->content_length, m->expires, m->max_forwards,
		m->cseq_method_name, m->body,
	};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		CHECK(span_ok(all[i], buf, len));
	CHECK(m->header_len <= len);
	CHECK(m->is_request == (m->method != SIP_METHOD_NONE));
	CHECK((unsigned)m->method < SIP_METHOD__MAX);
}

static void
extract_all(const struct sip_msg *m, size_t bufsz)
{
	char user[2048], host[2048], tag[2048], tmp[2048];
	size_t n;

	if (m->from.s) {
		sip_extract_userhost(m->from, user, bufsz, host, bufsz);
		sip_extract_tag(m->from, tag, bufsz);
	}
	if (m->to.s) {
		sip_extract_userhost(m->to, user, bufsz, host, bufsz);
		sip_extract_tag(m->to, tag, bufsz);
	}
	if (m->ruri.s)
		sip_extract_uri_userhost(m->ruri, user, bufsz, host, bufsz);
	if (m->contact.s)
		sip_extract_userhost(m->contact, user, bufsz, host, bufsz);
	if (m->authorization.s)
		sip_extract_auth_username(m->authorization, user, bufsz);
	if (m->proxy_authorization.s)
		sip_extract_auth_username(m->proxy_authorization, user, bufsz);
	if (m->user_agent.s) {
		n = sip_str_copy(m->user_agent, tmp, bufsz);
		CHECK(n < bufsz && tmp[n] == '\0');
	}
}

static void
judge_one(struct policy *p, const uint8_t *pkt, size_t len, uint64_t now, size_t bufsz)
{
	struct packet_info pi;
	struct policy_verdict v;
	struct sip_msg m;
	struct event ev;
	enum packet_flaw pf;
	const uint8_t *payload = (const uint8_t *)"";
	size_t plen = 0;

	memset(&pi, 0, sizeof(pi));
	pf = packet_parse(pkt, len, &pi);
	switch (pf) {
	case PACKET_OK:
		CHECK(pi.proto == IPPROTO_UDP || pi.proto == IPPROTO_TCP);
		CHECK(pi.payload_len == 0 || (pi.payload >= pkt && pi.payload <= pkt + len &&
					      pi.payload_len <= (size_t)(pkt + len - pi.payload)));
		if (pi.payload_len)
			payload = pi.payload;
		plen = pi.payload_len;
		break;
	case PACKET_FRAGMENT:
	case PACKET_TRUNCATED:
	case PACKET_EXT_HEADERS:
		if (pi.src.family == 0)
			return;
		break;
	default:
		return;
	}
	CHECK(pi.src.family == AF_INET || pi.src.family == AF_INET6);
	packet_flaw_name(pf);

	policy_judge(p, &pi.src, payload, plen, now, &m, &v);
	CHECK((unsigned)v.reason < POLICY_REASON__MAX);
	CHECK((unsigned)v.sanity < SANITY__MAX);
	policy_reason_name(v.reason);
	if (v.reason == POLICY_PASS || v.reason == POLICY_TRUSTED || v.reason == POLICY_REPLY)
		CHECK(!v.drop);
	if (v.reason == POLICY_BANNED_IP || v.reason == POLICY_DENSITY || v.reason == POLICY_UA)
		CHECK(v.drop);
	CHECK(!(v.new_ban && v.ban_refused));
	if (v.new_ban) {
		/* The source's next packet meets the ban. */
		struct policy_verdict v2;
		struct sip_msg m2;

		policy_judge(p, &pi.src, payload, plen, now, &m2, &v2);
		CHECK(v2.drop && v2.reason == POLICY_BANNED_IP);
	}

	/* What the worker copies out of the packet for its log line. (Not
	 * event_log(): with logging off it only runs rate limits.) */
	event_capture(&ev, &v, &pi.src, &m);

	if (!v.parsed)
		return;
	check_spans(&m, payload, plen);
	if (v.reason == POLICY_REPLY) {
		struct policy_auth a;

		policy_reply(p, &m, now, &a);
		if (a.failure || a.success) {
			/* what txntab_get() unpacked: each field ends in its own
			 * buffer */
			CHECK(memchr(a.txn.user, '\0', sizeof(a.txn.user)) != NULL);
			CHECK(memchr(a.txn.ua, '\0', sizeof(a.txn.ua)) != NULL);
			CHECK(memchr(a.txn.ruri, '\0', sizeof(a.txn.ruri)) != NULL);
			CHECK(memchr(a.txn.callid, '\0', sizeof(a.txn.callid)) != NULL);
			CHECK(a.txn.src.family == AF_INET || a.txn.src.family == AF_INET6);
		}
		if (a.user_ban_due)
			CHECK(a.txn.user[0] != '\0');
	}
	/* sanity_check() is pure: the same answer policy got, whenever
	 * policy got that far. */
	if (v.reason != POLICY_DENSITY)
		CHECK(sanity_check(&m, p->cfg) == v.sanity);
	sanity_fail_name(sanity_check(&m, NULL));
	sip_method_name(m.method);
	extract_all(&m, bufsz);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t bufsizes[8] = { 1, 2, 5, 16, 64, 256, 1024, 2048 };
	struct policy p;
	const uint8_t *pos, *end = data + size;
	uint8_t flags, repeat;
	uint32_t step;
	uint64_t now;
	size_t bufsz;
	int cur, npkt = 0;

	if (size < HDR)
		return 0;
	flags = data[0];
	repeat = 1 + (data[1] & 7);
	step = (uint32_t)data[2] << 8 | data[3];
	now = (uint64_t)data[4] << 24 | (uint64_t)data[5] << 16 | (uint64_t)data[6] << 8 | data[7];
	if (flags & 0x80)
		now += 1ull << 32;
	bufsz = bufsizes[(flags >> 2) & 7];
	cur = flags & 1;

	/* Clearing walks every bucket of the ban table: only when needed.
	 * (Expired bans read as absent, so the sweep the daemon runs is
	 * left out: it would cost more than the input.) */
	if (bantab_count(g_bans, BAN_KIND_IP) || bantab_count(g_bans, BAN_KIND_USER))
		bantab_clear(g_bans);
	memset(&p, 0, sizeof(p));
	p.cfg = g_cfg[cur];
	p.cfg_gen = 1;
	p.bans = g_bans;
	p.src = srctab_new(16, DENSITY + 1);
	CHECK(p.src != NULL);
	p.txns = txntab_new(64);
	CHECK(p.txns != NULL);
	p.fails = failtab_new(64);
	CHECK(p.fails != NULL);

	pos = data + HDR;
	while (pos <= end && npkt++ < MAX_PACKETS) {
		const uint8_t *sep = memmem(pos, (size_t)(end - pos), SEP, SEP_LEN);
		size_t len = (size_t)((sep ? sep : end) - pos);
		uint8_t *pkt = malloc(len ? len : 1);

		CHECK(pkt != NULL);
		memcpy(pkt, pos, len);
		for (unsigned r = 0; r < repeat; r++) {
			judge_one(&p, pkt, len, now, bufsz);
			now += step;
		}
		free(pkt);
		srctab_expire(p.src, now, p.cfg->source_idle_time * 1000u, 4);
		if (!sep || (size_t)(end - sep) < SEP_LEN + 2)
			break;
		now += (uint32_t)sep[SEP_LEN] << 8 | sep[SEP_LEN + 1];
		pos = sep + SEP_LEN + 2;
		if (flags & 2) {
			cur ^= 1;
			p.cfg = g_cfg[cur];
			p.cfg_gen++;
		}
	}
	srctab_free(p.src);
	txntab_free(p.txns);
	failtab_free(p.fails);
	return 0;
}
