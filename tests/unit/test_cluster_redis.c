/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Redis commands a node sends for its own events (cluster_redis.c), to
 * the byte: SET with or without EX, DEL, PUBLISH, and what is not sent
 * (expired bans and allows). hiredis writes into one end of a socketpair
 * whose other end holds the replies ready, so nothing leaves the process;
 * the server's side runs in tests/integration/cluster.sh.
 */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "bankey_harness.h"
#include "bans.h"
#include "clock.h"
#include "cluster_harness.h"
#include "cluster_internal.h"
#include "cluster_proto.h"

#define OUT_MAX 16384

static struct cluster_msg
MSG(enum cluster_op op, struct ban_key k, int64_t t)
{
	struct cluster_msg m;

	memset(&m, 0, sizeof(m));
	m.op = op;
	snprintf(m.node, sizeof(m.node), "edge-1");
	m.key = k;
	m.reason = BAN_REASON_DENSITY;
	m.time = t;
	return m;
}

/* One command as hiredis puts it on the wire (RESP array of bulk strings);
 * argv ends at its first NULL. */
static void
resp(char *out, size_t cap, size_t *at, const char *const argv[5])
{
	int argc = 0, n;

	while (argc < 5 && argv[argc])
		argc++;
	n = snprintf(out + *at, cap - *at, "*%d\r\n", argc);
	cr_assert(n > 0 && (size_t)n < cap - *at);
	*at += (size_t)n;
	for (int i = 0; i < argc; i++) {
		n = snprintf(out + *at, cap - *at, "$%zu\r\n%s\r\n", strlen(argv[i]), argv[i]);
		cr_assert(n > 0 && (size_t)n < cap - *at);
		*at += (size_t)n;
	}
}

/* Send the batch v through a socketpair; what hiredis wrote into out.
 * false when the wall clock turned a second meanwhile (then the lines
 * carry another time than *now: the caller tries again). */
static bool
send_once(struct cluster *c, struct cluster_msg *v, uint32_t n, char *out, size_t cap,
	  size_t *got, int64_t *now)
{
	int sv[2];
	ssize_t r;
	bool same;

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	/* a reply ready for each command, so read_replies() never waits */
	for (uint32_t i = 0; i < 2 * n; i++)
		cr_assert_eq(write(sv[1], "+OK\r\n", 5), 5);
	atomic_store(&c->published, 0);
	c->cmd = redisConnectFd(sv[0]);
	cr_assert_not_null(c->cmd);
	*now = clock_wall_s();
	for (uint32_t i = 0; i < n; i++)
		if (v[i].time)
			v[i].time += *now;
	cr_assert_eq(cluster_redis_send_batch(c, v, n), 0);
	same = clock_wall_s() == *now;
	*got = 0;
	while ((r = recv(sv[1], out + *got, cap - *got, MSG_DONTWAIT)) > 0)
		*got += (size_t)r;
	redisFree(c->cmd); /* closes sv[0] */
	c->cmd = NULL;
	close(sv[1]);
	return same;
}

Test(redis, own_events_stored_and_published)
{
	static char out[OUT_MAX], want[OUT_MAX];
	static const int sent[6] = { 0, 2, 3, 4, 6, 7 }; /* the events sent */
	char l[6][CLUSTER_LINE_MAX + 1];
	struct cluster_msg v[8], w[8];
	/* what must be sent, in order; l[] is filled once the batch is sent */
	const char *const cmds[][5] = {
		{ "SET", "sw:ban:ip:203.0.113.7", l[0], "EX", "600" },
		{ "PUBLISH", "sw:events", l[0] },
		{ "DEL", "sw:ban:user:alice@example.org" },
		{ "PUBLISH", "sw:events", l[1] },
		{ "SET", "sw:allow:ip:198.51.100.0/24", l[2], "EX", "60" },
		{ "PUBLISH", "sw:events", l[2] },
		{ "SET", "sw:allow:ip:198.51.100.9", l[3] },
		{ "PUBLISH", "sw:events", l[3] },
		{ "DEL", "sw:allow:ip:198.51.100.0/24" },
		{ "PUBLISH", "sw:events", l[4] },
		{ "DEL", "sw:ban:ip:2001:db8:a::/64" },
		{ "PUBLISH", "sw:events", l[5] },
	};
	struct cluster c;
	size_t got = 0, at = 0;
	int64_t now = 0;
	bool done = false;

	cluster_fixture(&c, "edge-1");
	snprintf(c.prefix, sizeof(c.prefix), "sw:");
	snprintf(c.channel, sizeof(c.channel), "sw:events");
	/* times relative to now: send_once() adds the wall clock */
	w[0] = MSG(CLUSTER_OP_BAN, KNET("203.0.113.7"), 600);
	w[1] = MSG(CLUSTER_OP_BAN, KNET("2001:db8:a::/64"), -1);   /* expired: nothing */
	w[2] = MSG(CLUSTER_OP_UNBAN, KU("alice@example.org"), 0);
	w[3] = MSG(CLUSTER_OP_ALLOW, KNET("198.51.100.0/24"), 60);
	snprintf(w[3].comment, sizeof(w[3].comment), "office");
	w[4] = MSG(CLUSTER_OP_ALLOW, KNET("198.51.100.9"), 0);     /* permanent */
	w[5] = MSG(CLUSTER_OP_ALLOW, KNET("198.51.100.10"), -5);   /* expired: nothing */
	w[6] = MSG(CLUSTER_OP_DISALLOW, KNET("198.51.100.0/24"), 0);
	w[7] = MSG(CLUSTER_OP_UNBAN, KNET("2001:db8:a::/64"), 0);
	for (int tries = 0; tries < 5 && !done; tries++) {
		memcpy(v, w, sizeof(v));
		done = send_once(&c, v, 8, out, sizeof(out), &got, &now);
	}
	cr_assert(done, "the wall clock kept turning");

	for (int i = 0; i < 6; i++)
		cr_assert_gt(cluster_msg_encode_signed(&c.auth, &v[sent[i]], now, l[i],
						       sizeof(l[i])), 0);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		resp(want, sizeof(want), &at, cmds[i]);

	cr_assert_eq(got, at, "sent %zu bytes, want %zu:\n%.*s", got, at, (int)got, out);
	cr_assert_eq(memcmp(out, want, at), 0, "sent:\n%.*s\nwant:\n%.*s", (int)got, out,
		     (int)at, want);
	cr_assert_eq(atomic_load(&c.published), 6); /* once per event sent */
	cluster_fixture_free(&c);
}
