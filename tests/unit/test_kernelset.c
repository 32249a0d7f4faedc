/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests: kernelset_build(), the ipset netlink requests, taken apart
 * attribute by attribute with libmnl's walkers and checked against the
 * kernel's uapi (<linux/netfilter/ipset/ip_set.h>, nfnetlink.h).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/ipset/ip_set.h>
#include <linux/netfilter/nfnetlink.h>

#include "addr.h"
#include "addr_harness.h"
#include "kernelset.h"

TestSuite(kernelset);

#define BUFLEN 512
#define SEQ 0x12345678u

/* What one message holds, as the kernel would read it. */
struct parsed {
	const struct nlmsghdr *nlh;
	const struct nfgenmsg *nfg;
	unsigned ntop;               /* top-level attributes */
	uint16_t top[8];             /* their nla_type, flags included */
	const struct nlattr *proto, *name, *data;
	unsigned ndata;
	uint16_t datatypes[8];
	const struct nlattr *ip, *cidr, *timeout;
	unsigned nip;
	const struct nlattr *ipaddr;
};

/* A nest ends exactly where its children end. */
static void
assert_nest_fits(const struct nlattr *nest)
{
	const struct nlattr *a;
	size_t sum = 0;

	mnl_attr_for_each_nested(a, nest) {
		sum += MNL_ALIGN(a->nla_len);
	}
	cr_assert_eq(sum, mnl_attr_get_payload_len(nest), "nest %u: children %zu, payload %u",
		     nest->nla_type, sum, (unsigned)mnl_attr_get_payload_len(nest));
}

static void
parse(const void *buf, int len, struct parsed *p)
{
	const struct nlattr *a;
	size_t sum = 0;

	memset(p, 0, sizeof(*p));
	cr_assert_gt(len, 0);
	p->nlh = buf;
	cr_assert(mnl_nlmsg_ok(p->nlh, len));
	cr_assert_eq(p->nlh->nlmsg_len, (uint32_t)len);
	cr_assert_eq(len % 4, 0, "netlink messages are 4-byte aligned");
	p->nfg = mnl_nlmsg_get_payload(p->nlh);
	mnl_attr_for_each(a, p->nlh, sizeof(struct nfgenmsg)) {
		cr_assert_lt(p->ntop, 8);
		p->top[p->ntop++] = a->nla_type;
		sum += MNL_ALIGN(a->nla_len);
		switch (mnl_attr_get_type(a)) {
		case IPSET_ATTR_PROTOCOL: p->proto = a; break;
		case IPSET_ATTR_SETNAME: p->name = a; break;
		case IPSET_ATTR_DATA: p->data = a; break;
		default: cr_assert_fail("unexpected attribute %u", a->nla_type);
		}
	}
	/* no trailing bytes that are not attributes */
	cr_assert_eq(sum + MNL_ALIGN(sizeof(struct nfgenmsg)) + MNL_NLMSG_HDRLEN, (size_t)len);
	if (!p->data)
		return;
	assert_nest_fits(p->data);
	mnl_attr_for_each_nested(a, p->data) {
		cr_assert_lt(p->ndata, 8);
		p->datatypes[p->ndata++] = a->nla_type;
		switch (mnl_attr_get_type(a)) {
		case IPSET_ATTR_IP: p->ip = a; break;
		case IPSET_ATTR_CIDR: p->cidr = a; break;
		case IPSET_ATTR_TIMEOUT: p->timeout = a; break;
		default: cr_assert_fail("unexpected data attribute %u", a->nla_type);
		}
	}
	if (!p->ip)
		return;
	assert_nest_fits(p->ip);
	mnl_attr_for_each_nested(a, p->ip) {
		p->nip++;
		p->ipaddr = a;
	}
}

static int
build(void *buf, size_t len, enum kernelset_cmd cmd, const char *net, uint8_t plen,
      uint32_t timeout)
{
	struct addr a = A(net);

	return kernelset_build(buf, len, cmd, IPSET_PROTOCOL, SEQ, a.family, &a, plen, timeout);
}

