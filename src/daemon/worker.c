/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/netfilter.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "banops.h"
#include "batchwait.h"
#include "clock.h"
#include "event.h"
#include "log.h"
#include "packet.h"
#include "stats.h"
#include "worker.h"

#define NFQ_TIMEOUT_MS 250
#define MAINT_INTERVAL_MS 1000
#define EXPIRE_PER_ROUND 8192

/* Per-batch scratch space: events are logged after the verdicts go out.
 * A TCP segment can carry several messages, hence room for more events
 * than packets; past that, events are counted but not logged. A new ban's
 * line is not among them: it goes with the ban, through banops. */
#define EVENTS_MAX (2 * NFQ_BATCH_MAX)
#define TCP_MSG_MAX 65535

struct batch {
	struct nfq_pkt pkts[NFQ_BATCH_MAX];
	struct event events[EVENTS_MAX];
	unsigned n_events;
	unsigned replies[NFQ_BATCH_MAX]; /* indexes of the server's replies */
	unsigned n_replies;
	unsigned rejects[NFQ_BATCH_MAX]; /* banned users to answer 403 */
	unsigned n_rejects;
};

/* The source table is faulted in here, whole (srctab.h): say what it
 * costs, since that memory is resident from the start. */
static struct srctab *
new_srctab(const struct config *cfg, unsigned nworkers, unsigned index)
{
	uint32_t cap = cfg->max_sources / (nworkers ? nworkers : 1);
	struct srctab_stats st;
	struct srctab *t;

	if (cap < 1024)
		cap = 1024;
	t = srctab_new(cap, cfg->dos_reqs_density_per_unit + 1);
	if (!t)
		return NULL;
	srctab_get_stats(t, &st);
	log_msg(LOG_INFO, "worker %u: source table %u entries (%llu KiB), %u exact rings "
		"(%llu KiB), pre-faulted", index, st.capacity,
		(unsigned long long)(st.entry_bytes >> 10), st.rings_capacity,
		(unsigned long long)(st.ring_bytes >> 10));
	return t;
}

int
worker_init(struct worker *w, unsigned index, uint16_t qnum, struct worker_shared *sh)
{
	const struct config *cfg = atomic_load(&sh->cfg);
	struct nfq_opts o = {
		.maxlen = cfg->queue_maxlen,
		.rcvbuf = cfg->queue_rcvbuf,
		.fail_open = cfg->queue_fail_open,
		.timeout_ms = NFQ_TIMEOUT_MS,
	};
	int ret;

	memset(w, 0, sizeof(*w));
	w->index = index;
	w->qnum = qnum;
	w->sh = sh;
	/* The tables draw their own keys; the policy's (transaction
	 * identity, UA cache) are drawn here, where a failure can refuse
	 * to start instead of judging with a predictable key. */
	ret = policy_keys_init(&w->pol);
	if (ret < 0)
		return ret;
	ret = replylimit_init(&w->rlim, REPLYLIMIT_INTERVAL_MS, &sh->replies);
	if (ret < 0)
		return ret;
	w->src = new_srctab(cfg, cfg->queue_count, index);
	w->txns = txntab_new(cfg->max_transactions / cfg->queue_count);
	w->enums = enumtab_new(cfg->max_transactions / cfg->queue_count, 4096);
	w->tcp = tcptab_new(cfg->max_tcp_connections / cfg->queue_count < 16 ? 16 :
			    cfg->max_tcp_connections / cfg->queue_count, TCP_MSG_MAX,
			    cfg->tcp_idle_time * 1000u);
	if (!w->src || !w->txns || !w->enums || !w->tcp) {
		srctab_free(w->src);
		txntab_free(w->txns);
		enumtab_free(w->enums);
		tcptab_free(w->tcp);
		return -ENOMEM;
	}
	ret = nfq_queue_open(&w->q, qnum, &o);
	if (ret < 0) {
		srctab_free(w->src);
		txntab_free(w->txns);
		enumtab_free(w->enums);
		tcptab_free(w->tcp);
		w->src = NULL;
		w->txns = NULL;
		w->enums = NULL;
		w->tcp = NULL;
		return ret;
	}
	w->pol.cfg = cfg;
	w->pol.cfg_gen = atomic_load(&sh->cfg_gen);
	w->gen_seen = w->pol.cfg_gen;
	w->pol.src = w->src;
	w->pol.bans = sh->bans;
	w->pol.txns = w->txns;
	w->pol.enums = w->enums;
	w->pol.fails = sh->fails;
	w->pol.offenders = sh->offenders;
	w->pol.known = sh->known;
	w->pol.host = sh->host;
	w->pol.allow = allowlist_snap(sh->allow);
	/* Without memory for it, bans per prefix are not limited (the table
	 * still bounds them). */
	w->pol.banrate = banrate_new();
	return 0;
}

