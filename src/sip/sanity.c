/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sanity - the per-message sanity check (see sanity.h).
 *
 * This runs for every message sip_scan() accepts, so the checks are ordered
 * by cost: fixed-size compares and header counts first, then the numbers
 * sip_scan() left as spans, then the URIs. A URI is first read by a scanner
 * that accepts only plain forms every SIP parser agrees on
 * (sip:user@host:port;param=value, tel:+number;param); it allocates nothing
 * and answers for nearly all real traffic. Anything it cannot vouch for -
 * escapes, IPv6 hosts, quoted parameters, folded lines, odd characters - is
 * handed to libosip2 through sip_extract_*(), which has the last word. The
 * fast path may therefore only ever say "valid" where libosip2 would too;
 * the unit tests check that property on generated values.
 *
 * Where Kamailio and RFC 3261 differ, Kamailio's sanity module wins when it
 * is stricter (the CSeq method is compared byte for byte, as Kamailio
 * does), since that is the reading of the server we protect.
 *
 * The optional reject_sqli_chars check is sanity_sqli.c's.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "asciicase.h"
#include "sanity.h"
#include "sanity_internal.h"
#include "sip_ip6.h"

/* URIs longer than this always go to libosip2: the fast path stays well
 * inside the buffers below, so it can never accept what sip_extract_*()
 * would refuse with -ENOSPC. */
#define SANITY_FAST_MAX 512
/* user/host buffers for sip_extract_*(); its own limit is 2047 bytes. */
#define SANITY_PART_MAX 2048

static const char *const fail_names[SANITY__MAX] = {
	[SANITY_OK] = "ok",
	[SANITY_SIP_VERSION] = "sip-version",
	[SANITY_NO_VIA] = "missing-via",
	[SANITY_NO_FROM] = "missing-from",
	[SANITY_NO_TO] = "missing-to",
	[SANITY_NO_CALL_ID] = "missing-call-id",
	[SANITY_NO_CSEQ] = "missing-cseq",
	[SANITY_DUP_FROM] = "duplicate-from",
	[SANITY_DUP_TO] = "duplicate-to",
	[SANITY_DUP_CALL_ID] = "duplicate-call-id",
	[SANITY_DUP_CSEQ] = "duplicate-cseq",
	[SANITY_DUP_CONTENT_LENGTH] = "duplicate-content-length",
	[SANITY_CSEQ_VALUE] = "cseq-value",
	[SANITY_CSEQ_METHOD] = "cseq-method",
	[SANITY_CL_VALUE] = "content-length-value",
	[SANITY_CL_MISMATCH] = "content-length-mismatch",
	[SANITY_EXPIRES] = "expires-value",
	[SANITY_MAX_FORWARDS] = "max-forwards-value",
	[SANITY_RURI_SCHEME] = "ruri-scheme",
	[SANITY_RURI_PARSE] = "ruri-parse",
	[SANITY_FROM_SCHEME] = "from-scheme",
	[SANITY_FROM_PARSE] = "from-parse",
	[SANITY_TO_SCHEME] = "to-scheme",
	[SANITY_TO_PARSE] = "to-parse",
	[SANITY_CREDENTIALS] = "credentials",
	[SANITY_SQLI_UA] = "sqli-user-agent",
	[SANITY_SQLI_FROM] = "sqli-from",
	[SANITY_SQLI_TO] = "sqli-to",
	[SANITY_SQLI_CONTACT] = "sqli-contact",
};

const char *
sanity_fail_name(enum sanity_fail f)
{
	if ((unsigned)f >= SANITY__MAX)
		return "?";
	return fail_names[f];
}

/*
 * Character classes, one table lookup per byte on the fast path:
 * C_TOK is what the fast path allows in a user, parameter name or value (a
 * subset of RFC 3261 unreserved that no parser treats specially), C_HOST
 * what it allows in a host label.
 */
enum { C_DIGIT = 1, C_ALPHA = 2, C_HOST = 4, C_TOK = 8 };

#define C_AN (C_HOST | C_TOK)
static const uint8_t cls[256] = {
	['0' ... '9'] = C_DIGIT | C_AN,
	['A' ... 'Z'] = C_ALPHA | C_AN,
	['a' ... 'z'] = C_ALPHA | C_AN,
	['-'] = C_HOST | C_TOK,
	['_'] = C_TOK, ['.'] = C_TOK, ['!'] = C_TOK, ['~'] = C_TOK,
	['*'] = C_TOK, ['+'] = C_TOK,
};
#undef C_AN

