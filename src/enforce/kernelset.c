/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/ipset/ip_set.h>

#include "kernelset.h"

struct kernelset {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	uint8_t protocol;
};

static const char *
set_name(int family)
{
	return family == AF_INET6 ? KERNELSET_NAME6 : KERNELSET_NAME4;
}

static struct nlmsghdr *
put_header(void *buf, uint16_t cmd, uint32_t seq, int family, uint8_t protocol)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_IPSET << 8) | cmd;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = (uint8_t)family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(0);
	mnl_attr_put_u8(nlh, IPSET_ATTR_PROTOCOL, protocol);
	return nlh;
}

int
kernelset_build(void *buf, size_t len, enum kernelset_cmd cmd, uint8_t protocol,
		uint32_t seq, int family, const struct addr *a, uint8_t plen, uint32_t timeout_s)
{
	struct nlmsghdr *nlh;
	struct nlattr *data, *ip;
	uint16_t c;

	/* Worst case: headers, a 16-byte name, nested v6 address, cidr,
	 * timeout: well under 128 bytes. */
	if (len < 128)
		return -ENOSPC;
	memset(buf, 0, 128);
	c = cmd == KERNELSET_ADD ? IPSET_CMD_ADD : cmd == KERNELSET_DEL ? IPSET_CMD_DEL
									: IPSET_CMD_FLUSH;
	nlh = put_header(buf, c, seq, family, protocol);
	mnl_attr_put_strz(nlh, IPSET_ATTR_SETNAME, set_name(family));
	if (cmd == KERNELSET_FLUSH)
		return (int)nlh->nlmsg_len;

	data = mnl_attr_nest_start(nlh, IPSET_ATTR_DATA);
	ip = mnl_attr_nest_start(nlh, IPSET_ATTR_IP);
	/* ipset wants addresses flagged as network byte order. */
	if (family == AF_INET)
		mnl_attr_put(nlh, IPSET_ATTR_IPADDR_IPV4 | NLA_F_NET_BYTEORDER, 4, a->a);
	else
		mnl_attr_put(nlh, IPSET_ATTR_IPADDR_IPV6 | NLA_F_NET_BYTEORDER, 16, a->a);
	mnl_attr_nest_end(nlh, ip);
	mnl_attr_put_u8(nlh, IPSET_ATTR_CIDR, plen);
	if (cmd == KERNELSET_ADD) {
		if (timeout_s > KERNELSET_MAX_TIMEOUT)
			timeout_s = KERNELSET_MAX_TIMEOUT;
		if (timeout_s == 0)
			timeout_s = 1;
		mnl_attr_put_u32(nlh, IPSET_ATTR_TIMEOUT | NLA_F_NET_BYTEORDER, htonl(timeout_s));
	}
	mnl_attr_nest_end(nlh, data);
	return (int)nlh->nlmsg_len;
}

static int
proto_cb(const struct nlmsghdr *nlh, void *arg)
{
	uint8_t *proto = arg;
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) == IPSET_ATTR_PROTOCOL &&
		    mnl_attr_get_payload_len(a) >= 1)
			*proto = mnl_attr_get_u8(a);
	}
	return MNL_CB_OK;
}

/* Send one request and wait for its answer. The ipset error codes live
 * above 4096; the ones that mean "no such set" are mapped to -ENOENT. */
static int
transact(struct kernelset *ks, struct nlmsghdr *nlh, mnl_cb_t cb, void *arg)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	ssize_t n;
	int ret;

	if (mnl_socket_sendto(ks->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(ks->nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		ret = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, ks->portid, cb, arg);
	} while (ret == MNL_CB_OK && cb); /* a data reply is followed by the ACK */
	if (ret < 0) {
		int e = errno;

		if (e == IPSET_ERR_PROTOCOL)
			return -EPROTO;
		if (e == IPSET_ERR_EXIST)
			return -EEXIST;
		if (e >= IPSET_ERR_PRIVATE)
			return -EINVAL;
		return -e;
	}
	return 0;
}

int
kernelset_open(struct kernelset **out)
{
	char buf[256];
	struct kernelset *ks = calloc(1, sizeof(*ks));
	struct nlmsghdr *nlh;
	uint8_t kproto = 0;
	struct timeval tv = { .tv_sec = 1 };
	int ret;

	if (!ks)
		return -ENOMEM;
	ks->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!ks->nl) {
		ret = -errno;
		free(ks);
		return ret;
	}
	if (mnl_socket_bind(ks->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto fail;
	}
	/* A kernel that never answers must not hang a worker. */
	setsockopt(mnl_socket_get_fd(ks->nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ks->portid = mnl_socket_get_portid(ks->nl);
	ks->seq = (uint32_t)time(NULL);

	memset(buf, 0, sizeof(buf));
	nlh = put_header(buf, IPSET_CMD_PROTOCOL, ++ks->seq, AF_INET, IPSET_PROTOCOL);
	ret = transact(ks, nlh, proto_cb, &kproto);
	if (ret < 0 && kproto == 0)
		goto fail;
	/* Speak the newest version both sides know. */
	ks->protocol = kproto < IPSET_PROTOCOL ? kproto : IPSET_PROTOCOL;
	if (ks->protocol < IPSET_PROTOCOL_MIN) {
		ret = -EPROTONOSUPPORT;
		goto fail;
	}
	*out = ks;
	return 0;
fail:
	mnl_socket_close(ks->nl);
	free(ks);
	return ret;
}

void
kernelset_close(struct kernelset *ks)
{
	if (!ks)
		return;
	mnl_socket_close(ks->nl);
	free(ks);
}

static int
request(struct kernelset *ks, enum kernelset_cmd cmd, int family, const struct addr *a,
	uint8_t plen, uint32_t timeout_s)
{
	char buf[256];
	int ret = kernelset_build(buf, sizeof(buf), cmd, ks->protocol, ++ks->seq, family, a,
				  plen, timeout_s);

	if (ret < 0)
		return ret;
	return transact(ks, (struct nlmsghdr *)buf, NULL, NULL);
}

int
kernelset_add(struct kernelset *ks, const struct addr *a, uint8_t plen, uint32_t timeout_s)
{
	/* Without NLM_F_EXCL the kernel treats an existing element as success
	 * and refreshes its timeout: exactly a re-ban. */
	return request(ks, KERNELSET_ADD, a->family, a, plen, timeout_s);
}

int
kernelset_del(struct kernelset *ks, const struct addr *a, uint8_t plen)
{
	int ret = request(ks, KERNELSET_DEL, a->family, a, plen, 0);

	return ret == -EEXIST ? 0 : ret;
}

int
kernelset_flush(struct kernelset *ks, int family)
{
	return request(ks, KERNELSET_FLUSH, family, NULL, 0, 0);
}
