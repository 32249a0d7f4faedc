/* SPDX-License-Identifier: GPL-2.0-or-later */
/* TCP stream framing: messages cut and bundled any way, bounds, expiry. */
#include "tcp_harness.h"

Test(tcpstream, two_messages_in_one_segment)
{
	char both[2048];
	struct tcp_result r;

	snprintf(both, sizeof(both), "%s%s", msg("", 3), msg("Subject: two\r\n", 0));
	r = seg(ISN, SYN, "");
	cr_assert(r.accept);
	r = seg(ISN + 1, ACK, both);
	cr_assert(r.accept);
	cr_assert_eq(r.n_complete, 2);
	cr_assert_eq(r.partial, 0);
	cr_assert_eq(rec.n, 2);
	cr_assert_str_eq(rec.msg[0], msg("", 3));
	cr_assert_str_eq(rec.msg[1], msg("Subject: two\r\n", 0));
	cr_assert_eq(stats().bytes_allocated, 0, "whole messages are framed in place");
}

Test(tcpstream, message_split_in_three_decided_on_third)
{
	const char *m = msg("X-Drop: yes\r\n", 20);
	size_t l = strlen(m), a = 10, b = l - 5; /* headers | headers+body | 5 bytes */
	struct tcp_result r;

	seg(ISN, SYN, "");
	r = seg_n(ISN + 1, ACK, m, a);
	cr_assert(r.accept && r.n_complete == 0 && r.partial == a);
	r = seg_n(ISN + 1 + a, ACK, m + a, b - a);
	cr_assert(r.accept && r.n_complete == 0 && r.partial == b);
	cr_assert_eq(rec.n, 0);
	r = seg_n(ISN + 1 + b, ACK, m + b, l - b);
	cr_assert_not(r.accept, "the segment completing a dropped message is dropped");
	cr_assert_eq(rec.n, 1);
	cr_assert_str_eq(rec.msg[0], m);
	cr_assert_eq(r.partial, 0);
	cr_assert(r.hostile);
	cr_assert_eq(stats().bytes_buffered, 0, "hostile: nothing kept");

	/* The retransmission is dropped again, not judged again. */
	r = seg_n(ISN + 1 + b, ACK, m + b, l - b);
	cr_assert(!r.accept && r.hostile);
	cr_assert_eq(rec.n, 1);
	cr_assert_eq(stats().hostile, 1);
	cr_assert_eq(stats().hostile_drops, 1);
}

Test(tcpstream, split_message_accepted_frees_buffer)
{
	const char *m = msg("", 300);
	size_t l = strlen(m);
	struct tcp_result r;

	seg(ISN, SYN, "");
	cr_assert(seg_n(ISN + 1, ACK, m, 40).accept);
	cr_assert_eq(stats().conns_pending, 1);
	cr_assert_gt(stats().bytes_allocated, 0);
	r = seg_n(ISN + 41, ACK, m + 40, l - 40);
	cr_assert(r.accept && r.n_complete == 1 && r.partial == 0);
	cr_assert_str_eq(rec.msg[0], m);
	cr_assert(stats().bytes_allocated == 0 && stats().bytes_buffered == 0);
	cr_assert_eq(stats().conns_pending, 0);
}

Test(tcpstream, byte_by_byte)
{
	const char *m = msg("", 7);
	size_t l = strlen(m);
	struct tcp_result r = { 0 };

	seg(ISN, SYN, "");
	for (size_t i = 0; i < l; i++) {
		r = seg_n(ISN + 1 + (uint32_t)i, ACK, m + i, 1);
		cr_assert(r.accept);
		cr_assert_eq(r.n_complete, i == l - 1 ? 1u : 0u, "at byte %zu", i);
	}
	cr_assert_eq(rec.n, 1);
	cr_assert_str_eq(rec.msg[0], m);
}

