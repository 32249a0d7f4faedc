/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy.h"

#define UA_MAX 512 /* longer User-Agents are matched on their first bytes */

const char *
policy_reason_name(enum policy_reason r)
{
	static const char *const names[POLICY_REASON__MAX] = {
		[POLICY_PASS] = "pass",
		[POLICY_TRUSTED] = "trusted",
		[POLICY_REPLY] = "reply",
		[POLICY_BANNED_IP] = "banned-ip",
		[POLICY_DENSITY] = "density",
		[POLICY_MALFORMED] = "malformed",
		[POLICY_UA] = "ua",
		[POLICY_BANNED_USER] = "banned-user",
		[POLICY_SCANNER] = "scanner",
		[POLICY_SCANNER_TRAIT] = "scanner-trait",
	};

	return (unsigned)r < POLICY_REASON__MAX ? names[r] : "unknown";
}

bool
policy_ua_blacklisted(const struct config *cfg, enum sip_method method, const char *ua)
{
	if (!(cfg->ua_blacklist_methods & (1u << method)))
		return false;
	for (unsigned i = 0; i < cfg->n_ua_blacklist; i++)
		if (regexec(&cfg->ua_blacklist[i].re, ua, 0, NULL, 0) == 0)
			return true;
	return false;
}

static void
set_verdict(struct policy_verdict *v, bool drop, enum policy_reason r)
{
	v->drop = drop;
	v->reason = r;
}

/* The unit density and IP bans apply to: the address, or for IPv6 its
 * dos_ipv6_prefix network (attackers rotate through their /64). */
static unsigned
aggregate(const struct config *cfg, const struct addr *src, struct addr *agg)
{
	*agg = *src;
	if (src->family == AF_INET6 && cfg->dos_ipv6_prefix < 128) {
		addr_mask(agg, cfg->dos_ipv6_prefix);
		return cfg->dos_ipv6_prefix;
	}
	return src->family == AF_INET6 ? 128 : 32;
}

/*
 * How long this ban lasts: base, multiplied for a repeat offender (another
 * ban of the same key within recidive_window), capped at ban_time_max.
 */
static uint32_t
ban_secs(struct policy *p, const struct ban_key *k, uint32_t base, uint64_t now_ms)
{
	const struct config *cfg = p->cfg;
	char txt[BAN_KEY_MAX + 8];
	uint64_t secs = base;
	uint32_t n;

	if (!cfg->ban_time_increment || !p->offenders)
		return base;
	txt[0] = k->kind == BAN_KIND_IP ? 'i' : 'u';
	ban_key_format(k, txt + 1, sizeof(txt) - 4);
	if (k->kind == BAN_KIND_IP)
		snprintf(txt + strlen(txt), 5, "/%u", k->plen);
	n = failtab_fail(p->offenders, txt, now_ms, (uint64_t)cfg->recidive_window * 1000u);
	while (n-- > 1 && secs < cfg->ban_time_max)
		secs *= cfg->ban_time_factor;
	if (secs > cfg->ban_time_max)
		secs = cfg->ban_time_max > base ? cfg->ban_time_max : base;
	/* The window counts from the end of this ban, not its start: a ban
	 * longer than the window must not wipe the offender's record. */
	failtab_touch(p->offenders, txt, now_ms + secs * 1000u);
	return (uint32_t)secs;
}

/*
 * The one door of every automatic IP ban: it decides, the caller makes the
 * ban happen (banops, or policy_ban_table() without a kernel) and reports
 * the outcome through policy_ban_done(). A ban that would cover a trusted
 * party is narrowed to the offending address when that is enough (an IPv6
 * /64 that holds a whitelisted peer), and spared (false) when even that
 * address is trusted or cannot be a real source (0). One source prefix
 * may not churn the table at its own pace: past banrate.h's budget the ban
 * is not made (-EBUSY; the packet is still dropped). src may be NULL when
 * only the network is known (then no narrowing). 1: *net and *plen say
 * what to ban, *secs for how long.
 */
