/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <string.h>

#include <sys/socket.h>

#include "event.h"
#include "log.h"

/* The lines of events that are not a new ban (the ban's own line is
 * event_log_ban()'s, never limited here): an attacker can repeat them at
 * will, a spoofed flood thousands a second. */
static struct log_ratelimit rl_ban = LOG_RATELIMIT_INIT(200, 1000);
static struct log_ratelimit rl_ua = LOG_RATELIMIT_INIT(100, 500);
static struct log_ratelimit rl_malformed = LOG_RATELIMIT_INIT(10, 20);
static struct log_ratelimit rl_full = LOG_RATELIMIT_INIT(1, 5);

char *
event_escape(const char *in, size_t inlen, char *out, size_t outlen)
{
	return log_escape(in, inlen, out, outlen);
}

static void
capture_str(struct sip_str v, char *out, bool present)
{
	char tmp[EVENT_STR];
	size_t n;

	if (!present || !v.s) {
		strcpy(out, "<null>");
		return;
	}
	n = sip_str_copy(v, tmp, sizeof(tmp));
	event_escape(tmp, n, out, EVENT_STR);
}

void
event_capture(struct event *e, const struct policy_verdict *v, const struct addr *src,
	      const struct sip_msg *m)
{
	bool p = v->parsed;

	e->ev = v->event;
	e->reason = v->reason;
	e->flaw = v->flaw;
	e->sanity = v->sanity;
	e->ban_reason = v->ban_reason;
	e->ban_time_s = v->ban_time_s;
	e->new_ban = v->new_ban;
	e->src = *src;
	e->ban_addr = v->ban_addr;
	e->ban_plen = v->ban_plen;
	e->traits = v->traits;
	capture_str(m->ruri, e->ruri, p && m->is_request);
	capture_str(m->call_id, e->callid, p);
	capture_str(m->user_agent, e->ua, p);
	e->user[0] = '\0';
	e->enum_users = 0;
	e->failures = 0;
	e->method[0] = '\0';
	if (p && m->is_request)
		snprintf(e->method, sizeof(e->method), "%s", sip_method_name(m->method));
}

void
event_capture_auth(struct event *e, const struct policy_auth *a)
{
	memset(e, 0, sizeof(*e));
	e->ev = a->event;
	e->reason = POLICY_BANNED_USER;
	e->ban_reason = BAN_REASON_AUTH;
	e->new_ban = a->ip_banned;
	e->src = a->txn.src;
	e->ban_addr = a->ban_addr;
	e->ban_plen = a->ban_plen;
	e->ban_time_s = a->ban_time_s;
	e->failures = a->failures;
	event_escape(a->txn.ruri[0] ? a->txn.ruri : "<null>", strlen(a->txn.ruri[0] ? a->txn.ruri : "<null>"),
		     e->ruri, sizeof(e->ruri));
	event_escape(a->txn.callid[0] ? a->txn.callid : "<null>",
		     strlen(a->txn.callid[0] ? a->txn.callid : "<null>"), e->callid, sizeof(e->callid));
	event_escape(a->txn.ua, strlen(a->txn.ua), e->ua, sizeof(e->ua));
	event_escape(a->txn.user, strlen(a->txn.user), e->user, sizeof(e->user));
}

void
event_capture_enum(struct event *e, const struct policy_auth *a)
{
	memset(e, 0, sizeof(*e));
	e->ev = POLICY_EV_BAN_IP;
	e->ban_reason = BAN_REASON_ENUM;
	e->new_ban = a->enum_banned;
	e->src = a->ban_addr;
	e->ban_addr = a->ban_addr;
	e->ban_plen = a->ban_plen;
	e->ban_time_s = a->ban_time_s;
	e->enum_users = a->enum_users;
	strcpy(e->ruri, "<null>");
	strcpy(e->callid, "<null>");
}

/* " net=2001:db8:a::/64" when an IPv6 prefix was banned, else "". */
static const char *
net_note(const struct event *e, char *buf, size_t len)
{
	char a[ADDR_STRLEN];
	unsigned full = e->ban_addr.family == AF_INET ? 32 : 128;

	if (!e->ban_addr.family || e->ban_plen >= full) {
		buf[0] = '\0';
		return buf;
	}
	snprintf(buf, len, " net=%s/%u", addr_format(&e->ban_addr, a, sizeof(a)), e->ban_plen);
	return buf;
}

static void
suppressed_note(uint64_t n, const char *what)
{
	if (n)
		log_msg(LOG_NOTICE, "%llu %s messages suppressed by rate limiting",
			(unsigned long long)n, what);
}

