/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_SIP_H
#define SIPWARDEN_SIP_H

/*
 * sip - a zero-copy scan of one SIP message for the fields policy needs.
 *
 * sip_scan() walks the start line and the header block once, recording
 * where each interesting header value lies in the caller's buffer; it copies
 * nothing and allocates nothing, because it runs for every packet. Values
 * are raw spans: leading/trailing whitespace trimmed, but folded lines
 * (CRLF followed by SP/HT) left inside. The sip_*_extract() helpers turn a
 * span into a NUL-terminated, unfolded, decoded string in a caller buffer,
 * using libosip2 where its parser is worth its cost (name-addr and
 * credentials); they are only called on the slow path.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip_text.h"

#include "sipmethod.h"

struct sip_str {
	const char *s; /* points into the scanned buffer; NULL when absent */
	uint32_t len;
};

/* Why a message is not SIP at all (sip_scan() < 0) or is suspect. */
enum sip_flaw {
	SIP_FLAW_NONE = 0,
	SIP_FLAW_EMPTY,         /* nothing but CRLF keep-alives */
	SIP_FLAW_START_LINE,    /* not "METHOD URI SIP/x.y" nor "SIP/x.y NNN reason" */
	SIP_FLAW_HEADER_SYNTAX, /* a header line without a name and colon */
	SIP_FLAW_NO_END,        /* no empty line ending the header block */
	SIP_FLAW_BINARY,        /* NUL or other control bytes in the header block */
	SIP_FLAW_TOO_MANY_HEADERS,
};

struct sip_msg {
	bool is_request;
	enum sip_method method;      /* request method, SIP_METHOD_NONE for replies */
	struct sip_str method_name;  /* as written */
	struct sip_str ruri;         /* request URI */
	struct sip_str version;      /* "SIP/2.0" as written */
	unsigned status;             /* reply status code, 0 for requests */

	/* First occurrence of each header (value span, trimmed); n_* count
	 * every occurrence, so repeated headers are visible to policy. Names
	 * are matched case-insensitively, compact forms included
	 * (f t i v m l k s c e). */
	struct sip_str from, to, call_id, cseq, via, contact, user_agent,
		authorization, proxy_authorization, content_length, expires,
		max_forwards;
	uint8_t n_from, n_to, n_call_id, n_cseq, n_via, n_contact,
		n_user_agent, n_authorization, n_proxy_authorization,
		n_content_length, n_expires;

	/* CSeq parsed: number and method. cseq_ok is false when the CSeq
	 * value is not "1*DIGIT LWS method" or the number exceeds 2^31-1. */
	bool cseq_ok;
	uint32_t cseq_num;
	enum sip_method cseq_method;
	struct sip_str cseq_method_name;

	/* Content-Length parsed. content_length_ok is false when absent or
	 * not a plain decimal number below 2^31. */
	bool content_length_ok;
	uint32_t content_length_val;

	/* bytes after the empty line (may be empty); with one valid
	 * Content-Length smaller than what follows, only that many: the rest
	 * of a datagram is not part of the message (RFC 3261 18.3) */
	struct sip_str body;
	uint32_t header_len;       /* bytes from start through the empty line */
};

/* Longest header block sip_scan() looks at; anything longer is a flaw. */
#define SIP_MAX_HEADERS 128

/*
 * Scan buf[0..len). Returns 0 when the start line and header block are
 * well-formed enough to be SIP (policy may still find it insane), or
 * -EBADMSG with *flaw set. Never reads past buf+len; buf need not be
 * NUL-terminated. m is fully overwritten.
 */
int sip_scan(const char *buf, size_t len, struct sip_msg *m, enum sip_flaw *flaw);

/*
 * Every value of header name (any case; compact: its one-letter form, or
 * 0), in message order, trimmed like sip_scan()'s spans: up to max into
 * out. Returns how many. For rules that must judge each occurrence of a
 * header sip_scan() counted more than once.
 */
unsigned sip_header_each(const struct sip_msg *m, const char *name, char compact,
			 struct sip_str *out, unsigned max);

/* Map a method token (any case? no: methods are case-sensitive in SIP) */
enum sip_method sip_method_from_str(const char *s, size_t len);
const char *sip_method_name(enum sip_method m);
const char *sip_flaw_name(enum sip_flaw f);

/*
 * Copy a span into out (size outlen), unfolding CRLF+WS to one space and
 * NUL-terminating; truncates to outlen-1. Returns the length written.
 */
size_t sip_str_copy(struct sip_str v, char *out, size_t outlen);

