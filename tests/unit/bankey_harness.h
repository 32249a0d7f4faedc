/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Ban keys from their text, failing the test if the text does not read:
 * KNET() an address or network as ban_key_net() keys it, KU() a user as
 * ban_key_user() does. Shared by test_bans, the cluster tests and
 * ctl_harness.h.
 */
#ifndef SIPWARDEN_TEST_BANKEY_HARNESS_H
#define SIPWARDEN_TEST_BANKEY_HARNESS_H

#include <criterion/criterion.h>
#include <string.h>

#include "addr.h"
#include "bans.h"

static inline struct ban_key
KNET(const char *s)
{
	struct addr_net n;
	struct ban_key k;

	memset(&k, 0, sizeof(k));
	cr_assert_eq(addr_net_parse(s, &n), 0, "%s", s);
	ban_key_net(&k, &n.base, n.plen);
	return k;
}

static inline struct ban_key
KU(const char *user)
{
	struct ban_key k;

	memset(&k, 0, sizeof(k));
	cr_assert_eq(ban_key_user(&k, user), 0, "key %s", user);
	return k;
}

#endif
