/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pure half of the cluster (cluster_proto), its config section and its
 * control-protocol fields. The Redis side runs in tests/integration/cluster.sh. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "bankey_harness.h"
#include "bans.h"
#include "build_config.h"
#include "cluster_proto.h"
#include "config.h"
#include "ctlproto.h"

static struct ban_key
KUSER(const char *s, size_t n)
{
	struct ban_key k;

	memset(&k, 0, sizeof(k));
	k.kind = BAN_KIND_USER;
	k.len = (uint16_t)n;
	memcpy(k.data, s, n);
	return k;
}

static bool
key_eq(const struct ban_key *a, const struct ban_key *b)
{
	return a->kind == b->kind && a->plen == b->plen && a->len == b->len &&
	       memcmp(a->data, b->data, a->len) == 0;
}

static struct cluster_msg
BAN(const char *node, struct ban_key k, enum ban_reason r, int64_t t)
{
	struct cluster_msg m;

	memset(&m, 0, sizeof(m));
	m.op = CLUSTER_OP_BAN;
	snprintf(m.node, sizeof(m.node), "%s", node);
	m.key = k;
	m.reason = r;
	m.time = t;
	return m;
}

static void
roundtrip(const struct cluster_msg *m, const char *want)
{
	char line[CLUSTER_LINE_MAX + 1];
	struct cluster_msg back;
	int n = cluster_msg_encode(m, line, sizeof(line));

	cr_assert_gt(n, 0);
	cr_assert_eq((size_t)n, strlen(line));
	if (want)
		cr_assert_str_eq(line, want);
	cr_assert_eq(cluster_msg_decode(line, (size_t)n, &back), 0, "%s", line);
	cr_assert_eq(back.op, m->op);
	cr_assert_str_eq(back.node, m->node);
	if (m->op == CLUSTER_OP_BAN || m->op == CLUSTER_OP_UNBAN)
		cr_assert(key_eq(&back.key, &m->key), "%s", line);
	if (m->op == CLUSTER_OP_BAN) {
		cr_assert_eq(back.reason, m->reason);
		cr_assert_eq(back.time, m->time);
	}
}

Test(proto, ban_lines_round_trip)
{
	struct cluster_msg m = BAN("edge-1", KNET("203.0.113.7"), BAN_REASON_DENSITY, 1700000000);

	roundtrip(&m, "SW1 ban edge-1 ip 203.0.113.7 density 1700000000");
	m = BAN("b", KNET("2001:db8:a::/64"), BAN_REASON_ENUM, 5);
	roundtrip(&m, "SW1 ban b ip 2001:db8:a::/64 enum 5");
	m = BAN("b", KNET("198.51.100.0/24"), BAN_REASON_MANUAL, 5);
	roundtrip(&m, "SW1 ban b ip 198.51.100.0/24 manual 5");
	m = BAN("n.1_x", KUSER("alice@example.org", 17), BAN_REASON_AUTH, 99);
	roundtrip(&m, "SW1 ban n.1_x user alice@example.org auth 99");
}

Test(proto, user_bytes_are_encoded)
{
	/* Space, percent, LF, 8-bit and a NUL-free max-length name survive. */
	static const char odd[] = "a b%c\n\xff\x01@Example.org";
	struct cluster_msg m = BAN("a", KUSER(odd, sizeof(odd) - 1), BAN_REASON_AUTH, 7);
	char big[BAN_KEY_MAX];

	roundtrip(&m, "SW1 ban a user a%20b%25c%0A%FF%01@Example.org auth 7");
	memset(big, 0xfe, sizeof(big));
	big[10] = '@';
	m = BAN("a", KUSER(big, sizeof(big)), BAN_REASON_AUTH, 7);
	roundtrip(&m, NULL);
}

Test(proto, other_ops_round_trip)
{
	struct cluster_msg m;

	memset(&m, 0, sizeof(m));
	m.op = CLUSTER_OP_UNBAN;
	snprintf(m.node, sizeof(m.node), "b");
	m.key = KNET("203.0.113.7");
	roundtrip(&m, "SW1 unban b ip 203.0.113.7");
	m.op = CLUSTER_OP_UNBAN_ALL;
	roundtrip(&m, "SW1 unban-all b");
	m.op = CLUSTER_OP_HELLO;
	m.time = 1234;
	roundtrip(&m, "SW1 hello b 1234");
}

