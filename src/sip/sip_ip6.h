/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sip_ip6 - IPv6 address text without libc's inet_pton()/inet_ntop().
 *
 * Hosts in URIs are canonicalised on every packet that carries one; glibc's
 * inet_ntop() formats through sprintf(), which showed in the profile of an
 * IPv6 flood. These two read and write exactly what glibc's do (the unit
 * test holds them to it), with no allocation and no stdio.
 */
#ifndef SIPWARDEN_SIP_IP6_H
#define SIPWARDEN_SIP_IP6_H

#include <stddef.h>
#include <stdint.h>

/* Longest text sip_ip6_format() writes, NUL included (INET6_ADDRSTRLEN). */
#define SIP_IP6_TEXT_MAX 46

/*
 * Read the n bytes at s as inet_pton(AF_INET6) reads a string: 8 groups of
 * 1-4 hex digits, at most one "::", optionally a dotted-quad tail; nothing
 * else (no brackets, no zone). Returns 0 and fills out, or -EINVAL.
 */
int sip_ip6_parse(const char *s, size_t n, uint8_t out[16]);

/* Write a as inet_ntop(AF_INET6) writes it (out has SIP_IP6_TEXT_MAX
 * bytes); returns the length written, NUL excluded. */
size_t sip_ip6_format(const uint8_t a[16], char *out);

#endif
