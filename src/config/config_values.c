/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config_values - the checks on configuration values (config_values.h):
 * scalars (booleans, integers, enums, paths, strings) and lists (ports,
 * networks, regular expressions, paths, SIP methods).
 */

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "build_config.h"
#include "config_types.h"
#include "config_values.h"
#include "regexcost.h"
#include "sipmethod.h"

#define UA_PATTERN_MAX 1024

_Static_assert(sizeof(enum config_mode) == sizeof(int) &&
	       sizeof(enum config_malformed) == sizeof(int) &&
	       sizeof(enum config_auth_target) == sizeof(int) &&
	       sizeof(enum config_user_reply) == sizeof(int),
	       "enum fields are stored through an int");

const char *
config_values_type_name(const struct config_node *v)
{
	switch (v->type) {
	case CONFIG_NODE_SCALAR:
		return "a scalar";
	case CONFIG_NODE_SEQ:
		return "a sequence";
	case CONFIG_NODE_MAP:
		return "a mapping";
	default:
		return "an invalid value";
	}
}

/* A printable config_values_excerpt of an attacker- or typo-controlled string, so that
 * error messages stay one line and carry no terminal escapes. */
const char *
config_values_excerpt(const char *s, size_t len, char *buf, size_t blen)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 4 < blen; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (i < len)
		o += (size_t)snprintf(buf + o, blen - o, "...");
	buf[o] = '\0';
	return buf;
}

bool
config_values_is_null(const struct config_node *v)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	size_t i;

	if (v->type != CONFIG_NODE_SCALAR || !v->plain)
		return false;
	for (i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (strcmp(v->str, nulls[i]) == 0)
			return true;
	return false;
}

/* True when v is a usable scalar; reports why not otherwise. */
static bool
want_scalar(struct apply *a, const char *what, const struct config_node *v)
{
	if (v->type == CONFIG_NODE_BAD)
		return false;
	if (v->type != CONFIG_NODE_SCALAR) {
		ERR(a, v, "%s: expected a scalar, got %s", what, config_values_type_name(v));
		return false;
	}
	if (config_values_is_null(v)) {
		ERR(a, v, "%s: missing value", what);
		return false;
	}
	if (strlen(v->str) != v->len) {
		ERR(a, v, "%s: value contains a NUL byte", what);
		return false;
	}
	return true;
}

/*
 * True when v can be walked as a list: a sequence, a null (an empty list,
 * as left behind when every entry is commented out) or, with
 * allow_scalar, one bare item. *n is the item count.
 */
static bool
want_list(struct apply *a, const char *what, const struct config_node *v,
	  bool allow_scalar, unsigned max, unsigned *n)
{
	*n = 0;
	if (v->type == CONFIG_NODE_BAD)
		return false;
	if (config_values_is_null(v))
		return true;
	if (v->type == CONFIG_NODE_SCALAR && allow_scalar) {
		*n = 1;
		return true;
	}
	if (v->type != CONFIG_NODE_SEQ) {
		ERR(a, v, "%s: expected a sequence, got %s", what, config_values_type_name(v));
		return false;
	}
	*n = v->n_kids;
	if (*n > max) {
		ERR(a, v->kids[max], "%s: too many entries (at most %u)", what, max);
		*n = max;
	}
	return true;
}

static const struct config_node *
list_item(const struct config_node *v, unsigned i)
{
	return v->type == CONFIG_NODE_SEQ ? v->kids[i] : v;
}

/* Decimal digits only: no sign, no 0x, no "1_000", no leading zero (YAML
 * 1.1 reads 010 as octal 8, so refuse rather than guess). */
static bool
parse_uint(struct apply *a, const char *what, const struct config_node *v,
	   unsigned long long min, unsigned long long max, unsigned long long *out)
{
	unsigned long long x;
	char xbuf[80], *end;
	size_t i;

	for (i = 0; i < v->len; i++)
		if (v->str[i] < '0' || v->str[i] > '9')
			break;
	if (v->len == 0 || i != v->len) {
		ERR(a, v, "%s: invalid integer '%s' (decimal digits only)", what,
		    EXCERPT(v));
		return false;
	}
	if (v->str[0] == '0' && v->len > 1) {
		ERR(a, v, "%s: invalid integer '%s' (no leading zeros)", what,
		    EXCERPT(v));
		return false;
	}
	errno = 0;
	x = strtoull(v->str, &end, 10);
	if (errno != 0 || *end != '\0' || x < min || x > max) {
		ERR(a, v, "%s: %s is out of range (%llu..%llu)", what, EXCERPT(v),
		    min, max);
		return false;
	}
	*out = x;
	return true;
}

