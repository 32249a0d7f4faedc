/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TCP stream tricks of an attacker who read the source (issue 16): SYNs
 * and RSTs outside the window, retransmissions unlike what was judged,
 * payload without an ACK.
 */
#include "tcp_harness.h"

Test(tcpstream, spoofed_syn_does_not_restart)
{
	const char *m = msg("X-Drop: scanner\r\n", 0);
	struct tcp_result r;

	/* Issue 16: half a scanner's INVITE, a SYN with another ISN, then
	 * the rest: the stream is kept, the message completes and drops. */
	seg(ISN, SYN, "");
	seg_n(ISN + 1, ACK, m, 30);
	cr_assert_eq(stats().conns_pending, 1);
	r = seg(90000, SYN, "");
	cr_assert(r.accept && r.ignored && rec.n == 0);
	cr_assert_eq(stats().conns_pending, 1);
	cr_assert_eq(stats().syn_ignored, 1);
	r = seg(ISN + 31, ACK, m + 30);
	cr_assert(!r.accept && r.n_complete == 1 && r.n_dropped == 1);
	/* Data at the spoofed ISN is not a stream of its own. */
	r = seg(90001, ACK, msg("", 0));
	cr_assert(!r.accept);
}

Test(tcpstream, syn_retransmission_before_data)
{
	struct tcp_result r;

	/* No payload since the SYN: a SYN again is the same handshake. */
	seg(ISN, SYN, "");
	r = seg(ISN, SYN, "");
	cr_assert(!r.ignored);
	r = seg(ISN + 1, ACK, msg("", 0));
	cr_assert(r.accept && r.n_complete == 1);
}

/* ---- issue 16: stream tricks of an attacker who read the source ---- */

static bool
cb_observe(void *arg, const uint8_t *m, size_t len, enum tcpstream_flaw flaw)
{
	(void)arg, (void)m, (void)len, (void)flaw;
	return true;
}

/* A segment of the server (the reverse direction), observed. */
static struct tcp_result
srv_seg(uint32_t seq, uint32_t ack, uint8_t flags, const char *s)
{
	struct packet_info pi = {
		.src = A(g_dst), .dst = A(g_src), .proto = IPPROTO_TCP, .sport = g_dport,
		.dport = g_sport, .tcp_flags = flags, .tcp_seq = seq, .tcp_ack = ack,
		.payload = (const uint8_t *)s, .payload_len = strlen(s),
	};
	struct tcp_result res;

	cr_assert_eq(tcptab_observe(g_t, &pi, 1000, cb_observe, NULL, &res), 0);
	return res;
}

Test(tcpstream, rst_out_of_window_ignored)
{
	const char *m = msg("X-Drop: scanner\r\n", 0);
	char rest[1024];
	struct tcp_result r;

	/* Half a scanner's INVITE, an RST with seq 0xdeadbeef, then the rest
	 * plus an OPTIONS: the RST does not make sipwarden forget the first
	 * half, so the INVITE completes, and drops its segment. */
	seg(ISN, SYN, "");
	seg_n(ISN + 1, ACK, m, 30);
	r = seg(0xdeadbeef, RST, "");
	cr_assert(r.accept && r.ignored && !r.closed);
	cr_assert_eq(stats().conns, 1);
	cr_assert_eq(stats().rst_ignored, 1);
	/* One byte off is outside too (RFC 5961: exactly the next byte). */
	r = seg(ISN + 32, RST | ACK, "");
	cr_assert(r.ignored && stats().conns == 1);
	snprintf(rest, sizeof(rest), "%s%s", m + 30, msg("", 0));
	r = seg(ISN + 31, ACK, rest);
	cr_assert(!r.accept && r.n_complete == 2 && r.n_dropped == 1);
	cr_assert_eq(rec.flaw[0], TCPSTREAM_OK);
	cr_assert_str_eq(rec.msg[0], m);
}

Test(tcpstream, rst_in_window_closes)
{
	struct tcp_result r;

	/* Benign twin: the peer's RST at the next expected byte. */
	seg(ISN, SYN, "");
	seg(ISN + 1, ACK, msg("", 0));
	r = seg(ISN + 1 + (uint32_t)strlen(msg("", 0)), RST | ACK, "");
	cr_assert(r.accept && r.closed && !r.ignored);
	cr_assert_eq(stats().conns, 0);
}

Test(tcpstream, server_rst_closes)
{
	struct tcp_result r;

	seg(ISN, SYN, "");
	srv_seg(5000, ISN + 1, SYN | ACK, "");
	cr_assert_eq(stats().conns, 2);
	r = srv_seg(123, 0, RST, "");
	cr_assert(r.closed);
	cr_assert_eq(stats().conns, 0);
}

