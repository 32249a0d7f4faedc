/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ctlproto.h"

#define KEY_TEXT_MAX (BAN_KEY_MAX + 1 > ADDR_STRLEN + 4 ? BAN_KEY_MAX + 1 : ADDR_STRLEN + 4)
#define KEY_COL_MAX 60 /* wider keys overflow their column */

/* In enum ctl_err order. */
static const char *const err_names[] = {
	"ok", "usage", "invalid", "not-found", "full", "too-long", "denied", "busy", "timeout",
	"failed",
};
_Static_assert(sizeof(err_names) / sizeof(err_names[0]) == CTL_E__MAX, "err_names");

const char *
ctlproto_err_name(enum ctl_err e)
{
	return (unsigned)e < CTL_E__MAX ? err_names[e] : "failed";
}

int
ctlproto_exit_code(enum ctl_err e)
{
	return e == CTL_OK ? CTL_EXIT_OK : e == CTL_E_USAGE ? CTL_EXIT_USAGE : CTL_EXIT_REFUSED;
}

const char *
ctlproto_kset_name(enum ctl_kset k)
{
	static const char *const names[] = { "ok", "monitor", "broken", "unavailable" };

	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "unknown";
}

const char *
ctlproto_link_name(enum ctl_link l)
{
	static const char *const names[] = { "connecting", "up", "down" };

	return (unsigned)l < sizeof(names) / sizeof(names[0]) ? names[l] : "unknown";
}

static enum ctl_err __attribute__((format(printf, 4, 5)))
fail(enum ctl_err e, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return e;
}

/* 1..CTL_MAX_BAN_TIME decimal seconds, nothing else (no sign, no space). */
static int
parse_secs(const char *s, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end || errno || v == 0 || v > CTL_MAX_BAN_TIME)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

static int
parse_kind(const char *s)
{
	return strcmp(s, "ip") == 0 ? BAN_KIND_IP : strcmp(s, "user") == 0 ? BAN_KIND_USER : 0;
}

static enum ctl_err
parse_key(struct ctl_request *req, const char *s, char *err, size_t errlen)
{
	struct ban_key *k = &req->key;

	memset(k, 0, sizeof(*k));
	if (req->kind == BAN_KIND_IP) {
		struct addr_net net;

		if (addr_net_parse(s, &net) < 0)
			return fail(CTL_E_INVALID, err, errlen, "'%.64s' is not an IP address or "
				    "network (ADDR or ADDR/PLEN with the host bits clear)", s);
		if (net.plen == 0)
			return fail(CTL_E_INVALID, err, errlen, "refusing a /0: it would ban "
				    "every source");
		ban_key_ip(k, &net.base);
		k->plen = net.plen;
		return CTL_OK;
	}
	const char *at = strrchr(s, '@');
	size_t n = strlen(s);

	if (!at || at[1] == '\0')
		return fail(CTL_E_INVALID, err, errlen, "'%.64s' is not USER@DOMAIN", s);
	if (n > BAN_KEY_MAX || ban_key_user(k, s) < 0)
		return fail(CTL_E_INVALID, err, errlen, "user is %zu bytes, longer than %u", n,
			    BAN_KEY_MAX);
	/* Domains are compared lower-cased (sip_extract_userhost()); the user
	 * part is compared as the server does, byte for byte. */
	for (size_t i = (size_t)(at - s) + 1; i < n; i++)
		if (k->data[i] >= 'A' && k->data[i] <= 'Z')
			k->data[i] = (char)(k->data[i] - 'A' + 'a');
	return CTL_OK;
}

