/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config - the YAML configuration file turned into a validated struct.
 *
 * This file reads the text, turns libyaml's event stream into a small node
 * tree and owns the struct config life cycle; config_keys.c knows the keys,
 * config_values.c checks each value, config_diag.c collects the errors.
 *
 * The event API is used rather than yaml_parser_load() because the document
 * API resolves aliases silently: here an alias is an error (a few lines of
 * nested aliases expand to gigabytes, "billion laughs"), and so are tags and
 * nesting deeper than any valid file needs. The tree is bounded in depth and
 * in node count, and the input in size, so no file can make loading slow or
 * large.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "config.h"
#include "config_keys.h"
#include "config_tree.h"
#include "config_values.h"
#include "sipmethod.h"

#define CONFIG_MAX_SIZE (4u << 20)
/* top mapping > section mapping > list: 3 levels are all a valid file
 * uses; a little slack lets "[[x]]" get a type error rather than this. */
#define CONFIG_MAX_DEPTH 6
/* Enough for every list at its CONFIG_MAX_LIST bound plus the sections. */
#define CONFIG_MAX_NODES (1u << 17)

static const char *const default_ua_blacklist[] = {
	"friendly-scanner",
	"sipvicious",
	"^sipcli.+",
};

struct config *
config_new_default(void)
{
	const unsigned n_ua = sizeof(default_ua_blacklist) / sizeof(default_ua_blacklist[0]);
	struct config *cfg;
	char ebuf[128];
	unsigned i;

	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL)
		return NULL;
	cfg->mode = CONFIG_MODE_ENFORCE;
	cfg->queue_first = 0;
	cfg->queue_count = 2;
	cfg->queue_maxlen = 16384;
	cfg->queue_rcvbuf = 16u << 20;
	cfg->queue_fail_open = true;
	cfg->queue_batch_wait_us = 200;

	cfg->udp_ports[0] = 5060;
	cfg->n_udp_ports = 1;
	cfg->tcp_ports[0] = 5060;
	cfg->n_tcp_ports = 1;
	cfg->tls_ports[0] = 5061;
	cfg->n_tls_ports = 1;

	cfg->dos_ban_enable = true;
	cfg->dos_ban_time = 3600;
	cfg->dos_reqs_density_per_unit = 50;
	cfg->dos_sampling_time_unit = 2;
	cfg->failed_auth_ban_enable = true;
	cfg->failed_auth_attempts = 3;
	cfg->failed_auth_ban_time = 3600;
	cfg->failed_auth_ban_target = CONFIG_AUTH_BAN_USER;

	cfg->ua_blacklist_methods = 1u << SIP_METHOD_REGISTER | 1u << SIP_METHOD_INVITE;
	cfg->ua_ban_ip = true;
	cfg->ua_ban_time = 3600;
	cfg->malformed = CONFIG_MALFORMED_DROP;
	cfg->reject_sqli_chars = false;

	cfg->max_sources = 1000000;
	cfg->max_bans = 100000;
	cfg->source_idle_time = 60;
	cfg->max_transactions = 65536;
	cfg->dos_ipv6_prefix = 64;
	cfg->ban_time_factor = 2;
	cfg->recidive_window = 86400;
	cfg->ban_time_max = 604800;
	cfg->enum_distinct_users = 10;
	cfg->enum_window = 60;
	cfg->scanner_fingerprints = true;
	cfg->max_auth_users = 100000;
	cfg->max_known_sources = 100000;
	cfg->known_source_time = 30u * 86400u;
	cfg->max_tcp_connections = 65536;
	cfg->tcp_idle_time = 600;
	cfg->evidence_entries = 4096;
	cfg->max_allowed = 10000; /* ALLOW_MAX_DEFAULT (allowlist.h) */
	cfg->min_ban_prefix4 = 8;
	cfg->min_ban_prefix6 = 32;

	cfg->ua_blacklist = calloc(n_ua, sizeof(*cfg->ua_blacklist));
	if (cfg->ua_blacklist == NULL)
		goto fail;
	for (i = 0; i < n_ua; i++) {
		if (config_regex_init(&cfg->ua_blacklist[i], default_ua_blacklist[i],
				      ebuf, sizeof(ebuf)) < 0)
			goto fail;
		cfg->n_ua_blacklist++;
	}
	cfg->state_dir = strdup("/var/lib/sipwarden");
	cfg->socket_path = strdup("/run/sipwarden/control.sock");
	cfg->cluster_redis_host = strdup("127.0.0.1");
	cfg->cluster_redis_port = 6379;
	cfg->cluster_key_prefix = strdup("sipwarden:");
	if (cfg->state_dir == NULL || cfg->socket_path == NULL || cfg->cluster_redis_host == NULL ||
	    cfg->cluster_key_prefix == NULL)
		goto fail;
	return cfg;