/* Each case on a connection of its own (source port). */
static void
expect_flaw(uint16_t port, const char *m, enum tcpstream_flaw f)
{
	unsigned n0 = rec.n;
	struct tcp_result r;

	g_sport = port;
	seg(ISN, SYN, "");
	r = seg(ISN + 1, ACK, m);
	cr_assert_eq(rec.n, n0 + 1, "%s", m);
	cr_assert_eq(rec.flaw[n0], f, "%s: got %s", m, tcpstream_flaw_name(rec.flaw[n0]));
	cr_assert(r.poisoned && !r.accept, "%s", m);
	/* Framing is lost and the flaw was dropped: nothing more is taken. */
	r = seg(ISN + 1, ACK, msg("", 0));
	cr_assert(r.hostile && !r.accept);
	cr_assert_eq(rec.n, n0 + 1);
}

Test(tcpstream, lying_content_length)
{
	char wrap[256];

	/* 2^32 + 32: a 32-bit parser would read 32 and frame a message. */
	snprintf(wrap, sizeof(wrap), "INVITE sip:a@b SIP/2.0\r\nl: 4294967328\r\n\r\n%032d", 0);
	expect_flaw(1, wrap, TCPSTREAM_CLEN_TOO_BIG);
	expect_flaw(2, "INVITE sip:a@b SIP/2.0\r\nContent-Length: 70000\r\n\r\nxx",
		    TCPSTREAM_CLEN_TOO_BIG);
	expect_flaw(3, "INVITE sip:a@b SIP/2.0\r\nContent-Length: -5\r\n\r\n", TCPSTREAM_BAD_CLEN);
	expect_flaw(4, "INVITE sip:a@b SIP/2.0\r\nContent-Length: 99999999999999999999999999999\r\n\r\n",
		    TCPSTREAM_CLEN_TOO_BIG);
	expect_flaw(5, "INVITE sip:a@b SIP/2.0\r\nVia: x\r\n\r\n", TCPSTREAM_NO_CLEN);
	expect_flaw(6, "INVITE sip:a@b SIP/2.0\r\nContent-Length: 0\r\nl: 2\r\n\r\nxx", TCPSTREAM_BAD_CLEN);
	expect_flaw(7, "INVITE sip:a@b SIP/2.0\r\nContent-Length: 5x\r\n\r\nxxxxx", TCPSTREAM_BAD_CLEN);
	expect_flaw(8, "INVITE sip:a@b SIP/2.0\r\nContent-Length: \r\n\r\n", TCPSTREAM_BAD_CLEN);
	cr_assert_eq(stats().poisoned, 8);
	cr_assert_eq(stats().bytes_allocated, 0);
}

static void
expect_ok(uint16_t port, const char *m)
{
	unsigned n0 = rec.n;
	struct tcp_result r;

	g_sport = port;
	seg(ISN, SYN, "");
	r = seg(ISN + 1, ACK, m);
	cr_assert(r.accept && r.partial == 0, "%s", m);
	cr_assert_eq(rec.n, n0 + 1, "%s", m);
	cr_assert_eq(rec.flaw[n0], TCPSTREAM_OK, "%s", m);
	cr_assert_eq(rec.len[n0], strlen(m), "%s", m);
}

Test(tcpstream, content_length_spellings)
{
	expect_ok(1, "INVITE sip:a@b SIP/2.0\r\nContent-Length: 00000000000000000000010\r\n\r\n0123456789");
	expect_ok(2, "INVITE sip:a@b SIP/2.0\r\nl:3\r\n\r\nabc");
	expect_ok(3, "INVITE sip:a@b SIP/2.0\r\nCONTENT-LENGTH \t: \t 2 \r\n\r\nab");
	/* Folded: the value on a continuation line (RFC 3261 LWS). */
	expect_ok(4, "INVITE sip:a@b SIP/2.0\r\nContent-Length:\r\n 4\r\nVia: x\r\n\r\nabcd");
	/* Repeated with the same value: framing agrees (sanity judges it). */
	expect_ok(5, "INVITE sip:a@b SIP/2.0\r\nl: 1\r\nContent-Length: 01\r\n\r\na");
	/* Bare-LF line ends, as sip_scan() and Kamailio accept them. */
	expect_ok(6, "INVITE sip:a@b SIP/2.0\nl: 2\n\nab");
	/* Content-Length-Foo is another header. */
	expect_ok(7, "INVITE sip:a@b SIP/2.0\r\nContent-Length-Foo: 9\r\nl: 0\r\n\r\n");
}

