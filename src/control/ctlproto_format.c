/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctlproto_format - the server side of the control protocol (ctlproto.h):
 * ban keys as text, the table and JSON escapers, the response bodies of
 * status, stats, bans, allowed and the ban / unban / allow / reload results, and the
 * framing of a response.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ctlproto.h"

#define KEY_TEXT_MAX (BAN_KEY_MAX + 1 > ADDR_STRLEN + 4 ? BAN_KEY_MAX + 1 : ADDR_STRLEN + 4)
#define KEY_COL_MAX 60 /* wider keys overflow their column */
#define LABEL_MAX 32   /* a counter's name as a table label */

const struct ctl_counter ctl_counters[CTL_N_COUNTERS] = {
#define C(n, k, f, l, h) { #n, k, f, l, h, offsetof(struct ctl_stats, n) },
	SW_COUNTERS(C)
#undef C
};

const struct ctl_counter ctl_queue_counters[CTL_N_QUEUE_COUNTERS] = {
#define C(n, k, col, f, h) { #n, k, f, col, h, offsetof(struct ctl_worker, n) },
	SW_QUEUE_COUNTERS(C)
#undef C
};

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
		KN("cluster refused", "refused", c->refused),
		KN("cluster known out", "known_shared", c->known_shared),
		KN("cluster known in", "known_learnt", c->known_learnt),
		KN("cluster known lost", "known_dropped", c->known_dropped),
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
		KN("allowed", "allowed", st->allowed),
		KN("max allowed", "max_allowed", st->max_allowed),
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

/* The fields of stats: mode, uptime, the counters, then what the daemon
 * adds (sums of the queues' errors, bans). labels holds the table labels
 * (the name with '_' as ' '); returns the number of fields. */
static size_t
stats_kvs(const struct ctl_stats *st, struct kv *v, char (*labels)[LABEL_MAX])
{
	size_t n = 0;

	v[n++] = (struct kv)KS("mode", "mode", st->monitor ? "monitor" : "enforce");
	v[n++] = (struct kv)KN("uptime", "uptime", st->uptime_s);
	for (size_t i = 0; i < CTL_N_COUNTERS; i++) {
		const struct ctl_counter *c = &ctl_counters[i];
		size_t l = 0;

		for (; c->name[l] && l < LABEL_MAX - 1; l++)
			labels[i][l] = c->name[l] == '_' ? ' ' : c->name[l];
		labels[i][l] = '\0';
		v[n++] = (struct kv)KN(labels[i], c->name, ctl_counter_get(st, c));
	}
	v[n++] = (struct kv)KN("enobufs", "enobufs", st->enobufs);
	v[n++] = (struct kv)KN("recv errors", "recv_errors", st->recv_errors);
	v[n++] = (struct kv)KN("send errors", "send_errors", st->send_errors);
	v[n++] = (struct kv)KN("ip bans", "bans_ip", st->bans_ip);
	v[n++] = (struct kv)KN("user bans", "bans_user", st->bans_user);
	v[n++] = (struct kv)KN("max bans", "max_bans", st->max_bans);
	v[n++] = (struct kv)KN("allowed", "allowed", st->allowed);
	return n;
}

#define STATS_KVS (CTL_N_COUNTERS + 9)

int
ctlproto_format_stats(FILE *out, const struct ctl_stats *st, bool json)
{
	unsigned nr = st->n_reasons < CTL_MAX_REASONS ? st->n_reasons : CTL_MAX_REASONS;
	unsigned nw = st->n_workers < CTL_MAX_WORKERS ? st->n_workers : CTL_MAX_WORKERS;
	char labels[CTL_N_COUNTERS][LABEL_MAX];
	struct kv v[STATS_KVS];
	size_t nv = stats_kvs(st, v, labels);

	fputs(json ? "{" : "", out);
	put_kvs(out, v, nv, json);
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
	fputs(json ? "},\"malformed\":{" : "\nmalformed by check\n", out);
	for (unsigned i = 0, k = 0; i < st->n_malformed && i < CTL_MAX_MALFORMED; i++) {
		const char *name = st->malformed[i].name ? st->malformed[i].name : "unknown";

		if (json) {
			fputs(k++ ? "," : "", out);
			json_cstr(out, name);
			fprintf(out, ":%" PRIu64, st->malformed[i].count);
		} else if (st->malformed[i].count) {
			fprintf(out, "  %-26s%" PRIu64 "\n", name, st->malformed[i].count);
		}
	}
	if (json) {
		fputs("},\"workers\":[", out);
	} else {
		fprintf(out, "\n%-6s %-6s", "WORKER", "QUEUE");
		for (size_t c = 0; c < CTL_N_QUEUE_COUNTERS; c++)
			fprintf(out, " %12s", ctl_queue_counters[c].label);
		fputc('\n', out);
	}
	for (unsigned i = 0; i < nw; i++) {
		const struct ctl_worker *w = &st->workers[i];

		if (json)
			fprintf(out, "%s{\"index\":%u,\"queue\":%u", i ? "," : "", i, w->queue);
		else
			fprintf(out, "%-6u %-6u", i, w->queue);
		for (size_t c = 0; c < CTL_N_QUEUE_COUNTERS; c++) {
			const struct ctl_counter *qc = &ctl_queue_counters[c];

			if (json)
				fprintf(out, ",\"%s\":%" PRIu64, qc->name, ctl_counter_get(w, qc));
			else
				fprintf(out, " %12" PRIu64, ctl_counter_get(w, qc));
		}
		fputs(json ? "}" : "\n", out);
	}
	fputs(json ? "]}\n" : "", out);
	return finish(out);
}