static inline bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline bool
fast_tok(char c)
{
	return cls[(uint8_t)c] & C_TOK;
}

/*
 * 1*DIGIT with a value <= max. Kamailio's str2valid_uint() and maxfwd read
 * plain digits: no sign, no inner whitespace (the span is already trimmed).
 * Accumulation stops once over max, so a long run cannot overflow.
 */
static bool
uint_ok(struct sip_str v, uint64_t max)
{
	uint64_t n = 0;
	uint32_t i;

	if (!present(v))
		return false;
	for (i = 0; i < v.len; i++) {
		if (!is_digit(v.s[i]))
			return false;
		n = n * 10 + (uint64_t)(v.s[i] - '0');
		if (n > max)
			return false;
	}
	return true;
}

/* ---- URIs ---- */

enum uri_kind { URI_BAD = 0, URI_SIP, URI_TEL };

/*
 * The scheme of the URI at [p, e), leading LWS skipped; *rest is set past
 * the colon. Scheme names are case-insensitive (RFC 3261 19.1.4).
 */
static enum uri_kind
uri_scheme(const char *p, const char *e, const char **rest)
{
	const char *c;
	size_t n;

	while (p < e && sip_is_lws(*p))
		p++;
	/* Only a scheme of three or four letters is good, so its colon is
	 * looked for there and not along the whole URI. */
	if (e - p >= 4 && p[3] == ':')
		c = p + 3;
	else if (e - p >= 5 && p[4] == ':')
		c = p + 4;
	else
		return URI_BAD;
	n = (size_t)(c - p);
	*rest = c + 1;
	/* Inline ASCII case folding: this runs for every From, To and
	 * R-URI, and a libc call per compare showed in the profile. */
	if (n < 3 || n > 4)
		return URI_BAD;
	if ((p[0] | 0x20) == 's' && (p[1] | 0x20) == 'i' && (p[2] | 0x20) == 'p' &&
	    (n == 3 || (p[3] | 0x20) == 's'))
		return URI_SIP;
	if (n == 3 && (p[0] | 0x20) == 't' && (p[1] | 0x20) == 'e' && (p[2] | 0x20) == 'l')
		return URI_TEL;
	return URI_BAD;
}

/* *( ";" 1*tok [ "=" 1*tok ] ) up to e. tag, when not NULL, gets the
 * value of the first "tag" parameter that has one (any case), as
 * authtrack's from_tag() finds it, or stays as it was. */
static bool
fast_params(const char *p, const char *e, struct sip_str *tag)
{
	const char *q, *n;

	while (p < e) {
		if (*p++ != ';')
			return false;
		for (n = p; p < e && fast_tok(*p); p++)
			;
		if (p == n)
			return false;
		if (p < e && *p == '=') {
			for (q = ++p; p < e && fast_tok(*p); p++)
				;
			if (p == q)
				return false;
			if (tag != NULL && tag->s == NULL && q - n == 4 &&
			    ascii_case_eq(n, "tag", 3))
				*tag = (struct sip_str){ q, (uint32_t)(p - q) };
		}
	}
	return true;
}

/* "[" IPv6 "]" of hex digits, ':' and '.' only, that inet_pton() would
 * read: what libosip2 and sip_extract accept without a call into either.
 * A zone id or anything odd goes to libosip2. */
static const char *
fast_ip6ref(const char *p, const char *e)
{
	const char *q, *c = NULL;
	uint8_t a[16];

	for (q = ++p; q < e && *q != ']'; q++) {
		if (*q == ':')
			c = q;
		else if (!(cls[(uint8_t)*q] & C_DIGIT) && *q != '.' &&
		    !((*q | 0x20) >= 'a' && (*q | 0x20) <= 'f'))
			return NULL;
	}
	if (q == e || c == NULL || sip_ip6_parse(p, (size_t)(q - p), a) != 0)
		return NULL;
	return q + 1;
}

/* hostname or IPv4: labels of letters, digits and '-' joined by single
 * dots, no trailing dot; or a plain IPv6 reference. */
static const char *
fast_host(const char *p, const char *e)
{
	const char *q;

	if (p < e && *p == '[')
		return fast_ip6ref(p, e);
	for (;;) {
		for (q = p; p < e && (cls[(uint8_t)*p] & C_HOST); p++)
			;
		if (p == q)
			return NULL;
		if (p == e || *p != '.')
			return p;
		p++;
	}
}

