/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cluster_apply - what other nodes published, applied to this node's ban
 * table and kernel set from the cluster thread (cluster_internal.h): their
 * bans (unless one covers an address trusted here), unbans and unban-alls,
 * and the peers heard from.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "banops.h"
#include "clock.h"
#include "cluster_internal.h"
#include "cluster_proto.h"
#include "log.h"

void
cluster_apply_peer_seen(struct cluster *c, const char *node)
{
	unsigned i, oldest = 0;

	if (strcmp(node, c->node) == 0)
		return;
	pthread_mutex_lock(&c->lock);
	for (i = 0; i < c->n_peers; i++) {
		if (strcmp(c->peers[i].node, node) == 0)
			break;
		if (c->peers[i].seen_ms < c->peers[oldest].seen_ms)
			oldest = i;
	}
	if (i == c->n_peers) {
		if (c->n_peers < CTL_MAX_PEERS)
			c->n_peers++;
		else
			i = oldest;
		snprintf(c->peers[i].node, sizeof(c->peers[i].node), "%s", node);
	}
	c->peers[i].seen_ms = clock_mono_ms();
	pthread_mutex_unlock(&c->lock);
}

static bool
nets_overlap(const struct addr_net *x, const struct addr_net *y)
{
	if (x->base.family != y->base.family)
		return false;
	return x->plen <= y->plen ? addr_net_contains(x, &y->base) : addr_net_contains(y, &x->base);
}

/*
 * What a peer's ban may never cover: trust.h's never-ban list (the
 * whitelist, peering and SIP servers, loopback; the host's own addresses
 * are read live from hostaddrs), copied: a reload frees cfg.
 */
void
cluster_apply_set_trusted(struct cluster *c, const struct config *cfg)
{
	unsigned n = 2 + cfg->n_whitelist + cfg->n_peering_servers + cfg->n_server_addresses;
	struct addr_net *t = calloc(n, sizeof(*t));
	unsigned i = 2;

	if (!t) {
		log_msg(LOG_ERR, "cluster: out of memory; trusted addresses unchanged");
		return;
	}
	addr_net_parse("127.0.0.0/8", &t[0]);
	addr_net_parse("::1/128", &t[1]);
	for (unsigned j = 0; j < cfg->n_whitelist; j++)
		t[i++] = cfg->whitelist[j];
	for (unsigned j = 0; j < cfg->n_peering_servers; j++)
		t[i++] = cfg->peering_servers[j];
	for (unsigned j = 0; j < cfg->n_server_addresses; j++)
		t[i++] = cfg->server_addresses[j];
	pthread_mutex_lock(&c->lock);
	c->known_ttl_ms = (uint64_t)cfg->known_source_time * 1000u;
	free(c->trusted);
	c->trusted = t;
	c->n_trusted = n;
	c->min_prefix4 = cfg->min_ban_prefix4;
	c->min_prefix6 = cfg->min_ban_prefix6;
	pthread_mutex_unlock(&c->lock);
}

/* Would this IP ban cover an address this node never bans (trust.h:
 * loopback, its own addresses, the whitelist, peering and SIP servers)?
 * An aggregate from a peer is refused whole, not narrowed: the peer's
 * node made it for its own reasons, and this one cannot tell whom of the
 * rest it meant. */
static bool
ban_trusted(struct cluster *c, const struct ban_key *k)
{
	struct addr_net n;
	bool t = false;

	if (k->kind != BAN_KIND_IP)
		return false;
	memcpy(&n.base, k->data, sizeof(n.base));
	n.plen = k->plen;
	pthread_mutex_lock(&c->lock);
	for (unsigned i = 0; i < c->n_trusted && !t; i++)
		t = nets_overlap(&c->trusted[i], &n);
	pthread_mutex_unlock(&c->lock);
	return t || hostaddr_in_net(c->hostaddrs, &n.base, n.plen);
}

/* An IP ban wider than limits.min_ban_prefix4/6 (a /1 would drop half the
 * Internet on every node). */
static bool
too_wide(struct cluster *c, const struct ban_key *k)
{
	struct addr a;
	bool wide;

	if (k->kind != BAN_KIND_IP)
		return false;
	memcpy(&a, k->data, sizeof(a));
	pthread_mutex_lock(&c->lock);
	wide = k->plen == 0 || k->plen < (a.family == AF_INET ? c->min_prefix4 : c->min_prefix6);
	pthread_mutex_unlock(&c->lock);
	return wide;
}

/* ---- what comes from Redis ---- */

