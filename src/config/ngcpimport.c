/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ngcpimport - the security settings of a Sipwise NGCP config.yml turned
 * into a sipwarden configuration. See ngcpimport.h for the contract.
 *
 * libyaml's document API is used: an NGCP config.yml is an ordinary
 * operator-written file and we only look up a few paths in it. Aliases are
 * references in that API, not copies, so they cost nothing to load; the one
 * place that walks arbitrary values (the "not imported" comments) is bounded
 * in depth and in output bytes, so even a self-referencing alias ends.
 *
 * Values are not checked here beyond their shape: the text produced is run
 * through config_load_buffer(), sipwarden's own loader, and its complaints
 * are mapped back to the NGCP file's line and column. One set of rules,
 * and the output is known to pass `sipwarden --check-config`.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <yaml.h>

#include "config.h"
#include "ngcpimport.h"

#define MAP_MAX 32          /* output lines traced back to the NGCP file */
#define RENDER_MAX 160      /* bytes of a not-imported value shown */
#define RENDER_DEPTH 4
#define WHAT_MAX 96
#define VALIDATE_NAME "<imported>"

/* The NGCP keys sipwarden shares, with the two list-valued ones marked. */
static const struct {
	const char *name;
	bool list;
} ngcp_keys[] = {
	{ "dos_ban_enable", false },
	{ "dos_ban_time", false },
	{ "dos_reqs_density_per_unit", false },
	{ "dos_sampling_time_unit", false },
	{ "dos_whitelisted_ips", true },
	{ "dos_whitelisted_subnets", true },
	{ "failed_auth_attempts", false },
	{ "failed_auth_ban_enable", false },
	{ "failed_auth_ban_time", false },
};
#define N_NGCP_KEYS (sizeof(ngcp_keys) / sizeof(ngcp_keys[0]))

/* One output line and the NGCP value it came from. */
struct srcpos {
	unsigned out_line;
	unsigned line, col;
	char what[WHAT_MAX];
};

struct imp {
	const char *name;
	FILE *err;
	yaml_document_t doc;
	FILE *o;                 /* memstream of the output */
	unsigned line;           /* output line being written, 1-based */
	struct srcpos map[MAP_MAX];
	unsigned n_map;
	unsigned n_errors;
	const char *where;       /* the section's path, for messages */
};

static void __attribute__((format(printf, 3, 4)))
report(struct imp *im, const yaml_mark_t *m, const char *fmt, ...)
{
	va_list ap;

	im->n_errors++;
	if (im->err == NULL)
		return;
	fprintf(im->err, "%s:%u:%u: ", im->name, (unsigned)m->line + 1, (unsigned)m->column + 1);
	va_start(ap, fmt);
	vfprintf(im->err, fmt, ap);
	va_end(ap);
	fputc('\n', im->err);
}

static yaml_node_t *
node(struct imp *im, int id)
{
	return yaml_document_get_node(&im->doc, id);
}

static bool
scalar_is(const yaml_node_t *n, const char *s)
{
	return n != NULL && n->type == YAML_SCALAR_NODE && n->data.scalar.length == strlen(s) &&
	       memcmp(n->data.scalar.value, s, n->data.scalar.length) == 0;
}

static bool
is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };

	if (n == NULL || n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (scalar_is(n, nulls[i]))
			return true;
	return false;
}

static const char *
type_name(const yaml_node_t *n)
{
	if (n == NULL)
		return "nothing";
	if (is_null(n))
		return "an empty value";
	switch (n->type) {
	case YAML_SCALAR_NODE: return "a scalar";
	case YAML_SEQUENCE_NODE: return "a sequence";
	case YAML_MAPPING_NODE: return "a mapping";
	default: return "nothing";
	}
}

/* The first pair of map whose key is the scalar key; NULL when none. */
static yaml_node_pair_t *
map_pair(struct imp *im, const yaml_node_t *map, const char *key)
{
	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++)
		if (scalar_is(node(im, p->key), key))
			return p;
	return NULL;
}