int
ctlproto_format_stats_line(FILE *out, const struct ctl_stats *st)
{
	unsigned nr = st->n_reasons < CTL_MAX_REASONS ? st->n_reasons : CTL_MAX_REASONS;
	char labels[CTL_N_COUNTERS][LABEL_MAX];
	struct kv v[STATS_KVS];
	size_t nv = stats_kvs(st, v, labels);
	bool first = true;

	/* The counters (v[2] on) before the verdicts, as the line always
	 * began ("stats: packets=..."); mode and uptime are not counters. */
	for (size_t i = 2; i < 2 + CTL_N_COUNTERS; i++, first = false)
		fprintf(out, "%s%s=%" PRIu64, first ? "" : " ", v[i].key, v[i].n);
	for (unsigned i = 0; i < nr; i++) {
		const char *name = st->reasons[i].name ? st->reasons[i].name : "unknown";

		fputc(' ', out);
		escape(out, name, strlen(name));
		fprintf(out, "=%" PRIu64, st->reasons[i].count);
	}
	for (size_t i = 2 + CTL_N_COUNTERS; i < nv; i++)
		fprintf(out, " %s=%" PRIu64, v[i].key, v[i].n);
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

/* By kind, then key bytes (as ban_cmp). */
static int
allow_cmp(const void *x, const void *y)
{
	const struct ctl_allow *a = x, *b = y;
	struct ctl_ban ba = { .key = a->key }, bb = { .key = b->key };

	return ban_cmp(&ba, &bb);
}

/* A comment: the last column, so spaces stay spaces; the rest as escape(). */
static void
put_comment(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == ' ')
			fputc(' ', out);
		else
			escape(out, s, 1);
	}
}

int
ctlproto_format_allowed(FILE *out, struct ctl_allow *v, size_t n, bool json)
{
	char key[KEY_TEXT_MAX], rem[24];
	size_t kw = 3, ow = 6;
	bool origins = false;

	if (n)
		qsort(v, n, sizeof(*v), allow_cmp);
	if (json) {
		fputs("{\"allowed\":[", out);
		for (size_t i = 0; i < n; i++) {
			const struct ctl_allow *e = &v[i];

			ctlproto_key_text(&e->key, key, sizeof(key));
			fprintf(out, "%s{\"kind\":\"%s\",\"key\":", i ? "," : "",
				kind_name(e->key.kind));
			ctlproto_put_json_string(out, key, strlen(key));
			/* null: permanent (no expiry) */
			if (e->remaining_s)
				fprintf(out, ",\"remaining\":%" PRIu64, e->remaining_s);
			else
				fputs(",\"remaining\":null", out);
			fprintf(out, ",\"age\":%" PRIu64 ",\"comment\":", e->age_s);
			ctlproto_put_json_string(out, e->comment,
						 strnlen(e->comment, sizeof(e->comment)));
			if (e->origin[0]) {
				fputs(",\"origin\":", out);
				ctlproto_put_json_string(out, e->origin,
							 strnlen(e->origin, sizeof(e->origin)));
			}
			fputc('}', out);
		}
		fputs("]}\n", out);
		return finish(out);
	}
	for (size_t i = 0; i < n; i++) {
		size_t w;

		ctlproto_key_text(&v[i].key, key, sizeof(key));
		w = escape(NULL, key, strlen(key));
		if (w > kw)
			kw = w > KEY_COL_MAX ? KEY_COL_MAX : w;
		origins |= v[i].origin[0] != '\0';
		w = escape(NULL, v[i].origin, strnlen(v[i].origin, sizeof(v[i].origin)));
		if (w > ow)
			ow = w;
	}
	fprintf(out, "%-4s  %-*s  %9s  %9s", "KIND", (int)kw, "KEY", "REMAINING", "AGE");
	if (origins)
		fprintf(out, "  %-*s", (int)ow, "ORIGIN");
	fputs("  COMMENT\n", out);
	for (size_t i = 0; i < n; i++) {
		const struct ctl_allow *e = &v[i];
		size_t w;

		ctlproto_key_text(&e->key, key, sizeof(key));
		w = escape(NULL, key, strlen(key));
		if (e->remaining_s)
			snprintf(rem, sizeof(rem), "%" PRIu64, e->remaining_s);
		else
			snprintf(rem, sizeof(rem), "permanent");
		fprintf(out, "%-4s  ", kind_name(e->key.kind));
		escape(out, key, strlen(key));
		fprintf(out, "%*s  %9s  %9" PRIu64, (int)(w < kw ? kw - w : 0), "", rem, e->age_s);
		if (origins) {
			size_t olen = strnlen(e->origin, sizeof(e->origin));

			fputs("  ", out);
			if (e->origin[0])
				w = escape(out, e->origin, olen);
			else
				w = fprintf(out, "-") > 0 ? 1 : 0;
			fprintf(out, "%*s", (int)(w < ow ? ow - w : 0), "");
		}
		fputs("  ", out);
		if (e->comment[0])
			put_comment(out, e->comment);
		else
			fputc('-', out);
		fputc('\n', out);
	}
	return finish(out);
}

int
ctlproto_format_result(FILE *out, const char *verb, const struct ban_key *k, uint32_t secs,
		       int64_t count, const char *warning, bool json)
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
	if (warning && json) {
		fputs(",\"durable\":false,\"warning\":", out);
		ctlproto_put_json_string(out, warning, strlen(warning));
	}
	fputs(json ? "}\n" : "\n", out);
	if (warning && !json) {
		/* One line of text: spaces kept, anything unprintable escaped. */
		fputs("warning: ", out);
		for (const char *p = warning; *p; p++) {
			if (*p == ' ')
				fputc(' ', out);
			else
				escape(out, p, 1);
		}
		fputs("\n", out);
	}
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