/*
 * From/To value ("Alice" <sip:alice@Example.org;x=y>;tag=abc, or a bare
 * addr-spec) -> user (percent-decoded, as the server will compare it) and
 * host (lower-cased). Uses libosip2's osip_from_parse(). Returns 0,
 * -EINVAL when the value does not parse, -ENOSPC when a part does not fit.
 * user may come back empty (sip:example.org).
 */
int sip_extract_userhost(struct sip_str v, char *user, size_t ulen, char *host, size_t hlen);
/* The two paths of sip_extract_userhost(), exposed so that tests can hold
 * them to the same answers: the allocation-free one for the common shapes
 * (returns 1 when the value is not one of them) and libosip2's. */
int sip_extract_userhost_fast(struct sip_str v, char *user, size_t ulen, char *host, size_t hlen);
int sip_extract_userhost_osip(struct sip_str v, char *user, size_t ulen, char *host, size_t hlen);
/* The tag parameter of a From/To value; "" when absent. Returns 0 or -EINVAL/-ENOSPC. */
int sip_extract_tag(struct sip_str v, char *tag, size_t tlen);
/* The username of Digest credentials (Authorization / Proxy-Authorization
 * value), unquoted, by a small parser of its own (libosip2 5.3 misreads
 * unquoted usernames; sip_auth.c). 0, -EINVAL, -ENOSPC. */
int sip_extract_auth_username(struct sip_str v, char *user, size_t ulen);
/* Any parameter of Digest credentials (realm...), read as the username
 * is. 0, -EINVAL (unreadable, or the parameter named twice), -ENOENT
 * (absent), -ENOSPC. */
int sip_extract_auth_param(struct sip_str v, const char *name, char *out, size_t olen);
/* Several parameters in one walk of the credentials. Returns -EINVAL when
 * the credentials are unreadable (every ret is then -EINVAL), -ENOSPC
 * when an out is missing, else 0 with each ret as sip_extract_auth_param()
 * would answer for that name alone. */
#define SIP_AUTH_PARAMS_MAX 4
struct sip_auth_param {
	const char *name;
	char *out;
	size_t olen;
	int ret;
};
int sip_extract_auth_params(struct sip_str v, struct sip_auth_param *ps, unsigned n);
/*
 * Whether the credentials headers (every Authorization and
 * Proxy-Authorization) name different users, or one whose username cannot
 * be read (it is unlike any other). Which header the server checks is its
 * business, so a failure could be keyed on a decoy: such a request is
 * judged malformed. One definition for the policy and the agreement
 * harness, so that the two cannot drift.
 */
bool sip_creds_conflict(const struct sip_msg *m);
/* The longest username (user@domain, NUL included) a failure is keyed on. */
#define SIP_AUTH_USER_MAX 128
/*
 * The username of a request's first credentials (its Authorization, else
 * its Proxy-Authorization) as sip_extract_auth_username() reads it into
 * SIP_AUTH_USER_MAX bytes: ret 0 and user, or that call's negative errno.
 * sanity_check_read() fills it on the walk that judges the credentials,
 * so that the user key does not walk them again (set is false when it
 * did not: no credentials, or not a request).
 */
struct sip_cred_user {
	bool set;
	int ret;
	char user[SIP_AUTH_USER_MAX];
};
/*
 * A From, To or request-URI as sanity_check_read() read it on its fast
 * path (set is false when it did not): a sip or sips URI of plain
 * characters only (no '%' to decode, no IPv6 reference). So for From the
 * user as written and the host lower-cased are what
 * sip_extract_userhost() answers for the whole value. The keys take these
 * spans instead of reading the header a second time; test_credentials,
 * test_enumtrack and fuzz_fastpath hold the two readings to one answer.
 */
struct sip_uri_read {
	bool set;
	struct sip_str user;     /* before '@'; empty when there is none */
	struct sip_str host;
	struct sip_str hostport; /* host and ":port", as written */
	/* From only: its tag parameter as authtrack's from_tag() finds it
	 * ({NULL, 0} when it has none), for the transaction key */
	struct sip_str tag;
};
/* What sanity_check_read() read on its walk that the keys need again
 * (meaningful when it returned SANITY_OK). */
struct sip_read {
	struct sip_cred_user cred;
	struct sip_uri_read from, to, ruri;
};
/* The user and host of a From that sanity read (r->set): what
 * sip_extract_userhost() answers for the whole value, without reading it
 * again. 0 or -ENOSPC (both outputs empty). */
int sip_uri_read_userhost(const struct sip_uri_read *r, char *user, size_t ulen, char *host,
			  size_t hlen);
/* The request-URI's user and host, as sip_extract_userhost() does. */
int sip_extract_uri_userhost(struct sip_str uri, char *user, size_t ulen, char *host, size_t hlen);

#endif
