/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config_keys - the known configuration keys and the checks between them.
 *
 * Each section is a table of keys; each key names a handler (config_values.c)
 * and where its value lands in struct config. Every handler reports its own
 * errors at the value's line and column and carries on, so that one run of
 * --check-config shows the operator every mistake at once.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config_types.h"
#include "config_keys.h"
#include "config_values.h"

#define SECONDS_PER_YEAR 31536000u
#define SECTION_MAX_KEYS 40

/* ---- the tables ---- */

static void apply_map(struct apply *a, const struct key *keys, const char *section,
		      const struct config_node *map);

static void
set_section(struct apply *a, const struct key *k, const char *what,
	    const struct config_node *v)
{
	apply_map(a, k->sub, k->name, v);
}

static const struct name_val modes[] = {
	{ "enforce", CONFIG_MODE_ENFORCE }, { "monitor", CONFIG_MODE_MONITOR },
	{ NULL, 0 },
};
static const struct name_val malformed_vals[] = {
	{ "drop", CONFIG_MALFORMED_DROP }, { "accept", CONFIG_MALFORMED_ACCEPT },
	{ NULL, 0 },
};
static const struct name_val user_replies[] = {
	{ "drop", CONFIG_USER_REPLY_DROP }, { "403", CONFIG_USER_REPLY_403 }, { NULL, 0 },
};
static const struct name_val auth_targets[] = {
	{ "user", CONFIG_AUTH_BAN_USER }, { "ip", CONFIG_AUTH_BAN_IP },
	{ "both", CONFIG_AUTH_BAN_BOTH }, { NULL, 0 },
};

#define BOOL(n, f) { n, config_values_set_bool, FIELD(f), 0, 0, 0, 0, NULL, NULL }
#define UINT(n, f, lo, hi) { n, config_values_set_uint, FIELD(f), 0, lo, hi, 0, NULL, NULL }
#define UINT16(n, f, lo, hi) { n, config_values_set_uint, FIELD(f), 0, lo, hi, F_U16, NULL, NULL }
#define ENUM(n, f, v) { n, config_values_set_enum, FIELD(f), 0, 0, 0, 0, v, NULL }
#define PATH(n, f, fl) { n, config_values_set_path, FIELD(f), 0, 0, 0, fl, NULL, NULL }
#define LIST(n, fn, f, c, fl) { n, config_values_set_##fn, FIELDN(f, c), 0, 0, fl, NULL, NULL }
#define STR(n, f, lo, hi, fl) { n, config_values_set_str, FIELD(f), 0, lo, hi, fl, NULL, NULL }
#define SECTION(n, s) { n, set_section, 0, 0, 0, 0, 0, NULL, s }
#define END { NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL }

static const struct key queue_keys[] = {
	/* first + count - 1 must fit too: checked once both are known. */
	UINT16("first", queue_first, 0, 65535),
	UINT16("count", queue_count, 1, 64),
	UINT("maxlen", queue_maxlen, 16, 1048576),
	UINT("rcvbuf", queue_rcvbuf, 65536, 1073741824),
	BOOL("fail_open", queue_fail_open),
	UINT("batch_wait_us", queue_batch_wait_us, 0, 5000),
	END,
};

static const struct key sip_keys[] = {
	LIST("udp_ports", ports, udp_ports, n_udp_ports, 0),
	LIST("tcp_ports", ports, tcp_ports, n_tcp_ports, F_TCP),
	LIST("tls_ports", ports, tls_ports, n_tls_ports, F_TLS),
	LIST("server_addresses", nets, server_addresses, n_server_addresses, 0),
	STR("server_interface", server_interface, 1, 15, F_NULLABLE),
	END,
};

