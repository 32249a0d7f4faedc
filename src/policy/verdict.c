/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <netinet/in.h>
#include <string.h>

#include "verdict.h"

bool
verdict_port_in(const uint16_t *ports, unsigned n, uint16_t port)
{
	for (unsigned i = 0; i < n; i++)
		if (ports[i] == port)
			return true;
	return false;
}

bool
verdict_sip_port(const struct config *cfg, uint8_t proto, uint16_t port)
{
	if (proto == IPPROTO_TCP)
		return verdict_port_in(cfg->tcp_ports, cfg->n_tcp_ports, port) ||
		       verdict_port_in(cfg->tls_ports, cfg->n_tls_ports, port);
	return verdict_port_in(cfg->udp_ports, cfg->n_udp_ports, port);
}

static bool
is_server(const struct verdict_where *w, const struct addr *a)
{
	for (unsigned i = 0; i < w->n_servers; i++)
		if (addr_net_contains(&w->servers[i], a))
			return true;
	return false;
}

/*
 * From the server: sent by this host (OUTPUT path, host mode) or, in
 * gateway mode, from a server address and a SIP port. To the server: to a
 * SIP port of the packet's protocol (a TLS one included: its connection
 * attempts are judged).
 */
enum verdict_dir
verdict_direction(const struct config *cfg, const struct verdict_where *w,
		  const struct packet_info *pi, bool *foreign)
{
	bool to_sip = verdict_sip_port(cfg, pi->proto, pi->dport);
	/* The server's TLS bytes cannot be read: only its TCP SIP ports. */
	bool from_sip = pi->proto == IPPROTO_TCP ?
			verdict_port_in(cfg->tcp_ports, cfg->n_tcp_ports, pi->sport) :
			verdict_port_in(cfg->udp_ports, cfg->n_udp_ports, pi->sport);

	if (foreign)
		*foreign = false;
	if (w->local_out)
		return VERDICT_FROM_SERVER;
	if (w->n_servers) {
		if (from_sip && is_server(w, &pi->src)) {
			if (w->on_server_if)
				return VERDICT_FROM_SERVER;
			/* A forgery, or a path the operator did not say: judged
			 * like any message, whichever port it goes to. */
			if (foreign)
				*foreign = true;
			return VERDICT_TO_SERVER;
		}
		return to_sip ? VERDICT_TO_SERVER : VERDICT_OTHER;
	}
	if (!w->guess)
		return to_sip ? VERDICT_TO_SERVER : VERDICT_OTHER;
	if (to_sip && !from_sip)
		return VERDICT_TO_SERVER;
	if (from_sip && !to_sip)
		return VERDICT_FROM_SERVER;
	if (!to_sip)
		return VERDICT_OTHER;
	/* SIP port to SIP port: a reply is the server's, a request is judged.
	 * (Over TCP the first bytes of a segment need not start a message:
	 * only UDP is guessed from its payload.) */
	if (pi->proto == IPPROTO_TCP)
		return VERDICT_TO_SERVER;
	return pi->payload_len >= 4 && memcmp(pi->payload, "SIP/", 4) == 0 ? VERDICT_FROM_SERVER
									     : VERDICT_TO_SERVER;
}

/* One message: the policy, the ban it decided, the caller's accounting.
 * Returns whether the message is accepted as the kernel is told. */
static bool
judge_msg(struct verdict_core *c, const struct addr *src, const uint8_t *msg, size_t len,
	  uint64_t now, struct sip_msg *m, struct policy_verdict *v, uint32_t *would_drop)
{
	policy_judge(c->pol, src, msg, len, now, m, v);
	if (v->ban_due)
		c->hooks->ban(c->arg, v, src, v->parsed ? m : NULL, now);
	c->hooks->judged(c->arg, v, src, v->parsed ? m : NULL, now);
	if (v->drop && c->pol->cfg->mode == CONFIG_MODE_MONITOR) {
		(*would_drop)++;
		return true;
	}
	return !v->drop;
}

struct tcp_ctx {
	struct verdict_core *c;
	const struct packet_info *pi;
	uint64_t now;
	uint32_t would_drop;
};

/* One message framed out of a TCP stream: judged like a UDP datagram. A
 * framing flaw is judged as an empty payload, i.e. not SIP: its bytes are
 * never trusted. In monitor mode the stream state must follow what the
 * kernel is told: accept. */
static bool
tcp_msg(void *arg, const uint8_t *msg, size_t len, enum tcpstream_flaw flaw)
{
	struct tcp_ctx *x = arg;
	struct policy_verdict v;
	struct sip_msg m;

	if (flaw != TCPSTREAM_OK) {
		msg = (const uint8_t *)"";
		len = 0;
	}
	return judge_msg(x->c, &x->pi->src, msg, len, x->now, &m, &v, &x->would_drop);
}

