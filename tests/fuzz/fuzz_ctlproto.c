/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_ctlproto - the control-socket protocol, both directions.
 *
 * The first line of the input (up to LF, or all of it) is a request line as
 * the daemon reads it from the socket: ctlproto_parse_request() gets it in a
 * buffer of exactly its length. The rest feeds the response side: each
 * further line becomes one ban for ctlproto_format_bans() (first byte: kind
 * and reason; then a user name, or address bytes and a prefix length), the
 * strings of status/stats, and the body of ctlproto_write_response().
 * The input split at NUL bytes is also an argv for ctlproto_parse_args().
 *
 * The allow-list's table and JSON (ctlproto_format_allowed()) get the same
 * keys, with the input's lines as comments and origins.
 *
 * Properties checked, beyond "no crash":
 *  - encode(argv) then parse_request() decides exactly as parse_args(argv);
 *  - a framed response parses back: its status line with
 *    ctlproto_parse_status(), its body byte for byte after dot-unstuffing,
 *    and no body line ends the response early;
 *  - ctlproto_put_escaped() writes only printable ASCII but space, and
 *    ctlproto_put_json_string() no raw control byte (< 0x20);
 *  - every Prometheus line is a comment or a sipwarden_ sample.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "bans.h"
#include "ctlproto.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_BANS 64

struct cap {
	FILE *f;
	char *buf;
	size_t len;
};

static void
cap_open(struct cap *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	CHECK(c->f != NULL);
}

static void
cap_close(struct cap *c)
{
	CHECK(fclose(c->f) == 0);
}

static bool
same_request(const struct ctl_request *a, const struct ctl_request *b)
{
	if (a->cmd != b->cmd || a->json != b->json || a->kind != b->kind || a->secs != b->secs ||
	    a->force != b->force || strcmp(a->comment, b->comment) != 0)
		return false;
	if (a->key.kind != b->key.kind || a->key.plen != b->key.plen || a->key.len != b->key.len)
		return false;
	return a->key.len <= BAN_KEY_MAX && memcmp(a->key.data, b->key.data, a->key.len) == 0;
}

/* A framed response must read back as what was framed. */
static void
check_framing(const char *out, size_t outlen, enum ctl_err e, const char *body, size_t bodylen)
{
	const char *nl = memchr(out, '\n', outlen), *p, *end = out + outlen;
	enum ctl_err got;
	const char *msg;
	char *status, *rebuilt;
	size_t rlen = 0;

	CHECK(nl != NULL);
	CHECK(outlen >= 2 && out[outlen - 2] == '.' && out[outlen - 1] == '\n');
	status = strndup(out, (size_t)(nl - out));
	CHECK(status != NULL);
	CHECK(strlen(status) == (size_t)(nl - out)); /* no NUL in the status line */
	CHECK(ctlproto_parse_status(status, &got, &msg) == 0);
	CHECK(got == e);
	free(status);

	rebuilt = malloc(outlen + 1);
	CHECK(rebuilt != NULL);
	for (p = nl + 1; p < end;) {
		const char *lend = memchr(p, '\n', (size_t)(end - p));

		CHECK(lend != NULL);
		if (lend - p == 1 && p[0] == '.') {
			CHECK(lend + 1 == end); /* the terminator comes last, once */
			break;
		}
		if (p[0] == '.')
			p++;
		memcpy(rebuilt + rlen, p, (size_t)(lend - p));
		rlen += (size_t)(lend - p);
		rebuilt[rlen++] = '\n';
		p = lend + 1;
	}
	if (bodylen) {
		size_t want = bodylen + (body[bodylen - 1] != '\n');

		CHECK(rlen == want);
		CHECK(memcmp(rebuilt, body, bodylen) == 0);
	} else {
		CHECK(rlen == 0);
	}
	free(rebuilt);
}

