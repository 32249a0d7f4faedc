/* SPDX-License-Identifier: GPL-2.0-or-later */
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

static void
drop_pkt(void)
{
	free(g_pkt);
	g_pkt = NULL;
	g_len = 0;
}

TestSuite(packet, .fini = drop_pkt);
TestSuite(packet_v4, .fini = drop_pkt);
TestSuite(packet_v6, .fini = drop_pkt);
TestSuite(packet_robust, .fini = drop_pkt);

static const char sip[] = "OPTIONS sip:x SIP/2.0\r\n\r\n";
#define SIP_LEN (sizeof(sip) - 1)

/* A byte builder: packets are assembled in a scratch area, then copied
 * into an exact-size heap buffer by take(). */
struct bld {
	uint8_t b[4096];
	size_t n;
};

static void
put(struct bld *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	cr_assert_leq(b->n + n, sizeof(b->b));
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

static void
put8(struct bld *b, uint8_t v)
{
	put(b, &v, 1);
}

static void
put16(struct bld *b, uint16_t v)
{
	put8(b, (uint8_t)(v >> 8));
	put8(b, (uint8_t)v);
}

static void
put32(struct bld *b, uint32_t v)
{
	put16(b, (uint16_t)(v >> 16));
	put16(b, (uint16_t)v);
}

static void
set16(struct bld *b, size_t off, uint16_t v)
{
	b->b[off] = (uint8_t)(v >> 8);
	b->b[off + 1] = (uint8_t)v;
}

static void
take(const struct bld *b)
{
	drop_pkt();
	g_len = b->n;
	g_pkt = malloc(g_len ? g_len : 1);
	cr_assert_not_null(g_pkt);
	memcpy(g_pkt, b->b, g_len);
}

static enum packet_flaw
parse(void)
{
	return packet_parse(g_pkt, g_len, &g_pi);
}

/* Parse the first n bytes of the current packet from their own buffer. */
static enum packet_flaw
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
static void
udp(struct bld *b, uint16_t sport, uint16_t dport, const void *pl, size_t n, uint16_t ulen)
{
	put16(b, sport);
	put16(b, dport);
	put16(b, ulen ? ulen : (uint16_t)(8 + n));
	put16(b, 0);
	put(b, pl, n);
}

/* TCP header with optlen bytes of options (multiple of 4) + payload. */
static void
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
static void
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

static void
v4_end(struct bld *b)
{
	set16(b, 2, (uint16_t)b->n);
}

static void
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

static void
v6_end(struct bld *b)
{
	set16(b, 4, (uint16_t)(b->n - 40));
}

/* Hop-by-hop / destination options / routing: 8 * (1 + hlen8) bytes. */
static void
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

static void
ext_frag(struct bld *b, uint8_t nh, uint16_t off_m)
{
	put8(b, nh);
	put8(b, 0);
	put16(b, off_m);
	put32(b, 0xdeadbeef);
}

/* AH: length field in 4-byte units minus 2. */
static void
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

static void
assert_src(const char *want)
{
	char buf[ADDR_STRLEN];

	cr_assert_str_eq(addr_format(&g_pi.src, buf, sizeof(buf)), want);
}

static void
assert_dst(const char *want)
{
	char buf[ADDR_STRLEN];

	cr_assert_str_eq(addr_format(&g_pi.dst, buf, sizeof(buf)), want);
}

static void
assert_sip_payload(void)
{
	cr_assert_eq(g_pi.payload_len, SIP_LEN);
	cr_assert_not_null(g_pi.payload);
	cr_assert_eq(memcmp(g_pi.payload, sip, SIP_LEN), 0);
	cr_assert(g_pi.payload >= g_pkt && g_pi.payload + g_pi.payload_len <= g_pkt + g_len);
}

/* Every strict prefix of the current (valid) packet is refused. */
static void
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

/* ---- IPv4 ---- */

static void
build_v4_udp(struct bld *b, uint16_t frag)
{
	b->n = 0;
	v4(b, IPPROTO_UDP, frag, 0);
	udp(b, 5062, 5060, sip, SIP_LEN, 0);
	v4_end(b);
	take(b);
}

Test(packet_v4, udp)
{
	struct bld b;

	build_v4_udp(&b, 0);
	cr_assert_eq(parse(), PACKET_OK);
	assert_src("203.0.113.7");
	assert_dst("198.51.100.1");
	cr_assert_eq(g_pi.src.family, AF_INET);
	cr_assert_eq(g_pi.proto, IPPROTO_UDP);
	cr_assert_eq(g_pi.sport, 5062);
	cr_assert_eq(g_pi.dport, 5060);
	assert_sip_payload();
}

Test(packet_v4, udp_every_prefix_truncated)
{
	struct bld b;

	build_v4_udp(&b, 0);
	cr_assert_eq(parse(), PACKET_OK);
	assert_prefixes_refused(20);
}

Test(packet_v4, dont_fragment_is_whole)
{
	struct bld b;

	build_v4_udp(&b, 0x4000);
	cr_assert_eq(parse(), PACKET_OK);
	assert_sip_payload();
}

Test(packet_v4, fragments)
{
	static const uint16_t frags[] = { 0x2000, 0x0001, 0x2001, 0x1fff, 0x6000, 0x4001, 0x3fff };
	struct bld b;

	for (unsigned i = 0; i < sizeof(frags) / sizeof(frags[0]); i++) {
		build_v4_udp(&b, frags[i]);
		cr_assert_eq(parse(), PACKET_FRAGMENT, "frag field 0x%04x", frags[i]);
		assert_src("203.0.113.7");
	}
}

Test(packet_v4, tcp_with_options)
{
	struct bld b = { .n = 0 };

	v4(&b, IPPROTO_TCP, 0x4000, 8);
	tcp(&b, 40000, 5060, 0x01020304, 0x18, 12, sip, SIP_LEN);
	v4_end(&b);
	take(&b);
	cr_assert_eq(parse(), PACKET_OK);
	assert_src("203.0.113.7");
	cr_assert_eq(g_pi.proto, IPPROTO_TCP);
	cr_assert_eq(g_pi.sport, 40000);
	cr_assert_eq(g_pi.dport, 5060);
	cr_assert_eq(g_pi.tcp_seq, 0x01020304);
	cr_assert_eq(g_pi.tcp_flags, 0x18);
	assert_sip_payload();
	assert_prefixes_refused(28);
}

Test(packet_v4, tcp_without_payload)
{
	struct bld b = { .n = 0 };

	v4(&b, IPPROTO_TCP, 0, 0);
	tcp(&b, 40000, 5060, 7, 0x02, 20, NULL, 0);
	v4_end(&b);
	take(&b);
	cr_assert_eq(parse(), PACKET_OK);
	cr_assert_eq(g_pi.payload_len, 0);
	cr_assert_eq(g_pi.tcp_flags, 0x02);
}

Test(packet_v4, tcp_bad_data_offset)
{
	struct bld b = { .n = 0 };

	v4(&b, IPPROTO_TCP, 0, 0);
	tcp(&b, 40000, 5060, 7, 0x18, 0, sip, SIP_LEN);
	v4_end(&b);
	for (uint8_t doff = 0; doff < 5; doff++) {
		b.b[20 + 12] = (uint8_t)(doff << 4);
		take(&b);
		cr_assert_eq(parse(), PACKET_TRUNCATED, "doff %u", doff);
	}
	/* 20 + 25 bytes of TCP: doff 12 (48 bytes) runs past the segment. */
	b.b[20 + 12] = 12 << 4;
	take(&b);
	cr_assert_eq(parse(), PACKET_TRUNCATED);
}

Test(packet_v4, header_options_skipped)
{
	struct bld b = { .n = 0 };

	v4(&b, IPPROTO_UDP, 0, 40); /* IHL 15 */
	udp(&b, 5062, 5060, sip, SIP_LEN, 0);
	v4_end(&b);
	take(&b);
	cr_assert_eq(parse(), PACKET_OK);
	cr_assert_eq(g_pi.sport, 5062);
	assert_sip_payload();
	assert_prefixes_refused(20);
}

Test(packet_v4, ihl_below_five)
{
	struct bld b;

	for (uint8_t ihl = 0; ihl < 5; ihl++) {
		build_v4_udp(&b, 0);
		g_pkt[0] = (uint8_t)(0x40 | ihl);
		cr_assert_eq(parse(), PACKET_TRUNCATED, "ihl %u", ihl);
		assert_src("203.0.113.7");
	}
}

Test(packet_v4, ihl_beyond_total_length)
{
	struct bld b = { .n = 0 };

	v4(&b, IPPROTO_UDP, 0, 0);
	v4_end(&b); /* total length 20 */
	b.b[0] = 0x46;
	take(&b);
	cr_assert_eq(parse(), PACKET_TRUNCATED);
}

Test(packet_v4, total_length_beyond_buffer)
{
	struct bld b;

	build_v4_udp(&b, 0);
	g_pkt[2] = (uint8_t)((g_len + 1) >> 8);
	g_pkt[3] = (uint8_t)(g_len + 1);
	cr_assert_eq(parse(), PACKET_TRUNCATED);
	g_pkt[2] = 0xff;
	g_pkt[3] = 0xff;
	cr_assert_eq(parse(), PACKET_TRUNCATED);
	assert_src("203.0.113.7");
}

Test(packet_v4, total_length_below_header)
{
	struct bld b;

	build_v4_udp(&b, 0);
	g_pkt[2] = 0;
	g_pkt[3] = 19;
	cr_assert_eq(parse(), PACKET_TRUNCATED);
}

/* Ethernet pads short frames: bytes past the IP total length are not data. */
Test(packet_v4, trailing_padding_ignored)
{
	struct bld b = { .n = 0 };

	v4(&b, IPPROTO_UDP, 0, 0);
	udp(&b, 5062, 5060, sip, SIP_LEN, 0);
	v4_end(&b);
	put(&b, "\0\0\0\0\0\0", 6);
	take(&b);
	cr_assert_eq(parse(), PACKET_OK);
	assert_sip_payload();
}

Test(packet_v4, udp_length_larger_than_data)
{
	struct bld b = { .n = 0 };

	v4(&b, IPPROTO_UDP, 0, 0);
	udp(&b, 5062, 5060, sip, SIP_LEN, (uint16_t)(8 + SIP_LEN + 1));
	v4_end(&b);
	take(&b);
	cr_assert_eq(parse(), PACKET_TRUNCATED);
	assert_src("203.0.113.7");
}

Test(packet_v4, udp_length_smaller_trims_payload)
{
	struct bld b = { .n = 0 };

	v4(&b, IPPROTO_UDP, 0, 0);
	udp(&b, 5062, 5060, sip, SIP_LEN, 8 + 7);
	v4_end(&b);
	take(&b);
	cr_assert_eq(parse(), PACKET_OK);
	cr_assert_eq(g_pi.payload_len, 7);
	cr_assert_eq(memcmp(g_pi.payload, "OPTIONS", 7), 0);

	b.n = 0;
	v4(&b, IPPROTO_UDP, 0, 0);
	udp(&b, 5062, 5060, sip, SIP_LEN, 8);
	v4_end(&b);
	take(&b);
	cr_assert_eq(parse(), PACKET_OK);
	cr_assert_eq(g_pi.payload_len, 0);
}

Test(packet_v4, udp_length_below_header)
{
	struct bld b = { .n = 0 };

	for (uint16_t ulen = 0; ulen < 8; ulen++) {
		b.n = 0;
		v4(&b, IPPROTO_UDP, 0, 0);
		udp(&b, 5062, 5060, sip, SIP_LEN, 0);
		set16(&b, 24, ulen);
		v4_end(&b);
		take(&b);
		cr_assert_eq(parse(), PACKET_TRUNCATED, "ulen %u", ulen);
	}
}

Test(packet_v4, other_protocols)
{
	static const uint8_t protos[] = { IPPROTO_ICMP, IPPROTO_ESP, IPPROTO_AH, IPPROTO_SCTP, 255 };
	struct bld b;

	for (unsigned i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		b.n = 0;
		v4(&b, protos[i], 0, 0);
		put(&b, sip, SIP_LEN);
		v4_end(&b);
		take(&b);
		cr_assert_eq(parse(), PACKET_OTHER_PROTO, "proto %u", protos[i]);
		assert_src("203.0.113.7");
	}
}

/* ---- IPv6 ---- */

Test(packet_v6, udp)
{
	struct bld b = { .n = 0 };

	v6(&b, IPPROTO_UDP);
	udp(&b, 5062, 5060, sip, SIP_LEN, 0);
	v6_end(&b);
	take(&b);
	cr_assert_eq(parse(), PACKET_OK);
	cr_assert_eq(g_pi.src.family, AF_INET6);
	assert_src("2001:db8:a::7");
	assert_dst("2001:db8:5::1");
	cr_assert_eq(g_pi.proto, IPPROTO_UDP);
	cr_assert_eq(g_pi.sport, 5062);
	cr_assert_eq(g_pi.dport, 5060);
	assert_sip_payload();
	assert_prefixes_refused(40);
}

Test(packet_v6, tcp)
{
	struct bld b = { .n = 0 };

	v6(&b, IPPROTO_TCP);
	tcp(&b, 40001, 5060, 0xfffffffe, 0x19, 4, sip, SIP_LEN);
	v6_end(&b);
	take(&b);
	cr_assert_eq(parse(), PACKET_OK);
	cr_assert_eq(g_pi.proto, IPPROTO_TCP);
	cr_assert_eq(g_pi.tcp_seq, 0xfffffffe);
	cr_assert_eq(g_pi.tcp_flags, 0x19);
	assert_sip_payload();
}

Test(packet_v6, extension_chain_with_atomic_fragment)
{
	struct bld b = { .n = 0 };

	v6(&b, IPPROTO_HOPOPTS);
	ext_opts(&b, IPPROTO_DSTOPTS, 0);
	ext_opts(&b, IPPROTO_FRAGMENT, 2);
	ext_frag(&b, IPPROTO_UDP, 0x0000);
	udp(&b, 5062, 5060, sip, SIP_LEN, 0);
	v6_end(&b);
	take(&b);
	cr_assert_eq(parse(), PACKET_OK);
	cr_assert_eq(g_pi.proto, IPPROTO_UDP);
	cr_assert_eq(g_pi.sport, 5062);
	assert_sip_payload();
	assert_prefixes_refused(40);
}

Test(packet_v6, atomic_fragment_reserved_bits_ignored)
{
	struct bld b = { .n = 0 };

	v6(&b, IPPROTO_FRAGMENT);
	ext_frag(&b, IPPROTO_UDP, 0x0006);
	udp(&b, 5062, 5060, sip, SIP_LEN, 0);
	v6_end(&b);
	take(&b);
	cr_assert_eq(parse(), PACKET_OK);
	assert_sip_payload();
}

Test(packet_v6, fragments)
{
	static const uint16_t offm[] = { 0x0001, 0x0008, 0x0009, 0xfff8, 0xffff };
	struct bld b;

	for (unsigned i = 0; i < sizeof(offm) / sizeof(offm[0]); i++) {
		b.n = 0;
		v6(&b, IPPROTO_HOPOPTS);
		ext_opts(&b, IPPROTO_FRAGMENT, 0);
		ext_frag(&b, IPPROTO_UDP, offm[i]);
		udp(&b, 5062, 5060, sip, SIP_LEN, 0);
		v6_end(&b);
		take(&b);
		cr_assert_eq(parse(), PACKET_FRAGMENT, "offset/M 0x%04x", offm[i]);
		assert_src("2001:db8:a::7");
	}
}

Test(packet_v6, routing_and_ah_walked)
{
	struct bld b = { .n = 0 };

	v6(&b, IPPROTO_ROUTING);
	ext_opts(&b, IPPROTO_AH, 1);
	ext_ah(&b, IPPROTO_UDP);
	udp(&b, 5062, 5060, sip, SIP_LEN, 0);
	v6_end(&b);
	take(&b);
	cr_assert_eq(parse(), PACKET_OK);
	assert_sip_payload();
	assert_prefixes_refused(40);
}

Test(packet_v6, esp_is_opaque)
{
	struct bld b = { .n = 0 };

	v6(&b, IPPROTO_ESP);
	put(&b, sip, SIP_LEN);
	v6_end(&b);
	take(&b);
	cr_assert_eq(parse(), PACKET_EXT_HEADERS);
	assert_src("2001:db8:a::7");

	b.n = 0;
	v6(&b, IPPROTO_HOPOPTS);
	ext_opts(&b, IPPROTO_ESP, 0);
	put(&b, sip, SIP_LEN);
	v6_end(&b);
	take(&b);
	cr_assert_eq(parse(), PACKET_EXT_HEADERS);
}

Test(packet_v6, no_next_header)
{
	struct bld b = { .n = 0 };

	v6(&b, IPPROTO_NONE);
	v6_end(&b);
	take(&b);
	cr_assert_eq(parse(), PACKET_EXT_HEADERS);
}

Test(packet_v6, other_protocols)
{
	static const uint8_t protos[] = { IPPROTO_ICMPV6, IPPROTO_SCTP, 253 };
	struct bld b;

	for (unsigned i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		b.n = 0;
		v6(&b, IPPROTO_DSTOPTS);
		ext_opts(&b, protos[i], 0);
		put(&b, sip, SIP_LEN);
		v6_end(&b);
		take(&b);
		cr_assert_eq(parse(), PACKET_OTHER_PROTO, "proto %u", protos[i]);
	}
}

/* n extension headers (alternating destination options and routing) then UDP. */
static void
build_chain(struct bld *b, int n)
{
	b->n = 0;
	v6(b, n ? IPPROTO_DSTOPTS : IPPROTO_UDP);
	for (int i = 0; i < n; i++) {
		uint8_t next = i + 1 == n ? IPPROTO_UDP : (i % 2 ? IPPROTO_DSTOPTS : IPPROTO_ROUTING);

		ext_opts(b, next, 0);
	}
	udp(b, 5062, 5060, sip, SIP_LEN, 0);
	v6_end(b);
	take(b);
}

Test(packet_v6, extension_header_limit)
{
	struct bld b;

	for (int n = 0; n <= 8; n++) {
		build_chain(&b, n);
		cr_assert_eq(parse(), PACKET_OK, "%d extension headers", n);
		assert_sip_payload();
	}
	build_chain(&b, 9);
	cr_assert_eq(parse(), PACKET_EXT_HEADERS);
	assert_src("2001:db8:a::7");
	build_chain(&b, 20);
	cr_assert_eq(parse(), PACKET_EXT_HEADERS);
}

Test(packet_v6, payload_length_beyond_buffer)
{
	struct bld b = { .n = 0 };

	v6(&b, IPPROTO_UDP);
	udp(&b, 5062, 5060, sip, SIP_LEN, 0);
	v6_end(&b);
	set16(&b, 4, (uint16_t)(b.n - 40 + 1));
	take(&b);
	cr_assert_eq(parse(), PACKET_TRUNCATED);
	assert_src("2001:db8:a::7");
}

Test(packet_v6, payload_length_bounds_the_walk)
{
	struct bld b = { .n = 0 };

	/* The payload length says the packet ends inside the UDP header. */
	v6(&b, IPPROTO_UDP);
	udp(&b, 5062, 5060, sip, SIP_LEN, 0);
	set16(&b, 4, 4);
	take(&b);
	cr_assert_eq(parse(), PACKET_TRUNCATED);

	/* ... or inside an extension header. */
	b.n = 0;
	v6(&b, IPPROTO_HOPOPTS);
	ext_opts(&b, IPPROTO_UDP, 1);
	udp(&b, 5062, 5060, sip, SIP_LEN, 0);
	set16(&b, 4, 8);
	take(&b);
	cr_assert_eq(parse(), PACKET_TRUNCATED);
}

Test(packet_v6, extension_length_beyond_packet)
{
	struct bld b = { .n = 0 };

	v6(&b, IPPROTO_HOPOPTS);
	ext_opts(&b, IPPROTO_UDP, 0);
	udp(&b, 5062, 5060, sip, SIP_LEN, 0);
	v6_end(&b);
	b.b[41] = 255; /* 2048 bytes claimed */
	take(&b);
	cr_assert_eq(parse(), PACKET_TRUNCATED);

	b.n = 0;
	v6(&b, IPPROTO_AH);
	ext_ah(&b, IPPROTO_UDP);
	v6_end(&b);
	b.b[41] = 255;
	take(&b);
	cr_assert_eq(parse(), PACKET_TRUNCATED);
}

Test(packet_v6, udp_length_checks)
{
	struct bld b = { .n = 0 };

	v6(&b, IPPROTO_UDP);
	udp(&b, 5062, 5060, sip, SIP_LEN, (uint16_t)(8 + SIP_LEN + 1));
	v6_end(&b);
	take(&b);
	cr_assert_eq(parse(), PACKET_TRUNCATED);

	b.n = 0;
	v6(&b, IPPROTO_UDP);
	udp(&b, 5062, 5060, sip, SIP_LEN, 8 + 3);
	v6_end(&b);
	take(&b);
	cr_assert_eq(parse(), PACKET_OK);
	cr_assert_eq(g_pi.payload_len, 3);

	/* Zero: a jumbogram, never SIP. */
	b.n = 0;
	v6(&b, IPPROTO_UDP);
	udp(&b, 5062, 5060, sip, SIP_LEN, 0);
	set16(&b, 44, 0);
	v6_end(&b);
	take(&b);
	cr_assert_eq(parse(), PACKET_TRUNCATED);
}

/* ---- versions, names ---- */

Test(packet, bad_versions)
{
	struct bld b;

	build_v4_udp(&b, 0);
	for (uint8_t v = 0; v < 16; v++) {
		if (v == 4 || v == 6)
			continue;
		g_pkt[0] = (uint8_t)(v << 4 | 5);
		cr_assert_eq(parse(), PACKET_BAD_VERSION, "version %u", v);
	}
}

Test(packet, empty)
{
	static const uint8_t p[1] = { 0x45 };
	struct packet_info pi;

	cr_assert_eq(packet_parse(p, 0, &pi), PACKET_TRUNCATED);
}

Test(packet, version_6_with_v4_header)
{
	struct bld b;

	/* 53 bytes: long enough for an IPv6 header, whose payload length
	 * field then reads the IPv4 identification (0x1234). */
	build_v4_udp(&b, 0);
	g_pkt[0] = 0x65;
	cr_assert_eq(parse(), PACKET_TRUNCATED);
}

Test(packet, flaw_names)
{
	cr_assert_str_eq(packet_flaw_name(PACKET_OK), "ok");
	cr_assert_str_eq(packet_flaw_name(PACKET_TRUNCATED), "truncated");
	cr_assert_str_eq(packet_flaw_name(PACKET_BAD_VERSION), "bad-version");
	cr_assert_str_eq(packet_flaw_name(PACKET_FRAGMENT), "fragment");
	cr_assert_str_eq(packet_flaw_name(PACKET_EXT_HEADERS), "ext-headers");
	cr_assert_str_eq(packet_flaw_name(PACKET_OTHER_PROTO), "other-proto");
	cr_assert_str_eq(packet_flaw_name((enum packet_flaw)99), "unknown");
}

/* ---- robustness ---- */

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Random bytes behind a v4/v6 version nibble: never a crash, and an OK
 * payload always lies inside the buffer. */
Test(packet_robust, random_bytes)
{
	uint64_t seed = 0x853c49e6748fea9bull;
	struct packet_info pi;

	for (int i = 0; i < 200000; i++) {
		size_t n = (size_t)(rnd(&seed) % 120);
		uint8_t *p = malloc(n ? n : 1);

		for (size_t j = 0; j < n; j++)
			p[j] = (uint8_t)rnd(&seed);
		if (n)
			p[0] = (uint8_t)((i % 2 ? 0x40 : 0x60) | (p[0] & 0x0f));
		if (packet_parse(p, n, &pi) == PACKET_OK && pi.payload_len)
			cr_assert(pi.payload >= p && pi.payload + pi.payload_len <= p + n);
		free(p);
	}
}

/* Mutate length and next-header bytes of valid packets. */
Test(packet_robust, mutated_headers)
{
	static const size_t hot_v6[] = { 4, 5, 6, 40, 41, 48, 49, 56, 57, 58, 59, 64, 65, 68, 69 };
	static const size_t hot_v4[] = { 0, 2, 3, 6, 7, 9, 20, 21, 24, 25, 32 };
	uint64_t seed = 0xda3e39cb94b95bdbull;
	struct packet_info pi;
	struct bld b = { .n = 0 };
	struct bld base6, base4;

	v6(&b, IPPROTO_HOPOPTS);
	ext_opts(&b, IPPROTO_DSTOPTS, 0);
	ext_opts(&b, IPPROTO_FRAGMENT, 0);
	ext_frag(&b, IPPROTO_UDP, 0);
	udp(&b, 5062, 5060, sip, SIP_LEN, 0);
	v6_end(&b);
	base6 = b;
	b.n = 0;
	v4(&b, IPPROTO_TCP, 0, 4);
	tcp(&b, 1, 5060, 1, 0x18, 4, sip, SIP_LEN);
	v4_end(&b);
	base4 = b;

	for (int i = 0; i < 100000; i++) {
		bool six = i % 2;
		const size_t *hot = six ? hot_v6 : hot_v4;
		size_t nhot = six ? sizeof(hot_v6) / sizeof(hot_v6[0]) : sizeof(hot_v4) / sizeof(hot_v4[0]);

		b = six ? base6 : base4;
		for (int k = 0; k < 3; k++)
			b.b[hot[rnd(&seed) % nhot]] = (uint8_t)rnd(&seed);
		b.n -= (size_t)(rnd(&seed) % 4 == 0 ? rnd(&seed) % b.n : 0);
		take(&b);
		if (packet_parse(g_pkt, g_len, &pi) == PACKET_OK && pi.payload_len)
			cr_assert(pi.payload >= g_pkt && pi.payload + pi.payload_len <= g_pkt + g_len);
	}
}

/* ---- L4 checksums (issue 16: nothing tracked from a segment the kernel
 * would drop). Packets built by scapy, whose checksums are right. */

static const uint8_t ck_tcp4[] = { 0x45, 0x00, 0x00, 0x3f, 0x00, 0x01, 0x00, 0x00, 0x40, 0x06, 0x14, 0x7c, 0xcb, 0x00, 0x71, 0x07, 0xc6, 0x33, 0x64, 0x01, 0x9c, 0x40, 0x13, 0xc4, 0x00, 0x00, 0x03, 0xe9, 0x00, 0x00, 0x00, 0x4d, 0x50, 0x18, 0x20, 0x00, 0xda, 0xbd, 0x00, 0x00, 0x4f, 0x50, 0x54, 0x49, 0x4f, 0x4e, 0x53, 0x20, 0x73, 0x69, 0x70, 0x3a, 0x61, 0x20, 0x53, 0x49, 0x50, 0x2f, 0x32, 0x2e, 0x30, 0x0d, 0x0a };
static const uint8_t ck_tcp6[] = { 0x60, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x06, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x9c, 0x40, 0x13, 0xc4, 0x00, 0x00, 0x03, 0xe9, 0x00, 0x00, 0x00, 0x4d, 0x50, 0x18, 0x20, 0x00, 0xe5, 0x63, 0x00, 0x00, 0x4f, 0x50, 0x54, 0x49, 0x4f, 0x4e, 0x53, 0x20, 0x73, 0x69, 0x70, 0x3a, 0x61, 0x20, 0x53, 0x49, 0x50, 0x2f, 0x32, 0x2e, 0x30, 0x0d, 0x0a, 0x0d };
static const uint8_t ck_udp4[] = { 0x45, 0x00, 0x00, 0x25, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x14, 0x8b, 0xcb, 0x00, 0x71, 0x07, 0xc6, 0x33, 0x64, 0x01, 0x13, 0xc4, 0x13, 0xc4, 0x00, 0x11, 0xb3, 0xfe, 0x4f, 0x50, 0x54, 0x49, 0x4f, 0x4e, 0x53, 0x20, 0x78 };

/* Parse a copy of pkt with byte flip (if < len) xor'ed with 0x20. */
static bool
csum_of(const uint8_t *pkt, size_t len, size_t flip)
{
	g_pkt = malloc(len);
	cr_assert_not_null(g_pkt);
	memcpy(g_pkt, pkt, len);
	g_len = len;
	if (flip < len)
		g_pkt[flip] ^= 0x20;
	cr_assert_eq(packet_parse(g_pkt, g_len, &g_pi), PACKET_OK);
	bool ok = packet_l4_checksum_ok(&g_pi);
	drop_pkt();
	return ok;
}

Test(packet, checksum_right_ones_pass)
{
	cr_assert(csum_of(ck_tcp4, sizeof(ck_tcp4), SIZE_MAX));
	cr_assert(csum_of(ck_tcp6, sizeof(ck_tcp6), SIZE_MAX), "odd length, IPv6 pseudo-header");
	cr_assert(csum_of(ck_udp4, sizeof(ck_udp4), SIZE_MAX));
}

Test(packet, checksum_any_changed_payload_byte_fails)
{
	/* The insertion of issue 16: the payload changed, the checksum not. */
	for (size_t i = 40; i < sizeof(ck_tcp4); i++)
		cr_assert_not(csum_of(ck_tcp4, sizeof(ck_tcp4), i), "byte %zu", i);
	for (size_t i = 60; i < sizeof(ck_tcp6); i++)
		cr_assert_not(csum_of(ck_tcp6, sizeof(ck_tcp6), i), "byte %zu", i);
	/* A changed address changes the pseudo-header. */
	cr_assert_not(csum_of(ck_tcp4, sizeof(ck_tcp4), 15));
	cr_assert_not(csum_of(ck_tcp6, sizeof(ck_tcp6), 39));
}

Test(packet, checksum_udp4_zero_means_none)
{
	uint8_t u[sizeof(ck_udp4)];

	memcpy(u, ck_udp4, sizeof(u));
	u[26] = u[27] = 0;
	cr_assert(csum_of(u, sizeof(u), 30));
}
