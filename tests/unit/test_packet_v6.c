/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The packet parser on IPv6: UDP and TCP, the extension header chain
 * (fragment, routing, AH, ESP, no next header), its length limits and
 * bounds. The harness is in packet_harness.h.
 */
#include "packet_harness.h"

TestSuite(packet_v6, .fini = drop_pkt);

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