enum ctl_err
ctlproto_parse_args(int argc, char *const argv[], bool json, struct ctl_request *req,
		    char *err, size_t errlen)
{
	static const struct {
		const char *name;
		enum ctl_cmd cmd;
	} cmds[] = {
		{ "status", CTL_CMD_STATUS }, { "stats", CTL_CMD_STATS }, { "bans", CTL_CMD_BANS },
		{ "ban", CTL_CMD_BAN }, { "unban", CTL_CMD_UNBAN }, { "reload", CTL_CMD_RELOAD },
	};
	const char *pos[CTL_MAX_WORDS], *time = NULL, *cmd;
	bool all = false, opts_done = false;
	int npos = 0, kind;

	memset(req, 0, sizeof(*req));
	req->json = json;
	if (err && errlen)
		err[0] = '\0';
	for (int i = 0; i < argc; i++) {
		const char *w = argv[i];

		if (!opts_done && w[0] == '-' && w[1] != '\0') {
			if (strcmp(w, "--") == 0) {
				opts_done = true;
			} else if (strcmp(w, "--json") == 0) {
				req->json = true;
			} else if (strcmp(w, "--all") == 0) {
				if (all)
					return fail(CTL_E_USAGE, err, errlen, "--all given twice");
				all = true;
			} else if (strcmp(w, "--time") == 0 || strncmp(w, "--time=", 7) == 0) {
				if (time)
					return fail(CTL_E_USAGE, err, errlen, "--time given twice");
				if (w[6] == '=')
					time = w + 7;
				else if (i + 1 < argc)
					time = argv[++i];
				else
					return fail(CTL_E_USAGE, err, errlen, "--time needs a value");
			} else {
				return fail(CTL_E_USAGE, err, errlen, "unknown option '%.64s'", w);
			}
			continue;
		}
		if (npos == CTL_MAX_WORDS)
			return fail(CTL_E_USAGE, err, errlen, "too many arguments");
		pos[npos++] = w;
	}
	if (npos == 0)
		return fail(CTL_E_USAGE, err, errlen, "no command given");
	cmd = pos[0];
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmd, cmds[i].name) == 0)
			req->cmd = cmds[i].cmd;
	if (req->cmd == CTL_CMD_NONE)
		return fail(CTL_E_USAGE, err, errlen, "unknown command '%.64s'", cmd);
	if (req->cmd == CTL_CMD_UNBAN && all)
		req->cmd = CTL_CMD_UNBAN_ALL;
	if (time && req->cmd != CTL_CMD_BAN)
		return fail(CTL_E_USAGE, err, errlen, "--time only goes with ban");
	if (all && req->cmd != CTL_CMD_UNBAN_ALL)
		return fail(CTL_E_USAGE, err, errlen, "--all only goes with unban");

	switch (req->cmd) {
	case CTL_CMD_STATUS:
	case CTL_CMD_STATS:
	case CTL_CMD_RELOAD:
	case CTL_CMD_UNBAN_ALL:
		if (npos > 1)
			return fail(CTL_E_USAGE, err, errlen, "unexpected argument '%.64s'", pos[1]);
		return CTL_OK;
	case CTL_CMD_BANS:
		if (npos > 2)
			return fail(CTL_E_USAGE, err, errlen, "unexpected argument '%.64s'", pos[2]);
		if (npos == 2 && !(req->kind = (uint8_t)parse_kind(pos[1])))
			return fail(CTL_E_USAGE, err, errlen, "bans takes 'ip' or 'user', not "
				    "'%.64s'", pos[1]);
		return CTL_OK;
	default:
		break;
	}
	/* ban / unban KIND KEY */
	if (npos < 2)
		return fail(CTL_E_USAGE, err, errlen, "%s needs 'ip ADDR' or 'user USER@DOMAIN'%s",
			    cmd, req->cmd == CTL_CMD_UNBAN ? " or --all" : "");
	kind = parse_kind(pos[1]);
	if (!kind)
		return fail(CTL_E_USAGE, err, errlen, "%s takes 'ip' or 'user', not '%.64s'", cmd,
			    pos[1]);
	req->kind = (uint8_t)kind;
	if (npos < 3)
		return fail(CTL_E_USAGE, err, errlen, "%s %s needs %s", cmd, pos[1],
			    kind == BAN_KIND_IP ? "an address" : "USER@DOMAIN");
	if (npos > 3)
		return fail(CTL_E_USAGE, err, errlen, "unexpected argument '%.64s'", pos[3]);
	if (time) {
		int r = parse_secs(time, &req->secs);

		if (r < 0)
			return fail(CTL_E_USAGE, err, errlen, "--time '%.32s': give whole seconds "
				    "from 1 to %u (one year)", time, CTL_MAX_BAN_TIME);
	}
	return parse_key(req, pos[2], err, errlen);
}