Test(tcpstream, port_reuse_confirmed_by_syn_ack)
{
	const char *m = msg("", 0);
	struct tcp_result r;

	/* Benign twin of the spoofed SYN: the client reuses its port after a
	 * close sipwarden did not see. The server's SYN-ACK for the new ISN
	 * restarts the stream there. */
	seg(ISN, SYN, "");
	srv_seg(5000, ISN + 1, SYN | ACK, "");
	seg_n(ISN + 1, ACK, m, 20);
	r = seg(90000, SYN, "");
	cr_assert(r.ignored);
	r = srv_seg(70000, 90001, SYN | ACK, "");
	cr_assert_eq(stats().syn_restarts, 1);
	cr_assert_eq(stats().conns_pending, 0, "the old partial message is gone");
	r = seg(90001, ACK, m);
	cr_assert(r.accept && r.n_complete == 1 && rec.flaw[0] == TCPSTREAM_OK);
	/* A SYN-ACK for an ISN nobody sent restarts nothing. */
	r = srv_seg(80000, 12345, SYN | ACK, "");
	r = seg(90001 + (uint32_t)strlen(m), ACK, m);
	cr_assert(r.accept && r.n_complete == 1);
}

Test(tcpstream, retransmission_with_other_bytes_dropped)
{
	char opt[256], inv[256];
	struct tcp_result r;

	/* Issue 16: a 224-byte OPTIONS the kernel discards (bad checksum,
	 * invalid ACK, ...), then a scanner INVITE of the same length at the
	 * same sequence number: not a retransmission of judged bytes. */
	snprintf(opt, sizeof(opt), "%s", msg("X-Pad: aaaaaaaaaaaa\r\n", 120));
	snprintf(inv, sizeof(inv), "%s", msg("X-Pad: bbbbbbbbbbbb\r\n", 120));
	cr_assert_eq(strlen(opt), strlen(inv));
	seg(ISN, SYN, "");
	r = seg(ISN + 1, ACK, opt);
	cr_assert(r.accept && rec.n == 1);
	r = seg(ISN + 1, ACK, inv);
	cr_assert(!r.accept && r.rtx_mismatch && r.hostile);
	cr_assert_eq(rec.n, 1);
	cr_assert_eq(stats().rtx_mismatches, 1);
	/* Also when the other bytes only overlap the old ones. */
	g_sport = 40001;
	seg(ISN, SYN, "");
	seg(ISN + 1, ACK, opt);
	r = seg(ISN + 41, ACK, inv + 40);
	cr_assert(!r.accept && r.rtx_mismatch);
}

Test(tcpstream, retransmission_of_acknowledged_bytes)
{
	char opt[256], two[512];
	struct tcp_result r;
	uint32_t l;

	/* Benign twin: once the server acknowledged bytes it has them and
	 * ignores any copy, so a retransmission of them passes whatever it
	 * says, and the history is released. */
	snprintf(opt, sizeof(opt), "%s", msg("X-Pad: aaaaaaaaaaaa\r\n", 120));
	l = (uint32_t)strlen(opt);
	seg(ISN, SYN, "");
	srv_seg(5000, ISN + 1, SYN | ACK, "");
	seg(ISN + 1, ACK, opt);
	cr_assert_gt(stats().bytes_history, 0);
	srv_seg(5001, ISN + 1 + l, ACK, "");
	cr_assert_eq(stats().bytes_history, 0);
	r = seg(ISN + 1, ACK, msg("X-Pad: bbbbbbbbbbbb\r\n", 120));
	cr_assert(r.accept && r.retransmission && !r.rtx_mismatch);
	/* An ACK of bytes never accepted does not release anything. */
	snprintf(two, sizeof(two), "%s%s", opt, msg("", 0));
	r = seg(ISN + 1, ACK, two);
	cr_assert(r.accept && r.n_complete == 1);
	srv_seg(5001, ISN + 100000, ACK, "");
	r = seg(ISN + 1 + l, ACK, msg("", 0));
	cr_assert(r.accept && r.retransmission);
	cr_assert_eq(rec.n, 2);
}

Test(tcpstream, retransmission_beyond_history_dropped)
{
	static char big[2200];
	int h = snprintf(big, sizeof(big), "OPTIONS sip:a@example.org SIP/2.0\r\nl: 2000\r\n\r\n");
	struct tcp_result r;
	uint32_t seq = ISN + 1;

	/* Unacknowledged bytes beyond max_msg_bytes (4096 here) are not kept:
	 * their retransmission cannot be vouched for and is dropped. */
	memset(big + h, 'b', 2000);
	big[h + 2000] = 0;
	seg(ISN, SYN, "");
	for (int i = 0; i < 3; i++) {
		r = seg(seq, ACK, big);
		cr_assert(r.accept);
		seq += (uint32_t)strlen(big);
	}
	r = seg(ISN + 1, ACK, big);
	cr_assert(!r.accept && r.rtx_mismatch);
}

Test(tcpstream, payload_without_ack_dropped)
{
	struct tcp_result r;

	/* An established receiver discards payload without ACK: accepted, it
	 * would be taken as delivered. */
	seg(ISN, SYN, "");
	r = seg(ISN + 1, 0, msg("", 0));
	cr_assert(!r.accept && r.no_ack && rec.n == 0);
	r = seg(ISN + 1, ACK, msg("", 0));
	cr_assert(r.accept && rec.n == 1);
}
