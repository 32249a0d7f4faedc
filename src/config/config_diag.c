/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config_diag - errors found while loading a configuration, held back and
 * printed sorted by position (config_tree.h).
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "config_tree.h"

/* Beyond this many, errors are counted but not shown: the file is not a
 * configuration with a few mistakes. */
#define CONFIG_MAX_ERRORS 1000

void
config_diag_vreport(struct config_diag *d, unsigned line, unsigned col,
	     const char *fmt, va_list ap)
{
	struct config_diag_msg *m;
	char *text;

	d->n_errors++;
	if (d->err == NULL || d->n_errors > CONFIG_MAX_ERRORS)
		return;
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	m = reallocarray(d->msgs, d->n_msgs + 1, sizeof(*m));
	if (text == NULL || m == NULL) {
		/* Out of memory: still say something, if unsorted. */
		fprintf(d->err, "%s:%u:%u: %s\n", d->name, line, col,
			text != NULL ? text : fmt);
		d->n_printed++;
		free(text);
		return;
	}
	d->msgs = m;
	m[d->n_msgs] = (struct config_diag_msg){ line, col, d->n_msgs, text };
	d->n_msgs++;
}

static int
diag_cmp(const void *x, const void *y)
{
	const struct config_diag_msg *a = x, *b = y;

	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void
config_diag_flush(struct config_diag *d)
{
	unsigned i;

	if (d->n_msgs > 0)
		qsort(d->msgs, d->n_msgs, sizeof(*d->msgs), diag_cmp);
	for (i = 0; i < d->n_msgs; i++) {
		fprintf(d->err, "%s:%u:%u: %s\n", d->name, d->msgs[i].line,
			d->msgs[i].col, d->msgs[i].text);
		free(d->msgs[i].text);
	}
	free(d->msgs);
	if (d->err != NULL && d->n_errors > d->n_msgs + d->n_printed)
		fprintf(d->err, "%s: %u more errors not shown\n", d->name,
			d->n_errors - d->n_msgs - d->n_printed);
	d->msgs = NULL;
	d->n_msgs = 0;
}

void
config_diag_report(struct config_diag *d, unsigned line, unsigned col,
		   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	config_diag_vreport(d, line, col, fmt, ap);
	va_end(ap);
}
