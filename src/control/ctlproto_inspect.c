/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctlproto_inspect - the bodies of `sipwardenctl why` and `top`
 * (ctlproto.h). why: the bans in force over the subject, the limits, and
 * each evidence record with its first and last offending message (the
 * message fields were escaped when the event was captured, event.h, as
 * they are in the log). top: the sources and users nearest their limits.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "ctlproto.h"

#define KEY_TEXT (BAN_KEY_MAX + 64)

static const char *
kind_word(uint8_t kind)
{
	return kind == BAN_KIND_IP ? "ip" : "user";
}

static void
json_str(FILE *out, const char *s)
{
	ctlproto_put_json_string(out, s, strlen(s));
}

/* The subject of a record as text: its address or user. */
static const char *
rec_subject(const struct evidence_rec *r, char *buf, size_t len)
{
	if (r->kind == EVIDENCE_IP)
		return addr_format(&r->addr, buf, len);
	snprintf(buf, len, "%s", r->user);
	return buf;
}

static const char *
utc(uint64_t s, char *buf, size_t len)
{
	time_t t = (time_t)s;
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "%" PRIu64, s);
	return buf;
}

/* What the record counted, against its rule's limit, where both are known. */
static const char *
against(const struct ctl_why *w, const struct evidence_rec *r, char *buf, size_t len)
{
	if (strcmp(r->rule, "density") == 0)
		snprintf(buf, len, "more than %u requests in %u s", w->density, w->sampling_s);
	else if (strcmp(r->rule, "auth") == 0 && r->value)
		snprintf(buf, len, "%u consecutive failures, limit %u", r->value, w->auth_attempts);
	else if (strcmp(r->rule, "enum") == 0 && r->value)
		snprintf(buf, len, "%u distinct users not found, limit %u", r->value, w->enum_users);
	else
		buf[0] = '\0';
	return buf;
}

static void
text_msg(FILE *out, const char *label, const struct evidence_msg *m, uint64_t now_s)
{
	char t[32], src[ADDR_STRLEN];

	fprintf(out, "  %-6s %s (%" PRIu64 " s ago) %s R=%s ID=%s UA='%s' from %s\n", label,
		utc(m->at_s, t, sizeof(t)), now_s > m->at_s ? now_s - m->at_s : 0, m->method,
		m->ruri, m->callid, m->ua, addr_format(&m->src, src, sizeof(src)));
}

static void
json_msg(FILE *out, const char *name, const struct evidence_msg *m)
{
	char src[ADDR_STRLEN];

	fprintf(out, ",\"%s\":{\"at\":%" PRIu64 ",\"method\":", name, m->at_s);
	json_str(out, m->method);
	fputs(",\"ruri\":", out);
	json_str(out, m->ruri);
	fputs(",\"callid\":", out);
	json_str(out, m->callid);
	fputs(",\"ua\":", out);
	json_str(out, m->ua);
	fputs(",\"src\":", out);
	json_str(out, addr_format(&m->src, src, sizeof(src)));
	fputs("}", out);
}

static const char *
ban_net(const struct evidence_rec *r, char *buf, size_t len)
{
	struct ban_key k;

	ban_key_ip(&k, &r->ban_addr);
	if (r->ban_addr.family)
		k.plen = r->ban_plen;
	return ctlproto_key_text(&k, buf, len);
}

