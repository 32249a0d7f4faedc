/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sipwarden-replay - run sipwarden's policy offline over a packet capture
 * and print what would have been banned, and why.
 *
 * The daemon's own verdict core (verdict.h: direction, SIP ports, UDP and
 * TCP framing, the policy on each message; policy_reply() for what the
 * server answers), driven by the capture's timestamps instead of a clock.
 * No netlink, no kernel set, no root: the ban table lives in this process
 * and dies with it.
 *
 * Direction: a packet to a configured SIP port (UDP, TCP or TLS) is judged
 * as the daemon would judge it; a packet from a SIP port sent by the server
 * is read as the server's. Which address is the server comes from --server
 * or the configuration's sip.server_addresses; without either, a UDP packet
 * between two SIP ports (svcrack binds 5060 too) counts as the server's
 * when it is a SIP reply. SIP over TCP is framed per connection exactly as
 * in the daemon (tcpstream.h), TLS connection attempts count for density.
 * IP fragments are not reassembled: they are counted in the summary.
 */

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "blocklist.h"
#include "build_config.h"
#include "config.h"
#include "enumtrack.h"
#include "event.h"
#include "packet.h"
#include "policy.h"
#include "replay_pcap.h"
#include "tcpstream.h"
#include "verdict.h"

#define REPLAY_MAX_SERVERS 64
#define REPLAY_NOTE_MAX 20        /* non-ban lines shown per kind */
#define REPLAY_MAINT_MS 1000
#define REPLAY_EXPIRE_PER_ROUND 65536
#define REPLAY_MIN_SOURCES 1024
#define REPLAY_ENUM_SOURCES 4096        /* as the daemon's workers */
#define REPLAY_TEXT_MAX (4 * EVENT_STR + 256)
#define REPLAY_TCP_MSG_MAX 65535        /* as the daemon's workers */

enum replay_exit { REPLAY_EXIT_OK = 0, REPLAY_EXIT_FAIL = 1, REPLAY_EXIT_USAGE = 2 };
enum replay_note { REPLAY_NOTE_UA, REPLAY_NOTE_MALFORMED, REPLAY_NOTE_REFUSED, REPLAY_NOTE__MAX };

struct replay_stats {
	uint64_t packets, snapped, link_short, not_ip, fragments, ip_bad, other_proto;
	uint64_t not_sip, tcp_segments, tls_packets, undirected;
	uint64_t judged, dropped, from_server, server_msgs, server_replies;
	uint64_t reason[POLICY_REASON__MAX];
	uint64_t auth_failures, auth_successes, blocklisted;
	uint64_t bans_ip[BAN_REASON__MAX], bans_user, bans_refused;
	uint64_t backwards;
	uint64_t notes[REPLAY_NOTE__MAX];
};

struct replay {
	struct config *cfg;
	const char *cfg_path;     /* NULL: built-in defaults */
	struct policy pol;
	struct tcptab *tcp;
	struct verdict_core vc;
	uint64_t ts_us;           /* the packet's, for the hooks' lines */
	struct addr_net servers[REPLAY_MAX_SERVERS];
	unsigned n_servers;
	bool quiet, json;
	FILE *out;
	uint64_t now_ms, next_maint_ms, first_us, last_us;
	bool have_time;
	struct replay_stats st;
};

static const char *prog = "sipwarden-replay";

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [-c CONFIG] [-s ADDR[/PLEN]]... [-q] [--json] FILE.pcap\n"
		"Run sipwarden's policy offline over a capture (pcap or pcapng; '-' reads\n"
		"standard input) and print what would have been banned, and why.\n"
		"  -c, --config FILE   configuration (default %s;\n"
		"                      built-in defaults when that file does not exist)\n"
		"  -s, --server ADDR   the SIP server's address or subnet (repeatable): its\n"
		"                      packets from a SIP port are read as its replies\n"
		"  -q, --quiet         print the bans only, no summary\n"
		"  -j, --json          one JSON object per line\n"
		"  -V, --version       print the version\n"
		"  -h, --help          this text\n"
		"Exit status: 0 done, 1 bad capture or configuration, 2 usage error.\n",
		prog, CONFIG_DEFAULT_PATH);
}

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

