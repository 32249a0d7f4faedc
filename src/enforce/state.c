/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hexdig.h"
#include "state.h"

#define HEADER "# sipwarden state 1"
#define MAX_LINE 2048
/* Longest remaining ban time a state file can restore (about 136 years);
 * longer is damage, and would overflow the millisecond arithmetic. */
#define STATE_MAX_REMAIN_S UINT32_MAX

struct save_ctx {
	FILE *f;
	uint64_t now_ms;
	int64_t now_wall;
	int count;
};

/* Keys are addresses or user@domain strings an attacker chose: escape
 * everything but a safe set so a key can never break the line format. */
static void
put_escaped(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '@' || c == '.' || c == '_' || c == '-' || c == ':' || c == '+')
			fputc(c, f);
		else
			fprintf(f, "%%%02X", c);
	}
}

static int
unescape(const char *in, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; in[i]; i++) {
		int c = (unsigned char)in[i];

		if (c == '%') {
			int h = hex_digit_value(in[i + 1]), l = h >= 0 ? hex_digit_value(in[i + 2]) : -1;

			if (h < 0 || l < 0)
				return -EINVAL;
			c = h << 4 | l;
			i += 2;
			/* A key is a C string: a NUL would cut it short (a
			 * "%00" key became the empty user, saved as a line
			 * that could not be read back). No key holds one. */
			if (c == 0)
				return -EINVAL;
		}
		if (o + 1 >= outlen)
			return -ENAMETOOLONG;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return (int)o;
}

static void
save_one(const struct ban_info *b, void *arg)
{
	struct save_ctx *c = arg;
	int64_t exp = c->now_wall + (int64_t)((b->expires_ms - c->now_ms + 999) / 1000);
	int64_t created = c->now_wall - (int64_t)((c->now_ms - b->created_ms) / 1000);

	if (b->key->kind == BAN_KIND_IP) {
		char buf[ADDR_STRLEN];
		struct addr a;

		memcpy(&a, b->key->data, sizeof(a));
		fprintf(c->f, "ip %s %u", addr_format(&a, buf, sizeof(buf)), b->key->plen);
	} else {
		fputs("user ", c->f);
		put_escaped(c->f, b->key->data, b->key->len);
		fputs(" 0", c->f);
	}
	fprintf(c->f, " %s %" PRId64 " %" PRId64 "\n", ban_reason_name(b->reason), exp, created);
	c->count++;
}

/*
 * An allow line: "allow <kind> <key> <plen> <expires> <created> =<origin>
 * =<comment>", expires 0 for a permanent entry. The free-text fields are
 * escaped as user keys are, behind a "=" that keeps an empty one a word.
 */
static void
save_allow(const struct allow_entry *e, void *arg)
{
	struct save_ctx *c = arg;

	fputs("allow ", c->f);
	if (e->key.kind == BAN_KIND_IP) {
		char buf[ADDR_STRLEN];
		struct addr a;

		memcpy(&a, e->key.data, sizeof(a));
		fprintf(c->f, "ip %s %u", addr_format(&a, buf, sizeof(buf)), e->key.plen);
	} else {
		fputs("user ", c->f);
		put_escaped(c->f, e->key.data, e->key.len);
		fputs(" 0", c->f);
	}
	fprintf(c->f, " %" PRId64 " %" PRId64 " =", e->expires, e->created);
	put_escaped(c->f, e->origin, strnlen(e->origin, sizeof(e->origin)));
	fputs(" =", c->f);
	put_escaped(c->f, e->comment, strnlen(e->comment, sizeof(e->comment)));
	fputc('\n', c->f);
}

static void
save_known(const struct knowntab_entry *e, void *arg)
{
	struct save_ctx *c = arg;

	fprintf(c->f, "known %016" PRIx64 " %" PRId64 "\n", e->h, c->now_wall -
		(int64_t)(e->ms / 1000u));
}

static int
fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

