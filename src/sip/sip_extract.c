/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sip_extract - turn a header span from sip_scan() into the strings policy
 * keys on (user, host, tag, digest username). Slow path: only called for
 * messages policy actually needs to identify.
 *
 * libosip2 parses name-addr and URIs for us, with two workarounds for its
 * 5.3 behaviour, both of which an attacker could otherwise use to make us
 * key on a different user than the SIP server sees:
 *
 *  - osip_uri_parse() percent-decodes the user part itself, and truncates
 *    the string at a malformed escape ("a%zzb" -> "a") or at "%00". We hide
 *    every '%' behind a marker byte before parsing, restore it afterwards and
 *    decode ourselves: valid escapes decode, malformed ones and %00 stay
 *    as written (so "a%00b" can never collide with "a").
 *  - osip_authorization_parse() returns the wrong parameter's value for an
 *    unquoted username (username=105, realm="x" -> "x"), so the digest
 *    username is read by a small parser of our own (sip_auth.c).
 *
 * Hosts are lower-cased. An IPv6 host is printed in canonical form inside
 * brackets ("[2001:db8::1]"), so that "[2001:DB8:0::1]" and "[2001:db8::1]"
 * are one domain, as they are one address. A tel: URI yields the number as
 * user (visual separators kept, parameters dropped) and an empty host.
 */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

#include <osipparser2/osip_parser.h>

#include "asciicase.h"
#include "hexdig.h"
#include "sip.h"
#include "sip_ip6.h"

/* Longest From/To/URI value we hand to libosip; longer ones are -ENOSPC. */
#define EXTRACT_MAX 2048
/* Stands in for '%' while libosip parses; never valid in a header. */
#define PCT_MARK '\001'

static pthread_once_t parser_once = PTHREAD_ONCE_INIT;

static void
parser_init_once(void)
{
	parser_init();
}

/*
 * Unfold v into out (outlen > 0): LWS containing a line break becomes one
 * SP, as RFC 3261 7.3.1 says it is equivalent to. Returns the full
 * unfolded length, which is >= outlen when the copy was truncated.
 */
static size_t
unfold(struct sip_str v, char *out, size_t outlen)
{
	const char *p = v.s, *e, *q;
	size_t o = 0, n = 0;

	e = p != NULL ? p + v.len : p;	/* NULL + 0 is still undefined */
	while (p < e) {
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
			for (q = p; q < e && (*q == ' ' || *q == '\t'); q++)
				;
			if (q < e && (*q == '\r' || *q == '\n')) {
				/* WSP, the break and the indent: one SP */
				while (q < e && (*q == ' ' || *q == '\t' ||
				    *q == '\r' || *q == '\n'))
					q++;
				if (o + 1 < outlen)
					out[o++] = ' ';
				n++;
				p = q;
				continue;
			}
			for (; p < q; p++, n++)
				if (o + 1 < outlen)
					out[o++] = *p;
			continue;
		}
		if (o + 1 < outlen)
			out[o++] = *p;
		n++;
		p++;
	}
	out[o] = '\0';
	return n;
}

size_t
sip_str_copy(struct sip_str v, char *out, size_t outlen)
{
	size_t n;

	if (out == NULL || outlen == 0)
		return 0;
	/* Nearly every span has no line break: a plain copy. */
	if (v.s != NULL && !memchr(v.s, '\n', v.len) && !memchr(v.s, '\r', v.len)) {
		n = v.len < outlen ? v.len : outlen - 1;
		memcpy(out, v.s, n);
		out[n] = '\0';
		return n;
	}
	n = unfold(v, out, outlen);
	return n < outlen ? n : outlen - 1;
}

/*
 * Copy v unfolded into buf for libosip, with '%' hidden behind PCT_MARK.
 * NUL or a marker byte in the span means it is not text: -EINVAL.
 */
static int
prepare(struct sip_str v, char *buf, size_t buflen)
{
	size_t n, i;

	if (v.s == NULL || v.len == 0)
		return -EINVAL;
	if (memchr(v.s, '\0', v.len) != NULL ||
	    memchr(v.s, PCT_MARK, v.len) != NULL)
		return -EINVAL;
	n = unfold(v, buf, buflen);
	if (n >= buflen)
		return -ENOSPC;
	for (i = 0; i < n; i++)
		if (buf[i] == '%')
			buf[i] = PCT_MARK;
	pthread_once(&parser_once, parser_init_once);
	return 0;
}

