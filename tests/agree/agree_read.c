/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * agree-read - sipwarden's reading of each request in a file, for the
 * parser-agreement harness (tests/agree/README.md).
 *
 * Input: records of a 4-byte big-endian length and that many bytes (one
 * UDP payload each), as tests/agree/agree.py writes them. Output: one line
 * per record with the verdict of sip_scan() + sanity_check() under the
 * default configuration - what policy_judge() does before any rule - and
 * the fields the rules key on, read as policy reads them (hex-encoded,
 * "-" when sipwarden has no value):
 *
 *   N s=ok|drop:REASON rm=.. ua=COUNT:,UA1,UA2.. fu=.. fd=.. tu=.. td=.. ci=.. cs=..
 *     cr=,P:USER:REALM,..,A:USER:REALM,..
 *
 * ua lists every User-Agent header (policy matches each one). fu/fd, tu/td
 * come from sip_extract_userhost() (user percent-decoded, host
 * lower-cased). cr lists every credentials header, Proxy-Authorization
 * first and then Authorization (the order Kamailio's script walks them
 * in), each with the username and realm sip_extract_auth_param() reads.
 * Credentials naming different users pass sanity_check() but are judged
 * malformed by policy_judge() (sip_creds_conflict(), failed-auth bans on by
 * default): s=drop:creds-conflict here.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "sanity.h"
#include "sip.h"

#define PART_MAX 2048

static void
hex(const char *tag, const char *s, size_t n)
{
	printf(" %s=", tag);
	for (size_t i = 0; i < n; i++)
		printf("%02x", (unsigned char)s[i]);
}

static void
str_field(const char *tag, const char *s, int ok)
{
	if (!ok) {
		printf(" %s=-", tag);
		return;
	}
	hex(tag, s, strlen(s));
}

static void
userhost(const char *ut, const char *ht, struct sip_str v)
{
	/* zeroed: the compiler cannot see that str_field() reads them only
	 * when ok (a profile-guided build warns) */
	char user[PART_MAX] = "", host[PART_MAX] = "";
	int ok = v.s != NULL && sip_extract_userhost(v, user, sizeof(user), host, sizeof(host)) == 0;

	str_field(ut, user, ok);
	str_field(ht, host, ok);
}

static void
hex_span(struct sip_str v)
{
	char tmp[PART_MAX];
	size_t k = sip_str_copy(v, tmp, sizeof(tmp));

	for (size_t i = 0; i < k; i++)
		printf("%02x", (unsigned char)tmp[i]);
}

static void
hex_part(const char *s, int ok)
{
	if (!ok) {
		printf("-");
		return;
	}
	for (; *s; s++)
		printf("%02x", (unsigned char)*s);
}

/* Every credentials header: how many, and whether their usernames differ. */
static unsigned
creds_all(const struct sip_msg *m, struct sip_str *all, unsigned *n_pa, bool *conflict)
{
	unsigned n;

	n = *n_pa = sip_header_each(m, "proxy-authorization", 0, all, SIP_MAX_HEADERS);
	n += sip_header_each(m, "authorization", 0, all + n, SIP_MAX_HEADERS - n);
	*conflict = sip_creds_conflict(m);
	return n;
}

static void
judge(unsigned long n, const char *buf, size_t len, const struct config *cfg)
{
	struct sip_msg m;
	enum sip_flaw flaw;
	enum sanity_fail f;
	struct sip_str ua[SIP_MAX_HEADERS], cr[SIP_MAX_HEADERS];
	unsigned n_ua, n_cr, n_pa = 0;
	bool conflict = false;
	char tmp[PART_MAX];

	printf("%lu", n);
	if (sip_scan(buf, len, &m, &flaw) < 0) {
		printf(" s=drop:%s\n", sip_flaw_name(flaw));
		return;
	}
	f = sanity_check(&m, cfg);
	n_cr = m.is_request ? creds_all(&m, cr, &n_pa, &conflict) : 0;
	if (f != SANITY_OK)
		printf(" s=drop:%s", sanity_fail_name(f));
	else if (conflict)
		printf(" s=drop:creds-conflict");
	else
		printf(" s=ok");
	if (!m.is_request) {
		printf(" reply\n");
		return;
	}
	hex("rm", m.method_name.s, m.method_name.len);
	printf(" ua=%u:", m.n_user_agent);
	n_ua = sip_header_each(&m, "user-agent", 0, ua, SIP_MAX_HEADERS);
	for (unsigned i = 0; i < n_ua; i++) {
		printf(",");
		hex_span(ua[i]);
	}
	userhost("fu", "fd", m.from);
	userhost("tu", "td", m.to);
	if (m.call_id.s) {
		sip_str_copy(m.call_id, tmp, sizeof(tmp));
		str_field("ci", tmp, 1);
	} else {
		str_field("ci", "", 0);
	}
	if (m.cseq_ok)
		printf(" cs=%u", m.cseq_num);
	else
		printf(" cs=-");
	printf(" cr=");
	for (unsigned i = 0; i < n_cr; i++) {
		char user[PART_MAX], realm[PART_MAX];
		printf(",%c:", i < n_pa ? 'P' : 'A');
		hex_part(user, sip_extract_auth_username(cr[i], user, sizeof(user)) == 0);
		printf(":");
		hex_part(realm, sip_extract_auth_param(cr[i], "realm", realm, sizeof(realm)) == 0);
	}
	printf("\n");
}

int
main(int argc, char **argv)
{
	static char buf[65536];
	struct config *cfg;
	unsigned char hdr[4];
	unsigned long n = 0;
	FILE *in;

	if (argc != 2) {
		fprintf(stderr, "usage: agree-read FILE\n");
		return 2;
	}
	in = fopen(argv[1], "rb");
	cfg = config_new_default();
	if (in == NULL || cfg == NULL) {
		perror(argv[1]);
		return 1;
	}
	while (fread(hdr, 1, 4, in) == 4) {
		size_t len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];

		if (len > sizeof(buf) || fread(buf, 1, len, in) != len) {
			fprintf(stderr, "agree-read: record %lu truncated\n", n);
			return 1;
		}
		judge(n++, buf, len, cfg);
	}
	config_free(cfg);
	fclose(in);
	return 0;
}
