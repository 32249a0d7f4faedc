/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_REPLAY_PCAP_H
#define SIPWARDEN_REPLAY_PCAP_H

/*
 * replay_pcap - the capture side of sipwarden-replay: read a pcap or pcapng
 * file (libpcap) and strip each record's link-layer header down to the
 * IPv4/IPv6 packet, whatever tcpdump, ngrep -O or sngrep saved.
 *
 * Link types: EN10MB (with up to two 802.1Q/802.1ad tags), LINUX_SLL,
 * LINUX_SLL2, RAW, IPV4, IPV6, NULL and LOOP (BSD loopback). Every header
 * length is checked against the bytes captured before it is read.
 */

#include <stddef.h>
#include <stdint.h>

enum replay_frame_status {
	REPLAY_FRAME_IP = 0,   /* l3 points at an IPv4/IPv6 header */
	REPLAY_FRAME_SNAPPED,  /* cut by the capture's snaplen (caplen < len) */
	REPLAY_FRAME_SHORT,    /* shorter than its link-layer header, or corrupt */
	REPLAY_FRAME_NOT_IP,   /* ARP, LLDP, ...: nothing for us */
};

struct replay_frame {
	uint64_t ts_us;        /* capture time, microseconds since the epoch */
	uint32_t caplen, len;  /* bytes saved, bytes on the wire */
	const uint8_t *l3;     /* valid until the next replay_cap_next() */
	size_t l3_len;
	enum replay_frame_status status;
};

struct replay_cap;

/*
 * Open a capture ("-" reads standard input). Returns 0, or a negative errno
 * with a message in err: -ENOENT/-EACCES/... when the file cannot be
 * opened, -EINVAL when it is not a capture libpcap reads, -ENOTSUP for a
 * link type listed nowhere above.
 */
int replay_cap_open(const char *path, struct replay_cap **out, char *err, size_t errlen);
/* Next record: 1 and *f, 0 at the end, -EINVAL for a damaged file (message
 * from replay_cap_error()). */
int replay_cap_next(struct replay_cap *c, struct replay_frame *f);
const char *replay_cap_error(struct replay_cap *c);
/* "EN10MB", "LINUX_SLL2", ... */
const char *replay_cap_linktype(const struct replay_cap *c);
void replay_cap_close(struct replay_cap *c);

/*
 * Find the IP packet in one record of the given link type (DLT_ value).
 * Pure; exposed for tests. Returns the status; on REPLAY_FRAME_IP *l3 and
 * *l3_len delimit the network-layer packet inside pkt[0..caplen).
 */
enum replay_frame_status replay_link_decode(int dlt, const uint8_t *pkt, size_t caplen,
					    const uint8_t **l3, size_t *l3_len);

#endif
