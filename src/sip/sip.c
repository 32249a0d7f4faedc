/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sip - the per-packet scan of a SIP message.
 *
 * This runs for every SIP packet the kernel queues to us, so it makes one
 * forward pass over the start line and header block: a search for the next
 * control byte, sixteen bytes at a time (eight without SSE2), finds each
 * line end and proves the line free of binary at once; spans are recorded
 * into the caller's buffer. It allocates nothing and copies nothing. buf
 * is not NUL-terminated: every read is bounded by `end`.
 *
 * The scan is deliberately stricter than RFC 3261 readers such as Kamailio
 * where a lenient reading would let an attacker show us one message and the
 * SIP server another (a lone CR that some parsers take as a line end, a NUL
 * that a C-string parser stops at). Such messages are flaws, and policy
 * decides what to do with them.
 */

#include <errno.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "sip.h"

#define SIP_INT_MAX 0x7fffffffU	/* RFC 3261 caps CSeq and Content-Length at 2^31-1 */

/* RFC 3261 token: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" */
const uint8_t sip_tok[256] = {
	['!'] = 1, ['%'] = 1, ['\''] = 1, ['*'] = 1, ['+'] = 1, ['-'] = 1,
	['.'] = 1, ['_'] = 1, ['`'] = 1, ['~'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
	['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
	['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
	['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
	['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
	['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
	['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
	['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1,
};

#define M(name) { name, sizeof(name) - 1 }
static const struct {
	const char *s;
	uint8_t len;
} methods[SIP_METHOD__MAX] = {
	[SIP_METHOD_NONE] = M(""),
	[SIP_METHOD_INVITE] = M("INVITE"),
	[SIP_METHOD_ACK] = M("ACK"),
	[SIP_METHOD_BYE] = M("BYE"),
	[SIP_METHOD_CANCEL] = M("CANCEL"),
	[SIP_METHOD_REGISTER] = M("REGISTER"),
	[SIP_METHOD_OPTIONS] = M("OPTIONS"),
	[SIP_METHOD_SUBSCRIBE] = M("SUBSCRIBE"),
	[SIP_METHOD_NOTIFY] = M("NOTIFY"),
	[SIP_METHOD_PUBLISH] = M("PUBLISH"),
	[SIP_METHOD_INFO] = M("INFO"),
	[SIP_METHOD_PRACK] = M("PRACK"),
	[SIP_METHOD_UPDATE] = M("UPDATE"),
	[SIP_METHOD_MESSAGE] = M("MESSAGE"),
	[SIP_METHOD_REFER] = M("REFER"),
	[SIP_METHOD_OTHER] = M("OTHER"),
};
#undef M

static const char *const flaw_names[] = {
	[SIP_FLAW_NONE] = "none",
	[SIP_FLAW_EMPTY] = "empty",
	[SIP_FLAW_START_LINE] = "start-line",
	[SIP_FLAW_HEADER_SYNTAX] = "header-syntax",
	[SIP_FLAW_NO_END] = "no-end",
	[SIP_FLAW_BINARY] = "binary",
	[SIP_FLAW_TOO_MANY_HEADERS] = "too-many-headers",
};

const char *
sip_method_name(enum sip_method m)
{
	if ((unsigned)m >= SIP_METHOD__MAX)
		return "?";
	return methods[m].s;
}

const char *
sip_flaw_name(enum sip_flaw f)
{
	if ((unsigned)f >= sizeof(flaw_names) / sizeof(flaw_names[0]))
		return "?";
	return flaw_names[f];
}

/*
 * Whether the n bytes at s equal lit, for 2 <= n <= 16: two loads of each
 * side that overlap in the middle, in place of a memcmp() call (a library
 * call per compare was half of method_of_token(), which runs twice for
 * every request).
 */
static inline int
token_eq(const char *s, const char *lit, size_t n)
{
	/* memcmp() of a constant size, tested for equality, compiles to
	 * loads and a compare */
	if (n >= 8)
		return memcmp(s, lit, 8) == 0 && memcmp(s + n - 8, lit + n - 8, 8) == 0;
	if (n >= 4)
		return memcmp(s, lit, 4) == 0 && memcmp(s + n - 4, lit + n - 4, 4) == 0;
	return memcmp(s, lit, 2) == 0 && memcmp(s + n - 2, lit + n - 2, 2) == 0;
}

/*
 * The method a token [s, s+len) names: what sip_method_from_str() answers
 * once the bytes are known to be a token (sip_scan() has just read them
 * as one, twice per message). By length, so that a REGISTER is one
 * compare and not the fifth. test_sip holds every method's name to it.
 */
static enum sip_method
method_of_token(const char *s, size_t len)
{
	static const uint8_t by_len[][4] = {
		[3] = { SIP_METHOD_ACK, SIP_METHOD_BYE },
		[4] = { SIP_METHOD_INFO },
		[5] = { SIP_METHOD_PRACK, SIP_METHOD_REFER },
		[6] = { SIP_METHOD_INVITE, SIP_METHOD_CANCEL, SIP_METHOD_NOTIFY, SIP_METHOD_UPDATE },
		[7] = { SIP_METHOD_OPTIONS, SIP_METHOD_PUBLISH, SIP_METHOD_MESSAGE },
		[8] = { SIP_METHOD_REGISTER },
		[9] = { SIP_METHOD_SUBSCRIBE },
	};

	if (len >= sizeof(by_len) / sizeof(by_len[0]))
		return SIP_METHOD_OTHER;
	for (unsigned i = 0; i < 4 && by_len[len][i]; i++) {
		uint8_t m = by_len[len][i];

		if (token_eq(s, methods[m].s, len))
			return (enum sip_method)m;
	}
	return SIP_METHOD_OTHER;
}

/*
 * Methods are case-sensitive (RFC 3261 7.1): "invite" is an unknown
 * method, and Kamailio treats it as such too. Returns SIP_METHOD_NONE for
 * an empty or non-token string, SIP_METHOD_OTHER for a token we do not know.
 */
enum sip_method
sip_method_from_str(const char *s, size_t len)
{
	size_t i;

	if (s == NULL || len == 0)
		return SIP_METHOD_NONE;
	for (i = 0; i < len; i++)
		if (!sip_tok[(uint8_t)s[i]])
			return SIP_METHOD_NONE;
	return method_of_token(s, len);
}

static inline int
is_ws(char c)
{
	return c == ' ' || c == '\t';
}

static inline int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Compare a header name with a lower-case literal of the same length.
 * OR-ing 0x20 folds A-Z onto a-z; no other byte a header line can hold
 * folds onto a letter or '-' (CR does onto '-', and a line has none), so
 * a match also proves the name all token bytes: sip_scan() relies on
 * that to skip the token walk for the names it knows. Names of 4 bytes or
 * more are compared a word at a time (the last word overlapping), since
 * this runs for every header line.
 */
static inline int
name_eq(const char *p, const char *lit, size_t n)
{
	uint64_t a, b, c, d;
	uint32_t w, x, y, z;
	size_t i;

	if (n >= 8) {
		for (i = 0; i + 8 < n; i += 8) {
			memcpy(&a, p + i, 8);
			memcpy(&c, lit + i, 8);
			if ((a | 0x2020202020202020ULL) != c)
				return 0;
		}
		memcpy(&b, p + n - 8, 8);
		memcpy(&d, lit + n - 8, 8);
		return (b | 0x2020202020202020ULL) == d;
	}
	if (n >= 4) {
		memcpy(&w, p, 4);
		memcpy(&x, p + n - 4, 4);
		memcpy(&y, lit, 4);
		memcpy(&z, lit + n - 4, 4);
		return ((w | 0x20202020U) == y) && ((x | 0x20202020U) == z);
	}
	for (i = 0; i < n; i++)
		if ((p[i] | 0x20) != lit[i])
			return 0;
	return 1;
}

/* A byte below 0x20 (HT, CR and LF included) or DEL. */
static inline int
ctl_byte(char ch)
{
	uint8_t c = (uint8_t)ch;

	return c < 0x20 || c == 0x7f;
}

/* Sixteen bytes as a vector (GCC/Clang extension: SSE2 on amd64, NEON on
 * arm64, plain words elsewhere). */
typedef uint8_t sip_v16 __attribute__((vector_size(16)));
typedef uint64_t sip_v2x64 __attribute__((vector_size(16)));

/* Byte order: a hit's index is the lowest set bit's byte on
 * little-endian targets; elsewhere the byte loop finds it. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SIP_HIT_EXACT 1
#define first_flagged(m) ((unsigned)__builtin_ctzll(m) / 8)
#else
#define SIP_HIT_EXACT 0
#define first_flagged(m) 0u
#endif

/*
 * The first control byte in [p, end), or end. Line ends are control bytes,
 * so one call both finds the end of a line and proves the line clean: the
 * whole header block is read once, sixteen bytes at a time, and the hit's
 * position comes from the compare's mask (a header line is short: a
 * byte-by-byte rescan of the last block cost as much as the search).
 */
static inline const char *
find_ctl(const char *p, const char *end)
{
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t high = 0x8080808080808080ULL;
	uint64_t x, y, m;

#ifdef __SSE2__
	/* The compare's byte mask in one move: the first hit's index is its
	 * lowest bit, without taking the vector apart in two words. */
	const __m128i c1f = _mm_set1_epi8(0x1f), del = _mm_set1_epi8(0x7f);

	for (; end - p >= 16; p += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		unsigned hit = (unsigned)_mm_movemask_epi8(_mm_or_si128(
		    _mm_cmpeq_epi8(_mm_min_epu8(v, c1f), v), _mm_cmpeq_epi8(v, del)));

		if (hit)
			return p + __builtin_ctz(hit);
	}
#else
	for (; end - p >= 16; p += 16) {
		sip_v16 v, hit;
		sip_v2x64 h;

		memcpy(&v, p, 16);	/* one unaligned load */
		hit = (sip_v16)((v < 0x20) | (v == 0x7f));
		memcpy(&h, &hit, 16);
		if (h[0] | h[1]) {
			if (SIP_HIT_EXACT)
				return p + (h[0] ? first_flagged(h[0]) : 8 + first_flagged(h[1]));
			break;
		}
	}
#endif
	for (; end - p >= 8; p += 8) {
		memcpy(&x, p, 8);	/* compiled to one unaligned load */
		y = x ^ (ones * 0x7f);
		/* Nonzero iff some byte is < 0x20 or == 0x7f. Later bytes may
		 * be flagged spuriously (borrows), never an earlier one, so
		 * the lowest flag is exact. */
		m = (((x - ones * 0x20) & ~x) | ((y - ones) & ~y)) & high;
		if (m) {
			if (SIP_HIT_EXACT)
				return p + first_flagged(m);
			break;
		}
	}
	for (; p < end; p++)
		if (ctl_byte(*p))
			return p;
	return end;
}

/*
 * Find the end of the line starting at p. On success *le is the end of the
 * line's content and *nl the LF. A control byte other than HT, and a CR not
 * followed by LF (a line end to some parsers, not to others), make the line
 * binary, with *le at that byte; running off the end makes it truncated.
 */
enum { LINE_OK, LINE_TRUNC, LINE_BINARY };

/* Inline: called for every line of every message, and its call cost
 * (saved registers, the vector constants loaded again) was a fifth of it. */
static inline __attribute__((always_inline)) int
next_line(const char *p, const char *end, const char **le, const char **nl)
{
	for (;;) {
		p = find_ctl(p, end);
		if (p == end)
			return LINE_TRUNC;
		if (*p == '\t') {
			p++;
			continue;
		}
		if (*p == '\n') {
			*le = *nl = p;
			return LINE_OK;
		}
		if (*p == '\r' && end - p >= 2 && p[1] == '\n') {
			*le = p;
			*nl = p + 1;
			return LINE_OK;
		}
		if (*p == '\r' && end - p == 1)
			return LINE_TRUNC;
		*le = p;
		return LINE_BINARY;
	}
}

/* "SIP/" 1*DIGIT "." 1*DIGIT, "SIP" in any case. */
static int
version_ok(const char *p, size_t n)
{
	size_t i = 4, d;

	if (n < 7 || (p[0] | 0x20) != 's' || (p[1] | 0x20) != 'i' ||
	    (p[2] | 0x20) != 'p' || p[3] != '/')
		return 0;
	for (d = i; i < n && is_digit(p[i]); i++)
		;
	if (i == d || i >= n || p[i] != '.')
		return 0;
	for (d = ++i; i < n && is_digit(p[i]); i++)
		;
	return i > d && i == n;
}

static void
set_str(struct sip_str *s, const char *p, const char *e)
{
	s->s = p;
	s->len = (uint32_t)(e - p);
}

/* Parse the start line [p, e) (line end excluded). */
static int
parse_start_line(const char *p, const char *e, struct sip_msg *m)
{
	const char *q, *sp;
	size_t n = (size_t)(e - p);

	if (n >= 4 && (p[0] | 0x20) == 's' && (p[1] | 0x20) == 'i' &&
	    (p[2] | 0x20) == 'p' && p[3] == '/') {
		/* Status-Line: SIP-Version SP Status-Code SP Reason-Phrase */
		sp = memchr(p, ' ', n);
		if (sp == NULL || !version_ok(p, (size_t)(sp - p)))
			return -1;
		set_str(&m->version, p, sp);
		q = sp + 1;
		if (e - q < 3 || !is_digit(q[0]) || !is_digit(q[1]) ||
		    !is_digit(q[2]))
			return -1;
		m->status = (unsigned)(q[0] - '0') * 100 +
		    (unsigned)(q[1] - '0') * 10 + (unsigned)(q[2] - '0');
		if (m->status < 100 || m->status > 699)
			return -1;
		q += 3;
		/* Reason-Phrase may be empty, and some stacks drop its SP. */
		if (q != e && *q != ' ')
			return -1;
		m->is_request = false;
		m->method = SIP_METHOD_NONE;
		return 0;
	}

	/* Request-Line: Method SP Request-URI SP SIP-Version */
	q = sip_tok_end(p, e);
	if (q == p || q == e || *q != ' ')
		return -1;
	set_str(&m->method_name, p, q);
	p = ++q;
	q = sip_find2(q, e, ' ', '\t');
	if (q == p || q == e || *q != ' ')
		return -1;
	set_str(&m->ruri, p, q);
	p = q + 1;
	if (!version_ok(p, (size_t)(e - p)))
		return -1;
	set_str(&m->version, p, e);
	m->is_request = true;
	m->method = method_of_token(m->method_name.s, m->method_name.len);
	return 0;
}

/*
 * Map a header name to the slot that records it. Dispatch on length and
 * first letter so that most names cost one compare; names we do not track
 * (and the ignored compact forms k s c e) return NULL.
 */
static struct sip_str *
header_slot(struct sip_msg *m, const char *p, size_t n, uint8_t **cnt)
{
	char c = (char)(p[0] | 0x20);

	*cnt = NULL;
	switch (n) {
	case 1:
		switch (c) {
		case 'f': *cnt = &m->n_from; return &m->from;
		case 't': *cnt = &m->n_to; return &m->to;
		case 'i': *cnt = &m->n_call_id; return &m->call_id;
		case 'v': *cnt = &m->n_via; return &m->via;
		case 'm': *cnt = &m->n_contact; return &m->contact;
		case 'l': *cnt = &m->n_content_length; return &m->content_length;
		}
		break;
	case 2:
		if (name_eq(p, "to", 2)) { *cnt = &m->n_to; return &m->to; }
		break;
	case 3:
		if (name_eq(p, "via", 3)) { *cnt = &m->n_via; return &m->via; }
		break;
	case 4:
		if (c == 'f' && name_eq(p, "from", 4)) {
			*cnt = &m->n_from;
			return &m->from;
		}
		if (c == 'c' && name_eq(p, "cseq", 4)) {
			*cnt = &m->n_cseq;
			return &m->cseq;
		}
		break;
	case 7:
		if (c == 'c' && name_eq(p, "call-id", 7)) {
			*cnt = &m->n_call_id;
			return &m->call_id;
		}
		if (c == 'c' && name_eq(p, "contact", 7)) {
			*cnt = &m->n_contact;
			return &m->contact;
		}
		if (c == 'e' && name_eq(p, "expires", 7)) {
			*cnt = &m->n_expires;
			return &m->expires;
		}
		break;
	case 10:
		if (c == 'u' && name_eq(p, "user-agent", 10)) {
			*cnt = &m->n_user_agent;
			return &m->user_agent;
		}
		break;
	case 12:
		/* sip.h has no Max-Forwards count: slot without counter. */
		if (c == 'm' && name_eq(p, "max-forwards", 12))
			return &m->max_forwards;
		break;
	case 13:
		if (c == 'a' && name_eq(p, "authorization", 13)) {
			*cnt = &m->n_authorization;
			return &m->authorization;
		}
		break;
	case 14:
		if (c == 'c' && name_eq(p, "content-length", 14)) {
			*cnt = &m->n_content_length;
			return &m->content_length;
		}
		break;
	case 19:
		if (c == 'p' && name_eq(p, "proxy-authorization", 19)) {
			*cnt = &m->n_proxy_authorization;
			return &m->proxy_authorization;
		}
		break;
	}
	return NULL;
}

/*
 * Decimal digits [p, e) -> *v. Fails on no digits or a value above 2^31-1;
 * stops accumulating once over the cap so a long run cannot overflow.
 */
static const char *
parse_uint31(const char *p, const char *e, uint32_t *v)
{
	const char *d = p;
	uint64_t n = 0;

	for (; p < e && is_digit(*p); p++) {
		if (n <= SIP_INT_MAX)
			n = n * 10 + (uint64_t)(*p - '0');
	}
	if (p == d || n > SIP_INT_MAX)
		return NULL;
	*v = (uint32_t)n;
	return p;
}

/* CSeq = 1*DIGIT LWS Method; the span is already trimmed at both ends,
 * and the message may be read up to end. */
static void
parse_cseq(struct sip_msg *m, const char *end)
{
	const char *p = m->cseq.s, *e, *mp;

	if (p == NULL)
		return;
	e = p + m->cseq.len;
	p = parse_uint31(p, e, &m->cseq_num);
	if (p == NULL || p == e || !sip_is_lws(*p)) {
		m->cseq_num = 0;
		return;
	}
	while (p < e && sip_is_lws(*p))
		p++;
	mp = p;
	if (mp == e || !sip_tok_all(mp, e, end)) {
		m->cseq_num = 0;
		return;
	}
	set_str(&m->cseq_method_name, mp, e);
	m->cseq_method = method_of_token(mp, (size_t)(e - mp));
	m->cseq_ok = true;
}

static void
parse_content_length(struct sip_msg *m)
{
	const char *p = m->content_length.s, *e;
	uint32_t v;

	if (p == NULL)
		return;
	e = p + m->content_length.len;
	if (parse_uint31(p, e, &v) != e)
		return;
	m->content_length_val = v;
	m->content_length_ok = true;
}

/*
 * The control byte at x, in the header that starts at hs, is the second
 * half of a quoted-pair inside a quoted-string: legal (RFC 3261 25.1,
 * quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)), so the line is not
 * binary. RFC 4475 3.1.1.2 puts BEL, NUL and DEL into a display name that
 * way. Not in the headers whose text policy matches or keys on as a
 * string (User-Agent, credentials, Call-ID, CSeq): there a NUL would end
 * the C string that the blacklist or the user key is read from, and none
 * of them has a quoted-string a legitimate client puts control bytes in.
 * Runs only when a control byte was found, so the rescan costs nothing on
 * clean traffic.
 */
static int
quoted_ctl(const char *hs, const char *x)
{
	const char *q, *s;
	size_t n;
	int in_q = 0;

	if (hs == NULL || *x == '\r' || *x == '\n')
		return 0;
	for (q = hs; q < x && sip_tok[(uint8_t)*q]; q++)
		;
	n = (size_t)(q - hs);
	if ((n == 10 && name_eq(hs, "user-agent", 10)) ||
	    (n == 13 && name_eq(hs, "authorization", 13)) ||
	    (n == 19 && name_eq(hs, "proxy-authorization", 19)) ||
	    (n == 7 && name_eq(hs, "call-id", 7)) ||
	    (n == 1 && (*hs | 0x20) == 'i') ||
	    (n == 4 && name_eq(hs, "cseq", 4)))
		return 0;
	s = memchr(q, ':', (size_t)(x - q));
	if (s == NULL)
		return 0;
	for (s++; s < x; s++) {
		if (!in_q) {
			in_q = *s == '"';
			continue;
		}
		if (*s == '"') {
			in_q = 0;
		} else if (*s == '\\') {
			if (s + 1 == x)
				return 1;
			s++;
		}
	}
	return 0;
}

/*
 * The header line at p (of the header starting at hs; NULL before the
 * first) up to its end, as next_line(), but a control byte that
 * quoted_ctl() vouches for does not make it binary.
 */
static int
header_line(const char *p, const char *end, const char *hs, const char **le,
	    const char **nl)
{
	int r;

	while ((r = next_line(p, end, le, nl)) == LINE_BINARY &&
	    quoted_ctl(hs, *le))
		p = *le + 1;
	return r;
}

/*
 * The first ':' of the header line [p, le), or NULL; end bounds the
 * message. One compare covers a name of up to 15 bytes, which is nearly
 * every name.
 */
static inline const char *
find_colon(const char *p, const char *le, const char *end)
{
	size_t n = (size_t)(le - p);

#ifdef __SSE2__
	if (end - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		unsigned hit = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(':')));

		if (n < 16)
			hit &= (1u << n) - 1;
		if (hit)
			return p + __builtin_ctz(hit);
		return n > 16 ? memchr(p + 16, ':', n - 16) : NULL;
	}
#else
	(void)end;
#endif
	return memchr(p, ':', n);
}

static int
fail(enum sip_flaw *flaw, enum sip_flaw f)
{
	if (flaw != NULL)
		*flaw = f;
	return -EBADMSG;
}

int
sip_scan(const char *buf, size_t len, struct sip_msg *m, enum sip_flaw *flaw)
{
	const char *p = buf, *end, *nl, *le, *q, *vs, *hs = NULL;
	struct sip_str *cur = NULL;	/* span a fold line extends */
	struct sip_str *slot;
	uint8_t *cnt;
	unsigned nh = 0;
	int in_hdr = 0;

	if (m == NULL || (buf == NULL && len != 0))
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	if (flaw != NULL)
		*flaw = SIP_FLAW_NONE;
	/* Spans are 32-bit; nothing that large comes out of one IP packet
	 * or one reassembled stream message. */
	if (len > UINT32_MAX)
		return fail(flaw, SIP_FLAW_NO_END);
	if (len == 0)
		return fail(flaw, SIP_FLAW_EMPTY);	/* buf may be NULL */
	end = buf + len;

	/* RFC 5626 keep-alives: CRLFs before a start line are skipped. */
	while (p < end && (*p == '\r' || *p == '\n'))
		p++;
	for (q = p; q < end && sip_is_lws(*q); q++)
		;
	if (q == end)
		return fail(flaw, SIP_FLAW_EMPTY);

	/* Start line. */
	switch (next_line(p, end, &le, &nl)) {
	case LINE_TRUNC:
		return fail(flaw, SIP_FLAW_START_LINE);
	case LINE_BINARY:
		return fail(flaw, SIP_FLAW_BINARY);
	}
	if (parse_start_line(p, le, m) < 0)
		return fail(flaw, SIP_FLAW_START_LINE);
	p = nl + 1;

	/* Header lines, up to the empty line. */
	for (;;) {
		/* Ending right after a header's CRLF is still no end: UDP
		 * SIP requires the empty line (RFC 3261 18.3). */
		if (p == end)
			return fail(flaw, SIP_FLAW_NO_END);
		/* a fold line belongs to the header before it */
		if (!is_ws(*p))
			hs = p;
		switch (header_line(p, end, hs, &le, &nl)) {
		case LINE_TRUNC:
			return fail(flaw, SIP_FLAW_NO_END);
		case LINE_BINARY:
			return fail(flaw, SIP_FLAW_BINARY);
		}
		if (le == p)
			break;

		if (is_ws(*p)) {
			/* A fold continues the previous header's value. */
			if (!in_hdr)
				return fail(flaw, SIP_FLAW_HEADER_SYNTAX);
			if (cur == NULL)
				goto next;
			for (vs = p; vs < le && is_ws(*vs); vs++)
				;
			while (le > vs && is_ws(le[-1]))
				le--;
			if (vs == le)
				goto next;	/* whitespace-only fold */
			if (cur->len == 0)
				set_str(cur, vs, le);
			else
				set_str(cur, cur->s, le);
			goto next;
		}

		/* field-name *(SP / HT) ":", read back from the first ':'
		 * (a token holds none). A name header_slot() knows is all
		 * token bytes (see name_eq()); only the others are walked. */
		vs = find_colon(p, le, end);
		if (vs == NULL)
			return fail(flaw, SIP_FLAW_HEADER_SYNTAX);
		for (q = vs; q > p && is_ws(q[-1]); q--)
			;
		slot = header_slot(m, p, (size_t)(q - p), &cnt);
		if (q == p || (slot == NULL && !sip_tok_all(p, q, end)))
			return fail(flaw, SIP_FLAW_HEADER_SYNTAX);
		if (++nh > SIP_MAX_HEADERS)
			return fail(flaw, SIP_FLAW_TOO_MANY_HEADERS);
		in_hdr = 1;
		cur = NULL;
		if (cnt != NULL && *cnt < UINT8_MAX)
			(*cnt)++;
		if (slot == NULL || slot->s != NULL)
			goto next;	/* untracked, or not the first one */
		for (vs++; vs < le && is_ws(*vs); vs++)
			;
		while (le > vs && is_ws(le[-1]))
			le--;
		/* An empty value still marks the header present; a fold
		 * may fill it in. */
		set_str(slot, vs, le);
		cur = slot;
next:
		p = nl + 1;
	}

	p = nl + 1;
	m->header_len = (uint32_t)(p - buf);
	set_str(&m->body, p, end);
	parse_cseq(m, end);
	parse_content_length(m);
	/* Octets after the body that Content-Length announces are not part
	 * of the message: in a datagram they are discarded (RFC 3261 18.3,
	 * RFC 4475 3.1.1.8); a stream was already framed by Content-Length.
	 * A Content-Length larger than what arrived stays a mismatch for
	 * sanity_check(). */
	if (m->content_length_ok && m->n_content_length == 1 &&
	    m->content_length_val < m->body.len)
		m->body.len = m->content_length_val;
	return 0;
}
