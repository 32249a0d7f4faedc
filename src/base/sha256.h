/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_SHA256_H
#define SIPWARDEN_SHA256_H

/*
 * sha256 - SHA-256 (FIPS 180-4) and HMAC-SHA-256 (RFC 2104), for signing the
 * cluster's messages. Written here because nothing linked offers it: the
 * daemon links neither libcrypto (hiredis_ssl is optional) nor a public
 * libsystemd HMAC. Checked against the FIPS 180-4 examples and RFC 4231's
 * HMAC test cases (tests/unit/test_sha256.c). Not for secrets at rest.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32
#define SHA256_BLOCK 64

struct sha256 {
	uint32_t h[8];
	uint64_t bytes;
	uint8_t buf[SHA256_BLOCK];
	size_t n;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t out[SHA256_LEN]);
void sha256(const void *data, size_t len, uint8_t out[SHA256_LEN]);

/* HMAC-SHA-256 of msg under key (any length). */
void hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
		 uint8_t out[SHA256_LEN]);
/* Equal in time independent of where a and b differ. */
bool sha256_equal(const uint8_t *a, const uint8_t *b, size_t len);

#endif