static int
ban_decide(struct policy *p, const struct addr *src, struct addr *net, unsigned *plen,
	   uint32_t base, uint64_t now_ms, uint32_t *secs)
{
	const struct config *cfg = p->cfg;
	struct ban_key k;

	*secs = 0;
	if (src && trust_martian(p->host, src, true) != TRUST_MARTIAN_NONE)
		return 0;
	if (trust_net_covers(cfg, p->host, net, *plen) ||
	    allow_snap_net_overlaps(p->allow, net, *plen)) {
		unsigned full = net->family == AF_INET ? 32 : 128;

		if (!src || *plen >= full || trust_never_ban(cfg, p->host, src) ||
		    allow_snap_ip(p->allow, src))
			return 0;
		*net = *src;
		*plen = full;
	}
	if (!banrate_take(p->banrate, net, now_ms))
		return -EBUSY;
	ban_key_net(&k, net, *plen);
	*secs = ban_secs(p, &k, base, now_ms);
	return 1;
}

/* An IP ban of the source (or its IPv6 prefix), decided into v. */
static void
ban_source(struct policy *p, const struct addr *src, enum ban_reason why,
	   uint32_t base, uint64_t now_ms, struct policy_verdict *v)
{
	unsigned plen = aggregate(p->cfg, src, &v->ban_addr);
	int due = ban_decide(p, src, &v->ban_addr, &plen, base, now_ms, &v->ban_time_s);

	v->ban_plen = (uint8_t)plen;
	v->ban_spared = due == 0;
	v->ban_limited = due < 0;
	if (due <= 0)
		return;
	v->ban_reason = why;
	v->ban_due = true;
}

void
policy_ban_done(struct policy_verdict *v, int r)
{
	v->new_ban = r > 0;
	/* -EBUSY: past a rate of bans (banrate.h, banops.h), not a full table */
	v->ban_limited = v->ban_limited || r == -EBUSY;
	if (r == -EBUSY)
		r = 0;
	v->ban_refused = r < 0;
	/* A density ban's event is the ban itself; the User-Agent and
	 * scanner lines stay what they are, ban or no ban. */
	if (v->event == POLICY_EV_NONE || v->event == POLICY_EV_BAN_IP ||
	    v->event == POLICY_EV_BAN_REFUSED)
		v->event = r > 0 ? POLICY_EV_BAN_IP : r < 0 ? POLICY_EV_BAN_REFUSED : POLICY_EV_NONE;
}

void
policy_ban_table(struct bantab *t, struct policy_verdict *v, uint64_t now_ms)
{
	struct ban_key k;

	if (!v->ban_due)
		return;
	ban_key_net(&k, &v->ban_addr, v->ban_plen);
	policy_ban_done(v, bantab_add(t, &k, v->ban_reason, now_ms,
				      (uint64_t)v->ban_time_s * 1000u));
}

void
policy_reply_table(struct bantab *t, struct policy_auth *a, uint64_t now_ms)
{
	struct ban_key k;

	if (a->user_ban_due && ban_key_user(&k, a->txn.user) == 0)
		a->user_banned = bantab_add(t, &k, BAN_REASON_AUTH, now_ms,
					    (uint64_t)a->user_ban_s * 1000u) >= 0;
	ban_key_net(&k, &a->ban_addr, a->ban_plen);
	if (a->ip_ban_due)
		a->ip_banned = bantab_add(t, &k, BAN_REASON_AUTH, now_ms,
					  (uint64_t)a->ip_ban_s * 1000u) > 0;
	if (a->enum_ban_due)
		a->enum_banned = bantab_add(t, &k, BAN_REASON_ENUM, now_ms,
					    (uint64_t)a->enum_ban_s * 1000u) > 0;
}

int
policy_keys_init(struct policy *p)
{
	int r = hash_key_random(&p->txn_hkey);

	if (r == 0)
		r = hash_key_random(&p->ua_hkey);
	p->keyed = r == 0;
	return r;
}

/* A policy set up without policy_keys_init() (tools, tests) gets its keys
 * at its first message. getrandom() without GRND_NONBLOCK fails only on a
 * kernel without it (before 3.17), which the daemon refuses at start. */