Test(proto, unknown_reason_still_bans)
{
	struct cluster_msg m;
	const char *l = "SW1 ban a ip 203.0.113.7 some-future-reason 10";

	cr_assert_eq(cluster_msg_decode(l, strlen(l), &m), 0);
	cr_assert_eq(m.op, CLUSTER_OP_BAN);
	cr_assert_eq(m.reason, BAN_REASON_MANUAL);
}

Test(proto, damaged_lines_refused)
{
	static const char *const bad[] = {
		"SW1 ban",
		"SW1 ban a ip 203.0.113.7 density",
		"SW1 ban a ip 203.0.113.7 density 10 extra",
		"SW1 ban a ip 203.0.113.300 density 10",
		"SW1 ban a ip 203.0.113.7/24 density 10",  /* host bits set */
		"SW1 ban a ip 0.0.0.0/0 density 10",       /* everything */
		"SW1 ban a ip 203.0.113.7 density -1",
		"SW1 ban a ip 203.0.113.7 density 10x",
		"SW1 ban a net 203.0.113.7 density 10",
		"SW1 ban a user nodomain density 10",
		"SW1 ban a user x%4@y density 10",
		"SW1 ban a user x%00@y density 10",
		"SW1 ban bad/node ip 203.0.113.7 density 10",
		"SW1 ban  ip 203.0.113.7 density 10",
		"SW1 frob a",
		"SW1 unban a ip",
		"SW1 unban-all a extra",
		"SW1 hello a",
	};
	struct cluster_msg m;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(cluster_msg_decode(bad[i], strlen(bad[i]), &m), -EINVAL, "%s", bad[i]);
	/* Not ours, or a later version: -EPROTO, ignored quietly. */
	cr_assert_eq(cluster_msg_decode("SW2 ban a ip 203.0.113.7 density 1", 34, &m), -EPROTO);
	cr_assert_eq(cluster_msg_decode("hello", 5, &m), -EPROTO);
	cr_assert_eq(cluster_msg_decode("SW1", 3, &m), -EPROTO);
	cr_assert_eq(cluster_msg_decode("SW1 ban a\0ip", 12, &m), -EINVAL);
}

Test(proto, long_line_refused)
{
	size_t n = CLUSTER_LINE_MAX + 10;
	char *l = malloc(n);
	struct cluster_msg m;

	cr_assert_not_null(l);
	memset(l, 'x', n);
	memcpy(l, "SW1 hello ", 10);
	cr_assert_eq(cluster_msg_decode(l, n, &m), -EINVAL);
	free(l);
}