/* Restore '%' and decode %XX escapes; malformed escapes and %00 stay. */
static int
put_user(const char *s, char *out, size_t outlen)
{
	size_t o = 0;
	int hi, lo;

	for (; *s != '\0'; s++) {
		char c = *s == PCT_MARK ? '%' : *s;

		if (c == '%' && (hi = hex_digit_value(s[1])) >= 0 &&
		    (lo = hex_digit_value(s[2])) >= 0 && (hi | lo) != 0) {
			c = (char)(hi << 4 | lo);
			s += 2;
		}
		if (o + 1 >= outlen) {
			out[0] = '\0';
			return -ENOSPC;
		}
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

/* Lower-case, canonical bracketed IPv6; a marker byte becomes '%' again. */
static int
put_host(const char *s, char *out, size_t outlen)
{
	char a6[INET6_ADDRSTRLEN];
	struct in6_addr in6;
	size_t n, i;

	if (strchr(s, ':') != NULL) {
		/* libosip strips the brackets; only IPv6 contains ':' */
		if (inet_pton(AF_INET6, s, &in6) != 1 ||
		    inet_ntop(AF_INET6, &in6, a6, sizeof(a6)) == NULL)
			return -EINVAL;
		n = strlen(a6);
		if (n + 3 > outlen)
			return -ENOSPC;
		out[0] = '[';
		memcpy(out + 1, a6, n);
		out[n + 1] = ']';
		out[n + 2] = '\0';
		return 0;
	}
	n = strlen(s);
	if (n + 1 > outlen)
		return -ENOSPC;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == PCT_MARK)
			c = '%';
		else if (c >= 'A' && c <= 'Z')
			c = (char)(c | 0x20);
		out[i] = c;
	}
	out[n] = '\0';
	return 0;
}

/* Outputs start empty, so that no error leaves a stale or unterminated string. */
static int
clear_outputs(char *user, size_t ulen, char *host, size_t hlen)
{
	if (user == NULL || host == NULL || ulen == 0 || hlen == 0)
		return -ENOSPC;
	user[0] = host[0] = '\0';
	return 0;
}

static int
uri_userhost(const osip_uri_t *u, char *user, size_t ulen, char *host,
    size_t hlen)
{
	char num[EXTRACT_MAX];
	size_t n;
	int r;

	if (u == NULL || u->scheme == NULL)
		return -EINVAL;
	if (strcasecmp(u->scheme, "tel") == 0) {
		/* libosip keeps the rest of a tel: URI in ->string; the
		 * number ends at its parameters or headers, as Kamailio's
		 * URI parser ends the user there ("tel:105?x=y" is 105) */
		if (u->string == NULL)
			return -EINVAL;
		n = strcspn(u->string, ";?");
		if (n == 0 || n >= sizeof(num))
			return -EINVAL;
		memcpy(num, u->string, n);
		num[n] = '\0';
		host[0] = '\0';
		return put_user(num, user, ulen);
	}
	if (strcasecmp(u->scheme, "sip") != 0 &&
	    strcasecmp(u->scheme, "sips") != 0)
		return -EINVAL;
	if (u->host == NULL || u->host[0] == '\0')
		return -EINVAL;
	r = put_host(u->host, host, hlen);
	if (r == 0)
		r = put_user(u->username != NULL ? u->username : "", user, ulen);
	if (r < 0)
		host[0] = '\0';
	return r;
}

/*
 * The fast path's character classes, one load per byte: it runs on every
 * request's From when a user ban is in force (the user key), where a
 * strchr() per byte cost more than the rest of the walk.
 */
enum { XC_USER = 1, XC_HOST = 2, XC_PARAM = 4, XC_ALL = 7 };
static const uint8_t xclass[256] = {
	['a' ... 'z'] = XC_ALL, ['A' ... 'Z'] = XC_ALL, ['0' ... '9'] = XC_ALL,
	['.'] = XC_ALL, ['-'] = XC_ALL,
	/* unreserved marks: user and parameter */
	['_'] = XC_USER | XC_PARAM, ['~'] = XC_USER | XC_PARAM,
	['!'] = XC_USER | XC_PARAM, ['*'] = XC_USER | XC_PARAM,
	['\''] = XC_USER | XC_PARAM, ['('] = XC_USER | XC_PARAM,
	[')'] = XC_USER | XC_PARAM, ['+'] = XC_USER | XC_PARAM,
	/* user-unreserved */
	['&'] = XC_USER, ['='] = XC_USER, ['$'] = XC_USER, [','] = XC_USER,
};