/*
 * SIP over TCP: segments to a TCP SIP port are framed per connection and
 * dropped only when every message they complete is dropped (tcpstream.h).
 * TLS ports cannot be read: their connection attempts count for density
 * and banned sources are dropped; the rest passes.
 */
static void
judge_tcp(struct verdict_core *c, const struct packet_info *pi, bool csum_unknown, uint64_t now,
	  struct verdict_result *r)
{
	const struct config *cfg = c->pol->cfg;
	bool monitor = cfg->mode == CONFIG_MODE_MONITOR;

	if (verdict_port_in(cfg->tls_ports, cfg->n_tls_ports, pi->dport)) {
		if ((pi->tcp_flags & 0x12) == 0x02) { /* SYN without ACK */
			r->path = VERDICT_TLS_SYN;
			policy_judge_opaque(c->pol, &pi->src, now, &r->v);
			if (r->v.ban_due)
				c->hooks->ban(c->arg, &r->v, &pi->src, NULL, now);
			c->hooks->judged(c->arg, &r->v, &pi->src, NULL, now);
			r->accept = !r->v.drop || monitor;
			r->would_drop = r->v.drop && monitor ? 1 : 0;
			return;
		}
		if (policy_ip_banned(c->pol, &pi->src, now)) {
			r->path = VERDICT_TLS_BANNED;
			r->accept = monitor;
			r->would_drop = monitor ? 1 : 0;
			return;
		}
		r->path = VERDICT_TLS_PASSED;
		r->accept = true;
		return;
	}
	if (!verdict_port_in(cfg->tcp_ports, cfg->n_tcp_ports, pi->dport)) {
		r->path = VERDICT_TCP_PASSED;
		r->accept = true;
		return;
	}
	if (!csum_unknown && !packet_l4_checksum_ok(pi)) {
		/* The kernel will discard it: nothing of it may be taken as
		 * part of the stream (doc/tcp.md). Dropped, since it is. */
		r->path = VERDICT_TCP_BAD_CHECKSUM;
		r->accept = monitor;
		return;
	}
	r->path = VERDICT_TCP;
	{
		struct tcp_ctx x = { c, pi, now, 0 };

		tcptab_segment(c->tcp, pi, now, tcp_msg, &x, &r->tcp);
		r->would_drop = x.would_drop;
	}
	r->accept = r->tcp.accept;
	if (!r->accept && monitor) {
		/* Accepted after all: the stream state must not wait for a
		 * retransmission that will never come. */
		tcptab_forget(c->tcp, pi);
		r->accept = true;
		r->would_drop++;
	}
}

void
verdict_packet(struct verdict_core *c, const struct packet_info *pi, bool csum_unknown,
	       uint64_t now, struct verdict_result *r)
{
	r->accept = true;
	r->would_drop = 0;
	if (pi->proto == IPPROTO_TCP) {
		judge_tcp(c, pi, csum_unknown, now, r);
		return;
	}
	r->path = VERDICT_UDP;
	r->accept = judge_msg(c, &pi->src, pi->payload ? pi->payload : (const uint8_t *)"",
			      pi->payload_len, now, &r->m, &r->v, &r->would_drop);
}

void
verdict_unreadable(struct verdict_core *c, const struct addr *src, uint64_t now,
		   struct verdict_result *r)
{
	r->would_drop = 0;
	r->path = VERDICT_UNREADABLE;
	r->accept = judge_msg(c, src, (const uint8_t *)"", 0, now, &r->m, &r->v, &r->would_drop);
}

struct server_ctx {
	struct verdict_core *c;
	uint64_t now;
};

/* A message framed out of the server's TCP stream: read, never judged. */
static bool
tcp_server_msg(void *arg, const uint8_t *msg, size_t len, enum tcpstream_flaw flaw)
{
	struct server_ctx *x = arg;
	struct sip_msg m;
	enum sip_flaw f;

	if (flaw == TCPSTREAM_OK && sip_scan((const char *)msg, len, &m, &f) == 0)
		x->c->hooks->server_msg(x->c->arg, &m, x->now);
	return true;
}

void
verdict_server_packet(struct verdict_core *c, const struct packet_info *pi, uint64_t now)
{
	struct sip_msg m;
	enum sip_flaw flaw;

	if (pi->proto == IPPROTO_TCP) {
		/* The server's side of a TCP connection is framed like the
		 * client's (its own direction in the table, as the server's
		 * stack sees it: tcptab_observe()); TLS is not. */
		struct server_ctx x = { c, now };
		struct tcp_result r;

		if (verdict_port_in(c->pol->cfg->tcp_ports, c->pol->cfg->n_tcp_ports, pi->sport))
			tcptab_observe(c->tcp, pi, now, tcp_server_msg, &x, &r);
		return;
	}
	if (sip_scan((const char *)pi->payload, pi->payload_len, &m, &flaw) == 0)
		c->hooks->server_msg(c->arg, &m, now);
}