static void *
field(struct apply *a, size_t off)
{
	return (char *)a->cfg + off;
}

/* ---- scalar handlers ---- */

void
config_values_set_bool(struct apply *a, const struct key *k, const char *what,
		       const struct config_node *v)
{
	static const struct name_val bools[] = {
		{ "yes", 1 }, { "no", 0 }, { "true", 1 }, { "false", 0 },
		{ "on", 1 }, { "off", 0 }, { "1", 1 }, { "0", 0 },
	};
	char xbuf[80];
	size_t i;

	if (!want_scalar(a, what, v))
		return;
	/* Quoted spellings count too: NGCP writes dos_ban_enable: 'yes'. */
	for (i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
		if (strcasecmp(v->str, bools[i].name) == 0) {
			*(bool *)field(a, k->off) = bools[i].val;
			return;
		}
	}
	ERR(a, v, "%s: invalid boolean '%s' (expected yes/no, true/false, on/off or 1/0)",
	    what, EXCERPT(v));
}

void
config_values_set_uint(struct apply *a, const struct key *k, const char *what,
		       const struct config_node *v)
{
	unsigned long long x;

	if (!want_scalar(a, what, v) || !parse_uint(a, what, v, k->min, k->max, &x))
		return;
	if (k->flags & F_U16)
		*(uint16_t *)field(a, k->off) = (uint16_t)x;
	else
		*(uint32_t *)field(a, k->off) = (uint32_t)x;
	if (k->off == FIELD(queue_first))
		a->queue_first_at = v;
	else if (k->off == FIELD(queue_count))
		a->queue_count_at = v;
	else if (k->off == FIELD(dos_reqs_density_per_unit))
		a->density_at = v;
	else if (k->off == FIELD(dos_sampling_time_unit))
		a->sampling_at = v;
}

void
config_values_set_enum(struct apply *a, const struct key *k, const char *what,
		       const struct config_node *v)
{
	char xbuf[80], list[128];
	const struct name_val *nv;
	size_t o = 0;

	if (!want_scalar(a, what, v))
		return;
	for (nv = k->names; nv->name != NULL; nv++) {
		if (strcmp(v->str, nv->name) == 0) {
			*(int *)field(a, k->off) = nv->val;
			return;
		}
	}
	list[0] = '\0';
	for (nv = k->names; nv->name != NULL && o < sizeof(list); nv++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s",
				      nv == k->names ? "" : ", ", nv->name);
	ERR(a, v, "%s: invalid value '%s' (expected one of: %s)", what, EXCERPT(v), list);
}

/* Replace the string at dst with a copy of s (NULL: none). */
static void
store_string(struct apply *a, char **dst, const char *s)
{
	char *c = NULL;

	if (s && (c = strdup(s)) == NULL) {
		a->err = -ENOMEM;
		return;
	}
	free(*dst);
	*dst = c;
}

void
config_values_set_path(struct apply *a, const struct key *k, const char *what,
		       const struct config_node *v)
{
	char **dst = field(a, k->off);

	if ((k->flags & F_NULLABLE) && config_values_is_null(v)) {
		store_string(a, dst, NULL);
		return;
	}
	if (!want_scalar(a, what, v))
		return;
	if (v->len == 0) {
		ERR(a, v, "%s: empty path", what);
		return;
	}
	if (v->str[0] != '/') {
		ERR(a, v, "%s: path must be absolute", what);
		return;
	}
	if (v->len >= PATH_MAX ||
	    ((k->flags & F_SOCKET) && v->len >= sizeof(((struct sockaddr_un *)0)->sun_path))) {
		ERR(a, v, "%s: path too long (at most %zu bytes)", what,
		    (k->flags & F_SOCKET) ? sizeof(((struct sockaddr_un *)0)->sun_path) - 1 :
		    (size_t)PATH_MAX - 1);
		return;
	}
	store_string(a, dst, v->str);
}

static bool
name_char(char c, bool prefix)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-' || (prefix && c == ':');
}

bool
config_name_valid(const char *s, bool prefix)
{
	size_t n = strlen(s);

	if (n == 0 || n > (prefix ? CONFIG_PREFIX_MAX : CONFIG_NODE_MAX))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!name_char(s[i], prefix))
			return false;
	return true;
}

/* A string: a node name or key prefix (config_name_valid()), a host, or
 * any bytes but NUL (a password). */