/* After "sip:": [user "@"] host [":" port] *param, nothing else. fr, when
 * not NULL, gets the user and host (not for an IPv6 reference, which
 * sip_extract prints in canonical form); its tag from the parameters
 * when tags is true (an addr-spec, whose parameters are the header's). */
static bool
fast_sip(const char *p, const char *e, struct sip_uri_read *fr, bool tags)
{
	struct sip_str tag = { NULL, 0 };
	const char *q, *u = p, *ue = p, *h, *he, *pe;

	for (q = p; q < e && fast_tok(*q); q++)
		;
	if (q < e && *q == '@') {
		if (q == p)
			return false;
		ue = q;
		p = q + 1;
	}
	h = p;
	p = he = fast_host(p, e);
	if (p == NULL)
		return false;
	if (p < e && *p == ':') {
		uint32_t port = 0;

		for (q = ++p; p < e && is_digit(*p) && p - q < 5; p++)
			port = port * 10 + (uint32_t)(*p - '0');
		if (p == q || port == 0 || port > 65535)
			return false;
	}
	pe = p;
	if (!fast_params(p, e, fr != NULL && tags ? &tag : NULL))
		return false;
	if (fr != NULL && *h != '[') {
		fr->set = true;
		fr->hostport = (struct sip_str){ h, (uint32_t)(pe - h) };
		if (tags)
			fr->tag = tag;
		fr->user = (struct sip_str){ u, (uint32_t)(ue - u) };
		fr->host = (struct sip_str){ h, (uint32_t)(he - h) };
	}
	return true;
}

/* After "tel:": a number of digits and visual separators, then params.
 * libosip2 refuses a URI of another scheme than sip/sips with fewer than
 * two bytes after the colon ("tel:1"): the slow path decides those, so
 * that the shortcut never passes what libosip2 refuses. */
static bool
fast_tel(const char *p, const char *e)
{
	const char *q = p;

	if (e - p < 2)
		return false;
	if (p < e && *p == '+')
		p++;
	for (; p < e && (is_digit(*p) || *p == '-' || *p == '.' ||
	    *p == '(' || *p == ')'); p++)
		;
	if (p == q || (p == q + 1 && *q == '+'))
		return false;
	return fast_params(p, e, NULL);
}

/* The whole of [p, e) is one plain URI (with its parameters), whose
 * scheme the caller read with uri_scheme() (kind, rest: once per URI, not
 * twice); fr and tags as for fast_sip(). */
static bool
fast_uri(const char *p, const char *e, enum uri_kind kind, const char *rest,
	 struct sip_uri_read *fr, bool tags)
{
	if (e - p > SANITY_FAST_MAX)
		return false;
	switch (kind) {
	case URI_SIP:
		return p < e && !sip_is_lws(*p) && fast_sip(rest, e, fr, tags);
	case URI_TEL:
		return p < e && !sip_is_lws(*p) && fast_tel(rest, e);
	default:
		return false;
	}
}

/* false when the entry is broken (unterminated quote, '<' without '>').
 * Shared with sanity_sqli.c (sanity_internal.h). */
bool
sanity_split_naddr(const char *p, const char *e, bool list, struct naddr *na)
{
	const char *q;

	memset(na, 0, sizeof(*na));
	while (p < e && sip_is_lws(*p))
		p++;
	if (p < e && *p == '"') {
		q = sanity_skip_quoted(p, e);
		if (q == NULL)
			return false;
		na->disp = p + 1;
		na->disp_end = q - 1;
		na->quoted = true;
		for (p = q; p < e && sip_is_lws(*p); p++)
			;
		if (p == e || *p != '<')
			return false;
	} else {
		/* A token display name holds none of < ; , " */
		for (q = p; q < e && *q != '<' && *q != ';' && *q != ',' &&
		    *q != '"'; q++)
			;
		if (q < e && *q == '<') {
			na->disp = p;
			for (na->disp_end = q; na->disp_end > p &&
			    sip_is_lws(na->disp_end[-1]); na->disp_end--)
				;
			p = q;
		}
	}
	if (p < e && *p == '<') {
		q = memchr(p, '>', (size_t)(e - p));
		if (q == NULL)
			return false;
		na->angle = true;
		na->uri = p + 1;
		na->uri_end = q;
		na->params = q + 1;
		return true;
	}
	na->uri = p;
	for (q = p; q < e && *q != ';' && !(list && *q == ','); q++)
		;
	na->uri_end = q;
	na->params = q;
	return true;
}

