/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "packet.h"

#define IPV6_MAX_EXT 8 /* more extension headers than this is not SIP traffic */

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static enum packet_flaw
parse_l4(const uint8_t *p, size_t len, uint8_t proto, struct packet_info *pi)
{
	pi->proto = proto;
	pi->l4 = p;
	pi->l4_len = len;
	if (proto == IPPROTO_UDP) {
		size_t ulen;

		if (len < 8)
			return PACKET_TRUNCATED;
		pi->sport = rd16(p);
		pi->dport = rd16(p + 2);
		ulen = rd16(p + 4);
		/* A UDP length larger than the datagram is a lie; smaller is
		 * legal (trailing padding) and defines the payload. Zero only
		 * occurs for IPv6 jumbograms, which never reach a SIP port. */
		if (ulen < 8 || ulen > len)
			return PACKET_TRUNCATED;
		pi->payload = p + 8;
		pi->payload_len = ulen - 8;
		return PACKET_OK;
	}
	if (proto == IPPROTO_TCP) {
		size_t doff;

		if (len < 20)
			return PACKET_TRUNCATED;
		pi->sport = rd16(p);
		pi->dport = rd16(p + 2);
		pi->tcp_seq = rd32(p + 4);
		pi->tcp_ack = rd32(p + 8);
		doff = (size_t)(p[12] >> 4) * 4;
		pi->tcp_flags = p[13];
		if (doff < 20 || doff > len)
			return PACKET_TRUNCATED;
		pi->payload = p + doff;
		pi->payload_len = len - doff;
		return PACKET_OK;
	}
	return PACKET_OTHER_PROTO;
}

static enum packet_flaw
parse_v4(const uint8_t *pkt, size_t len, struct packet_info *pi)
{
	size_t ihl, tot;
	uint16_t frag;

	if (len < 20)
		return PACKET_TRUNCATED;
	addr_from_v4(&pi->src, pkt + 12);
	addr_from_v4(&pi->dst, pkt + 16);
	ihl = (size_t)(pkt[0] & 0x0f) * 4;
	tot = rd16(pkt + 2);
	if (ihl < 20 || tot < ihl || tot > len)
		return PACKET_TRUNCATED;
	frag = rd16(pkt + 6);
	if (frag & 0x3fff) /* MF set or a non-zero offset */
		return PACKET_FRAGMENT;
	return parse_l4(pkt + ihl, tot - ihl, pkt[9], pi);
}

static enum packet_flaw
parse_v6(const uint8_t *pkt, size_t len, struct packet_info *pi)
{
	size_t off = 40, end;
	uint8_t nh;

	if (len < 40)
		return PACKET_TRUNCATED;
	addr_from_v6(&pi->src, pkt + 8);
	addr_from_v6(&pi->dst, pkt + 24);
	end = 40 + (size_t)rd16(pkt + 4);
	if (end > len)
		return PACKET_TRUNCATED;
	nh = pkt[6];
	for (int i = 0; i <= IPV6_MAX_EXT; i++) {
		size_t hl;

		switch (nh) {
		case IPPROTO_UDP:
		case IPPROTO_TCP:
			return parse_l4(pkt + off, end - off, nh, pi);
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if (end - off < 8)
				return PACKET_TRUNCATED;
			hl = ((size_t)pkt[off + 1] + 1) * 8;
			break;
		case IPPROTO_AH:
			if (end - off < 8)
				return PACKET_TRUNCATED;
			hl = ((size_t)pkt[off + 1] + 2) * 4;
			break;
		case IPPROTO_FRAGMENT:
			if (end - off < 8)
				return PACKET_TRUNCATED;
			/* An atomic fragment (offset 0, M clear, RFC 6946) is a
			 * whole datagram; anything else is a piece of one. */
			if (rd16(pkt + off + 2) & 0xfff9)
				return PACKET_FRAGMENT;
			hl = 8;
			break;
		default:
			/* ESP, no next header, or unknown: opaque to us. */
			return nh == IPPROTO_ESP || nh == IPPROTO_NONE ? PACKET_EXT_HEADERS
								       : PACKET_OTHER_PROTO;
		}
		if (hl > end - off)
			return PACKET_TRUNCATED;
		nh = pkt[off];
		off += hl;
	}
	return PACKET_EXT_HEADERS;
}

enum packet_flaw
packet_parse(const uint8_t *pkt, size_t len, struct packet_info *pi)
{
	memset(pi, 0, sizeof(*pi));
	if (len < 1)
		return PACKET_TRUNCATED;
	switch (pkt[0] >> 4) {
	case 4:
		return parse_v4(pkt, len, pi);
	case 6:
		return parse_v6(pkt, len, pi);
	default:
		return PACKET_BAD_VERSION;
	}
}

/* One's-complement sum of n bytes in 16-bit big-endian words, folded
 * later; an odd last byte is padded with zero (RFC 1071). */
static uint64_t
csum_add(uint64_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += rd16(p + i);
	if (i < n)
		sum += (uint32_t)p[i] << 8;
	return sum;
}

bool
packet_l4_checksum_ok(const struct packet_info *pi)
{
	uint8_t tail[4] = { 0, 0, 0, pi->proto };
	size_t alen = pi->src.family == AF_INET6 ? 16 : 4, n = pi->l4_len;
	uint64_t sum = 0;

	if (!pi->l4 || (pi->proto != IPPROTO_UDP && pi->proto != IPPROTO_TCP))
		return false;
	if (pi->proto == IPPROTO_UDP)
		n = rd16(pi->l4 + 4); /* parse_l4 checked 8 <= it <= l4_len */
	if (pi->proto == IPPROTO_UDP && alen == 4 && pi->l4_len >= 8 && rd16(pi->l4 + 6) == 0)
		return true; /* IPv4 UDP without a checksum */
	/* Pseudo-header: addresses, upper-layer length, next header. */
	sum = csum_add(sum, pi->src.a, alen);
	sum = csum_add(sum, pi->dst.a, alen);
	sum += (uint32_t)(n >> 16) + (uint32_t)(n & 0xffff);
	sum = csum_add(sum, tail, 4);
	sum = csum_add(sum, pi->l4, n);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

const char *
packet_flaw_name(enum packet_flaw f)
{
	switch (f) {
	case PACKET_OK: return "ok";
	case PACKET_TRUNCATED: return "truncated";
	case PACKET_BAD_VERSION: return "bad-version";
	case PACKET_FRAGMENT: return "fragment";
	case PACKET_EXT_HEADERS: return "ext-headers";
	case PACKET_OTHER_PROTO: return "other-proto";
	}
	return "unknown";
}
