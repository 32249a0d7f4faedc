/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "blocklist.h"
#include "clock.h"
#include "kernelset.h"
#include "log.h"
#include "state.h"
#include "trust.h"
#include "upkeep.h"

#define FULL_RESYNC_MS (24ull * 3600 * 1000)

void
upkeep_log_lines(char *text)
{
	char *save = NULL;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		log_msg(LOG_ERR, "%s", line);
}

int
upkeep_save(struct upkeep *u, const struct config *cfg, uint64_t now)
{
	uint64_t v = bantab_version(u->bans);
	uint64_t av = u->allow ? allowlist_version(u->allow) : 0;
	uint64_t kv = knowntab_version(u->known);
	struct state_known known = { u->known, (uint64_t)cfg->known_source_time * 1000u };
	int ret;

	/* Monitor mode's bans are "would-be" bans: the state file keeps the
	 * real ones for when enforcing starts. */
	if (cfg->mode == CONFIG_MODE_MONITOR)
		return -EPERM;
	/* A known source's refresh does not move kv (knownsrc.h): the file
	 * is rewritten for a new source, not for every REGISTER. */
	if (v == u->saved_version && av == u->saved_allow_version && kv == u->known_saved_version)
		return 0;
	ret = state_save_known(u->state_dir, u->bans, u->allow, &known, now, clock_wall_s());
	if (ret < 0) {
		/* Bans keep working in memory; say so once, retry each tick. */
		if (!u->save_failed)
			log_msg(LOG_ERR, "cannot save bans to %s/%s: %s (bans stay in force "
				"in memory; retrying)", u->state_dir, STATE_FILE, strerror(-ret));
		u->save_failed = true;
		return ret;
	}
	if (u->save_failed)
		log_msg(LOG_NOTICE, "bans saved to %s/%s again", u->state_dir, STATE_FILE);
	u->save_failed = false;
	u->saved_version = v;
	u->saved_allow_version = av;
	u->known_saved_version = kv;
	return 0;
}

void
upkeep_restore(struct upkeep *u, uint64_t now)
{
	struct state_known known = { u->known, u->known_ttl_ms };
	struct state_report rep;
	int ret;

	if (mkdir(u->state_dir, 0750) < 0 && errno != EEXIST)
		log_msg(LOG_WARNING, "cannot create state directory %s: %s", u->state_dir,
			strerror(errno));
	/* One snapshot for the workers after the whole list, not one a line. */
	if (u->allow)
		allowlist_hold(u->allow, true);
	ret = state_load_known(u->state_dir, u->bans, u->allow, &known, now, clock_wall_s(), &rep);
	if (u->allow)
		allowlist_hold(u->allow, false);
	if (ret < 0) {
		log_msg(LOG_ERR, "cannot read %s/%s: %s; starting without saved bans",
			u->state_dir, STATE_FILE, strerror(-ret));
		return;
	}
	if (rep.bad_lines || rep.truncated)
		log_msg(LOG_ERR, "state file %s/%s is damaged (%u unreadable lines%s); kept %u "
			"bans, moved the file to %s", u->state_dir, STATE_FILE, rep.bad_lines,
			rep.truncated ? ", truncated" : "", rep.loaded,
			rep.moved_to[0] ? rep.moved_to : "(could not move it)");
	if (rep.refused)
		log_msg(LOG_ERR, "%u saved bans did not fit limits.max_bans", rep.refused);
	if (rep.loaded || rep.expired)
		log_msg(LOG_INFO, "restored %u bans (%u expired while stopped)", rep.loaded,
			rep.expired);
	if (rep.allowed || rep.allow_expired)
		log_msg(LOG_INFO, "restored %u allow-list entries (%u expired while stopped)",
			rep.allowed, rep.allow_expired);
	if (rep.known || rep.known_skipped)
		log_msg(LOG_INFO, "restored %u known sources of users (%u expired, not kept, or "
			"under another cluster.key_file)", rep.known, rep.known_skipped);
	if (rep.allow_refused)
		log_msg(LOG_ERR, "%u saved allow-list entries did not fit the list", rep.allow_refused);
	/* Rewrite at once when the file was damaged so a good copy exists. */
	u->saved_version = rep.bad_lines || rep.truncated ? (uint64_t)-1 : bantab_version(u->bans);
	u->saved_allow_version = u->allow ? allowlist_version(u->allow) : 0;
	u->known_saved_version = knowntab_version(u->known);
}

