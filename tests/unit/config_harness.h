/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The harness of the config tests (test_config: valid files and queries;
 * test_config_errors: one test per error class): YAML text loaded from
 * memory with its error stream captured, and the two outcomes, loaded
 * cleanly or refused with exactly the given messages.
 */
#ifndef SIPWARDEN_TEST_CONFIG_HARNESS_H
#define SIPWARDEN_TEST_CONFIG_HARNESS_H

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "config.h"
#include "sip.h"

/* Load text as "t.yml"; *errs gets everything written to the error stream. */
static inline int
load(const char *text, struct config **cfg, char **errs)
{
	size_t sz;
	FILE *f = open_memstream(errs, &sz);
	int rc;

	cr_assert_not_null(f);
	*cfg = NULL;
	rc = config_load_buffer("t.yml", text, strlen(text), cfg, f);
	fclose(f);
	return rc;
}

/* The text must be refused with exactly these messages. */
static inline void
expect_errors(const char *text, const char *want)
{
	struct config *cfg;
	char *errs;
	int rc;

	rc = load(text, &cfg, &errs);
	cr_expect_eq(rc, -EINVAL, "rc %d", rc);
	cr_expect_null(cfg);
	cr_expect_str_eq(errs, want, "got:\n%s", errs);
	free(errs);
}

static inline struct config *
load_ok(const char *text)
{
	struct config *cfg;
	char *errs;
	int rc;

	rc = load(text, &cfg, &errs);
	cr_assert_eq(rc, 0, "rc %d: %s", rc, errs);
	cr_assert_str_eq(errs, "");
	free(errs);
	cr_assert_not_null(cfg);
	return cfg;
}

#endif
