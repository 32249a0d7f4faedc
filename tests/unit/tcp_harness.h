/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The harness of the TCP stream tests (test_tcpstream: framing;
 * test_tcpwindow: the stream tricks of issue 16): one connection driven
 * segment by segment, and what the judging callback saw.
 */
#ifndef SIPWARDEN_TEST_TCP_HARNESS_H
#define SIPWARDEN_TEST_TCP_HARNESS_H

#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "addr_harness.h"
#include "packet.h"
#include "tcpstream.h"

#define FIN 0x01
#define SYN 0x02
#define RST 0x04
#define ACK 0x10

static struct tcptab *g_t;
static const char *g_src, *g_dst;
static uint16_t g_sport, g_dport;

/* What the callback saw, in order. A message containing "X-Drop" is
 * dropped, and so is every flawed unit (as policy does for malformed). */
#define MAXREC 64
static struct {
	unsigned n;
	char msg[MAXREC][512];
	size_t len[MAXREC];
	enum tcpstream_flaw flaw[MAXREC];
	bool accept_flawed; /* as with malformed: accept in the config */
} rec;

static inline bool
cb(void *arg, const uint8_t *m, size_t len, enum tcpstream_flaw flaw)
{
	bool drop = (flaw != TCPSTREAM_OK && !rec.accept_flawed) || memmem(m, len, "X-Drop", 6) != NULL;

	(void)arg;
	if (rec.n < MAXREC) {
		size_t l = len < 511 ? len : 511;

		memcpy(rec.msg[rec.n], m, l);
		rec.msg[rec.n][l] = 0;
		rec.len[rec.n] = len;
		rec.flaw[rec.n] = flaw;
	}
	rec.n++;
	return !drop;
}

static inline void
setup(void)
{
	memset(&rec, 0, sizeof(rec));
	g_src = "203.0.113.7";
	g_dst = "198.51.100.1";
	g_sport = 40000;
	g_dport = 5060;
	g_t = tcptab_new(64, 4096, 30000);
	cr_assert_not_null(g_t);
}

static inline void
teardown(void)
{
	tcptab_free(g_t);
	g_t = NULL;
}

/* Feed one segment of the default connection; returns the result. */
static inline struct tcp_result
seg_n(uint32_t seq, uint8_t flags, const void *data, size_t len)
{
	struct packet_info pi = {
		.src = A(g_src), .dst = A(g_dst), .proto = IPPROTO_TCP, .sport = g_sport,
		.dport = g_dport, .tcp_flags = flags, .tcp_seq = seq, .payload = data, .payload_len = len,
	};
	struct tcp_result res;

	cr_assert_eq(tcptab_segment(g_t, &pi, 1000, cb, NULL, &res), 0);
	return res;
}

static inline struct tcp_result
seg(uint32_t seq, uint8_t flags, const char *s)
{
	return seg_n(seq, flags, s, strlen(s));
}

/* The same from another source port. */
static inline struct tcp_result
segp(uint16_t sport, uint32_t seq, uint8_t flags, const char *s)
{
	g_sport = sport;
	return seg(seq, flags, s);
}

/* A request with a body of blen 'b's and an extra header line. */
static inline char *
msg(const char *extra, size_t blen)
{
	static char bufs[4][4096];
	static int k;
	char *b = bufs[k++ & 3];
	int n = snprintf(b, 900, "OPTIONS sip:a@example.org SIP/2.0\r\nVia: SIP/2.0/TCP h\r\n%s"
			 "Content-Length: %zu\r\n\r\n", extra, blen);

	cr_assert_lt((size_t)n + blen, sizeof(bufs[0]), "msg(): body too long for the buffer");
	memset(b + n, 'b', blen);
	b[n + blen] = 0;
	return b;
}

static inline struct tcptab_stats
stats(void)
{
	struct tcptab_stats st;

	tcptab_get_stats(g_t, &st);
	return st;
}

#define ISN 1000u

TestSuite(tcpstream, .init = setup, .fini = teardown);

#endif
