/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_CONFIG_TREE_H
#define SIPWARDEN_CONFIG_TREE_H

/*
 * config_tree - private to the config_* files: the parsed document and the
 * error collector every stage reports to.
 *
 * config.c turns the YAML text into a small tree of config_node (rejecting
 * aliases, tags and deep nesting on the way); config_keys.c and
 * config_values.c check it. config_diag.c collects the errors. The lowest
 * of the config files: it includes none of the others.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

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
void config_diag_vreport(struct config_diag *d, unsigned line, unsigned col,
			 const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));
/* Print the held messages sorted by position, then how many were not shown. */
void config_diag_flush(struct config_diag *d);

#endif