static int
hexval(char c)
{
	static const char hex[] = "0123456789abcdef";

	return isxdigit((unsigned char)c) ? (int)(strchr(hex, tolower(c)) - hex) : -1;
}

enum ctl_err
ctlproto_parse_request(const char *line, size_t len, struct ctl_request *req, char *err,
		       size_t errlen)
{
	char buf[CTL_LINE_MAX], *words[CTL_MAX_WORDS];
	size_t o = 0;
	int n = 0;
	bool in_word = false;

	memset(req, 0, sizeof(*req));
	if (len >= CTL_LINE_MAX)
		return fail(CTL_E_TOOLONG, err, errlen, "request longer than %d bytes",
			    CTL_LINE_MAX);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c == ' ') {
			if (in_word)
				buf[o++] = '\0';
			in_word = false;
			continue;
		}
		if (c < 0x21 || c > 0x7e)
			return fail(CTL_E_USAGE, err, errlen, "%s", c == '\0' ? "NUL byte in request" :
				    c == '\r' ? "CR in request (end the line with LF only)" :
				    "control or 8-bit byte in request (percent-encode it)");
		if (!in_word) {
			if (n == CTL_MAX_WORDS)
				return fail(CTL_E_USAGE, err, errlen, "too many arguments");
			words[n++] = buf + o;
			in_word = true;
		}
		if (c == '%') {
			int h = i + 2 < len ? hexval(line[i + 1]) : -1;
			int l = h >= 0 ? hexval(line[i + 2]) : -1;

			if (l < 0)
				return fail(CTL_E_USAGE, err, errlen, "bad %%-escape in request");
			c = (unsigned char)(h << 4 | l);
			if (c == 0)
				return fail(CTL_E_USAGE, err, errlen, "NUL byte in argument");
			i += 2;
		}
		buf[o++] = (char)c;
	}
	/* Decoding only shrinks: o < len < CTL_LINE_MAX. */
	if (in_word)
		buf[o++] = '\0';
	return ctlproto_parse_args(n, words, false, req, err, errlen);
}

int
ctlproto_encode_request(int argc, char *const argv[], bool json, char *buf, size_t len)
{
	size_t o = 0, cap = len < CTL_LINE_MAX ? len : CTL_LINE_MAX;

	if (cap < (json ? 8u : 2u))
		return -ENOSPC;
	if (json)
		o = (size_t)sprintf(buf, "--json");
	for (int i = 0; i < argc; i++) {
		const unsigned char *w = (const unsigned char *)argv[i];

		if (!*w)
			return -EINVAL; /* an empty word cannot be sent */
		if (o && o + 1 >= cap)
			return -ENOSPC;
		if (o)
			buf[o++] = ' ';
		for (; *w; w++) {
			bool plain = *w > 0x20 && *w < 0x7f && *w != '%';

			/* Room for this byte, an LF and a NUL. */
			if (o + (plain ? 1 : 3) >= cap)
				return -ENOSPC;
			if (plain)
				buf[o++] = (char)*w;
			else
				o += (size_t)sprintf(buf + o, "%%%02X", *w);
		}
	}
	if (o + 2 > len)
		return -ENOSPC;
	buf[o++] = '\n';
	buf[o] = '\0';
	return (int)o;
}

const char *
ctlproto_key_text(const struct ban_key *k, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	if (k->kind == BAN_KIND_IP) {
		struct addr a;
		size_t n;

		memcpy(&a, k->data, sizeof(a));
		n = strlen(addr_format(&a, buf, len));
		if (k->plen != (a.family == AF_INET ? 32 : 128) && n < len)
			snprintf(buf + n, len - n, "/%u", k->plen);
		return buf;
	}
	snprintf(buf, len, "%.*s", (int)k->len, k->data);
	return buf;
}

/* Write s escaped for a table or a log line to out (NULL: only measure);
 * returns the width in bytes. */
static size_t
escape(FILE *out, const char *s, size_t n)
{
	size_t w = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		bool plain = c > 0x20 && c < 0x7f && c != '\\';

		w += plain ? 1 : c == '\\' ? 2 : 4;
		if (out && plain)
			fputc(c, out);
		else if (out)
			fprintf(out, c == '\\' ? "\\\\" : "\\x%02x", c);
	}
	return w;
}