int
state_save(const char *dir, struct bantab *t, struct allowlist *al, uint64_t now_ms,
	   int64_t now_wall)
{
	return state_save_known(dir, t, al, NULL, now_ms, now_wall);
}

int
state_save_known(const char *dir, struct bantab *t, struct allowlist *al,
		 const struct state_known *known, uint64_t now_ms, int64_t now_wall)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	struct save_ctx c = { .now_ms = now_ms, .now_wall = now_wall };
	int fd, ret = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, STATE_FILE) >= sizeof(path) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, STATE_FILE) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	c.f = fdopen(fd, "w");
	if (!c.f) {
		ret = -errno;
		close(fd);
		unlink(tmp);
		return ret;
	}
	fprintf(c.f, "%s\n", HEADER);
	if (known && known->t && known->ttl_ms) {
		struct hash_key k;
		bool fixed;

		knowntab_get_key(known->t, &k, &fixed);
		fprintf(c.f, "knownkey %016" PRIx64 "%016" PRIx64 "\n", k.k0, k.k1);
		knowntab_foreach(known->t, now_ms, known->ttl_ms, save_known, &c);
	}
	bantab_foreach(t, now_ms, save_one, &c);
	if (al)
		allowlist_foreach(al, save_allow, &c);
	fprintf(c.f, "end %d\n", c.count);
	if (fflush(c.f) != 0 || ferror(c.f))
		ret = -(errno ? errno : EIO);
	else if (fsync(fd) < 0)
		ret = -errno;
	if (fclose(c.f) != 0 && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path) < 0)
		ret = -errno;
	if (ret) {
		unlink(tmp);
		return ret;
	}
	/* The rename is durable only once the directory is on disk. */
	ret = fsync_dir(dir);
	return ret < 0 ? ret : c.count;
}

static enum ban_reason
reason_from(const char *s)
{
	for (int r = 0; r < BAN_REASON__MAX; r++)
		if (strcmp(s, ban_reason_name((enum ban_reason)r)) == 0)
			return (enum ban_reason)r;
	return BAN_REASON__MAX;
}

/* One "kind key plen reason expires created" line into the table.
 * 1 loaded, 0 expired, -EINVAL bad, -ENOSPC full. */
