/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests: the verdict core the daemon and sipwarden-replay share
 * (verdict.h): direction (a forged server address is judged, the real
 * server's messages are read), SIP ports, UDP and TCP framing with the
 * policy per message, the hooks, monitor mode. Injected clock only.
 */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <string.h>

#include "addr_harness.h"
#include "bans.h"
#include "config.h"
#include "srctab.h"
#include "verdict.h"

static struct config *g_cfg;
static struct policy g_p;
static struct tcptab *g_tcp;
static struct verdict_core g_vc;
static struct {
	unsigned bans, judged, server;
	enum policy_reason last;
} g_seen;

static void
hook_ban(void *arg, struct policy_verdict *v, const struct addr *src, const struct sip_msg *m,
	 uint64_t now)
{
	(void)arg;
	(void)src;
	(void)m;
	g_seen.bans++;
	policy_ban_table(g_p.bans, v, now);
}

static void
hook_judged(void *arg, const struct policy_verdict *v, const struct addr *src,
	    const struct sip_msg *m, uint64_t now)
{
	(void)arg;
	(void)src;
	(void)m;
	(void)now;
	g_seen.judged++;
	g_seen.last = v->reason;
}

static void
hook_server(void *arg, const struct sip_msg *m, uint64_t now)
{
	(void)arg;
	(void)m;
	(void)now;
	g_seen.server++;
}

static const struct verdict_hooks hooks = { hook_ban, hook_judged, hook_server };

static void
setup(void)
{
	g_cfg = config_new_default();
	cr_assert_not_null(g_cfg);
	g_p.cfg = g_cfg;
	g_p.cfg_gen = 1;
	g_p.src = srctab_new(1024, g_cfg->dos_reqs_density_per_unit + 1);
	g_p.bans = bantab_new(1000);
	g_tcp = tcptab_new(64, 65535, 30000);
	cr_assert(g_p.src && g_p.bans && g_tcp);
	g_vc = (struct verdict_core){ .pol = &g_p, .tcp = g_tcp, .hooks = &hooks };
	memset(&g_seen, 0, sizeof(g_seen));
}

static void
teardown(void)
{
	srctab_free(g_p.src);
	bantab_free(g_p.bans);
	tcptab_free(g_tcp);
	config_free(g_cfg);
	memset(&g_p, 0, sizeof(g_p));
}

TestSuite(verdict, .init = setup, .fini = teardown);

static struct packet_info
udp(const char *src, uint16_t sport, const char *dst, uint16_t dport, const char *text)
{
	return (struct packet_info){
		.src = A(src), .dst = A(dst), .proto = IPPROTO_UDP, .sport = sport, .dport = dport,
		.payload = (const uint8_t *)text, .payload_len = strlen(text),
	};
}

static const char REG[] =
	"REGISTER sip:example.org SIP/2.0\r\n"
	"Via: SIP/2.0/TCP 203.0.113.7:5060;branch=z9hG4bK1\r\n"
	"Max-Forwards: 70\r\n"
	"From: <sip:110@example.org>;tag=1\r\n"
	"To: <sip:110@example.org>\r\n"
	"Call-ID: c1@203.0.113.7\r\n"
	"CSeq: 1 REGISTER\r\n"
	"User-Agent: %s\r\n"
	"Content-Length: 0\r\n\r\n";

static char *
reg(char *buf, size_t len, const char *ua)
{
	snprintf(buf, len, REG, ua);
	return buf;
}

/* The attack: a datagram claiming the server's address and SIP port that
 * did not come in on the server's interface is judged (a forged 401 must
 * not reach reply accounting), and said to be foreign. */
Test(verdict, forged_server_address_is_judged)
{
	struct addr_net srv;
	struct verdict_where w = { .servers = &srv, .n_servers = 1, .on_server_if = false };
	struct packet_info pi = udp("198.51.100.1", 5060, "198.51.100.1", 5060, "SIP/2.0 401 x");
	bool foreign = false;

	cr_assert_eq(addr_net_parse("198.51.100.1/32", &srv), 0);
	cr_assert_eq(verdict_direction(g_cfg, &w, &pi, &foreign), VERDICT_TO_SERVER);
	cr_assert(foreign);
}

/* The benign twin: the same on the server's interface is the server's. */
Test(verdict, server_on_its_interface_is_read)
{
	struct addr_net srv;
	struct verdict_where w = { .servers = &srv, .n_servers = 1, .on_server_if = true };
	struct packet_info pi = udp("198.51.100.1", 5060, "203.0.113.7", 5060, "SIP/2.0 401 x");
	bool foreign = true;

	cr_assert_eq(addr_net_parse("198.51.100.1/32", &srv), 0);
	cr_assert_eq(verdict_direction(g_cfg, &w, &pi, &foreign), VERDICT_FROM_SERVER);
	cr_assert_not(foreign);
	/* host mode: whatever this host sends is the server's */
	w = (struct verdict_where){ .local_out = true };
	cr_assert_eq(verdict_direction(g_cfg, &w, &pi, NULL), VERDICT_FROM_SERVER);
}

Test(verdict, ports_decide_what_is_sip)
{
	struct verdict_where w = { 0 };
	struct packet_info pi = udp("203.0.113.7", 40000, "198.51.100.1", 5060, "x");

	cr_assert_eq(verdict_direction(g_cfg, &w, &pi, NULL), VERDICT_TO_SERVER);
	pi.dport = 5070;
	cr_assert_eq(verdict_direction(g_cfg, &w, &pi, NULL), VERDICT_OTHER);
	/* a TLS port is SIP over TCP (its connection attempts are judged) */
	pi.proto = IPPROTO_TCP;
	pi.dport = 5061;
	cr_assert_eq(verdict_direction(g_cfg, &w, &pi, NULL), VERDICT_TO_SERVER);
	cr_assert(verdict_sip_port(g_cfg, IPPROTO_TCP, 5060));
	cr_assert_not(verdict_sip_port(g_cfg, IPPROTO_UDP, 5061));
}

/* A capture without a known server: between two SIP ports a reply is the
 * server's and a request is judged (svcrack binds 5060 too). */
Test(verdict, capture_guess_between_sip_ports)
{
	struct verdict_where w = { .guess = true };
	struct packet_info rep = udp("198.51.100.1", 5060, "203.0.113.7", 5060, "SIP/2.0 200 OK");
	struct packet_info req = udp("203.0.113.7", 5060, "198.51.100.1", 5060, "REGISTER x");

	cr_assert_eq(verdict_direction(g_cfg, &w, &rep, NULL), VERDICT_FROM_SERVER);
	cr_assert_eq(verdict_direction(g_cfg, &w, &req, NULL), VERDICT_TO_SERVER);
}

/* UDP: one message, the ban hook for a blacklisted User-Agent, then the
 * judged hook; a legitimate one passes without a ban. */
Test(verdict, udp_ban_goes_through_the_hook)
{
	char buf[1024];
	struct packet_info pi = udp("203.0.113.7", 40000, "198.51.100.1", 5060,
				    reg(buf, sizeof(buf), "friendly-scanner"));
	struct verdict_result r;

	verdict_packet(&g_vc, &pi, false, 1000, &r);
	cr_assert_eq(r.path, VERDICT_UDP);
	cr_assert_not(r.accept);
	cr_assert_eq(g_seen.bans, 1);
	cr_assert_eq(g_seen.judged, 1);
	cr_assert(r.v.new_ban);
	pi = udp("203.0.113.8", 40000, "198.51.100.1", 5060, reg(buf, sizeof(buf), "Linphone"));
	verdict_packet(&g_vc, &pi, false, 1001, &r);
	cr_assert(r.accept);
	cr_assert_eq(g_seen.bans, 1);
	cr_assert_eq(g_seen.last, POLICY_PASS);
}

/* TCP: one segment with two messages is framed into two verdicts. */
Test(verdict, tcp_segment_framed_and_each_message_judged)
{
	char a[1024], b[1024], both[2048];
	struct packet_info pi;
	struct verdict_result r;

	snprintf(both, sizeof(both), "%s%s", reg(a, sizeof(a), "Linphone"),
		 reg(b, sizeof(b), "Linphone"));
	pi = (struct packet_info){
		.src = A("203.0.113.7"), .dst = A("198.51.100.1"), .proto = IPPROTO_TCP,
		.sport = 40000, .dport = 5060, .tcp_flags = 0x02, .tcp_seq = 100,
	};
	verdict_packet(&g_vc, &pi, true, 1000, &r); /* SYN */
	cr_assert_eq(r.path, VERDICT_TCP);
	cr_assert_eq(g_seen.judged, 0);
	pi.tcp_flags = 0x18; /* PSH ACK */
	pi.tcp_seq = 101;
	pi.payload = (const uint8_t *)both;
	pi.payload_len = strlen(both);
	verdict_packet(&g_vc, &pi, true, 1001, &r);
	cr_assert_eq(r.path, VERDICT_TCP);
	cr_assert_eq(g_seen.judged, 2);
	cr_assert(r.accept);
	/* a TCP port that is no SIP port passes unjudged */
	pi.dport = 8080;
	verdict_packet(&g_vc, &pi, true, 1002, &r);
	cr_assert_eq(r.path, VERDICT_TCP_PASSED);
	cr_assert_eq(g_seen.judged, 2);
}

/* Monitor mode: the drop is let through and counted as such. */
Test(verdict, monitor_lets_a_drop_through)
{
	char buf[1024];
	struct packet_info pi = udp("203.0.113.9", 40000, "198.51.100.1", 5060,
				    reg(buf, sizeof(buf), "friendly-scanner"));
	struct verdict_result r;

	g_cfg->mode = CONFIG_MODE_MONITOR;
	verdict_packet(&g_vc, &pi, false, 1000, &r);
	cr_assert(r.accept);
	cr_assert_eq(r.would_drop, 1);
	cr_assert(r.v.drop);
}

/* The server's messages go to the server hook, UDP and TCP alike. */
Test(verdict, server_messages_reach_the_hook)
{
	struct packet_info pi = udp("198.51.100.1", 5060, "203.0.113.7", 40000,
				    "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 203.0.113.7\r\n"
				    "Call-ID: c\r\nCSeq: 1 REGISTER\r\nFrom: <sip:a@b>;tag=1\r\n"
				    "To: <sip:a@b>\r\nContent-Length: 0\r\n\r\n");

	verdict_server_packet(&g_vc, &pi, 1000);
	cr_assert_eq(g_seen.server, 1);
	cr_assert_eq(g_seen.judged, 0);
}

static struct packet_info
tcp(const char *src, uint16_t sport, const char *dst, uint16_t dport, uint8_t flags, uint32_t seq,
    uint32_t ack, const char *text)
{
	return (struct packet_info){
		.src = A(src), .dst = A(dst), .proto = IPPROTO_TCP, .sport = sport, .dport = dport,
		.tcp_flags = flags, .tcp_seq = seq, .tcp_ack = ack,
		.payload = (const uint8_t *)text, .payload_len = text ? strlen(text) : 0,
	};
}

/* Gateway mode over TCP, the same rule as UDP: a segment claiming the
 * server's address and TCP SIP port is the server's only when it came in
 * on the server's interface. The forged one (a "200 OK" from the clients'
 * side, on a live connection's 4-tuple) goes where the worker sends any
 * VERDICT_TO_SERVER packet, and there, bound for a client's port, it is
 * TCP that no SIP port receives: passed on, never read, so it never
 * reaches reply accounting. The real one on the server's interface is
 * framed from the server's stream and read. */
Test(verdict, gateway_tcp_reply_read_only_from_the_server_interface)
{
	static const char reply[] =
		"SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 203.0.113.7:40000;branch=z9hG4bK1\r\n"
		"From: <sip:110@example.org>;tag=1\r\nTo: <sip:110@example.org>;tag=2\r\n"
		"Call-ID: c1@203.0.113.7\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n";
	char buf[1024];
	const char *req = reg(buf, sizeof(buf), "Linphone");
	struct addr_net srv;
	struct verdict_where off = { .servers = &srv, .n_servers = 1, .on_server_if = false };
	struct verdict_where on = { .servers = &srv, .n_servers = 1, .on_server_if = true };
	struct packet_info pi;
	struct verdict_result r;
	bool foreign;

	cr_assert_eq(addr_net_parse("198.51.100.1/32", &srv), 0);
	/* handshake and the client's REGISTER */
	pi = tcp("203.0.113.7", 40000, "198.51.100.1", 5060, 0x02, 100, 0, NULL);
	cr_assert_eq(verdict_direction(g_cfg, &off, &pi, NULL), VERDICT_TO_SERVER);
	verdict_packet(&g_vc, &pi, true, 1000, &r);
	pi = tcp("198.51.100.1", 5060, "203.0.113.7", 40000, 0x12, 5000, 101, NULL);
	cr_assert_eq(verdict_direction(g_cfg, &on, &pi, NULL), VERDICT_FROM_SERVER);
	verdict_server_packet(&g_vc, &pi, 1001);
	pi = tcp("203.0.113.7", 40000, "198.51.100.1", 5060, 0x18, 101, 5001, req);
	verdict_packet(&g_vc, &pi, true, 1002, &r);
	cr_assert(r.accept);
	cr_assert_eq(g_seen.judged, 1);

	/* the forgery: handed to verdict_packet() as the worker does, not read */
	pi = tcp("198.51.100.1", 5060, "203.0.113.7", 40000, 0x18, 5001, 101 + strlen(req), reply);
	foreign = false;
	cr_assert_eq(verdict_direction(g_cfg, &off, &pi, &foreign), VERDICT_TO_SERVER);
	cr_assert(foreign);
	verdict_packet(&g_vc, &pi, true, 1003, &r);
	cr_assert_eq(r.path, VERDICT_TCP_PASSED);
	cr_assert_eq(g_seen.server, 0);
	cr_assert_eq(g_seen.judged, 1);

	/* the benign twin: the same bytes on the server's interface are read */
	foreign = true;
	cr_assert_eq(verdict_direction(g_cfg, &on, &pi, &foreign), VERDICT_FROM_SERVER);
	cr_assert_not(foreign);
	verdict_server_packet(&g_vc, &pi, 1004);
	cr_assert_eq(g_seen.server, 1);
	cr_assert_eq(g_seen.judged, 1);
}

static const char OPT[] =
	"OPTIONS sip:example.org SIP/2.0\r\n"
	"Via: SIP/2.0/TCP 203.0.113.7:5060;branch=z9hG4bK0\r\n"
	"Max-Forwards: 70\r\n"
	"From: <sip:111@example.org>;tag=9\r\n"
	"To: <sip:example.org>\r\n"
	"Call-ID: c0@203.0.113.7\r\n"
	"CSeq: 1 OPTIONS\r\n"
	"User-Agent: Linphone\r\n"
	"Content-Length: 0\r\n\r\n";

/* An OPTIONS that passes alone, then `second` in the same segment, on a
 * fresh connection from src. Returns the segment's result. */
static struct verdict_result
bundle(const char *src, uint16_t sport, const char *second, uint64_t now)
{
	char both[2048];
	struct packet_info pi;
	struct verdict_result r;

	snprintf(both, sizeof(both), "%s%s", OPT, second);
	pi = tcp(src, sport, "198.51.100.1", 5060, 0x02, 100, 0, NULL);
	verdict_packet(&g_vc, &pi, true, now, &r);
	pi = tcp(src, sport, "198.51.100.1", 5060, 0x18, 101, 1, both);
	verdict_packet(&g_vc, &pi, true, now + 1, &r);
	return r;
}

/* Bundling (issue 16, item 1): a segment that completes any message
 * judged drop is dropped, whatever dropped it - a banned user's REGISTER,
 * a malformed message, a scanner's UA with ua_ban_ip: no (no ban, so no
 * kernel set to catch the rest either) - and its connection is hostile,
 * so the OPTIONS in front cannot carry the rest through. The benign twin
 * (the same bundle with a clean REGISTER) is accepted. */
Test(verdict, bundled_drop_decides_the_segment_for_every_reason)
{
	char buf[1024];
	struct ban_key k;
	struct verdict_result r;
	struct addr scan;
	static const char no_callid[] =
		"INVITE sip:112@example.org SIP/2.0\r\n"
		"Via: SIP/2.0/TCP 203.0.113.7:5060;branch=z9hG4bK2\r\n"
		"Max-Forwards: 70\r\n"
		"From: <sip:112@example.org>;tag=2\r\n"
		"To: <sip:112@example.org>\r\n"
		"CSeq: 1 INVITE\r\n"
		"Content-Length: 0\r\n\r\n";

	r = bundle("203.0.113.20", 40001, reg(buf, sizeof(buf), "Linphone"), 1000);
	cr_assert(r.accept);
	cr_assert_eq(r.tcp.n_complete, 2);
	cr_assert_eq(r.tcp.n_dropped, 0);

	/* the banned user */
	cr_assert_eq(ban_key_user(&k, "110@example.org"), 0);
	cr_assert_eq(bantab_add(g_p.bans, &k, BAN_REASON_MANUAL, 2000, 600000), 1);
	r = bundle("203.0.113.21", 40002, reg(buf, sizeof(buf), "Linphone"), 2000);
	cr_assert_not(r.accept);
	cr_assert_eq(r.tcp.n_dropped, 1);
	cr_assert(r.tcp.hostile);
	cr_assert_eq(g_seen.last, POLICY_BANNED_USER);

	/* the malformed message */
	r = bundle("203.0.113.22", 40003, no_callid, 3000);
	cr_assert_not(r.accept);
	cr_assert(r.tcp.hostile);
	cr_assert_eq(g_seen.last, POLICY_MALFORMED);

	/* the scanner with ua_ban_ip: no: dropped, nobody banned */
	g_cfg->ua_ban_ip = false;
	r = bundle("203.0.113.23", 40004, reg(buf, sizeof(buf), "friendly-scanner"), 4000);
	cr_assert_not(r.accept);
	cr_assert(r.tcp.hostile);
	cr_assert_eq(g_seen.last, POLICY_UA);
	cr_assert_eq(g_seen.bans, 0);
	scan = A("203.0.113.23");
	cr_assert_not(policy_ip_banned(&g_p, &scan, 4002));
}

/* A whole IPv4 TCP packet from 203.0.113.30:sport to 198.51.100.1:5060 as
 * the queue hands it, its TCP checksum right or (bad) off by one. */
static size_t
tcp4_packet(uint8_t *out, size_t cap, uint16_t sport, uint8_t flags, uint32_t seq,
	    const char *text, bool bad)
{
	static const uint8_t src[4] = { 203, 0, 113, 30 }, dst[4] = { 198, 51, 100, 1 };
	size_t plen = text ? strlen(text) : 0, tl = 20 + plen, len = 20 + tl;
	uint32_t sum = 0;
	uint8_t *t = out + 20;

	cr_assert_leq(len, cap);
	memset(out, 0, 40);
	out[0] = 0x45;
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	out[6] = 0x40; /* DF: whole */
	out[8] = 64;
	out[9] = IPPROTO_TCP;
	memcpy(out + 12, src, 4);
	memcpy(out + 16, dst, 4);
	t[0] = (uint8_t)(sport >> 8);
	t[1] = (uint8_t)sport;
	t[2] = 5060 >> 8;
	t[3] = 5060 & 0xff;
	for (int i = 0; i < 4; i++)
		t[4 + i] = (uint8_t)(seq >> (24 - 8 * i));
	t[11] = 1; /* ack 1 */
	t[12] = 5 << 4;
	t[13] = flags;
	t[14] = t[15] = 0xff;
	if (plen)
		memcpy(t + 20, text, plen);
	/* pseudo-header, then the segment as 16-bit words */
	for (int i = 0; i < 4; i += 2)
		sum += (uint32_t)(src[i] << 8 | src[i + 1]) + (uint32_t)(dst[i] << 8 | dst[i + 1]);
	sum += IPPROTO_TCP + (uint32_t)tl;
	for (size_t i = 0; i < tl; i += 2)
		sum += (uint32_t)t[i] << 8 | (i + 1 < tl ? t[i + 1] : 0);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	if (bad)
		sum ^= 1;
	t[16] = (uint8_t)(sum >> 8);
	t[17] = (uint8_t)sum;
	return len;
}

static void
send4(uint16_t sport, uint8_t flags, uint32_t seq, const char *text, bool bad, uint64_t now,
      struct verdict_result *r)
{
	static uint8_t pkt[4096];
	struct packet_info pi;
	size_t len = tcp4_packet(pkt, sizeof(pkt), sport, flags, seq, text, bad);

	cr_assert_eq(packet_parse(pkt, len, &pi), PACKET_OK);
	/* csum_unknown false: the kernel said it will verify (NOTVERIFIED) */
	verdict_packet(&g_vc, &pi, false, now, r);
}

/* Insertion (issue 16, item 1): a segment with a wrong checksum, which the
 * server's stack will discard, is dropped unframed and leaves no trace in
 * the stream; the scanner's REGISTER sent next at the same sequence number
 * is judged as the first bytes there (not taken for a retransmission) and
 * dropped, its source banned. The benign twin: the same OPTIONS with a
 * right checksum is framed, judged and accepted. */
Test(verdict, bad_checksum_segment_is_not_taken_into_the_stream)
{
	char buf[1024];
	struct verdict_result r;

	send4(40010, 0x02, 100, NULL, false, 1000, &r); /* SYN */
	send4(40010, 0x18, 101, OPT, true, 1001, &r);
	cr_assert_eq(r.path, VERDICT_TCP_BAD_CHECKSUM);
	cr_assert_not(r.accept);
	cr_assert_eq(g_seen.judged, 0);
	send4(40010, 0x18, 101, reg(buf, sizeof(buf), "friendly-scanner"), false, 1002, &r);
	cr_assert_eq(r.path, VERDICT_TCP);
	cr_assert_not(r.tcp.retransmission);
	cr_assert_not(r.accept);
	cr_assert_eq(g_seen.judged, 1);
	cr_assert_eq(g_seen.last, POLICY_UA);
	cr_assert_eq(g_seen.bans, 1);

	/* the twin, on another connection of a clean source port */
	memset(&g_seen, 0, sizeof(g_seen));
	bantab_clear(g_p.bans);
	send4(40011, 0x02, 500, NULL, false, 2000, &r);
	send4(40011, 0x18, 501, OPT, false, 2001, &r);
	cr_assert_eq(r.path, VERDICT_TCP);
	cr_assert(r.accept);
	cr_assert_eq(g_seen.judged, 1);
	cr_assert_eq(g_seen.last, POLICY_PASS);
}