void
config_values_set_str(struct apply *a, const struct key *k, const char *what,
		      const struct config_node *v)
{
	char **dst = field(a, k->off), xbuf[80];
	size_t i;

	if ((k->flags & F_NULLABLE) && config_values_is_null(v)) {
		store_string(a, dst, NULL);
		return;
	}
	if (!want_scalar(a, what, v))
		return;
	if (v->len < k->min || v->len > k->max) {
		ERR(a, v, "%s: must be %llu to %llu bytes long", what, k->min, k->max);
		return;
	}
	if ((k->flags & (F_NODE | F_PREFIX)) && !config_name_valid(v->str, k->flags & F_PREFIX)) {
		ERR(a, v, "%s: invalid name '%s' (letters, digits, '.', '_' and '-'%s only)",
		    what, EXCERPT(v), (k->flags & F_PREFIX) ? ", ':'" : "");
		return;
	}
	if ((k->flags & F_HOST) && v->str[0] == '/') {
		if (v->len >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
			ERR(a, v, "%s: socket path too long (at most %zu bytes)", what,
			    sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
			return;
		}
	} else if (k->flags & F_HOST) {
		for (i = 0; i < v->len; i++) {
			char c = v->str[i];

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '.' || c == '-' || c == ':' || c == '_'))
				break;
		}
		if (i < v->len) {
			ERR(a, v, "%s: '%s' is not a host name, an IP address or an absolute "
			    "socket path", what, EXCERPT(v));
			return;
		}
	}
	store_string(a, dst, v->str);
}

/* cluster.redis_tls: refused by a build without hiredis_ssl rather than
 * sending the password in clear text. */
void
config_values_set_tls(struct apply *a, const struct key *k, const char *what,
		      const struct config_node *v)
{
	config_values_set_bool(a, k, what, v);
#ifndef SIPWARDEN_HAVE_HIREDIS_SSL
	if (*(bool *)field(a, k->off))
		ERR(a, v, "%s: this build of sipwarden has no TLS for Redis (hiredis without "
		    "hiredis_ssl); use a TLS tunnel (e.g. stunnel) on a local port instead",
		    what);
#endif
}

/* ---- list handlers ---- */

void
config_values_set_ports(struct apply *a, const struct key *k, const char *what,
			const struct config_node *v)
{
	uint16_t ports[CONFIG_MAX_PORTS];
	const struct config_node *at[CONFIG_MAX_PORTS] = { 0 };
	unsigned long long x;
	unsigned n, i, j, got = 0;
	bool ok = true;

	if (!want_list(a, what, v, true, CONFIG_MAX_PORTS, &n))
		return;
	for (i = 0; i < n; i++) {
		const struct config_node *it = list_item(v, i);

		if (!want_scalar(a, what, it) || !parse_uint(a, what, it, 1, 65535, &x)) {
			ok = false;
			continue;
		}
		for (j = 0; j < got; j++)
			if (ports[j] == x)
				break;
		if (j < got) {
			ERR(a, it, "%s: duplicate port %llu (first at line %u)", what, x,
			    at[j]->line);
			ok = false;
			continue;
		}
		at[got] = it;
		ports[got++] = (uint16_t)x;
	}
	if (!ok)
		return;
	memcpy(field(a, k->off), ports, got * sizeof(ports[0]));
	*(unsigned *)field(a, k->off_n) = got;
	if (k->flags & (F_TCP | F_TLS))
		memcpy((k->flags & F_TCP) ? a->tcp_at : a->tls_at, at, sizeof(at));
}

/* One network, with a reason an operator can act on when it is wrong. */
static bool
parse_net(struct apply *a, const char *what, const struct config_node *v,
	  bool full_only, struct addr_net *out)
{
	char xbuf[80], abuf[ADDR_STRLEN];
	struct addr_net n;
	struct addr host;
	const char *slash;

	if (!want_scalar(a, what, v))
		return false;
	slash = strchr(v->str, '/');
	if (full_only) {
		if (addr_parse(v->str, &host) < 0) {
			ERR(a, v, "%s: invalid IP address '%s'%s", what, EXCERPT(v),
			    slash ? " (subnets go in dos_whitelisted_subnets)" : "");
			return false;
		}
	} else if (addr_net_parse(v->str, &n) < 0) {
		char *t = strndup(v->str, slash ? (size_t)(slash - v->str) : v->len);
		unsigned long plen;
		char *end;

		if (t == NULL) {
			a->err = -ENOMEM;
			return false;
		}
		if (addr_parse(t, &host) < 0 || slash == NULL) {
			ERR(a, v, "%s: invalid IP address%s '%s'", what,
			    slash ? " in" : "", EXCERPT(v));
		} else {
			unsigned max = host.family == AF_INET ? 32 : 128;

			errno = 0;
			plen = strtoul(slash + 1, &end, 10);
			if (slash[1] < '0' || slash[1] > '9' || *end != '\0' ||
			    (slash[1] == '0' && slash[2] != '\0') ||
			    errno != 0 || plen > max) {
				ERR(a, v, "%s: invalid prefix length in '%s' (0..%u)", what,
				    EXCERPT(v), max);
			} else {
				addr_mask(&host, (unsigned)plen);
				ERR(a, v, "%s: '%s' has host bits set (did you mean %s/%lu?)",
				    what, EXCERPT(v),
				    addr_format(&host, abuf, sizeof(abuf)), plen);
			}
		}
		free(t);
		return false;
	}
	if (full_only) {
		out->base = host;
		out->plen = host.family == AF_INET ? 32 : 128;
	} else {
		*out = n;
	}
	return true;
}

