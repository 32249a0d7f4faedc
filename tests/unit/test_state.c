/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "addr.h"
#include "bans.h"
#include "clock.h"
#include "config.h"
#include "state.h"
#include "upkeep.h"

#define WALL 1700000000  /* wall clock of the saving process */
#define MONO 5000000     /* its monotonic ms */

static char g_dir[64];
static struct bantab *g_a, *g_b;

static void
setup(void)
{
	strcpy(g_dir, "/tmp/test_state.XXXXXX");
	cr_assert_not_null(mkdtemp(g_dir));
	g_a = bantab_new(100);
	g_b = bantab_new(100);
	cr_assert(g_a && g_b);
}

static void
teardown(void)
{
	DIR *d = opendir(g_dir);
	struct dirent *e;
	char p[512];

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		snprintf(p, sizeof(p), "%s/%s", g_dir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	chmod(g_dir, 0700);
	rmdir(g_dir);
	bantab_free(g_a);
	bantab_free(g_b);
	g_a = g_b = NULL;
}

TestSuite(state, .init = setup, .fini = teardown);

static struct ban_key
KIP(const char *s)
{
	struct addr_net n;
	struct ban_key k;

	memset(&k, 0, sizeof(k));
	cr_assert_eq(addr_net_parse(s, &n), 0, "%s", s);
	ban_key_ip(&k, &n.base);
	k.plen = n.plen;
	return k;
}

static struct ban_key
KU(const char *s)
{
	struct ban_key k;

	memset(&k, 0, sizeof(k));
	cr_assert_eq(ban_key_user(&k, s), 0);
	return k;
}

struct found {
	const struct ban_key *want;
	bool seen;
	enum ban_reason reason;
	uint64_t expires_ms, created_ms;
};

static void
find_cb(const struct ban_info *b, void *arg)
{
	struct found *f = arg;

	if (b->key->kind == f->want->kind && b->key->plen == f->want->plen &&
	    b->key->len == f->want->len && memcmp(b->key->data, f->want->data, b->key->len) == 0) {
		f->seen = true;
		f->reason = b->reason;
		f->expires_ms = b->expires_ms;
		f->created_ms = b->created_ms;
	}
}

static struct found
find(struct bantab *t, const struct ban_key *k, uint64_t now)
{
	struct found f = { .want = k };

	bantab_foreach(t, now, find_cb, &f);
	return f;
}

static void
write_file(const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", g_dir, STATE_FILE);
	f = fopen(p, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

static char *
read_file(void)
{
	static char buf[8192];
	char p[256];
	FILE *f;
	size_t n;

	snprintf(p, sizeof(p), "%s/%s", g_dir, STATE_FILE);
	f = fopen(p, "r");
	cr_assert_not_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static bool
state_file_exists(void)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", g_dir, STATE_FILE);
	return access(p, F_OK) == 0;
}

Test(state, no_file_is_not_an_error)
{
	struct state_report rep;

	cr_assert_eq(state_load(g_dir, g_b, NULL, MONO, WALL, &rep), 0);
	cr_assert_eq(rep.loaded + rep.expired + rep.bad_lines + rep.refused, 0);
	cr_assert_eq(rep.truncated, 0);
	cr_assert_eq(bantab_count(g_b, BAN_KIND_IP), 0);
}

Test(state, round_trip)
{
	struct ban_key k[] = {
		KIP("203.0.113.7"), KIP("198.51.100.0/24"), KIP("2001:db8:a::/64"),
		KIP("2001:db8::1"), KU("alice@example.org"),
	};
	enum ban_reason r[] = { BAN_REASON_DENSITY, BAN_REASON_MANUAL, BAN_REASON_UA,
				BAN_REASON_MALFORMED, BAN_REASON_AUTH };
	struct state_report rep;
	const uint64_t later = 9000000; /* the loading process has another clock */

	for (int i = 0; i < 5; i++)
		cr_assert_eq(bantab_add(g_a, &k[i], r[i], MONO - 10000, 60000u * (uint64_t)(i + 1)),
			     1);
	cr_assert_eq(state_save(g_dir, g_a, NULL, MONO, WALL), 5);
	cr_assert_str_eq(read_file() + strlen(read_file()) - 6, "end 5\n");
	/* Loaded 20 s later (wall): each ban has 20 s less. */
	cr_assert_eq(state_load(g_dir, g_b, NULL, later, WALL + 20, &rep), 0);
	cr_assert_eq(rep.loaded, 5);
	cr_assert_eq(rep.bad_lines + rep.expired + rep.refused, 0);
	cr_assert_eq(rep.truncated, 0);
	cr_assert_str_eq(rep.moved_to, "");
	cr_assert(state_file_exists(), "a good file stays");
	for (int i = 0; i < 5; i++) {
		struct found f = find(g_b, &k[i], later);
		int64_t left = (int64_t)f.expires_ms - (int64_t)later;
		int64_t want = 60000 * (i + 1) - 10000 - 20000;

		cr_assert(f.seen, "key %d", i);
		cr_assert_eq(f.reason, r[i]);
		cr_assert(left >= want && left <= want + 1000, "key %d: %lld ms left, want %lld",
			  i, (long long)left, (long long)want);
		cr_assert(f.created_ms <= later - 30000 && f.created_ms >= later - 31000,
			  "age kept: %llu", (unsigned long long)f.created_ms);
	}
	cr_assert_eq(bantab_count(g_b, BAN_KIND_IP), 4);
	cr_assert_eq(bantab_count(g_b, BAN_KIND_USER), 1);
	cr_assert(bantab_check(g_b, &k[0], later));
}

Test(state, expiry_while_stopped)
{
	struct ban_key a = KIP("203.0.113.8"), b = KU("bob@example.org");
	struct state_report rep;

	cr_assert_eq(bantab_add(g_a, &a, BAN_REASON_DENSITY, MONO, 60000), 1);
	cr_assert_eq(bantab_add(g_a, &b, BAN_REASON_AUTH, MONO, 3600000), 1);
	cr_assert_eq(state_save(g_dir, g_a, NULL, MONO, WALL), 2);
	/* Down for 61 s: the 60 s ban ran out, the hour one did not. */
	cr_assert_eq(state_load(g_dir, g_b, NULL, 100, WALL + 61, &rep), 0);
	cr_assert_eq(rep.expired, 1);
	cr_assert_eq(rep.loaded, 1);
	cr_assert(!find(g_b, &a, 100).seen);
	cr_assert(find(g_b, &b, 100).seen);
	cr_assert_str_eq(rep.moved_to, "", "expired is not damaged");
}

Test(state, corrupt_line_skipped_and_file_moved_aside)
{
	struct ban_key a = KIP("203.0.113.9"), u = KU("carol@example.org");
	struct state_report rep;
	struct stat sb;
	char text[1024];

	snprintf(text, sizeof(text),
		 "# sipwarden state 1\n"
		 "ip 203.0.113.9 32 density %d %d\n"
		 "ip 203.0.113.300 32 density %d %d\n"   /* bad address */
		 "ip 203.0.113.10 33 density %d %d\n"    /* bad prefix */
		 "user bad%%zzescape@x 0 auth %d %d\n"   /* bad escape */
		 "user x@y 0 nonsense %d %d\n"           /* bad reason */
		 "ip 203.0.113.11 32 density %d %d extra\n"
		 "garbage\n"
		 "user carol@example.org 0 auth %d %d\n"
		 "end 2\n",
		 WALL + 100, WALL, WALL + 100, WALL, WALL + 100, WALL, WALL + 100, WALL,
		 WALL + 100, WALL, WALL + 100, WALL, WALL + 100, WALL);
	write_file(text);
	cr_assert_eq(state_load(g_dir, g_b, NULL, MONO, WALL, &rep), 0);
	cr_assert_eq(rep.loaded, 2);
	cr_assert_eq(rep.bad_lines, 6);
	cr_assert_eq(rep.truncated, 0);
	cr_assert(find(g_b, &a, MONO).seen);
	cr_assert(find(g_b, &u, MONO).seen);
	cr_assert_neq(rep.moved_to[0], '\0');
	cr_assert_eq(stat(rep.moved_to, &sb), 0, "kept for a person: %s", rep.moved_to);
	cr_assert_not_null(strstr(rep.moved_to, ".corrupt-"));
	cr_assert(!state_file_exists(), "moved, not copied");
}

Test(state, truncated_file_keeps_good_entries)
{
	struct ban_key a = KIP("203.0.113.12"), b = KIP("2001:db8:a::/64");
	struct state_report rep;
	struct stat sb;
	char text[512];

	snprintf(text, sizeof(text),
		 "# sipwarden state 1\n"
		 "ip 203.0.113.12 32 density %d %d\n"
		 "ip 2001:db8:a:: 64 ua %d %d\n"
		 "ip 203.0.113.1",  /* cut in the middle of a line, no end marker */
		 WALL + 100, WALL, WALL + 100, WALL);
	write_file(text);
	cr_assert_eq(state_load(g_dir, g_b, NULL, MONO, WALL, &rep), 0);
	cr_assert_eq(rep.loaded, 2);
	cr_assert_eq(rep.truncated, 1);
	cr_assert_eq(rep.bad_lines, 1);
	cr_assert(find(g_b, &a, MONO).seen);
	cr_assert(find(g_b, &b, MONO).seen);
	cr_assert_neq(rep.moved_to[0], '\0');
	cr_assert_eq(stat(rep.moved_to, &sb), 0);
	cr_assert(!state_file_exists());
	/* The next save writes a complete file again. */
	cr_assert_eq(state_save(g_dir, g_b, NULL, MONO, WALL), 2);
	cr_assert_eq(state_load(g_dir, g_a, NULL, MONO, WALL, &rep), 0);
	cr_assert_eq(rep.loaded, 2);
	cr_assert_eq(rep.truncated, 0);
}

Test(state, no_end_marker_is_truncated)
{
	struct state_report rep;
	char text[256];

	snprintf(text, sizeof(text), "# sipwarden state 1\nip 203.0.113.13 32 manual %d %d\n",
		 WALL + 100, WALL);
	write_file(text);
	cr_assert_eq(state_load(g_dir, g_b, NULL, MONO, WALL, &rep), 0);
	cr_assert_eq(rep.loaded, 1);
	cr_assert_eq(rep.truncated, 1);
	cr_assert_eq(rep.bad_lines, 0);
}

Test(state, user_keys_with_odd_bytes_escaped)
{
	static const char *const users[] = {
		"a b@example.org", "x%41@example.org", "nl\nin@example.org",
		"q\"uote'@example.org", "\x01\x1b[31m@example.org", "\xff\xfe@example.org",
		"#hash@example.org", "end 0@example.org", "tab\t\r@example.org",
	};
	const size_t n = sizeof(users) / sizeof(users[0]);
	struct state_report rep;
	char *text;

	for (size_t i = 0; i < n; i++) {
		struct ban_key k = KU(users[i]);

		cr_assert_eq(bantab_add(g_a, &k, BAN_REASON_AUTH, MONO, 600000), 1);
	}
	cr_assert_eq(state_save(g_dir, g_a, NULL, MONO, WALL), (int)n);
	text = read_file();
	/* One line per ban plus header and end; nothing outside printable
	 * ASCII; no key can pass for the end marker or a comment. */
	{
		size_t lines = 0;

		for (char *p = text; *p; p++) {
			unsigned char c = (unsigned char)*p;

			lines += c == '\n';
			cr_assert(c == '\n' || (c >= 0x20 && c < 0x7f), "byte 0x%02x", c);
		}
		cr_assert_eq(lines, n + 2);
	}
	cr_assert_not_null(strstr(text, "user a%20b@example.org 0 auth"));
	cr_assert_not_null(strstr(text, "user x%2541@example.org "));
	cr_assert_not_null(strstr(text, "user %FF%FE@example.org "));
	cr_assert_not_null(strstr(text, "user end%200@example.org "));
	cr_assert_eq(state_load(g_dir, g_b, NULL, MONO, WALL, &rep), 0);
	cr_assert_eq(rep.loaded, n);
	cr_assert_eq(rep.bad_lines, 0);
	for (size_t i = 0; i < n; i++) {
		struct ban_key k = KU(users[i]);

		cr_assert(find(g_b, &k, MONO).seen, "user %zu", i);
		cr_assert(bantab_check(g_b, &k, MONO));
	}
}

Test(state, full_table_counts_refused)
{
	struct bantab *small = bantab_new(1);
	struct state_report rep;
	char text[256];

	cr_assert_not_null(small);
	snprintf(text, sizeof(text), "# sipwarden state 1\nip 203.0.113.14 32 manual %d %d\n"
		 "ip 203.0.113.15 32 manual %d %d\nend 2\n", WALL + 50, WALL, WALL + 50, WALL);
	write_file(text);
	cr_assert_eq(state_load(g_dir, small, NULL, MONO, WALL, &rep), 0);
	cr_assert_eq(rep.loaded, 1);
	cr_assert_eq(rep.refused, 1);
	cr_assert_str_eq(rep.moved_to, "", "a full table is not damage");
	bantab_free(small);
}

Test(state, unwritable_dir_returns_error)
{
	struct ban_key a = KIP("203.0.113.16");
	char missing[128], file_as_dir[128];
	FILE *f;

	cr_assert_eq(bantab_add(g_a, &a, BAN_REASON_MANUAL, MONO, 60000), 1);
	snprintf(missing, sizeof(missing), "%s/no/such/dir", g_dir);
	cr_assert_eq(state_save(missing, g_a, NULL, MONO, WALL), -ENOENT);
	snprintf(file_as_dir, sizeof(file_as_dir), "%s/plainfile", g_dir);
	f = fopen(file_as_dir, "w");
	cr_assert_not_null(f);
	fclose(f);
	cr_assert_eq(state_save(file_as_dir, g_a, NULL, MONO, WALL), -ENOTDIR);
	cr_assert_eq(chmod(g_dir, 0500), 0);
	if (geteuid() != 0) {
		cr_assert_eq(state_save(g_dir, g_a, NULL, MONO, WALL), -EACCES);
	} else {
		/* Root ignores permission bits: try as nobody in a child. */
		pid_t pid = fork();
		int st = 0;

		cr_assert_geq(pid, 0);
		if (pid == 0)
			_exit(setgid(65534) == 0 && setuid(65534) == 0 &&
			      state_save(g_dir, g_a, NULL, MONO, WALL) == -EACCES ? 0 : 1);
		cr_assert_eq(waitpid(pid, &st, 0), pid);
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "nobody could write");
	}
	chmod(g_dir, 0700);
	/* A failed save leaves no temporary file behind. */
	cr_assert_eq(state_save(g_dir, g_a, NULL, MONO, WALL), 1);
	{
		char tmp[256];

		snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", g_dir, STATE_FILE);
		cr_assert_neq(access(tmp, F_OK), 0);
	}
}

/* What the control socket relies on before it answers OK: upkeep_save()
 * returns 0 only once the file on disk holds the table, unban included. */
Test(state, upkeep_save_is_on_disk_when_it_returns)
{
	struct ban_key a = KIP("203.0.113.17"), b = KIP("203.0.113.18");
	struct upkeep u = { .state_dir = g_dir, .bans = g_a };
	struct config *cfg = config_new_default();
	struct state_report rep;

	cr_assert_not_null(cfg);
	cfg->mode = CONFIG_MODE_ENFORCE;
	cr_assert_eq(bantab_add(g_a, &a, BAN_REASON_MANUAL, MONO, 600000), 1);
	cr_assert_eq(bantab_add(g_a, &b, BAN_REASON_MANUAL, MONO, 600000), 1);
	cr_assert_eq(upkeep_save(&u, cfg, MONO), 0);
	cr_assert_eq(bantab_del(g_a, &a), 0);
	cr_assert_eq(upkeep_save(&u, cfg, MONO), 0);
	cr_assert_eq(state_load(g_dir, g_b, NULL, MONO, clock_wall_s(), &rep), 0);
	cr_assert_eq(rep.loaded, 1);
	cr_assert_not(bantab_check(g_b, &a, MONO));
	cr_assert(bantab_check(g_b, &b, MONO));
	/* Nothing changed since: nothing to write, and still durable. */
	cr_assert_eq(upkeep_save(&u, cfg, MONO), 0);
	config_free(cfg);
}

/* Its twins: monitor mode never writes the file (-EPERM), and a failed
 * save is an error the answer must carry, until a save succeeds. */
Test(state, upkeep_save_says_when_not_durable)
{
	struct ban_key a = KIP("203.0.113.19");
	char file_as_dir[128];
	struct upkeep u = { .state_dir = g_dir, .bans = g_a };
	struct config *cfg = config_new_default();
	char path[256];
	FILE *f;

	cr_assert_not_null(cfg);
	cr_assert_eq(bantab_add(g_a, &a, BAN_REASON_MANUAL, MONO, 600000), 1);
	cfg->mode = CONFIG_MODE_MONITOR;
	cr_assert_eq(upkeep_save(&u, cfg, MONO), -EPERM);
	snprintf(path, sizeof(path), "%s/%s", g_dir, STATE_FILE);
	cr_assert_neq(access(path, F_OK), 0);
	cfg->mode = CONFIG_MODE_ENFORCE;
	snprintf(file_as_dir, sizeof(file_as_dir), "%s/plainfile", g_dir);
	f = fopen(file_as_dir, "w");
	cr_assert_not_null(f);
	fclose(f);
	u.state_dir = file_as_dir;
	cr_assert_eq(upkeep_save(&u, cfg, MONO), -ENOTDIR);
	cr_assert_eq(upkeep_save(&u, cfg, MONO), -ENOTDIR); /* not "unchanged" */
	u.state_dir = g_dir;
	cr_assert_eq(upkeep_save(&u, cfg, MONO), 0);
	cr_assert_eq(access(path, F_OK), 0);
	config_free(cfg);
}

Test(state, overlong_path_is_refused)
{
	char dir[5000];
	struct state_report rep;

	memset(dir, 'd', sizeof(dir) - 1);
	dir[0] = '/';
	dir[sizeof(dir) - 1] = '\0';
	cr_assert_eq(state_save(dir, g_a, NULL, MONO, WALL), -ENAMETOOLONG);
	cr_assert_eq(state_load(dir, g_a, NULL, MONO, WALL, &rep), -ENAMETOOLONG);
}

/* Found by tests/fuzz/fuzz_state: times at the ends of int64 made
 * now_wall - created overflow (undefined behaviour) and exp - now_wall
 * wrap the millisecond expiry. They load clamped, and round-trip. */
Test(state, extreme_times_do_not_overflow)
{
	struct ban_key a = KIP("203.0.113.7"), u = KU("b@c");
	struct state_report rep;
	struct found f;

	write_file("# sipwarden state 1\n"
		   "ip 203.0.113.7 32 density 9223372036854775807 -9223372036854775808\n"
		   "user b@c 0 ua 1700000010 9223372036854775807\n"
		   "end 2\n");
	cr_assert_eq(state_load(g_dir, g_a, NULL, MONO, WALL, &rep), 0);
	cr_assert_eq(rep.loaded, 2);
	cr_assert_eq(rep.bad_lines, 0);
	f = find(g_a, &a, MONO);
	cr_assert(f.seen);
	cr_assert_eq(f.created_ms, 0, "created before boot");
	cr_assert(f.expires_ms > MONO + 100ull * 365 * 86400 * 1000, "still banned for long");
	cr_assert_eq(f.expires_ms, MONO + (uint64_t)UINT32_MAX * 1000u, "clamped");
	f = find(g_a, &u, MONO);
	cr_assert(f.seen);
	cr_assert_eq(f.created_ms, MONO, "created in the future reads as now");
	cr_assert_eq(f.expires_ms, MONO + 10000);
	/* What was loaded saves and loads back unchanged. */
	cr_assert_eq(state_save(g_dir, g_a, NULL, MONO, WALL), 2);
	cr_assert_eq(state_load(g_dir, g_b, NULL, MONO, WALL, &rep), 0);
	cr_assert_eq(rep.loaded, 2);
	cr_assert_eq(rep.bad_lines + rep.expired + rep.refused, 0);
	cr_assert_eq(find(g_b, &a, MONO).expires_ms, MONO + (uint64_t)UINT32_MAX * 1000u);
}

/*
 * The fuzzer's crash (issue 16, item 6): "%00" unescaped into the empty
 * user, which was banned and then saved as a line that could not be read
 * back. A NUL in a key is refused when loading, and no empty user key is
 * made at all; a key with another control byte still round-trips.
 */
Test(state, nul_in_a_key_is_refused_not_banned)
{
	struct ban_key k, ok = KU("a\x01z@example.org");
	struct state_report rep;
	char text[512];

	cr_assert_eq(ban_key_user(&k, ""), -EINVAL);
	snprintf(text, sizeof(text),
		 "# sipwarden state 1\n"
		 "user %%00 0 manual %d 0\n"
		 "user al%%00x@example.org 0 manual %d 0\n"
		 "user a%%01z@example.org 0 manual %d 0\n"
		 "end 3\n",
		 WALL + 100, WALL + 100, WALL + 100);
	write_file(text);
	cr_assert_eq(state_load(g_dir, g_b, NULL, MONO, WALL, &rep), 0);
	cr_assert_eq(rep.loaded, 1, "loaded %u bad %u trunc %u", rep.loaded, rep.bad_lines, rep.truncated);
	cr_assert_eq(rep.bad_lines, 2);
	cr_assert_eq(bantab_count(g_b, BAN_KIND_USER), 1);
	cr_assert(find(g_b, &ok, MONO).seen);
	/* What is saved now loads again, whole. */
	cr_assert_eq(state_save(g_dir, g_b, NULL, MONO, WALL), 1);
	cr_assert_eq(state_load(g_dir, g_a, NULL, MONO, WALL, &rep), 0);
	cr_assert_eq(rep.loaded, 1);
	cr_assert_eq(rep.bad_lines, 0);
	cr_assert(find(g_a, &ok, MONO).seen);
}