void
ctlproto_put_escaped(FILE *out, const char *s, size_t n)
{
	escape(out, s, n);
}

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no
 * surrogates, nothing past U+10FFFF), or 0. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80,
		      hi = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;
	size_t need = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 :
		      c >= 0xf0 && c <= 0xf4 ? 3 : 9;

	if (need == 9 || n < need + 1 || (need && (s[1] < lo || s[1] > hi)))
		return 0;
	for (size_t i = 2; i <= need; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return need + 1;
}

void
ctlproto_put_json_string(FILE *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', out);
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		const char *esc = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\n' ? "\\n" :
				  c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
		size_t sl = esc || c < 0x20 || c == 0x7f ? 1 : utf8_seq(p + i, n - i);

		if (esc)
			fputs(esc, out);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\u%04x", c);
		else if (sl == 0)
			fputs("\\ufffd", out);
		else if (sl == 3 && c == 0xe2 && p[i + 1] == 0x80 && (p[i + 2] & 0xfe) == 0xa8)
			fprintf(out, "\\u%04x", 0x2000 | (p[i + 2] - 0x80)); /* JS line ends */
		else
			fwrite(p + i, 1, sl, out);
		i += sl ? sl : 1;
	}
	fputc('"', out);
}

static void
json_cstr(FILE *out, const char *s)
{
	if (s)
		ctlproto_put_json_string(out, s, strlen(s));
	else
		fputs("null", out);
}

static int
finish(FILE *out)
{
	return ferror(out) ? -EIO : 0;
}

static const char *
kind_name(uint8_t kind)
{
	return kind == BAN_KIND_IP ? "ip" : "user";
}

/* One field of status or stats: a label for the table (NULL: JSON only)
 * and a key for JSON (NULL: table only); a string or a number. */
struct kv {
	const char *label, *key;
	const char *s;  /* when !num: NULL prints as "-" / null */
	uint64_t n;
	bool num;
};

#define KS(l, k, v) { (l), (k), (v), 0, false }
#define KN(l, k, v) { (l), (k), NULL, (uint64_t)(v), true }

static void
put_kvs(FILE *out, const struct kv *v, size_t n, bool json)
{
	bool first = true;

	for (size_t i = 0; i < n; i++) {
		if (json && v[i].key) {
			fprintf(out, "%s\"%s\":", first ? "" : ",", v[i].key);
			first = false;
			if (v[i].num)
				fprintf(out, "%" PRIu64, v[i].n);
			else
				json_cstr(out, v[i].s);
		} else if (!json && v[i].label && v[i].num) {
			fprintf(out, "%-20s%" PRIu64 "\n", v[i].label, v[i].n);
		} else if (!json && v[i].label) {
			fprintf(out, "%-20s%s\n", v[i].label, v[i].s ? v[i].s : "-");
		}
	}
}

/* status: the cluster link and the peers seen (only with a cluster). */
static void
format_cluster(FILE *out, const struct ctl_cluster *c, bool json)
{
	unsigned np = c->n_peers < CTL_MAX_PEERS ? c->n_peers : CTL_MAX_PEERS;
	const struct kv v[] = {
		KS("cluster node", "node", c->node),
		KS("cluster server", "server", c->server),
		KS("cluster link", "link", ctlproto_link_name(c->link)),
		KN("cluster link for", "link_since", c->link_since_s),
		KN("cluster published", "published", c->published),
		KN("cluster applied", "applied", c->applied),
		KN("cluster dropped", "queue_dropped", c->queue_dropped),
		KN("cluster errors", "errors", c->errors),
		KN("cluster outages", "outages", c->outages),
	};

	fputs(json ? ",\"cluster\":{" : "", out);
	put_kvs(out, v, sizeof(v) / sizeof(v[0]), json);
	fputs(json ? ",\"peers\":[" : "cluster peers       ", out);
	for (unsigned i = 0; i < np; i++) {
		size_t n = strnlen(c->peers[i].node, sizeof(c->peers[i].node));

		if (json) {
			fputs(i ? ",{\"node\":" : "{\"node\":", out);
			ctlproto_put_json_string(out, c->peers[i].node, n);
			fprintf(out, ",\"last_seen\":%" PRIu64 "}", c->peers[i].last_seen_s);
		} else {
			fputs(i ? ", " : "", out);
			escape(out, c->peers[i].node, n);
			fprintf(out, " (%" PRIu64 " s ago)", c->peers[i].last_seen_s);
		}
	}
	fputs(json ? "]}" : np ? "\n" : "-\n", out);
}

