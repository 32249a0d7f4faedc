/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_tcpstream - TCP stream framing (tcptab_*), driven as the worker
 * drives it.
 *
 * An input is a script of segments. Each record is a 10-byte header and
 * its payload:
 *   0     op: bits 0-1 pick one of four connections (two ports each way),
 *         bit 2 = the server's direction (tcptab_observe), bit 3 = the
 *         callback drops every message of this segment, bit 4 = forget
 *         the connection afterwards, bit 5 = run tcptab_expire() first
 *   1     TCP flags
 *   2-5   sequence number (little-endian)
 *   6-7   acknowledgement number's low 16 bits (the high ones follow the
 *         sequence number, so that ACKs land near the window)
 *   8     milliseconds to advance the clock (x 64)
 *   9     payload length (the rest of the input when larger)
 * The table is small (16 connections, 4 KiB messages) so that eviction,
 * buffer limits and poisoning are reached quickly. Checks: every unit
 * handed to the callback lies within the message bound, and the table's
 * accounting agrees with its bounds after every segment.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcpstream.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CONNS 16
#define MSG_MAX 4096

struct judge {
	bool drop;
	uint64_t units;
};

static bool
judge(void *arg, const uint8_t *msg, size_t len, enum tcpstream_flaw flaw)
{
	struct judge *j = arg;
	volatile uint8_t sink = 0;

	CHECK((unsigned)flaw < TCPSTREAM_FLAW__MAX);
	/* Touch every byte: ASan sees a unit that points outside memory. */
	for (size_t i = 0; i < len; i++)
		sink ^= msg[i];
	(void)sink;
	j->units++;
	return !j->drop;
}

static void
check_stats(const struct tcptab *t)
{
	struct tcptab_stats st;

	tcptab_get_stats(t, &st);
	CHECK(st.conns <= st.capacity);
	CHECK(st.conns_pending <= st.conns);
	CHECK(st.bytes_buffered <= st.bytes_allocated);
	/* The worst case tcpstream.h promises: 2 * max_conns * max_msg. */
	CHECK(st.bytes_allocated + st.bytes_history <= 2ull * CONNS * MSG_MAX);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tcptab *t = tcptab_new(CONNS, MSG_MAX, 30000);
	struct addr client, server;
	uint64_t now = 1000;
	static const uint8_t c4[4] = { 203, 0, 113, 7 }, s4[4] = { 198, 51, 100, 1 };

	if (!t)
		return 0;
	addr_from_v4(&client, c4);
	addr_from_v4(&server, s4);
	while (size >= 10) {
		uint8_t op = data[0];
		uint32_t seq, ack16, len = data[9];
		struct packet_info pi;
		struct tcp_result res;
		struct judge j = { .drop = (op & 8) != 0 };
		bool from_server = (op & 4) != 0;
		uint16_t cport = (uint16_t)(40000 + (op & 3));
		int r;

		memcpy(&seq, data + 2, 4);
		ack16 = (uint32_t)data[6] | (uint32_t)data[7] << 8;
		now += (uint64_t)data[8] * 64;
		data += 10;
		size -= 10;
		if (len > size)
			len = (uint32_t)size;

		memset(&pi, 0, sizeof(pi));
		pi.proto = IPPROTO_TCP;
		pi.src = from_server ? server : client;
		pi.dst = from_server ? client : server;
		pi.sport = from_server ? 5060 : cport;
		pi.dport = from_server ? cport : 5060;
		pi.tcp_flags = data[-9];
		pi.tcp_seq = seq;
		pi.tcp_ack = (seq & 0xffff0000u) | ack16;
		pi.payload = len ? data : NULL;
		pi.payload_len = len;

		if (op & 32)
			tcptab_expire(t, now, 4);
		if (from_server)
			r = tcptab_observe(t, &pi, now, judge, &j, &res);
		else
			r = tcptab_segment(t, &pi, now, judge, &j, &res);
		CHECK(r == 0 || r == -ENOMEM || r == -EINVAL);
		CHECK(res.n_complete == j.units);
		CHECK(res.n_dropped <= res.n_complete);
		CHECK(res.partial <= MSG_MAX);
		if (!from_server && res.out_of_order)
			CHECK(!res.accept);
		if (op & 16)
			tcptab_forget(t, &pi);
		check_stats(t);
		data += len;
		size -= len;
	}
	tcptab_free(t);
	return 0;
}
