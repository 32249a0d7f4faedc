/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_state - the ban state-file loader (state_load()).
 *
 * Each input is written as the state file of a private temporary directory
 * (made once per process, removed at exit) and loaded into an empty ban
 * table. state_load() moves a damaged file aside; whatever it leaves, the
 * file or the moved copy, is removed before the next input, so every run
 * starts from the same directory.
 *
 * Then the round trip: what was loaded is saved, loaded into a second
 * table and saved again. The second load must find a clean file (nothing
 * bad, expired, refused or truncated, nothing moved) with every ban, and
 * both saves must hold the same lines (in any order: the tables hash with
 * random seeds).
 *
 * The allow-list's lines (issue 20) take the same round trip: each input is
 * loaded into a fresh list of at most MAX_ALLOWS entries, and the second
 * load must restore every entry the first save wrote.
 *
 * The users' known sources ("knownkey", "known" lines) too: each input
 * loads into fresh known-source tables with random keys, so the first
 * adopts the file's key, and the round trip must bring back every entry
 * under it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "allowlist.h"
#include "bans.h"
#include "state.h"
#include "fuzz_check.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define WALL 1700000000 /* wall clock of the loading process, s */
#define MONO 5000000ull /* its monotonic clock, ms */
#define MAX_BANS 8
#define MAX_ALLOWS 8
#define MAX_KNOWN 8
#define KNOWN_TTL_MS (30ull * 24 * 3600 * 1000)

static char g_dir[PATH_MAX];
static char g_path[PATH_MAX];
static struct bantab *g_a, *g_b;

static void
cleanup(void)
{
	unlink(g_path);
	rmdir(g_dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	snprintf(g_dir, sizeof(g_dir), "%s/fuzz_state.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	CHECK(mkdtemp(g_dir) != NULL);
	snprintf(g_path, sizeof(g_path), "%s/%s", g_dir, STATE_FILE);
	atexit(cleanup);
	g_a = bantab_new(MAX_BANS);
	g_b = bantab_new(MAX_BANS);
	CHECK(g_a && g_b);
	return 0;
}

static void
write_file(const uint8_t *data, size_t size)
{
	int fd = open(g_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	CHECK(fd >= 0);
	for (size_t off = 0; off < size;) {
		ssize_t n = write(fd, data + off, size - off);

		CHECK(n > 0);
		off += (size_t)n;
	}
	CHECK(close(fd) == 0);
}

static int
line_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The state file's contents, lines sorted (for an order-free compare). */
static char *
read_sorted(size_t *lenp)
{
	FILE *f = fopen(g_path, "re");
	char *buf = NULL, **lines = NULL, *out;
	size_t len = 0, n = 0, o = 0;

	CHECK(f != NULL);
	{
		FILE *m = open_memstream(&buf, &len);
		int c;

		CHECK(m != NULL);
		while ((c = fgetc(f)) != EOF)
			fputc(c, m);
		CHECK(fclose(m) == 0);
	}
	fclose(f);
	lines = calloc(len + 1, sizeof(*lines));
	CHECK(lines != NULL);
	for (char *p = buf, *nl; p < buf + len; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(buf + len - p));
		CHECK(nl != NULL); /* state_save() ends every line */
		*nl = '\0';
		lines[n++] = p;
	}
	qsort(lines, n, sizeof(*lines), line_cmp);
	out = malloc(len + 1);
	CHECK(out != NULL);
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(lines[i]);

		memcpy(out + o, lines[i], l);
		o += l;
		out[o++] = '\n';
	}
	out[o] = '\0';
	free(lines);
	free(buf);
	*lenp = o;
	return out;
}

static void
count_known(const struct knowntab_entry *e, void *arg)
{
	(void)e;
	(*(uint32_t *)arg)++;
}

static uint32_t
known_entries(struct knowntab *t)
{
	uint32_t n = 0;

	knowntab_foreach(t, MONO, KNOWN_TTL_MS, count_known, &n);
	return n;
}

static uint32_t
count(const struct bantab *t)
{
	return bantab_count(t, BAN_KIND_IP) + bantab_count(t, BAN_KIND_USER);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state_report rep, rep2;
	struct state_known ka = { knowntab_new(MAX_KNOWN), KNOWN_TTL_MS };
	struct state_known kb = { knowntab_new(MAX_KNOWN), KNOWN_TTL_MS };
	char *s1, *s2;
	size_t l1, l2;
	uint32_t known;
	int n, r;

	struct allowlist *al_a = allowlist_new(MAX_ALLOWS), *al_b = allowlist_new(MAX_ALLOWS);

	CHECK(al_a && al_b && ka.t && kb.t);
	if (count(g_a))
		bantab_clear(g_a);
	if (count(g_b))
		bantab_clear(g_b);

	write_file(data, size);
	r = state_load_known(g_dir, g_a, al_a, &ka, MONO, WALL, &rep);
	CHECK(r == 0);
	if (rep.moved_to[0]) {
		CHECK(access(g_path, F_OK) != 0);
		CHECK(unlink(rep.moved_to) == 0);
	} else {
		CHECK(unlink(g_path) == 0);
	}
	CHECK(count(g_a) <= MAX_BANS);
	CHECK(count(g_a) <= rep.loaded);
	CHECK(allowlist_count(al_a) <= MAX_ALLOWS && allowlist_count(al_a) <= rep.allowed);
	known = known_entries(ka.t);
	CHECK(known <= MAX_KNOWN && known <= rep.known);

	/* Round trip. */
	n = state_save_known(g_dir, g_a, al_a, &ka, MONO, WALL);
	CHECK(n >= 0 && (uint32_t)n == count(g_a));
	s1 = read_sorted(&l1);
	r = state_load_known(g_dir, g_b, al_b, &kb, MONO, WALL, &rep2);
	CHECK(r == 0);
	if (rep2.loaded != (uint32_t)n || rep2.bad_lines || rep2.expired || rep2.refused ||
	    rep2.truncated || rep2.moved_to[0] || rep2.allowed != allowlist_count(al_a) ||
	    rep2.allow_expired || rep2.allow_refused || rep2.known != known || rep2.known_skipped) {
		fprintf(stderr, "round trip: saved %d, loaded %u bad %u expired %u refused %u "
			"truncated %d known %u of %u skipped %u\n%s", n, rep2.loaded,
			rep2.bad_lines, rep2.expired, rep2.refused, rep2.truncated, rep2.known,
			known, rep2.known_skipped, s1);
		abort();
	}
	CHECK(count(g_b) == (uint32_t)n);
	CHECK(allowlist_count(al_b) == allowlist_count(al_a));
	CHECK(known_entries(kb.t) == known);
	CHECK(state_save_known(g_dir, g_b, al_b, &kb, MONO, WALL) == n);
	s2 = read_sorted(&l2);
	if (l1 != l2 || memcmp(s1, s2, l1) != 0) {
		fprintf(stderr, "round trip changed the file:\n--- first\n%s--- second\n%s", s1, s2);
		abort();
	}
	free(s1);
	free(s2);
	allowlist_free(al_a);
	allowlist_free(al_b);
	knowntab_free(ka.t);
	knowntab_free(kb.t);
	CHECK(unlink(g_path) == 0);
	return 0;
}