int
ctlproto_format_status(FILE *out, const struct ctl_status *st, bool json)
{
	const struct kv v[] = {
		KS("version", "version", st->version),
		KN("pid", "pid", st->pid),
		KS("mode", "mode", st->monitor ? "monitor" : "enforce"),
		KN("uptime (s)", "uptime", st->uptime_s),
		KN("queue first", "queue_first", st->queue_first),
		KN("queue count", "queue_count", st->queue_count),
		KN("workers", "workers", st->workers),
		KS("config", "config", st->config_path),
		KS("state dir", "state_dir", st->state_dir),
		KS("socket", "socket", st->socket_path),
		KS("stats file", "stats_file", st->stats_file),
		KN("ip bans", "bans_ip", st->bans_ip),
		KN("user bans", "bans_user", st->bans_user),
		KN("max bans", "max_bans", st->max_bans),
		KN("ip ban time", "ban_time_ip", st->ban_time_ip),
		KN("user ban time", "ban_time_user", st->ban_time_user),
		KS("kernel set", "kernel_set", ctlproto_kset_name(st->kernel_set)),
	};

	fputs(json ? "{" : "", out);
	put_kvs(out, v, sizeof(v) / sizeof(v[0]), json);
	if (st->cluster)
		format_cluster(out, st->cluster, json);
	fputs(json ? "}\n" : "", out);
	return finish(out);
}

int
ctlproto_format_stats(FILE *out, const struct ctl_stats *st, bool json)
{
	unsigned nr = st->n_reasons < CTL_MAX_REASONS ? st->n_reasons : CTL_MAX_REASONS;
	unsigned nw = st->n_workers < CTL_MAX_WORKERS ? st->n_workers : CTL_MAX_WORKERS;
	const struct kv v[] = {
		KS("mode", "mode", st->monitor ? "monitor" : "enforce"),
		KN("uptime", "uptime", st->uptime_s),
		KN("packets", "packets", st->packets),
		KN("accepted", "accepted", st->accepted),
		KN("dropped", "dropped", st->dropped),
		KN("would drop", "would_drop", st->would_drop),
		KN("tcp passed", "tcp_passed", st->tcp_passed),
		KN("not ip", "not_ip", st->not_ip),
		KN("fragments", "fragments", st->fragments),
		KN("truncated", "truncated", st->truncated),
		KN("enobufs", "enobufs", st->enobufs),
		KN("recv errors", "recv_errors", st->recv_errors),
		KN("send errors", "send_errors", st->send_errors),
		KN("kernel set errors", "kernel_set_errors", st->kset_errors),
		KN("ip bans", "bans_ip", st->bans_ip),
		KN("user bans", "bans_user", st->bans_user),
		KN("max bans", "max_bans", st->max_bans),
		KN("bans created", "bans_created", st->bans_created),
		KN("bans refused", "bans_refused", st->bans_refused),
	};

	fputs(json ? "{" : "", out);
	put_kvs(out, v, sizeof(v) / sizeof(v[0]), json);
	fputs(json ? ",\"verdicts\":{" : "\nverdicts by reason\n", out);
	for (unsigned i = 0; i < nr; i++) {
		const char *name = st->reasons[i].name ? st->reasons[i].name : "unknown";

		if (json) {
			fputs(i ? "," : "", out);
			json_cstr(out, name);
			fprintf(out, ":%" PRIu64, st->reasons[i].count);
		} else {
			fprintf(out, "  %-18s%" PRIu64 "\n", name, st->reasons[i].count);
		}
	}
	if (json)
		fputs("},\"workers\":[", out);
	else
		fprintf(out, "\n%-6s %-6s %12s %12s %12s %10s %10s %10s %10s %10s\n", "WORKER",
			"QUEUE", "PACKETS", "ACCEPTED", "DROPPED", "ENOBUFS", "RECV_ERR",
			"SEND_ERR", "SOURCES", "SRC_MAX");
	for (unsigned i = 0; i < nw; i++) {
		const struct ctl_worker *w = &st->workers[i];

		fprintf(out, json ? "%s{\"index\":%u,\"queue\":%u,\"packets\":%" PRIu64
			",\"accepted\":%" PRIu64 ",\"dropped\":%" PRIu64 ",\"enobufs\":%" PRIu64
			",\"recv_errors\":%" PRIu64 ",\"send_errors\":%" PRIu64
			",\"sources\":%u,\"sources_max\":%u,\"sources_evicted\":%" PRIu64
			",\"txn_replaced\":%" PRIu64 "}" :
			"%s%-6u %-6u %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %10" PRIu64
			" %10" PRIu64 " %10" PRIu64 " %10u %10u\n", json && i ? "," : "", i,
			w->queue, w->packets, w->accepted, w->dropped, w->enobufs, w->recv_errors,
			w->send_errors, w->sources, w->sources_max, w->sources_evicted, w->txn_replaced);
	}
	fputs(json ? "]}\n" : "", out);
	return finish(out);
}

