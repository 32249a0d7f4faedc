/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The harness of the packet parser tests (test_packet: IPv4, versions,
 * robustness and L4 checksums; test_packet_v6: IPv6 and its extension
 * header chain): a byte builder for IP/UDP/TCP headers and asserts on
 * what packet_parse() found.
 */
#ifndef SIPWARDEN_TEST_PACKET_HARNESS_H
#define SIPWARDEN_TEST_PACKET_HARNESS_H

#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "packet.h"

/*
 * Every packet is parsed from an exact-size heap buffer so that an ASan
 * build reports any read past the end.
 */
static uint8_t *g_pkt;
static size_t g_len;
static struct packet_info g_pi;

static inline void
drop_pkt(void)
{
	free(g_pkt);
	g_pkt = NULL;
	g_len = 0;
}

static const char sip[] = "OPTIONS sip:x SIP/2.0\r\n\r\n";
#define SIP_LEN (sizeof(sip) - 1)

/* A byte builder: packets are assembled in a scratch area, then copied
 * into an exact-size heap buffer by take(). */
struct bld {
	uint8_t b[4096];
	size_t n;
};

static inline void
put(struct bld *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	cr_assert_leq(b->n + n, sizeof(b->b));
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

static inline void
put8(struct bld *b, uint8_t v)
{
	put(b, &v, 1);
}

static inline void
put16(struct bld *b, uint16_t v)
{
	put8(b, (uint8_t)(v >> 8));
	put8(b, (uint8_t)v);
}

static inline void
put32(struct bld *b, uint32_t v)
{
	put16(b, (uint16_t)(v >> 16));
	put16(b, (uint16_t)v);
}

static inline void
set16(struct bld *b, size_t off, uint16_t v)
{
	b->b[off] = (uint8_t)(v >> 8);
	b->b[off + 1] = (uint8_t)v;
}

static inline void
take(const struct bld *b)
{
	drop_pkt();
	g_len = b->n;
	g_pkt = malloc(g_len ? g_len : 1);
	cr_assert_not_null(g_pkt);
	memcpy(g_pkt, b->b, g_len);
}

static inline enum packet_flaw
parse(void)
{
	return packet_parse(g_pkt, g_len, &g_pi);
}

/* Parse the first n bytes of the current packet from their own buffer. */
static inline enum packet_flaw
parse_prefix(size_t n, struct packet_info *pi)
{
	uint8_t *p = malloc(n ? n : 1);
	enum packet_flaw f;

	cr_assert_not_null(p);
	memcpy(p, g_pkt, n);
	f = packet_parse(p, n, pi);
	if (f == PACKET_OK && pi->payload_len)
		cr_assert(pi->payload >= p && pi->payload + pi->payload_len <= p + n);
	free(p);
	return f;
}

/* UDP header + payload; ulen 0 means the true length. */
static inline void
udp(struct bld *b, uint16_t sport, uint16_t dport, const void *pl, size_t n, uint16_t ulen)
{
	put16(b, sport);
	put16(b, dport);
	put16(b, ulen ? ulen : (uint16_t)(8 + n));
	put16(b, 0);
	put(b, pl, n);
}

/* TCP header with optlen bytes of options (multiple of 4) + payload. */
static inline void
tcp(struct bld *b, uint16_t sport, uint16_t dport, uint32_t seq, uint8_t flags,
    size_t optlen, const void *pl, size_t n)
{
	put16(b, sport);
	put16(b, dport);
	put32(b, seq);
	put32(b, 0);
	put8(b, (uint8_t)(((20 + optlen) / 4) << 4));
	put8(b, flags);
	put16(b, 65535);
	put16(b, 0);
	put16(b, 0);
	for (size_t i = 0; i < optlen; i++)
		put8(b, i + 1 == optlen ? 0 : 1); /* NOPs then EOL */
	put(b, pl, n);
}

/* IPv4 header with optlen bytes of options; total length fixed up by v4_end(). */
static inline void
v4(struct bld *b, uint8_t proto, uint16_t frag, size_t optlen)
{
	static const uint8_t src[4] = { 203, 0, 113, 7 }, dst[4] = { 198, 51, 100, 1 };

	put8(b, (uint8_t)(0x40 | (20 + optlen) / 4));
	put8(b, 0);
	put16(b, 0); /* total length */
	put16(b, 0x1234);
	put16(b, frag);
	put8(b, 64);
	put8(b, proto);
	put16(b, 0);
	put(b, src, 4);
	put(b, dst, 4);
	for (size_t i = 0; i < optlen; i++)
		put8(b, 1);
}

static inline void
v4_end(struct bld *b)
{
	set16(b, 2, (uint16_t)b->n);
}

static inline void
v6(struct bld *b, uint8_t nh)
{
	static const uint8_t src[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x0a, [15] = 7 };
	static const uint8_t dst[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x05, [15] = 1 };

	put32(b, 0x60000000);
	put16(b, 0); /* payload length */
	put8(b, nh);
	put8(b, 64);
	put(b, src, 16);
	put(b, dst, 16);
}

static inline void
v6_end(struct bld *b)
{
	set16(b, 4, (uint16_t)(b->n - 40));
}

/* Hop-by-hop / destination options / routing: 8 * (1 + hlen8) bytes. */
static inline void
ext_opts(struct bld *b, uint8_t nh, uint8_t hlen8)
{
	put8(b, nh);
	put8(b, hlen8);
	/* PadN covering the rest. */
	put8(b, 1);
	put8(b, (uint8_t)(8 * (1 + hlen8) - 4));
	for (size_t i = 0; i < 8u * (1 + hlen8) - 4; i++)
		put8(b, 0);
}

static inline void
ext_frag(struct bld *b, uint8_t nh, uint16_t off_m)
{
	put8(b, nh);
	put8(b, 0);
	put16(b, off_m);
	put32(b, 0xdeadbeef);
}

/* AH: length field in 4-byte units minus 2. */
static inline void
ext_ah(struct bld *b, uint8_t nh)
{
	put8(b, nh);
	put8(b, 4); /* (4 + 2) * 4 = 24 bytes */
	put16(b, 0);
	put32(b, 0x100); /* SPI */
	put32(b, 1);     /* sequence */
	for (int i = 0; i < 12; i++)
		put8(b, 0xaa); /* ICV */
}

static inline void
assert_src(const char *want)
{
	char buf[ADDR_STRLEN];

	cr_assert_str_eq(addr_format(&g_pi.src, buf, sizeof(buf)), want);
}

static inline void
assert_dst(const char *want)
{
	char buf[ADDR_STRLEN];

	cr_assert_str_eq(addr_format(&g_pi.dst, buf, sizeof(buf)), want);
}

static inline void
assert_sip_payload(void)
{
	cr_assert_eq(g_pi.payload_len, SIP_LEN);
	cr_assert_not_null(g_pi.payload);
	cr_assert_eq(memcmp(g_pi.payload, sip, SIP_LEN), 0);
	cr_assert(g_pi.payload >= g_pkt && g_pi.payload + g_pi.payload_len <= g_pkt + g_len);
}

/* Every strict prefix of the current (valid) packet is refused. */
static inline void
assert_prefixes_refused(size_t ip_hdr_len)
{
	struct packet_info pi;

	for (size_t n = 0; n < g_len; n++) {
		enum packet_flaw f = parse_prefix(n, &pi);

		cr_assert_neq(f, PACKET_OK, "prefix of %zu/%zu bytes accepted", n, g_len);
		cr_assert_eq(f, PACKET_TRUNCATED, "prefix %zu: %s", n, packet_flaw_name(f));
		if (n >= ip_hdr_len)
			cr_assert(addr_equal(&pi.src, &g_pi.src), "prefix %zu: src not filled", n);
	}
	cr_assert_eq(parse_prefix(g_len, &pi), PACKET_OK);
}

#endif