static void
report_verdict(struct replay *r, uint64_t ts_us, const struct policy_verdict *v,
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

static void
report_auth(struct replay *r, uint64_t ts_us, const struct policy_auth *a)
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

/* ---- per packet: the daemon's verdict core (verdict.h) ---- */

/* The ban hook: the replay's table alone (no kernel, no cluster). */
static void
replay_ban(void *arg, struct policy_verdict *v, const struct addr *src,
	   const struct sip_msg *m, uint64_t now)
{
	struct replay *r = arg;

	(void)src;
	(void)m;
	policy_ban_table(r->pol.bans, v, now);
}

static void
replay_judged(void *arg, const struct policy_verdict *v, const struct addr *src,
	      const struct sip_msg *m, uint64_t now)
{
	static const struct sip_msg none;
	struct replay *r = arg;

	(void)now;
	r->st.judged++;
	r->st.reason[v->reason]++;
	if (v->drop)
		r->st.dropped++;
	if (v->new_ban && v->ban_reason < BAN_REASON__MAX)
		r->st.bans_ip[v->ban_reason]++;
	if (v->ban_refused)
		r->st.bans_refused++;
	if (v->event != POLICY_EV_NONE || v->new_ban || v->ban_refused)
		report_verdict(r, r->ts_us, v, src, m ? m : &none);
}

static void
replay_server_msg(void *arg, const struct sip_msg *m, uint64_t now)
{
	struct replay *r = arg;
	struct policy_auth a;

	r->st.server_msgs++;
	if (!m->is_request)
		r->st.server_replies++;
	policy_reply(&r->pol, m, now, &a);
	policy_reply_table(r->pol.bans, &a, now);
	if (a.failure)
		r->st.auth_failures++;
	if (a.success)
		r->st.auth_successes++;
	if (a.event == POLICY_EV_AUTH_BAN || a.enum_banned)
		report_auth(r, r->ts_us, &a);
}

static const struct verdict_hooks replay_hooks = {
	.ban = replay_ban,
	.judged = replay_judged,
	.server_msg = replay_server_msg,
};

/* The capture's time is the policy's clock; it never runs backwards. */
static void
advance_clock(struct replay *r, uint64_t ts_us)
{
	uint64_t ms = ts_us / 1000u;

	if (!r->have_time) {
		r->have_time = true;
		r->first_us = ts_us;
		r->now_ms = ms;
		r->next_maint_ms = ms + REPLAY_MAINT_MS;
	}
	if (ts_us > r->last_us)
		r->last_us = ts_us;
	if (ms < r->now_ms) {
		r->st.backwards++;
		return;
	}
	r->now_ms = ms;
	if (r->now_ms >= r->next_maint_ms) {
		srctab_expire(r->pol.src, r->now_ms, r->cfg->source_idle_time * 1000u,
			      REPLAY_EXPIRE_PER_ROUND);
		bantab_expire(r->pol.bans, r->now_ms, NULL, NULL);
		tcptab_expire(r->tcp, r->now_ms, REPLAY_EXPIRE_PER_ROUND);
		r->next_maint_ms = r->now_ms + REPLAY_MAINT_MS;
	}
}

static void
replay_frame(struct replay *r, const struct replay_frame *f)
{
	const struct config *cfg = r->cfg;
	struct verdict_where where = {
		.servers = r->servers, .n_servers = r->n_servers,
		/* a capture cannot tell the interface; without a server
		 * known, a reply between two SIP ports is the server's */
		.on_server_if = true, .guess = r->n_servers == 0,
	};
	struct packet_info pi;

	r->st.packets++;
	advance_clock(r, f->ts_us);
	if (f->status != REPLAY_FRAME_IP) {
		(*(f->status == REPLAY_FRAME_SNAPPED ? &r->st.snapped :
		   f->status == REPLAY_FRAME_SHORT ? &r->st.link_short : &r->st.not_ip))++;
		return;
	}
	switch (packet_parse(f->l3, f->l3_len, &pi)) {
	case PACKET_OK:
		break;
	case PACKET_FRAGMENT:
		r->st.fragments++;
		return;
	case PACKET_OTHER_PROTO:
		r->st.other_proto++;
		return;
	default:
		r->st.ip_bad++;
		return;
	}
	r->ts_us = f->ts_us;
	switch (verdict_direction(cfg, &where, &pi, NULL)) {
	case VERDICT_TO_SERVER: {
		struct verdict_result res;

		/* A capture's checksums are often the NIC's to fill in
		 * (offload): not verified here. */
		verdict_packet(&r->vc, &pi, true, r->now_ms, &res);
		if (res.path == VERDICT_TCP)
			r->st.tcp_segments++;
		else if (res.path == VERDICT_TLS_SYN || res.path == VERDICT_TLS_BANNED ||
			 res.path == VERDICT_TLS_PASSED)
			r->st.tls_packets++;
		break;
	}
	case VERDICT_FROM_SERVER:
		r->st.from_server++;
		verdict_server_packet(&r->vc, &pi, r->now_ms);
		break;
	case VERDICT_OTHER:
		if (verdict_sip_port(cfg, pi.proto, pi.sport))
			r->st.undirected++;
		else
			r->st.not_sip++;
		break;
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

static void
print_summary(struct replay *r, const char *path, const char *linktype)
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

/* ---- setup ---- */

static int
load_config(struct replay *r, const char *path)
{
	if (path == NULL && access(CONFIG_DEFAULT_PATH, F_OK) < 0 && errno == ENOENT) {
		fprintf(stderr, "%s: %s does not exist: using the built-in defaults\n", prog,
			CONFIG_DEFAULT_PATH);
		r->cfg = config_new_default();
		return r->cfg ? 0 : -ENOMEM;
	}
	r->cfg_path = path ? path : CONFIG_DEFAULT_PATH;
	return config_load_file(r->cfg_path, &r->cfg, stderr); /* errors: FILE:LINE:COL */
}

static int
make_tables(struct replay *r)
{
	const struct config *cfg = r->cfg;
	uint32_t cap = cfg->max_sources;

	/* The slab is reserved up front; a huge density limit times a huge
	 * source limit may not fit, so settle for fewer sources. */
	while ((r->pol.src = srctab_new(cap, cfg->dos_reqs_density_per_unit + 1)) == NULL &&
	       cap / 2 >= REPLAY_MIN_SOURCES)
		cap /= 2;
	if (r->pol.src != NULL && cap != cfg->max_sources)
		fprintf(stderr, "%s: tracking at most %u sources (limits.max_sources is %u)\n",
			prog, cap, cfg->max_sources);
	r->pol.bans = bantab_new(cfg->max_bans);
	r->pol.txns = txntab_new(cfg->max_transactions);
	r->pol.enums = enumtab_new(cfg->max_transactions, REPLAY_ENUM_SOURCES);
	r->pol.fails = failtab_new(cfg->max_auth_users);
	r->pol.offenders = failtab_new(cfg->max_bans);
	r->pol.cfg = cfg;
	r->pol.cfg_gen = 1;
	if (policy_keys_init(&r->pol) < 0)
		return -EIO;
	/* SIP over TCP framed as the daemon's workers do (one table here). */
	r->tcp = tcptab_new(cfg->max_tcp_connections, REPLAY_TCP_MSG_MAX,
			    cfg->tcp_idle_time * 1000u);
	if (!r->pol.src || !r->pol.bans || !r->pol.txns || !r->pol.enums || !r->pol.fails ||
	    !r->pol.offenders || !r->tcp)
		return -ENOMEM;
	r->vc = (struct verdict_core){
		.pol = &r->pol, .tcp = r->tcp, .hooks = &replay_hooks, .arg = r,
	};
	/* sip.server_addresses say where the server is, as in the daemon. */
	for (unsigned i = 0; i < cfg->n_server_addresses && r->n_servers < REPLAY_MAX_SERVERS; i++)
		r->servers[r->n_servers++] = cfg->server_addresses[i];
	return 0;
}

static int
blocklist_add(const struct addr_net *net, void *arg)
{
	struct replay *r = arg;
	struct ban_key k;

	/* In force for the whole capture, as the daemon keeps them until the
	 * next reload. */
	ban_key_net(&k, &net->base, net->plen);
	if (bantab_add(r->pol.bans, &k, BAN_REASON_BLOCKLIST, 0, UINT64_MAX / 2) > 0)
		r->st.blocklisted++;
	return 0;
}

/* blocklist_files, read as the daemon reads them at start. */
static int
load_blocklists(struct replay *r)
{
	for (unsigned i = 0; i < r->cfg->n_blocklist_files; i++) {
		const char *path = r->cfg->blocklist_files[i];
		unsigned bad = 0;
		int n = blocklist_read(path, blocklist_add, r, stderr, &bad);

		if (n < 0) {
			fprintf(stderr, "%s: blocklist %s: %s\n", prog, path, strerror(-n));
			return n;
		}
	}
	return 0;
}

static void
free_tables(struct replay *r)
{
	srctab_free(r->pol.src);
	bantab_free(r->pol.bans);
	txntab_free(r->pol.txns);
	enumtab_free(r->pol.enums);
	tcptab_free(r->tcp);
	failtab_free(r->pol.fails);
	failtab_free(r->pol.offenders);
	config_free(r->cfg);
}

static int
run(struct replay *r, const char *path)
{
	char err[512];
	struct replay_cap *cap;
	struct replay_frame f;
	int rc;

	rc = replay_cap_open(path, &cap, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return rc;
	}
	while ((rc = replay_cap_next(cap, &f)) > 0)
		replay_frame(r, &f);
	if (rc < 0)
		fprintf(stderr, "%s: %s: %s (after %llu packets)\n", prog, path,
			replay_cap_error(cap), U(r->st.packets));
	if (!r->quiet)
		print_summary(r, path, replay_cap_linktype(cap));
	replay_cap_close(cap);
	if (fflush(r->out) != 0) {
		fprintf(stderr, "%s: write error: %s\n", prog, strerror(errno));
		return -EIO;
	}
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "server", required_argument, NULL, 's' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct replay r; /* large: keep it off the stack */
	const char *cfg_path = NULL;
	int c, rc;

	r.out = stdout;
	while ((c = getopt_long(argc, argv, "c:s:qjVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cfg_path = optarg;
			break;
		case 's':
			if (r.n_servers >= REPLAY_MAX_SERVERS ||
			    addr_net_parse(optarg, &r.servers[r.n_servers]) < 0) {
				fprintf(stderr, "%s: --server %s: %s\n", prog, optarg,
					r.n_servers >= REPLAY_MAX_SERVERS ? "too many (at most 64)" :
					"not an address or subnet (host bits must be clear)");
				return REPLAY_EXIT_USAGE;
			}
			r.n_servers++;
			break;
		case 'q':
			r.quiet = true;
			break;
		case 'j':
			r.json = true;
			break;
		case 'V':
			printf("sipwarden-replay %s\n", SIPWARDEN_VERSION);
			return REPLAY_EXIT_OK;
		case 'h':
			usage(stdout);
			return REPLAY_EXIT_OK;
		default:
			usage(stderr);
			return REPLAY_EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "%s: %s\n", prog, argc - optind ? "one capture file at a time" :
			"which capture file?");
		usage(stderr);
		return REPLAY_EXIT_USAGE;
	}
	if (load_config(&r, cfg_path) < 0)
		return REPLAY_EXIT_FAIL;
	if (make_tables(&r) < 0) {
		fprintf(stderr, "%s: out of memory\n", prog);
		free_tables(&r);
		return REPLAY_EXIT_FAIL;
	}
	if (load_blocklists(&r) < 0) {
		free_tables(&r);
		return REPLAY_EXIT_FAIL;
	}
	rc = run(&r, argv[optind]);
	free_tables(&r);
	return rc < 0 ? REPLAY_EXIT_FAIL : REPLAY_EXIT_OK;
}