/* The display name needs no unquoting or unfolding: printable ASCII or
 * UTF-8 without '"' or '\' when quoted, tokens, spaces and UTF-8
 * otherwise. UTF-8 names ("J\xc3\xbcrgen") are common on phones and
 * libosip2 takes them as they are; sending them to it doubled the cost
 * of such a request. */
static bool
fast_display(const struct naddr *na)
{
	const char *p;

	for (p = na->disp; p < na->disp_end; p++) {
		uint8_t c = (uint8_t)*p;

		if (c >= 0x80)
			continue;
		if (na->quoted ? (c < 0x20 || c > 0x7e || c == '"' ||
		    c == '\\') : !(fast_tok(*p) || c == ' '))
			return false;
	}
	return true;
}

/* A From/To value the fast path vouches for. */
static bool
fast_naddr(struct sip_str v, const struct naddr *na, enum uri_kind kind, const char *rest,
	   struct sip_uri_read *fr)
{
	const char *e = v.s + v.len;

	/* a fold or a tab means unfolding first: libosip2's job (one
	 * search for both: two libc calls were a tenth of this check) */
	if (v.len > SANITY_FAST_MAX || sip_find2(v.s, e, '\n', '\t') != e)
		return false;
	/* osip_from_parse() wants at least six bytes of URI ("sip:h"
	 * in angle brackets or before a parameter is refused); such values
	 * take the slow path, so that both agree */
	if (na->uri_end - na->uri < 6)
		return false;
	if (!na->angle)
		return fast_uri(na->uri, e, kind, rest, fr, true);
	return fast_display(na) && fast_uri(na->uri, na->uri_end, kind, rest, fr, false) &&
	    fast_params(na->params, e, fr ? &fr->tag : NULL);
}

/*
 * The slow path: libosip2 through sip_extract_*(), which accepts only sip,
 * sips and tel. -ENOMEM is our failure, not the message's, so it must not
 * drop traffic under memory pressure. Kept out of line so that the fast
 * path does not carry these buffers in its stack frame.
 */
static __attribute__((noinline)) bool
slow_uri_ok(struct sip_str v, bool name_addr)
{
	char user[SANITY_PART_MAX], host[SANITY_PART_MAX];
	int r;

	if (name_addr)
		r = sip_extract_userhost(v, user, sizeof(user), host, sizeof(host));
	else
		r = sip_extract_uri_userhost(v, user, sizeof(user), host,
		    sizeof(host));
	return r == 0 || r == -ENOMEM;
}

/* ur, when not NULL, gets the user and host when the fast path read them
 * (fast_sip() writes it only once the whole URI passed). */
static enum sanity_fail
check_ruri(struct sip_str v, struct sip_uri_read *ur)
{
	enum uri_kind kind;
	const char *rest;

	if (!present(v) || (kind = uri_scheme(v.s, v.s + v.len, &rest)) == URI_BAD)
		return SANITY_RURI_SCHEME;
	if (fast_uri(v.s, v.s + v.len, kind, rest, ur, false) || slow_uri_ok(v, false))
		return SANITY_OK;
	return SANITY_RURI_PARSE;
}

/*
 * An unquoted display name is *(token LWS) (RFC 3261 25.1); UTF-8 is let
 * through, as phones send it unquoted. Anything else there - ':', '@',
 * '?', '=', '/', '[', a backslash - is a URI to some parser: in
 * "sip:105@example.org?x=<sip:y@z>" libosip2 reads the addr-spec 105 and
 * Kamailio the name-addr y. Such a value has no one reading.
 */
static bool
display_ok(const struct naddr *na)
{
	const char *p;

	if (na->quoted)
		return true;
	for (p = na->disp; p < na->disp_end; p++)
		if (!fast_tok(*p) && !sip_is_lws(*p) && (uint8_t)*p < 0x80 &&
		    *p != '%' && *p != '`' && *p != '\'')
			return false;
	return true;
}

/* From or To: the scheme of the URI, then that the whole value parses.
 * fr, when not NULL, gets the user and host when the fast path read them;
 * through a copy, because the header's parameters are judged after the
 * URI wrote its part. */