void
config_values_set_nets(struct apply *a, const struct key *k, const char *what,
		       const struct config_node *v)
{
	struct addr_net *nets = NULL, **dst;
	unsigned n, i, got = 0, *dst_n;
	bool ok = true;

	if (!want_list(a, what, v, false, CONFIG_MAX_LIST, &n))
		return;
	if (n > 0 && (nets = calloc(n, sizeof(*nets))) == NULL) {
		a->err = -ENOMEM;
		return;
	}
	for (i = 0; i < n; i++) {
		if (parse_net(a, what, list_item(v, i), k->flags & F_FULLLEN, &nets[got]))
			got++;
		else
			ok = false;
	}
	if (!ok) {
		free(nets);
		return;
	}
	if (k->flags & F_WL_IPS) {
		dst = &a->wl_ips;
		dst_n = &a->n_wl_ips;
	} else if (k->flags & F_WL_NETS) {
		dst = &a->wl_nets;
		dst_n = &a->n_wl_nets;
	} else {
		dst = field(a, k->off);
		dst_n = field(a, k->off_n);
	}
	free(*dst);
	*dst = nets;
	*dst_n = got;
}

void
config_values_set_regexes(struct apply *a, const struct key *k, const char *what,
			  const struct config_node *v)
{
	struct config_regex *list = NULL;
	char xbuf[80], ebuf[160];
	unsigned n, i, got = 0;
	bool ok = true;
	int rc;

	if (!want_list(a, what, v, false, CONFIG_MAX_LIST, &n))
		return;
	if (n > 0 && (list = calloc(n, sizeof(*list))) == NULL) {
		a->err = -ENOMEM;
		return;
	}
	for (i = 0; i < n && a->err == 0; i++) {
		const struct config_node *it = list_item(v, i);

		if (!want_scalar(a, what, it)) {
			ok = false;
		} else if (it->len == 0) {
			/* "" matches every User-Agent: never what was meant. */
			ERR(a, it, "%s: empty pattern", what);
			ok = false;
		} else if (it->len > UA_PATTERN_MAX) {
			ERR(a, it, "%s: pattern too long (at most %u bytes)", what,
			    UA_PATTERN_MAX);
			ok = false;
		} else if ((rc = config_regex_init(&list[got], it->str, ebuf,
						   sizeof(ebuf))) == -ENOMEM) {
			a->err = -ENOMEM;
		} else if (rc < 0) {
			ERR(a, it, "%s: invalid regular expression '%s': %s", what,
			    EXCERPT(it), ebuf);
			ok = false;
		} else {
			got++;
		}
	}
	if (!ok || a->err != 0) {
		config_regexes_free(list, got);
		return;
	}
	config_regexes_free(a->cfg->ua_blacklist, a->cfg->n_ua_blacklist);
	a->cfg->ua_blacklist = list;
	a->cfg->n_ua_blacklist = got;
}