/* Tell the daemon which configuration this worker runs in (worker.h). */
static void
confirm_config(struct worker *w, unsigned gen)
{
	pthread_mutex_lock(&w->sh->gen_lock);
	w->gen_seen = gen;
	pthread_cond_broadcast(&w->sh->gen_cond);
	pthread_mutex_unlock(&w->sh->gen_lock);
}

/* sipwardenctl top: keep the limit rows with the most requests in the
 * current density window; top[] stays sorted, most first. */
struct top_scan {
	struct worker *w;
	uint64_t now;
	uint32_t window_ms;
	unsigned limit;
};

static void
top_visit(const struct src_entry *e, void *arg)
{
	struct top_scan *sc = arg;
	struct worker *w = sc->w;
	uint32_t n;
	unsigned i;

	if (e->trusted)
		return;
	n = srctab_window_count(w->src, e, sc->now, sc->window_ms);
	if (n == 0 || (w->n_top == sc->limit && n <= w->top[w->n_top - 1].count))
		return;
	i = w->n_top < sc->limit ? w->n_top++ : w->n_top - 1;
	for (; i > 0 && w->top[i - 1].count < n; i--)
		w->top[i] = w->top[i - 1];
	w->top[i] = (struct ctl_top_src){ .addr = e->addr, .count = n, .queue = w->qnum };
}

/* Answer a top request between batches: a walk of this worker's own table,
 * which no other thread may read. */
static void
follow_top(struct worker *w, uint64_t now)
{
	unsigned req = atomic_load_explicit(&w->sh->top_req, memory_order_acquire);
	const struct config *cfg = w->pol.cfg;
	struct top_scan sc = { w, now, cfg->dos_sampling_time_unit * 1000u, w->sh->top_limit };

	if (req == w->top_done)
		return;
	if (sc.limit == 0 || sc.limit > CTL_TOP_MAX)
		sc.limit = CTL_TOP_DEFAULT;
	w->n_top = 0;
	srctab_foreach(w->src, top_visit, &sc);
	for (unsigned i = 0; i < w->n_top; i++) {
		const struct addr *a = &w->top[i].addr;

		w->top[i].plen = a->family == AF_INET ? 32 :
				 cfg->dos_ipv6_prefix ? (uint8_t)cfg->dos_ipv6_prefix : 128;
	}
	pthread_mutex_lock(&w->sh->gen_lock);
	w->top_done = req;
	pthread_cond_broadcast(&w->sh->gen_cond);
	pthread_mutex_unlock(&w->sh->gen_lock);
}

/* Pick up a reloaded config at a batch boundary. A changed density limit
 * changes the size of every entry, so the source table starts afresh
 * (bans live elsewhere and are kept). Without memory for it the worker
 * stays on the old configuration and does not confirm the new one, so the
 * daemon keeps the old one's memory. */