static void
check_escapes(const uint8_t *data, size_t size)
{
	struct cap c;

	cap_open(&c);
	ctlproto_put_escaped(c.f, (const char *)data, size);
	cap_close(&c);
	for (size_t i = 0; i < c.len; i++)
		CHECK(c.buf[i] > 0x20 && c.buf[i] < 0x7f);
	free(c.buf);

	cap_open(&c);
	ctlproto_put_json_string(c.f, (const char *)data, size);
	cap_close(&c);
	CHECK(c.len >= 2 && c.buf[0] == '"' && c.buf[c.len - 1] == '"');
	for (size_t i = 0; i < c.len; i++)
		CHECK((unsigned char)c.buf[i] >= 0x20);
	free(c.buf);
}

/* The input split at NUL bytes as sipwardenctl's words. */
static void
check_args(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1), *argv[CTL_MAX_WORDS + 4], err[256], line[CTL_LINE_MAX + 1];
	struct ctl_request r1, r2;
	enum ctl_err e1, e2;
	int argc = 0, n;
	bool json;

	CHECK(copy != NULL);
	memcpy(copy, data, size);
	copy[size] = '\0';
	json = size && (data[0] & 1);
	for (size_t i = 0; i < size && argc < CTL_MAX_WORDS + 4; i += strlen(copy + i) + 1)
		argv[argc++] = copy + i;
	e1 = ctlproto_parse_args(argc, argv, json, &r1, err, sizeof(err));
	CHECK((unsigned)e1 < CTL_E__MAX);
	ctlproto_exit_code(e1);
	n = ctlproto_encode_request(argc, argv, json, line, sizeof(line));
	if (n > 0) {
		CHECK((size_t)n < sizeof(line) && line[n - 1] == '\n' && line[n] == '\0');
		CHECK(strlen(line) == (size_t)n);
		e2 = ctlproto_parse_request(line, (size_t)n - 1, &r2, err, sizeof(err));
		if (e1 != e2 || (e1 == CTL_OK && !same_request(&r1, &r2))) {
			fprintf(stderr, "encode/parse round trip differs: %d vs %d for '%s'\n",
				e1, e2, line);
			abort();
		}
	}
	/* Short buffers must fail cleanly. */
	for (size_t l = 0; l < 12; l++)
		ctlproto_encode_request(argc, argv, json, line, l);
	free(copy);
}

static int
next_line(const uint8_t *data, size_t size, size_t *pos, const uint8_t **ls)
{
	const uint8_t *nl;
	size_t l;

	if (*pos >= size)
		return -1;
	*ls = data + *pos;
	nl = memchr(*ls, '\n', size - *pos);
	l = nl ? (size_t)(nl - *ls) : size - *pos;
	*pos += l + 1;
	return (int)l;
}

static void
make_ban(struct ctl_ban *b, const uint8_t *ls, size_t l, uint32_t salt)
{
	memset(b, 0, sizeof(*b));
	b->reason = (enum ban_reason)((l ? ls[0] >> 4 : 0) % BAN_REASON__MAX);
	b->remaining_s = (uint64_t)salt * 2654435761u;
	b->age_s = salt;
	b->hits = l > 1 ? (uint64_t)ls[1] << (ls[1] & 63) : 0;
	if (l && (ls[0] & 1)) {
		struct addr a;
		unsigned plen;

		memset(&a, 0, sizeof(a));
		a.family = ls[0] & 2 ? AF_INET6 : AF_INET;
		memcpy(a.a, ls + 1, l - 1 < 16 ? l - 1 : 16);
		if (a.family == AF_INET)
			memset(a.a + 4, 0, 12);
		plen = l > 17 ? ls[17] % (a.family == AF_INET ? 33 : 129)
			      : (a.family == AF_INET ? 32 : 128);
		addr_mask(&a, plen);
		ban_key_ip(&b->key, &a);
		b->key.plen = (uint8_t)plen;
	} else {
		char user[BAN_KEY_MAX + 1];
		size_t n = l ? l - 1 : 0;

		if (n > BAN_KEY_MAX)
			n = BAN_KEY_MAX;
		memcpy(user, ls + (l ? 1 : 0), n);
		user[n] = '\0';
		/* An empty user is refused (it could never be loaded back); the
		 * input may hold a NUL, so "empty" is what strlen() sees. */
		CHECK(ban_key_user(&b->key, user) == (user[0] ? 0 : -EINVAL));
	}
}