Test(tcpstream, body_limit_is_exact)
{
	/* headers + body == max_msg_bytes is allowed; one more is not. */
	static char m[4200];
	const char *h = "MESSAGE sip:a@b SIP/2.0\r\nContent-Length: ";
	int hl;
	struct tcp_result r;

	hl = snprintf(m, sizeof(m), "%s%04d\r\n\r\n", h, 0);
	snprintf(m, sizeof(m), "%s%04d\r\n\r\n", h, 4096 - hl);
	memset(m + hl, 'x', (size_t)(4096 - hl));
	seg(ISN, SYN, "");
	r = seg_n(ISN + 1, ACK, m, 2000);
	cr_assert(r.accept && r.partial == 2000);
	r = seg_n(ISN + 2001, ACK, m + 2000, 4096 - 2000);
	cr_assert(r.accept && r.n_complete == 1 && rec.flaw[0] == TCPSTREAM_OK);
	cr_assert_eq(rec.len[0], 4096);

	snprintf(m, sizeof(m), "%s%04d\r\n\r\n", h, 4097 - hl);
	r = seg_n(ISN + 4097, ACK, m, (size_t)hl);
	cr_assert_eq(rec.flaw[1], TCPSTREAM_CLEN_TOO_BIG);
	cr_assert(r.poisoned);
}

Test(tcpstream, keepalives)
{
	char s[2048];
	struct tcp_result r;

	seg(ISN, SYN, "");
	snprintf(s, sizeof(s), "%s\r\n\r\n%s", msg("", 1), msg("", 2));
	r = seg(ISN + 1, ACK, s);
	cr_assert(r.accept && r.n_complete == 2 && r.keepalives == 1 && r.partial == 0);
	uint32_t next = ISN + 1 + (uint32_t)strlen(s);

	r = seg(next, ACK, "\r\n\r\n"); /* RFC 5626 ping */
	cr_assert(r.accept && r.n_complete == 0 && r.keepalives == 1 && r.partial == 0);
	r = seg(next + 4, ACK, "\r\n"); /* pong */
	cr_assert(r.accept && r.keepalives == 1);
	r = seg(next + 6, ACK, "\r");  /* a ping split across segments */
	cr_assert(r.accept && r.partial == 0);
	r = seg(next + 7, ACK, "\n");
	cr_assert(r.accept && r.partial == 0);
	r = seg(next + 8, ACK, msg("", 0));
	cr_assert(r.accept && r.n_complete == 1);
	cr_assert_str_eq(rec.msg[2], msg("", 0), "keep-alive bytes are not part of a message");
	cr_assert_eq(stats().keepalives, 5);
}

Test(tcpstream, header_block_never_ending)
{
	char line[1001];
	struct tcp_result r = { 0 };
	uint32_t seq = ISN + 1;

	memset(line, 'a', 1000);
	line[998] = '\r';
	line[999] = '\n';
	line[1000] = 0;
	memcpy(line, "INVITE sip:a@b SIP/2.0\r\n", 24);
	seg(ISN, SYN, "");
	for (int i = 0; i < 4; i++, seq += 1000) {
		r = seg(seq, ACK, line);
		cr_assert(r.accept && r.n_complete == 0);
	}
	cr_assert_eq(stats().bytes_buffered, 4000);
	r = seg(seq, ACK, line); /* 5000 > 4096 */
	cr_assert_eq(rec.n, 1);
	cr_assert_eq(rec.flaw[0], TCPSTREAM_HDR_TOO_BIG);
	cr_assert_eq(rec.len[0], 4096);
	cr_assert(r.poisoned && !r.accept);
	cr_assert_eq(stats().bytes_buffered, 0, "memory released");
	cr_assert_eq(stats().bytes_allocated, 0, "memory released");
	cr_assert_eq(stats().conns_pending, 0);
}

