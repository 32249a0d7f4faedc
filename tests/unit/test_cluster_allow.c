/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The allow-list's cluster messages (issue 20): allow and disallow lines,
 * signed, and their Redis key names. The Redis side runs in
 * tests/integration/cluster.sh. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "allowlist.h"
#include "bankey_harness.h"
#include "bans.h"
#include "cluster_proto.h"

static struct cluster_msg
ALLOW(const char *node, struct ban_key k, int64_t t, const char *comment)
{
	struct cluster_msg m;

	memset(&m, 0, sizeof(m));
	m.op = CLUSTER_OP_ALLOW;
	snprintf(m.node, sizeof(m.node), "%s", node);
	m.key = k;
	m.time = t;
	snprintf(m.comment, sizeof(m.comment), "%s", comment);
	return m;
}

static void
roundtrip(const struct cluster_msg *m, const char *want)
{
	char line[CLUSTER_LINE_MAX + 1];
	struct cluster_msg back;
	int n = cluster_msg_encode(m, line, sizeof(line));

	cr_assert_gt(n, 0);
	if (want)
		cr_assert_str_eq(line, want);
	cr_assert_eq(cluster_msg_decode(line, (size_t)n, &back), 0, "%s", line);
	cr_assert_eq(back.op, m->op);
	cr_assert_str_eq(back.node, m->node);
	cr_assert_eq(back.key.kind, m->key.kind);
	cr_assert_eq(back.key.plen, m->key.plen);
	cr_assert_eq(back.key.len, m->key.len);
	cr_assert_eq(memcmp(back.key.data, m->key.data, m->key.len), 0);
	if (m->op == CLUSTER_OP_ALLOW) {
		cr_assert_eq(back.time, m->time);
		cr_assert_str_eq(back.comment, m->comment);
	}
}

Test(allow_proto, lines_round_trip)
{
	struct cluster_msg m = ALLOW("edge-1", KNET("203.0.113.7"), 0, "");
	struct ban_key u;

	roundtrip(&m, "SW1 allow edge-1 ip 203.0.113.7 0 =");
	m = ALLOW("b", KNET("2001:db8:a::/48"), 1700000600, "ticket 42: 'X' 100%\n");
	roundtrip(&m, "SW1 allow b ip 2001:db8:a::/48 1700000600 =ticket%2042:%20'X'%20100%25%0A");
	cr_assert_eq(ban_key_user(&u, "a b@example.org"), 0);
	m = ALLOW("b", u, 5, "\xff");
	roundtrip(&m, "SW1 allow b user a%20b@example.org 5 =%FF");
	m.op = CLUSTER_OP_DISALLOW;
	roundtrip(&m, "SW1 disallow b user a%20b@example.org");
	/* The longest comment fits a line, with the longest key. */
	memset(m.comment, 0x01, ALLOW_COMMENT_MAX);
	m.comment[ALLOW_COMMENT_MAX] = '\0';
	m.op = CLUSTER_OP_ALLOW;
	roundtrip(&m, NULL);
}

Test(allow_proto, damaged_lines_are_refused)
{
	static const char *const bad[] = {
		"SW1 allow a ip 0.0.0.0/0 0 =",          /* a /0: never */
		"SW1 allow a ip 203.0.113.7/24 0 =",     /* host bits */
		"SW1 allow a ip 203.0.113.7 0",          /* no comment word */
		"SW1 allow a ip 203.0.113.7 0 x",        /* no '=' */
		"SW1 allow a ip 203.0.113.7 -1 =",
		"SW1 allow a ip 203.0.113.7 0 =%00",
		"SW1 allow a ip 203.0.113.7 0 =%zz",
		"SW1 allow a user alice 0 =",
		"SW1 allow a ip 203.0.113.7 0 = extra",
		"SW1 disallow a ip",
		"SW1 disallow a net 1.2.3.4",
	};
	struct cluster_msg m;
	char line[1024];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(cluster_msg_decode(bad[i], strlen(bad[i]), &m), -EINVAL, "%s", bad[i]);
	/* A comment one byte over the bound. */
	snprintf(line, sizeof(line), "SW1 allow a ip 203.0.113.7 0 =");
	memset(line + strlen(line), 'c', ALLOW_COMMENT_MAX + 1);
	line[30 + ALLOW_COMMENT_MAX + 1] = '\0';
	cr_assert_eq(cluster_msg_decode(line, strlen(line), &m), -EINVAL);
	line[30 + ALLOW_COMMENT_MAX] = '\0';
	cr_assert_eq(cluster_msg_decode(line, strlen(line), &m), 0);
}

Test(allow_proto, signed_and_key_names)
{
	struct cluster_auth a = { .key_len = 16 };
	struct cluster_msg m = ALLOW("n", KNET("198.51.100.0/24"), 0, "c"), back;
	char line[CLUSTER_LINE_MAX + 1], name[CLUSTER_KEYNAME_MAX];
	int n;

	memset(a.key, 'k', 16);
	n = cluster_msg_encode_signed(&a, &m, 1700000000, line, sizeof(line));
	cr_assert_gt(n, 0);
	cr_assert_eq(cluster_msg_open(&a, line, (size_t)n, 1700000001, true, &back), 0);
	cr_assert_eq(back.op, CLUSTER_OP_ALLOW);
	cr_assert_str_eq(back.comment, "c");
	/* Altered: the comment is under the MAC too. */
	line[strstr(line, "=c") - line + 1] = 'd';
	cr_assert_eq(cluster_msg_open(&a, line, (size_t)n, 1700000001, true, &back), -EBADMSG);
	cr_assert_gt(cluster_allow_key_name("sw:", &m.key, name, sizeof(name)), 0);
	cr_assert_str_eq(name, "sw:allow:ip:198.51.100.0/24");
	cr_assert_gt(cluster_key_name("sw:", &m.key, name, sizeof(name)), 0);
	cr_assert_str_eq(name, "sw:ban:ip:198.51.100.0/24");
}