void
upkeep_resync(struct upkeep *u, uint64_t now)
{
	/* Once a day, put everything back: a ban longer than ipset's maximum
	 * timeout would otherwise fall out of the kernel before it ends.
	 * (Failures and a full ban queue are banops' to repair.) */
	if (now >= u->next_full_resync_ms) {
		u->next_full_resync_ms = now + FULL_RESYNC_MS;
		banops_resync_soon(u->ops);
	}
}

struct bl_collect {
	struct ban_key *keys;
	size_t n, cap;
};

static void
collect_blocklisted(const struct ban_info *b, void *arg)
{
	struct bl_collect *c = arg;

	if (b->reason != BAN_REASON_BLOCKLIST)
		return;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct ban_key *k = realloc(c->keys, cap * sizeof(*k));

		if (!k)
			return;
		c->keys = k;
		c->cap = cap;
	}
	memcpy(&c->keys[c->n++], b->key, offsetof(struct ban_key, data) + b->key->len);
}

struct bl_add {
	struct upkeep *u;
	const struct config *cfg;
	uint64_t now;
	unsigned refused, wide, trusted;
};

static int
blocklist_add(const struct addr_net *net, void *arg)
{
	struct bl_add *a = arg;
	struct ban_key k;
	int ret;

	/* A list from the Internet (APIBAN, CrowdSec) is not trusted to be
	 * sane: /0 or a /4 would drop everyone, an entry covering a peer or
	 * the host would cut this node off (issue 17). */
	if (!config_ban_prefix_ok(a->cfg, net->base.family, net->plen)) {
		a->wide++;
		return 0;
	}
	if (trust_net_covers(a->cfg, a->u->host, &net->base, net->plen)) {
		a->trusted++;
		return 0;
	}
	ban_key_net(&k, &net->base, net->plen);
	/* Until the next start or reload, which replace the whole list; the
	 * kernel keeps at most KERNELSET_MAX_TIMEOUT. */
	ret = banops_ban(a->u->ops, &k, BAN_REASON_BLOCKLIST, KERNELSET_MAX_TIMEOUT, a->now,
			 BANOPS_BULK, NULL);
	/* -EPERM: it covers what the operator allow-listed (banops.h). */
	if (ret == -EPERM)
		a->trusted++;
	else if (ret < 0)
		a->refused++;
	return 0;
}

/* Replace every blocklist ban with what the blocklist_files say now. */
void
upkeep_blocklists(struct upkeep *u, const struct config *cfg, uint64_t now)
{
	struct bl_collect old = { 0 };
	struct bl_add add = { .u = u, .cfg = cfg, .now = now };
	unsigned total = 0, bad_total = 0;

	bantab_foreach(u->bans, now, collect_blocklisted, &old);
	for (size_t i = 0; i < old.n; i++)
		banops_unban(u->ops, &old.keys[i], BANOPS_BULK);
	free(old.keys);

	for (unsigned i = 0; i < cfg->n_blocklist_files; i++) {
		char *errs = NULL;
		size_t errlen = 0;
		FILE *ef = open_memstream(&errs, &errlen);
		unsigned bad = 0;
		int n = blocklist_read(cfg->blocklist_files[i], blocklist_add, &add, ef, &bad);

		if (ef)
			fclose(ef);
		if (errs && *errs)
			upkeep_log_lines(errs);
		free(errs);
		if (n < 0) {
			log_msg(LOG_ERR, "blocklist %s: %s", cfg->blocklist_files[i], strerror(-n));
			continue;
		}
		total += (unsigned)n;
		bad_total += bad;
	}
	if (cfg->n_blocklist_files || old.n)
		log_msg(LOG_NOTICE, "blocklists: %u entries from %u files (%u bad lines, %u not "
			"banned: table full, %u refused: wider than limits.min_ban_prefix4/6, "
			"%u refused: covering a trusted or allowed address), replacing %zu", total,
			cfg->n_blocklist_files, bad_total, add.refused, add.wide, add.trusted,
			old.n);
}

