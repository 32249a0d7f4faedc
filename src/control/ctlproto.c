/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctlproto - the control protocol (ctlproto.h): the names of its codes,
 * request lines parsed and encoded, and the client's reading of a status
 * line. The server's response bodies and framing are in ctlproto_format.c,
 * the Prometheus exposition in ctlproto_prom.c.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "allowlist.h"
#include "ctlproto.h"

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
			return fail(CTL_E_INVALID, err, errlen, "refusing a /0: it would %s "
				    "every source", req->cmd == CTL_CMD_ALLOW ? "trust" : "ban");
		ban_key_ip(k, &net.base);
		k->plen = net.plen;
		/* A typo such as /8 must not switch the firewall off for a
		 * continent (allowlist.h: weaponisation). */
		if (req->cmd == CTL_CMD_ALLOW && allowlist_key_check(k, req->force) == -EDOM)
			return fail(CTL_E_INVALID, err, errlen, "refusing to allow a network wider "
				    "than /%u (IPv4) or /%u (IPv6) without --force", ALLOW_WIDE4,
				    ALLOW_WIDE6);
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
		{ "why", CTL_CMD_WHY }, { "top", CTL_CMD_TOP }, { "allow", CTL_CMD_ALLOW },
		{ "disallow", CTL_CMD_DISALLOW }, { "allowed", CTL_CMD_ALLOWED },
	};
	const char *pos[CTL_MAX_WORDS], *time = NULL, *limit = NULL, *comment = NULL, *cmd;
	bool all = false, force = false, opts_done = false;
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
			} else if (strcmp(w, "--limit") == 0 || strncmp(w, "--limit=", 8) == 0) {
				if (limit)
					return fail(CTL_E_USAGE, err, errlen, "--limit given twice");
				if (w[7] == '=')
					limit = w + 8;
				else if (i + 1 < argc)
					limit = argv[++i];
				else
					return fail(CTL_E_USAGE, err, errlen, "--limit needs a value");
			} else if (strcmp(w, "--force") == 0) {
				if (force)
					return fail(CTL_E_USAGE, err, errlen, "--force given twice");
				force = true;
			} else if (strcmp(w, "--comment") == 0 || strncmp(w, "--comment=", 10) == 0) {
				if (comment)
					return fail(CTL_E_USAGE, err, errlen, "--comment given twice");
				if (w[9] == '=')
					comment = w + 10;
				else if (i + 1 < argc)
					comment = argv[++i];
				else
					return fail(CTL_E_USAGE, err, errlen, "--comment needs a value");
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
	if (time && req->cmd != CTL_CMD_BAN && req->cmd != CTL_CMD_ALLOW)
		return fail(CTL_E_USAGE, err, errlen, "--time only goes with ban and allow");
	if (comment && req->cmd != CTL_CMD_ALLOW)
		return fail(CTL_E_USAGE, err, errlen, "--comment only goes with allow");
	if (force && req->cmd != CTL_CMD_ALLOW)
		return fail(CTL_E_USAGE, err, errlen, "--force only goes with allow ip");
	if (comment) {
		size_t n = strlen(comment);

		if (n > CTL_COMMENT_MAX)
			return fail(CTL_E_USAGE, err, errlen, "--comment is %zu bytes, longer than "
				    "%u", n, CTL_COMMENT_MAX);
		memcpy(req->comment, comment, n + 1);
	}
	req->force = force;
	if (all && req->cmd != CTL_CMD_UNBAN_ALL)
		return fail(CTL_E_USAGE, err, errlen, "--all only goes with unban");
	if (limit && req->cmd != CTL_CMD_TOP)
		return fail(CTL_E_USAGE, err, errlen, "--limit only goes with top");
	req->limit = CTL_TOP_DEFAULT;
	if (limit) {
		char *end;
		unsigned long v;

		errno = 0;
		v = strtoul(limit, &end, 10);
		if (errno || end == limit || *end || limit[0] == '-' || v < 1 || v > CTL_TOP_MAX)
			return fail(CTL_E_USAGE, err, errlen, "--limit '%.32s': give a number "
				    "from 1 to %u", limit, CTL_TOP_MAX);
		req->limit = (uint32_t)v;
	}

	switch (req->cmd) {
	case CTL_CMD_STATUS:
	case CTL_CMD_STATS:
	case CTL_CMD_RELOAD:
	case CTL_CMD_UNBAN_ALL:
	case CTL_CMD_TOP:
		if (npos > 1)
			return fail(CTL_E_USAGE, err, errlen, "unexpected argument '%.64s'", pos[1]);
		return CTL_OK;
	case CTL_CMD_BANS:
	case CTL_CMD_ALLOWED:
		if (npos > 2)
			return fail(CTL_E_USAGE, err, errlen, "unexpected argument '%.64s'", pos[2]);
		if (npos == 2 && !(req->kind = (uint8_t)parse_kind(pos[1])))
			return fail(CTL_E_USAGE, err, errlen, "%s takes 'ip' or 'user', not "
				    "'%.64s'", cmd, pos[1]);
		return CTL_OK;
	default:
		break;
	}
	/* ban / unban / why / allow / disallow KIND KEY */
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
	if (force && kind != BAN_KIND_IP)
		return fail(CTL_E_USAGE, err, errlen, "--force only goes with allow ip");
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
