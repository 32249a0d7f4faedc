/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_SIP_TEXT_H
#define SIPWARDEN_SIP_TEXT_H

/*
 * sip_text - scans over SIP text shared by its readers (the scanner, the
 * credentials parser): sixteen bytes at a time with SSE2 on amd64, the
 * plain loop elsewhere and for the last bytes. Both give the same answer
 * everywhere; they only differ in speed.
 */

#include <stdbool.h>
#include <stdint.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Linear whitespace inside a header value: SP, HT and the CR/LF of a
 * fold (RFC 3261 25.1), for every reader of values (sip.c, sanity,
 * sip_auth). */
static inline bool
sip_is_lws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Nonzero for the RFC 3261 token characters (method and header names,
 * auth-param names): one table for every reader of them (sip.c). */
extern const uint8_t sip_tok[256];

#ifdef __SSE2__
/* Bit i set when byte i of v is not a letter, digit or '-' (the token
 * characters nearly every header name is made of). */
static inline unsigned
sip_tok_miss16(__m128i v)
{
	const __m128i a = _mm_set1_epi8('a'), z = _mm_set1_epi8('z' - 'a');
	const __m128i zero = _mm_set1_epi8('0'), nine = _mm_set1_epi8(9);
	const __m128i dash = _mm_set1_epi8('-'), low = _mm_set1_epi8(0x20);
	/* x - base <= span, unsigned: min(x, span) == x */
	__m128i l = _mm_sub_epi8(_mm_or_si128(v, low), a);
	__m128i d = _mm_sub_epi8(v, zero);
	__m128i ok = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(l, z), l),
				  _mm_cmpeq_epi8(_mm_min_epu8(d, nine), d));

	return ~(unsigned)_mm_movemask_epi8(_mm_or_si128(ok, _mm_cmpeq_epi8(v, dash))) &
	       0xffffu;
}
#endif

/*
 * The end of the token starting at p: the first byte in [p, e) that is no
 * token character, or e. Header names are letters, digits and '-' nearly
 * always, so sixteen bytes at a time are tested for those (SSE2, every
 * amd64); a rarer token character ('.', '!', '%'...) found there is
 * checked in the table and the walk goes on past it. Elsewhere, and for
 * the last bytes of a line, the table alone.
 */
static inline const char *
sip_tok_end(const char *p, const char *e)
{
#ifdef __SSE2__
	while (e - p >= 16) {
		unsigned miss = sip_tok_miss16(_mm_loadu_si128((const __m128i *)(const void *)p));

		if (miss == 0) {
			p += 16;
			continue;
		}
		p += __builtin_ctz(miss);
		if (!sip_tok[(uint8_t)*p])
			return p;
		p++;
	}
#endif
	while (p < e && sip_tok[(uint8_t)*p])
		p++;
	return p;
}

/*
 * Whether [p, e) is all token characters, where the caller may read up to
 * lim (>= e): a name shorter than sixteen bytes (nearly every header
 * name) is then one masked vector test instead of a byte walk. Same
 * answer as sip_tok_end(p, e) == e.
 */
static inline int
sip_tok_all(const char *p, const char *e, const char *lim)
{
#ifdef __SSE2__
	if (e - p < 16 && lim - p >= 16) {
		unsigned miss = sip_tok_miss16(_mm_loadu_si128((const __m128i *)(const void *)p));

		if ((miss & ((1u << (e - p)) - 1)) == 0)
			return 1;
	}
#else
	(void)lim;
#endif
	return sip_tok_end(p, e) == e;
}

/* The first c1 or c2 in [p, e), or e. */
static inline const char *
sip_find2(const char *p, const char *e, char c1, char c2)
{
#ifdef __SSE2__
	const __m128i a = _mm_set1_epi8(c1), b = _mm_set1_epi8(c2);

	for (; e - p >= 16; p += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		unsigned hit = (unsigned)_mm_movemask_epi8(
		    _mm_or_si128(_mm_cmpeq_epi8(v, a), _mm_cmpeq_epi8(v, b)));

		if (hit)
			return p + __builtin_ctz(hit);
	}
#endif
	while (p < e && *p != c1 && *p != c2)
		p++;
	return p;
}

/* The first of four bytes in [p, e), or e: for walks that act on a few
 * delimiters and skip everything between them. */
static inline const char *
sip_find4(const char *p, const char *e, char c1, char c2, char c3, char c4)
{
#ifdef __SSE2__
	const __m128i a = _mm_set1_epi8(c1), b = _mm_set1_epi8(c2);
	const __m128i c = _mm_set1_epi8(c3), d = _mm_set1_epi8(c4);

	for (; e - p >= 16; p += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		unsigned hit = (unsigned)_mm_movemask_epi8(
		    _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, a), _mm_cmpeq_epi8(v, b)),
				 _mm_or_si128(_mm_cmpeq_epi8(v, c), _mm_cmpeq_epi8(v, d))));

		if (hit)
			return p + __builtin_ctz(hit);
	}
#endif
	while (p < e && *p != c1 && *p != c2 && *p != c3 && *p != c4)
		p++;
	return p;
}

#endif
