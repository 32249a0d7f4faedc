/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sipreply.h"

#define REPLY_MAX 4096

struct sipreply {
	int fd4, fd6;
};

int
sipreply_open(struct sipreply **out)
{
	struct sipreply *r = calloc(1, sizeof(*r));
	int off = 6; /* UDP checksum offset: the IPv6 kernel fills it in */
	int ret;

	if (!r)
		return -ENOMEM;
	r->fd4 = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_UDP);
	r->fd6 = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_UDP);
	if (r->fd4 < 0 || r->fd6 < 0) {
		ret = -errno;
		sipreply_close(r);
		return ret;
	}
	setsockopt(r->fd6, IPPROTO_IPV6, IPV6_CHECKSUM, &off, sizeof(off));
	*out = r;
	return 0;
}

void
sipreply_close(struct sipreply *r)
{
	if (!r)
		return;
	if (r->fd4 >= 0)
		close(r->fd4);
	if (r->fd6 >= 0)
		close(r->fd6);
	free(r);
}

static bool
name_is(const char *line, size_t n, const char *name, const char *compact)
{
	size_t l = strlen(name);

	while (n && (line[n - 1] == ' ' || line[n - 1] == '\t'))
		n--;
	return (n == l && strncasecmp(line, name, l) == 0) ||
	       (compact && n == 1 && (line[0] | 0x20) == compact[0]);
}

/* Append every Via header line (with its folded continuations) of the
 * request's header block, in order. Returns the new length, or 0 when they
 * do not all fit: a reply missing a Via would go astray. */
static size_t
copy_vias(const char *buf, size_t hlen, char *out, size_t o, size_t outlen)
{
	size_t i = 0;
	bool in_via = false;

	/* Skip the start line. */
	while (i < hlen && buf[i] != '\n')
		i++;
	i++;
	while (i < hlen) {
		size_t s = i, e;
		const char *colon;

		while (i < hlen && buf[i] != '\n')
			i++;
		e = i < hlen ? i + 1 : i;
		if (e - s <= 2 && (buf[s] == '\r' || buf[s] == '\n'))
			break; /* the empty line */
		if (buf[s] == ' ' || buf[s] == '\t') {
			/* a continuation belongs to the header before it */
		} else {
			colon = memchr(buf + s, ':', e - s);
			in_via = colon && name_is(buf + s, (size_t)(colon - (buf + s)), "via", "v");
		}
		if (in_via && o + (e - s) + 2 >= outlen)
			return 0;
		if (in_via) {
			memcpy(out + o, buf + s, e - s);
			o += e - s;
			if (out[o - 1] == '\n' && (o < 2 || out[o - 2] != '\r')) {
				out[o - 1] = '\r';
				out[o++] = '\n';
			}
		}
		i = e;
	}
	return o;
}

int
sipreply_build(const char *buf, size_t len, const struct sip_msg *m, unsigned status,
	       const char *reason, char *out, size_t outlen)
{
	size_t o;
	int w;
	bool to_tag;

	if (!m->is_request || !m->via.s || !m->from.s || !m->to.s || !m->call_id.s || !m->cseq.s)
		return -EINVAL;
	w = snprintf(out, outlen, "SIP/2.0 %u %s\r\n", status, reason);
	if (w < 0 || (size_t)w >= outlen)
		return -ENOSPC;
	o = copy_vias(buf, m->header_len <= len ? m->header_len : len, out, (size_t)w, outlen);
	if (!o)
		return -ENOSPC;
	to_tag = false;
	for (uint32_t i = 0; i + 5 <= m->to.len && !to_tag; i++)
		to_tag = strncasecmp(m->to.s + i, ";tag=", 5) == 0;
	w = snprintf(out + o, outlen - o,
		     "From: %.*s\r\nTo: %.*s%s\r\nCall-ID: %.*s\r\nCSeq: %.*s\r\n"
		     "Server: sipwarden\r\nContent-Length: 0\r\n\r\n",
		     (int)m->from.len, m->from.s, (int)m->to.len, m->to.s,
		     to_tag ? "" : ";tag=sw403", (int)m->call_id.len, m->call_id.s,
		     (int)m->cseq.len, m->cseq.s);
	if (w < 0 || (size_t)w >= outlen - o)
		return -ENOSPC;
	return (int)(o + (size_t)w);
}

static uint16_t
csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

int
sipreply_send(struct sipreply *r, const struct packet_info *pi, const struct sip_msg *m,
	      unsigned status, const char *reason)
{
	uint8_t pkt[8 + REPLY_MAX];
	int n = sipreply_build((const char *)pi->payload, pi->payload_len, m, status, reason,
			       (char *)pkt + 8, REPLY_MAX);
	uint16_t ulen;
	struct msghdr mh = { 0 };
	struct iovec iov;
	char cbuf[CMSG_SPACE(sizeof(struct in6_pktinfo))] = { 0 };
	struct cmsghdr *c;
	struct sockaddr_storage ss = { 0 };
	int fd;

	if (n < 0)
		return n;
	ulen = (uint16_t)(8 + n);
	/* UDP header: from the port the request went to, to where it came from. */
	pkt[0] = (uint8_t)(pi->dport >> 8);
	pkt[1] = (uint8_t)pi->dport;
	pkt[2] = (uint8_t)(pi->sport >> 8);
	pkt[3] = (uint8_t)pi->sport;
	pkt[4] = (uint8_t)(ulen >> 8);
	pkt[5] = (uint8_t)ulen;
	pkt[6] = pkt[7] = 0;
	iov.iov_base = pkt;
	iov.iov_len = ulen;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_name = &ss;
	mh.msg_control = cbuf;
	c = (struct cmsghdr *)cbuf;
	if (pi->src.family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		struct in_pktinfo *pk;
		uint32_t sum = 0;
		uint16_t ck;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, pi->src.a, 4);
		mh.msg_namelen = sizeof(*sin);
		/* The IPv4 UDP checksum over the pseudo-header: the source is
		 * the server address the request was sent to. */
		sum = csum_add(sum, pi->dst.a, 4);
		sum = csum_add(sum, pi->src.a, 4);
		sum += IPPROTO_UDP + ulen;
		ck = (uint16_t)~csum_add(sum, pkt, ulen);
		if (!ck)
			ck = 0xffff;
		pkt[6] = (uint8_t)(ck >> 8);
		pkt[7] = (uint8_t)ck;
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(*pk));
		pk = (struct in_pktinfo *)CMSG_DATA(c);
		memcpy(&pk->ipi_spec_dst, pi->dst.a, 4);
		mh.msg_controllen = CMSG_SPACE(sizeof(*pk));
		fd = r->fd4;
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		struct in6_pktinfo *pk;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, pi->src.a, 16);
		mh.msg_namelen = sizeof(*sin6);
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(*pk));
		pk = (struct in6_pktinfo *)CMSG_DATA(c);
		memcpy(&pk->ipi6_addr, pi->dst.a, 16);
		mh.msg_controllen = CMSG_SPACE(sizeof(*pk));
		fd = r->fd6;
	}
	return sendmsg(fd, &mh, MSG_DONTWAIT) < 0 ? -errno : 0;
}