/* The parts every request has. */
static void
assert_header(const struct parsed *p, uint16_t cmd, int family)
{
	cr_assert_eq(p->nlh->nlmsg_type, (NFNL_SUBSYS_IPSET << 8) | cmd);
	cr_assert_eq(p->nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	cr_assert_eq(p->nlh->nlmsg_seq, SEQ);
	cr_assert_eq(p->nlh->nlmsg_pid, 0);
	cr_assert_eq(p->nfg->nfgen_family, family);
	cr_assert_eq(p->nfg->version, NFNETLINK_V0);
	cr_assert_eq(p->nfg->res_id, htons(0));

	cr_assert_not_null(p->proto);
	cr_assert_eq(p->top[0], IPSET_ATTR_PROTOCOL, "protocol comes first");
	cr_assert_geq(mnl_attr_validate(p->proto, MNL_TYPE_U8), 0);
	cr_assert_eq(p->proto->nla_len, NLA_HDRLEN + 1);
	cr_assert_eq(mnl_attr_get_u8(p->proto), IPSET_PROTOCOL);

	cr_assert_not_null(p->name);
	cr_assert_eq(p->top[1], IPSET_ATTR_SETNAME, "no flags on the name");
	cr_assert_geq(mnl_attr_validate(p->name, MNL_TYPE_NUL_STRING), 0);
	cr_assert_str_eq(mnl_attr_get_str(p->name),
			 family == AF_INET6 ? KERNELSET_NAME6 : KERNELSET_NAME4);
	cr_assert_leq(mnl_attr_get_payload_len(p->name), IPSET_MAXNAMELEN);
}

/* DATA { IP { IPADDR_IPVx|NET_BYTEORDER }, CIDR [, TIMEOUT] } */
static void
assert_data(const struct parsed *p, const char *net, uint8_t plen, bool timeout)
{
	struct addr a = A(net);
	bool v6 = a.family == AF_INET6;
	unsigned alen = v6 ? 16 : 4;

	cr_assert_eq(p->ntop, 3);
	cr_assert_eq(p->top[2], IPSET_ATTR_DATA | NLA_F_NESTED);
	cr_assert_eq(p->ndata, timeout ? 3 : 2);

	cr_assert_not_null(p->ip);
	cr_assert_eq(p->datatypes[0], IPSET_ATTR_IP | NLA_F_NESTED);
	cr_assert_eq(p->nip, 1);
	cr_assert_eq(p->ipaddr->nla_type,
		     (v6 ? IPSET_ATTR_IPADDR_IPV6 : IPSET_ATTR_IPADDR_IPV4) | NLA_F_NET_BYTEORDER);
	cr_assert_eq(mnl_attr_get_payload_len(p->ipaddr), alen);
	cr_assert_eq(p->ipaddr->nla_len, NLA_HDRLEN + alen);
	/* network order: the bytes of the address as written */
	if (v6) {
		struct in6_addr in6;

		cr_assert_eq(inet_pton(AF_INET6, net, &in6), 1);
		cr_assert(memcmp(mnl_attr_get_payload(p->ipaddr), &in6, 16) == 0);
	} else {
		struct in_addr in4;

		cr_assert_eq(inet_pton(AF_INET, net, &in4), 1);
		cr_assert_eq(*(const uint32_t *)mnl_attr_get_payload(p->ipaddr), in4.s_addr);
	}

	cr_assert_not_null(p->cidr);
	cr_assert_eq(p->datatypes[1], IPSET_ATTR_CIDR);
	cr_assert_geq(mnl_attr_validate(p->cidr, MNL_TYPE_U8), 0);
	cr_assert_eq(mnl_attr_get_u8(p->cidr), plen);

	if (!timeout) {
		cr_assert_null(p->timeout);
		return;
	}
	cr_assert_not_null(p->timeout);
	cr_assert_eq(p->datatypes[2], IPSET_ATTR_TIMEOUT | NLA_F_NET_BYTEORDER);
	cr_assert_geq(mnl_attr_validate(p->timeout, MNL_TYPE_U32), 0);
}

static uint32_t
timeout_of(const struct parsed *p)
{
	cr_assert_not_null(p->timeout);
	return ntohl(mnl_attr_get_u32(p->timeout));
}

Test(kernelset, nest_start_sets_nla_f_nested)
{
	/* What the builder relies on: libmnl flags a nest itself. */
	char buf[64] = { 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlattr *n = mnl_attr_nest_start(nlh, IPSET_ATTR_DATA);

	mnl_attr_nest_end(nlh, n);
	cr_assert_eq(n->nla_type, IPSET_ATTR_DATA | NLA_F_NESTED);
	cr_assert_eq(mnl_attr_get_type(n), IPSET_ATTR_DATA);
}

Test(kernelset, add_v4)
{
	uint32_t buf[BUFLEN / 4];
	struct parsed p;
	int n = build(buf, sizeof(buf), KERNELSET_ADD, "203.0.113.7", 32, 3600);

	parse(buf, n, &p);
	assert_header(&p, IPSET_CMD_ADD, AF_INET);
	assert_data(&p, "203.0.113.7", 32, true);
	cr_assert_eq(timeout_of(&p), 3600);
	/* big-endian on the wire, whatever the host */
	cr_assert(memcmp(mnl_attr_get_payload(p.timeout), "\x00\x00\x0e\x10", 4) == 0);
	cr_assert(memcmp(mnl_attr_get_payload(p.ipaddr), "\xcb\x00\x71\x07", 4) == 0);
}

Test(kernelset, add_v4_network)
{
	uint32_t buf[BUFLEN / 4];
	struct parsed p;
	int n = build(buf, sizeof(buf), KERNELSET_ADD, "198.51.100.0", 24, 60);

	parse(buf, n, &p);
	assert_header(&p, IPSET_CMD_ADD, AF_INET);
	assert_data(&p, "198.51.100.0", 24, true);
	cr_assert_eq(timeout_of(&p), 60);
}

Test(kernelset, add_v6)
{
	uint32_t buf[BUFLEN / 4];
	struct parsed p;
	int n = build(buf, sizeof(buf), KERNELSET_ADD, "2001:db8:a::", 64, 86400);

	parse(buf, n, &p);
	assert_header(&p, IPSET_CMD_ADD, AF_INET6);
	assert_data(&p, "2001:db8:a::", 64, true);
	cr_assert_eq(timeout_of(&p), 86400);
	n = build(buf, sizeof(buf), KERNELSET_ADD, "2001:db8:c::9", 128, 1);
	parse(buf, n, &p);
	assert_data(&p, "2001:db8:c::9", 128, true);
}

Test(kernelset, del_v4_v6_have_no_timeout)
{
	uint32_t buf[BUFLEN / 4];
	struct parsed p;
	int n = build(buf, sizeof(buf), KERNELSET_DEL, "203.0.113.7", 32, 3600);

	parse(buf, n, &p);
	assert_header(&p, IPSET_CMD_DEL, AF_INET);
	assert_data(&p, "203.0.113.7", 32, false);
	n = build(buf, sizeof(buf), KERNELSET_DEL, "2001:db8:a::", 64, 0);
	parse(buf, n, &p);
	assert_header(&p, IPSET_CMD_DEL, AF_INET6);
	assert_data(&p, "2001:db8:a::", 64, false);
}

Test(kernelset, flush_has_no_data)
{
	uint32_t buf[BUFLEN / 4];
	struct parsed p;
	int n;

	n = kernelset_build(buf, sizeof(buf), KERNELSET_FLUSH, IPSET_PROTOCOL, SEQ, AF_INET, NULL,
			    0, 0);
	parse(buf, n, &p);
	assert_header(&p, IPSET_CMD_FLUSH, AF_INET);
	cr_assert_eq(p.ntop, 2);
	cr_assert_null(p.data);
	n = kernelset_build(buf, sizeof(buf), KERNELSET_FLUSH, IPSET_PROTOCOL, SEQ, AF_INET6, NULL,
			    0, 0);
	parse(buf, n, &p);
	assert_header(&p, IPSET_CMD_FLUSH, AF_INET6);
	cr_assert_eq(p.ntop, 2);
}

Test(kernelset, timeout_clamped)
{
	static const struct {
		uint32_t in, out;
	} cases[] = {
		{ 0, 1 },
		{ 1, 1 },
		{ 2, 2 },
		{ KERNELSET_MAX_TIMEOUT - 1, KERNELSET_MAX_TIMEOUT - 1 },
		{ KERNELSET_MAX_TIMEOUT, KERNELSET_MAX_TIMEOUT },
		{ KERNELSET_MAX_TIMEOUT + 1, KERNELSET_MAX_TIMEOUT },
		{ 31536000, KERNELSET_MAX_TIMEOUT },
		{ UINT32_MAX, KERNELSET_MAX_TIMEOUT },
	};
	uint32_t buf[BUFLEN / 4];
	struct parsed p;

	/* the kernel's IPSET_MAX_TIMEOUT: (UINT_MAX >> 1) / MSEC_PER_SEC */
	cr_assert_eq(KERNELSET_MAX_TIMEOUT, UINT32_MAX / 2 / 1000);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int n = build(buf, sizeof(buf), KERNELSET_ADD, "203.0.113.7", 32, cases[i].in);

		parse(buf, n, &p);
		cr_assert_eq(timeout_of(&p), cases[i].out, "timeout %u", cases[i].in);
	}
}

Test(kernelset, protocol_and_seq_passed_through)
{
	uint32_t buf[BUFLEN / 4];
	struct parsed p;
	struct addr a = A("203.0.113.7");
	int n = kernelset_build(buf, sizeof(buf), KERNELSET_ADD, 6, 0xfffffffe, AF_INET, &a, 32,
				5);

	parse(buf, n, &p);
	cr_assert_eq(mnl_attr_get_u8(p.proto), 6);
	cr_assert_eq(p.nlh->nlmsg_seq, 0xfffffffe);
}

Test(kernelset, short_buffer)
{
	struct addr a = A("2001:db8:a::1");
	char *buf;
	int n;

	for (size_t len = 0; len < 128; len++) {
		buf = malloc(len ? len : 1);
		n = kernelset_build(buf, len, KERNELSET_ADD, IPSET_PROTOCOL, SEQ, AF_INET6, &a, 128,
				    60);
		cr_assert_eq(n, -ENOSPC, "len %zu", len);
		free(buf);
	}
	/* The largest request fits the smallest buffer it accepts (an exact
	 * heap block: ASan sees any write past it). */
	buf = malloc(128);
	n = kernelset_build(buf, 128, KERNELSET_ADD, IPSET_PROTOCOL, SEQ, AF_INET6, &a, 128,
			    60);
	cr_assert_gt(n, 0);
	cr_assert_leq(n, 128);
	free(buf);
}

Test(kernelset, dirty_buffer)
{
	unsigned char buf[BUFLEN], ref[BUFLEN];
	int n, m;

	memset(ref, 0, sizeof(ref));
	n = build(ref, sizeof(ref), KERNELSET_ADD, "2001:db8:a::", 64, 600);
	memset(buf, 0xa5, sizeof(buf));
	m = build(buf, sizeof(buf), KERNELSET_ADD, "2001:db8:a::", 64, 600);
	cr_assert_eq(n, m);
	/* padding included: nothing of the old contents leaks out */
	cr_assert(memcmp(buf, ref, (size_t)n) == 0);
}

Test(kernelset, exact_layout_v4_add)
{
	/* The whole message, byte by byte, as `ipset add sipwarden4
	 * 203.0.113.0/24 timeout 60` would send it (little-endian host
	 * fields; the nlmsg header's length/type/flags/seq are host order). */
	static const uint8_t want[] = {
		/* nfgenmsg: AF_INET, v0, res_id 0 */
		0x02, 0x00, 0x00, 0x00,
		/* PROTOCOL u8 7 */
		0x05, 0x00, 0x01, 0x00, 0x07, 0x00, 0x00, 0x00,
		/* SETNAME "sipwarden4" */
		0x0f, 0x00, 0x02, 0x00, 's', 'i', 'p', 'w', 'a', 'r', 'd', 'e', 'n', '4', 0x00,
		0x00,
		/* DATA (nested), 32 bytes */
		0x20, 0x00, 0x07, 0x80,
		/* IP (nested) { IPADDR_IPV4|NET_BYTEORDER 203.0.113.0 } */
		0x0c, 0x00, 0x01, 0x80, 0x08, 0x00, 0x01, 0x40, 0xcb, 0x00, 0x71, 0x00,
		/* CIDR u8 24 */
		0x05, 0x00, 0x03, 0x00, 0x18, 0x00, 0x00, 0x00,
		/* TIMEOUT|NET_BYTEORDER be32 60 */
		0x08, 0x00, 0x06, 0x40, 0x00, 0x00, 0x00, 0x3c,
	};
	uint32_t buf[BUFLEN / 4];
	int n = build(buf, sizeof(buf), KERNELSET_ADD, "203.0.113.0", 24, 60);
	const uint8_t *b = (const uint8_t *)buf;
	uint16_t one = 1;

	if (*(const uint8_t *)&one != 1)
		cr_skip_test("byte layout written for a little-endian host");
	cr_assert_eq(n, (int)(MNL_NLMSG_HDRLEN + sizeof(want)));
	for (size_t i = 0; i < sizeof(want); i++)
		cr_assert_eq(b[MNL_NLMSG_HDRLEN + i], want[i], "byte %zu: %02x, want %02x",
			     MNL_NLMSG_HDRLEN + i, b[MNL_NLMSG_HDRLEN + i], want[i]);
}
