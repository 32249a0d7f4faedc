/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_PACKET_H
#define SIPWARDEN_PACKET_H

/*
 * packet - IPv4/IPv6 and UDP/TCP framing of a queued packet.
 *
 * The kernel hands us the network-layer packet. packet_parse() checks every
 * length against the bytes actually present before reading a field, walks
 * IPv6 extension headers, and reports fragments instead of guessing at them.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

enum packet_flaw {
	PACKET_OK = 0,
	PACKET_TRUNCATED,     /* a header or length field runs past the data */
	PACKET_BAD_VERSION,   /* neither IPv4 nor IPv6 */
	PACKET_FRAGMENT,      /* not a whole datagram (defragmentation missing) */
	PACKET_EXT_HEADERS,   /* IPv6 extension header chain too long or opaque */
	PACKET_OTHER_PROTO,   /* neither UDP nor TCP: nothing for us */
};

struct packet_info {
	struct addr src, dst;
	uint8_t proto;        /* IPPROTO_UDP / IPPROTO_TCP */
	uint16_t sport, dport;
	uint8_t tcp_flags;    /* TCP only */
	uint32_t tcp_seq;     /* TCP only */
	uint32_t tcp_ack;     /* TCP only (meaningful with the ACK flag) */
	const uint8_t *payload;
	size_t payload_len;
	const uint8_t *l4;    /* the UDP/TCP header; l4_len bytes to the IP end */
	size_t l4_len;
};

/* Returns PACKET_OK (0) or the flaw; pi->src is filled whenever the IP
 * header itself was readable, so a malformed packet can still be charged to
 * its source. */
enum packet_flaw packet_parse(const uint8_t *pkt, size_t len, struct packet_info *pi);
const char *packet_flaw_name(enum packet_flaw f);

/*
 * The UDP/TCP checksum of a packet packet_parse() accepted, over the
 * pseudo-header and l4_len bytes, as the receiving stack checks it. False
 * when it does not add up (the kernel will discard the packet). A UDP
 * checksum of 0 over IPv4 means "none" and is true. Only meaningful when
 * the checksum field covers the packet's bytes and the stack will check
 * it (nfq_pkt.csum_unverified): not for a CHECKSUM_PARTIAL packet, whose
 * field is filled in later, nor a GRO'd one, verified before merging.
 */
bool packet_l4_checksum_ok(const struct packet_info *pi);

#endif