static void
follow_config(struct worker *w)
{
	unsigned gen = atomic_load_explicit(&w->sh->cfg_gen, memory_order_acquire);
	const struct config *cfg;

	if (gen == w->pol.cfg_gen)
		return;
	cfg = atomic_load_explicit(&w->sh->cfg, memory_order_relaxed);
	/* Published before the generation was bumped: this one or a newer,
	 * kept for us until we confirm a generation past its retirement. */
	w->pol.allow = allowlist_snap(w->sh->allow);
	if (cfg->dos_reqs_density_per_unit + 1 != srctab_ring_size(w->src)) {
		struct srctab *t = new_srctab(cfg, cfg->queue_count, w->index);

		if (t) {
			srctab_free(w->src);
			w->src = t;
			w->pol.src = t;
		} else {
			log_msg(LOG_ERR, "worker %u: no memory for a new source table; "
				"density limit unchanged", w->index);
			return;
		}
	}
	w->pol.cfg = cfg;
	w->pol.cfg_gen = gen;
	confirm_config(w, gen);
}

/* Did the packet come in on one of the SIP server's interfaces? */
static bool
on_server_if(const struct worker_shared *sh, uint32_t indev)
{
	uint32_t n = atomic_load_explicit(&sh->n_server_if, memory_order_acquire);

	for (uint32_t i = 0; i < n && i < WORKER_SERVER_IF_MAX; i++)
		if (atomic_load_explicit(&sh->server_if[i], memory_order_relaxed) == indev)
			return true;
	return false;
}

/* Linux gives the loopback device index 1 in every network namespace. */
#define LOOPBACK_IFINDEX 1u

/*
 * verdict.h's ban hook: a ban the policy decided, made to happen by banops
 * (table, kernel set, cluster, and the verdict's line when the ban is new);
 * its outcome goes back into v. m: the scanned message or NULL.
 */
static void
make_ban(void *arg, struct policy_verdict *v, const struct addr *src, const struct sip_msg *m,
	 uint64_t now)
{
	static const struct sip_msg none;
	struct worker *w = arg;
	struct banops_line line = { 0 };
	struct event e;
	struct ban_key k;

	ban_key_net(&k, &v->ban_addr, v->ban_plen);
	policy_ban_done(v, 1); /* the line as it reads when the ban is new */
	event_capture(&e, v, src, m ? m : &none);
	line.ev = &e;
	policy_ban_done(v, banops_ban(w->sh->ops, &k, v->ban_reason, v->ban_time_s, now,
				      BANOPS_PUBLISH, &line));
}

/* verdict.h's judged hook: the counters and the event of one verdict. */
static void
account(void *arg, const struct policy_verdict *v, const struct addr *src,
	const struct sip_msg *m, uint64_t now)
{
	static const struct sip_msg none;
	struct worker *w = arg;
	struct batch *b = w->batch;

	(void)now;
	STAT_INC(w->st.reason[v->reason]);
	if (v->reason == POLICY_MALFORMED) {
		if (v->sanity != SANITY_OK && v->sanity < SANITY__MAX)
			STAT_INC(w->st.sanity[v->sanity]);
		else if ((unsigned)v->flaw <= SIP_FLAW_TOO_MANY_HEADERS)
			STAT_INC(w->st.flaw[v->flaw]);
	}
	if (v->new_ban)
		STAT_INC(w->st.bans_created);
	if (v->ban_refused)
		STAT_INC(w->st.bans_refused);
	if (v->ban_spared)
		STAT_INC(w->st.bans_spared);
	if (v->ban_limited)
		STAT_INC(w->st.bans_limited);
	if (v->known_source)
		STAT_INC(w->st.known_source_passed);
	if (v->event != POLICY_EV_NONE && !v->new_ban && b->n_events < EVENTS_MAX)
		event_capture(&b->events[b->n_events++], v, src, m ? m : &none);
}

/* verdict.h's server hook: a message the server sent, read after the
 * verdicts (read_reply()). */
static void handle_reply(void *arg, const struct sip_msg *m, uint64_t now);

static const struct verdict_hooks worker_hooks = {
	.ban = make_ban,
	.judged = account,
	.server_msg = handle_reply,
};