static void
format_text(FILE *out, const struct ctl_why *w)
{
	char key[KEY_TEXT], subj[KEY_TEXT], lim[96], net[KEY_TEXT];

	fprintf(out, "subject  %s %s\n", kind_word(w->key.kind),
		ctlproto_key_text(&w->key, key, sizeof(key)));
	if (w->n_bans == 0)
		fputs("ban      none in force\n", out);
	for (size_t i = 0; i < w->n_bans; i++) {
		const struct ctl_ban *b = &w->bans[i];

		fprintf(out, "ban      %s %s: %s, %" PRIu64 " s left, %" PRIu64 " s old, %" PRIu64
			" packets dropped%s%s\n", kind_word(b->key.kind),
			ctlproto_key_text(&b->key, key, sizeof(key)), ban_reason_name(b->reason),
			b->remaining_s, b->age_s, b->hits, b->origin[0] ? ", from node " : "",
			b->origin);
	}
	for (size_t i = 0; i < w->n_allows; i++) {
		const struct ctl_allow *a = &w->allows[i];

		fprintf(out, "allowed  %s %s: ", kind_word(a->key.kind),
			ctlproto_key_text(&a->key, key, sizeof(key)));
		if (a->remaining_s)
			fprintf(out, "%" PRIu64 " s left", a->remaining_s);
		else
			fputs("permanently", out);
		fprintf(out, ", %" PRIu64 " s old%s", a->age_s, a->origin[0] ? ", from node " : "");
		if (a->origin[0])
			ctlproto_put_escaped(out, a->origin, strnlen(a->origin, sizeof(a->origin)));
		/* The operator's own words: spaces stay, as `allowed` shows them. */
		fputs(", comment '", out);
		for (size_t j = 0; j < sizeof(a->comment) && a->comment[j]; j++) {
			if (a->comment[j] == ' ')
				fputc(' ', out);
			else
				ctlproto_put_escaped(out, a->comment + j, 1);
		}
		fputs("' (trusted: never banned nor dropped as banned)\n", out);
	}
	if (w->n_recs == 0)
		fputs("evidence none kept (limits.evidence_entries)\n", out);
	for (size_t i = 0; i < w->n_recs; i++) {
		const struct evidence_rec *r = &w->recs[i];

		fprintf(out, "\nrule %s, %s %s: %" PRIu64 " offending messages", r->rule,
			r->kind == EVIDENCE_IP ? "ip" : "user", rec_subject(r, subj, sizeof(subj)),
			r->count);
		if (r->bans)
			fprintf(out, ", %" PRIu64 " ban%s (last %u s on %s)", r->bans,
				r->bans == 1 ? "" : "s", r->last_ban_time_s,
				ban_net(r, net, sizeof(net)));
		if (against(w, r, lim, sizeof(lim))[0])
			fprintf(out, "; %s", lim);
		fputc('\n', out);
		text_msg(out, "first", &r->first, w->now_s);
		if (r->count > 1)
			text_msg(out, "last", &r->last, w->now_s);
	}
}

static void
format_json(FILE *out, const struct ctl_why *w)
{
	char key[KEY_TEXT], lim[96], net[KEY_TEXT];

	fprintf(out, "{\"kind\":\"%s\",\"key\":", kind_word(w->key.kind));
	json_str(out, ctlproto_key_text(&w->key, key, sizeof(key)));
	fprintf(out, ",\"limits\":{\"density\":%u,\"sampling_time\":%u,\"failed_auth_attempts\":%u,"
		"\"enum_distinct_users\":%u},\"bans\":[", w->density, w->sampling_s,
		w->auth_attempts, w->enum_users);
	for (size_t i = 0; i < w->n_bans; i++) {
		const struct ctl_ban *b = &w->bans[i];

		fprintf(out, "%s{\"kind\":\"%s\",\"key\":", i ? "," : "", kind_word(b->key.kind));
		json_str(out, ctlproto_key_text(&b->key, key, sizeof(key)));
		fprintf(out, ",\"reason\":\"%s\",\"remaining\":%" PRIu64 ",\"age\":%" PRIu64
			",\"hits\":%" PRIu64 ",\"origin\":", ban_reason_name(b->reason),
			b->remaining_s, b->age_s, b->hits);
		if (b->origin[0])
			json_str(out, b->origin);
		else
			fputs("null", out);
		fputs("}", out);
	}
	fputs("],\"allowed\":[", out);
	for (size_t i = 0; i < w->n_allows; i++) {
		const struct ctl_allow *a = &w->allows[i];

		fprintf(out, "%s{\"kind\":\"%s\",\"key\":", i ? "," : "", kind_word(a->key.kind));
		json_str(out, ctlproto_key_text(&a->key, key, sizeof(key)));
		if (a->remaining_s)
			fprintf(out, ",\"remaining\":%" PRIu64, a->remaining_s);
		else
			fputs(",\"remaining\":null", out);
		fprintf(out, ",\"age\":%" PRIu64 ",\"comment\":", a->age_s);
		ctlproto_put_json_string(out, a->comment, strnlen(a->comment, sizeof(a->comment)));
		fputs(",\"origin\":", out);
		if (a->origin[0])
			ctlproto_put_json_string(out, a->origin, strnlen(a->origin, sizeof(a->origin)));
		else
			fputs("null", out);
		fputs("}", out);
	}
	fputs("],\"evidence\":[", out);
	for (size_t i = 0; i < w->n_recs; i++) {
		const struct evidence_rec *r = &w->recs[i];

		fprintf(out, "%s{\"rule\":", i ? "," : "");
		json_str(out, r->rule);
		fprintf(out, ",\"kind\":\"%s\",\"subject\":", r->kind == EVIDENCE_IP ? "ip" : "user");
		json_str(out, rec_subject(r, key, sizeof(key)));
		fprintf(out, ",\"offences\":%" PRIu64 ",\"bans\":%" PRIu64 ",\"value\":%u",
			r->count, r->bans, r->value);
		fputs(",\"against\":", out);
		json_str(out, against(w, r, lim, sizeof(lim)));
		if (r->bans) {
			fprintf(out, ",\"last_ban\":{\"time\":%u,\"key\":", r->last_ban_time_s);
			json_str(out, ban_net(r, net, sizeof(net)));
			fputs("}", out);
		}
		json_msg(out, "first", &r->first);
		json_msg(out, "last", &r->last);
		fputs("}", out);
	}
	fputs("]}\n", out);
}

