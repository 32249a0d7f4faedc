/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The packet parser on IPv4 (header, options, lengths, fragments, UDP and
 * TCP), on bad versions, flaw names, random and mutated bytes, and the L4
 * checksums. IPv6 is in test_packet_v6.c; the harness in packet_harness.h.
 */
#include "packet_harness.h"
#include "rng_harness.h"

TestSuite(packet, .fini = drop_pkt);
TestSuite(packet_v4, .fini = drop_pkt);
TestSuite(packet_robust, .fini = drop_pkt);

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

/* Random bytes behind a v4/v6 version nibble: never a crash, and an OK
 * payload always lies inside the buffer. */
Test(packet_robust, random_bytes)
{
	uint64_t seed = 0x853c49e6748fea9bull;
	struct packet_info pi;

	for (int i = 0; i < 200000; i++) {
		size_t n = (size_t)(xorshift64(&seed) % 120);
		uint8_t *p = malloc(n ? n : 1);

		for (size_t j = 0; j < n; j++)
			p[j] = (uint8_t)xorshift64(&seed);
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
			b.b[hot[xorshift64(&seed) % nhot]] = (uint8_t)xorshift64(&seed);
		b.n -= (size_t)(xorshift64(&seed) % 4 == 0 ? xorshift64(&seed) % b.n : 0);
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