/* The counters of how a packet to the server was handled. */
static void
count_path(struct worker *w, const struct verdict_result *r)
{
	switch (r->path) {
	case VERDICT_TCP:
		STAT_INC(w->st.tcp_segments);
		if (r->tcp.out_of_order)
			STAT_INC(w->st.tcp_out_of_order);
		break;
	case VERDICT_TCP_BAD_CHECKSUM:
		STAT_INC(w->st.tcp_segments);
		STAT_INC(w->st.tcp_bad_checksum);
		break;
	case VERDICT_TCP_PASSED:
		STAT_INC(w->st.tcp_passed);
		break;
	case VERDICT_TLS_SYN:
		STAT_INC(w->st.tls_attempts);
		break;
	case VERDICT_TLS_BANNED:
		STAT_INC(w->st.reason[POLICY_BANNED_IP]);
		break;
	case VERDICT_UDP:
	case VERDICT_UNREADABLE:
	case VERDICT_TLS_PASSED:
		break;
	}
	if (r->would_drop)
		STAT_ADD(w->st.would_drop, r->would_drop);
}

/* A fragment or a truncated packet. */
static void
count_unreadable(struct worker *w, enum packet_flaw pf)
{
	if (pf != PACKET_FRAGMENT) {
		STAT_INC(w->st.truncated);
		return;
	}
	STAT_INC(w->st.fragments);
	/* sipwarden-rules makes the kernel reassemble before the queue; a
	 * fragment here means that is missing. Said once: an operator whose
	 * large UDP messages (big SDP) fail must learn why. */
	if (!w->frag_logged) {
		w->frag_logged = true;
		log_msg(LOG_WARNING, "queue %u: a fragmented SIP datagram reached the queue "
			"unreassembled; it is judged malformed (chain sipwarden-defrag missing: "
			"run sipwarden-rules install, see sipwarden(8) FRAGMENTS); further ones "
			"are only counted", w->qnum);
	}
}

/* Which way the packet goes, as verdict_direction() decides it from what
 * the queue tells (hook, input interface). */
static enum verdict_dir
direction(struct worker *w, const struct nfq_pkt *p, const struct packet_info *pi)
{
	const struct config *cfg = w->pol.cfg;
	struct verdict_where where = {
		.servers = cfg->server_addresses,
		.n_servers = cfg->n_server_addresses,
		.local_out = p->hook == NF_INET_LOCAL_OUT,
		.on_server_if = on_server_if(w->sh, p->indev),
	};
	bool foreign;
	enum verdict_dir d = verdict_direction(cfg, &where, pi, &foreign);

	if (foreign)
		STAT_INC(w->st.foreign_replies);
	return d;
}

static bool
judge(struct worker *w, const struct nfq_pkt *p, uint64_t now, struct batch *b)
{
	const struct config *cfg = w->pol.cfg;
	struct packet_info pi;
	struct verdict_result r;
	enum packet_flaw pf;

	pf = packet_parse(p->data, p->len, &pi);
	switch (pf) {
	case PACKET_OK:
		switch (direction(w, p, &pi)) {
		case VERDICT_FROM_SERVER:
			/* The server's own messages (UDP or TCP) are never held
			 * up: read after the verdicts go out. */
			b->replies[b->n_replies++] = (unsigned)(p - b->pkts);
			return true;
		case VERDICT_OTHER:
			if (pi.proto == IPPROTO_TCP)
				STAT_INC(w->st.tcp_passed);
			return true;
		case VERDICT_TO_SERVER:
			break;
		}
		/* A source no real packet carries is a forgery: dropped and
		 * counted, never judged (so never banned, never counted
		 * against a user). */
		if (trust_martian(w->sh->host, &pi.src, p->indev == LOOPBACK_IFINDEX) !=
		    TRUST_MARTIAN_NONE) {
			STAT_INC(w->st.martian);
			return cfg->mode == CONFIG_MODE_MONITOR;
		}
		verdict_packet(&w->vc, &pi, !p->csum_unverified, now, &r);
		break;
	case PACKET_FRAGMENT:
	case PACKET_TRUNCATED:
	case PACKET_EXT_HEADERS:
		if (pi.src.family == 0) {
			STAT_INC(w->st.not_ip);
			return cfg->malformed != CONFIG_MALFORMED_DROP;
		}
		/* The source is known: charged like any malformed message. */
		count_unreadable(w, pf);
		verdict_unreadable(&w->vc, &pi.src, now, &r);
		break;
	default:
		STAT_INC(w->st.not_ip);
		return true;
	}
	count_path(w, &r);
	if (r.path == VERDICT_UDP && !r.accept && r.v.parsed &&
	    r.v.reason == POLICY_BANNED_USER && cfg->banned_user_reply == CONFIG_USER_REPLY_403 &&
	    (r.m.method == SIP_METHOD_REGISTER || r.m.method == SIP_METHOD_INVITE))
		b->rejects[b->n_rejects++] = (unsigned)(p - b->pkts);
	return r.accept;
}