static int
ngcp_key_index(const yaml_node_t *k)
{
	for (size_t i = 0; i < N_NGCP_KEYS; i++)
		if (scalar_is(k, ngcp_keys[i].name))
			return (int)i;
	return -1;
}

/* ---- writing ---- */

static void
endl(struct imp *im)
{
	fputc('\n', im->o);
	im->line++;
}

/* Remember that the line being written carries the value at m. */
static void
trace(struct imp *im, const yaml_mark_t *m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void
trace(struct imp *im, const yaml_mark_t *m, const char *fmt, ...)
{
	struct srcpos *s;
	va_list ap;

	if (im->n_map >= MAP_MAX)
		return; /* cannot happen: duplicates are refused, keys are few */
	s = &im->map[im->n_map++];
	s->out_line = im->line;
	s->line = (unsigned)m->line + 1;
	s->col = (unsigned)m->column + 1;
	va_start(ap, fmt);
	vsnprintf(s->what, sizeof(s->what), fmt, ap);
	va_end(ap);
}

/* Letters, digits and a few marks read the same plain in any YAML context. */
static bool
plain_safe(const unsigned char *s, size_t len)
{
	if (len == 0 || !((s[0] >= '0' && s[0] <= '9') || (unsigned)((s[0] | 0x20) - 'a') < 26u))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (!((c >= '0' && c <= '9') || (unsigned)((c | 0x20) - 'a') < 26u || c == '_' || c == '.' ||
		      c == '-' || c == '/'))
			return false;
	}
	return true;
}

/* A scalar as a YAML value that means the same to sipwarden's loader. */
static void
put_scalar(struct imp *im, const yaml_node_t *n)
{
	const unsigned char *s = n->data.scalar.value;
	size_t len = n->data.scalar.length;

	if (is_null(n)) {
		fputc('~', im->o);
		return;
	}
	if (plain_safe(s, len)) {
		fwrite(s, 1, len, im->o);
		return;
	}
	fputc('"', im->o);
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			fprintf(im->o, "\\%c", s[i]);
		else if (s[i] < 0x20 || s[i] == 0x7f)
			fprintf(im->o, "\\x%02x", s[i]);
		else
			fputc(s[i], im->o); /* UTF-8: libyaml checked it */
	}
	fputc('"', im->o);
}

/* Append s to a bounded buffer, for comments: printable ASCII only. */
static void
buf_put(char *buf, size_t *o, const unsigned char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < len && *o < RENDER_MAX; i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\') {
			buf[(*o)++] = (char)s[i];
		} else if (*o + 4 <= RENDER_MAX) {
			buf[(*o)++] = '\\';
			buf[(*o)++] = 'x';
			buf[(*o)++] = hex[s[i] >> 4];
			buf[(*o)++] = hex[s[i] & 15];
		} else {
			*o = RENDER_MAX;
		}
	}
}

#define BUF_PUTS(b, o, s) buf_put((b), (o), (const unsigned char *)(s), strlen(s))

