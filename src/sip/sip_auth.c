/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sip_auth - the parameters of Digest credentials (Authorization and
 * Proxy-Authorization values), read by a parser of our own: libosip2 5.3
 * returns the wrong parameter's value for an unquoted username
 * (username=105, realm="x" -> "x").
 *
 * Every request with credentials is read here more than once (sanity
 * wants the username and the realm readable, policy keys on the
 * username), so one walk reads every parameter asked for; parameter
 * names are token characters, as sip.c's sip_tok[] reads them.
 */

#include <errno.h>
#include <string.h>

#include "asciicase.h"
#include "sip.h"

static const char *
skip_lws(const char *p, const char *e)
{
	while (p < e && sip_is_lws(*p))
		p++;
	return p;
}

/* The value [s, e) into out, resolving quoted-pairs when quoted. */
static int
copy_value(const char *s, const char *e, bool quoted, char *out, size_t olen)
{
	size_t o = 0;

	for (; s < e; s++) {
		if (quoted && *s == '\\' && s + 1 < e)
			s++;
		if (o + 1 >= olen) {
			out[0] = '\0';
			return -ENOSPC;
		}
		out[o++] = *s;
	}
	out[o] = '\0';
	return 0;
}

/*
 * credentials = auth-scheme LWS auth-param *(COMMA auth-param)
 * auth-param  = token LWS "=" LWS ( token / quoted-string )
 * An unquoted value runs to the next LWS or comma, as Kamailio reads it
 * (clients send username=105 unquoted; it must not be lost). No empty
 * list element: nothing before the first auth-param, between two commas
 * or after the last (Kamailio reads those differently).
 */
int
sip_extract_auth_params(struct sip_str v, struct sip_auth_param *ps, unsigned n)
{
	const char *p = v.s, *e, *nm, *ne, *vs, *ve;
	struct {
		const char *s, *e;
		bool quoted, twice;
	} found[SIP_AUTH_PARAMS_MAX] = { 0 };
	size_t nlen[SIP_AUTH_PARAMS_MAX];
	bool quoted;

	if (n > SIP_AUTH_PARAMS_MAX)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		if (ps[i].out == NULL || ps[i].olen == 0)
			return -ENOSPC;
		ps[i].out[0] = '\0';
		ps[i].ret = -EINVAL;
		nlen[i] = strlen(ps[i].name);
	}
	if (p == NULL || v.len == 0 || memchr(p, '\0', v.len) != NULL)
		return -EINVAL;
	e = p + v.len;
	p = skip_lws(p, e);
	if (e - p < 7 || !ascii_case_eq(p, "Digest", 6) || !sip_is_lws(p[6]))
		return -EINVAL;
	p = skip_lws(p + 6, e);
	while (p < e) {
		nm = p;
		p = sip_tok_end(p, e);
		if (p == nm)
			return -EINVAL;
		ne = p;
		p = skip_lws(p, e);
		if (p == e || *p != '=')
			return -EINVAL;
		p = skip_lws(p + 1, e);
		quoted = p < e && *p == '"';
		if (quoted) {
			/* The closing quote is the first one not escaped by a
			 * quoted-pair: one search finds either (nonces and
			 * responses are long, backslashes rare). */
			for (vs = ++p;;) {
				p = sip_find2(p, e, '"', '\\');
				if (p == e)
					return -EINVAL;	/* unterminated */
				if (*p == '"')
					break;
				if (e - p < 2)
					return -EINVAL;	/* a pair cut off: unterminated */
				p += 2;
			}
			ve = p++;
		} else {
			for (vs = p; p < e && !sip_is_lws(*p) && *p != ',' && *p != '"'; p++)
				;
			ve = p;
			if (vs == ve)
				return -EINVAL;
		}
		p = skip_lws(p, e);
		if (p < e) {
			/* A comma, then the next auth-param: Kamailio refuses
			 * a trailing comma (no username at all) and stops at
			 * an empty element (the realm after it is lost), so
			 * neither is read past here. */
			if (*p++ != ',')
				return -EINVAL;
			p = skip_lws(p, e);
			if (p == e || *p == ',')
				return -EINVAL;
		}
		for (unsigned i = 0; i < n; i++) {
			if ((size_t)(ne - nm) != nlen[i] || !ascii_case_eq(nm, ps[i].name, nlen[i]))
				continue;
			/* Named twice: Kamailio keeps the last, another
			 * reader the first. Ambiguous, so unreadable. */
			found[i].twice = found[i].s != NULL;
			found[i].s = vs;
			found[i].e = ve;
			found[i].quoted = quoted;
		}
	}
	for (unsigned i = 0; i < n; i++) {
		if (!found[i].s)
			ps[i].ret = -ENOENT;
		else if (found[i].twice)
			ps[i].ret = -EINVAL;
		else
			ps[i].ret = copy_value(found[i].s, found[i].e, found[i].quoted, ps[i].out,
					       ps[i].olen);
	}
	return 0;
}

int
sip_extract_auth_param(struct sip_str v, const char *name, char *user, size_t ulen)
{
	struct sip_auth_param p = { .name = name, .out = user, .olen = ulen };
	int ret = sip_extract_auth_params(v, &p, 1);

	return ret < 0 ? ret : p.ret;
}

int
sip_extract_auth_username(struct sip_str v, char *user, size_t ulen)
{
	int ret = sip_extract_auth_param(v, "username", user, ulen);

	/* no username: nothing a failure could be keyed on, as before */
	return ret == -ENOENT ? -EINVAL : ret;
}

bool
sip_creds_conflict(const struct sip_msg *m)
{
	struct sip_str all[SIP_MAX_HEADERS];
	/* A username too long for the failure tables' keys is unreadable
	 * for them too. */
	char first[SIP_AUTH_USER_MAX], u[SIP_AUTH_USER_MAX];
	unsigned n;

	if ((unsigned)m->n_authorization + m->n_proxy_authorization < 2)
		return false;
	n = sip_header_each(m, "authorization", 0, all, SIP_MAX_HEADERS);
	n += sip_header_each(m, "proxy-authorization", 0, all + n, SIP_MAX_HEADERS - n);
	for (unsigned i = 0; i < n; i++) {
		if (sip_extract_auth_username(all[i], i ? u : first, sizeof(first)) < 0)
			return true;
		if (i && strcmp(u, first) != 0)
			return true;
	}
	return false;
}
