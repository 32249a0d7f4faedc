/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests: blocklist_read() (address/CIDR list files) and the network
 * bans they turn into (bantab_check_ip() with prefix lengths).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "bans.h"
#include "blocklist.h"

static char g_dir[] = "/tmp/sw-blocklist-XXXXXX";
static char g_path[256];
static char *g_err;      /* what blocklist_read() reported */
static size_t g_errlen;

#define MAXNETS 64

struct got {
	unsigned n;
	struct addr_net nets[MAXNETS];
	int stop_after;     /* >0: return -ECANCELED at that call */
};

static void
setup(void)
{
	cr_assert_not_null(mkdtemp(g_dir));
	snprintf(g_path, sizeof(g_path), "%s/list.txt", g_dir);
}

static void
teardown(void)
{
	unlink(g_path);
	rmdir(g_dir);
	memcpy(g_dir + strlen(g_dir) - 6, "XXXXXX", 6);
	free(g_err);
	g_err = NULL;
}

TestSuite(blocklist, .init = setup, .fini = teardown);

static void
write_file(const void *data, size_t len)
{
	FILE *f = fopen(g_path, "we");

	cr_assert_not_null(f);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

static int
collect(const struct addr_net *net, void *arg)
{
	struct got *g = arg;

	cr_assert_lt(g->n, MAXNETS);
	g->nets[g->n++] = *net;
	if (g->stop_after && (int)g->n == g->stop_after)
		return -ECANCELED;
	return 0;
}

/* Read g_path; *g_err gets the messages. */
static int
read_list(struct got *g, unsigned *bad)
{
	FILE *err;
	int ret;

	free(g_err);
	g_err = NULL;
	err = open_memstream(&g_err, &g_errlen);
	cr_assert_not_null(err);
	ret = blocklist_read(g_path, collect, g, err, bad);
	fclose(err);
	return ret;
}

static void
assert_net(const struct addr_net *n, const char *text)
{
	struct addr_net want;
	char a[ADDR_STRLEN], b[ADDR_STRLEN];

	cr_assert_eq(addr_net_parse(text, &want), 0);
	cr_assert(addr_equal(&n->base, &want.base) && n->plen == want.plen,
		  "got %s/%u, want %s/%u", addr_format(&n->base, a, sizeof(a)), n->plen,
		  addr_format(&want.base, b, sizeof(b)), want.plen);
}

Test(blocklist, good_file)
{
	static const char text[] =
		"# APIBAN export 2024-05-01\n"
		"\n"
		"203.0.113.7\n"
		"198.51.100.0/24\r\n"
		"2001:db8:a::/48   \n"
		"  2001:db8::1 # an inline comment\n"
		"\t10.0.0.0/8\t\r\n"
		"   \n"
		"\r\n"
		"#\n"
		"192.0.2.255/32\n"
		"::/0\n"
		"0.0.0.0/0\n"
		"2001:db8:c::5"; /* no newline at the end */
	static const char *const want[] = {
		"203.0.113.7", "198.51.100.0/24", "2001:db8:a::/48", "2001:db8::1",
		"10.0.0.0/8", "192.0.2.255", "::/0", "0.0.0.0/0", "2001:db8:c::5",
	};
	struct got g = { 0 };
	unsigned bad = 99;

	write_file(text, sizeof(text) - 1);
	cr_assert_eq(read_list(&g, &bad), 9);
	cr_assert_eq(bad, 0);
	cr_assert_eq(g_errlen, 0, "unexpected messages: %s", g_err);
	cr_assert_eq(g.n, 9);
	for (unsigned i = 0; i < 9; i++)
		assert_net(&g.nets[i], want[i]);
	cr_assert_eq(g.nets[0].plen, 32);
	cr_assert_eq(g.nets[3].plen, 128);
	cr_assert_eq(g.nets[3].base.family, AF_INET6);
}

Test(blocklist, empty_and_comment_only_files)
{
	struct got g = { 0 };
	unsigned bad = 99;

	write_file("", 0);
	cr_assert_eq(read_list(&g, &bad), 0);
	cr_assert_eq(bad, 0);
	write_file("# nothing\n\n   # here\r\n", strlen("# nothing\n\n   # here\r\n"));
	cr_assert_eq(read_list(&g, &bad), 0);
	cr_assert_eq(bad, 0);
	cr_assert_eq(g.n, 0);
}

Test(blocklist, bad_lines_reported_with_file_and_line)
{
	static const char text[] =
		"203.0.113.7\n"          /* 1 ok */
		"not-an-address\n"       /* 2 */
		"10.0.0.1/8\n"           /* 3 host bits set */
		"198.51.100.0/33\n"      /* 4 */
		"2001:db8::/129\n"       /* 5 */
		"1.2.3.4 5.6.7.8\n"      /* 6 two on a line */
		"# fine\n"               /* 7 */
		"2001:db8::1/64\n"       /* 8 host bits set */
		"1.2.3.4/\n"             /* 9 */
		"1.2.3.4/-1\n"           /* 10 */
		"::1\n"                  /* 11 ok */
		"1.2.3.4;\n"             /* 12 */
		"300.1.1.1\n"            /* 13 */
		"192.0.2.0/24 # ok\n";   /* 14 ok */
	static const unsigned badlines[] = { 2, 3, 4, 5, 6, 8, 9, 10, 12, 13 };
	struct got g = { 0 };
	unsigned bad = 0;
	char want[700];
	const char *p;

	write_file(text, sizeof(text) - 1);
	cr_assert_eq(read_list(&g, &bad), 3);
	cr_assert_eq(bad, 10);
	assert_net(&g.nets[0], "203.0.113.7");
	assert_net(&g.nets[1], "::1");
	assert_net(&g.nets[2], "192.0.2.0/24");
	/* one message a bad line, in order, each "FILE:LINE: " */
	p = g_err;
	for (unsigned i = 0; i < 10; i++) {
		snprintf(want, sizeof(want), "%s:%u: ", g_path, badlines[i]);
		cr_assert(strncmp(p, want, strlen(want)) == 0, "message %u: '%s', want '%s...'",
			  i, p, want);
		p = strchr(p, '\n');
		cr_assert_not_null(p);
		p++;
	}
	cr_assert_eq(*p, '\0', "extra messages: %s", p);
	cr_assert_not_null(strstr(g_err, "'10.0.0.1/8'"));
}

Test(blocklist, err_may_be_null)
{
	struct got g = { 0 };
	unsigned bad = 0;

	write_file("junk\n1.2.3.4\n", strlen("junk\n1.2.3.4\n"));
	cr_assert_eq(blocklist_read(g_path, collect, &g, NULL, &bad), 1);
	cr_assert_eq(bad, 1);
}

Test(blocklist, over_long_line)
{
	/* 511 bytes of line content: the limit (a 512-byte buffer) is 510
	 * characters and the newline. */
	char text[4096];
	size_t o = 0;
	struct got g = { 0 };
	unsigned bad = 0;
	char want[700];

	o += (size_t)sprintf(text + o, "203.0.113.1\n");
	/* line 2: an address and 499 spaces: 510 characters, accepted */
	o += (size_t)sprintf(text + o, "203.0.113.2%499s\n", "");
	/* line 3: 511 characters: too long */
	o += (size_t)sprintf(text + o, "203.0.113.3%500s\n", "");
	/* line 4: 2000 characters of junk */
	memset(text + o, 'x', 2000);
	o += 2000;
	text[o++] = '\n';
	/* line 5: its successor is read as a line of its own */
	o += (size_t)sprintf(text + o, "203.0.113.5\n");
	write_file(text, o);
	cr_assert_eq(read_list(&g, &bad), 3);
	cr_assert_eq(bad, 2);
	assert_net(&g.nets[0], "203.0.113.1");
	assert_net(&g.nets[1], "203.0.113.2");
	assert_net(&g.nets[2], "203.0.113.5");
	snprintf(want, sizeof(want), "%s:3: line too long\n%s:4: line too long\n", g_path,
		 g_path);
	cr_assert_str_eq(g_err, want);
}

/* A comment longer than the line buffer is reported as a bad line although
 * it is a comment. Enable once comments are skipped whatever their length. */
Test(blocklist, long_comment_is_not_an_error)
{
	char text[1200];
	struct got g = { 0 };
	unsigned bad = 0;

	text[0] = '#';
	memset(text + 1, '-', 1000);
	sprintf(text + 1001, "\n203.0.113.1\n");
	write_file(text, strlen(text));
	cr_assert_eq(read_list(&g, &bad), 1);
	cr_assert_eq(bad, 0, "%s", g_err);
}

Test(blocklist, missing_file)
{
	struct got g = { 0 };
	unsigned bad = 99;

	cr_assert_eq(read_list(&g, &bad), -ENOENT);
	cr_assert_eq(bad, 0);
	cr_assert_eq(g.n, 0);
}

/* A directory opens but cannot be read: that is an error, not an empty
 * list. Enable once blocklist_read() checks ferror(). */
Test(blocklist, directory_is_an_error)
{
	struct got g = { 0 };
	unsigned bad = 0;

	cr_assert_lt(blocklist_read(g_dir, collect, &g, NULL, &bad), 0);
}

Test(blocklist, callback_error_stops_the_read)
{
	struct got g = { .stop_after = 2 };
	unsigned bad = 0;

	write_file("1.1.1.1\n2.2.2.2\n3.3.3.3\n", strlen("1.1.1.1\n2.2.2.2\n3.3.3.3\n"));
	cr_assert_eq(read_list(&g, &bad), -ECANCELED);
	cr_assert_eq(g.n, 2);
}

/* ---- what a list becomes: network bans ---- */

static struct bantab *g_bans;

static void
bans_setup(void)
{
	g_bans = bantab_new(1000);
	cr_assert_not_null(g_bans);
}

static void
bans_teardown(void)
{
	bantab_free(g_bans);
}

TestSuite(netbans, .init = bans_setup, .fini = bans_teardown);

static void
ban(const char *text, uint64_t now, uint64_t dur)
{
	struct addr_net n;
	struct ban_key k;

	cr_assert_eq(addr_net_parse(text, &n), 0, "%s", text);
	ban_key_net(&k, &n.base, n.plen);
	cr_assert_geq(bantab_add(g_bans, &k, BAN_REASON_BLOCKLIST, now, dur), 0);
}

static bool
banned(const char *ip, uint64_t now)
{
	struct addr a;

	cr_assert_eq(addr_parse(ip, &a), 0, "%s", ip);
	return bantab_check_ip(g_bans, &a, now);
}

struct hits {
	char net[64];
	uint64_t hits;
};

static void
hits_cb(const struct ban_info *b, void *arg)
{
	struct hits *h = arg;
	char txt[ADDR_STRLEN], full[64];

	snprintf(full, sizeof(full), "%s/%u", ban_key_format(b->key, txt, sizeof(txt)),
		 b->key->plen);
	if (strcmp(full, h->net) == 0)
		h->hits = b->hits;
}

static uint64_t
hits(const char *net)
{
	struct hits h = { .hits = UINT64_MAX };

	snprintf(h.net, sizeof(h.net), "%s", net);
	bantab_foreach(g_bans, 1000, hits_cb, &h);
	cr_assert_neq(h.hits, UINT64_MAX, "no ban %s", net);
	return h.hits;
}

Test(netbans, v4_slash_24)
{
	ban("198.51.100.0/24", 1000, 60000);
	cr_assert(banned("198.51.100.0", 1000));
	cr_assert(banned("198.51.100.77", 1000));
	cr_assert(banned("198.51.100.255", 1000));
	cr_assert_not(banned("198.51.101.0", 1000));
	cr_assert_not(banned("198.51.99.255", 1000));
	cr_assert_not(banned("2001:db8::1", 1000));
	/* and it expires */
	cr_assert_not(banned("198.51.100.77", 61000));
}

Test(netbans, v6_slash_64)
{
	ban("2001:db8:a::/64", 1000, 60000);
	cr_assert(banned("2001:db8:a::", 1000));
	cr_assert(banned("2001:db8:a::1", 1000));
	cr_assert(banned("2001:db8:a:0:ffff:ffff:ffff:ffff", 1000));
	cr_assert_not(banned("2001:db8:a:1::1", 1000));
	cr_assert_not(banned("2001:db8:b::1", 1000));
	cr_assert_not(banned("198.51.100.1", 1000));
}

Test(netbans, odd_prefix_lengths)
{
	ban("203.0.113.128/25", 1000, 60000);
	ban("2001:db8:4000::/34", 1000, 60000);
	ban("192.0.2.4/31", 1000, 60000);
	ban("2001:db8:ffff::/127", 1000, 60000);
	cr_assert(banned("203.0.113.200", 1000));
	cr_assert_not(banned("203.0.113.127", 1000));
	cr_assert(banned("2001:db8:7fff:1::1", 1000));
	cr_assert(banned("2001:db8:4000::", 1000));
	cr_assert_not(banned("2001:db8:8000::1", 1000));
	cr_assert_not(banned("2001:db8:3fff:ffff::1", 1000));
	cr_assert(banned("192.0.2.5", 1000));
	cr_assert_not(banned("192.0.2.6", 1000));
	cr_assert(banned("2001:db8:ffff::1", 1000));
	cr_assert_not(banned("2001:db8:ffff::2", 1000));
}

Test(netbans, everything)
{
	ban("0.0.0.0/0", 1000, 60000);
	cr_assert(banned("1.2.3.4", 1000));
	cr_assert(banned("255.255.255.255", 1000));
	cr_assert_not(banned("2001:db8::1", 1000));
	ban("::/0", 1000, 60000);
	cr_assert(banned("2001:db8::1", 1000));
}

Test(netbans, exact_bans_still_work)
{
	ban("203.0.113.7", 1000, 60000);
	ban("2001:db8:c::9", 1000, 60000);
	ban("198.51.100.0/24", 1000, 60000);
	cr_assert(banned("203.0.113.7", 1000));
	cr_assert_not(banned("203.0.113.8", 1000));
	cr_assert(banned("2001:db8:c::9", 1000));
	cr_assert_not(banned("2001:db8:c::8", 1000));
	cr_assert_eq(hits("203.0.113.7/32"), 1);
	cr_assert_eq(hits("2001:db8:c::9/128"), 1);
}

Test(netbans, longest_prefix_counts_the_hit)
{
	ban("10.0.0.0/8", 1000, 60000);
	ban("10.1.0.0/16", 1000, 60000);
	ban("10.1.2.0/24", 1000, 60000);
	ban("10.1.2.3", 1000, 60000);
	ban("2001:db8::/32", 1000, 60000);
	ban("2001:db8:a::/48", 1000, 60000);
	ban("2001:db8:a:b::/64", 1000, 60000);

	cr_assert(banned("10.1.2.3", 1000));
	cr_assert(banned("10.1.2.4", 1000));
	cr_assert(banned("10.1.3.4", 1000));
	cr_assert(banned("10.2.3.4", 1000));
	cr_assert(banned("10.1.2.5", 1000));
	cr_assert_eq(hits("10.1.2.3/32"), 1);
	cr_assert_eq(hits("10.1.2.0/24"), 2);
	cr_assert_eq(hits("10.1.0.0/16"), 1);
	cr_assert_eq(hits("10.0.0.0/8"), 1);

	cr_assert(banned("2001:db8:a:b::1", 1000));
	cr_assert(banned("2001:db8:a:c::1", 1000));
	cr_assert(banned("2001:db8:b::1", 1000));
	cr_assert_eq(hits("2001:db8:a:b::/64"), 1);
	cr_assert_eq(hits("2001:db8:a::/48"), 1);
	cr_assert_eq(hits("2001:db8::/32"), 1);
}

Test(netbans, expired_specific_ban_falls_back_to_wider)
{
	ban("10.0.0.0/8", 1000, 60000);
	ban("10.1.2.0/24", 1000, 5000);
	cr_assert(banned("10.1.2.3", 3000));
	cr_assert_eq(hits("10.1.2.0/24"), 1);
	cr_assert(banned("10.1.2.3", 7000));
	cr_assert_eq(hits("10.0.0.0/8"), 1);
	cr_assert_not(banned("10.1.2.3", 61000));
}

Test(netbans, list_file_to_bans)
{
	static const char text[] = "198.51.100.0/24\n2001:db8:a::/64\n203.0.113.7\n";
	char path[] = "/tmp/sw-bl-XXXXXX";
	int fd = mkstemp(path);
	struct got g = { 0 };
	unsigned bad = 0;

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	cr_assert_eq(blocklist_read(path, collect, &g, NULL, &bad), 3);
	unlink(path);
	for (unsigned i = 0; i < g.n; i++) {
		struct ban_key k;

		ban_key_net(&k, &g.nets[i].base, g.nets[i].plen);
		cr_assert_eq(bantab_add(g_bans, &k, BAN_REASON_BLOCKLIST, 1000, 60000), 1);
	}
	cr_assert(banned("198.51.100.9", 1000));
	cr_assert(banned("2001:db8:a::77", 1000));
	cr_assert(banned("203.0.113.7", 1000));
	cr_assert_not(banned("203.0.113.8", 1000));
	cr_assert_eq(bantab_count(g_bans, BAN_KIND_IP), 3);
}
