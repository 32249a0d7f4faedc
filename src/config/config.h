/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_CONFIG_H
#define SIPWARDEN_CONFIG_H

/*
 * config - the YAML configuration file turned into a validated struct.
 *
 * Loading never half-succeeds: either every key is valid and a complete
 * struct config is returned, or every error found is reported as
 * "FILE:LINE:COL: message" and nothing is returned. That is what lets a
 * reload with a broken file keep the old configuration running.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "addr.h"
#include "config_types.h"

/* A config with every default filled in (never fails short of ENOMEM:
 * returns NULL then). */
struct config *config_new_default(void);

/*
 * Load and validate a YAML file. On success returns 0 and *out. On invalid
 * content prints every error as "FILE:LINE:COL: message\n" to err (which may
 * be NULL) and returns -EINVAL; on I/O failure prints "FILE: strerror" and
 * returns the negative errno. *out is untouched on failure.
 */
int config_load_file(const char *path, struct config **out, FILE *err);
/* Same, from memory; name is used in messages in place of the file name. */
int config_load_buffer(const char *name, const char *text, size_t len,
		       struct config **out, FILE *err);
void config_free(struct config *cfg);

/*
 * Read a whole file of at most max bytes into a NUL-terminated heap buffer
 * (*textp, to free) of *lenp bytes: until EOF, not st_size, so pipes work.
 * Errors are printed to err (may be NULL) as "FILE: message"; returns 0,
 * -EFBIG or a negative errno. Shared by the YAML readers.
 */
int config_read_file(const char *path, size_t max, char **textp, size_t *lenp, FILE *err);

/* May a network of this family and prefix length be banned from a
 * blocklist, the cluster or the control socket? Not wider than
 * limits.min_ban_prefix4/6 (so never /0). */
bool config_ban_prefix_ok(const struct config *cfg, int family, unsigned plen);

/* True when the address is whitelisted or a peering server. */
bool config_is_trusted(const struct config *cfg, const struct addr *a);

/* Print the settings sipwarden-rules needs as shell assignments
 * (QUEUE_FIRST=0 QUEUE_COUNT=2 UDP_PORTS=5060,5062 ...), one per line. */
void config_print_rules_env(const struct config *cfg, FILE *out);

#endif
