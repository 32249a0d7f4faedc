/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A test address from its text, failing the test if it does not parse:
 * one copy for the harnesses that need it (tcp_harness.h, srctab_harness.h)
 * and the tests that read addresses (test_ctlproto_allow's A() is another
 * thing: an allow-list entry).
 */
#ifndef SIPWARDEN_TEST_ADDR_HARNESS_H
#define SIPWARDEN_TEST_ADDR_HARNESS_H

#include <criterion/criterion.h>

#include "addr.h"

static inline struct addr
A(const char *s)
{
	struct addr a;

	cr_assert_eq(addr_parse(s, &a), 0, "parse %s", s);
	return a;
}

#endif