static enum sanity_fail
check_naddr(struct sip_str v, enum sanity_fail f_scheme, enum sanity_fail f_parse,
	    struct sip_uri_read *fr)
{
	struct sip_uri_read parts = { .set = false };
	enum uri_kind kind;
	struct naddr na;
	const char *rest;

	if (sanity_split_naddr(v.s, v.s + v.len, false, &na)) {
		/* a '<' after an addr-spec: "Bell, Alexander <sip:..>" */
		if (!display_ok(&na) ||
		    (!na.angle && memchr(v.s, '<', v.len) != NULL))
			return f_parse;
		/* the scheme lies in the URI's first five bytes: fast_uri()
		 * reads the same one, whether the URI ends at uri_end or, for
		 * an addr-spec, at the value's end */
		kind = uri_scheme(na.uri, na.uri_end, &rest);
		if (kind == URI_BAD)
			return f_scheme;
		if (fast_naddr(v, &na, kind, rest, fr ? &parts : NULL)) {
			if (fr)
				*fr = parts;
			return SANITY_OK;
		}
	}
	/* broken to our eyes, or unusual: libosip2 decides */
	return slow_uri_ok(v, true) ? SANITY_OK : f_parse;
}

/*
 * Digest credentials: the username policy keys failures on must be the one
 * the server authenticates, and the realm the one it checks them against.
 * Readers differ on a quoted-pair (Kamailio ends a quoted value at the next
 * '"', "a\"b" is "a\" to it and "a\"b" to RFC 2617, and the next
 * parameters shift with it: a backslash anywhere is refused), on a second
 * username or realm parameter (Kamailio takes the last) and on junk after a
 * value: none of them has one reading, so the request is malformed. Other
 * schemes carry no username for either side.
 */
static bool
creds_ok(struct sip_str v, struct sip_cred_user *cu)
{
	char user[SANITY_PART_MAX], realm[SANITY_PART_MAX];
	struct sip_auth_param ps[2] = {
		{ .name = "username", .out = user, .olen = sizeof(user) },
		{ .name = "realm", .out = realm, .olen = sizeof(realm) },
	};
	const char *p = v.s, *e = v.s + v.len;
	size_t n;

	while (p < e && sip_is_lws(*p))
		p++;
	if (e - p < 7 || !ascii_case_eq(p, "digest", 6) || !sip_is_lws(p[6])) {
		/* sip_extract_auth_username() refuses another scheme */
		if (cu)
			*cu = (struct sip_cred_user){ .set = true, .ret = -EINVAL };
		return true;
	}
	/* One walk for both (sip_auth.c). */
	if (memchr(v.s, '\\', v.len) != NULL || sip_extract_auth_params(v, ps, 2) != 0)
		return false;
	if (ps[0].ret != 0 || (ps[1].ret != 0 && ps[1].ret != -ENOENT))
		return false;
	/* Readable here, so sip_extract_auth_username() reads the same
	 * value: it fits its smaller buffer, or that call says -ENOSPC. */
	if (cu) {
		n = strlen(user);
		cu->set = true;
		cu->ret = n < sizeof(cu->user) ? 0 : -ENOSPC;
		if (cu->ret == 0)
			memcpy(cu->user, user, n + 1);
		else
			cu->user[0] = '\0';
	}
	return true;
}

/*
 * Every credentials header, not only the first of each name: the server
 * may authenticate with any of them (Kamailio's auth module takes the one
 * whose realm it asks for), so one that cannot be read alike is as
 * dangerous second as first.
 */
static enum sanity_fail
check_creds(const struct sip_msg *m, struct sip_cred_user *cu)
{
	struct sip_str all[SIP_MAX_HEADERS];
	unsigned n;

	/* cu: the first credentials, as the user key takes them */
	if (m->authorization.s != NULL && !creds_ok(m->authorization, cu))
		return SANITY_CREDENTIALS;
	if (m->proxy_authorization.s != NULL &&
	    !creds_ok(m->proxy_authorization, m->authorization.s ? NULL : cu))
		return SANITY_CREDENTIALS;
	if (m->n_authorization < 2 && m->n_proxy_authorization < 2)
		return SANITY_OK;
	n = sip_header_each(m, "authorization", 0, all, SIP_MAX_HEADERS);
	n += sip_header_each(m, "proxy-authorization", 0, all + n, SIP_MAX_HEADERS - n);
	for (unsigned i = 0; i < n; i++)
		if (!creds_ok(all[i], NULL))
			return SANITY_CREDENTIALS;
	return SANITY_OK;
}