fail:
	config_free(cfg);
	return NULL;
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	config_regexes_free(cfg->ua_blacklist, cfg->n_ua_blacklist);
	free(cfg->whitelist);
	free(cfg->peering_servers);
	free(cfg->server_addresses);
	for (unsigned i = 0; i < cfg->n_blocklist_files; i++)
		free(cfg->blocklist_files[i]);
	free(cfg->blocklist_files);
	free(cfg->state_dir);
	free(cfg->socket_path);
	free(cfg->stats_file);
	free(cfg->cluster_redis_host);
	free(cfg->cluster_redis_username);
	free(cfg->cluster_redis_password);
	free(cfg->cluster_redis_tls_ca);
	free(cfg->cluster_redis_tls_cert);
	free(cfg->cluster_redis_tls_key);
	free(cfg->cluster_redis_tls_server_name);
	free(cfg->cluster_key_prefix);
	free(cfg->cluster_node_name);
	free(cfg->server_interface);
	free(cfg->cluster_key_file);
	free(cfg->path);
	free(cfg);
}

/* ---- YAML events to a node tree ---- */

struct builder {
	yaml_parser_t parser;
	struct config_diag *d;
	const char *text;
	size_t len;
	unsigned n_nodes;
};

static void
node_free(struct config_node *n)
{
	unsigned i;

	if (n == NULL)
		return;
	for (i = 0; i < n->n_kids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	free(n->str);
	free(n);
}

static void __attribute__((format(printf, 3, 4)))
report_mark(struct builder *b, const yaml_mark_t *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	config_diag_vreport(b->d, (unsigned)m->line + 1, (unsigned)m->column + 1, fmt, ap);
	va_end(ap);
}

/* libyaml's reader errors carry a byte offset, not a mark. */
static void
offset_to_pos(const char *text, size_t len, size_t off, unsigned *line, unsigned *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off && i < len; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static int
report_syntax(struct builder *b)
{
	const yaml_parser_t *p = &b->parser;
	const char *problem = p->problem != NULL ? p->problem : "unknown error";
	unsigned line, col;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return -ENOMEM;
	case YAML_READER_ERROR:
		offset_to_pos(b->text, b->len, p->problem_offset, &line, &col);
		config_diag_report(b->d, line, col, "YAML syntax error: %s", problem);
		break;
	default:
		line = (unsigned)p->problem_mark.line + 1;
		col = (unsigned)p->problem_mark.column + 1;
		if (p->context != NULL)
			config_diag_report(b->d, line, col,
					   "YAML syntax error: %s (%s at %u:%u)",
					   problem, p->context,
					   (unsigned)p->context_mark.line + 1,
					   (unsigned)p->context_mark.column + 1);
		else
			config_diag_report(b->d, line, col, "YAML syntax error: %s",
					   problem);
		break;
	}
	return -EINVAL;
}

static int
next_event(struct builder *b, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&b->parser, ev))
		return report_syntax(b);
	return 0;
}

/* Consume the rest of a collection whose start event was just read. */
static int
skip_collection(struct builder *b)
{
	yaml_event_t ev;
	unsigned depth = 1;
	int rc;

	while (depth > 0) {
		if ((rc = next_event(b, &ev)) < 0)
			return rc;
		if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT)
			depth++;
		else if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT)
			depth--;
		yaml_event_delete(&ev);
	}
	return 0;
}

static int
node_new(struct builder *b, const yaml_event_t *ev, enum config_node_type type,
	 struct config_node **out)
{
	struct config_node *n;

	if (++b->n_nodes > CONFIG_MAX_NODES) {
		config_diag_report(b->d, (unsigned)ev->start_mark.line + 1,
				   (unsigned)ev->start_mark.column + 1,
				   "too many YAML nodes (at most %u)", CONFIG_MAX_NODES);
		return -EINVAL;
	}
	n = calloc(1, sizeof(*n));
	if (n == NULL)
		return -ENOMEM;
	n->type = type;
	n->line = (unsigned)ev->start_mark.line + 1;
	n->col = (unsigned)ev->start_mark.column + 1;
	*out = n;
	return 0;
}

static int
node_add_kid(struct config_node *parent, struct config_node *kid)
{
	struct config_node **k;

	/* Grow by doubling; n_kids is bounded by CONFIG_MAX_NODES. */
	if ((parent->n_kids & (parent->n_kids - 1)) == 0) {
		k = reallocarray(parent->kids, parent->n_kids ? parent->n_kids * 2 : 4,
				 sizeof(*k));
		if (k == NULL)
			return -ENOMEM;
		parent->kids = k;
	}
	parent->kids[parent->n_kids++] = kid;
	return 0;
}

