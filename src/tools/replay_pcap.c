/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * replay_pcap - captures in, IP packets out. See replay_pcap.h.
 */

#include <errno.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay_pcap.h"

/* Not in every libpcap's headers (values from the tcpdump.org registry). */
#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif

#define ETH_HLEN 14
#define SLL_HLEN 16
#define SLL2_HLEN 20
#define NULL_HLEN 4
#define VLAN_TAG_LEN 4
#define VLAN_MAX_TAGS 2

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd

struct replay_cap {
	pcap_t *p;
	int dlt;
	char err[PCAP_ERRBUF_SIZE + 64];
};

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static bool
is_vlan(uint16_t type)
{
	return type == 0x8100 || type == 0x88a8 || type == 0x9100;
}

/* pkt[off..caplen) must be an IP packet of the version the link said. */
static enum replay_frame_status
ip_at(const uint8_t *pkt, size_t caplen, size_t off, unsigned want_version,
      const uint8_t **l3, size_t *l3_len)
{
	unsigned v;

	if (off >= caplen)
		return REPLAY_FRAME_SHORT;
	v = pkt[off] >> 4;
	if ((v != 4 && v != 6) || (want_version && v != want_version))
		return REPLAY_FRAME_NOT_IP;
	*l3 = pkt + off;
	*l3_len = caplen - off;
	return REPLAY_FRAME_IP;
}

static enum replay_frame_status
ethertype_ip(const uint8_t *pkt, size_t caplen, size_t off, uint16_t type,
	     const uint8_t **l3, size_t *l3_len)
{
	if (type == ETHERTYPE_IPV4)
		return ip_at(pkt, caplen, off, 4, l3, l3_len);
	if (type == ETHERTYPE_IPV6)
		return ip_at(pkt, caplen, off, 6, l3, l3_len);
	return REPLAY_FRAME_NOT_IP;
}

enum replay_frame_status
replay_link_decode(int dlt, const uint8_t *pkt, size_t caplen, const uint8_t **l3,
		   size_t *l3_len)
{
	size_t off;
	uint16_t type;

	switch (dlt) {
	case DLT_EN10MB:
		if (caplen < ETH_HLEN)
			return REPLAY_FRAME_SHORT;
		off = 12;
		type = rd16(pkt + off);
		for (int i = 0; i < VLAN_MAX_TAGS && is_vlan(type); i++) {
			off += VLAN_TAG_LEN;
			if (off + 2 > caplen)
				return REPLAY_FRAME_SHORT;
			type = rd16(pkt + off);
		}
		return ethertype_ip(pkt, caplen, off + 2, type, l3, l3_len);
	case DLT_LINUX_SLL:
		if (caplen < SLL_HLEN)
			return REPLAY_FRAME_SHORT;
		return ethertype_ip(pkt, caplen, SLL_HLEN, rd16(pkt + 14), l3, l3_len);
	case DLT_LINUX_SLL2:
		if (caplen < SLL2_HLEN)
			return REPLAY_FRAME_SHORT;
		return ethertype_ip(pkt, caplen, SLL2_HLEN, rd16(pkt), l3, l3_len);
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return ip_at(pkt, caplen, 0, dlt == DLT_IPV4 ? 4 : dlt == DLT_IPV6 ? 6 : 0,
			     l3, l3_len);
	case DLT_NULL:
	case DLT_LOOP:
		/* The family is in the writer's byte order (NULL) and its
		 * values differ between systems (AF_INET6 is 10, 24, 28 or
		 * 30): the IP version nibble says more. */
		if (caplen < NULL_HLEN)
			return REPLAY_FRAME_SHORT;
		return ip_at(pkt, caplen, NULL_HLEN, 0, l3, l3_len);
	default:
		return REPLAY_FRAME_NOT_IP;
	}
}

static bool
supported(int dlt)
{
	return dlt == DLT_EN10MB || dlt == DLT_LINUX_SLL || dlt == DLT_LINUX_SLL2 ||
	       dlt == DLT_RAW || dlt == DLT_IPV4 || dlt == DLT_IPV6 || dlt == DLT_NULL ||
	       dlt == DLT_LOOP;
}

int
replay_cap_open(const char *path, struct replay_cap **out, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct replay_cap *c;
	FILE *f = NULL;

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
		return -ENOMEM;
	}
	/* Open the file ourselves first: libpcap's message for a missing
	 * file is fine, but its errno is lost. */
	if (strcmp(path, "-") != 0) {
		f = fopen(path, "rbe");
		if (f == NULL) {
			int e = errno;

			snprintf(err, errlen, "%s: %s", path, strerror(e));
			free(c);
			return -e;
		}
		c->p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_MICRO,
								ebuf);
		if (c->p == NULL)
			fclose(f);
	} else {
		c->p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO,
							       ebuf);
	}
	if (c->p == NULL) {
		snprintf(err, errlen, "%s: not a capture file libpcap can read (pcap or pcapng): %s",
			 path, ebuf);
		free(c);
		return -EINVAL;
	}
	c->dlt = pcap_datalink(c->p);
	if (!supported(c->dlt)) {
		const char *n = pcap_datalink_val_to_name(c->dlt);

		snprintf(err, errlen, "%s: link type %d (%s) is not supported (EN10MB, LINUX_SLL, "
			 "LINUX_SLL2, RAW, IPV4, IPV6, NULL, LOOP are)", path, c->dlt,
			 n ? n : "unknown");
		replay_cap_close(c);
		return -ENOTSUP;
	}
	*out = c;
	return 0;
}

int
replay_cap_next(struct replay_cap *c, struct replay_frame *f)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int r;

	memset(f, 0, sizeof(*f));
	r = pcap_next_ex(c->p, &h, &data);
	if (r == PCAP_ERROR_BREAK)
		return 0;
	if (r != 1) {
		snprintf(c->err, sizeof(c->err), "damaged capture: %s", pcap_geterr(c->p));
		return -EINVAL;
	}
	f->ts_us = h->ts.tv_sec < 0 ? 0 :
		(uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)(h->ts.tv_usec % 1000000);
	f->caplen = h->caplen;
	f->len = h->len;
	if (h->caplen > h->len) {
		f->status = REPLAY_FRAME_SHORT; /* impossible in a sane file */
		return 1;
	}
	if (h->caplen < h->len) {
		f->status = REPLAY_FRAME_SNAPPED;
		return 1;
	}
	f->status = replay_link_decode(c->dlt, data, h->caplen, &f->l3, &f->l3_len);
	return 1;
}

const char *
replay_cap_error(struct replay_cap *c)
{
	return c->err;
}

const char *
replay_cap_linktype(const struct replay_cap *c)
{
	const char *n = pcap_datalink_val_to_name(c->dlt);

	return n ? n : "unknown";
}

void
replay_cap_close(struct replay_cap *c)
{
	if (c == NULL)
		return;
	if (c->p != NULL)
		pcap_close(c->p);
	free(c);
}
