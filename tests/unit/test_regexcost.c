/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests: regexcost, the bound on regcomp()'s expansion of a
 * ua_blacklist pattern, and the config refusing a pattern over it (the
 * out-of-memory fuzz_config found: stacked '+' double regcomp()'s tree
 * each time). Benign twins: the patterns operators write still load.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "regexcost.h"

#define CAP (REGEXCOST_MAX + 1)

Test(regexcost, literals_brackets_and_escapes_count_one_each)
{
	cr_assert_eq(regexcost_nodes("", CAP), 0);
	cr_assert_eq(regexcost_nodes("friendly-scanner", CAP), 16);
	cr_assert_eq(regexcost_nodes("[a-z]", CAP), 1);
	cr_assert_eq(regexcost_nodes("[]a[:alpha:]]x", CAP), 2);
	cr_assert_eq(regexcost_nodes("\\+\\(", CAP), 2);
	cr_assert_eq(regexcost_nodes("a|b", CAP), 3);
}

Test(regexcost, quantifiers_multiply)
{
	cr_assert_eq(regexcost_nodes("a*", CAP), 2);
	cr_assert_eq(regexcost_nodes("a+", CAP), 3);
	cr_assert_eq(regexcost_nodes("a{3}", CAP), 4);
	cr_assert_eq(regexcost_nodes("a{2,}", CAP), 4);
	cr_assert_eq(regexcost_nodes("a{0,5}", CAP), 6);
	cr_assert_eq(regexcost_nodes("a{,5}", CAP), 6); /* glibc: {0,5} */
	cr_assert_eq(regexcost_nodes("(ab){10}", CAP), 31);
	/* nested intervals multiply: 10 x 10 x 10 copies of one literal */
	cr_assert_geq(regexcost_nodes("((a{10}){10}){10}", CAP), 1000);
	/* nested '+' double each time */
	cr_assert_geq(regexcost_nodes("((((((((((a+)+)+)+)+)+)+)+)+)+)", CAP), 1024);
}

/* fuzz_config's timeout (regcomp() seconds in its empty-transition
 * closures) and its kin: refused. Their harmless neighbours count. */
Test(regexcost, stacked_and_empty_repetitions_refused)
{
	static const char *const bad[] = {
		"e**********-*****************************+++++++ner", "e*+", "a**", "a+?",
		"a?*", "a{2}{3}", "a*{2}", "(a*)*", "(a*)+", "(b?){5}", "(a|)+", "(^$)*",
		"(a*b*)+", "((a*))*", "()*", "(\\b)+", "(x{0,3})+", "(x{,3}){2}",
	};
	static const char *const good[] = {
		"(ab)?", "a*b*", "(a*b)+", "(x?y){3}", "a?", "[0-9]+", "(a*)?", "(a+)+",
		"(x{1,3})+", "^sipcli.+", "a{3}", "(ab){2,}", "a{1}b",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(regexcost_nodes(bad[i], CAP), CAP, "%s", bad[i]);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_expect_lt(regexcost_nodes(good[i], CAP), 64, "%s", good[i]);
}

Test(regexcost, saturates_at_cap)
{
	char p[1025];

	memset(p, '+', sizeof(p) - 1);
	p[0] = 'a';
	p[sizeof(p) - 1] = '\0';
	cr_assert_eq(regexcost_nodes(p, CAP), CAP);
	cr_assert_eq(regexcost_nodes("((((a{255}){255}){255}){255})", CAP), CAP);
	cr_assert_eq(regexcost_nodes("a{,100}{,100}{,100}", CAP), CAP);
	/* too deep a nesting is refused outright */
	memset(p, '(', sizeof(p) - 1);
	cr_assert_eq(regexcost_nodes(p, CAP), CAP);
}

Test(regexcost, malformed_syntax_is_counted_not_trusted)
{
	/* regcomp() judges these; the walk must only end, and bound them. */
	static const char *const odd[] = { "(", ")", "[", "\\", "a{", "a{1", "a{1,x}", "{3}", "a{,", "a{,}",
					   "(|)", "[[:", "a|", "((a)", "a)b(" };

	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
		cr_assert_leq(regexcost_nodes(odd[i], CAP), 16, "%s", odd[i]);
}

static int
load(const char *text, char **errs)
{
	struct config *cfg = NULL;
	size_t sz;
	FILE *f = open_memstream(errs, &sz);
	int rc;

	cr_assert_not_null(f);
	rc = config_load_buffer("t.yml", text, strlen(text), &cfg, f);
	fclose(f);
	config_free(cfg);
	return rc;
}

/* fuzz_config's out-of-memory input, reduced: refused with a message,
 * without calling regcomp() on it. */
Test(regexcost, config_refuses_stacked_repetitions)
{
	char *errs;

	cr_assert_eq(load("security:\n  ua_blacklist:\n"
			  "    - friendly-sca+++++++++++++++++++++++++++++++++++++nner\n",
			  &errs), -EINVAL);
	cr_assert(strstr(errs, "t.yml:3:7: security.ua_blacklist: invalid regular expression "
			       "'friendly-sca+++") != NULL, "%s", errs);
	cr_assert(strstr(errs, ": too complex (a quantifier on a quantifier, a repetition of "
			       "what can be empty, or over 4096 states once repeated)\n") != NULL,
		  "%s", errs);
	free(errs);
}

/* The benign twins: the defaults and patterns operators write. */
Test(regexcost, config_loads_real_patterns)
{
	char *errs;

	cr_assert_eq(load("security:\n  ua_blacklist:\n"
			  "    - friendly-scanner\n    - sipvicious\n    - '^sipcli.+'\n"
			  "    - '(sip|voip)(scan|buster)+'\n    - '^[A-Za-z]{1,255}/[0-9.]{1,32}$'\n"
			  "    - 'VaxSIPUserAgent|PortSIP VoIP SDK [0-9]+'\n",
			  &errs), 0, "%s", errs);
	free(errs);
}