/* After the verdicts: the server's messages, framed by the core. */
static void
read_reply(struct worker *w, const struct nfq_pkt *p, uint64_t now)
{
	struct packet_info pi;

	if (packet_parse(p->data, p->len, &pi) == PACKET_OK)
		verdict_server_packet(&w->vc, &pi, now);
}

/* One of a reply's bans through banops; *line is handed over with the
 * first ban that is new (then set to NULL). The answer of banops_ban(). */
static int
reply_ban(struct worker *w, const struct ban_key *k, enum ban_reason r, uint32_t secs,
	  uint64_t now, const struct banops_line **line)
{
	int ret = banops_ban(w->sh->ops, k, r, secs, now, BANOPS_PUBLISH, *line);

	if (ret > 0)
		*line = NULL;
	if (ret == -EBUSY)
		STAT_INC(w->st.bans_limited); /* banops.h: past the rate of new bans */
	return ret;
}

static void
handle_reply(void *arg, const struct sip_msg *m, uint64_t now)
{
	struct worker *w = arg;
	struct batch *b = w->batch;
	struct policy_auth a;
	struct event e;
	struct banops_line l = { .ev = &e };
	const struct banops_line *line = NULL;
	struct ban_key k;

	STAT_INC(w->st.replies_seen);
	policy_reply(&w->pol, m, now, &a);
	if (a.failure)
		STAT_INC(w->st.auth_failures);
	if (a.ban_spared)
		STAT_INC(w->st.bans_spared);
	if (a.ban_limited)
		STAT_INC(w->st.bans_limited);
	if (a.event == POLICY_EV_AUTH_BAN) {
		STAT_INC(w->st.auth_bans);
		a.ip_banned = a.ip_ban_due; /* the line as it reads when new */
		event_capture_auth(&e, &a);
		line = &l;
	}
	if (a.user_ban_due && ban_key_user(&k, a.txn.user) == 0)
		a.user_banned = reply_ban(w, &k, BAN_REASON_AUTH, a.user_ban_s, now, &line) >= 0;
	ban_key_net(&k, &a.ban_addr, a.ban_plen);
	a.ip_banned = a.ip_ban_due &&
		      reply_ban(w, &k, BAN_REASON_AUTH, a.ip_ban_s, now, &line) > 0;
	/* No ban was new: the line is still due, from the batch. */
	if (line && b->n_events < EVENTS_MAX)
		event_capture_auth(&b->events[b->n_events++], &a);
	if (a.enum_ban_due) {
		struct banops_line le = { .ev = &e };

		a.enum_banned = true;
		event_capture_enum(&e, &a);
		line = &le;
		a.enum_banned = reply_ban(w, &k, BAN_REASON_ENUM, a.enum_ban_s, now, &line) > 0;
	}
	if (a.enum_banned) {
		STAT_INC(w->st.enum_bans);
		STAT_INC(w->st.bans_created);
	}
}

