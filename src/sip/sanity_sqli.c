/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sanity_sqli - reject_sqli_chars, Kamailio secfilter's SQL-injection
 * check, on a request's User-Agent, From, To and every Contact (see
 * sanity.h). Runs only when configured, after every other sanity check
 * has passed, so it is off the default per-message path.
 */

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "sanity_internal.h"

/*
 * Kamailio secfilter's w_check_sqli(): ' " -- %27 %22 %60 anywhere in the
 * string. One exception, for URIs only: "--" right after an "xn" label
 * start is an IDNA (punycode) host such as xn--bcher-kva.example, which
 * secfilter would reject although it cannot end an SQL string literal.
 */
static bool
sqli_found(const char *s, const char *e, bool uri)
{
	const char *p;

	for (p = s; p < e; p++) {
		switch (*p) {
		case '\'':
		case '"':
			return true;
		case '-':
			if (p + 1 == e || p[1] != '-')
				break;
			if (uri && p - s >= 2 && (p[-2] | 0x20) == 'x' &&
			    (p[-1] | 0x20) == 'n' && (p - s == 2 ||
			    p[-3] == '.' || p[-3] == '@' || p[-3] == ':')) {
				p++;	/* the second dash starts no pair */
				break;
			}
			return true;
		case '%':
			if (e - p >= 3 && ((p[1] == '2' && (p[2] == '7' ||
			    p[2] == '2')) || (p[1] == '6' && p[2] == '0')))
				return true;
			break;
		}
	}
	return false;
}

/*
 * secf_get_from()/secf_get_to() hand w_check_sqli() the display name with
 * its enclosing quotes stripped, and the URI's user and host. So a quoted
 * display name ("Alice") passes while one with a quote inside ("O\"Neil",
 * "O'Neil") does not - secfilter's behaviour, kept. We check the whole URI
 * rather than just user and host (password, port and URI parameters cannot
 * legally hold a quote either), and the header parameters after it not at
 * all, as secfilter. An entry we cannot split is checked whole.
 */
static bool
sqli_naddr(const char *p, const char *e, bool list, bool display)
{
	struct naddr na;

	if (!sanity_split_naddr(p, e, list, &na))
		return sqli_found(p, e, false);
	if (display && sqli_found(na.disp, na.disp_end, false))
		return true;
	return sqli_found(na.uri, na.uri_end, true);
}

/*
 * secf_get_contact() checks the first contact's user and host; we check
 * the URI of every contact in the value, since a registrar stores them
 * all. Entries end at a comma outside quotes and angle brackets; "*" has
 * no URI.
 */
static bool
sqli_contact(const char *p, const char *e)
{
	const char *s, *q;
	bool angle;

	while (p < e) {
		while (p < e && (sip_is_lws(*p) || *p == ','))
			p++;
		if (p == e || (*p == '*' && (p + 1 == e || sip_is_lws(p[1]))))
			return false;
		for (s = p, angle = false; p < e && (angle || *p != ','); p++) {
			if (*p == '"') {
				q = sanity_skip_quoted(p, e);
				if (q == NULL)
					return sqli_found(s, e, false);
				p = q - 1;
			} else if (*p == '<') {
				angle = true;
			} else if (*p == '>') {
				angle = false;
			}
		}
		if (sqli_naddr(s, p, true, false))
			return true;
	}
	return false;
}

/*
 * sip_msg records only the first Contact and User-Agent. When there are
 * more, walk the header block again for them: a second Contact reaches a
 * registrar's database as surely as the first. The block starts header_len
 * bytes before the body (sip.h) and sip_scan() has validated its syntax,
 * so this walk needs no error handling beyond bounds.
 */
static enum sanity_fail
sqli_repeated(const struct sip_msg *m)
{
	const char *p = m->body.s - m->header_len, *end = m->body.s;
	const char *name, *ne, *vs, *ve, *nl;
	bool contact, ua;

	/* keep-alive CRLFs, then the start line */
	while (p < end && (*p == '\r' || *p == '\n'))
		p++;
	nl = memchr(p, '\n', (size_t)(end - p));
	if (nl == NULL)
		return SANITY_OK;
	p = nl + 1;
	while (p < end && *p != '\r' && *p != '\n') {
		name = p;
		for (ne = p; ne < end && *ne != ':' && *ne != ' ' &&
		    *ne != '\t'; ne++)
			;
		vs = memchr(ne, ':', (size_t)(end - ne));
		if (vs == NULL)
			return SANITY_OK;
		vs++;
		/* the value runs on through fold lines */
		for (ve = vs;; ve = nl + 1) {
			nl = memchr(ve, '\n', (size_t)(end - ve));
			if (nl == NULL || nl + 1 == end ||
			    (nl[1] != ' ' && nl[1] != '\t'))
				break;
		}
		ve = nl != NULL ? nl : end;
		p = nl != NULL ? nl + 1 : end;
		contact = (ne - name == 1 && (*name | 0x20) == 'm') ||
		    (ne - name == 7 && strncasecmp(name, "contact", 7) == 0);
		ua = ne - name == 10 && strncasecmp(name, "user-agent", 10) == 0;
		if (contact && sqli_contact(vs, ve))
			return SANITY_SQLI_CONTACT;
		if (ua && sqli_found(vs, ve, false))
			return SANITY_SQLI_UA;
	}
	return SANITY_OK;
}

enum sanity_fail
sanity_check_sqli(const struct sip_msg *m)
{
	if (present(m->user_agent) && sqli_found(m->user_agent.s,
	    m->user_agent.s + m->user_agent.len, false))
		return SANITY_SQLI_UA;
	if (sqli_naddr(m->from.s, m->from.s + m->from.len, false, true))
		return SANITY_SQLI_FROM;
	if (sqli_naddr(m->to.s, m->to.s + m->to.len, false, true))
		return SANITY_SQLI_TO;
	if (present(m->contact) && sqli_contact(m->contact.s,
	    m->contact.s + m->contact.len))
		return SANITY_SQLI_CONTACT;
	if (m->n_contact > 1 || m->n_user_agent > 1)
		return sqli_repeated(m);
	return SANITY_OK;
}