int
cluster_open(struct cluster *c, const char *line, size_t len, bool window, struct cluster_msg *m)
{
	int ret = cluster_msg_open(&c->auth, line, len, clock_wall_s(), window, m);

	if (ret == -EBADMSG || ret == -ETIME) {
		/* Whoever writes to Redis without the key (by default any
		 * local user) cannot ban or unban through the cluster. */
		cluster_count(&c->refused);
		if (log_ratelimit_take(&c->err_rl, clock_mono_ms(), NULL))
			log_msg(LOG_WARNING, "cluster: refused a message %s (another "
				"cluster.key_file, clocks more than %d s apart, or a writer to redis "
				"without the key)", ret == -ETIME ? "outside the time window" :
				"without a valid signature", CLUSTER_WINDOW_S);
	}
	return ret;
}

/* ---- applying what other nodes published (cluster thread) ---- */

/* The table lost a ban: the daemon saves it at once (cluster.h). */
static void
notify_changed(struct cluster *c)
{
	uint64_t one = 1;

	if (c->changed_fd >= 0 && write(c->changed_fd, &one, sizeof(one)) < 0) {
		/* saturated: the daemon has been told already */
	}
}

void
cluster_apply_ban(struct cluster *c, const struct cluster_msg *m, bool loading)
{
	char raw[3 * BAN_KEY_MAX + 1], key[4 * 3 * BAN_KEY_MAX + 1], node[4 * CLUSTER_NODE_MAX + 1];
	char by[4 * CLUSTER_NODE_MAX + 16];
	int64_t now = clock_wall_s(), left = m->time - now;
	struct banops_line line = { .what = "cluster", .by = by };
	int ret;

	if (left <= 0)
		return;
	/* What Redis carried is attacker-reachable text: escaped for the log. */
	cluster_key_text(&m->key, raw, sizeof(raw));
	log_escape_str(raw, key, sizeof(key));
	log_escape_str(m->node, node, sizeof(node));
	if (too_wide(c, &m->key)) {
		/* A node never publishes one (its control socket refuses it):
		 * a writer with the key gone astray, or another limit there. */
		cluster_count(&c->refused);
		if (log_ratelimit_take(&c->apply_rl, clock_mono_ms(), NULL))
			log_msg(LOG_WARNING, "cluster: not applying node '%s''s ban of '%s': wider "
				"than limits.min_ban_prefix4/6", node, key);
		return;
	}
	if (ban_trusted(c, &m->key)) {
		/* Counted like a bad message: the operator must be able to see
		 * that a peer keeps asking for what this node refuses. */
		cluster_count(&c->refused);
		if (log_ratelimit_take(&c->apply_rl, clock_mono_ms(), NULL))
			log_msg(LOG_WARNING, "cluster: not applying node '%s''s ban of '%s': it "
				"covers an address never banned here (loopback, this host, "
				"sip.server_addresses, a peering server or the whitelist)", node, key);
		return;
	}
	snprintf(by, sizeof(by), "node '%s'", node);
	/* A load brings the cluster's every ban at once: one resync then,
	 * and no line for each. Not published back: it came from there. */
	ret = banops_ban(c->ops, &m->key, m->reason, left > UINT32_MAX ? UINT32_MAX : (uint32_t)left,
			 clock_mono_ms(), loading ? BANOPS_BULK : 0, loading ? NULL : &line);
	if (ret == -EPERM) {
		/* banops' gate: the operator allow-listed it here. */
		cluster_count(&c->refused);
		if (log_ratelimit_take(&c->apply_rl, clock_mono_ms(), NULL))
			log_msg(LOG_NOTICE, "cluster: not applying node '%s''s ban of '%s': it "
				"covers an allowed address or user here (sipwardenctl allowed)",
				node, key);
		return;
	}
	if (ret < 0) {
		if (log_ratelimit_take(&c->err_rl, clock_mono_ms(), NULL))
			log_msg(LOG_ERR, "cluster: cannot apply node '%s''s ban of '%s': %s", node,
				key, strerror(-ret));
		return;
	}
	/* A ban this node holds already keeps its origin. */
	cluster_origins_set(c->origins, &m->key, m->node, m->time, ret == 0, now);
	cluster_count(&c->applied);
}

struct lift_log {
	const char *node, *akey;
	uint32_t n;
};

static void
log_lifted(const struct ban_key *k, void *arg)
{
	struct lift_log *l = arg;
	char raw[3 * BAN_KEY_MAX + 1], key[4 * 3 * BAN_KEY_MAX + 1];

	/* As many as the allow lifts at its origin, which logs each there. */
	if (l->n++ < 10) {
		cluster_key_text(k, raw, sizeof(raw));
		log_msg(LOG_NOTICE, "cluster: node '%s''s allow of '%s' lifts the ban of '%s'",
			l->node, l->akey, log_escape_str(raw, key, sizeof(key)));
	}
}