Test(tcpstream, lru_eviction_counted_and_spares_pending)
{
	struct tcp_result r;

	/* Connection 1 holds a partial message and is the least recent. */
	segp(1, ISN, SYN, "");
	segp(1, ISN + 1, ACK, "INVITE sip:a@b SIP/2.0\r\n");
	for (uint16_t p = 2; p <= 64; p++)
		segp(p, ISN, SYN, "");
	cr_assert_eq(stats().conns, 64);
	for (uint16_t p = 100; p < 110; p++)
		segp(p, ISN, SYN, "");
	cr_assert_eq(stats().conns, 64);
	cr_assert_eq(stats().evicted, 10);
	cr_assert_eq(stats().evicted_pending, 0);
	cr_assert_eq(stats().conns_pending, 1, "the partial message survived");
	r = segp(1, ISN + 25, ACK, "l: 0\r\n\r\n");
	cr_assert(r.accept && r.n_complete == 1 && !r.resync);
	cr_assert_eq(rec.flaw[0], TCPSTREAM_OK);
	/* Port 2 was evicted: its next message is picked up afresh. */
	r = segp(2, ISN + 1, ACK, msg("", 0));
	cr_assert(r.resync && r.accept && r.n_complete == 1 && rec.flaw[1] == TCPSTREAM_OK);
}

Test(tcpstream, fin_frees_after_payload)
{
	struct tcp_result r;

	seg(ISN, SYN, "");
	seg_n(ISN + 1, ACK, msg("", 0), 10);
	cr_assert_eq(stats().conns, 1);
	r = seg(ISN + 11, ACK | FIN, msg("", 0) + 10);
	cr_assert(r.accept && r.closed && r.n_complete == 1);
	cr_assert_eq(stats().conns, 0);
	cr_assert_eq(stats().bytes_allocated, 0);
	cr_assert_eq(stats().closed, 1);
	r = seg(ISN + 11 + (uint32_t)strlen(msg("", 0)), ACK, "");
	cr_assert(r.untracked, "a pure ACK does not create state");
	cr_assert_eq(stats().conns, 0);
}

Test(tcpstream, dropped_fin_keeps_state)
{
	struct tcp_result r;

	seg(ISN, SYN, "");
	r = seg(ISN + 1, ACK | FIN, msg("X-Drop: 1\r\n", 0));
	cr_assert(!r.accept && !r.closed);
	cr_assert_eq(stats().conns, 1);
	r = seg(ISN + 1, ACK | FIN, msg("X-Drop: 1\r\n", 0));
	cr_assert(!r.accept && r.hostile);
	/* A FIN without payload lets the hostile connection close. */
	r = seg(ISN + 1, ACK | FIN, "");
	cr_assert(r.accept && r.closed);
}

Test(tcpstream, rst_frees_both_directions)
{
	struct tcp_result r;

	seg(ISN, SYN, "");
	g_dport = g_sport; /* the server's SYN-ACK: the reverse direction */
	g_sport = 5060;
	g_src = "198.51.100.1";
	g_dst = "203.0.113.7";
	seg(77, SYN | ACK, "");
	cr_assert_eq(stats().conns, 2);
	g_sport = g_dport;
	g_dport = 5060;
	g_src = "203.0.113.7";
	g_dst = "198.51.100.1";
	r = seg(ISN + 1, RST, "");
	cr_assert(r.accept && r.closed);
	cr_assert_eq(stats().conns, 0);
}

Test(tcpstream, accepted_retransmission_not_rejudged)
{
	const char *m = msg("", 4);
	char two[1024];
	struct tcp_result r;

	seg(ISN, SYN, "");
	r = seg(ISN + 1, ACK, m);
	cr_assert(r.accept && rec.n == 1);
	r = seg(ISN + 1, ACK, m);
	cr_assert(r.accept && r.retransmission && r.n_complete == 0);
	cr_assert_eq(rec.n, 1);
	/* Overlap: the old head is skipped, only the new tail is framed. */
	snprintf(two, sizeof(two), "%s%s", m, msg("Subject: 2\r\n", 0));
	r = seg(ISN + 1, ACK, two);
	cr_assert(r.accept && !r.retransmission && r.n_complete == 1);
	cr_assert_eq(rec.n, 2);
	cr_assert_str_eq(rec.msg[1], msg("Subject: 2\r\n", 0));
}