static void
check_prometheus(const char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(s + i, '\n', len - i);

		CHECK(nl != NULL);
		CHECK(s[i] == '#' || strncmp(s + i, "sipwarden_", 10) == 0);
		i = (size_t)(nl - s) + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ctl_stats st;
	static struct ctl_ban bans[MAX_BANS];
	static char strs[8][300];
	const uint8_t *nl = memchr(data, '\n', size), *ls;
	size_t l1 = nl ? (size_t)(nl - data) : size, pos = l1 + 1, nbans = 0;
	char *line = malloc(l1 ? l1 : 1), err[256], small[4];
	struct ctl_request req;
	struct ctl_status status;
	enum ctl_err e;
	struct cap body, resp;
	int l, ns = 0;
	bool json;

	/* --- request side --- */
	CHECK(line != NULL);
	memcpy(line, data, l1);
	e = ctlproto_parse_request(line, l1, &req, err, sizeof(err));
	CHECK((unsigned)e < CTL_E__MAX);
	CHECK(memchr(err, '\0', sizeof(err)) != NULL);
	CHECK(ctlproto_parse_request(line, l1, &req, small, sizeof(small)) == e);
	CHECK(small[sizeof(small) - 1] == '\0' || memchr(small, '\0', sizeof(small)));
	free(line);
	e = ctlproto_parse_request((const char *)data, l1, &req, err, sizeof(err));
	json = e == CTL_OK ? req.json : (size && (data[0] & 1));

	/* --- the daemon's answer to it --- */
	cap_open(&body);
	if (e == CTL_OK) {
		const struct ban_key *k = req.cmd == CTL_CMD_BAN || req.cmd == CTL_CMD_UNBAN ||
						  req.cmd == CTL_CMD_ALLOW ||
						  req.cmd == CTL_CMD_DISALLOW ? &req.key : NULL;
		const char *verb = req.cmd == CTL_CMD_BAN ? "banned" :
				   req.cmd == CTL_CMD_ALLOW ? "allowed" :
				   req.cmd == CTL_CMD_DISALLOW ? "disallowed" :
				   req.cmd == CTL_CMD_RELOAD ? "reloaded" : "unbanned";
		char kt[BAN_KEY_MAX + ADDR_STRLEN + 8];

		if (k)
			ctlproto_key_text(k, kt, sizeof(kt));
		CHECK(ctlproto_format_result(body.f, verb, k, req.secs,
					     req.cmd == CTL_CMD_UNBAN_ALL ? (int64_t)size : -1,
					     size & 1 ? strs[0] : NULL, req.json) == 0);
	}
	cap_close(&body);
	cap_open(&resp);
	CHECK(ctlproto_write_response(resp.f, e, err, body.buf, body.len) == 0);
	cap_close(&resp);
	check_framing(resp.buf, resp.len, e, body.buf, body.len);
	free(resp.buf);
	free(body.buf);

	/* --- response side, from the rest of the input --- */
	memset(strs, 0, sizeof(strs));
	while ((l = next_line(data, size, &pos, &ls)) >= 0) {
		if (ns < 8) {
			size_t n = (size_t)l < sizeof(strs[0]) - 1 ? (size_t)l : sizeof(strs[0]) - 1;

			memcpy(strs[ns], ls, n);
			ns++;
		}
		if (nbans < MAX_BANS) {
			make_ban(&bans[nbans], ls, (size_t)l, (uint32_t)(nbans * 7919u + size));
			nbans++;
		}
	}

	cap_open(&body);
	CHECK(ctlproto_format_bans(body.f, bans, nbans, json) == 0);
	CHECK(ctlproto_format_bans(body.f, bans, nbans, !json) == 0);
	for (size_t i = 0; i < nbans; i++) {
		char kt[BAN_KEY_MAX + ADDR_STRLEN + 8];

		ctlproto_key_text(&bans[i].key, kt, sizeof(kt));
		ctlproto_key_text(&bans[i].key, kt, 5);
		CHECK(ctlproto_format_result(body.f, "updated", &bans[i].key, (uint32_t)i,
					     (int64_t)i - 1, i & 2 ? strs[i % 8] : NULL, i & 1) == 0);
	}

	/* The allow-list (issue 20): the same keys, with the input's lines as
	 * comments and origins (any byte but NUL). */
	{
		static struct ctl_allow allows[MAX_BANS];

		for (size_t i = 0; i < nbans; i++) {
			memset(&allows[i], 0, sizeof(allows[i]));
			allows[i].key = bans[i].key;
			allows[i].remaining_s = i & 1 ? bans[i].remaining_s : 0;
			allows[i].age_s = bans[i].age_s;
			snprintf(allows[i].comment, sizeof(allows[i].comment), "%s", strs[i % 8]);
			snprintf(allows[i].origin, sizeof(allows[i].origin), "%s",
				 i & 2 ? strs[(i + 1) % 8] : "");
		}
		CHECK(ctlproto_format_allowed(body.f, allows, nbans, json) == 0);
		CHECK(ctlproto_format_allowed(body.f, allows, nbans, !json) == 0);
	}

	memset(&status, 0, sizeof(status));
	status.version = strs[0];
	status.pid = (int64_t)size;
	status.monitor = json;
	status.uptime_s = (uint64_t)size << 20;
	status.queue_count = 2;
	status.workers = 2;
	status.config_path = strs[1];
	status.state_dir = strs[2];
	status.socket_path = strs[3];
	status.stats_file = ns > 4 ? strs[4] : NULL;
	status.bans_ip = (uint32_t)nbans;
	status.max_bans = MAX_BANS;
	status.kernel_set = (enum ctl_kset)(size % 4);
	ctlproto_kset_name(status.kernel_set);
	CHECK(ctlproto_format_status(body.f, &status, json) == 0);
	CHECK(ctlproto_format_status(body.f, &status, !json) == 0);

	memset(&st, 0, sizeof(st));
	st.monitor = !json;
	st.packets = size;
	st.n_reasons = (unsigned)(ns + 8);
	for (unsigned i = 0; i < CTL_MAX_REASONS; i++) {
		st.reasons[i].name = strs[i % 8];
		st.reasons[i].count = (uint64_t)i * size;
	}
	st.n_workers = (unsigned)nbans + 60;
	for (unsigned i = 0; i < CTL_MAX_WORKERS; i++)
		st.workers[i].queue = (uint16_t)i;
	CHECK(ctlproto_format_stats(body.f, &st, json) == 0);
	CHECK(ctlproto_format_stats(body.f, &st, !json) == 0);
	cap_close(&body);

	/* The whole input, raw, as a body and an error message. */
	cap_open(&resp);
	e = (enum ctl_err)(size ? data[0] % CTL_E__MAX : 0);
	CHECK(ctlproto_write_response(resp.f, e, strs[0], (const char *)data, size) == 0);
	cap_close(&resp);
	check_framing(resp.buf, resp.len, e, (const char *)data, size);
	free(resp.buf);

	/* The formatted bodies, framed. */
	cap_open(&resp);
	CHECK(ctlproto_write_response(resp.f, CTL_OK, NULL, body.buf, body.len) == 0);
	cap_close(&resp);
	check_framing(resp.buf, resp.len, CTL_OK, body.buf, body.len);
	free(resp.buf);
	free(body.buf);

	cap_open(&resp);
	CHECK(ctlproto_prometheus(&st, resp.f) == 0);
	cap_close(&resp);
	check_prometheus(resp.buf, resp.len);
	free(resp.buf);

	check_escapes(data, size);
	check_args(data, size);
	return 0;
}
