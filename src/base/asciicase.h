/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_ASCIICASE_H
#define SIPWARDEN_ASCIICASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * Whether n bytes at a equal lit ignoring ASCII case: what strncasecmp()
 * answers in the C locale (sipwarden never sets another), for a lit with
 * no NUL in its first n bytes. SIP's case-insensitive tokens (scheme
 * names, "Digest", auth-param names, "tag=", "SIP/2.0") are ASCII, and
 * the libc call cost forty-odd instructions a compare on the verdict
 * path, several times per message.
 */
static inline bool
ascii_case_eq(const char *a, const char *lit, size_t n)
{
	uint64_t x, y;
	uint32_t u, v, w, z;
	size_t i;

	/* Nearly every peer spells these tokens as the RFC does: bytes equal
	 * as they stand are equal ignoring case, so whole words are compared
	 * first (the last one overlapping) and only a difference is looked
	 * at byte by byte. */
	if (n >= 8) {
		for (i = 0; i + 8 < n; i += 8) {
			memcpy(&x, a + i, 8);
			memcpy(&y, lit + i, 8);
			if (x != y)
				goto bytes;
		}
		memcpy(&x, a + n - 8, 8);
		memcpy(&y, lit + n - 8, 8);
		if (x == y)
			return true;
	} else if (n >= 4) {
		memcpy(&u, a, 4);
		memcpy(&v, lit, 4);
		memcpy(&w, a + n - 4, 4);
		memcpy(&z, lit + n - 4, 4);
		if (u == v && w == z)
			return true;
	}
bytes:
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)a[i], l = (unsigned char)lit[i];

		if (c == l)
			continue;
		c |= 0x20;
		if (c != (l | 0x20) || c < 'a' || c > 'z')
			return false;
	}
	return true;
}

#endif