Test(tcpstream, dropped_message_makes_connection_hostile)
{
	struct tcp_result r;
	char a[512];

	seg(ISN, SYN, "");
	snprintf(a, sizeof(a), "%s", msg("X-Drop: 1\r\n", 0));
	r = seg(ISN + 1, ACK, a);
	cr_assert(!r.accept && rec.n == 1 && r.hostile);
	/* Whatever comes next on it, at that sequence number or after: the
	 * peer sent a message policy stops, nothing more of it is taken. */
	r = seg(ISN + 1, ACK, msg("X-Fine: 1\r\n", 0));
	cr_assert(!r.accept && r.hostile && rec.n == 1);
	r = seg(ISN + 1 + (uint32_t)strlen(a), ACK, msg("X-Fine: 1\r\n", 0));
	cr_assert(!r.accept && r.hostile && rec.n == 1);
	/* Another connection of the same source is not affected. */
	r = segp(40001, 5000, ACK, msg("X-Fine: 1\r\n", 0));
	cr_assert(r.accept && rec.n == 2);
}

Test(tcpstream, out_of_order_reported)
{
	const char *m1 = msg("", 1);
	uint32_t l1 = (uint32_t)strlen(m1);
	char m2[1024];
	struct tcp_result r;

	snprintf(m2, sizeof(m2), "%s", msg("Subject: 2\r\n", 2));
	seg(ISN, SYN, "");
	r = seg(ISN + 1 + l1, ACK, m2);
	cr_assert(r.out_of_order && !r.accept && r.n_complete == 0);
	cr_assert_eq(rec.n, 0);
	r = seg(ISN + 1, ACK, m1);
	cr_assert(r.accept && r.n_complete == 1);
	r = seg(ISN + 1 + l1, ACK, m2); /* the sender's retransmission */
	cr_assert(r.accept && r.n_complete == 1);
	cr_assert_eq(stats().out_of_order, 1);
	/* A pure ACK ahead of our expectation (data we dropped) passes. */
	r = seg(ISN + 5000, ACK, "");
	cr_assert(r.accept && !r.out_of_order);
}

/* Monitor mode accepts an out-of-order segment; forgetting the connection
 * lets the next segment resynchronise instead of staying out of step. */
Test(tcpstream, forget_after_accepting_out_of_order)
{
	const char *m1 = msg("", 1);
	uint32_t l1 = (uint32_t)strlen(m1);
	char m2[1024], m3[1024];
	uint32_t l2;
	struct tcp_result r;
	struct packet_info pi = {
		.src = A(g_src), .dst = A(g_dst), .proto = IPPROTO_TCP, .sport = g_sport,
		.dport = g_dport,
	};

	snprintf(m2, sizeof(m2), "%s", msg("Subject: 2\r\n", 2));
	snprintf(m3, sizeof(m3), "%s", msg("Subject: 3\r\n", 3));
	l2 = (uint32_t)strlen(m2);
	seg(ISN, SYN, "");
	r = seg(ISN + 1 + l1, ACK, m2);
	cr_assert(r.out_of_order && !r.accept);
	/* Without forgetting, the next in-order-for-the-sender segment is out
	 * of order again, forever. */
	r = seg(ISN + 1 + l1 + l2, ACK, m3);
	cr_assert(r.out_of_order);
	tcptab_forget(g_t, &pi);
	cr_assert_eq(stats().conns, 0);
	r = seg(ISN + 1 + l1 + l2, ACK, m3);
	cr_assert(r.accept && r.resync && r.n_complete == 1);
	/* The other direction and unknown connections: nothing happens. */
	pi.sport = 1;
	tcptab_forget(g_t, &pi);
	cr_assert_eq(stats().conns, 1);
}

Test(tcpstream, ipv6_connection)
{
	const char *ks = g_src, *kd = g_dst;
	struct tcp_result r;

	g_src = "2001:db8:c::10";
	g_dst = "2001:db8:5::1";
	seg(ISN, SYN, "");
	r = seg(ISN + 1, ACK, msg("", 5));
	cr_assert(r.accept && r.n_complete == 1);
	/* The IPv4 connection with the same ports is another connection. */
	g_src = ks;
	g_dst = kd;
	r = seg(ISN + 1, ACK, msg("", 5));
	cr_assert(r.resync);
	cr_assert_eq(stats().conns, 2);
}

