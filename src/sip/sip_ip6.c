/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sip_ip6 - IPv6 address text, read and written by hand. See sip_ip6.h for
 * why; the rules below are glibc's, which sip_extract has always used, so
 * that a domain key stays the same string it was.
 */

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "hexdig.h"
#include "sip_ip6.h"

/* A dotted quad filling all of [p, e): four decimal octets <= 255, no
 * leading zero ("01" is refused, as glibc refuses it). */
static bool
quad(const char *p, const char *e, uint8_t out[4])
{
	unsigned octets = 0, val = 0;
	bool digit = false;

	for (; p < e; p++) {
		if (*p >= '0' && *p <= '9') {
			if (digit && val == 0)
				return false;
			val = val * 10 + (unsigned)(*p - '0');
			if (val > 255)
				return false;
			if (!digit && ++octets > 4)
				return false;
			digit = true;
		} else if (*p == '.' && digit) {
			if (octets == 4)
				return false;
			out[octets - 1] = (uint8_t)val;
			val = 0;
			digit = false;
		} else {
			return false;
		}
	}
	if (octets < 4 || !digit)
		return false;
	out[3] = (uint8_t)val;
	return true;
}

int
sip_ip6_parse(const char *s, size_t n, uint8_t out[16])
{
	const char *p = s, *e = s + n, *tok;
	size_t o = 0, gap = SIZE_MAX;
	unsigned val = 0, ndig = 0;

	memset(out, 0, 16);
	if (p == e)
		return -EINVAL;
	/* a leading ':' only as the start of "::" */
	if (*p == ':' && (++p == e || *p != ':'))
		return -EINVAL;
	tok = p;
	while (p < e) {
		char c = *p++;
		int d = hex_digit_value(c);

		if (d >= 0) {
			if (ndig == 4)
				return -EINVAL;
			val = val << 4 | (unsigned)d;
			ndig++;
			continue;
		}
		if (c == ':') {
			tok = p;
			if (ndig == 0) {
				if (gap != SIZE_MAX)
					return -EINVAL;
				gap = o;
				continue;
			}
			if (p == e || o + 2 > 16)
				return -EINVAL;
			out[o++] = (uint8_t)(val >> 8);
			out[o++] = (uint8_t)val;
			val = 0;
			ndig = 0;
			continue;
		}
		/* the last 32 bits as a dotted quad, when they fit */
		if (c == '.' && o + 4 <= 16 && quad(tok, e, out + o)) {
			o += 4;
			ndig = 0;
			break;
		}
		return -EINVAL;
	}
	if (ndig > 0) {
		if (o + 2 > 16)
			return -EINVAL;
		out[o++] = (uint8_t)(val >> 8);
		out[o++] = (uint8_t)val;
	}
	if (gap != SIZE_MAX) {
		/* "::" stands for at least one group of zeros */
		if (o == 16)
			return -EINVAL;
		memmove(out + gap + (16 - o), out + gap, o - gap);
		memset(out + gap, 0, 16 - o);
		o = 16;
	}
	return o == 16 ? 0 : -EINVAL;
}

static char *
put_hex(char *o, unsigned w)
{
	static const char xd[] = "0123456789abcdef";
	bool any = false;

	for (int sh = 12; sh >= 0; sh -= 4) {
		unsigned d = (w >> sh) & 0xf;

		if (d != 0 || any || sh == 0) {
			*o++ = xd[d];
			any = true;
		}
	}
	return o;
}

static char *
put_dec(char *o, unsigned v)
{
	if (v >= 100)
		*o++ = (char)('0' + v / 100);
	if (v >= 10)
		*o++ = (char)('0' + v / 10 % 10);
	*o++ = (char)('0' + v % 10);
	return o;
}

size_t
sip_ip6_format(const uint8_t a[16], char *out)
{
	unsigned w[8];
	int best = -1, blen = 0, cur = -1, clen = 0;
	char *o = out;

	for (int i = 0; i < 8; i++)
		w[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
	/* the first longest run of two or more zero groups becomes "::" */
	for (int i = 0; i < 8; i++) {
		if (w[i] == 0) {
			if (cur < 0) {
				cur = i;
				clen = 0;
			}
			if (++clen > blen) {
				best = cur;
				blen = clen;
			}
		} else {
			cur = -1;
		}
	}
	if (blen < 2)
		best = -1;
	for (int i = 0; i < 8; i++) {
		if (best >= 0 && i >= best && i < best + blen) {
			if (i == best)
				*o++ = ':';
			continue;
		}
		if (i != 0)
			*o++ = ':';
		/* IPv4-compatible and IPv4-mapped: the tail as a dotted quad */
		if (i == 6 && best == 0 && (blen == 6 || (blen == 5 && w[5] == 0xffff))) {
			for (int k = 12; k < 16; k++) {
				if (k != 12)
					*o++ = '.';
				o = put_dec(o, a[k]);
			}
			break;
		}
		o = put_hex(o, w[i]);
	}
	if (best >= 0 && best + blen == 8)
		*o++ = ':';
	*o = '\0';
	return (size_t)(o - out);
}
