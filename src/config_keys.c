/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config_keys - the known configuration keys and the checks on their values.
 *
 * Each section is a table of keys; each key names a handler and where its
 * value lands in struct config. Every handler reports its own errors at the
 * value's line and column and carries on, so that one run of
 * --check-config shows the operator every mistake at once.
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
#include "cluster_proto.h"
#include "config.h"
#include "config_keys.h"
#include "sip.h"

#define SECONDS_PER_YEAR 31536000u
#define UA_PATTERN_MAX 1024
#define SECTION_MAX_KEYS 40

_Static_assert(sizeof(enum config_mode) == sizeof(int) &&
	       sizeof(enum config_malformed) == sizeof(int) &&
	       sizeof(enum config_auth_target) == sizeof(int) &&
	       sizeof(enum config_user_reply) == sizeof(int),
	       "enum fields are stored through an int");

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

static const char *
type_name(const struct config_node *v)
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

/* A printable excerpt of an attacker- or typo-controlled string, so that
 * error messages stay one line and carry no terminal escapes. */
static const char *
excerpt(const char *s, size_t len, char *buf, size_t blen)
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

#define EXCERPT(v) excerpt((v)->str, (v)->len, xbuf, sizeof(xbuf))

#define ERR(a, at, ...) \
	config_diag_report((a)->d, (at)->line, (at)->col, __VA_ARGS__)