Test(tcpstream, seq_wraparound)
{
	const char *m = msg("", 30);
	uint32_t l = (uint32_t)strlen(m), isn = 0xffffffffu - 40;
	struct tcp_result r;

	seg(isn, SYN, "");
	r = seg_n(isn + 1, ACK, m, 30);
	cr_assert(r.accept && r.partial == 30);
	r = seg_n(isn + 31, ACK, m + 30, l - 30); /* crosses 2^32 */
	cr_assert(r.accept && r.n_complete == 1);
	r = seg_n(isn + 31, ACK, m + 30, l - 30);
	cr_assert(r.retransmission && rec.n == 1);
	r = seg(isn + 1 + l, ACK, m);
	cr_assert(r.accept && r.n_complete == 1 && rec.n == 2);
	cr_assert_lt(isn + 1 + l, 100u);
}

Test(tcpstream, complete_plus_partial)
{
	char s[2048];
	const char *next = msg("Subject: next\r\n", 0);
	struct tcp_result r;

	/* Accepted message + start of the next: accepted, tail kept. */
	seg(ISN, SYN, "");
	snprintf(s, sizeof(s), "%s%.20s", msg("", 0), next);
	r = seg(ISN + 1, ACK, s);
	cr_assert(r.accept && r.n_complete == 1 && r.partial == 20);
	r = seg(ISN + 1 + (uint32_t)strlen(s), ACK, next + 20);
	cr_assert(r.accept && r.n_complete == 1 && r.partial == 0);
	cr_assert_str_eq(rec.msg[1], next);
}

Test(tcpstream, dropped_complete_plus_partial)
{
	char s[2048];
	const char *next = msg("Subject: next\r\n", 0);
	struct tcp_result r;

	/* The only complete message is dropped: the partial one cannot
	 * reach the server before it, so the segment is dropped and
	 * nothing of it is kept. */
	seg(ISN, SYN, "");
	snprintf(s, sizeof(s), "%s%.20s", msg("X-Drop: 1\r\n", 0), next);
	r = seg(ISN + 1, ACK, s);
	cr_assert(!r.accept && r.n_complete == 1 && r.n_dropped == 1);
	cr_assert_eq(stats().bytes_buffered, 0);
	r = seg(ISN + 1, ACK, s);
	cr_assert(r.hostile && !r.accept && rec.n == 1);
	/* A retransmission that coalesced more data: dropped all the same. */
	snprintf(s, sizeof(s), "%s%s", msg("X-Drop: 1\r\n", 0), next);
	r = seg(ISN + 1, ACK, s);
	cr_assert(r.hostile && !r.accept && rec.n == 1);
}

Test(tcpstream, bundled_dropped_message_drops_segment)
{
	char s[2048];
	struct tcp_result r;

	/* Issue 16: OPTIONS + REGISTER of a banned user in one segment. The
	 * server would read both: one dropped message drops the segment,
	 * in either order. */
	seg(ISN, SYN, "");
	snprintf(s, sizeof(s), "%s%s", msg("", 0), msg("X-Drop: 1\r\n", 0));
	r = seg(ISN + 1, ACK, s);
	cr_assert_not(r.accept, "an accepted message does not carry a dropped one");
	cr_assert_eq(r.n_complete, 2);
	cr_assert_eq(r.n_dropped, 1);
	cr_assert(r.hostile);
	g_sport = 40001;
	seg(ISN, SYN, "");
	snprintf(s, sizeof(s), "%s%s", msg("X-Drop: 1\r\n", 0), msg("", 0));
	r = seg(ISN + 1, ACK, s);
	cr_assert(!r.accept && r.n_complete == 2 && r.n_dropped == 1);
}

Test(tcpstream, framing_flaw_decides_segment)
{
	char s[2048];
	struct tcp_result r;

	/* Bytes after a framing flaw cannot be judged: an accepted message
	 * in front must not carry them through. */
	seg(ISN, SYN, "");
	snprintf(s, sizeof(s), "%sINVITE sip:x@y SIP/2.0\r\nVia: x\r\n\r\n%s", msg("", 0),
		 msg("User-Agent: friendly-scanner\r\n", 0));
	r = seg(ISN + 1, ACK, s);
	cr_assert(!r.accept && r.poisoned);
	cr_assert_eq(r.n_complete, 2);
	cr_assert_eq(rec.flaw[1], TCPSTREAM_NO_CLEN);
}