static void
keys_ready(struct policy *p)
{
	if (__builtin_expect(!p->keyed, 0) && policy_keys_init(p) < 0)
		abort();
}

/* The blacklist's verdict on one User-Agent value, through the
 * per-worker cache. */
static bool
ua_bad(struct policy *p, enum sip_method method, struct sip_str ua_v)
{
	unsigned slot;
	char ua[UA_MAX];
	uint64_t h;
	bool bad;

	if (p->ua_cache.gen != p->cfg_gen) {
		memset(p->ua_cache.hash, 0, sizeof(p->ua_cache.hash));
		p->ua_cache.gen = p->cfg_gen;
	}
	h = hash_bytes(&p->ua_hkey, ua_v.s, ua_v.len);
	h = h ? h : 1;
	slot = (unsigned)(h % POLICY_UA_CACHE);
	if (p->ua_cache.hash[slot] == h)
		return p->ua_cache.bad[slot];
	sip_str_copy(ua_v, ua, sizeof(ua));
	bad = policy_ua_blacklisted(p->cfg, method, ua);
	p->ua_cache.hash[slot] = h;
	p->ua_cache.bad[slot] = bad;
	return bad;
}

/* Did user authenticate from src (as its dos_ipv6_prefix network) within
 * known_source_time? */
static bool
known_source(struct policy *p, const char *user, const struct addr *src, uint64_t now_ms)
{
	struct addr agg;

	if (!p->known || !p->cfg->known_source_time)
		return false;
	aggregate(p->cfg, src, &agg);
	return knowntab_known(p->known, user, &agg, now_ms,
			      (uint64_t)p->cfg->known_source_time * 1000u);
}

/* Whitelisted, a peering server, or allowed by the operator at runtime. */
static bool
trusted_src(const struct policy *p, const struct addr *src)
{
	return config_is_trusted(p->cfg, src) || allow_snap_ip(p->allow, src);
}

bool
policy_ip_banned(struct policy *p, const struct addr *src, uint64_t now_ms)
{
	/* The trust check runs only for a source some ban covers: the hot
	 * path of an unbanned source pays nothing for it. */
	return bantab_any(p->bans, BAN_KIND_IP) && bantab_check_ip(p->bans, src, now_ms) &&
	       !trust_never_ban(p->cfg, p->host, src) && !allow_snap_ip(p->allow, src);
}

/*
 * The blacklist on every User-Agent header: Kamailio's $ua reads the
 * first, so a scanner that puts a benign one first and its own second
 * must still be caught (issue 16, item 3). The offending value becomes
 * m->user_agent, so that the log line names the scanner's agent.
 */
static bool
any_ua_bad(struct policy *p, struct sip_msg *m)
{
	struct sip_str all[SIP_MAX_HEADERS];
	unsigned n;

	if (ua_bad(p, m->method, m->user_agent))
		return true;
	if (m->n_user_agent < 2)
		return false;
	n = sip_header_each(m, "user-agent", 0, all, SIP_MAX_HEADERS);
	for (unsigned i = 0; i < n; i++)
		if (ua_bad(p, m->method, all[i])) {
			m->user_agent = all[i];
			return true;
		}
	return false;
}

/*
 * Decoy transactions (issue 16, item 2). A failure is charged to the user
 * of the remembered request its reply answers, keyed by Call-ID, CSeq and
 * From tag. A second request under the same key with another user or
 * from another source would overwrite that record and have the server's
 * 401 charged to a decoy: it is judged malformed instead (a retransmission
 * carries the same user from the same source). The record is never
 * overwritten by it, whatever malformed says.
 */
static bool
txn_conflict(struct policy *p, uint64_t key, const struct addr *src, const char *user,
	     uint64_t now_ms)
{
	struct txn old;

	if (!key || !txntab_get(p->txns, key, now_ms, false, &old))
		return false;
	return strcmp(old.user, user) != 0 || !addr_equal(&old.src, src);
}

