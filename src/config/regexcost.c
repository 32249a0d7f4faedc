/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * regexcost - an upper bound of regcomp()'s expansion of an ERE (regexcost.h).
 */
#include "regexcost.h"

#include <stdbool.h>
#include <string.h>

/* Deeper groups than this are refused outright: no User-Agent pattern
 * nests so, and the walk below recurses once per level. */
#define REGEXCOST_DEPTH 64u

struct walk {
	const char *p;
	size_t cap;
	unsigned depth;
};

static size_t
sat_add(size_t a, size_t b, size_t cap)
{
	return a >= cap || b >= cap - a ? cap : a + b;
}

static size_t
sat_mul(size_t a, size_t b, size_t cap)
{
	if (a == 0 || b == 0)
		return 0;
	return a >= cap || b >= cap || a > cap / b ? cap : a * b;
}

static size_t alt(struct walk *w, bool *nullable);

/* A decimal count of an interval, saturated well above RE_DUP_MAX (which
 * regcomp() enforces itself). Returns whether a digit was read. */
static bool
count(struct walk *w, size_t *n)
{
	bool any = false;

	*n = 0;
	while (*w->p >= '0' && *w->p <= '9') {
		if (*n < 1000000)
			*n = *n * 10 + (size_t)(*w->p - '0');
		w->p++;
		any = true;
	}
	return any;
}

/* The copies regcomp() makes of an atom for "{n}", "{n,}", "{n,m}" or
 * "{,m}" at w->p, or 0 (w->p unmoved) when it is no interval: then '{' is
 * left to be an atom. */
static size_t
interval(struct walk *w)
{
	const char *start = w->p;
	size_t n, m;
	bool comma;

	w->p++;
	/* glibc reads "{,m}" as "{0,m}" */
	if (!count(w, &n) && *w->p != ',') {
		w->p = start;
		return 0;
	}
	comma = *w->p == ',';
	if (comma)
		w->p++;
	if (comma && count(w, &m)) {
		/* {n,m}: m copies, n of them required */
	} else {
		m = comma ? n + 1 : n;
	}
	if (*w->p != '}') {
		w->p = start;
		return 0;
	}
	w->p++;
	return m ? m : 1;
}

/* One atom: a group, a bracket expression, an escape or one character;
 * *nullable: whether it can match the empty string. */
static size_t
atom(struct walk *w, bool *nullable)
{
	char c = *w->p;
	size_t v;

	*nullable = false;
	if (c == '(') {
		if (w->depth >= REGEXCOST_DEPTH) {
			while (*w->p)
				w->p++;
			return w->cap;
		}
		w->p++;
		w->depth++;
		v = alt(w, nullable);
		w->depth--;
		if (*w->p == ')')
			w->p++;
		return sat_add(v, 1, w->cap);
	}
	if (c == '[') {
		w->p++;
		if (*w->p == '^')
			w->p++;
		if (*w->p == ']')
			w->p++;
		while (*w->p && *w->p != ']') {
			if (w->p[0] == '[' && (w->p[1] == ':' || w->p[1] == '.' || w->p[1] == '=')) {
				char d = w->p[1];

				w->p += 2;
				while (*w->p && !(w->p[0] == d && w->p[1] == ']'))
					w->p++;
				if (*w->p)
					w->p += 2;
			} else {
				w->p++;
			}
		}
		if (*w->p == ']')
			w->p++;
		return 1;
	}
	/* Anchors, word boundaries and back-references may match nothing. */
	if (c == '^' || c == '$')
		*nullable = true;
	if (c == '\\' && w->p[1]) {
		w->p++;
		*nullable = strchr("123456789bB<>`'", *w->p) != NULL;
	}
	w->p++;
	return 1;
}

/* Whether a quantifier starts at p, and its copies: 1 for '*' and '?', 2
 * for '+', interval()'s for an interval. *repeats: it matches its atom
 * more than once; *opt: it may match it no time. */
static size_t
quantifier(struct walk *w, bool *repeats, bool *opt)
{
	const char *start = w->p;
	size_t f;

	switch (*w->p) {
	case '*':
	case '?':
		*repeats = *w->p == '*';
		*opt = true;
		w->p++;
		return 1;
	case '+':
		*repeats = true;
		*opt = false;
		w->p++;
		return 2;
	case '{':
		if ((f = interval(w)) == 0)
			return 0;
		/* "{n,}" and "{n,m}" with m > 1 repeat; "{0...}", "{,m}" may not match */
		*repeats = f > 1 || memchr(start, ',', (size_t)(w->p - start)) != NULL;
		*opt = start[1] == '0' || start[1] == ',';
		return f;
	default:
		return 0;
	}
}

/* The quantifier after an atom of cost a (*nullable: the atom can match
 * the empty string; updated). A quantifier on a quantifier (POSIX leaves
 * "a**" undefined) and a repetition of what can match nothing ("(a*)*",
 * "(b?){5}") are refused (cap): each means the same as a simpler pattern,
 * and both give regcomp() cycles of empty transitions whose closures take
 * it seconds at a few thousand nodes (fuzz_config: "e*+++++++++++", 2.4 s
 * and 245 MB). */
static size_t
quantified(struct walk *w, size_t a, bool *nullable)
{
	bool repeats, opt;
	size_t f = quantifier(w, &repeats, &opt);

	if (f == 0)
		return a;
	if (repeats && *nullable)
		return w->cap;
	a = sat_add(sat_mul(a, f, w->cap), 1, w->cap);
	*nullable = *nullable || opt;
	{
		struct walk peek = *w;
		bool r2, o2;

		if (quantifier(&peek, &r2, &o2) != 0)
			return w->cap; /* stacked */
	}
	return a;
}

/* A branch: pieces up to '|', the end, or the ')' closing its group. */
static size_t
seq(struct walk *w, bool *nullable)
{
	size_t total = 0;

	*nullable = true;
	while (*w->p && *w->p != '|' && !(*w->p == ')' && w->depth > 0)) {
		bool n;
		size_t a = atom(w, &n);

		total = sat_add(total, quantified(w, a, &n), w->cap);
		*nullable = *nullable && n;
	}
	return total;
}

static size_t
alt(struct walk *w, bool *nullable)
{
	size_t total = seq(w, nullable);

	while (*w->p == '|') {
		bool n;

		w->p++;
		total = sat_add(sat_add(total, seq(w, &n), w->cap), 1, w->cap);
		*nullable = *nullable || n;
	}
	return total;
}

size_t
regexcost_nodes(const char *pattern, size_t cap)
{
	struct walk w = { pattern, cap, 0 };
	size_t total = 0;
	bool nullable;

	/* At the top level a stray ')' is an atom (seq() takes it). */
	while (*w.p)
		total = sat_add(total, alt(&w, &nullable), cap);
	return total;
}
