/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sip_each - every occurrence of one header, not only the first.
 *
 * sip_scan() records the first value of each header and counts the rest.
 * A rule that judges a header the server may read from any occurrence
 * (User-Agent: Kamailio's $ua reads the first, another server or a log
 * scraper the last) must see them all; this walk runs only when a count
 * says there is more than one. sip_scan() has validated the block's
 * syntax, so it needs no error handling beyond bounds.
 */
#include <string.h>

#include "asciicase.h"
#include "sip.h"

static int
ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

unsigned
sip_header_each(const struct sip_msg *m, const char *name, char compact,
		struct sip_str *out, unsigned max)
{
	const char *p, *end, *ne, *vs, *ve, *nl;
	size_t nlen = strlen(name);
	unsigned n = 0;

	if (m->body.s == NULL || m->header_len == 0)
		return 0;
	end = m->body.s;
	p = end - m->header_len;
	/* keep-alive CRLFs, then the start line */
	while (p < end && (*p == '\r' || *p == '\n'))
		p++;
	nl = memchr(p, '\n', (size_t)(end - p));
	if (nl == NULL)
		return 0;
	p = nl + 1;
	while (p < end && *p != '\r' && *p != '\n' && n < max) {
		const char *name_s = p;

		for (ne = p; ne < end && *ne != ':' && *ne != ' ' && *ne != '\t'; ne++)
			;
		vs = memchr(ne, ':', (size_t)(end - ne));
		if (vs == NULL)
			break;
		vs++;
		/* the value runs on through fold lines */
		for (ve = vs;; ve = nl + 1) {
			nl = memchr(ve, '\n', (size_t)(end - ve));
			if (nl == NULL || nl + 1 == end || (nl[1] != ' ' && nl[1] != '\t'))
				break;
		}
		ve = nl != NULL ? nl : end;
		p = nl != NULL ? nl + 1 : end;
		if (!(((size_t)(ne - name_s) == nlen && ascii_case_eq(name_s, name, nlen)) ||
		      (compact && ne - name_s == 1 && (*name_s | 0x20) == (compact | 0x20))))
			continue;
		while (vs < ve && ws(*vs))
			vs++;
		while (ve > vs && ws(ve[-1]))
			ve--;
		out[n].s = vs;
		out[n].len = (uint32_t)(ve - vs);
		n++;
	}
	return n;
}