void
policy_judge(struct policy *p, const struct addr *src, const uint8_t *payload,
	     size_t len, uint64_t now_ms, struct sip_msg *m, struct policy_verdict *v)
{
	const struct config *cfg = p->cfg;
	struct src_entry *e;
	struct addr agg;
	bool created, trusted;
	unsigned plen;
	int scan;
	struct sip_read rd; /* what sanity read of credentials and From */

	memset(v, 0, sizeof(*v));
	keys_ready(p);

	/* Banned sources first: it is the cheapest answer and the one a flood
	 * gets until the kernel set takes over. */
	if (policy_ip_banned(p, src, now_ms)) {
		set_verdict(v, true, POLICY_BANNED_IP);
		return;
	}

	plen = aggregate(cfg, src, &agg);
	e = srctab_get(p->src, &agg, now_ms, &created);
	if (created || e->cfg_gen != p->cfg_gen) {
		e->trusted = trusted_src(p, src);
		e->cfg_gen = p->cfg_gen;
	}
	trusted = e->trusted;
	/* One entry stands for a whole IPv6 prefix: whitelisting is still by
	 * address, so look again unless there is nothing to look in. */
	if (plen < 128 && src->family == AF_INET6 &&
	    (cfg->n_whitelist || cfg->n_peering_servers || allow_snap_any(p->allow)))
		trusted = trusted_src(p, src);

	scan = sip_scan((const char *)payload, len, m, &v->flaw);
	v->parsed = scan == 0;

	/* Every packet to a SIP port counts, malformed ones and replies
	 * included: an attacker must not escape the density rule by sending
	 * garbage or fake replies. */
	if (cfg->dos_ban_enable && !trusted &&
	    srctab_hit(p->src, e, now_ms, cfg->dos_sampling_time_unit * 1000u)) {
		srctab_reset(e);
		ban_source(p, src, BAN_REASON_DENSITY, cfg->dos_ban_time, now_ms, v);
		set_verdict(v, true, POLICY_DENSITY);
		return;
	}

	if (scan < 0) {
		v->event = POLICY_EV_MALFORMED;
		set_verdict(v, cfg->malformed == CONFIG_MALFORMED_DROP, POLICY_MALFORMED);
		return;
	}

	/* Kamailio's sanity_check("1511", "7") and more, on requests and
	 * replies alike: a message the server might read differently from us
	 * is dropped before any rule trusts its fields. */
	v->sanity = sanity_check_read(m, cfg, &rd);
	if (v->sanity != SANITY_OK) {
		v->event = POLICY_EV_MALFORMED;
		set_verdict(v, cfg->malformed == CONFIG_MALFORMED_DROP, POLICY_MALFORMED);
		return;
	}

	if (!m->is_request) {
		set_verdict(v, false, POLICY_REPLY);
		return;
	}

	/* One transaction key for both the auth and the enumeration records.
	 * Their tables are far larger than the caches: ask for the lines
	 * now, so that the misses overlap the checks below instead of
	 * stalling the writes at the end. */
	bool creds = m->authorization.s || m->proxy_authorization.s;
	bool want_txn = creds && p->txns && cfg->failed_auth_ban_enable;
	bool want_enum = p->enums && cfg->enum_distinct_users && !trusted;
	uint64_t key = want_txn || want_enum ? txn_key(&p->txn_hkey, m, &rd) : 0;

	if (key && want_txn)
		txntab_prefetch(p->txns, key);
	if (key && want_enum)
		enumtab_prefetch(p->enums, key);

	if (m->user_agent.s && cfg->n_ua_blacklist &&
	    (cfg->ua_blacklist_methods & (1u << m->method)) && any_ua_bad(p, m)) {
		v->event = POLICY_EV_UA;
		if (cfg->ua_ban_ip && !trusted) {
			/* The UA line is what is logged, ban or no ban (a full
			 * table is counted through ban_refused): the seed's
			 * fail2ban jail banned from that line. */
			ban_source(p, src, BAN_REASON_UA, cfg->ua_ban_time, now_ms, v);
		}
		set_verdict(v, true, POLICY_UA);
		return;
	}

	/* After the User-Agent rule: a scanner that changed its UA. Two
	 * independent traits are sipvicious; one alone is dropped and
	 * counted, never banned or logged as a scanner (a log line would
	 * feed fail2ban): a device whose generator happens to produce one
	 * shape must not lose its service (weaponisation). */
	if (cfg->scanner_fingerprints && (v->traits = scanner_match(m)) != 0) {
		if (scanner_count(v->traits) < 2) {
			set_verdict(v, true, POLICY_SCANNER_TRAIT);
			return;
		}
		v->event = POLICY_EV_SCANNER;
		if (cfg->ua_ban_ip && !trusted) {
			ban_source(p, src, BAN_REASON_SCANNER, cfg->ua_ban_time, now_ms, v);
		}
		set_verdict(v, true, POLICY_SCANNER);
		return;
	}

	/* Who the request speaks for matters only when a user is banned or
	 * when it carries credentials: the common case skips both parses. */
	{
		bool user_bans = bantab_any(p->bans, BAN_KIND_USER);
		char user[AUTH_USER_MAX];

		if ((user_bans || want_txn) &&
		    auth_user_key(m, &rd, user, sizeof(user)) == 0) {
			if (user_bans) {
				struct ban_key k;

				if (ban_key_user(&k, user) == 0 &&
				    !allow_snap_user(p->allow, k.data, k.len) &&
				    bantab_check(p->bans, &k, now_ms)) {
					/* Lockout protection (knownsrc.h): not
					 * from where the user proved its
					 * password lately. */
					if (!known_source(p, user, src, now_ms)) {
						set_verdict(v, true, POLICY_BANNED_USER);
						return;
					}
					v->known_source = true;
				}
			}
			if (want_txn && (sip_creds_conflict(m) || txn_conflict(p, key, src, user, now_ms))) {
				v->event = POLICY_EV_MALFORMED;
				set_verdict(v, cfg->malformed == CONFIG_MALFORMED_DROP, POLICY_MALFORMED);
				return;
			}
			/* Remembered until the reply says whether the
			 * credentials were good (the strings only feed the
			 * log line: cut to fit). */
			if (want_txn && key)
				txntab_put(p->txns, key, now_ms, src, user, m);
		}
	}

	if (want_enum && key) {
		uint64_t target = enum_target_hash(p->enums, m, &rd);

		/* A decoy under a live probe's key would have its 404 counted
		 * for a user already counted: malformed, as for credentials. */
		if (enumtab_conflict(p->enums, key, &agg, target, now_ms)) {
			v->event = POLICY_EV_MALFORMED;
			set_verdict(v, cfg->malformed == CONFIG_MALFORMED_DROP, POLICY_MALFORMED);
			return;
		}
		enumtab_request(p->enums, key, &agg, target, creds, now_ms);
	}

	set_verdict(v, false, trusted ? POLICY_TRUSTED : POLICY_PASS);
}

