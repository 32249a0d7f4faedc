/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * replay_report - sipwarden-replay's output (replay_report.h): event lines
 * in the daemon's log wording, text or JSON, and the summary.
 */

#include <stdbool.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "event.h"
#include "replay_report.h"

#define REPLAY_NOTE_MAX 20        /* non-ban lines shown per kind */
#define REPLAY_TEXT_MAX (4 * EVENT_STR + 256)

/* ---- output ---- */

static void
fmt_time(uint64_t us, char *buf, size_t len)
{
	time_t s = (time_t)(us / 1000000u);
	struct tm tm;

	if (gmtime_r(&s, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		snprintf(buf, len, "@%llu", (unsigned long long)(us / 1000000u));
	else
		snprintf(buf + strlen(buf), len - strlen(buf), ".%06uZ", (unsigned)(us % 1000000u));
}

/* JSON string body. The texts are already escaped to printable ASCII by
 * event_escape(), so only quote and backslash remain to do. */
static void
json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* One event line: what (ban, ban-refused, drop), the key, the reason, the
 * ban time (0: none) and the NGCP-worded log text. */
static void
print_event(struct replay *r, uint64_t ts_us, const char *what, const char *kind,
	    const char *key, const char *reason, uint32_t secs, const char *text)
{
	char t[48], tb[24] = "";

	fmt_time(ts_us, t, sizeof(t));
	if (r->json) {
		fprintf(r->out, "{\"time\":\"%s\",\"ts\":%llu.%06u,\"event\":\"%s\",\"kind\":\"%s\","
			"\"key\":", t, (unsigned long long)(ts_us / 1000000u),
			(unsigned)(ts_us % 1000000u), what, kind);
		json_str(r->out, key);
		fprintf(r->out, ",\"reason\":\"%s\",\"ban_time\":%u,\"message\":", reason, secs);
		json_str(r->out, text);
		fputs("}\n", r->out);
		return;
	}
	if (secs)
		snprintf(tb, sizeof(tb), " time=%us", secs);
	fprintf(r->out, "%s %s %s %s reason=%s%s: %s\n", t, what, kind, key, reason, tb, text);
}

/* A line for something that is not a ban: shown in full mode only, the
 * first REPLAY_NOTE_MAX of each kind. */
static bool
note_allowed(struct replay *r, enum replay_note n)
{
	if (r->quiet)
		return false;
	if (r->st.notes[n]++ < REPLAY_NOTE_MAX)
		return true;
	if (r->st.notes[n] == REPLAY_NOTE_MAX + 1 && !r->json)
		fprintf(r->out, "(further %s lines are only counted)\n",
			n == REPLAY_NOTE_UA ? "User-Agent" :
			n == REPLAY_NOTE_MALFORMED ? "malformed-SIP" : "ban-refused");
	return false;
}

static bool
is_prefix(const struct addr *a, unsigned plen)
{
	return a->family && plen < (a->family == AF_INET ? 32u : 128u);
}

/* The banned key as sipwardenctl shows it: the address, or the network. */
static const char *
net_key(const struct addr *a, unsigned plen, char *buf, size_t len)
{
	char t[ADDR_STRLEN];

	addr_format(a, t, sizeof(t));
	if (is_prefix(a, plen))
		snprintf(buf, len, "%s/%u", t, plen);
	else
		snprintf(buf, len, "%s", t);
	return buf;
}

/* The daemon's log text for an event (event_log(), enforce mode). */
static const char *
event_text(const struct event *e, char *buf, size_t len)
{
	char ip[ADDR_STRLEN], key[ADDR_STRLEN + 8], net[ADDR_STRLEN + 16] = "";

	/* " net=2001:db8:a::/64" when an IPv6 prefix was banned */
	addr_format(&e->src, ip, sizeof(ip));
	if (is_prefix(&e->ban_addr, e->ban_plen))
		snprintf(net, sizeof(net), " net=%s", net_key(&e->ban_addr, e->ban_plen, key,
							      sizeof(key)));
	switch (e->ev) {
	case POLICY_EV_BAN_IP:
		if (e->ban_reason == BAN_REASON_ENUM)
			snprintf(buf, len, "IP '%s' is blocked and banned - R=%s ID=%s reason=enum "
				 "users=%u%s", ip, e->ruri, e->callid, e->enum_users, net);
		else
			snprintf(buf, len, "IP '%s' is blocked and banned - R=%s ID=%s%s", ip,
				 e->ruri, e->callid, net);
		break;
	case POLICY_EV_SCANNER:
		snprintf(buf, len, "Request rejected, malicious UA='%s' from IP='%s' - R=%s ID=%s "
			 "fingerprint=%s%s", e->ua, ip, e->ruri, e->callid,
			 scanner_mask_name(e->traits), net);
		break;
	case POLICY_EV_UA:
		snprintf(buf, len, "Request rejected, malicious UA='%s' from IP='%s' - R=%s ID=%s",
			 e->ua, ip, e->ruri, e->callid);
		break;
	case POLICY_EV_MALFORMED:
		snprintf(buf, len, "Malformed SIP message detected - IP='%s' flaw=%s - R=%s ID=%s",
			 ip, e->sanity != SANITY_OK ? sanity_fail_name(e->sanity)
						    : sip_flaw_name(e->flaw), e->ruri, e->callid);
		break;
	case POLICY_EV_AUTH_BAN:
		snprintf(buf, len, "Consecutive Authentication Failure for '%s' UA='%s' IP='%s' - "
			 "R=%s ID=%s", e->user, e->ua, ip, e->ruri, e->callid);
		break;
	case POLICY_EV_BAN_REFUSED:
		snprintf(buf, len, "ban table full (limits.max_bans): IP '%s' not banned", ip);
		break;
	default:
		buf[0] = '\0';
		break;
	}
	return buf;
}

void
replay_report_verdict(struct replay *r, uint64_t ts_us, const struct policy_verdict *v,
	       const struct addr *src, const struct sip_msg *m)
{
	struct event e;
	char key[ADDR_STRLEN + 8], text[REPLAY_TEXT_MAX];
	enum replay_note n;

	event_capture(&e, v, src, m);
	event_text(&e, text, sizeof(text));
	if (v->new_ban) {
		print_event(r, ts_us, "ban", "ip", net_key(&v->ban_addr, v->ban_plen, key,
			    sizeof(key)), ban_reason_name(v->ban_reason), v->ban_time_s, text);
		return;
	}
	if (v->ban_refused) {
		n = REPLAY_NOTE_REFUSED;
		e.ev = POLICY_EV_BAN_REFUSED;
		event_text(&e, text, sizeof(text));
	} else if (v->event == POLICY_EV_UA || v->event == POLICY_EV_SCANNER) {
		n = REPLAY_NOTE_UA;
	} else if (v->event == POLICY_EV_MALFORMED) {
		n = REPLAY_NOTE_MALFORMED;
	} else {
		return;
	}
	if (note_allowed(r, n))
		print_event(r, ts_us, v->ban_refused ? "ban-refused" : v->drop ? "drop" : "accept",
			    "ip", addr_format(src, key, sizeof(key)),
			    v->ban_refused ? ban_reason_name(v->ban_reason) : policy_reason_name(v->reason),
			    0, text);
}

void
replay_report_auth(struct replay *r, uint64_t ts_us, const struct policy_auth *a)
{
	uint32_t secs = a->ban_time_s ? a->ban_time_s : r->cfg->failed_auth_ban_time;
	char key[ADDR_STRLEN + 8], text[REPLAY_TEXT_MAX];
	struct event e;

	if (a->event == POLICY_EV_AUTH_BAN) {
		event_capture_auth(&e, a);
		event_text(&e, text, sizeof(text));
		if (a->user_banned) {
			r->st.bans_user++;
			print_event(r, ts_us, "ban", "user", e.user, "auth", secs, text);
		}
		if (a->ip_banned) {
			r->st.bans_ip[BAN_REASON_AUTH]++;
			print_event(r, ts_us, "ban", "ip", net_key(&a->ban_addr, a->ban_plen, key,
				    sizeof(key)), "auth", secs, text);
		}
		if (!a->user_banned && !a->ip_banned && note_allowed(r, REPLAY_NOTE_REFUSED))
			print_event(r, ts_us, "ban-refused", "user", e.user, "auth", 0, text);
	}
	if (a->enum_banned) {
		event_capture_enum(&e, a);
		event_text(&e, text, sizeof(text));
		r->st.bans_ip[BAN_REASON_ENUM]++;
		print_event(r, ts_us, "ban", "ip", net_key(&a->ban_addr, a->ban_plen, key,
			    sizeof(key)), "enum", a->ban_time_s, text);
	}
}

/* ---- summary ---- */

struct ban_print {
	struct replay *r;
	unsigned n;
};

static void
print_ban_in_force(const struct ban_info *b, void *arg)
{
	struct ban_print *bp = arg;
	struct replay *r = bp->r;
	char key[BAN_KEY_MAX + 1], esc[4 * BAN_KEY_MAX + 1], rem[24] = "null";
	char tail[64] = " (blocklist file)";
	uint64_t left = b->expires_ms > r->now_ms ? (b->expires_ms - r->now_ms + 999) / 1000 : 0;
	const char *kind = b->key->kind == BAN_KIND_USER ? "user" : "ip";

	if (b->reason == BAN_REASON_BLOCKLIST && b->hits == 0)
		return; /* a blocklist is long; show the entries that mattered */
	if (b->key->kind == BAN_KIND_IP) {
		struct addr a;

		memcpy(&a, b->key->data, sizeof(a));
		net_key(&a, b->key->plen, esc, sizeof(esc));
	} else {
		ban_key_format(b->key, key, sizeof(key));
		event_escape(key, strlen(key), esc, sizeof(esc));
	}
	if (b->reason != BAN_REASON_BLOCKLIST) { /* else in force until a reload */
		snprintf(rem, sizeof(rem), "%llu", (unsigned long long)left);
		snprintf(tail, sizeof(tail), " after the ban, %llu s left", (unsigned long long)left);
	}
	if (r->json) {
		fprintf(r->out, "%s{\"kind\":\"%s\",\"key\":", bp->n ? "," : "", kind);
		json_str(r->out, esc);
		fprintf(r->out, ",\"reason\":\"%s\",\"hits\":%llu,\"remaining\":%s}",
			ban_reason_name(b->reason), (unsigned long long)b->hits, rem);
	} else {
		fprintf(r->out, "  %-4s %-40s %-9s %llu packets dropped%s\n", kind, esc,
			ban_reason_name(b->reason), (unsigned long long)b->hits, tail);
	}
	bp->n++;
}

static unsigned long long
total_ip_bans(const struct replay_stats *st)
{
	unsigned long long n = 0;

	for (int i = 0; i < BAN_REASON__MAX; i++)
		n += st->bans_ip[i];
	return n;
}

#define U(x) ((unsigned long long)(x))

static void
print_summary_json(struct replay *r, const char *path, const char *linktype)
{
	const struct replay_stats *st = &r->st;
	struct ban_print bp = { r, 0 };

	fputs("{\"summary\":{\"capture\":", r->out);
	json_str(r->out, path);
	fprintf(r->out, ",\"link_type\":\"%s\",\"config\":", linktype);
	json_str(r->out, r->cfg_path ? r->cfg_path : "");
	fprintf(r->out, ",\"packets\":%llu,\"sip_messages\":%llu,\"judged\":%llu,"
		"\"dropped\":%llu,\"from_server\":%llu,\"server_messages\":%llu,"
		"\"server_replies\":%llu,\"tcp_segments\":%llu,\"tls_packets\":%llu,"
		"\"fragments_skipped\":%llu,\"snapped\":%llu,\"not_ip\":%llu,\"bad_ip\":%llu,"
		"\"not_sip\":%llu,\"undirected\":%llu,\"verdicts\":{",
		U(st->packets), U(st->judged + st->server_msgs), U(st->judged), U(st->dropped),
		U(st->from_server), U(st->server_msgs), U(st->server_replies), U(st->tcp_segments),
		U(st->tls_packets), U(st->fragments), U(st->snapped),
		U(st->not_ip + st->link_short), U(st->ip_bad), U(st->not_sip + st->other_proto),
		U(st->undirected));
	for (int i = 0; i < POLICY_REASON__MAX; i++)
		fprintf(r->out, "%s\"%s\":%llu", i ? "," : "", policy_reason_name(i),
			U(st->reason[i]));
	fprintf(r->out, "},\"auth_failures\":%llu,\"auth_successes\":%llu,\"blocklisted\":%llu,"
		"\"bans\":{\"ip\":%llu,\"user\":%llu,\"refused\":%llu,\"ip_by_reason\":{",
		U(st->auth_failures), U(st->auth_successes), U(st->blocklisted), total_ip_bans(st),
		U(st->bans_user), U(st->bans_refused));
	for (int i = 0; i < BAN_REASON__MAX; i++)
		fprintf(r->out, "%s\"%s\":%llu", i ? "," : "", ban_reason_name(i),
			U(st->bans_ip[i]));
	fputs("}},\"in_force\":[", r->out);
	bantab_foreach(r->pol.bans, r->now_ms, print_ban_in_force, &bp);
	fputs("]}}\n", r->out);
}

void
replay_report_summary(struct replay *r, const char *path, const char *linktype)
{
	const struct replay_stats *st = &r->st;
	struct ban_print bp = { r, 0 };
	char t0[48] = "-", t1[48] = "-";

	if (r->json) {
		print_summary_json(r, path, linktype);
		return;
	}
	if (r->have_time) {
		fmt_time(r->first_us, t0, sizeof(t0));
		fmt_time(r->last_us, t1, sizeof(t1));
	}
	fprintf(r->out, "--- summary ---\n");
	fprintf(r->out, "capture:  %s (%s), %llu packets, %s .. %s (%.3f s)\n", path, linktype,
		U(st->packets), t0, t1, (double)(r->last_us - r->first_us) / 1e6);
	fprintf(r->out, "config:   %s%s\n", r->cfg_path ? r->cfg_path : "built-in defaults",
		r->cfg->mode == CONFIG_MODE_MONITOR ? " (mode: monitor; shown is what enforce "
		"mode would do)" : "");
	fprintf(r->out, "SIP:      %llu messages judged (sent to the server; %llu of them "
		"dropped), %llu read as the server's (%llu replies)\n", U(st->judged),
		U(st->dropped), U(st->server_msgs), U(st->server_replies));
	fprintf(r->out, "TCP:      %llu segments to a SIP port framed into messages (judged "
		"above), %llu packets to a TLS port (connection attempts judged)\n",
		U(st->tcp_segments), U(st->tls_packets));
	fprintf(r->out, "direction: %s\n", r->n_servers ? "server addresses given (--server or "
		"sip.server_addresses)" : "by port; between two SIP ports, replies are the "
		"server's (use --server to say which address is the server)");
	fprintf(r->out, "skipped:  %llu IP fragments (not reassembled), %llu cut by the "
		"snaplen, %llu not IP, %llu bad IP headers, %llu not SIP, %llu from a SIP port "
		"but not the server\n",
		U(st->fragments), U(st->snapped), U(st->not_ip + st->link_short),
		U(st->ip_bad), U(st->not_sip + st->other_proto), U(st->undirected));
	if (st->backwards)
		fprintf(r->out, "clock:    %llu packets had timestamps earlier than a previous "
			"one (judged at the latest time seen)\n", U(st->backwards));
	fputs("verdicts:", r->out);
	for (int i = 0; i < POLICY_REASON__MAX; i++)
		fprintf(r->out, " %s=%llu", policy_reason_name(i), U(st->reason[i]));
	fputc('\n', r->out);
	fprintf(r->out, "auth:     %llu failures, %llu successes counted from the server's "
		"replies\n", U(st->auth_failures), U(st->auth_successes));
	fprintf(r->out, "bans:     %llu IP", total_ip_bans(st));
	for (int i = 0, n = 0; i < BAN_REASON__MAX; i++)
		if (st->bans_ip[i])
			fprintf(r->out, "%s%s %llu", n++ ? ", " : " (", ban_reason_name(i),
				U(st->bans_ip[i]));
	fprintf(r->out, "%s, %llu user, %llu refused (table full)\n",
		total_ip_bans(st) ? ")" : "", U(st->bans_user), U(st->bans_refused));
	if (r->cfg->n_blocklist_files)
		fprintf(r->out, "blocklists: %llu entries from %u files, banned from the start\n",
			U(st->blocklisted), r->cfg->n_blocklist_files);
	fprintf(r->out, "in force at the end of the capture:\n");
	bantab_foreach(r->pol.bans, r->now_ms, print_ban_in_force, &bp);
	if (bp.n == 0)
		fprintf(r->out, "  (none)\n");
}