void
cluster_apply_allow(struct cluster *c, const struct cluster_msg *m, bool loading)
{
	char raw[3 * BAN_KEY_MAX + 1], key[4 * 3 * BAN_KEY_MAX + 1], node[4 * CLUSTER_NODE_MAX + 1];
	char comment[4 * ALLOW_COMMENT_MAX + 1];
	struct lift_log l = { .node = node, .akey = key };
	struct allow_entry e;
	int ret;

	if (!c->allow || (m->time && m->time <= clock_wall_s()))
		return;
	cluster_key_text(&m->key, raw, sizeof(raw));
	log_escape_str(raw, key, sizeof(key));
	log_escape_str(m->node, node, sizeof(node));
	memset(&e, 0, sizeof(e));
	memcpy(&e.key, &m->key, offsetof(struct ban_key, data) + m->key.len);
	e.expires = m->time;
	e.created = clock_wall_s();
	snprintf(e.comment, sizeof(e.comment), "%s", m->comment);
	snprintf(e.origin, sizeof(e.origin), "%s", m->node);
	ret = allowlist_add(c->allow, &e);
	if (ret < 0) {
		if (log_ratelimit_take(&c->err_rl, clock_mono_ms(), NULL))
			log_msg(LOG_ERR, "cluster: cannot apply node '%s''s allow of '%s': %s", node,
				key, ret == -ENOSPC ? "the allow-list is full" : strerror(-ret));
		return;
	}
	/* Each node lifts what the allow covers in its own table: not
	 * published back, the origin has told the others already. */
	banops_lift(c->ops, &m->key, clock_mono_ms(), log_lifted, &l);
	if (!loading || ret == 1)
		log_event(LOG_NOTICE, &(struct log_fields){ .event = "cluster-allow" },
			  "cluster: %s '%s' allowed by node '%s' %s, comment '%s', %u bans lifted",
			  m->key.kind == BAN_KIND_IP ? "IP" : "user", key, node,
			  m->time ? "until its expiry" : "permanently",
			  log_escape_str(m->comment, comment, sizeof(comment)), l.n);
	notify_changed(c);
	cluster_count(&c->applied);
}

/* Another node's user authenticated from a source: merged into the bounded
 * table under the cluster's key (knownsrc.h). Only a node holding the key
 * file can send one (signed), and such a node can unban anyone already. */
void
cluster_apply_known(struct cluster *c, const struct cluster_msg *m)
{
	int64_t now = clock_wall_s();
	uint64_t age_s = m->time >= now ? 0 : (uint64_t)(now - m->time), ttl_ms;

	pthread_mutex_lock(&c->lock);
	ttl_ms = c->known_ttl_ms;
	pthread_mutex_unlock(&c->lock);
	if (!c->known || age_s >= ttl_ms / 1000u)
		return;
	if (knowntab_merge(c->known, m->known, clock_mono_ms(), age_s * 1000u) > 0)
		cluster_count(&c->known_learnt);
}

void
cluster_apply_msg(struct cluster *c, const struct cluster_msg *m)
{
	char raw[3 * BAN_KEY_MAX + 1], key[4 * 3 * BAN_KEY_MAX + 1], node[4 * CLUSTER_NODE_MAX + 1];

	if (strcmp(m->node, c->node) == 0)
		return; /* our own, back from the channel */
	log_escape_str(m->node, node, sizeof(node));
	cluster_apply_peer_seen(c, m->node);
	switch (m->op) {
	case CLUSTER_OP_BAN:
		cluster_apply_ban(c, m, false);
		break;
	case CLUSTER_OP_UNBAN:
		cluster_origins_del(c->origins, &m->key);
		if (banops_unban(c->ops, &m->key, 0) == 0) {
			notify_changed(c);
			cluster_count(&c->applied);
			cluster_key_text(&m->key, raw, sizeof(raw));
			log_msg(LOG_NOTICE, "cluster: %s '%s' unbanned by node '%s'",
				m->key.kind == BAN_KIND_IP ? "IP" : "user",
				log_escape_str(raw, key, sizeof(key)), node);
		}
		break;
	case CLUSTER_OP_ALLOW:
		cluster_apply_allow(c, m, false);
		break;
	case CLUSTER_OP_DISALLOW:
		if (c->allow && allowlist_del(c->allow, &m->key) == 0) {
			notify_changed(c);
			cluster_count(&c->applied);
			cluster_key_text(&m->key, raw, sizeof(raw));
			log_event(LOG_NOTICE, &(struct log_fields){ .event = "cluster-disallow" },
				  "cluster: %s '%s' disallowed by node '%s'",
				  m->key.kind == BAN_KIND_IP ? "IP" : "user",
				  log_escape_str(raw, key, sizeof(key)), node);
		}
		break;
	case CLUSTER_OP_UNBAN_ALL:
		cluster_origins_clear(c->origins);
		log_msg(LOG_NOTICE, "cluster: every ban lifted by node '%s' (%u)", node,
			banops_unban_all(c->ops));
		notify_changed(c);
		cluster_count(&c->applied);
		break;
	case CLUSTER_OP_KNOWN:
		cluster_apply_known(c, m);
		break;
	default:
		break;
	}
}
