/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_CONFIG_VALUES_H
#define SIPWARDEN_CONFIG_VALUES_H

/*
 * config_values - private to config.c, config_keys.c and config_values.c.
 *
 * config_keys.c holds the tables of known keys; each key names one of the
 * value handlers below and where its value lands in struct config. A
 * handler checks one value (a scalar or a list), reports its own errors at
 * the value's line and column through config_diag and carries on, and
 * stores what is valid. Nothing here is used outside the config_* files.
 */

#include <stdbool.h>
#include <stddef.h>

#include "config_types.h"
#include "config_tree.h"

struct key;

struct apply {
	struct config_diag *d;
	struct config *cfg;
	int err; /* -ENOMEM seen */

	/* dos_whitelisted_ips and _subnets share cfg->whitelist; they are
	 * collected apart and joined at the end. */
	struct addr_net *wl_ips, *wl_nets;
	unsigned n_wl_ips, n_wl_nets;

	/* Where values came from, to place errors found between keys. */
	const struct config_node *queue_first_at, *queue_count_at;
	const struct config_node *density_at, *sampling_at;
	const struct config_node *tcp_at[CONFIG_MAX_PORTS], *tls_at[CONFIG_MAX_PORTS];
};

typedef void key_fn(struct apply *a, const struct key *k, const char *what,
		    const struct config_node *v);

struct name_val {
	const char *name;
	int val;
};

struct key {
	const char *name;
	key_fn *fn;
	size_t off;               /* field in struct config */
	size_t off_n;             /* its element count, for lists */
	unsigned long long min, max;
	unsigned flags;
	const struct name_val *names; /* enum spellings */
	const struct key *sub;    /* section: its keys, NULL-terminated */
};

#define F_NULLABLE 0x1  /* an explicit null means "off" */
#define F_SOCKET   0x2  /* must fit sockaddr_un.sun_path */
#define F_FULLLEN  0x4  /* addresses only, no prefix */
#define F_WL_IPS   0x8
#define F_WL_NETS  0x10
#define F_TCP      0x20
#define F_TLS      0x40
#define F_U16      0x80  /* the field is a uint16_t, not a uint32_t */
#define F_NODE     0x100 /* a cluster node name */
#define F_PREFIX   0x200 /* a cluster key prefix */
#define F_HOST     0x400 /* a host name, an address or a socket path */

#define FIELD(f) offsetof(struct config, f)
#define FIELDN(f, n) offsetof(struct config, f), offsetof(struct config, n)

#define EXCERPT(v) config_values_excerpt((v)->str, (v)->len, xbuf, sizeof(xbuf))

#define ERR(a, at, ...) \
	config_diag_report((a)->d, (at)->line, (at)->col, __VA_ARGS__)

/* "a scalar", "a sequence", ...: what v is, for error messages. */
const char *config_values_type_name(const struct config_node *v);
/* A printable excerpt of an attacker- or typo-controlled string (EXCERPT()). */
const char *config_values_excerpt(const char *s, size_t len, char *buf, size_t blen);
/* An explicit null: "", ~, null, Null or NULL, unquoted. */
bool config_values_is_null(const struct config_node *v);

/* Scalars. */
key_fn config_values_set_bool;
key_fn config_values_set_uint;   /* F_U16 */
key_fn config_values_set_enum;   /* k->names */
key_fn config_values_set_path;   /* F_NULLABLE, F_SOCKET */
key_fn config_values_set_str;    /* F_NULLABLE, F_NODE, F_PREFIX, F_HOST */
key_fn config_values_set_tls;    /* cluster.redis_tls */

/* Lists. */
key_fn config_values_set_ports;  /* F_TCP, F_TLS */
key_fn config_values_set_nets;   /* F_FULLLEN, F_WL_IPS, F_WL_NETS */
key_fn config_values_set_regexes;
key_fn config_values_set_paths;
key_fn config_values_set_methods;

/* Compile one User-Agent pattern into r (r->pattern takes a copy). Returns
 * 0, -ENOMEM, or -EINVAL with regerror()'s text in errbuf. */
int config_regex_init(struct config_regex *r, const char *pattern,
		      char *errbuf, size_t errlen);
void config_regexes_free(struct config_regex *list, unsigned n);

#endif