static inline bool
simple_user_char(char c)
{
	return xclass[(uint8_t)c] & XC_USER;
}

/* A byte of a UTF-8 sequence (no validation: neither libosip2 nor the
 * server's parser validates a display name's UTF-8). */
static inline bool
utf8_byte(char c)
{
	return (uint8_t)c >= 0x80;
}

static inline bool
simple_host_char(char c)
{
	return xclass[(uint8_t)c] & XC_HOST;
}

static inline bool
simple_param_char(char c)
{
	return xclass[(uint8_t)c] & XC_PARAM;
}

/* (";" name ["=" value])* with non-empty names and values of simple
 * characters, up to end: the only parameter shapes the shortcut trusts. */
static bool
simple_params(const char *q, const char *end)
{
	while (q < end) {
		const char *n;

		if (*q++ != ';')
			return false;
		for (n = q; q < end && simple_param_char(*q); q++)
			;
		if (q == n)
			return false;
		if (q < end && *q == '=') {
			for (n = ++q; q < end && simple_param_char(*q); q++)
				;
			if (q == n)
				return false;
		}
	}
	return true;
}

/*
 * The bracketed host [p, e) read into a, as put_host() would read it. Only
 * hex digits, ':' and '.' are taken here; anything else (a zone id, a blank
 * libosip2 would trim) is left to libosip2, as is text that is no address.
 */
static bool
ip6_host(const char *p, const char *e, uint8_t a[16])
{
	for (const char *q = p; q < e; q++)
		if (hex_digit_value(*q) < 0 && *q != ':' && *q != '.')
			return false;
	/* put_host() takes bracket contents without ':' for a name */
	return memchr(p, ':', (size_t)(e - p)) != NULL &&
	       sip_ip6_parse(p, (size_t)(e - p), a) == 0;
}

/* "[canonical]" as put_host() writes it; -ENOSPC when it does not fit. */
static int
ip6_put(const uint8_t a[16], char *host, size_t hlen)
{
	char txt[SIP_IP6_TEXT_MAX];
	size_t n = sip_ip6_format(a, txt);

	if (n + 3 > hlen)
		return -ENOSPC;
	host[0] = '[';
	memcpy(host + 1, txt, n);
	host[n + 1] = ']';
	host[n + 2] = '\0';
	return 0;
}

/*
 * A user as written and a host lower-cased into the caller's buffers: a
 * URI of plain characters, whose host has no IPv6 reference and whose
 * user has no escape, reads as these two. -ENOSPC when either does not
 * fit (what libosip2's path answers too).
 */
static int
put_plain(const char *u, size_t ul, const char *h, size_t hl, char *user, size_t ulen,
	  char *host, size_t hlen)
{
	if (ul >= ulen || hl >= hlen)
		return -ENOSPC;
	memcpy(user, u, ul);
	user[ul] = '\0';
	/* plain characters: ASCII case, no locale */
	for (size_t i = 0; i < hl; i++)
		host[i] = (char)(h[i] >= 'A' && h[i] <= 'Z' ? h[i] + ('a' - 'A') : h[i]);
	host[hl] = '\0';
	return 0;
}

/*
 * The common shapes of From/To without libosip2's allocations: an optional
 * quoted or plain display name, <sip:user@host...> or sip:user@host;params,
 * with nothing to unescape, the host a name, IPv4 or a plain IPv6 reference.
 * Returns 1 for anything else (escapes, quotes with backslashes, zone ids,
 * tel:, odd characters), so that libosip2 decides exactly as before; 0 on
 * success, -ENOSPC when a part does not fit.
 */
