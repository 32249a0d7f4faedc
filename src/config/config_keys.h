/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_CONFIG_KEYS_H
#define SIPWARDEN_CONFIG_KEYS_H

/*
 * config_keys - private to config.c and config_keys.c.
 *
 * config_keys.c holds the table of known keys and checks each value of a
 * parsed document (config_tree.h) against it, through config_values.c's
 * handlers. Nothing here is used outside the config_* files.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config_types.h"
#include "config_tree.h"

/*
 * Apply a parsed document (root may be NULL for an empty file) on top of
 * the defaults in cfg. Every invalid value is reported through d. Returns 0
 * or -ENOMEM; the caller decides validity from d->n_errors.
 */
int config_keys_apply(struct config_diag *d, const struct config_node *root,
		      struct config *cfg);

#endif
