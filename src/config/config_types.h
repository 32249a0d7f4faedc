/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_CONFIG_TYPES_H
#define SIPWARDEN_CONFIG_TYPES_H

/*
 * config_types - struct config and its constants, apart from the functions
 * that load it (config.h): config_keys.c and config_values.c fill the
 * struct for config.c and need its shape, not config.c. With the type here
 * the config files form no include cycle (tests/lint/layers.sh).
 */

#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"

#define CONFIG_MAX_PORTS 32
#define CONFIG_MAX_LIST 4096 /* whitelist / peers / regex list entries */
#define CONFIG_DEFAULT_PATH "/etc/sipwarden/sipwarden.yml"

enum config_mode { CONFIG_MODE_ENFORCE = 0, CONFIG_MODE_MONITOR };
enum config_malformed { CONFIG_MALFORMED_DROP = 0, CONFIG_MALFORMED_ACCEPT };
enum config_user_reply { CONFIG_USER_REPLY_DROP = 0, CONFIG_USER_REPLY_403 };
enum config_auth_target {
	CONFIG_AUTH_BAN_USER = 1,
	CONFIG_AUTH_BAN_IP = 2,
	CONFIG_AUTH_BAN_BOTH = 3,
};

/* SIP methods as a bit set, for ua_blacklist_methods. Bit numbers are
 * enum sip_method values (sipmethod.h). */
typedef uint32_t config_method_set;

/* A cluster node name or Redis key prefix: letters, digits, '.', '_', '-'
 * (and ':' in a prefix), 1..max bytes. The config validates them; the
 * cluster wire format (cluster_proto.h) sizes its buffers by them. */
#define CONFIG_NODE_MAX 63
#define CONFIG_PREFIX_MAX 64
bool config_name_valid(const char *s, bool prefix); /* config_values.c */

struct config_regex {
	char *pattern;
	regex_t re; /* compiled REG_EXTENDED | REG_NOSUB */
};

struct config {
	char *path;
	enum config_mode mode;                 /* mode: enforce|monitor */

	/* queue: */
	uint16_t queue_first;                  /* queue.first, default 0 */
	uint16_t queue_count;                  /* queue.count, default 2, 1..64 */
	uint32_t queue_maxlen;                 /* queue.maxlen, default 16384 */
	uint32_t queue_rcvbuf;                 /* queue.rcvbuf bytes, default 16 MiB */
	bool queue_fail_open;                  /* queue.fail_open, default yes */
	uint32_t queue_batch_wait_us;          /* queue.batch_wait_us, default 200, 0 = off */

	/* sip: */
	uint16_t udp_ports[CONFIG_MAX_PORTS];  /* sip.udp_ports, default [5060] */
	unsigned n_udp_ports;
	uint16_t tcp_ports[CONFIG_MAX_PORTS];  /* sip.tcp_ports, default [5060] */
	unsigned n_tcp_ports;
	uint16_t tls_ports[CONFIG_MAX_PORTS];  /* sip.tls_ports, default [5061] */
	unsigned n_tls_ports;
	struct addr_net *server_addresses;     /* sip.server_addresses: gateway mode, */
	unsigned n_server_addresses;           /*  replies from these are analysed */
	char *server_interface;                /* sip.server_interface: where their replies */
	                                       /*  come in; NULL: learned from the route */

	/* security: (Sipwise NGCP key names first) */
	bool dos_ban_enable;                   /* default yes */
	uint32_t dos_ban_time;                 /* seconds, default 3600, 1..31536000 */
	uint32_t dos_reqs_density_per_unit;    /* default 50, 1..100000 */
	uint32_t dos_sampling_time_unit;       /* seconds, default 2, 1..3600 */
	struct addr_net *whitelist;            /* dos_whitelisted_ips (as /32, /128) */
	unsigned n_whitelist;                  /*  followed by dos_whitelisted_subnets */
	bool failed_auth_ban_enable;           /* default yes */
	uint32_t failed_auth_attempts;         /* default 3, 1..1000 */
	uint32_t failed_auth_ban_time;         /* seconds, default 3600 */
	enum config_auth_target failed_auth_ban_target; /* user|ip|both, default user */