Test(tcpstream, pickup_mid_stream_resynchronises)
{
	char s[2048];
	struct tcp_result r;

	/* The tail of a message whose start predates us, then a message
	 * (a daemon configured with malformed: accept). */
	rec.accept_flawed = true;
	snprintf(s, sizeof(s), "bbbb\r\nSubject: old\r\n\r\n\r\n%s", msg("", 3));
	r = seg(5000, ACK, s);
	cr_assert(r.resync && r.accept);
	cr_assert_eq(r.n_complete, 2);
	cr_assert_eq(rec.flaw[0], TCPSTREAM_RESYNC);
	cr_assert_eq(rec.len[0], strlen(s) - strlen(msg("", 3)));
	cr_assert_eq(rec.flaw[1], TCPSTREAM_OK);
	cr_assert_str_eq(rec.msg[1], msg("", 3));
	cr_assert_eq(stats().resyncs, 1);
	r = seg(5000 + (uint32_t)strlen(s), ACK, msg("", 0));
	cr_assert(r.accept && !r.resync && r.n_complete == 1);
}

Test(tcpstream, pickup_at_message_start)
{
	struct tcp_result r;

	r = seg(5000, ACK, msg("", 3));
	cr_assert(r.resync && r.accept && r.n_complete == 1);
	cr_assert_eq(rec.flaw[0], TCPSTREAM_OK);
	/* A reply line is a start line too. */
	g_sport = 40001;
	r = seg(9000, ACK, "SIP/2.0 200 OK\r\nl: 0\r\n\r\n");
	cr_assert(r.n_complete == 1 && rec.flaw[1] == TCPSTREAM_OK);
}

Test(tcpstream, pickup_start_line_must_begin_a_line)
{
	const char *t2 = "TE sip:a@b SIP/2.0\r\nl: 0\r\n\r\n";
	struct tcp_result r;

	/* Dropped (malformed = drop): rolled back, and re-dropped. */
	r = seg(5000, ACK, "xx: y\r\nINVI");
	cr_assert_eq(rec.n, 1);
	cr_assert_eq(rec.flaw[0], TCPSTREAM_RESYNC);
	cr_assert_not(r.accept);
	r = seg(5000, ACK, "xx: y\r\nINVI");
	cr_assert(r.hostile && !r.accept && rec.n == 1);

	/* Accepted (malformed = accept): "...INVI" | "TE sip:..." must not be
	 * read as a message of method "TE": the segment did not start a line. */
	rec.accept_flawed = true;
	g_sport = 40003;
	r = seg(5000, ACK, "xx: y\r\nINVI");
	cr_assert(r.accept && rec.n == 2 && rec.flaw[1] == TCPSTREAM_RESYNC);
	r = seg(5011, ACK, t2);
	cr_assert(r.accept && r.resync);
	cr_assert_eq(rec.n, 3);
	cr_assert_eq(rec.flaw[2], TCPSTREAM_RESYNC);
	/* That segment ended a line: the next one may start a message. */
	r = seg(5011 + (uint32_t)strlen(t2), ACK, msg("", 0));
	cr_assert(r.accept && r.n_complete == 1 && rec.flaw[3] == TCPSTREAM_OK);
	r = seg(5011 + (uint32_t)strlen(t2) + (uint32_t)strlen(msg("", 0)), ACK, msg("", 1));
	cr_assert(!r.resync && r.n_complete == 1 && rec.flaw[4] == TCPSTREAM_OK);
}

Test(tcpstream, pickup_without_start_line_is_bounded)
{
	char junk[1001];
	struct tcp_result r = { 0 };
	uint32_t seq = 7000;

	/* A daemon configured to accept malformed messages lets the unframed
	 * prefix through; the search for a start line is still bounded. */
	rec.accept_flawed = true;
	memset(junk, 'z', 1000);
	junk[1000] = 0;
	for (int i = 0; i < 4; i++, seq += 1000) {
		r = seg(seq, ACK, junk);
		cr_assert(r.accept && r.resync && !r.poisoned);
	}
	r = seg(seq, ACK, junk);
	cr_assert_eq(rec.n, 5);
	cr_assert(r.poisoned, "no start line within max_msg_bytes: framing lost");
	r = seg(seq + 1000, ACK, msg("", 0));
	cr_assert(r.poisoned && rec.flaw[5] == TCPSTREAM_POISONED);
}

