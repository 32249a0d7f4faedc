/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "blocklist.h"

#define LINE_MAX_LEN 512

int
blocklist_read(const char *path, blocklist_cb cb, void *arg, FILE *err, unsigned *bad)
{
	char line[LINE_MAX_LEN];
	unsigned lineno = 0;
	int n = 0;
	FILE *f = fopen(path, "re");

	*bad = 0;
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		struct addr_net net;
		char *s = line, *e;
		size_t len = strlen(line);
		int ret;

		lineno++;
		if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
			int c;
			const char *q = line;

			/* Over-long: no address is this long. Skip the rest;
			 * only a long comment is harmless. */
			while ((c = fgetc(f)) != EOF && c != '\n')
				;
			while (isspace((unsigned char)*q))
				q++;
			if (*q == '#')
				continue;
			if (err)
				fprintf(err, "%s:%u: line too long\n", path, lineno);
			(*bad)++;
			continue;
		}
		if ((e = strchr(s, '#')))
			*e = '\0';
		while (isspace((unsigned char)*s))
			s++;
		for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]); e--)
			;
		*e = '\0';
		if (!*s)
			continue;
		if (addr_net_parse(s, &net) < 0) {
			if (err)
				fprintf(err, "%s:%u: not an address or network: '%.64s'\n", path,
					lineno, s);
			(*bad)++;
			continue;
		}
		ret = cb(&net, arg);
		if (ret < 0) {
			fclose(f);
			return ret;
		}
		n++;
	}
	/* A read error (a directory, an I/O error) is not an empty list. */
	if (ferror(f)) {
		int e = errno ? errno : EIO;

		fclose(f);
		return -e;
	}
	fclose(f);
	return n;
}