/* By kind, then key bytes: for IP keys the family (AF_INET first) and the
 * address in network order, so numerically; then prefix length. */
static int
ban_cmp(const void *x, const void *y)
{
	const struct ban_key *a = &((const struct ctl_ban *)x)->key;
	const struct ban_key *b = &((const struct ctl_ban *)y)->key;
	int c = memcmp(a->data, b->data, a->len < b->len ? a->len : b->len);

	if (a->kind != b->kind)
		return (int)a->kind - (int)b->kind;
	if (c || a->len != b->len)
		return c ? c : (int)a->len - (int)b->len;
	return (int)a->plen - (int)b->plen;
}

int
ctlproto_format_bans(FILE *out, struct ctl_ban *bans, size_t n, bool json)
{
	char key[KEY_TEXT_MAX];
	size_t kw = 3;
	bool origins = false;

	if (n)
		qsort(bans, n, sizeof(*bans), ban_cmp);
	if (json) {
		fputs("{\"bans\":[", out);
		for (size_t i = 0; i < n; i++) {
			const struct ctl_ban *b = &bans[i];

			ctlproto_key_text(&b->key, key, sizeof(key));
			fprintf(out, "%s{\"kind\":\"%s\",\"key\":", i ? "," : "",
				kind_name(b->key.kind));
			ctlproto_put_json_string(out, key, strlen(key));
			fprintf(out, ",\"reason\":\"%s\",\"remaining\":%" PRIu64 ",\"hits\":%" PRIu64
				",\"age\":%" PRIu64, ban_reason_name(b->reason), b->remaining_s,
				b->hits, b->age_s);
			if (b->origin[0]) {
				fputs(",\"origin\":", out);
				ctlproto_put_json_string(out, b->origin,
							 strnlen(b->origin, sizeof(b->origin)));
			}
			fputc('}', out);
		}
		fputs("]}\n", out);
		return finish(out);
	}
	for (size_t i = 0; i < n; i++) {
		size_t w;

		ctlproto_key_text(&bans[i].key, key, sizeof(key));
		w = escape(NULL, key, strlen(key));
		if (w > kw)
			kw = w > KEY_COL_MAX ? KEY_COL_MAX : w;
		origins |= bans[i].origin[0] != '\0';
	}
	/* The ORIGIN column only when some ban has one (a cluster). */
	fprintf(out, "%-4s  %-*s  %-9s  %9s  %12s  %9s%s\n", "KIND", (int)kw, "KEY", "REASON",
		"REMAINING", "HITS", "AGE", origins ? "  ORIGIN" : "");
	for (size_t i = 0; i < n; i++) {
		const struct ctl_ban *b = &bans[i];
		size_t w;

		ctlproto_key_text(&b->key, key, sizeof(key));
		w = escape(NULL, key, strlen(key));
		fprintf(out, "%-4s  ", kind_name(b->key.kind));
		escape(out, key, strlen(key));
		fprintf(out, "%*s  %-9s  %9" PRIu64 "  %12" PRIu64 "  %9" PRIu64,
			(int)(w < kw ? kw - w : 0), "", ban_reason_name(b->reason), b->remaining_s,
			b->hits, b->age_s);
		if (origins) {
			fputs("  ", out);
			if (b->origin[0])
				escape(out, b->origin, strnlen(b->origin, sizeof(b->origin)));
			else
				fputc('-', out);
		}
		fputc('\n', out);
	}
	return finish(out);
}

