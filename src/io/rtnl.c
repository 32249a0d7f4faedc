/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include "rtnl.h"

struct rtnl {
	struct mnl_socket *nl;
	struct hostaddr *h;
};

/* One address message: its family and address, if it carries one. */
static bool
addr_of(const struct nlmsghdr *nlh, struct addr *out)
{
	const struct ifaddrmsg *ifa;
	const struct nlattr *at;
	const void *local = NULL, *address = NULL;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)))
		return false;
	ifa = mnl_nlmsg_get_payload(nlh);
	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return false;
	mnl_attr_for_each(at, nlh, sizeof(*ifa)) {
		uint16_t len = mnl_attr_get_payload_len(at);
		uint16_t want = ifa->ifa_family == AF_INET ? 4 : 16;

		if (len < want)
			continue;
		if (mnl_attr_get_type(at) == IFA_LOCAL)
			local = mnl_attr_get_payload(at);
		else if (mnl_attr_get_type(at) == IFA_ADDRESS)
			address = mnl_attr_get_payload(at);
	}
	/* IPv4 point-to-point: IFA_ADDRESS is the peer, IFA_LOCAL ours. */
	if (!local)
		local = address;
	if (!local)
		return false;
	memset(out, 0, sizeof(*out));
	if (ifa->ifa_family == AF_INET)
		addr_from_v4(out, local);
	else
		addr_from_v6(out, local);
	return true;
}

struct dump {
	struct addr a[HOSTADDR_MAX];
	unsigned n;
	unsigned over;
};

static int
dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct dump *d = arg;
	struct addr a;

	if (nlh->nlmsg_type == RTM_NEWADDR && addr_of(nlh, &a)) {
		if (d->n < HOSTADDR_MAX)
			d->a[d->n++] = a;
		else
			d->over++;
	}
	return MNL_CB_OK;
}

/* Ask for the whole list on a socket of its own and replace h with it. */
static int
load_all(struct hostaddr *h)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct rtgenmsg *g;
	struct dump *d;
	uint32_t seq = (uint32_t)time(NULL), port;
	int ret;

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out;
	}
	port = mnl_socket_get_portid(nl);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->rtgen_family = AF_UNSPEC;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	/* Bounded: a dump ends with NLMSG_DONE; a broken one with an error. */
	for (int i = 0; i < 10000; i++) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));

		if (n < 0) {
			ret = -errno;
			goto out;
		}
		ret = mnl_cb_run(buf, (size_t)n, seq, port, dump_cb, d);
		if (ret <= MNL_CB_STOP)
			break;
	}
	if (ret < 0) {
		ret = -errno;
		goto out;
	}
	hostaddr_replace(h, d->a, d->n + d->over);
	ret = 0;
out:
	if (nl)
		mnl_socket_close(nl);
	free(d);
	return ret;
}

int
rtnl_open(struct rtnl **out, struct hostaddr *h)
{
	struct rtnl *r;
	int ret;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->h = h;
	/* Subscribe before the dump: a change during it is seen either way. */
	r->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!r->nl || mnl_socket_bind(r->nl, RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR,
				      MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		rtnl_close(r);
		return ret;
	}
	ret = load_all(h);
	if (ret < 0) {
		rtnl_close(r);
		return ret;
	}
	*out = r;
	return 0;
}

void
rtnl_close(struct rtnl *r)
{
	if (!r)
		return;
	if (r->nl)
		mnl_socket_close(r->nl);
	free(r);
}

int
rtnl_fd(const struct rtnl *r)
{
	return mnl_socket_get_fd(r->nl);
}

int
rtnl_process(struct rtnl *r)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	/* Bounded per call: the main loop comes back when there is more. */
	for (int i = 0; i < 64; i++) {
		ssize_t n = mnl_socket_recvfrom(r->nl, buf, sizeof(buf));
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		int len = (int)n;

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return 0;
			if (errno == ENOBUFS)
				return load_all(r->h);
			return -errno;
		}
		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			struct addr a;

			if (!addr_of(nlh, &a))
				continue;
			if (nlh->nlmsg_type == RTM_NEWADDR)
				hostaddr_add(r->h, &a);
			else if (nlh->nlmsg_type == RTM_DELADDR)
				hostaddr_del(r->h, &a);
		}
	}
	return 0;
}

struct oif {
	uint32_t ifindex;
	bool found;
};

static int
route_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct oif *o = arg;
	const struct nlattr *at;

	if (nlh->nlmsg_type != RTM_NEWROUTE || nlh->nlmsg_len < NLMSG_LENGTH(sizeof(struct rtmsg)))
		return MNL_CB_OK;
	mnl_attr_for_each(at, nlh, sizeof(struct rtmsg)) {
		if (mnl_attr_get_type(at) == RTA_OIF && mnl_attr_get_payload_len(at) >= 4) {
			o->ifindex = mnl_attr_get_u32(at);
			o->found = true;
		}
	}
	return MNL_CB_OK;
}

int
rtnl_route_ifindex(const struct addr *dst, uint32_t *ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	struct oif o = { 0, false };
	uint32_t seq = (uint32_t)time(NULL), port;
	ssize_t n;
	int ret;

	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out;
	}
	port = mnl_socket_get_portid(nl);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = dst->family;
	rtm->rtm_dst_len = dst->family == AF_INET ? 32 : 128;
	mnl_attr_put(nlh, RTA_DST, dst->family == AF_INET ? 4 : 16, dst->a);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0) {
		ret = -errno;
		goto out;
	}
	ret = mnl_cb_run(buf, (size_t)n, seq, port, route_cb, &o);
	if (ret < 0)
		ret = -errno;
	else if (!o.found)
		ret = -ENETUNREACH;
	else {
		*ifindex = o.ifindex;
		ret = 0;
	}
out:
	mnl_socket_close(nl);
	return ret;
}