void
policy_judge_opaque(struct policy *p, const struct addr *src, uint64_t now_ms,
		    struct policy_verdict *v)
{
	const struct config *cfg = p->cfg;
	struct src_entry *e;
	struct addr agg;
	bool created;

	memset(v, 0, sizeof(*v));
	if (policy_ip_banned(p, src, now_ms)) {
		set_verdict(v, true, POLICY_BANNED_IP);
		return;
	}
	aggregate(cfg, src, &agg);
	e = srctab_get(p->src, &agg, now_ms, &created);
	if (created || e->cfg_gen != p->cfg_gen) {
		e->trusted = trusted_src(p, src);
		e->cfg_gen = p->cfg_gen;
	}
	if (cfg->dos_ban_enable && !e->trusted &&
	    srctab_hit(p->src, e, now_ms, cfg->dos_sampling_time_unit * 1000u)) {
		srctab_reset(e);
		ban_source(p, src, BAN_REASON_DENSITY, cfg->dos_ban_time, now_ms, v);
		set_verdict(v, true, POLICY_DENSITY);
		return;
	}
	set_verdict(v, false, e->trusted ? POLICY_TRUSTED : POLICY_PASS);
}

/* Enumeration: count a "no such user" answer against the prober. */
static void
reply_enum(struct policy *p, const struct sip_msg *m, uint64_t key, uint64_t now_ms,
	   struct policy_auth *out)
{
	const struct config *cfg = p->cfg;
	struct addr src;
	uint32_t n;
	unsigned plen;
	int due;

