/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_REPLAY_REPORT_H
#define SIPWARDEN_REPLAY_REPORT_H

/*
 * replay_report - what sipwarden-replay prints: one line per ban (and the
 * first few drops of each kind), in the daemon's log wording, as text or
 * JSON, and the summary at the end of the capture.
 *
 * The replay's state, struct replay, is declared here because the report
 * reads most of it (counters, the ban table, the clock); replay.c fills it
 * from the capture (replay_pcap.h) through the daemon's verdict core.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "policy.h"
#include "tcpstream.h"
#include "verdict.h"

#define REPLAY_MAX_SERVERS 64

enum replay_note { REPLAY_NOTE_UA, REPLAY_NOTE_MALFORMED, REPLAY_NOTE_REFUSED, REPLAY_NOTE__MAX };

struct replay_stats {
	uint64_t packets, snapped, link_short, not_ip, fragments, ip_bad, other_proto;
	uint64_t not_sip, tcp_segments, tls_packets, undirected;
	uint64_t judged, dropped, from_server, server_msgs, server_replies;
	uint64_t reason[POLICY_REASON__MAX];
	uint64_t auth_failures, auth_successes, blocklisted;
	uint64_t bans_ip[BAN_REASON__MAX], bans_user, bans_refused;
	uint64_t backwards;
	uint64_t notes[REPLAY_NOTE__MAX];
};

struct replay {
	struct config *cfg;
	const char *cfg_path;     /* NULL: built-in defaults */
	struct policy pol;
	struct tcptab *tcp;
	struct verdict_core vc;
	uint64_t ts_us;           /* the packet's, for the hooks' lines */
	struct addr_net servers[REPLAY_MAX_SERVERS];
	unsigned n_servers;
	bool quiet, json;
	FILE *out;
	uint64_t now_ms, next_maint_ms, first_us, last_us;
	bool have_time;
	struct replay_stats st;
};

/* A judged message's line, when it banned, was refused a ban, or was a
 * User-Agent or malformed-SIP drop (those only in full mode, the first
 * few of each kind). */
void replay_report_verdict(struct replay *r, uint64_t ts_us, const struct policy_verdict *v,
			   const struct addr *src, const struct sip_msg *m);

/* The lines for a server's reply that banned a user, an address or an
 * enumerating source (policy_reply()); counts those bans. */
void replay_report_auth(struct replay *r, uint64_t ts_us, const struct policy_auth *a);

/* The summary of a capture: counters, bans, and the bans in force at its
 * end (text, or one JSON object with --json). */
void replay_report_summary(struct replay *r, const char *path, const char *linktype);

#endif