static const struct key security_keys[] = {
	BOOL("dos_ban_enable", dos_ban_enable),
	UINT("dos_ban_time", dos_ban_time, 1, SECONDS_PER_YEAR),
	UINT("dos_reqs_density_per_unit", dos_reqs_density_per_unit, 1, 100000),
	UINT("dos_sampling_time_unit", dos_sampling_time_unit, 1, 3600),
	LIST("dos_whitelisted_ips", nets, whitelist, n_whitelist, F_WL_IPS | F_FULLLEN),
	LIST("dos_whitelisted_subnets", nets, whitelist, n_whitelist, F_WL_NETS),
	UINT("failed_auth_attempts", failed_auth_attempts, 1, 1000),
	BOOL("failed_auth_ban_enable", failed_auth_ban_enable),
	UINT("failed_auth_ban_time", failed_auth_ban_time, 1, SECONDS_PER_YEAR),
	ENUM("failed_auth_ban_target", failed_auth_ban_target, auth_targets),
	LIST("ua_blacklist", regexes, ua_blacklist, n_ua_blacklist, 0),
	LIST("ua_blacklist_methods", methods, ua_blacklist_methods, ua_blacklist_methods, 0),
	BOOL("ua_ban_ip", ua_ban_ip),
	UINT("ua_ban_time", ua_ban_time, 1, SECONDS_PER_YEAR),
	ENUM("malformed", malformed, malformed_vals),
	BOOL("reject_sqli_chars", reject_sqli_chars),
	UINT("dos_ipv6_prefix", dos_ipv6_prefix, 16, 128),
	BOOL("ban_time_increment", ban_time_increment),
	UINT("ban_time_factor", ban_time_factor, 1, 100),
	UINT("recidive_window", recidive_window, 1, SECONDS_PER_YEAR),
	UINT("ban_time_max", ban_time_max, 1, SECONDS_PER_YEAR),
	UINT("enum_distinct_users", enum_distinct_users, 0, 100), /* ENUM_MAX_DISTINCT */
	UINT("enum_window", enum_window, 1, 3600),
	BOOL("scanner_fingerprints", scanner_fingerprints),
	ENUM("banned_user_reply", banned_user_reply, user_replies),
	UINT("known_source_time", known_source_time, 0, SECONDS_PER_YEAR),
	LIST("blocklist_files", paths, blocklist_files, n_blocklist_files, 0),
	END,
};

static const struct key limits_keys[] = {
	UINT("max_sources", max_sources, 1024, 100000000),
	UINT("max_bans", max_bans, 16, 10000000),
	UINT("source_idle_time", source_idle_time, 1, 86400),
	UINT("max_transactions", max_transactions, 1024, 10000000),
	UINT("max_auth_users", max_auth_users, 16, 10000000),
	UINT("max_known_sources", max_known_sources, 16, 10000000),
	UINT("max_tcp_connections", max_tcp_connections, 64, 10000000),
	UINT("tcp_idle_time", tcp_idle_time, 1, 86400),
	UINT("evidence_entries", evidence_entries, 64, 1000000),
	UINT("max_allowed", max_allowed, 1, 1000000),
	UINT("min_ban_prefix4", min_ban_prefix4, 1, 32),
	UINT("min_ban_prefix6", min_ban_prefix6, 1, 128),
	END,
};

static const struct key daemon_keys[] = {
	PATH("state_dir", state_dir, 0),
	PATH("socket", socket_path, F_SOCKET),
	PATH("stats_file", stats_file, F_NULLABLE),
	END,
};

static const struct key cluster_keys[] = {
	BOOL("enabled", cluster_enabled),
	STR("redis_host", cluster_redis_host, 1, 255, F_HOST),
	UINT16("redis_port", cluster_redis_port, 1, 65535),
	STR("redis_username", cluster_redis_username, 1, 255, F_NULLABLE),
	STR("redis_password", cluster_redis_password, 1, 1024, F_NULLABLE),
	{ "redis_tls", config_values_set_tls, FIELD(cluster_redis_tls), 0, 0, 0, 0, NULL, NULL },
	PATH("redis_tls_ca_file", cluster_redis_tls_ca, F_NULLABLE),
	PATH("redis_tls_cert_file", cluster_redis_tls_cert, F_NULLABLE),
	PATH("redis_tls_key_file", cluster_redis_tls_key, F_NULLABLE),
	STR("redis_tls_server_name", cluster_redis_tls_server_name, 1, 255, F_NULLABLE | F_HOST),
	STR("key_prefix", cluster_key_prefix, 1, CONFIG_PREFIX_MAX, F_PREFIX),
	STR("node_name", cluster_node_name, 1, CONFIG_NODE_MAX, F_NULLABLE | F_NODE),
	PATH("key_file", cluster_key_file, F_NULLABLE),
	END,
};

static const struct key top_keys[] = {
	ENUM("mode", mode, modes),
	SECTION("queue", queue_keys),
	SECTION("sip", sip_keys),
	SECTION("security", security_keys),
	LIST("peering_servers", nets, peering_servers, n_peering_servers, 0),
	SECTION("limits", limits_keys),
	SECTION("daemon", daemon_keys),
	SECTION("cluster", cluster_keys),
	END,
};

