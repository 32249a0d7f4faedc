/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_WORKER_H
#define SIPWARDEN_WORKER_H

/*
 * worker - one thread per NFQUEUE queue: receive a batch, judge each packet,
 * send the verdicts, then log what happened.
 *
 * --queue-balance hashes by address, so a source always lands on the same
 * worker: per-source state (srctab) is private to the worker and lock-free.
 * The tables of struct worker_shared are shared, each with its own locks
 * (bans, failure counts, known sources, evidence); bans the policy decides
 * go through banops (banops.h), which keeps the kernel set, the cluster
 * and the log in step.
 */

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "replylimit.h"
#include "bans.h"
#include "config.h"
#include "counters.h"
#include "ctlproto.h"
#include "evidence.h"
#include "log.h"
#include "sipreply.h"
#include "tcpstream.h"
#include "nfq.h"
#include "policy.h"
#include "srctab.h"
#include "stats.h"
#include "verdict.h"

/* Written by the worker only (stats.h), read by the daemon. The scalar
 * counters are those of counters.h, generated; the arrays are labelled by
 * their enum's names. */
struct worker_stats {
#define WORKER_COUNTER(name, ...) stat_t name;
	SW_COUNTERS(WORKER_COUNTER)
#undef WORKER_COUNTER
	stat_t reason[POLICY_REASON__MAX];    /* verdicts by reason */
	stat_t sanity[SANITY__MAX];           /* malformed: the sanity check failed */
	stat_t flaw[SIP_FLAW_TOO_MANY_HEADERS + 1]; /* malformed: not SIP at all */
	stat_t heartbeat_ms;                  /* last loop iteration (mono ms) */
};

/*
 * The part of the daemon a worker sees. The daemon's main thread writes
 * cfg, cfg_gen and stop; bans go through ops (banops.h), from any thread.
 *
 * A reload stores the new cfg, then bumps cfg_gen (release; an RMW, as the
 * allow-list's bump from another thread is, so neither is lost). A worker that
 * sees the new generation (acquire) at a batch boundary switches to it and
 * reports the generation it now runs in gen_seen, under gen_lock, with a
 * broadcast of gen_cond: the daemon waits on that condition before it frees
 * the old configuration.
 */
#define WORKER_SERVER_IF_MAX 16

struct worker_shared {
	struct bantab *bans;
	struct failtab *fails;
	struct failtab *offenders;      /* repeat offenders (ban_time_increment) */
	struct knowntab *known;         /* users' known sources (lockout protection) */
	struct evidence *evidence;      /* what `sipwardenctl why` tells (evidence.h) */
	/* The operator's allow-list (allowlist.h): a change publishes a new
	 * snapshot and bumps cfg_gen, so that a worker takes the snapshot
	 * where it takes a configuration, and confirms it by gen_seen. */
	struct allowlist *allow;
	_Atomic(struct config *) cfg;   /* swapped by reload */
	atomic_uint cfg_gen;
	atomic_bool stop;
	struct banops *ops;             /* every ban goes through it */
	struct hostaddr *host;          /* the host's addresses (rtnl.c keeps them) */
	struct log_ratelimit replies;   /* 403s per second, every worker (replylimit.h) */
	/* Gateway mode: the interfaces the SIP server's messages come in
	 * on (sip.server_interface, or the routes to server_addresses);
	 * rewritten by the main thread at start and reload, read relaxed. */
	_Atomic uint32_t server_if[WORKER_SERVER_IF_MAX];
	_Atomic uint32_t n_server_if;
	pthread_mutex_t gen_lock;
	pthread_cond_t gen_cond;        /* a worker's gen_seen or top_done changed */
	/* sipwardenctl top: the main thread bumps top_req; each worker
	 * answers into its own top[] and sets top_done under gen_lock. */
	atomic_uint top_req;
	unsigned top_limit;             /* rows wanted, written before top_req */
};

struct batch;

struct worker {
	unsigned index;
	uint16_t qnum;
	pthread_t thread;
	bool running;
	struct worker_shared *sh;
	struct nfq_queue *q;
	struct srctab *src;
	struct txntab *txns;
	struct enumtab *enums;
	struct tcptab *tcp;             /* SIP over TCP: per-connection framing */
	struct sipreply *rep;           /* opened on first use (banned_user_reply) */
	bool rep_failed;
	struct replylimit rlim;         /* no reflector for spoofed sources */
	bool frag_logged;               /* the fragment warning is given once */
	struct policy pol;
	struct verdict_core vc;         /* the policy, framed: verdict.h */
	struct batch *batch;            /* the batch being judged (worker.c) */
	unsigned gen_seen;              /* under sh->gen_lock: cfg_gen in use */
	unsigned top_done;              /* under sh->gen_lock: top_req answered */
	unsigned n_top;
	struct ctl_top_src top[CTL_TOP_MAX];
	struct worker_stats st;
};

/* Bind the queue and allocate the worker's tables. 0 or negative errno. */
int worker_init(struct worker *w, unsigned index, uint16_t qnum, struct worker_shared *sh);
int worker_start(struct worker *w);
/* Join the thread (after sh->stop was set) and free everything. */
void worker_fini(struct worker *w);
void worker_get_nfq_stats(const struct worker *w, struct nfq_stats *st);

#endif
