/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_WORKER_H
#define SIPWARDEN_WORKER_H

/*
 * worker - one thread per NFQUEUE queue: receive a batch, judge each packet,
 * send the verdicts, then log what happened.
 *
 * --queue-balance hashes by address, so a source always lands on the same
 * worker: per-source state (srctab) is private to the worker and lock-free.
 * Only the ban table is shared.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "bans.h"
#include "config.h"
#include "counters.h"
#include "kernelset.h"
#include "log.h"
#include "sipreply.h"
#include "tcpstream.h"
#include "nfq.h"
#include "policy.h"
#include "srctab.h"

/* Written by the worker only (stats.h), read by the daemon. The scalar
 * counters are those of counters.h, generated; the arrays are labelled by
 * their enum's names. */
struct worker_stats {
#define WORKER_COUNTER(name, ...) uint64_t name;
	SW_COUNTERS(WORKER_COUNTER)
#undef WORKER_COUNTER
	uint64_t reason[POLICY_REASON__MAX];  /* verdicts by reason */
	uint64_t sanity[SANITY__MAX];         /* malformed: the sanity check failed */
	uint64_t flaw[SIP_FLAW_TOO_MANY_HEADERS + 1]; /* malformed: not SIP at all */
	uint64_t heartbeat_ms;                /* last loop iteration (mono ms) */
};

struct cluster;

/* The part of the daemon a worker sees. */
struct worker_shared {
	struct bantab *bans;
	struct failtab *fails;
	struct failtab *offenders;      /* repeat offenders (ban_time_increment) */
	struct config *volatile cfg;    /* swapped by reload */
	volatile uint32_t cfg_gen;
	volatile int stop;
	volatile int kset_dirty;        /* kernel set needs a resync */
	struct cluster *cluster;        /* NULL: no cluster (cluster.h) */
};

struct worker {
	unsigned index;
	uint16_t qnum;
	pthread_t thread;
	bool running;
	struct worker_shared *sh;
	struct nfq_queue *q;
	struct kernelset *ks;           /* NULL: kernel set unusable */
	struct srctab *src;
	struct txntab *txns;
	struct enumtab *enums;
	struct tcptab *tcp;             /* SIP over TCP: per-connection framing */
	struct sipreply *rep;           /* opened on first use (banned_user_reply) */
	bool rep_failed;
	struct log_ratelimit rep_rate;  /* no reflector for spoofed sources */
	bool frag_logged;               /* the fragment warning is given once */
	struct policy pol;
	struct worker_stats st;
};

/* Bind the queue and allocate the worker's tables. 0 or negative errno. */
int worker_init(struct worker *w, unsigned index, uint16_t qnum, struct worker_shared *sh);
int worker_start(struct worker *w);
/* Join the thread (after sh->stop was set) and free everything. */
void worker_fini(struct worker *w);
void worker_get_nfq_stats(const struct worker *w, struct nfq_stats *st);

#endif