	n = enumtab_reply(p->enums, key, m->status, now_ms, cfg->enum_window * 1000u, &src);
	if (n <= cfg->enum_distinct_users)
		return;
	out->enum_users = n;
	enumtab_forget(p->enums, &src);
	/* src is already the aggregate (address or IPv6 prefix). */
	out->ban_addr = src;
	plen = src.family == AF_INET6 ? aggregate(cfg, &src, &out->ban_addr) : 32;
	/* Only the aggregate is known: a prefix holding a trusted address
	 * is not narrowed but spared. */
	due = ban_decide(p, plen == 32 || plen == 128 ? &src : NULL, &out->ban_addr, &plen,
			 cfg->dos_ban_time, now_ms, &out->enum_ban_s);
	out->enum_ban_due = due > 0;
	out->ban_plen = (uint8_t)plen;
	out->ban_time_s = out->enum_ban_s;
	out->ban_spared = due == 0;
	out->ban_limited = due < 0;
}

void
policy_reply(struct policy *p, const struct sip_msg *m, uint64_t now_ms,
	     struct policy_auth *out)
{
	const struct config *cfg = p->cfg;
	uint64_t key;

	memset(out, 0, sizeof(*out));
	keys_ready(p);
	/* Provisional replies end nothing; a reply to no remembered request
	 * (expired, or forged) is ignored. */
	if (m->is_request || m->status < 200)
		return;
	key = txn_key(&p->txn_hkey, m, NULL);
	if (!key)
		return;
	if (p->enums && cfg->enum_distinct_users)
		reply_enum(p, m, key, now_ms, out);
	if (!p->txns || !txntab_get(p->txns, key, now_ms, true, &out->txn))
		return;

	if (m->status >= 200 && m->status < 300) {
		failtab_reset(p->fails, out->txn.user);
		out->success = true;
		if (p->known && cfg->known_source_time) {
			struct addr agg;

			aggregate(cfg, &out->txn.src, &agg);
			knowntab_note(p->known, out->txn.user, &agg, now_ms);
		}
		return;
	}
	if (m->status != 401 && m->status != 407 && m->status != 403)
		return;
	out->failure = true;
	/* An allowed user is never banned, on its name nor by the failures
	 * made in it (doc/sipwardenctl.8, allow user). */
	if (allow_snap_user(p->allow, out->txn.user, strlen(out->txn.user)))
		return;
	out->failures = failtab_fail(p->fails, out->txn.user, now_ms,
				     (uint64_t)cfg->failed_auth_ban_time * 1000u);
	if (out->failures < cfg->failed_auth_attempts)
		return;

	/* Banned: the counter starts again for when the ban ends. */
	failtab_reset(p->fails, out->txn.user);
	out->event = POLICY_EV_AUTH_BAN;
	out->ban_time_s = cfg->failed_auth_ban_time;
	if (cfg->failed_auth_ban_target & CONFIG_AUTH_BAN_USER) {
		struct ban_key k;

		if (ban_key_user(&k, out->txn.user) == 0) {
			out->user_ban_s = ban_secs(p, &k, cfg->failed_auth_ban_time, now_ms);
			out->ban_time_s = out->user_ban_s;
			out->user_ban_due = true;
		}
	}
	if (cfg->failed_auth_ban_target & CONFIG_AUTH_BAN_IP) {
		unsigned plen = aggregate(cfg, &out->txn.src, &out->ban_addr);
		int due = ban_decide(p, &out->txn.src, &out->ban_addr, &plen,
				     cfg->failed_auth_ban_time, now_ms, &out->ip_ban_s);

		out->ip_ban_due = due > 0;
		out->ban_plen = (uint8_t)plen;
		out->ban_spared = due == 0;
		out->ban_limited = due < 0;
		if (!(cfg->failed_auth_ban_target & CONFIG_AUTH_BAN_USER))
			out->ban_time_s = out->ip_ban_s;
	}
}
