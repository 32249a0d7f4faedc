/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "tcpframe.h"

#define is_wsp(ch) ((ch) == ' ' || (ch) == '\t')
#define is_dig(ch) ((ch) >= '0' && (ch) <= '9')
#define is_crlf(ch) ((ch) == '\r' || (ch) == '\n')

/* The header block ends at the first empty line, LF LF or LF CR LF, as in
 * sip_scan() and Kamailio's reader. Resumes at *scanned (updated when the
 * end is not there yet); *hend is the offset just past the empty line. */
bool
tcpframe_hdr_end(const uint8_t *p, uint32_t n, uint32_t *scanned, uint32_t *hend)
{
	for (uint32_t i = *scanned; i < n; i++) {
		const uint8_t *lf = memchr(p + i, '\n', n - i);

		if (!lf)
			break;
		i = (uint32_t)(lf - p);
		if (i + 1 >= n || (p[i + 1] == '\r' && i + 2 >= n)) {
			*scanned = i; /* the next bytes decide: resume at this LF */
			return false;
		}
		if (p[i + 1] == '\n' || (p[i + 1] == '\r' && p[i + 2] == '\n')) {
			*hend = i + (p[i + 1] == '\n' ? 2 : 3);
			return true;
		}
	}
	*scanned = n;
	return false;
}

/* Content-Length or "l" in the header lines of [0, hend): LWS 1*DIGIT LWS,
 * folds allowed; repeats must agree. Read wide and saturating, so that
 * "4294967328" stays 2^32+32 and leading zeros are harmless. */
enum tcpstream_flaw
tcpframe_clen(const uint8_t *p, uint32_t hend, uint64_t *out)
{
	const uint8_t *lf = memchr(p, '\n', hend);
	uint32_t ls = (uint32_t)(lf - p) + 1; /* the start line has a LF */
	bool found = false;

	while (ls < hend) {
		uint32_t le, ne, q, v;
		uint64_t val = 0;
		bool digits = false;

		lf = memchr(p + ls, '\n', hend - ls);
		le = (uint32_t)(lf - p);
		if (le == ls || (le == ls + 1 && p[ls] == '\r'))
			break; /* the empty line */
		/* The logical header runs on over folded lines. */
		ne = le + 1;
		while (ne < hend && is_wsp(p[ne])) {
			lf = memchr(p + ne, '\n', hend - ne);
			le = (uint32_t)(lf - p);
			ne = le + 1;
		}
		for (q = ls; q < le && p[q] != ':' && !is_wsp(p[q]); q++)
			;
		if (!(q - ls == 14 && !strncasecmp((const char *)p + ls, "content-length", 14)) &&
		    !(q - ls == 1 && (p[ls] | 0x20) == 'l'))
			goto next;
		while (q < le && is_wsp(p[q]))
			q++;
		if (q >= le || p[q] != ':')
			goto next; /* not a header line at all: sip_scan's business */
		for (v = q + 1; v < le && (is_wsp(p[v]) || is_crlf(p[v])); v++)
			;
		for (; v < le && is_dig(p[v]); v++) {
			digits = true;
			if (val > (UINT64_MAX - 9) / 10)
				val = UINT64_MAX; /* saturate: larger than any bound */
			else
				val = val * 10 + (uint64_t)(p[v] - '0');
		}
		while (v < le && (is_wsp(p[v]) || is_crlf(p[v])))
			v++;
		if (!digits || v != le || (found && val != *out))
			return TCPSTREAM_BAD_CLEN;
		*out = val;
		found = true;
next:
		ls = ne;
	}
	return found ? TCPSTREAM_OK : TCPSTREAM_NO_CLEN;
}

/* A complete Request-Line or Status-Line at p[0..n)? SIP/2.0 only: sanity
 * refuses other versions anyway. Used only to resynchronise. */
static bool
start_line_at(const uint8_t *p, uint32_t n)
{
	const uint8_t *lf = memchr(p, '\n', n);
	uint32_t e, i, u;

	if (!lf)
		return false;
	e = (uint32_t)(lf - p);
	if (e && p[e - 1] == '\r')
		e--;
	if (e >= 11 && !strncasecmp((const char *)p, "SIP/2.0 ", 8))
		return is_dig(p[8]) && is_dig(p[9]) && is_dig(p[10]) && (e == 11 || p[11] == ' ');
	if (e < 12 || strncasecmp((const char *)p + e - 8, " SIP/2.0", 8))
		return false;
	/* method SP Request-URI: a token, then no space and no control. */
	for (i = 0; i < e - 8 && (isalnum(p[i]) || (p[i] && strchr("-.!%*_+`'~", p[i]))); i++)
		;
	if (i == 0 || p[i] != ' ')
		return false;
	for (u = ++i; i < e - 8 && p[i] > ' ' && p[i] != 0x7f; i++)
		;
	return i > u && i == e - 8;
}

/* Offset of the first start line in p[0..n), n if none. Offset 0 only
 * counts when it begins a line of the stream. */
uint32_t
tcpframe_find_start(const uint8_t *p, uint32_t n, bool bol)
{
	const uint8_t *lf;
	uint32_t i = 0;

	if (bol && start_line_at(p, n))
		return 0;
	while ((lf = memchr(p + i, '\n', n - i)) && (i = (uint32_t)(lf - p) + 1) < n)
		if (start_line_at(p + i, n - i))
			return i;
	return n;
}