/* Flow-style rendering of any value, cut at RENDER_MAX bytes or depth. */
static void
render(struct imp *im, const yaml_node_t *n, unsigned depth, char *buf, size_t *o)
{
	if (n == NULL)
		return;
	if (n->type == YAML_SCALAR_NODE) {
		if (n->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
		    n->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE) {
			BUF_PUTS(buf, o, "'");
			buf_put(buf, o, n->data.scalar.value, n->data.scalar.length);
			BUF_PUTS(buf, o, "'");
		} else {
			buf_put(buf, o, n->data.scalar.value, n->data.scalar.length);
		}
		return;
	}
	if (depth >= RENDER_DEPTH) {
		BUF_PUTS(buf, o, "...");
		return;
	}
	if (n->type == YAML_SEQUENCE_NODE) {
		BUF_PUTS(buf, o, "[");
		for (yaml_node_item_t *it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top && *o < RENDER_MAX; it++) {
			if (it != n->data.sequence.items.start)
				BUF_PUTS(buf, o, ", ");
			render(im, node(im, *it), depth + 1, buf, o);
		}
		BUF_PUTS(buf, o, "]");
	} else if (n->type == YAML_MAPPING_NODE) {
		BUF_PUTS(buf, o, "{");
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
		     p < n->data.mapping.pairs.top && *o < RENDER_MAX; p++) {
			if (p != n->data.mapping.pairs.start)
				BUF_PUTS(buf, o, ", ");
			render(im, node(im, p->key), depth + 1, buf, o);
			BUF_PUTS(buf, o, ": ");
			render(im, node(im, p->value), depth + 1, buf, o);
		}
		BUF_PUTS(buf, o, "}");
	}
}