static int build_node(struct builder *b, yaml_event_t *ev, unsigned depth,
		      struct config_node **out);

static int
build_collection(struct builder *b, yaml_event_t *ev, unsigned depth,
		 struct config_node *n)
{
	yaml_event_type_t end = ev->type == YAML_SEQUENCE_START_EVENT ?
		YAML_SEQUENCE_END_EVENT : YAML_MAPPING_END_EVENT;
	struct config_node *kid;
	yaml_event_t kev;
	int rc;

	for (;;) {
		if ((rc = next_event(b, &kev)) < 0)
			return rc;
		if (kev.type == end) {
			yaml_event_delete(&kev);
			return 0;
		}
		kid = NULL;
		rc = build_node(b, &kev, depth + 1, &kid);
		yaml_event_delete(&kev);
		if (rc == 0)
			rc = node_add_kid(n, kid);
		if (rc < 0) {
			node_free(kid);
			return rc;
		}
	}
}

/* Build the node that starts with ev (the caller deletes ev). */
static int
build_node(struct builder *b, yaml_event_t *ev, unsigned depth,
	   struct config_node **out)
{
	const yaml_char_t *tag = NULL;
	struct config_node *n;
	int rc;

	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		tag = ev->data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		tag = ev->data.sequence_start.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		tag = ev->data.mapping_start.tag;
		break;
	case YAML_ALIAS_EVENT:
		break;
	default:
		/* The parser only yields the events above inside a document. */
		report_mark(b, &ev->start_mark, "unexpected YAML event");
		return -EINVAL;
	}
	if ((rc = node_new(b, ev, CONFIG_NODE_BAD, &n)) < 0)
		return rc;
	*out = n;

	if (ev->type == YAML_ALIAS_EVENT) {
		report_mark(b, &ev->start_mark,
			    "YAML aliases are not allowed ('*%.64s'): write the value out",
			    (const char *)ev->data.alias.anchor);
		return 0;
	}
	if (tag != NULL) {
		/* Not echoed: libyaml decodes %XX in tags, so one could
		 * carry terminal escapes into the operator's terminal. */
		report_mark(b, &ev->start_mark, "YAML tags (!...) are not allowed");
	} else if (ev->type == YAML_SCALAR_EVENT) {
		n->type = CONFIG_NODE_SCALAR;
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		n->len = ev->data.scalar.length;
		n->str = malloc(n->len + 1);
		if (n->str == NULL)
			return -ENOMEM;
		memcpy(n->str, ev->data.scalar.value, n->len);
		n->str[n->len] = '\0';
		return 0;
	} else if (depth >= CONFIG_MAX_DEPTH) {
		report_mark(b, &ev->start_mark, "YAML nesting too deep (at most %d levels)",
			    CONFIG_MAX_DEPTH);
	} else {
		n->type = ev->type == YAML_SEQUENCE_START_EVENT ?
			CONFIG_NODE_SEQ : CONFIG_NODE_MAP;
		return build_collection(b, ev, depth, n);
	}
	/* A rejected collection: consume it without building anything. */
	if (ev->type != YAML_SCALAR_EVENT)
		return skip_collection(b);
	return 0;
}

/*
 * Parse text into *root (NULL for a stream without a document). Returns 0
 * (errors found on the way are counted in b->d), -EINVAL after a syntax
 * error, or -ENOMEM.
 */
static int
build_tree(struct builder *b, struct config_node **root)
{
	yaml_event_t ev;
	int rc, state = 0;

	*root = NULL;
	for (;;) {
		if ((rc = next_event(b, &ev)) < 0)
			return rc;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			yaml_event_delete(&ev);
			return 0;
		case YAML_DOCUMENT_START_EVENT:
			if (state++ > 0) {
				report_mark(b, &ev.start_mark,
					    "only one YAML document is allowed");
				yaml_event_delete(&ev);
				return 0;
			}
			break;
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			break;
		default:
			rc = build_node(b, &ev, 0, root);
			if (rc < 0) {
				yaml_event_delete(&ev);
				return rc;
			}
			break;
		}
		yaml_event_delete(&ev);
	}
}

/* ---- loading ---- */

int
config_load_buffer(const char *name, const char *text, size_t len,
		   struct config **out, FILE *err)
{
	struct config_diag d = { .name = name, .err = err };
	struct config_node *root = NULL;
	struct builder b = { .d = &d, .text = text, .len = len };
	struct config *cfg = NULL;
	int rc;