Test(tcpstream, expire_idle)
{
	struct packet_info pi = { 0 };
	struct tcp_result r;

	seg(ISN, SYN, "");
	seg_n(ISN + 1, ACK, "INVITE", 6);
	cr_assert_eq(tcptab_expire(g_t, 1000 + 29999, 100), 0);
	cr_assert_eq(tcptab_expire(g_t, 1000 + 30000, 100), 1);
	cr_assert_eq(stats().conns, 0);
	cr_assert_eq(stats().expired, 1);
	cr_assert_eq(stats().bytes_allocated, 0);
	cr_assert_eq(tcptab_segment(g_t, &pi, 0, cb, NULL, &r), -EINVAL);
	cr_assert(r.accept);
}

Test(tcpstream, bad_arguments)
{
	cr_assert_null(tcptab_new(15, 4096, 1));
	cr_assert_null(tcptab_new(16, 100, 1));
	cr_assert_null(tcptab_new(16, 4096, 0));
	cr_assert_str_eq(tcpstream_flaw_name(TCPSTREAM_CLEN_TOO_BIG), "content-length-too-big");
}

/* xorshift: deterministic, so a failure reproduces. */
static uint32_t
rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static const char *
nth_msg(int i)
{
	char extra[64];

	snprintf(extra, sizeof(extra), "Subject: %d\r\n", i);
	return msg(extra, (size_t)i * 7);
}

Test(tcpstream, any_segmentation_frames_the_same)
{
	static char stream[8192];
	size_t len = 0, off;
	uint32_t s = 12345;

	for (int i = 0; i < 20; i++)
		len += (size_t)snprintf(stream + len, sizeof(stream) - len, "%s%s", nth_msg(i),
					i % 3 ? "" : "\r\n\r\n");
	for (int round = 0; round < 200; round++) {
		uint32_t seq = rnd(&s);

		teardown();
		setup();
		seg(seq, SYN, "");
		for (off = 0; off < len;) {
			size_t n = 1 + rnd(&s) % (rnd(&s) % 2 ? 7 : 1500);
			struct tcp_result r;

			if (n > len - off)
				n = len - off;
			/* Now and then a retransmission overlapping the past. */
			if (off > 10 && rnd(&s) % 5 == 0)
				r = seg_n(seq + 1 + (uint32_t)(off - 10), ACK, stream + off - 10, n + 10);
			else
				r = seg_n(seq + 1 + (uint32_t)off, ACK, stream + off, n);
			cr_assert(r.accept && !r.poisoned);
			off += n;
		}
		cr_assert_eq(rec.n, 20, "round %d", round);
		for (int i = 0; i < 20; i++)
			cr_assert_str_eq(rec.msg[i], nth_msg(i));
		cr_assert_eq(stats().bytes_allocated, 0);
	}
}

Test(tcpstream, random_bytes_never_crash)
{
	static uint8_t junk[3000];
	uint32_t s = 777, seq = 1;

	rec.accept_flawed = true;
	for (int round = 0; round < 300; round++) {
		size_t n = rnd(&s) % sizeof(junk);
		static const char *frag[] = { "\r\n", "\n", "l:", "Content-Length: ", "9", " ",
					      "INVITE sip:a SIP/2.0\r\n", "SIP/2.0 200 OK\r\n", "\r" };

		for (size_t i = 0; i < n;) {
			const char *f = frag[rnd(&s) % 9];
			size_t fl = strlen(f);

			if (rnd(&s) % 4 == 0 || i + fl > n) {
				junk[i++] = (uint8_t)rnd(&s);
			} else {
				memcpy(junk + i, f, fl);
				i += fl;
			}
		}
		g_sport = (uint16_t)(rnd(&s) % 8);
		seq = rnd(&s) % 3 ? seq : rnd(&s);
		seg_n(seq, rnd(&s) % 50 ? ACK : (uint8_t)(rnd(&s) & 7), junk, n);
		seq += (uint32_t)n;
		if (round % 50 == 0)
			tcptab_expire(g_t, 1000000, 3);
	}
	cr_assert_leq(stats().conns, 64);
}