/* ---- the check ---- */

/* Required (RFC 3261 8.1.1) and singleton (RFC 3261 7.3.1: no
 * comma-separated list, so never repeated) headers. */
static enum sanity_fail
check_headers(const struct sip_msg *m)
{
	if (!present(m->via))
		return SANITY_NO_VIA;
	if (!present(m->from))
		return SANITY_NO_FROM;
	if (!present(m->to))
		return SANITY_NO_TO;
	if (!present(m->call_id))
		return SANITY_NO_CALL_ID;
	if (!present(m->cseq))
		return SANITY_NO_CSEQ;
	if (m->n_from > 1)
		return SANITY_DUP_FROM;
	if (m->n_to > 1)
		return SANITY_DUP_TO;
	if (m->n_call_id > 1)
		return SANITY_DUP_CALL_ID;
	if (m->n_cseq > 1)
		return SANITY_DUP_CSEQ;
	if (m->n_content_length > 1)
		return SANITY_DUP_CONTENT_LENGTH;
	return SANITY_OK;
}

enum sanity_fail
sanity_check(const struct sip_msg *m, const struct config *cfg)
{
	return sanity_check_read(m, cfg, NULL);
}

enum sanity_fail
sanity_check_read(const struct sip_msg *m, const struct config *cfg, struct sip_read *rd)
{
	enum sanity_fail f;

	if (rd) {
		rd->cred.set = false;
		rd->from.set = rd->to.set = rd->ruri.set = false;
	}

	/* sip_scan() accepts any SIP/x.y; only 2.0 is spoken. "SIP" is
	 * case-insensitive (RFC 3261 7.1), the digits are not. */
	if (m->version.len != 7 || !ascii_case_eq(m->version.s, "SIP/2.0", 7))
		return SANITY_SIP_VERSION;
	f = check_headers(m);
	if (f != SANITY_OK)
		return f;
	if (!m->cseq_ok)
		return SANITY_CSEQ_VALUE;
	/* Byte for byte, as Kamailio compares it: methods are case-sensitive,
	 * and two unknown methods are only equal when spelled alike. ACK and
	 * CANCEL carry their own method in CSeq (RFC 3261 17.1.1.3, 9.1). */
	if (m->is_request && (m->cseq_method_name.len != m->method_name.len ||
	    memcmp(m->cseq_method_name.s, m->method_name.s,
	    m->method_name.len) != 0))
		return SANITY_CSEQ_METHOD;
	/* A missing Content-Length is fine on UDP (RFC 3261 18.3). On TCP it
	 * is mandatory, but there it is the stream framer's business: without
	 * it no message boundary can be found, long before we are called. */
	if (m->n_content_length > 0) {
		if (!m->content_length_ok)
			return SANITY_CL_VALUE;
		if (m->content_length_val != m->body.len)
			return SANITY_CL_MISMATCH;
	}
	if (m->expires.s != NULL && !uint_ok(m->expires, UINT32_MAX))
		return SANITY_EXPIRES;
	if (m->max_forwards.s != NULL && !uint_ok(m->max_forwards, 255))
		return SANITY_MAX_FORWARDS;

	if (m->is_request) {
		f = check_ruri(m->ruri, rd ? &rd->ruri : NULL);
		if (f != SANITY_OK)
			return f;
	}
	/* Replies carry the From and To of their request; a reply whose
	 * URIs do not parse did not come from a sane peer either. */
	f = check_naddr(m->from, SANITY_FROM_SCHEME, SANITY_FROM_PARSE, rd ? &rd->from : NULL);
	if (f != SANITY_OK)
		return f;
	f = check_naddr(m->to, SANITY_TO_SCHEME, SANITY_TO_PARSE, rd ? &rd->to : NULL);
	if (f != SANITY_OK)
		return f;
	if (m->is_request) {
		f = check_creds(m, rd ? &rd->cred : NULL);
		if (f != SANITY_OK)
			return f;
	}

	/* secfilter guards a request's way into SQL; replies are not stored. */
	if (cfg != NULL && cfg->reject_sqli_chars && m->is_request)
		return sanity_check_sqli(m);
	return SANITY_OK;
}