static void
put_not_imported(struct imp *im, const yaml_node_t *k, const yaml_node_t *v)
{
	char buf[RENDER_MAX + 4];
	size_t o = 0;

	render(im, k, RENDER_DEPTH - 1, buf, &o);
	BUF_PUTS(buf, &o, ": ");
	render(im, v, 0, buf, &o);
	if (o >= RENDER_MAX) {
		o = RENDER_MAX;
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	fprintf(im->o, "  # not imported: %s", buf);
	endl(im);
}

/* ---- the sections ---- */

static int
parse_bool(const yaml_node_t *n, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	if (n == NULL || n->type != YAML_SCALAR_NODE || strlen((const char *)n->data.scalar.value) !=
							     n->data.scalar.length)
		return -EINVAL;
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp((const char *)n->data.scalar.value, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp((const char *)n->data.scalar.value, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static bool
want_port(struct imp *im, const yaml_node_pair_t *p, const char *what)
{
	const yaml_node_t *v = node(im, p->value);

	if (v->type == YAML_SCALAR_NODE && !is_null(v))
		return true;
	report(im, &v->start_mark, "%s: expected a port number, got %s", what, type_name(v));
	return false;
}

/* kamailio.lb.port and kamailio.lb.tls.{enable,port} -> sip: */
static void
put_ports(struct imp *im, yaml_node_t *lb)
{
	yaml_node_pair_t *port = map_pair(im, lb, "port"), *tls = map_pair(im, lb, "tls");
	yaml_node_pair_t *en = NULL, *tport = NULL;
	yaml_node_t *tv = tls ? node(im, tls->value) : NULL;
	bool enabled = false;

	if (tv != NULL && !is_null(tv)) {
		if (tv->type != YAML_MAPPING_NODE) {
			report(im, &tv->start_mark, "kamailio.lb.tls: expected a mapping, got %s",
			       type_name(tv));
			return;
		}
		en = map_pair(im, tv, "enable");
		tport = map_pair(im, tv, "port");
	}
	if (en != NULL && parse_bool(node(im, en->value), &enabled) < 0) {
		report(im, &node(im, en->value)->start_mark,
		       "kamailio.lb.tls.enable: invalid boolean (expected yes/no)");
		return;
	}
	if (port == NULL && tls == NULL)
		return;
	if (port != NULL && !want_port(im, port, "kamailio.lb.port"))
		return;
	if (enabled && tport != NULL && !want_port(im, tport, "kamailio.lb.tls.port"))
		return;

	fputs("sip:", im->o);
	endl(im);
	if (port != NULL) {
		const char *const keys[] = { "udp_ports", "tcp_ports" };

		for (int i = 0; i < 2; i++) {
			trace(im, &node(im, port->value)->start_mark, "kamailio.lb.port");
			fprintf(im->o, "  %s: [", keys[i]);
			put_scalar(im, node(im, port->value));
			fputs("]   # kamailio.lb.port", im->o);
			endl(im);
		}
	}
	if (tls == NULL)
		return;
	if (enabled) {
		trace(im, &node(im, (tport ? tport : en)->value)->start_mark,
		      tport ? "kamailio.lb.tls.port" : "kamailio.lb.tls.enable");
		fputs("  tls_ports: [", im->o);
		if (tport != NULL)
			put_scalar(im, node(im, tport->value));
		else
			fputs("5061", im->o);
		fprintf(im->o, "]   # kamailio.lb.tls.enable: yes%s",
			tport ? ", kamailio.lb.tls.port" : " (NGCP's default port)");
	} else {
		trace(im, &node(im, (en ? en : tls)->key)->start_mark, "kamailio.lb.tls");
		fprintf(im->o, "  tls_ports: []   # kamailio.lb.tls.enable: %s",
			en ? "no" : "not set (NGCP's default: off)");
	}
	endl(im);
}

static void
put_list(struct imp *im, const char *key, const yaml_node_t *k, const yaml_node_t *v)
{
	if (v->type == YAML_MAPPING_NODE) {
		report(im, &v->start_mark, "%s.%s: expected a list of addresses, got a mapping",
		       im->where, key);
		return;
	}
	if (v->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = v->data.sequence.items.start;
		     it < v->data.sequence.items.top; it++) {
			const yaml_node_t *n = node(im, *it);

			if (n->type != YAML_SCALAR_NODE || is_null(n)) {
				report(im, &n->start_mark, "%s.%s: expected an address, got %s",
				       im->where, key, type_name(n));
				return;
			}
		}
	}
	trace(im, is_null(v) ? &k->start_mark : &v->start_mark, "%s.%s", im->where, key);
	fprintf(im->o, "  %s: [", key);
	if (v->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = v->data.sequence.items.start;
		     it < v->data.sequence.items.top; it++) {
			if (it != v->data.sequence.items.start)
				fputs(", ", im->o);
			put_scalar(im, node(im, *it));
		}
	} else if (!is_null(v)) {
		put_scalar(im, v); /* one address written without brackets */
	}
	fputc(']', im->o);
	endl(im);
}

static void
put_security(struct imp *im, yaml_node_t *sec)
{
	const yaml_node_t *seen[N_NGCP_KEYS] = { 0 };

	if (sec->type != YAML_MAPPING_NODE && !is_null(sec)) {
		report(im, &sec->start_mark, "%s: expected a mapping, got %s", im->where,
		       type_name(sec));
		return;
	}
	fputs("security:", im->o);
	endl(im);
	if (is_null(sec) || sec->data.mapping.pairs.start == sec->data.mapping.pairs.top) {
		fprintf(im->o, "  # %s is empty in the NGCP file: sipwarden's defaults apply",
			im->where);
		endl(im);
		return;
	}
	for (yaml_node_pair_t *p = sec->data.mapping.pairs.start;
	     p < sec->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = node(im, p->key), *v = node(im, p->value);
		int i = ngcp_key_index(k);

		if (i < 0) {
			put_not_imported(im, k, v);
			continue;
		}
		if (seen[i] != NULL) {
			report(im, &k->start_mark, "duplicate key '%s' in %s (first at line %u)",
			       ngcp_keys[i].name, im->where, (unsigned)seen[i]->start_mark.line + 1);
			continue;
		}
		seen[i] = k;
		if (ngcp_keys[i].list) {
			put_list(im, ngcp_keys[i].name, k, v);
			continue;
		}
		if (v->type != YAML_SCALAR_NODE) {
			report(im, &v->start_mark, "%s.%s: expected a scalar, got %s", im->where,
			       ngcp_keys[i].name, type_name(v));
			continue;
		}
		trace(im, is_null(v) ? &k->start_mark : &v->start_mark, "%s.%s", im->where,
		      ngcp_keys[i].name);
		fprintf(im->o, "  %s: ", ngcp_keys[i].name);
		put_scalar(im, v);
		endl(im);
	}
}

/*
 * Find the section: kamailio.lb.security, else a top-level security, else
 * the top level itself when it holds NGCP security keys. *lb is set when
 * the file is a full NGCP config.yml (ports are read from it).
 */
static yaml_node_t *
find_section(struct imp *im, yaml_node_t *root, yaml_node_t **lb)
{
	yaml_node_pair_t *p;
	yaml_node_t *kam = NULL;

	*lb = NULL;
	if (root->type != YAML_MAPPING_NODE) {
		report(im, &root->start_mark, "expected a mapping at the top level (an NGCP "
		       "config.yml), got %s", type_name(root));
		return NULL;
	}
	if ((p = map_pair(im, root, "kamailio")) != NULL) {
		yaml_node_pair_t *lp, *sp;

		kam = node(im, p->value);
		lp = map_pair(im, kam, "lb");
		sp = lp ? map_pair(im, node(im, lp->value), "security") : NULL;
		if (sp != NULL) {
			*lb = node(im, lp->value);
			im->where = "kamailio.lb.security";
			return node(im, sp->value);
		}
	}
	if ((p = map_pair(im, root, "security")) != NULL) {
		im->where = "security";
		return node(im, p->value);
	}
	for (p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		if (ngcp_key_index(node(im, p->key)) >= 0) {
			im->where = "security";
			return root;
		}
	}
	report(im, kam ? &kam->start_mark : &root->start_mark,
	       "no security section: expected kamailio: lb: security: (NGCP config.yml), "
	       "a top-level security: or the NGCP security keys (dos_ban_enable, ...)");
	return NULL;
}

/* ---- validation by sipwarden's own loader ---- */

static const struct srcpos *
lookup(const struct imp *im, unsigned out_line)
{
	for (unsigned i = 0; i < im->n_map; i++)
		if (im->map[i].out_line == out_line)
			return &im->map[i];
	return NULL;
}

/* Print the loader's "<imported>:L:C: msg" lines at their NGCP places. */
static void
remap_errors(struct imp *im, char *errs)
{
	const size_t pfx = strlen(VALIDATE_NAME ":");

	for (char *line = errs, *nl; line != NULL && *line; line = nl) {
		const struct srcpos *s = NULL;
		unsigned l, c;
		int used = 0;

		nl = strchr(line, '\n');
		if (nl != NULL)
			*nl++ = '\0';
		im->n_errors++;
		if (strncmp(line, VALIDATE_NAME ":", pfx) == 0 &&
		    sscanf(line + pfx, "%u:%u: %n", &l, &c, &used) == 2 && used > 0)
			s = lookup(im, l);
		if (im->err == NULL)
			continue;
		if (s == NULL)
			fprintf(im->err, "%s: the imported configuration is refused: %s\n",
				im->name, line);
		else if (strncmp(line + pfx + (size_t)used, "security.", 9) == 0)
			fprintf(im->err, "%s:%u:%u: %s\n", im->name, s->line, s->col,
				line + pfx + (size_t)used);
		else
			fprintf(im->err, "%s:%u:%u: %s (from %s)\n", im->name, s->line, s->col,
				line + pfx + (size_t)used, s->what);
	}
}

static int
validate(struct imp *im, const char *text, size_t len)
{
	struct config *cfg = NULL;
	char *errs = NULL;
	size_t elen = 0;
	FILE *es;
	int rc;

	es = open_memstream(&errs, &elen);
	if (es == NULL)
		return -ENOMEM;
	rc = config_load_buffer(VALIDATE_NAME, text, len, &cfg, es);
	if (fclose(es) != 0 && rc == 0)
		rc = -ENOMEM;
	config_free(cfg);
	if (rc == -EINVAL)
		remap_errors(im, errs);
	free(errs);
	return rc;
}

/* ---- entry points ---- */

static void
report_syntax(struct imp *im, const yaml_parser_t *p, const char *text, size_t len)
{
	const char *problem = p->problem != NULL ? p->problem : "unknown error";
	yaml_mark_t m = p->problem_mark;

	if (p->error == YAML_READER_ERROR) {
		/* Reader errors carry a byte offset, not a mark. */
		m.line = 0;
		m.column = 0;
		for (size_t i = 0; i < p->problem_offset && i < len; i++) {
			if (text[i] == '\n') {
				m.line++;
				m.column = 0;
			} else {
				m.column++;
			}
		}
	}
	if (p->context != NULL && p->error != YAML_READER_ERROR)
		report(im, &m, "not valid YAML: %s (%s at %u:%u)", problem, p->context,
		       (unsigned)p->context_mark.line + 1, (unsigned)p->context_mark.column + 1);
	else
		report(im, &m, "not valid YAML: %s", problem);
}

int
ngcpimport_buffer(const char *name, const char *text, size_t len, FILE *out, FILE *err)
{
	struct imp im = { .name = name, .err = err, .line = 1 };
	yaml_node_t *root, *sec, *lb;
	yaml_parser_t parser;
	char *obuf = NULL;
	size_t olen = 0;
	int rc = 0;

	if (len > NGCPIMPORT_MAX_SIZE) {
		if (err != NULL)
			fprintf(err, "%s: file too large (%zu bytes, at most %u)\n", name, len,
				NGCPIMPORT_MAX_SIZE);
		return -EFBIG;
	}
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)(text ? text : ""), len);
	if (!yaml_parser_load(&parser, &im.doc)) {
		rc = parser.error == YAML_MEMORY_ERROR ? -ENOMEM : -EINVAL;
		if (rc == -EINVAL)
			report_syntax(&im, &parser, text, len);
		yaml_parser_delete(&parser);
		return rc;
	}
	yaml_parser_delete(&parser);

	root = yaml_document_get_root_node(&im.doc);
	if (root == NULL) {
		yaml_mark_t top = { 0 };

		report(&im, &top, "empty file: no YAML document");
		rc = -EINVAL;
		goto out;
	}
	sec = find_section(&im, root, &lb);
	if (sec == NULL) {
		rc = -EINVAL;
		goto out;
	}
	im.o = open_memstream(&obuf, &olen);
	if (im.o == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	fputs("# sipwarden configuration imported from the Sipwise NGCP file ", im.o);
	{
		char nbuf[RENDER_MAX + 1];
		size_t o = 0;

		BUF_PUTS(nbuf, &o, name);
		nbuf[o] = '\0';
		fputs(nbuf, im.o);
	}
	endl(&im);
	fprintf(im.o, "# (%s) by sipwardenctl import-ngcp. Keys not set here keep", im.where);
	endl(&im);
	fputs("# sipwarden's defaults; check with: sipwarden --check-config -c FILE", im.o);
	endl(&im);
	if (lb != NULL)
		put_ports(&im, lb);
	put_security(&im, sec);
	if (fclose(im.o) != 0) {
		rc = -ENOMEM;
		goto out;
	}
	if (im.n_errors > 0) {
		rc = -EINVAL;
		goto out;
	}
	rc = validate(&im, obuf, olen);
	if (rc < 0)
		goto out;
	if (fwrite(obuf, 1, olen, out) != olen || fflush(out) != 0) {
		if (err != NULL)
			fprintf(err, "%s: cannot write the output: %s\n", name, strerror(errno));
		rc = -EIO;
	}
out:
	free(obuf);
	yaml_document_delete(&im.doc);
	return rc;
}

int
ngcpimport_file(const char *path, FILE *out, FILE *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc = config_read_file(path, NGCPIMPORT_MAX_SIZE, &text, &len, err);

	if (rc < 0)
		return rc;
	rc = ngcpimport_buffer(path, text, len, out, err);
	free(text);
	return rc;
}
