/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The harness of the control protocol tests (test_ctlproto: requests and
 * escaping; test_ctlformat: response bodies, framing, counters;
 * test_ctlproto_allow): a formatter's output captured, a request line
 * parsed, an IP ban key.
 */
#ifndef SIPWARDEN_TEST_CTL_HARNESS_H
#define SIPWARDEN_TEST_CTL_HARNESS_H

#include <criterion/criterion.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "bankey_harness.h"
#include "bans.h"
#include "ctlproto.h"

/* Output of a formatter, captured through open_memstream(). */
struct cap {
	FILE *f;
	char *buf;
	size_t len;
};

static inline void
cap_open(struct cap *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	cr_assert_not_null(c->f);
}

static inline char *
cap_close(struct cap *c)
{
	cr_assert_eq(fclose(c->f), 0);
	return c->buf;
}

/* The last parse error of P(), for assertion messages. */
static char g_err[256];

static inline enum ctl_err
P(const char *line, struct ctl_request *r)
{
	return ctlproto_parse_request(line, strlen(line), r, g_err, sizeof(g_err));
}

static inline enum ctl_err
PE(const char *line, char *err, size_t errlen)
{
	struct ctl_request r;

	return ctlproto_parse_request(line, strlen(line), &r, err, errlen);
}

/* addr_net_parse() refuses host bits, so KNET()'s mask changes nothing:
 * the key of the address with the network's length. */
static inline struct ban_key
KIP(const char *s)
{
	return KNET(s);
}

static inline bool
key_eq(const struct ban_key *a, const struct ban_key *b)
{
	return a->kind == b->kind && a->plen == b->plen && a->len == b->len &&
	       memcmp(a->data, b->data, a->len) == 0;
}

#endif
