/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_fastpath - the allocation-free readings against libosip2's.
 *
 * For speed, the common shapes of From/To values, request-URIs and Digest
 * credentials are read without libosip2 (sip_extract.c, sanity.c), and the
 * credentials' username that sanity reads is reused for the user key. An
 * attacker who has read the source looks for a value the two readings take
 * differently: one the shortcut vouches for and libosip2 (or the server)
 * reads otherwise. The unit tests hold them together on seeded mutations;
 * this target lets coverage steer the search. It checks:
 *
 *   - a From/To value the fast path reads gives libosip2's user and host;
 *   - a From/To value or request-URI sanity passes is one libosip2 parses;
 *   - sanity_check() and sanity_check_read() give one answer;
 *   - the user key from sanity's reading of the credentials, and of From,
 *     equals the key read afresh from the message; so does the
 *     transaction key from sanity's reading of the From tag, and the
 *     enumeration target from its reading of To and the request-URI.
 *
 * Input: byte 0 picks what the rest of the input becomes:
 *   bits 0-1   0 the From value, 1 the To value, 2 the request-URI,
 *              3 credentials: the rest split at NUL bytes into up to three
 *              header values
 *   bit 2      reject_sqli_chars on
 *   bit 3      credentials: every one an Authorization (else the second
 *              and later are Proxy-Authorization)
 * The rest is placed into a REGISTER that is otherwise plain; inputs that
 * break its framing (sip_scan() refuses it) check nothing further.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authtrack.h"
#include "config.h"
#include "enumtrack.h"
#include "log.h"
#include "sanity.h"
#include "sip.h"
#include "fuzz_check.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Below libosip2's limit (EXTRACT_MAX, 2048) once unfolded, so that "too
 * long" never stands in for "refused", and below the output buffers. */
#define VALUE_MAX 1500
#define OUT_MAX 4096
#define MSG_MAX 8192

enum { F_FROM, F_TO, F_RURI, F_CREDS };

static struct config *g_cfg[2];
static const struct hash_key g_hkey = { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL };
static struct enumtab *g_enums;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* Nothing the core might log reaches stderr. */
	log_init(LOG_TARGET_STDERR, -1);
	g_cfg[0] = config_new_default();
	g_cfg[1] = config_new_default();
	CHECK(g_cfg[0] != NULL && g_cfg[1] != NULL);
	g_cfg[1]->reject_sqli_chars = true;
	g_enums = enumtab_new(16, 16);
	CHECK(g_enums != NULL);
	return 0;
}

/* Append n bytes to the message being built. */
static void
put(char *msg, size_t *len, const void *s, size_t n)
{
	CHECK(*len + n <= MSG_MAX);
	memcpy(msg + *len, s, n);
	*len += n;
}

static void
puts_(char *msg, size_t *len, const char *s)
{
	put(msg, len, s, strlen(s));
}

/* The REGISTER with the input in its place; returns its length. */
static size_t
build(char *msg, unsigned what, bool all_auth, const uint8_t *v, size_t n)
{
	size_t len = 0;

	puts_(msg, &len, "REGISTER ");
	if (what == F_RURI)
		put(msg, &len, v, n);
	else
		puts_(msg, &len, "sip:example.org");
	puts_(msg, &len, " SIP/2.0\r\n"
	      "Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK776asdhds\r\n"
	      "Max-Forwards: 70\r\nFrom: ");
	if (what == F_FROM)
		put(msg, &len, v, n);
	else
		puts_(msg, &len, "\"Alice\" <sip:105@example.org>;tag=1928301774");
	puts_(msg, &len, "\r\nTo: ");
	if (what == F_TO)
		put(msg, &len, v, n);
	else
		puts_(msg, &len, "<sip:105@example.org>");
	puts_(msg, &len, "\r\nCall-ID: a84b4c76e66710@pc33\r\nCSeq: 314159 REGISTER\r\n");
	if (what == F_CREDS) {
		const uint8_t *p = v, *e = v + n;

		for (unsigned i = 0; i < 3 && p <= e; i++) {
			const uint8_t *z = memchr(p, '\0', (size_t)(e - p));
			const uint8_t *q = z ? z : e;

			puts_(msg, &len, i == 0 || all_auth ? "Authorization: " :
			      "Proxy-Authorization: ");
			put(msg, &len, p, (size_t)(q - p));
			puts_(msg, &len, "\r\n");
			if (!z)
				break;
			p = z + 1;
		}
	}
	puts_(msg, &len, "Content-Length: 0\r\n\r\n");
	return len;
}