int
sip_extract_userhost_fast(struct sip_str v, char *user, size_t ulen, char *host, size_t hlen)
{
	const char *p = v.s, *end = v.s + v.len, *uri, *uend, *at, *h, *he;
	uint8_t a6[16];

	/* sip_scan() trims header values: leading blanks are not a common
	 * shape. */
	if (p == end || *p == ' ' || *p == '\t')
		return 1;
	if (*p == '"') {
		/* libosip2 looks for <> without minding quotes: keep to plain
		 * names. UTF-8 is plain: phones put their users' names there
		 * ("J\xc3\xbcrgen"), and none of its bytes is a delimiter. */
		for (p++; p < end && *p != '"'; p++)
			if (!simple_user_char(*p) && *p != ' ' && !utf8_byte(*p))
				return 1;
		if (p == end)
			return 1;
		p++;
		while (p < end && *p == ' ')
			p++;
		if (p == end || *p != '<')
			return 1;
	} else {
		const char *lt = memchr(p, '<', (size_t)(end - p));

		if (lt) {
			for (const char *q = p; q < lt; q++)
				if (!simple_host_char(*q) && *q != ' ' && *q != '_' &&
				    !utf8_byte(*q))
					return 1;
			p = lt;
		}
	}
	if (p < end && *p == '<') {
		uri = p + 1;
		uend = memchr(uri, '>', (size_t)(end - uri));
		if (!uend)
			return 1;
	} else {
		uri = p;
		uend = memchr(uri, ';', (size_t)(end - uri));
		if (!uend)
			uend = end;
	}
	if (uend - uri < 8)
		return 1; /* libosip2 refuses some short URIs: let it */
	if (ascii_case_eq(uri, "sip:", 4))
		uri += 4;
	else if (ascii_case_eq(uri, "sips:", 5))
		uri += 5;
	else
		return 1;
	at = memchr(uri, '@', (size_t)(uend - uri));
	h = at ? at + 1 : uri;
	for (const char *q = uri; at && q < at; q++)
		if (!simple_user_char(*q))
			return 1;
	if (h < uend && *h == '[') {
		/* IPv6 reference: canonical text in brackets, as put_host()
		 * writes it, without inet_pton()/inet_ntop() */
		he = memchr(h, ']', (size_t)(uend - h));
		if (!he || !ip6_host(h + 1, he, a6))
			return 1;
		he++;
	} else {
		for (he = h; he < uend && *he != ':' && *he != ';'; he++)
			if (!simple_host_char(*he))
				return 1;
		if (he == h)
			return 1;
	}
	/* What follows the host must be plain too: an optional :port of
	 * digits, then ;params of simple characters. */
	{
		const char *q = he;

		if (q < uend && *q == ':') {
			const char *d = ++q;

			while (q < uend && *q >= '0' && *q <= '9')
				q++;
			if (q == d || q - d > 5)
				return 1;
		}
		if (!simple_params(q, uend))
			return 1;
	}
	/* and the header's own parameters after the URI */
	{
		const char *q = uend < end && *uend == '>' ? uend + 1 : uend, *e = end;

		while (e > q && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (!simple_params(q, e))
			return 1;
	}
	if (*h != '[')
		return put_plain(uri, at ? (size_t)(at - uri) : 0, h, (size_t)(he - h), user, ulen,
				 host, hlen);
	if ((size_t)(at ? at - uri : 0) >= ulen || ip6_put(a6, host, hlen) != 0)
		return -ENOSPC;
	if (at)
		memcpy(user, uri, (size_t)(at - uri));
	user[at ? at - uri : 0] = '\0';
	return 0;
}

int
sip_uri_read_userhost(const struct sip_uri_read *r, char *user, size_t ulen, char *host,
		      size_t hlen)
{
	int ret = clear_outputs(user, ulen, host, hlen);

	if (ret < 0)
		return ret;
	ret = put_plain(r->user.s, r->user.len, r->host.s, r->host.len, user, ulen, host, hlen);
	if (ret < 0)
		clear_outputs(user, ulen, host, hlen);
	return ret;
}

int
sip_extract_userhost(struct sip_str v, char *user, size_t ulen, char *host,
    size_t hlen)
{
	int r;

	r = clear_outputs(user, ulen, host, hlen);
	if (r < 0)
		return r;
	/* The hot path (every request with credentials) takes the shortcut;
	 * libosip2 remains the judge of everything unusual. */
	if (v.s && v.len < EXTRACT_MAX) {
		r = sip_extract_userhost_fast(v, user, ulen, host, hlen);
		if (r <= 0) {
			if (r < 0)
				clear_outputs(user, ulen, host, hlen);
			return r;
		}
	}
	return sip_extract_userhost_osip(v, user, ulen, host, hlen);
}

static bool
lws_ch(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A token character, or UTF-8, which phones put in unquoted display
 * names (sanity.c's display_ok() lets the same through). */
static bool
token_ch(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (uint8_t)c >= 0x80 || (c && strchr("-.!%*_+`'~", c) != NULL);
}

/*
 * name-addr without its display name: v from the '<' on, when what comes
 * before it is a display-name by RFC 3261's grammar (a quoted-string, its
 * quoted-pairs included, or tokens and UTF-8 separated by LWS). libosip2
 * refuses display names that are legal (a quoted NUL, token characters
 * such as '%' that sip_extract hides behind a marker byte; RFC 4475
 * 3.1.1.2), and user and host do not depend on the name. Anything else is returned
 * unchanged, for libosip2 to judge as before.
 */
static struct sip_str
drop_display(struct sip_str v)
{
	const char *p = v.s, *e = v.s + v.len;

	while (p < e && lws_ch(*p))
		p++;
	if (p < e && *p == '"') {
		for (p++; p < e && *p != '"'; p++)
			if (*p == '\\' && ++p == e)
				return v;
		if (p == e)
			return v;
		p++;
	} else {
		while (p < e && token_ch(*p)) {
			while (p < e && token_ch(*p))
				p++;
			while (p < e && lws_ch(*p))
				p++;
		}
	}
	while (p < e && lws_ch(*p))
		p++;
	if (p == e || *p != '<')
		return v;
	return (struct sip_str){ p, (uint32_t)(e - p) };
}

int
sip_extract_userhost_osip(struct sip_str v, char *user, size_t ulen, char *host, size_t hlen)
{
	char buf[EXTRACT_MAX];
	osip_from_t *from = NULL;
	int r;

	r = clear_outputs(user, ulen, host, hlen);
	if (r < 0)
		return r;
	r = prepare(v.s != NULL ? drop_display(v) : v, buf, sizeof(buf));
	if (r < 0)
		return r;
	if (osip_from_init(&from) != 0)
		return -ENOMEM;
	if (osip_from_parse(from, buf) != 0 || from->url == NULL)
		r = -EINVAL;
	else
		r = uri_userhost(from->url, user, ulen, host, hlen);
	osip_from_free(from);
	return r;
}

int
sip_extract_uri_userhost(struct sip_str uri, char *user, size_t ulen,
    char *host, size_t hlen)
{
	char buf[EXTRACT_MAX];
	osip_uri_t *u = NULL;
	int r;

	r = clear_outputs(user, ulen, host, hlen);
	if (r < 0)
		return r;
	r = prepare(uri, buf, sizeof(buf));
	if (r < 0)
		return r;
	if (osip_uri_init(&u) != 0)
		return -ENOMEM;
	if (osip_uri_parse(u, buf) != 0)
		r = -EINVAL;
	else
		r = uri_userhost(u, user, ulen, host, hlen);
	osip_uri_free(u);
	return r;
}

int
sip_extract_tag(struct sip_str v, char *tag, size_t tlen)
{
	char buf[EXTRACT_MAX];
	osip_from_t *from = NULL;
	osip_generic_param_t *param = NULL;
	const char *s;
	size_t n, i;
	int r;

	if (tag == NULL || tlen == 0)
		return -ENOSPC;
	tag[0] = '\0';
	r = prepare(v.s != NULL ? drop_display(v) : v, buf, sizeof(buf));
	if (r < 0)
		return r;
	if (osip_from_init(&from) != 0)
		return -ENOMEM;
	if (osip_from_parse(from, buf) != 0 || from->url == NULL) {
		r = -EINVAL;
		goto out;
	}
	if (osip_from_get_tag(from, &param) != 0 || param == NULL ||
	    param->gvalue == NULL)
		goto out;	/* no tag, or a bare ";tag": "" */
	s = param->gvalue;
	n = strlen(s);
	if (n + 1 > tlen) {
		r = -ENOSPC;
		goto out;
	}
	for (i = 0; i < n; i++)
		tag[i] = s[i] == PCT_MARK ? '%' : s[i];
	tag[n] = '\0';
out:
	osip_from_free(from);
	return r;
}