Test(proto, names)
{
	char big[CLUSTER_NODE_MAX + 2];

	cr_assert(config_name_valid("edge-1.example_x", false));
	cr_assert(!config_name_valid("", false));
	cr_assert(!config_name_valid("a b", false));
	cr_assert(!config_name_valid("a:b", false));
	cr_assert(config_name_valid("sipwarden:", true));
	cr_assert(!config_name_valid("sip*", true));
	memset(big, 'n', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_assert(!config_name_valid(big, false));
	big[CLUSTER_NODE_MAX] = '\0';
	cr_assert(config_name_valid(big, false));
}

Test(proto, key_names)
{
	char buf[CLUSTER_KEYNAME_MAX];
	struct ban_key k = KNET("203.0.113.7");

	cr_assert_gt(cluster_key_name("sipwarden:", &k, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "sipwarden:ban:ip:203.0.113.7");
	k = KNET("2001:db8:a::/64");
	cluster_key_name("p:", &k, buf, sizeof(buf));
	cr_assert_str_eq(buf, "p:ban:ip:2001:db8:a::/64");
	k = KUSER("a*b?@x", 6);
	cluster_key_name("p:", &k, buf, sizeof(buf));
	cr_assert_str_eq(buf, "p:ban:user:a*b?@x");
	cr_assert_eq(cluster_key_name("p:", &k, buf, 8), -ENOSPC);
}

Test(queue, bounded_and_drops)
{
	struct cluster_queue q;
	struct cluster_msg m = BAN("a", KNET("203.0.113.7"), BAN_REASON_DENSITY, 1), out[8];

	cr_assert_eq(cluster_queue_init(&q, 4), 0);
	cr_assert_eq(cluster_queue_push(&q, &m), 1); /* was empty: wake */
	for (int i = 2; i <= 4; i++) {
		m.time = i;
		cr_assert_eq(cluster_queue_push(&q, &m), 0);
	}
	cr_assert_eq(cluster_queue_push(&q, &m), -ENOSPC);
	cr_assert_eq(cluster_queue_dropped(&q), 1);
	cr_assert_eq(cluster_queue_pop(&q, out, 3), 3);
	cr_assert_eq(out[0].time, 1);
	cr_assert_eq(out[2].time, 3);
	m.time = 5;
	cr_assert_eq(cluster_queue_push(&q, &m), 0);
	cr_assert_eq(cluster_queue_pop(&q, out, 8), 2);
	cr_assert_eq(out[0].time, 4);
	cr_assert_eq(out[1].time, 5);
	cr_assert_eq(cluster_queue_pop(&q, out, 8), 0);
	cr_assert_eq(cluster_queue_push(&q, &m), 1);
	cluster_queue_fini(&q);
}

Test(origins, set_get_keep_del_prune)
{
	struct cluster_origins *o = cluster_origins_new(3);
	struct ban_key a = KNET("203.0.113.1"), b = KNET("203.0.113.2"), c = KNET("203.0.113.3"),
		       d = KNET("203.0.113.4"), u = KUSER("x@y", 3);
	char node[CLUSTER_NODE_MAX + 1];

	cr_assert_not_null(o);
	cr_assert(!cluster_origins_get(o, &a, node, sizeof(node)));
	cr_assert_eq(cluster_origins_set(o, &a, "a", 100, false, 0), 0);
	cr_assert_eq(cluster_origins_set(o, &a, "b", 200, true, 0), 0); /* kept */
	cr_assert(cluster_origins_get(o, &a, node, sizeof(node)));
	cr_assert_str_eq(node, "a");
	cr_assert_eq(cluster_origins_set(o, &a, "b", 200, false, 0), 0); /* replaced */
	cluster_origins_get(o, &a, node, sizeof(node));
	cr_assert_str_eq(node, "b");
	cr_assert_eq(cluster_origins_set(o, &b, "a", 50, false, 0), 0);
	cr_assert_eq(cluster_origins_set(o, &u, "c", 300, false, 0), 0);
	/* Full: refused while all live, room once one expired. */
	cr_assert_eq(cluster_origins_set(o, &c, "a", 300, false, 10), -ENOSPC);
	cr_assert_eq(cluster_origins_set(o, &c, "a", 300, false, 60), 0);
	cr_assert(!cluster_origins_get(o, &b, node, sizeof(node)));
	cr_assert_eq(cluster_origins_count(o), 3);
	cluster_origins_del(o, &u);
	cr_assert(!cluster_origins_get(o, &u, node, sizeof(node)));
	cr_assert_eq(cluster_origins_set(o, &d, "d", 400, false, 0), 0);
	cr_assert_eq(cluster_origins_prune(o, 250), 1); /* a (200) */
	cr_assert_eq(cluster_origins_count(o), 2);
	cluster_origins_clear(o);
	cr_assert_eq(cluster_origins_count(o), 0);
	cluster_origins_free(o);
}

/* ---- the cluster: config section ---- */

static int
load(const char *yaml, struct config **cfg, char *err, size_t errlen)
{
	FILE *ef = fmemopen(err, errlen, "w");
	int r;

	cr_assert_not_null(ef);
	r = config_load_buffer("t.yml", yaml, strlen(yaml), cfg, ef);
	fclose(ef);
	return r;
}

Test(config, cluster_defaults_and_values)
{
	struct config *cfg = NULL;
	char err[1024] = "";

	cr_assert_eq(load("mode: enforce\n", &cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert(!cfg->cluster_enabled);
	cr_assert_str_eq(cfg->cluster_redis_host, "127.0.0.1");
	cr_assert_eq(cfg->cluster_redis_port, 6379);
	cr_assert_str_eq(cfg->cluster_key_prefix, "sipwarden:");
	cr_assert_null(cfg->cluster_node_name);
	cr_assert_null(cfg->cluster_redis_password);
	config_free(cfg);

	cr_assert_eq(load("cluster:\n  enabled: yes\n  redis_host: redis.example.net\n"
			  "  redis_port: 6380\n  redis_username: sw\n  redis_password: 'p w%\"'\n"
			  "  key_prefix: 'edge:'\n  node_name: edge-1\n  redis_tls: no\n"
			  "  redis_tls_ca_file: ~\n", &cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert(cfg->cluster_enabled);
	cr_assert_str_eq(cfg->cluster_redis_host, "redis.example.net");
	cr_assert_eq(cfg->cluster_redis_port, 6380);
	cr_assert_str_eq(cfg->cluster_redis_username, "sw");
	cr_assert_str_eq(cfg->cluster_redis_password, "p w%\"");
	cr_assert_str_eq(cfg->cluster_key_prefix, "edge:");
	cr_assert_str_eq(cfg->cluster_node_name, "edge-1");
	config_free(cfg);

	cr_assert_eq(load("cluster:\n  redis_host: /run/redis/redis.sock\n", &cfg, err,
			  sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(cfg->cluster_redis_host, "/run/redis/redis.sock");
	config_free(cfg);
}

Test(config, cluster_errors_have_positions)
{
	struct config *cfg = NULL;
	char err[2048] = "";

	cr_assert_lt(load("cluster:\n  node_name: 'edge 1'\n  key_prefix: 'a*'\n"
			  "  redis_port: 0\n  redis_host: 'x y'\n  color: red\n", &cfg, err,
			  sizeof(err)), 0);
	cr_assert_null(cfg);
	cr_assert_not_null(strstr(err, "t.yml:2:14: cluster.node_name: invalid name 'edge 1'"),
			   "%s", err);
	cr_assert_not_null(strstr(err, "t.yml:3:15: cluster.key_prefix: invalid name"), "%s", err);
	cr_assert_not_null(strstr(err, "t.yml:4:15: cluster.redis_port: 0 is out of range"), "%s",
			   err);
	cr_assert_not_null(strstr(err, "t.yml:5:15: cluster.redis_host: 'x y' is not a host"),
			   "%s", err);
	cr_assert_not_null(strstr(err, "t.yml:6:3: unknown key 'color' in section 'cluster'"),
			   "%s", err);
}

Test(config, cluster_tls_needs_hiredis_ssl)
{
	struct config *cfg = NULL;
	char err[1024] = "";
	int r = load("cluster:\n  redis_tls: yes\n", &cfg, err, sizeof(err));

#ifdef SIPWARDEN_HAVE_HIREDIS_SSL
	cr_assert_eq(r, 0, "%s", err);
	cr_assert(cfg->cluster_redis_tls);
	config_free(cfg);
#else
	cr_assert_lt(r, 0);
	cr_assert_not_null(strstr(err, "t.yml:2:14: cluster.redis_tls: this build"), "%s", err);
#endif
}

/* ---- status and bans output ---- */

static char *
capture_status(const struct ctl_status *st, bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	cr_assert_eq(ctlproto_format_status(f, st, json), 0);
	fclose(f);
	return buf;
}

Test(ctl, status_shows_link_and_peers)
{
	struct ctl_cluster cl = {
		.node = "a", .server = "198.51.100.254:6379", .link = CTL_LINK_UP,
		.link_since_s = 12, .published = 3, .applied = 2, .n_peers = 2,
		.peers = { { "b", 1 }, { "c\"x", 30 } },
	};
	struct ctl_status st = { .version = "0.1.0", .cluster = &cl };
	char *out = capture_status(&st, true);

	cr_assert_not_null(strstr(out, ",\"cluster\":{\"node\":\"a\",\"server\":\"198.51.100.254:6379\","
				  "\"link\":\"up\",\"link_since\":12,\"published\":3,\"applied\":2,"
				  "\"queue_dropped\":0,\"errors\":0,\"outages\":0,\"refused\":0,"
				  "\"known_shared\":0,\"known_learnt\":0,\"known_dropped\":0,\"peers\":"
				  "[{\"node\":\"b\",\"last_seen\":1},{\"node\":\"c\\\"x\","
				  "\"last_seen\":30}]}}\n"), "%s", out);
	free(out);
	out = capture_status(&st, false);
	cr_assert_not_null(strstr(out, "cluster link        up\n"), "%s", out);
	cr_assert_not_null(strstr(out, "cluster peers       b (1 s ago), c\"x (30 s ago)\n"), "%s",
			   out);
	free(out);
	cl.link = CTL_LINK_DOWN;
	cl.n_peers = 0;
	out = capture_status(&st, false);
	cr_assert_not_null(strstr(out, "cluster link        down\n"), "%s", out);
	cr_assert_not_null(strstr(out, "cluster peers       -\n"), "%s", out);
	free(out);
	/* Without a cluster, nothing of it. */
	st.cluster = NULL;
	out = capture_status(&st, true);
	cr_assert_null(strstr(out, "cluster"), "%s", out);
	free(out);
}

Test(ctl, bans_show_origin)
{
	struct ctl_ban v[2];
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	memset(v, 0, sizeof(v));
	v[0].key = KNET("203.0.113.9");
	v[0].reason = BAN_REASON_DENSITY;
	snprintf(v[0].origin, sizeof(v[0].origin), "edge-a");
	v[1].key = KNET("203.0.113.10");
	v[1].reason = BAN_REASON_BLOCKLIST;
	f = open_memstream(&buf, &len);
	cr_assert_eq(ctlproto_format_bans(f, v, 2, false), 0);
	fclose(f);
	cr_assert_not_null(strstr(buf, "AGE  ORIGIN\n"), "%s", buf);
	cr_assert_not_null(strstr(buf, "density            0             0          0  edge-a\n"),
			   "%s", buf);
	cr_assert_not_null(strstr(buf, "blocklist          0             0          0  -\n"), "%s",
			   buf);
	free(buf);
	buf = NULL;
	f = open_memstream(&buf, &len);
	cr_assert_eq(ctlproto_format_bans(f, v, 2, true), 0);
	fclose(f);
	cr_assert_not_null(strstr(buf, "\"key\":\"203.0.113.9\",\"reason\":\"density\","
				  "\"remaining\":0,\"hits\":0,\"age\":0,\"origin\":\"edge-a\"}"),
			   "%s", buf);
	cr_assert_not_null(strstr(buf, "\"age\":0}"), "%s", buf); /* none: no key */
	free(buf);
}

/* ---- signatures (issue 17: whoever writes to Redis could ban or unban) ---- */

static struct cluster_auth
auth_of(const char *key)
{
	struct cluster_auth a;

	memset(&a, 0, sizeof(a));
	a.key_len = strlen(key);
	memcpy(a.key, key, a.key_len);
	return a;
}

Test(sign, signed_lines_open_and_tampered_ones_do_not)
{
	struct cluster_auth a = auth_of("0123456789abcdef0123456789abcdef"),
			    b = auth_of("0123456789abcdef0123456789abcdeX");
	struct cluster_msg m = BAN("edge-1", KNET("203.0.113.7"), BAN_REASON_DENSITY, 1700000600),
			   out;
	char line[CLUSTER_LINE_MAX + 1], bad[CLUSTER_LINE_MAX + 1];
	int n = cluster_msg_encode_signed(&a, &m, 1700000000, line, sizeof(line));

	cr_assert_gt(n, 0);
	cr_assert(strncmp(line, "SW1 ban edge-1 ip 203.0.113.7 density 1700000600 t=1700000000 mac=",
			  66) == 0, "%s", line);
	cr_assert_eq(strlen(line), 66 + 64);
	/* the benign twin: the same key, within the window */
	cr_assert_eq(cluster_msg_open(&a, line, (size_t)n, 1700000010, true, &out), 0);
	cr_assert_eq(out.op, CLUSTER_OP_BAN);
	cr_assert_str_eq(out.node, "edge-1");
	cr_assert_eq(out.time, 1700000600);
	/* another key */
	cr_assert_eq(cluster_msg_open(&b, line, (size_t)n, 1700000010, true, &out), -EBADMSG);
	/* unsigned (the old format) */
	cr_assert_eq(cluster_msg_open(&a, "SW1 ban edge-1 ip 203.0.113.7 density 1700000600", 48,
				      1700000010, true, &out), -EBADMSG);
	cr_assert_eq(cluster_msg_open(&a, "SW1 unban-all edge-1", 20, 1700000010, true, &out),
		     -EBADMSG);
	/* any byte changed: the prefix widened, the time moved, the mac */
	memcpy(bad, line, (size_t)n + 1);
	bad[30] = '0';
	cr_assert_eq(cluster_msg_open(&a, bad, (size_t)n, 1700000010, true, &out), -EBADMSG);
	memcpy(bad, line, (size_t)n + 1);
	bad[n - 1] = bad[n - 1] == '0' ? '1' : '0';
	cr_assert_eq(cluster_msg_open(&a, bad, (size_t)n, 1700000010, true, &out), -EBADMSG);
	/* truncated */
	cr_assert_eq(cluster_msg_open(&a, line, (size_t)n - 1, 1700000010, true, &out), -EBADMSG);
	/* a replay outside the window, either way; a stored line has none */
	cr_assert_eq(cluster_msg_open(&a, line, (size_t)n, 1700000031, true, &out), -ETIME);
	cr_assert_eq(cluster_msg_open(&a, line, (size_t)n, 1699999969, true, &out), -ETIME);
	cr_assert_eq(cluster_msg_open(&a, line, (size_t)n, 1700000030, true, &out), 0);
	cr_assert_eq(cluster_msg_open(&a, line, (size_t)n, 1800000000, false, &out), 0);
}

Test(sign, every_op_round_trips)
{
	struct cluster_auth a = auth_of("a key of sixteen+ bytes");
	struct cluster_msg v[3] = {
		{ .op = CLUSTER_OP_UNBAN, .node = "b", .key = KUSER("a b%\n@x", 7) },
		{ .op = CLUSTER_OP_UNBAN_ALL, .node = "b" },
		{ .op = CLUSTER_OP_HELLO, .node = "b", .time = 42 },
	}, out;
	char line[CLUSTER_LINE_MAX + 1];

	for (int i = 0; i < 3; i++) {
		int n = cluster_msg_encode_signed(&a, &v[i], 100, line, sizeof(line));

		cr_assert_gt(n, 0);
		cr_assert_eq(cluster_msg_open(&a, line, (size_t)n, 100, true, &out), 0, "%s", line);
		cr_assert_eq(out.op, v[i].op);
	}
	cr_assert_eq(out.time, 42);
}

static const char *
write_key(const char *text, mode_t mode)
{
	static char path[] = "/tmp/sw-clkey-XXXXXX";
	int fd;

	strcpy(path, "/tmp/sw-clkey-XXXXXX");
	fd = mkstemp(path);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	cr_assert_eq(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

Test(sign, key_file_checks)
{
	unsigned me = (unsigned)geteuid(), other = me + 1;
	struct cluster_auth a;
	char err[512];
	const char *p;

	cr_assert_eq(cluster_auth_load(&a, NULL, &me, 1, err, sizeof(err)), -ENOKEY);
	cr_assert_not_null(strstr(err, "cluster.key_file is required"), "%s", err);
	/* the benign twin: 0600, ours, a newline at the end ignored */
	p = write_key("0123456789abcdefXYZ\n", 0600);
	cr_assert_eq(cluster_auth_load(&a, p, &me, 1, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(a.key_len, 19);
	/* 0400 is fine too */
	cr_assert_eq(chmod(p, 0400), 0);
	cr_assert_eq(cluster_auth_load(&a, p, &me, 1, err, sizeof(err)), 0, "%s", err);
	/* readable by the group or others */
	cr_assert_eq(chmod(p, 0640), 0);
	cr_assert_eq(cluster_auth_load(&a, p, &me, 1, err, sizeof(err)), -EPERM);
	cr_assert_not_null(strstr(err, "chmod 0600"), "%s", err);
	cr_assert_eq(chmod(p, 0604), 0);
	cr_assert_eq(cluster_auth_load(&a, p, &me, 1, err, sizeof(err)), -EPERM);
	/* owned by someone else */
	cr_assert_eq(chmod(p, 0600), 0);
	cr_assert_eq(cluster_auth_load(&a, p, &other, 1, err, sizeof(err)), -EPERM);
	cr_assert_not_null(strstr(err, "chown"), "%s", err);
	unlink(p);
	/* too short */
	p = write_key("short\n", 0600);
	cr_assert_eq(cluster_auth_load(&a, p, &me, 1, err, sizeof(err)), -EINVAL);
	unlink(p);
	/* missing */
	cr_assert_eq(cluster_auth_load(&a, "/nonexistent/sw.key", &me, 1, err, sizeof(err)),
		     -ENOENT);
}