static int
load_line(char *line, struct bantab *t, uint64_t now_ms, int64_t now_wall)
{
	char kind[8], keytxt[800], reason[32], key[BAN_KEY_MAX + 1], extra;
	unsigned plen;
	int64_t exp, created;
	struct ban_key k;
	enum ban_reason r;
	uint64_t exp_ms, created_ms, remain;

	if (sscanf(line, "%7s %799s %u %31s %" SCNd64 " %" SCNd64 " %c", kind, keytxt, &plen,
		   reason, &exp, &created, &extra) != 6)
		return -EINVAL;
	r = reason_from(reason);
	if (r == BAN_REASON__MAX)
		return -EINVAL;
	if (strcmp(kind, "ip") == 0) {
		struct addr a;

		if (addr_parse(keytxt, &a) < 0 || plen > (a.family == AF_INET ? 32u : 128u))
			return -EINVAL;
		addr_mask(&a, plen);
		ban_key_ip(&k, &a);
		k.plen = (uint8_t)plen;
	} else if (strcmp(kind, "user") == 0) {
		if (unescape(keytxt, key, sizeof(key)) <= 0 || ban_key_user(&k, key) < 0)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (exp <= now_wall)
		return 0;
	/* The file is not trusted: the differences are taken in unsigned
	 * arithmetic (exact, as exp > now_wall), and a remaining time beyond
	 * STATE_MAX_REMAIN_S is cut to it, so that no value can overflow. */
	remain = (uint64_t)exp - (uint64_t)now_wall;
	if (remain > STATE_MAX_REMAIN_S)
		remain = STATE_MAX_REMAIN_S;
	exp_ms = now_ms + remain * 1000u;
	if (created >= now_wall) {
		created_ms = now_ms;
	} else {
		uint64_t age = (uint64_t)now_wall - (uint64_t)created;

		/* before boot: monotonic time cannot say */
		created_ms = age <= now_ms / 1000u ? now_ms - age * 1000u : 0;
	}
	return bantab_set(t, &k, r, created_ms, exp_ms) < 0 ? -ENOSPC : 1;
}

/* The text after a "=" into out (size len): 0, or -EINVAL. */
static int
unescape_field(const char *in, char *out, size_t len)
{
	if (in[0] != '=')
		return -EINVAL;
	if (in[1] == '\0') {
		out[0] = '\0';
		return 0;
	}
	return unescape(in + 1, out, len) < 0 ? -EINVAL : 0;
}

/* One allow line (save_allow()) into al. 1 loaded, 0 expired, -EINVAL
 * bad, -ENOSPC full. */
static int
load_allow(const char *line, struct allowlist *al, int64_t now_wall)
{
	char kind[8], keytxt[800], origin[200], comment[700], key[BAN_KEY_MAX + 1], extra;
	struct allow_entry e;
	unsigned plen;
	int ret;

	memset(&e, 0, sizeof(e));
	if (sscanf(line, "allow %7s %799s %u %" SCNd64 " %" SCNd64 " %199s %699s %c", kind,
		   keytxt, &plen, &e.expires, &e.created, origin, comment, &extra) != 7)
		return -EINVAL;
	if (strcmp(kind, "ip") == 0) {
		struct addr a;

		if (addr_parse(keytxt, &a) < 0 || plen > (a.family == AF_INET ? 32u : 128u))
			return -EINVAL;
		ban_key_net(&e.key, &a, plen);
	} else if (strcmp(kind, "user") == 0) {
		if (plen != 0 || unescape(keytxt, key, sizeof(key)) <= 0 ||
		    ban_key_user(&e.key, key) < 0)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	/* Saved entries were accepted once, forced or not; a /0 never is. */
	if (e.expires < 0 || allowlist_key_check(&e.key, true) < 0 ||
	    unescape_field(origin, e.origin, sizeof(e.origin)) < 0 ||
	    unescape_field(comment, e.comment, sizeof(e.comment)) < 0)
		return -EINVAL;
	if (e.expires && e.expires <= now_wall)
		return 0;
	ret = allowlist_add(al, &e);
	return ret == -ENOSPC ? -ENOSPC : ret < 0 ? -EINVAL : 1;
}

/* 16 hex digits, exactly, into *v. */
static int
hex64(const char *s, uint64_t *v)
{
	*v = 0;
	for (int i = 0; i < 16; i++) {
		int d = hex_digit_value(s[i]);

		if (d < 0)
			return -EINVAL;
		*v = *v << 4 | (uint64_t)d;
	}
	return 0;
}

/* The key line: the entries after it are used when it is the table's key,
 * or when the table may adopt it (no fixed key, and nothing noted under its
 * own yet: a restore at run time, leaving monitor mode, must not forget
 * what the workers learnt meanwhile); else skipped. 0 or -EINVAL. */
static int
load_known_key(const char *line, const struct state_known *known, bool *usable)
{
	struct hash_key k, cur;
	bool fixed;

	if (strlen(line) != 9 + 32 || hex64(line + 9, &k.k0) < 0 || hex64(line + 25, &k.k1) < 0)
		return -EINVAL;
	*usable = false;
	if (!known || !known->t)
		return 0;
	knowntab_get_key(known->t, &cur, &fixed);
	if (cur.k0 == k.k0 && cur.k1 == k.k1) {
		*usable = true;
	} else if (!fixed && knowntab_empty(known->t)) {
		knowntab_set_key(known->t, &k, false);
		*usable = true;
	}
	return 0;
}

/* "known <hex> <wall>": 1 kept, 0 skipped, -EINVAL bad. */
static int
load_known(const char *line, const struct state_known *known, bool usable, uint64_t now_ms,
	   int64_t now_wall)
{
	char hex[17], extra;
	int64_t last;
	uint64_t h, age;

	if (sscanf(line, "known %16s %" SCNd64 " %c", hex, &last, &extra) != 2 ||
	    strlen(hex) != 16 || hex64(hex, &h) < 0 || h == 0)
		return -EINVAL;
	if (!usable || !known || !known->t || !known->ttl_ms)
		return 0;
	/* A time ahead of the clock is taken as now: the file is not
	 * trusted, and "now" is the most any entry can claim. */
	age = last >= now_wall ? 0 : (uint64_t)now_wall - (uint64_t)last;
	if (age >= known->ttl_ms / 1000u)
		return 0;
	return knowntab_merge(known->t, h, now_ms, age * 1000u);
}

int
state_load(const char *dir, struct bantab *t, struct allowlist *al, uint64_t now_ms,
	   int64_t now_wall, struct state_report *rep)
{
	return state_load_known(dir, t, al, NULL, now_ms, now_wall, rep);
}

int
state_load_known(const char *dir, struct bantab *t, struct allowlist *al,
		 const struct state_known *known, uint64_t now_ms, int64_t now_wall,
		 struct state_report *rep)
{
	char path[PATH_MAX], line[MAX_LINE];
	bool header = false, ended = false, damaged = false, key_usable = false;
	FILE *f;
	int lineno = 0;

	memset(rep, 0, sizeof(*rep));
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, STATE_FILE) >= sizeof(path))
		return -ENAMETOOLONG;
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);
		int r;

		lineno++;
		if (n == 0 || line[n - 1] != '\n') {
			/* An over-long line or a last line cut short. */
			rep->bad_lines++;
			damaged = true;
			if (n == sizeof(line) - 1) {
				int c;

				while ((c = fgetc(f)) != EOF && c != '\n')
					;
			}
			continue;
		}
		line[n - 1] = '\0';
		if (lineno == 1) {
			header = strcmp(line, HEADER) == 0;
			if (!header)
				damaged = true;
			if (header)
				continue;
		}
		if (ended) {
			rep->bad_lines++;
			damaged = true;
			continue;
		}
		if (strncmp(line, "end ", 4) == 0) {
			ended = true;
			continue;
		}
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (strncmp(line, "knownkey ", 9) == 0) {
			if (load_known_key(line, known, &key_usable) < 0) {
				rep->bad_lines++;
				damaged = true;
			}
			continue;
		}
		if (strncmp(line, "known ", 6) == 0) {
			r = load_known(line, known, key_usable, now_ms, now_wall);
			if (r < 0) {
				rep->bad_lines++;
				damaged = true;
			} else if (r) {
				rep->known++;
			} else {
				rep->known_skipped++;
			}
			continue;
		}
		if (strncmp(line, "allow ", 6) == 0) {
			if (!al)
				continue;
			r = load_allow(line, al, now_wall);
			if (r == 1)
				rep->allowed++;
			else if (r == 0)
				rep->allow_expired++;
			else if (r == -ENOSPC)
				rep->allow_refused++;
			else {
				rep->bad_lines++;
				damaged = true;
			}
			continue;
		}
		r = load_line(line, t, now_ms, now_wall);
		if (r == 1)
			rep->loaded++;
		else if (r == 0)
			rep->expired++;
		else if (r == -ENOSPC)
			rep->refused++;
		else {
			rep->bad_lines++;
			damaged = true;
		}
	}
	fclose(f);
	if (!ended) {
		rep->truncated = 1;
		damaged = true;
	}
	if (damaged) {
		snprintf(rep->moved_to, sizeof(rep->moved_to), "%s.corrupt-%" PRId64, path, now_wall);
		if (rename(path, rep->moved_to) < 0)
			rep->moved_to[0] = '\0';
	}
	return 0;
}