	struct config_regex *ua_blacklist;     /* default friendly-scanner, sipvicious, ^sipcli.+ */
	unsigned n_ua_blacklist;
	config_method_set ua_blacklist_methods;/* default REGISTER, INVITE */
	bool ua_ban_ip;                        /* default yes */
	uint32_t ua_ban_time;                  /* seconds, default 3600 */
	enum config_malformed malformed;       /* drop|accept, default drop */
	bool reject_sqli_chars;                /* default no */

	/* Beyond the NGCP keys (security: too) */
	uint32_t dos_ipv6_prefix;              /* density and bans per IPv6 prefix, default 64 */
	bool ban_time_increment;               /* repeat offenders get longer bans, default no */
	uint32_t ban_time_factor;              /* multiplier per repeat, default 2 */
	uint32_t recidive_window;              /* seconds a past ban counts, default 86400 */
	uint32_t ban_time_max;                 /* cap of an increased ban, default 604800 */
	uint32_t enum_distinct_users;          /* enumeration: 0 off, default 10 */
	uint32_t enum_window;                  /* seconds, default 60 */
	bool scanner_fingerprints;             /* sipvicious traits beyond its UA, default yes */
	enum config_user_reply banned_user_reply; /* drop|403, default drop */
	uint32_t known_source_time;            /* s a user's good source stays exempt from */
	                                       /*  the user's ban; default 30 days, 0 off */
	char **blocklist_files;                /* blocklist_files: absolute paths */
	unsigned n_blocklist_files;

	struct addr_net *peering_servers;      /* top-level peering_servers: never DoS-banned */
	unsigned n_peering_servers;

	/* limits: */
	uint32_t max_sources;                  /* limits.max_sources, default 1000000 */
	uint32_t max_bans;                     /* limits.max_bans, default 100000 */
	uint32_t source_idle_time;             /* limits.source_idle_time s, default 60 */
	uint32_t max_transactions;             /* limits.max_transactions, default 65536 */
	uint32_t max_auth_users;               /* limits.max_auth_users, default 100000 */
	uint32_t max_known_sources;            /* limits.max_known_sources, default 100000 */
	uint32_t max_tcp_connections;          /* limits.max_tcp_connections, default 65536 */
	uint32_t tcp_idle_time;                /* limits.tcp_idle_time s, default 600 */
	uint32_t evidence_entries;             /* limits.evidence_entries, default 4096 */
	uint32_t max_allowed;                  /* limits.max_allowed, default 10000 */
	uint32_t min_ban_prefix4;              /* limits.min_ban_prefix4, default 8 */
	uint32_t min_ban_prefix6;              /* limits.min_ban_prefix6, default 32 */

	/* daemon: */
	char *state_dir;                       /* daemon.state_dir, default /var/lib/sipwarden */
	char *socket_path;                     /* daemon.socket, default /run/sipwarden/control.sock */
	char *stats_file;                      /* daemon.stats_file, default NULL (off) */

	/* cluster: bans shared through Redis (doc/cluster.md) */
	bool cluster_enabled;                  /* cluster.enabled, default no */
	char *cluster_redis_host;              /* name, address or socket path, default 127.0.0.1 */
	uint16_t cluster_redis_port;           /* cluster.redis_port, default 6379 */
	char *cluster_redis_username;          /* ACL user for AUTH, default NULL */
	char *cluster_redis_password;          /* AUTH, default NULL (none) */
	bool cluster_redis_tls;                /* cluster.redis_tls, default no */
	char *cluster_redis_tls_ca;            /* cluster.redis_tls_ca_file, default NULL */
	char *cluster_redis_tls_cert;          /* cluster.redis_tls_cert_file, default NULL */
	char *cluster_redis_tls_key;           /* cluster.redis_tls_key_file, default NULL */
	char *cluster_redis_tls_server_name;   /* SNI and name check, default redis_host */
	char *cluster_key_prefix;              /* cluster.key_prefix, default "sipwarden:" */
	char *cluster_node_name;               /* cluster.node_name, default NULL (host name) */
	char *cluster_key_file;                /* cluster.key_file: the HMAC key, required when
						* enabled (checked at start, not here) */
};

#endif