/* NGCP's answer to a banned user: "403 Try again later". */
static void
reject_user(struct worker *w, const struct nfq_pkt *p, uint64_t now)
{
	struct packet_info pi;
	struct sip_msg m;
	enum sip_flaw flaw;

	if (!w->rep && !w->rep_failed) {
		int ret = sipreply_open(&w->rep);

		if (ret < 0) {
			w->rep_failed = true;
			log_msg(LOG_ERR, "worker %u: cannot send 403 replies: %s (CAP_NET_RAW "
				"is needed); banned users' requests are dropped silently",
				w->index, strerror(-ret));
		}
	}
	if (!w->rep || packet_parse(p->data, p->len, &pi) != PACKET_OK ||
	    !replylimit_take(&w->rlim, &pi.src, now) ||
	    sip_scan((const char *)pi.payload, pi.payload_len, &m, &flaw) < 0)
		return;
	if (sipreply_send(w->rep, &pi, &m, 403, "Try again later") == 0)
		STAT_INC(w->st.replies_403);
}

/* The TCP table's counts, copied into the worker's counters (stats.h):
 * the table is this thread's alone, so only the copies may be read by the
 * daemon. Done after each batch and each expiry, and when the worker
 * stops, so the last counters logged are complete. */
static void
publish_tcp_stats(struct worker *w)
{
	struct tcptab_stats ts;

	tcptab_get_stats(w->tcp, &ts);
	STAT_SET(w->st.tcp_rst_ignored, ts.rst_ignored);
	STAT_SET(w->st.tcp_syn_ignored, ts.syn_ignored);
	STAT_SET(w->st.tcp_syn_restarts, ts.syn_restarts);
	STAT_SET(w->st.tcp_rtx_mismatches, ts.rtx_mismatches);
	STAT_SET(w->st.tcp_hostile, ts.hostile);
	STAT_SET(w->st.tcp_hostile_drops, ts.hostile_drops);
	STAT_SET(w->st.tcp_no_ack, ts.no_ack);
	STAT_SET(w->st.tcp_retransmissions, ts.retransmissions);
	STAT_SET(w->st.tcp_poisoned, ts.poisoned);
	STAT_SET(w->st.tcp_resyncs, ts.resyncs);
	STAT_SET(w->st.tcp_messages, ts.messages);
	STAT_SET(w->st.tcp_keepalives, ts.keepalives);
	STAT_SET(w->st.tcp_conns_created, ts.created);
	STAT_SET(w->st.tcp_conns_closed, ts.closed);
	STAT_SET(w->st.tcp_conns_expired, ts.expired);
	STAT_SET(w->st.tcp_conns_evicted, ts.evicted);
	STAT_SET(w->st.tcp_evicted_pending, ts.evicted_pending);
	STAT_SET(w->st.tcp_alloc_failures, ts.alloc_failures);
	STAT_SET(w->st.tcp_conns, ts.conns);
	STAT_SET(w->st.tcp_conns_pending, ts.conns_pending);
	STAT_SET(w->st.tcp_bytes_buffered, ts.bytes_buffered);
	STAT_SET(w->st.tcp_bytes_allocated, ts.bytes_allocated);
	STAT_SET(w->st.tcp_bytes_history, ts.bytes_history);
}

static void
maintenance(struct worker *w, uint64_t now)
{
	srctab_expire(w->src, now, w->pol.cfg->source_idle_time * 1000u, EXPIRE_PER_ROUND);
	tcptab_expire(w->tcp, now, EXPIRE_PER_ROUND);
	publish_tcp_stats(w);
}

/* The wait batchwait.h decides, slept here: after the verdicts, bans and
 * events of the batch are out. A signal ending it early is harmless. */