	if (len > CONFIG_MAX_SIZE) {
		if (err != NULL)
			fprintf(err, "%s: file too large (%zu bytes, at most %u)\n",
				name, len, CONFIG_MAX_SIZE);
		return -EFBIG;
	}
	if (!yaml_parser_initialize(&b.parser))
		return -ENOMEM;
	/* libyaml asserts on a NULL input even when it is empty. */
	yaml_parser_set_input_string(&b.parser,
				     (const unsigned char *)(text != NULL ? text : ""), len);
	rc = build_tree(&b, &root);
	yaml_parser_delete(&b.parser);
	if (rc < 0)
		goto out;

	cfg = config_new_default();
	if (cfg == NULL || (cfg->path = strdup(name)) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	rc = config_keys_apply(&d, root, cfg);
	if (rc == 0 && d.n_errors > 0)
		rc = -EINVAL;
out:
	config_diag_flush(&d);
	node_free(root);
	if (rc < 0) {
		config_free(cfg);
		return rc;
	}
	*out = cfg;
	return 0;
}

int
config_read_file(const char *path, size_t max, char **textp, size_t *lenp, FILE *err)
{
	size_t len = 0, cap = 0;
	char *text = NULL, *t;
	ssize_t r;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	/* Read until EOF rather than trusting st_size, which pipes and
	 * procfs-like files do not have; the cap bounds memory either way. */
	for (;;) {
		if (len == cap) {
			if (cap > max) {
				if (err != NULL)
					fprintf(err, "%s: file too large (at most %zu bytes)\n",
						path, max);
				rc = -EFBIG;
				goto out;
			}
			cap = cap ? cap * 2 : 16384;
			t = realloc(text, cap + 1);
			if (t == NULL) {
				rc = -ENOMEM;
				goto out;
			}
			text = t;
		}
		r = read(fd, text + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	*textp = text;
	*lenp = len;
	text = NULL;
out:
	if (rc < 0 && rc != -EFBIG && err != NULL)
		fprintf(err, "%s: %s\n", path, strerror(-rc));
	if (fd >= 0)
		close(fd);
	free(text);
	return rc;
}

int
config_load_file(const char *path, struct config **out, FILE *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	rc = config_read_file(path, CONFIG_MAX_SIZE, &text, &len, err);
	if (rc < 0)
		return rc;
	rc = config_load_buffer(path, text, len, out, err);
	free(text);
	return rc;
}

/* ---- queries ---- */

bool
config_ban_prefix_ok(const struct config *cfg, int family, unsigned plen)
{
	return plen >= (family == AF_INET ? cfg->min_ban_prefix4 : cfg->min_ban_prefix6) &&
	       plen > 0;
}

bool
config_is_trusted(const struct config *cfg, const struct addr *a)
{
	unsigned i;

	for (i = 0; i < cfg->n_whitelist; i++)
		if (addr_net_contains(&cfg->whitelist[i], a))
			return true;
	for (i = 0; i < cfg->n_peering_servers; i++)
		if (addr_net_contains(&cfg->peering_servers[i], a))
			return true;
	return false;
}

static void
print_ports(FILE *out, const char *var, const uint16_t *ports, unsigned n)
{
	unsigned i;

	fprintf(out, "%s=", var);
	for (i = 0; i < n; i++)
		fprintf(out, "%s%u", i ? "," : "", ports[i]);
	fputc('\n', out);
}

void
config_print_rules_env(const struct config *cfg, FILE *out)
{
	fprintf(out, "QUEUE_FIRST=%u\n", cfg->queue_first);
	fprintf(out, "QUEUE_COUNT=%u\n", cfg->queue_count);
	fprintf(out, "FAIL_OPEN=%d\n", cfg->queue_fail_open ? 1 : 0);
	print_ports(out, "UDP_PORTS", cfg->udp_ports, cfg->n_udp_ports);
	print_ports(out, "TCP_PORTS", cfg->tcp_ports, cfg->n_tcp_ports);
	print_ports(out, "TLS_PORTS", cfg->tls_ports, cfg->n_tls_ports);
	fprintf(out, "MODE=%s\n", cfg->mode == CONFIG_MODE_MONITOR ? "monitor" : "enforce");
	fprintf(out, "MAX_BANS=%u\n", cfg->max_bans);
	fputs("SERVER_ADDRESSES=", out);
	for (unsigned i = 0; i < cfg->n_server_addresses; i++) {
		char buf[ADDR_STRLEN];

		fprintf(out, "%s%s/%u", i ? "," : "",
			addr_format(&cfg->server_addresses[i].base, buf, sizeof(buf)),
			cfg->server_addresses[i].plen);
	}
	fputc('\n', out);
}