/* A list of absolute paths (blocklist_files). */
void
config_values_set_paths(struct apply *a, const struct key *k, const char *what,
			const struct config_node *v)
{
	char **list = NULL;
	unsigned n, i, got = 0;
	bool ok = true;

	if (!want_list(a, what, v, false, CONFIG_MAX_PORTS, &n))
		return;
	if (n > 0 && (list = calloc(n, sizeof(*list))) == NULL) {
		a->err = -ENOMEM;
		return;
	}
	for (i = 0; i < n && a->err == 0; i++) {
		const struct config_node *it = list_item(v, i);

		if (!want_scalar(a, what, it)) {
			ok = false;
		} else if (it->len == 0 || it->str[0] != '/') {
			ERR(a, it, "%s: path must be absolute", what);
			ok = false;
		} else if (it->len >= PATH_MAX) {
			ERR(a, it, "%s: path too long", what);
			ok = false;
		} else if ((list[got] = strdup(it->str)) == NULL) {
			a->err = -ENOMEM;
		} else {
			got++;
		}
	}
	if (!ok || a->err != 0) {
		for (i = 0; i < got; i++)
			free(list[i]);
		free(list);
		return;
	}
	for (i = 0; i < a->cfg->n_blocklist_files; i++)
		free(a->cfg->blocklist_files[i]);
	free(a->cfg->blocklist_files);
	a->cfg->blocklist_files = list;
	a->cfg->n_blocklist_files = got;
}

static const struct name_val sip_methods[] = {
	{ "INVITE", SIP_METHOD_INVITE }, { "ACK", SIP_METHOD_ACK },
	{ "BYE", SIP_METHOD_BYE }, { "CANCEL", SIP_METHOD_CANCEL },
	{ "REGISTER", SIP_METHOD_REGISTER }, { "OPTIONS", SIP_METHOD_OPTIONS },
	{ "SUBSCRIBE", SIP_METHOD_SUBSCRIBE }, { "NOTIFY", SIP_METHOD_NOTIFY },
	{ "PUBLISH", SIP_METHOD_PUBLISH }, { "INFO", SIP_METHOD_INFO },
	{ "PRACK", SIP_METHOD_PRACK }, { "UPDATE", SIP_METHOD_UPDATE },
	{ "MESSAGE", SIP_METHOD_MESSAGE }, { "REFER", SIP_METHOD_REFER },
	{ NULL, 0 },
};

void
config_values_set_methods(struct apply *a, const struct key *k, const char *what,
			  const struct config_node *v)
{
	config_method_set set = 0;
	const struct name_val *m;
	unsigned n, i;
	char xbuf[80];
	bool ok = true;

	if (!want_list(a, what, v, false, CONFIG_MAX_LIST, &n))
		return;
	for (i = 0; i < n; i++) {
		const struct config_node *it = list_item(v, i);

		if (!want_scalar(a, what, it)) {
			ok = false;
			continue;
		}
		for (m = sip_methods; m->name != NULL; m++)
			if (strcmp(it->str, m->name) == 0)
				break;
		if (m->name != NULL) {
			set |= 1u << m->val;
			continue;
		}
		ok = false;
		/* SIP method names are case-sensitive; say so rather than
		 * silently never matching "register". */
		for (m = sip_methods; m->name != NULL; m++)
			if (strcasecmp(it->str, m->name) == 0)
				break;
		if (m->name != NULL)
			ERR(a, it, "%s: unknown SIP method '%s' (method names are "
			    "case-sensitive: did you mean '%s'?)", what, EXCERPT(it), m->name);
		else
			ERR(a, it, "%s: unknown SIP method '%s' (expected INVITE, ACK, "
			    "BYE, CANCEL, REGISTER, OPTIONS, SUBSCRIBE, NOTIFY, PUBLISH, "
			    "INFO, PRACK, UPDATE, MESSAGE or REFER)", what, EXCERPT(it));
	}
	if (ok)
		a->cfg->ua_blacklist_methods = set;
}

int
config_regex_init(struct config_regex *r, const char *pattern,
		  char *errbuf, size_t errlen)
{
	int rc;

	/* Before regcomp(), which would try to build every copy (regexcost.h):
	 * a few stacked '+' exhaust memory at start or at reload. */
	if (regexcost_nodes(pattern, REGEXCOST_MAX + 1) > REGEXCOST_MAX) {
		snprintf(errbuf, errlen, "too complex (a quantifier on a quantifier, a "
			 "repetition of what can be empty, or over %u states once repeated)",
			 REGEXCOST_MAX);
		return -EINVAL;
	}
	rc = regcomp(&r->re, pattern, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		regerror(rc, &r->re, errbuf, errlen);
		/* regfree() after a failed regcomp() is not portable; glibc
		 * has already freed what it allocated. */
		return rc == REG_ESPACE ? -ENOMEM : -EINVAL;
	}
	r->pattern = strdup(pattern);
	if (r->pattern == NULL) {
		regfree(&r->re);
		return -ENOMEM;
	}
	return 0;
}

void
config_regexes_free(struct config_regex *list, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		regfree(&list[i].re);
		free(list[i].pattern);
	}
	free(list);
}
