/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_VERDICT_H
#define SIPWARDEN_VERDICT_H

/*
 * verdict - the verdict core the daemon's workers and sipwarden-replay
 * share: which way a packet goes (the server's own, or to be judged), which
 * ports are SIP, UDP and TCP framing (tcpstream), and the policy on each
 * message. What differs between the two - where a ban goes (banops, or the
 * replay's table), what is counted and logged, when the server's messages
 * are read - is the caller's, through the hooks.
 *
 * The core reads no clock (now is handed in) and does no I/O of its own.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"
#include "packet.h"
#include "policy.h"
#include "sip.h"
#include "tcpstream.h"

enum verdict_dir {
	VERDICT_OTHER = 0,      /* to no SIP port of its protocol: passed, unjudged */
	VERDICT_TO_SERVER,      /* judged */
	VERDICT_FROM_SERVER,    /* the server's own: never judged, read for replies */
};

/* Where the server is, as the caller knows it. */
struct verdict_where {
	const struct addr_net *servers; /* gateway mode: the server's addresses */
	unsigned n_servers;
	bool local_out;         /* the daemon's OUTPUT hook: sent by this host */
	/* Gateway mode: the packet came in on the server's interface. A
	 * server address alone proves nothing (issue 17: UDP sources are
	 * spoofed); a capture cannot tell, and says true. */
	bool on_server_if;
	/* No server known and no hook (a capture): a packet from a SIP port
	 * to one is the server's when it is a reply (svcrack binds 5060 too). */
	bool guess;
};

bool verdict_port_in(const uint16_t *ports, unsigned n, uint16_t port);
/* Is port a SIP port of proto (UDP: udp_ports; TCP: tcp_ports or tls_ports)? */
bool verdict_sip_port(const struct config *cfg, uint8_t proto, uint16_t port);
/* *foreign (may be NULL): it claims a server address and SIP port but came
 * in elsewhere, and is judged like any other. */
enum verdict_dir verdict_direction(const struct config *cfg, const struct verdict_where *w,
				   const struct packet_info *pi, bool *foreign);

struct verdict_hooks {
	/* v->ban_due: make the ban happen and report its outcome with
	 * policy_ban_done(). m: the scanned message or NULL. */
	void (*ban)(void *arg, struct policy_verdict *v, const struct addr *src,
		    const struct sip_msg *m, uint64_t now);
	/* Each message's verdict (after the ban): counters, events. */
	void (*judged)(void *arg, const struct policy_verdict *v, const struct addr *src,
		       const struct sip_msg *m, uint64_t now);
	/* A message the server sent, scanned (UDP datagram or TCP-framed). */
	void (*server_msg)(void *arg, const struct sip_msg *m, uint64_t now);
};

struct verdict_core {
	struct policy *pol;
	struct tcptab *tcp;     /* SIP over TCP framing (per connection) */
	const struct verdict_hooks *hooks;
	void *arg;
};

/* How a packet to the server was handled. */
enum verdict_path {
	VERDICT_UDP,            /* one datagram judged (v) */
	VERDICT_UNREADABLE,     /* fragment/truncated: judged as not SIP (v) */
	VERDICT_TCP,            /* a segment framed (tcp) */
	VERDICT_TCP_BAD_CHECKSUM, /* a segment the kernel will discard: dropped */
	VERDICT_TCP_PASSED,     /* TCP to no SIP port */
	VERDICT_TLS_SYN,        /* a TLS connection attempt judged (v) */
	VERDICT_TLS_BANNED,     /* TLS from a banned source */
	VERDICT_TLS_PASSED,     /* the rest of a TLS connection */
};

struct verdict_result {
	bool accept;            /* what the kernel is told */
	uint32_t would_drop;    /* drops monitor mode let through (messages, segment) */
	enum verdict_path path;
	struct policy_verdict v;/* the paths marked (v) */
	struct sip_msg m;       /* VERDICT_UDP: the scanned message when v.parsed */
	struct tcp_result tcp;  /* VERDICT_TCP */
};

/*
 * The verdict on a packet to the server (pi parsed, PACKET_OK). In monitor
 * mode a drop is accepted (would_drop) and a TCP connection's state
 * follows what the kernel is told. csum_unknown: the L4 checksum is not
 * for us to verify (the daemon: the receiving stack will not verify it
 * either, no NFQA_SKB_CSUM_NOTVERIFIED: CHECKSUM_PARTIAL, or verified by
 * the NIC or GRO before merging; a capture: offloaded checksums are
 * common, so never trusted) and is not verified.
 */
void verdict_packet(struct verdict_core *c, const struct packet_info *pi, bool csum_unknown,
		    uint64_t now, struct verdict_result *r);
/* A packet whose payload cannot be read (a fragment, a truncated packet)
 * from a known source: charged like any malformed message. */
void verdict_unreadable(struct verdict_core *c, const struct addr *src, uint64_t now,
			struct verdict_result *r);
/* A packet the server sent: each message it completes goes to
 * hooks->server_msg. Never judged, so nothing to answer. */
void verdict_server_packet(struct verdict_core *c, const struct packet_info *pi, uint64_t now);

#endif