int
ctlproto_format_result(FILE *out, const char *verb, const struct ban_key *k, uint32_t secs,
		       int64_t count, bool json)
{
	char key[KEY_TEXT_MAX] = "";

	if (k)
		ctlproto_key_text(k, key, sizeof(key));
	if (json) {
		fprintf(out, "{\"result\":\"%s\"", verb);
		if (k) {
			fprintf(out, ",\"kind\":\"%s\",\"key\":", kind_name(k->kind));
			ctlproto_put_json_string(out, key, strlen(key));
		}
	} else if (k) {
		fprintf(out, "%s ", kind_name(k->kind));
		escape(out, key, strlen(key));
		fprintf(out, " %s", verb);
	} else {
		fputs(verb, out);
	}
	if (secs)
		fprintf(out, json ? ",\"time\":%u" : " for %u s", secs);
	if (count >= 0)
		fprintf(out, json ? ",\"count\":%" PRId64 : " (count %" PRId64 ")", count);
	fputs(json ? "}\n" : "\n", out);
	return finish(out);
}

int
ctlproto_write_response(FILE *out, enum ctl_err e, const char *msg, const char *body,
			size_t bodylen)
{
	if (e != CTL_OK && (!msg || !*msg))
		msg = ctlproto_err_name(e);
	if (e == CTL_OK)
		fputs("OK", out);
	else
		fprintf(out, "ERR %s ", ctlproto_err_name(e));
	for (size_t n = 0; e != CTL_OK && msg[n] && n < CTL_MSG_MAX; n++) {
		unsigned char c = (unsigned char)msg[n];

		fputc(c >= 0x20 && c < 0x7f ? c : c == '\n' ? ';' : '?', out);
	}
	fputc('\n', out);
	for (size_t i = 0; i < bodylen;) {
		const char *nl = memchr(body + i, '\n', bodylen - i);
		size_t l = nl ? (size_t)(nl - (body + i)) : bodylen - i;

		if (body[i] == '.')
			fputc('.', out);
		fwrite(body + i, 1, l, out);
		fputc('\n', out);
		i += l + 1;
	}
	fputs(".\n", out);
	return finish(out);
}

int
ctlproto_parse_status(const char *line, enum ctl_err *e, const char **msg)
{
	const char *code, *sp;
	size_t n;

	if (strcmp(line, "OK") == 0) {
		*e = CTL_OK;
		*msg = "";
		return 0;
	}
	if (strncmp(line, "ERR ", 4) != 0)
		return -EPROTO;
	code = line + 4;
	sp = strchr(code, ' ');
	n = sp ? (size_t)(sp - code) : strlen(code);
	if (n == 0)
		return -EPROTO;
	*e = CTL_E_FAILED; /* a code this client does not know */
	for (int i = 1; i < CTL_E__MAX; i++)
		if (strlen(err_names[i]) == n && memcmp(code, err_names[i], n) == 0)
			*e = (enum ctl_err)i;
	*msg = sp ? sp + 1 : "";
	return 0;
}

