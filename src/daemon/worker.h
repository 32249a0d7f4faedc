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
#include "kernelset.h"
#include "log.h"
#include "sipreply.h"
#include "tcpstream.h"
#include "nfq.h"
#include "policy.h"
#include "srctab.h"

struct worker_stats {
	uint64_t packets;
	uint64_t accepted;
	uint64_t dropped;
	uint64_t reason[POLICY_REASON__MAX];  /* verdicts by reason */
	uint64_t sanity[SANITY__MAX];         /* malformed: the sanity check failed */
	uint64_t flaw[SIP_FLAW_TOO_MANY_HEADERS + 1]; /* malformed: not SIP at all */
	uint64_t would_drop;                  /* monitor mode */
	uint64_t tcp_passed;                  /* TCP to no SIP port: not judged */
	uint64_t tcp_segments;                /* TCP to a SIP port, framed */
	uint64_t tcp_out_of_order;            /* dropped: beyond the next expected byte */
	uint64_t tls_attempts;                /* TLS port SYNs judged (density, bans) */
	uint64_t not_ip;                      /* framing flaws, by kind below */
	uint64_t fragments;
	uint64_t truncated;
	uint64_t bans_created;
	uint64_t bans_refused;
	uint64_t kset_errors;                 /* kernel set updates that failed */
	uint64_t replies_seen;                /* server replies read after the verdict */
	uint64_t auth_failures;               /* 401/407/403 to credentials */
	uint64_t auth_bans;                   /* failed_auth_attempts reached */
	uint64_t enum_bans;                   /* enumeration detected */
	uint64_t replies_403;                 /* banned_user_reply: 403 sent */
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