/* section is NULL for the top level. */
static void
apply_map(struct apply *a, const struct key *keys, const char *section,
	  const struct config_node *map)
{
	const struct config_node *seen[SECTION_MAX_KEYS] = { 0 };
	char what[96], xbuf[80];
	unsigned i, j;

	if (map->type == CONFIG_NODE_BAD || config_values_is_null(map))
		return;
	if (map->type != CONFIG_NODE_MAP) {
		if (section != NULL)
			ERR(a, map, "%s: expected a mapping, got %s", section, config_values_type_name(map));
		else
			ERR(a, map, "expected a mapping of sections at top level, got %s",
			    config_values_type_name(map));
		return;
	}
	for (i = 0; i + 1 < map->n_kids && a->err == 0; i += 2) {
		const struct config_node *kn = map->kids[i], *vn = map->kids[i + 1];

		if (kn->type == CONFIG_NODE_BAD)
			continue;
		if (kn->type != CONFIG_NODE_SCALAR) {
			ERR(a, kn, "mapping keys must be scalars, got %s", config_values_type_name(kn));
			continue;
		}
		for (j = 0; keys[j].name != NULL; j++)
			if (strcmp(kn->str, keys[j].name) == 0 && kn->len == strlen(kn->str))
				break;
		if (keys[j].name == NULL) {
			if (section != NULL)
				ERR(a, kn, "unknown key '%s' in section '%s'", EXCERPT(kn),
				    section);
			else
				ERR(a, kn, "unknown key '%s' at top level", EXCERPT(kn));
			continue;
		}
		if (seen[j] != NULL) {
			if (section != NULL)
				ERR(a, kn, "duplicate key '%s' in section '%s' (first at line %u)",
				    keys[j].name, section, seen[j]->line);
			else
				ERR(a, kn, "duplicate key '%s' at top level (first at line %u)",
				    keys[j].name, seen[j]->line);
			continue;
		}
		seen[j] = kn;
		if (section != NULL)
			snprintf(what, sizeof(what), "%s.%s", section, keys[j].name);
		else
			snprintf(what, sizeof(what), "%s", keys[j].name);
		keys[j].fn(a, &keys[j], what, vn);
	}
}

/* Checks between keys, once every key has been read. */
static void
check_cross(struct apply *a)
{
	struct config *cfg = a->cfg;
	const struct config_node *at;
	unsigned i, j;

	if (cfg->queue_first > 65535u - (cfg->queue_count - 1u)) {
		at = a->queue_first_at != NULL ? a->queue_first_at : a->queue_count_at;
		/* The defaults pass, so at least one of the two is from the file. */
		ERR(a, at, "queue.first: %u is out of range with queue.count %u (0..%u)",
		    cfg->queue_first, cfg->queue_count, 65535u - (cfg->queue_count - 1u));
	}
	/* The density rule keeps the last N+1 request times of a source in
	 * 32-bit milliseconds; they must span less than 2^31 ms to compare
	 * exactly (see srctab.c). No sane limit comes near it. */
	if ((uint64_t)(cfg->dos_reqs_density_per_unit + 1u) * cfg->dos_sampling_time_unit >
	    2147483u) {
		at = a->density_at != NULL ? a->density_at : a->sampling_at;
		ERR(a, at, "security.dos_reqs_density_per_unit x dos_sampling_time_unit is too "
		    "large (%u x %u s; at most 2147483 request-seconds)",
		    cfg->dos_reqs_density_per_unit, cfg->dos_sampling_time_unit);
	}
	for (i = 0; i < cfg->n_tls_ports; i++) {
		for (j = 0; j < cfg->n_tcp_ports; j++) {
			if (cfg->tls_ports[i] != cfg->tcp_ports[j])
				continue;
			/* One of the two lists came from the file, or the
			 * defaults would conflict. */
			at = a->tls_at[i] != NULL ? a->tls_at[i] : a->tcp_at[j];
			ERR(a, at, "port %u is in both sip.tcp_ports and sip.tls_ports "
			    "(a TLS port cannot be parsed as SIP)", cfg->tls_ports[i]);
		}
	}
}

int
config_keys_apply(struct config_diag *d, const struct config_node *root,
		  struct config *cfg)
{
	struct apply a = { .d = d, .cfg = cfg };
	unsigned n;

	_Static_assert(sizeof(security_keys) / sizeof(security_keys[0]) <= SECTION_MAX_KEYS,
		       "raise SECTION_MAX_KEYS");
	if (root != NULL)
		apply_map(&a, top_keys, NULL, root);
	if (a.err == 0)
		check_cross(&a);

	n = a.n_wl_ips + a.n_wl_nets;
	if (a.err == 0 && n > 0) {
		free(cfg->whitelist);
		cfg->n_whitelist = 0;
		cfg->whitelist = calloc(n, sizeof(*cfg->whitelist));
		if (cfg->whitelist == NULL) {
			a.err = -ENOMEM;
		} else {
			if (a.n_wl_ips)
				memcpy(cfg->whitelist, a.wl_ips, a.n_wl_ips * sizeof(*a.wl_ips));
			if (a.n_wl_nets)
				memcpy(cfg->whitelist + a.n_wl_ips, a.wl_nets,
				       a.n_wl_nets * sizeof(*a.wl_nets));
			cfg->n_whitelist = n;
		}
	}
	free(a.wl_ips);
	free(a.wl_nets);
	return a.err;
}
