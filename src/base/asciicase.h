/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_ASCIICASE_H
#define SIPWARDEN_ASCIICASE_H

#include <stdbool.h>
#include <stddef.h>

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
	for (size_t i = 0; i < n; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)lit[i];

		if (x == y)
			continue;
		x |= 0x20;
		if (x != (y | 0x20) || x < 'a' || x > 'z')
			return false;
	}
	return true;
}

#endif