struct expiry_tally {
	unsigned logged, ip, user;
};

static void
expired_cb(const struct ban_info *b, void *arg)
{
	struct expiry_tally *t = arg;
	char key[BAN_KEY_MAX + 1], esc[4 * BAN_KEY_MAX + 1];

	if (b->key->kind == BAN_KIND_USER)
		t->user++;
	else
		t->ip++;
	if (t->logged >= UPKEEP_EXPIRY_LINES)
		return;
	t->logged++;
	/* A user key holds what the attacker wrote (percent-decoded): a
	 * newline in it would forge a ban line for fail2ban (issue 17). */
	if (b->key->kind == BAN_KIND_USER)
		log_escape(b->key->data, b->key->len, esc, sizeof(esc));
	else
		log_escape_str(ban_key_format(b->key, key, sizeof(key)), esc, sizeof(esc));
	log_msg(LOG_INFO, "ban of '%s' (%s) expired", esc, ban_reason_name(b->reason));
}

/* Never suppressed by the log budget: see log.h. */
static const struct log_fields table_event = { .event = "ban-table" };

/* The table's fill: warn once past the high mark, re-arm below the low. */
static void
check_fill(struct upkeep *u)
{
	uint64_t max = bantab_max(u->bans);
	uint64_t n = (uint64_t)bantab_count(u->bans, BAN_KIND_IP) +
		     bantab_count(u->bans, BAN_KIND_USER);

	if (!u->full_warned && n * 100 >= max * UPKEEP_FULL_WARN_PCT) {
		u->full_warned = true;
		log_event(LOG_WARNING, &table_event, "ban table %llu%% full (%llu of limits.max_bans %llu, %u "
			"automatic IP bans of at most %u): new automatic bans now evict the "
			"least valuable ones", (unsigned long long)(n * 100 / max),
			(unsigned long long)n, (unsigned long long)max,
			bantab_auto_count(u->bans), bantab_auto_max(u->bans));
	} else if (u->full_warned && n * 100 < max * UPKEEP_FULL_REARM_PCT) {
		u->full_warned = false;
		log_event(LOG_NOTICE, &table_event, "ban table below %u%% full again (%llu of %llu)",
			UPKEEP_FULL_REARM_PCT, (unsigned long long)n, (unsigned long long)max);
	}
}

/* Evictions and refusals, summed up once a minute at most. */
static void
report_pressure(struct upkeep *u, uint64_t now)
{
	uint64_t ev = bantab_evicted(u->bans), rf = bantab_refused(u->bans);

	if (now < u->next_report_ms || (ev == u->evicted_seen && rf == u->refused_seen))
		return;
	log_event(LOG_WARNING, &table_event, "ban table full: %llu automatic IP bans evicted, %llu bans "
		"refused in the last minute", (unsigned long long)(ev - u->evicted_seen),
		(unsigned long long)(rf - u->refused_seen));
	u->evicted_seen = ev;
	u->refused_seen = rf;
	u->next_report_ms = now + 60000;
}

void
upkeep_expire(struct upkeep *u, uint64_t now)
{
	struct expiry_tally t = { 0, 0, 0 };

	bantab_expire(u->bans, now, expired_cb, &t);
	if (t.ip + t.user > t.logged)
		log_msg(LOG_INFO, "%u more bans expired (%u IP, %u user bans in all)",
			t.ip + t.user - t.logged, t.ip, t.user);
	check_fill(u);
	report_pressure(u, now);
	/* A flood that stopped is summed up now, not at the next line. */
	log_budget_flush();
}