int
ctlproto_format_why(FILE *out, const struct ctl_why *w, bool json)
{
	if (json)
		format_json(out, w);
	else
		format_text(out, w);
	return ferror(out) ? -EIO : 0;
}

static const char *
src_text(const struct ctl_top_src *t, char *buf, size_t len)
{
	size_t n = strlen(addr_format(&t->addr, buf, len));

	if (t->plen != (t->addr.family == AF_INET ? 32 : 128) && n < len)
		snprintf(buf + n, len - n, "/%u", t->plen);
	return buf;
}

int
ctlproto_format_top(FILE *out, const struct ctl_top *t, bool json)
{
	char a[ADDR_STRLEN + 8];

	if (json) {
		fprintf(out, "{\"limits\":{\"density\":%u,\"sampling_time\":%u,"
			"\"failed_auth_attempts\":%u},\"workers\":%u,\"workers_answered\":%u,"
			"\"sources\":[", t->density, t->sampling_s, t->auth_attempts, t->workers,
			t->workers_answered);
		for (size_t i = 0; i < t->n_src; i++) {
			fprintf(out, "%s{\"source\":", i ? "," : "");
			json_str(out, src_text(&t->src[i], a, sizeof(a)));
			fprintf(out, ",\"requests\":%u,\"limit\":%u,\"queue\":%u}",
				t->src[i].count, t->density, t->src[i].queue);
		}
		fputs("],\"users\":[", out);
		for (size_t i = 0; i < t->n_users; i++) {
			fprintf(out, "%s{\"user\":", i ? "," : "");
			json_str(out, t->users[i].user);
			fprintf(out, ",\"failures\":%u,\"limit\":%u,\"last_failure_age\":%" PRIu64
				"}", t->users[i].failures, t->auth_attempts, t->users[i].age_s);
		}
		fputs("]}\n", out);
		return ferror(out) ? -EIO : 0;
	}
	fprintf(out, "sources nearest the density limit (%u requests in %u s)%s\n", t->density,
		t->sampling_s, t->workers_answered < t->workers ? " - some workers did not answer" : "");
	if (t->n_src == 0)
		fputs("  none\n", out);
	else
		fprintf(out, "  %-45s %9s %6s %5s\n", "SOURCE", "REQUESTS", "OF", "QUEUE");
	for (size_t i = 0; i < t->n_src; i++)
		fprintf(out, "  %-45s %9u %6u %5u\n", src_text(&t->src[i], a, sizeof(a)),
			t->src[i].count, t->density, t->src[i].queue);
	fprintf(out, "users nearest the failed-auth ban (%u consecutive failures)\n",
		t->auth_attempts);
	if (t->n_users == 0)
		fputs("  none\n", out);
	else
		fprintf(out, "  %-45s %9s %6s %9s\n", "USER", "FAILURES", "OF", "LAST (s)");
	for (size_t i = 0; i < t->n_users; i++)
		fprintf(out, "  %-45s %9u %6u %9" PRIu64 "\n", t->users[i].user,
			t->users[i].failures, t->auth_attempts, t->users[i].age_s);
	return ferror(out) ? -EIO : 0;
}