/* Label values: backslash, double quote and line feed escaped. */
static void
prom_label(FILE *out, const char *v)
{
	for (; v && *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(out, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", out);
		else
			fputc(*v, out);
	}
}

/* One metric family sipwarden_<name>: # HELP, # TYPE, then n samples
 * (label NULL: one sample without labels). */
static void
prom_family(FILE *out, const char *name, const char *type, const char *help,
	    const char *label, unsigned n, const char *const *lv, const uint64_t *v)
{
	fprintf(out, "# HELP sipwarden_%s %s\n# TYPE sipwarden_%s %s\n", name, help, name, type);
	for (unsigned i = 0; i < n; i++) {
		fprintf(out, "sipwarden_%s", name);
		if (label) {
			fprintf(out, "{%s=\"", label);
			prom_label(out, lv[i] ? lv[i] : "unknown");
			fputs("\"}", out);
		}
		fprintf(out, " %" PRIu64 "\n", v[i]);
	}
}

int
ctlproto_prometheus(const struct ctl_stats *st, FILE *out)
{
	static const char *const verdicts[] = { "accept", "drop" }, *const kinds[] = { "ip", "user" };
	static const char *const framing[] = { "not_ip", "fragment", "truncated" };
	static const char *const perq[][3] = {
		{ "queue_packets_total", "counter", "Packets received from the NFQUEUE queue." },
		{ "queue_enobufs_total", "counter", "Receive buffer overruns (packets lost)." },
		{ "queue_recv_errors_total", "counter", "Receive errors on the queue socket." },
		{ "queue_send_errors_total", "counter", "Verdicts that could not be sent." },
		{ "sources", "gauge", "Sources in the worker's density table." },
		{ "sources_max", "gauge", "Capacity of the worker's density table." },
		{ "sources_evicted_total", "counter", "Live sources evicted: density table full." },
		{ "transactions_replaced_total", "counter", "Live transactions overwritten." },
	};
	const struct {
		const char *name, *type, *help;
		uint64_t v;
	} one[] = {
		{ "would_drop_total", "counter", "Packets monitor mode let through that enforce "
		  "mode would drop.", st->would_drop },
		{ "tcp_passed_total", "counter", "TCP packets accepted unjudged.", st->tcp_passed },
		{ "bans_max", "gauge", "Size of the ban table (limits.max_bans).", st->max_bans },
		{ "bans_created_total", "counter", "Bans created by the policy.", st->bans_created },
		{ "bans_refused_total", "counter", "Bans refused: table full.", st->bans_refused },
		{ "kernel_set_errors_total", "counter", "Failed kernel ban set updates.",
		  st->kset_errors },
		{ "monitor_mode", "gauge", "1 in monitor mode, 0 in enforce mode.", st->monitor },
		{ "uptime_seconds", "gauge", "Seconds since the daemon started.", st->uptime_s },
	};
	unsigned nr = st->n_reasons < CTL_MAX_REASONS ? st->n_reasons : CTL_MAX_REASONS;
	unsigned nw = st->n_workers < CTL_MAX_WORKERS ? st->n_workers : CTL_MAX_WORKERS;
	const char *lv[CTL_MAX_WORKERS + CTL_MAX_REASONS];
	char qname[CTL_MAX_WORKERS][8];
	uint64_t v[CTL_MAX_WORKERS + CTL_MAX_REASONS];

	prom_family(out, "packets_total", "counter", "Packets judged, by verdict.", "verdict", 2,
		    verdicts, (uint64_t[]){ st->accepted, st->dropped });
	for (unsigned i = 0; i < nr; i++) {
		lv[i] = st->reasons[i].name;
		v[i] = st->reasons[i].count;
	}
	prom_family(out, "verdicts_total", "counter", "Verdicts by policy reason.", "reason", nr,
		    lv, v);
	prom_family(out, "framing_errors_total", "counter", "Queued packets that could not be "
		    "framed, by kind.", "kind", 3, framing,
		    (uint64_t[]){ st->not_ip, st->fragments, st->truncated });
	prom_family(out, "bans", "gauge", "Bans in force, by kind.", "kind", 2, kinds,
		    (uint64_t[]){ st->bans_ip, st->bans_user });
	for (unsigned f = 0; f < sizeof(one) / sizeof(one[0]); f++)
		prom_family(out, one[f].name, one[f].type, one[f].help, NULL, 1, NULL, &one[f].v);
	for (unsigned i = 0; i < nw; i++) {
		snprintf(qname[i], sizeof(qname[i]), "%u", st->workers[i].queue);
		lv[i] = qname[i];
	}
	for (unsigned f = 0; f < sizeof(perq) / sizeof(perq[0]); f++) {
		for (unsigned i = 0; i < nw; i++) {
			const struct ctl_worker *w = &st->workers[i];
			const uint64_t all[] = { w->packets, w->enobufs, w->recv_errors,
						 w->send_errors, w->sources, w->sources_max,
						 w->sources_evicted, w->txn_replaced };

			v[i] = all[f];
		}
		prom_family(out, perq[f][0], perq[f][1], perq[f][2], "queue", nw, lv, v);
	}
	return finish(out);
}
