/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * regexcost - an upper bound of regcomp()'s expansion of an ERE (regexcost.h).
 */
#include "regexcost.h"

#include <stdbool.h>

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

static size_t alt(struct walk *w);

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

/* One atom: a group, a bracket expression, an escape or one character. */
static size_t
atom(struct walk *w)
{
	char c = *w->p;
	size_t v;

	if (c == '(') {
		if (w->depth >= REGEXCOST_DEPTH) {
			while (*w->p)
				w->p++;
			return w->cap;
		}
		w->p++;
		w->depth++;
		v = alt(w);
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
	if (c == '\\' && w->p[1])
		w->p++;
	w->p++;
	return 1;
}

/* The quantifiers after an atom of cost a; stacked ones multiply. */
static size_t
quantified(struct walk *w, size_t a)
{
	for (;;) {
		size_t f;

		switch (*w->p) {
		case '*':
		case '?':
			w->p++;
			a = sat_add(a, 1, w->cap);
			break;
		case '+':
			w->p++;
			a = sat_add(sat_mul(a, 2, w->cap), 1, w->cap);
			break;
		case '{':
			if ((f = interval(w)) == 0)
				return a;
			a = sat_add(sat_mul(a, f, w->cap), 1, w->cap);
			break;
		default:
			return a;
		}
	}
}

/* A branch: pieces up to '|', the end, or the ')' closing its group. */
static size_t
seq(struct walk *w)
{
	size_t total = 0;

	while (*w->p && *w->p != '|' && !(*w->p == ')' && w->depth > 0))
		total = sat_add(total, quantified(w, atom(w)), w->cap);
	return total;
}

static size_t
alt(struct walk *w)
{
	size_t total = seq(w);

	while (*w->p == '|') {
		w->p++;
		total = sat_add(sat_add(total, seq(w), w->cap), 1, w->cap);
	}
	return total;
}

size_t
regexcost_nodes(const char *pattern, size_t cap)
{
	struct walk w = { pattern, cap, 0 };
	size_t total = 0;

	/* At the top level a stray ')' is an atom (seq() takes it). */
	while (*w.p)
		total = sat_add(total, alt(&w), cap);
	return total;
}