static void
batch_wait(struct batchwait *bw, const struct config *cfg, int n, uint64_t now)
{
	uint32_t us = batchwait_next(bw, n > 0 ? (unsigned)n : 0, NFQ_BATCH_MAX,
				     cfg->queue_batch_wait_us, now);
	struct timespec ts = { 0, (long)us * 1000 };

	if (us)
		clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct batch *b = malloc(sizeof(*b));
	uint64_t next_maint = 0;
	bool enobufs_logged = false;
	struct batchwait bw = { 0 };

	if (!b) {
		log_msg(LOG_CRIT, "worker %u: out of memory", w->index);
		return NULL;
	}
	w->batch = b;
	w->vc = (struct verdict_core){
		.pol = &w->pol, .tcp = w->tcp, .hooks = &worker_hooks, .arg = w,
	};
	while (!atomic_load_explicit(&w->sh->stop, memory_order_acquire)) {
		uint64_t now;
		int n;

		n = nfq_recv(w->q, b->pkts, NFQ_BATCH_MAX);
		/* After the wait, not before: a change made while this
		 * worker slept in nfq_recv() (a reload, a disallow) already
		 * judges the batch that woke it. */
		follow_config(w);
		now = clock_mono_ms();
		follow_top(w, now);
		STAT_SET(w->st.heartbeat_ms, now);
		if (n < 0) {
			/* ENOBUFS means the kernel lost packets for us; it is
			 * counted by nfq and must never stop the worker. */
			if (n == -ENOBUFS && !enobufs_logged) {
				log_msg(LOG_WARNING, "queue %u: receive buffer overrun "
					"(raise queue.rcvbuf); counting further ones", w->qnum);
				enobufs_logged = true;
			} else if (n != -EAGAIN && n != -ENOBUFS) {
				log_msg(LOG_ERR, "queue %u: receive failed: %s", w->qnum,
					strerror(-n));
			}
		} else {
			b->n_events = 0;
			b->n_replies = 0;
			b->n_rejects = 0;
			for (int i = 0; i < n; i++) {
				STAT_INC(w->st.packets);
				if (judge(w, &b->pkts[i], now, b)) {
					STAT_INC(w->st.accepted);
					nfq_accept(w->q, b->pkts[i].id);
				} else {
					STAT_INC(w->st.dropped);
					nfq_drop(w->q, b->pkts[i].id);
				}
			}
			nfq_flush(w->q);
			for (unsigned i = 0; i < b->n_replies; i++)
				read_reply(w, &b->pkts[b->replies[i]], now);
			for (unsigned i = 0; i < b->n_rejects; i++)
				reject_user(w, &b->pkts[b->rejects[i]], now);
			int64_t wall = b->n_events ? clock_wall_s() : 0;

			for (unsigned i = 0; i < b->n_events; i++) {
				event_log(&b->events[i], now,
					  w->pol.cfg->mode == CONFIG_MODE_MONITOR);
				evidence_record(w->sh->evidence, &b->events[i], (uint64_t)wall);
			}
			if (n > 0)
				publish_tcp_stats(w);
		}
		if (now >= next_maint) {
			maintenance(w, now);
			next_maint = now + MAINT_INTERVAL_MS;
		}
		batch_wait(&bw, w->pol.cfg, n, now);
	}
	publish_tcp_stats(w);
	free(b);
	return NULL;
}

int
worker_start(struct worker *w)
{
	int ret = pthread_create(&w->thread, NULL, worker_main, w);

	if (ret)
		return -ret;
	w->running = true;
	return 0;
}

void
worker_fini(struct worker *w)
{
	if (w->running)
		pthread_join(w->thread, NULL);
	w->running = false;
	nfq_queue_close(w->q);
	w->q = NULL;
	srctab_free(w->src);
	w->src = NULL;
	txntab_free(w->txns);
	w->txns = NULL;
	enumtab_free(w->enums);
	w->enums = NULL;
	banrate_free(w->pol.banrate);
	w->pol.banrate = NULL;
	tcptab_free(w->tcp);
	w->tcp = NULL;
	sipreply_close(w->rep);
	w->rep = NULL;
}

void
worker_get_nfq_stats(const struct worker *w, struct nfq_stats *st)
{
	if (w->q)
		nfq_get_stats(w->q, st);
	else
		memset(st, 0, sizeof(*st));
}
