/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_CONFIG_KEYS_H
#define SIPWARDEN_CONFIG_KEYS_H

/*
 * config_keys - private to config.c, config_keys.c and config_values.c.
 *
 * config.c turns the YAML text into a small tree of config_node (rejecting
 * aliases, tags and deep nesting on the way) and owns the struct config
 * life cycle; config_keys.c holds the table of known keys and checks each
 * value against it (through config_values.c's handlers). Nothing here is
 * used outside the config_* files.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"

enum config_node_type {
	CONFIG_NODE_SCALAR,
	CONFIG_NODE_SEQ,
	CONFIG_NODE_MAP,
	/* Already reported (alias, tag, too deep): checks skip it silently so
	 * one mistake yields one message. */
	CONFIG_NODE_BAD,
};

struct config_node {
	enum config_node_type type;
	unsigned line, col;          /* 1-based, where the node starts */
	bool plain;                  /* scalar written without quotes */
	char *str;                   /* scalar text, NUL-terminated */
	size_t len;                  /* scalar length (> strlen(str) if it holds a NUL) */
	struct config_node **kids;   /* sequence items; mapping key, value, key, ... */
	unsigned n_kids;
};

struct config_diag_msg {
	unsigned line, col, seq;
	char *text;
};

/* Where errors go and how many there were. Messages are held back and
 * printed sorted by position when loading ends, because some are found
 * out of order (while reading the YAML, or when comparing two keys). */
struct config_diag {
	const char *name;
	FILE *err;
	unsigned n_errors;
	struct config_diag_msg *msgs;
	unsigned n_msgs, n_printed;
};

void config_diag_report(struct config_diag *d, unsigned line, unsigned col,
			const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Apply a parsed document (root may be NULL for an empty file) on top of
 * the defaults in cfg. Every invalid value is reported through d. Returns 0
 * or -ENOMEM; the caller decides validity from d->n_errors.
 */
int config_keys_apply(struct config_diag *d, const struct config_node *root,
		      struct config *cfg);

/* Compile one User-Agent pattern into r (r->pattern takes a copy). Returns
 * 0, -ENOMEM, or -EINVAL with regerror()'s text in errbuf. */
int config_regex_init(struct config_regex *r, const char *pattern,
		      char *errbuf, size_t errlen);
void config_regexes_free(struct config_regex *list, unsigned n);

#endif