/* The user key from sanity's reading rd is the key read afresh. */
static void
check_user_key(const struct sip_msg *m, const struct sip_read *rd)
{
	static char k1[SIP_AUTH_USER_MAX + 64], k2[SIP_AUTH_USER_MAX + 64];
	int r1 = auth_user_key(m, rd, k1, sizeof(k1));
	int r2 = auth_user_key(m, NULL, k2, sizeof(k2));

	CHECK(r1 == r2);
	CHECK(r1 != 0 || strcmp(k1, k2) == 0);
}

/* A From/To value: the fast reading is libosip2's; what sanity passes,
 * libosip2 parses. */
static void
check_naddr(struct sip_str v, enum sanity_fail f)
{
	static char u1[OUT_MAX], h1[OUT_MAX], u2[OUT_MAX], h2[OUT_MAX];
	int fast = sip_extract_userhost_fast(v, u1, sizeof(u1), h1, sizeof(h1));
	int osip = sip_extract_userhost_osip(v, u2, sizeof(u2), h2, sizeof(h2));

	CHECK(fast == 0 || fast == 1);
	if (fast == 0) {
		CHECK(osip == 0);
		CHECK(strcmp(u1, u2) == 0);
		CHECK(strcmp(h1, h2) == 0);
	}
	if (f == SANITY_OK)
		CHECK(osip == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char msg[MSG_MAX];
	static char u[OUT_MAX], h[OUT_MAX];
	struct sip_read rd;
	const struct config *cfg;
	struct sip_msg m;
	enum sanity_fail f;
	unsigned what;
	char *buf;
	size_t len;

	if (size < 1)
		return 0;
	what = data[0] & 3u;
	cfg = g_cfg[(data[0] >> 2) & 1u];
	size = size - 1 > VALUE_MAX ? VALUE_MAX : size - 1;
	len = build(msg, what, data[0] & 8u, data + 1, size);
	/* An exact-size copy: AddressSanitizer sees a read past its end. */
	buf = malloc(len);
	CHECK(buf != NULL);
	memcpy(buf, msg, len);
	if (sip_scan(buf, len, &m, NULL) != 0 || !m.is_request) {
		free(buf);
		return 0;
	}
	f = sanity_check_read(&m, cfg, &rd);
	CHECK(sanity_check(&m, cfg) == f);
	switch (what) {
	case F_FROM:
		if (m.n_from == 1 && m.from.len > 0)
			check_naddr(m.from, f);
		if (f != SANITY_OK)
			break;
		/* From's user, host and tag as sanity read them give the
		 * keys read afresh */
		check_user_key(&m, &rd);
		CHECK(txn_key(&g_hkey, &m, &rd) == txn_key(&g_hkey, &m, NULL));
		break;
	case F_TO:
		if (m.n_to == 1 && m.to.len > 0)
			check_naddr(m.to, f);
		/* the enumeration target from sanity's reading of To */
		if (f == SANITY_OK)
			CHECK(enum_target_hash(g_enums, &m, &rd) ==
			      enum_target_hash(g_enums, &m, NULL));
		break;
	case F_RURI:
		if (f == SANITY_OK) {
			CHECK(sip_extract_uri_userhost(m.ruri, u, sizeof(u), h, sizeof(h)) == 0);
			CHECK(enum_target_hash(g_enums, &m, &rd) ==
			      enum_target_hash(g_enums, &m, NULL));
		}
		break;
	case F_CREDS:
		if (f == SANITY_OK)
			check_user_key(&m, &rd);
		break;
	}
	free(buf);
	return 0;
}
