/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_HEXDIG_H
#define SIPWARDEN_HEXDIG_H

/*
 * The value of one hexadecimal digit, either case, or -1. Shared by the
 * readers of %XX escapes (state file, SIP URIs), IPv6 text and the
 * cluster's signatures, which had a copy each.
 */
static inline int
hex_digit_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