static bool
is_null(const struct config_node *v)
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
		ERR(a, v, "%s: expected a scalar, got %s", what, type_name(v));
		return false;
	}
	if (is_null(v)) {
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
	if (is_null(v))
		return true;
	if (v->type == CONFIG_NODE_SCALAR && allow_scalar) {
		*n = 1;
		return true;
	}
	if (v->type != CONFIG_NODE_SEQ) {
		ERR(a, v, "%s: expected a sequence, got %s", what, type_name(v));
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

static void
set_bool(struct apply *a, const struct key *k, const char *what,
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

static void
set_uint(struct apply *a, const struct key *k, const char *what,
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

static void
set_enum(struct apply *a, const struct key *k, const char *what,
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

static void
set_path(struct apply *a, const struct key *k, const char *what,
	 const struct config_node *v)
{
	char **dst = field(a, k->off), *s;

	if ((k->flags & F_NULLABLE) && is_null(v)) {
		free(*dst);
		*dst = NULL;
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
	if ((s = strdup(v->str)) == NULL) {
		a->err = -ENOMEM;
		return;
	}
	free(*dst);
	*dst = s;
}

/* A string: a node name or key prefix (cluster_name_valid()), a host, or
 * any bytes but NUL (a password). */
static void
set_str(struct apply *a, const struct key *k, const char *what,
	const struct config_node *v)
{
	char **dst = field(a, k->off), *s, xbuf[80];
	size_t i;

	if ((k->flags & F_NULLABLE) && is_null(v)) {
		free(*dst);
		*dst = NULL;
		return;
	}
	if (!want_scalar(a, what, v))
		return;
	if (v->len < k->min || v->len > k->max) {
		ERR(a, v, "%s: must be %llu to %llu bytes long", what, k->min, k->max);
		return;
	}
	if ((k->flags & (F_NODE | F_PREFIX)) && !cluster_name_valid(v->str, k->flags & F_PREFIX)) {
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
	if ((s = strdup(v->str)) == NULL) {
		a->err = -ENOMEM;
		return;
	}
	free(*dst);
	*dst = s;
}

/* cluster.redis_tls: refused by a build without hiredis_ssl rather than
 * sending the password in clear text. */
static void
set_tls(struct apply *a, const struct key *k, const char *what,
	const struct config_node *v)
{
	set_bool(a, k, what, v);
#ifndef SIPWARDEN_HAVE_HIREDIS_SSL
	if (*(bool *)field(a, k->off))
		ERR(a, v, "%s: this build of sipwarden has no TLS for Redis (hiredis without "
		    "hiredis_ssl); use a TLS tunnel (e.g. stunnel) on a local port instead",
		    what);
#endif
}

/* ---- list handlers ---- */

static void
set_ports(struct apply *a, const struct key *k, const char *what,
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

static void
set_nets(struct apply *a, const struct key *k, const char *what,
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

static void
set_regexes(struct apply *a, const struct key *k, const char *what,
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
static void
set_paths(struct apply *a, const struct key *k, const char *what,
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

static void
set_methods(struct apply *a, const struct key *k, const char *what,
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

#define BOOL(n, f) { n, set_bool, FIELD(f), 0, 0, 0, 0, NULL, NULL }
#define UINT(n, f, lo, hi) { n, set_uint, FIELD(f), 0, lo, hi, 0, NULL, NULL }
#define UINT16(n, f, lo, hi) { n, set_uint, FIELD(f), 0, lo, hi, F_U16, NULL, NULL }
#define ENUM(n, f, v) { n, set_enum, FIELD(f), 0, 0, 0, 0, v, NULL }
#define PATH(n, f, fl) { n, set_path, FIELD(f), 0, 0, 0, fl, NULL, NULL }
#define LIST(n, fn, f, c, fl) { n, fn, FIELDN(f, c), 0, 0, fl, NULL, NULL }
#define STR(n, f, lo, hi, fl) { n, set_str, FIELD(f), 0, lo, hi, fl, NULL, NULL }
#define SECTION(n, s) { n, set_section, 0, 0, 0, 0, 0, NULL, s }
#define END { NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL }

static const struct key queue_keys[] = {
	/* first + count - 1 must fit too: checked once both are known. */
	UINT16("first", queue_first, 0, 65535),
	UINT16("count", queue_count, 1, 64),
	UINT("maxlen", queue_maxlen, 16, 1048576),
	UINT("rcvbuf", queue_rcvbuf, 65536, 1073741824),
	BOOL("fail_open", queue_fail_open),
	END,
};

static const struct key sip_keys[] = {
	LIST("udp_ports", set_ports, udp_ports, n_udp_ports, 0),
	LIST("tcp_ports", set_ports, tcp_ports, n_tcp_ports, F_TCP),
	LIST("tls_ports", set_ports, tls_ports, n_tls_ports, F_TLS),
	LIST("server_addresses", set_nets, server_addresses, n_server_addresses, 0),
	END,
};

static const struct key security_keys[] = {
	BOOL("dos_ban_enable", dos_ban_enable),
	UINT("dos_ban_time", dos_ban_time, 1, SECONDS_PER_YEAR),
	UINT("dos_reqs_density_per_unit", dos_reqs_density_per_unit, 1, 100000),
	UINT("dos_sampling_time_unit", dos_sampling_time_unit, 1, 3600),
	LIST("dos_whitelisted_ips", set_nets, whitelist, n_whitelist, F_WL_IPS | F_FULLLEN),
	LIST("dos_whitelisted_subnets", set_nets, whitelist, n_whitelist, F_WL_NETS),
	UINT("failed_auth_attempts", failed_auth_attempts, 1, 1000),
	BOOL("failed_auth_ban_enable", failed_auth_ban_enable),
	UINT("failed_auth_ban_time", failed_auth_ban_time, 1, SECONDS_PER_YEAR),
	ENUM("failed_auth_ban_target", failed_auth_ban_target, auth_targets),
	LIST("ua_blacklist", set_regexes, ua_blacklist, n_ua_blacklist, 0),
	LIST("ua_blacklist_methods", set_methods, ua_blacklist_methods, ua_blacklist_methods, 0),
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
	LIST("blocklist_files", set_paths, blocklist_files, n_blocklist_files, 0),
	END,
};

static const struct key limits_keys[] = {
	UINT("max_sources", max_sources, 1024, 100000000),
	UINT("max_bans", max_bans, 16, 10000000),
	UINT("source_idle_time", source_idle_time, 1, 86400),
	UINT("max_transactions", max_transactions, 1024, 10000000),
	UINT("max_auth_users", max_auth_users, 16, 10000000),
	UINT("max_tcp_connections", max_tcp_connections, 64, 10000000),
	UINT("tcp_idle_time", tcp_idle_time, 1, 86400),
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
	{ "redis_tls", set_tls, FIELD(cluster_redis_tls), 0, 0, 0, 0, NULL, NULL },
	PATH("redis_tls_ca_file", cluster_redis_tls_ca, F_NULLABLE),
	PATH("redis_tls_cert_file", cluster_redis_tls_cert, F_NULLABLE),
	PATH("redis_tls_key_file", cluster_redis_tls_key, F_NULLABLE),
	STR("redis_tls_server_name", cluster_redis_tls_server_name, 1, 255, F_NULLABLE | F_HOST),
	STR("key_prefix", cluster_key_prefix, 1, CLUSTER_PREFIX_MAX, F_PREFIX),
	STR("node_name", cluster_node_name, 1, CLUSTER_NODE_MAX, F_NULLABLE | F_NODE),
	END,
};

static const struct key top_keys[] = {
	ENUM("mode", mode, modes),
	SECTION("queue", queue_keys),
	SECTION("sip", sip_keys),
	SECTION("security", security_keys),
	LIST("peering_servers", set_nets, peering_servers, n_peering_servers, 0),
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

	if (map->type == CONFIG_NODE_BAD || is_null(map))
		return;
	if (map->type != CONFIG_NODE_MAP) {
		if (section != NULL)
			ERR(a, map, "%s: expected a mapping, got %s", section, type_name(map));
		else
			ERR(a, map, "expected a mapping of sections at top level, got %s",
			    type_name(map));
		return;
	}
	for (i = 0; i + 1 < map->n_kids && a->err == 0; i += 2) {
		const struct config_node *kn = map->kids[i], *vn = map->kids[i + 1];

		if (kn->type == CONFIG_NODE_BAD)
			continue;
		if (kn->type != CONFIG_NODE_SCALAR) {
			ERR(a, kn, "mapping keys must be scalars, got %s", type_name(kn));
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