static void
log_one(const struct event *e, uint64_t now_ms, bool monitor, bool ban)
{
	char ip[ADDR_STRLEN], net[ADDR_STRLEN + 16];
	struct log_fields f = { .ban = ban };
	uint64_t sup = 0;

	addr_format(&e->src, ip, sizeof(ip));
	f.ip = ip;
	f.callid = e->callid;

	switch (e->ev) {
	case POLICY_EV_BAN_IP:
		if (!ban && !log_ratelimit_take(&rl_ban, now_ms, &sup))
			return;
		suppressed_note(sup, "ban");
		f.event = monitor ? "would-ban-ip" : "ban-ip";
		if (e->ban_reason == BAN_REASON_ENUM)
			log_event(LOG_WARNING, &f, monitor ?
				  "monitor: would block and ban IP '%s' - R=%s ID=%s reason=enum "
				  "users=%u%s" : "IP '%s' is blocked and banned - R=%s ID=%s "
				  "reason=enum users=%u%s", ip, e->ruri, e->callid, e->enum_users,
				  net_note(e, net, sizeof(net)));
		else
			log_event(LOG_WARNING, &f, monitor ?
				  "monitor: would block and ban IP '%s' - R=%s ID=%s%s" :
				  "IP '%s' is blocked and banned - R=%s ID=%s%s",
				  ip, e->ruri, e->callid, net_note(e, net, sizeof(net)));
		break;
	case POLICY_EV_SCANNER:
		if (!ban && !log_ratelimit_take(&rl_ua, now_ms, &sup))
			return;
		suppressed_note(sup, "User-Agent");
		f.event = monitor ? "would-reject-scanner" : "scanner";
		f.ua = e->ua;
		/* The NGCP line, so that fail2ban filters for it ban scanners
		 * whatever User-Agent they chose. */
		log_event(LOG_WARNING, &f, monitor ?
			  "monitor: would reject request, malicious UA='%s' from IP='%s' - R=%s "
			  "ID=%s fingerprint=%s%s" :
			  "Request rejected, malicious UA='%s' from IP='%s' - R=%s ID=%s "
			  "fingerprint=%s%s", e->ua, ip, e->ruri, e->callid,
			  scanner_mask_name(e->traits), net_note(e, net, sizeof(net)));
		break;
	case POLICY_EV_UA:
		if (!ban && !log_ratelimit_take(&rl_ua, now_ms, &sup))
			return;
		suppressed_note(sup, "User-Agent");
		f.event = monitor ? "would-reject-ua" : "ua-blacklist";
		f.ua = e->ua;
		log_event(LOG_WARNING, &f, monitor ?
			  "monitor: would reject request, malicious UA='%s' from IP='%s' - R=%s ID=%s" :
			  "Request rejected, malicious UA='%s' from IP='%s' - R=%s ID=%s",
			  e->ua, ip, e->ruri, e->callid);
		break;
	case POLICY_EV_MALFORMED:
		if (!ban && !log_ratelimit_take(&rl_malformed, now_ms, &sup))
			return;
		suppressed_note(sup, "malformed-SIP");
		f.event = "malformed";
		log_event(LOG_NOTICE, &f, monitor ?
			  "monitor: Malformed SIP message detected - IP='%s' flaw=%s - R=%s ID=%s" :
			  "Malformed SIP message detected - IP='%s' flaw=%s - R=%s ID=%s",
			  ip, e->sanity != SANITY_OK ? sanity_fail_name(e->sanity)
						     : sip_flaw_name(e->flaw), e->ruri, e->callid);
		break;
	case POLICY_EV_AUTH_BAN:
		if (!ban && !log_ratelimit_take(&rl_ban, now_ms, &sup))
			return;
		suppressed_note(sup, "ban");
		f.event = monitor ? "would-ban-user" : "ban-user";
		f.user = e->user;
		f.ua = e->ua;
		log_event(LOG_WARNING, &f, monitor ?
			  "monitor: would ban after consecutive authentication failures for '%s' "
			  "UA='%s' IP='%s' - R=%s ID=%s" :
			  "Consecutive Authentication Failure for '%s' UA='%s' IP='%s' - R=%s ID=%s",
			  e->user, e->ua, ip, e->ruri, e->callid);
		break;
	case POLICY_EV_BAN_REFUSED:
		if (!ban && !log_ratelimit_take(&rl_full, now_ms, &sup))
			return;
		f.event = "ban-refused";
		log_event(LOG_ERR, &f,
			  "ban table full (limits.max_bans): IP '%s' not banned, %llu more refused",
			  ip, (unsigned long long)sup);
		break;
	case POLICY_EV_NONE:
		break;
	}
}

void
event_log(const struct event *e, uint64_t now_ms, bool monitor)
{
	log_one(e, now_ms, monitor, false);
}

void
event_log_ban(const struct event *e, uint64_t now_ms, bool monitor)
{
	log_one(e, now_ms, monitor, true);
}
