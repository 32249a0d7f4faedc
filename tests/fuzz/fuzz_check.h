/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_FUZZ_CHECK_H
#define SIPWARDEN_FUZZ_CHECK_H
/*
 * CHECK() for the libFuzzer targets: a property that does not hold aborts,
 * which libFuzzer reports as a crash and keeps the input of. Unlike
 * assert(), it stays in whatever build the target is made with.
 */
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                                 \
	do {                                                                        \
		if (!(cond)) {                                                      \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,      \
				__LINE__, #cond);                                   \
			abort();                                                    \
		}                                                                   \
	} while (0)

#endif
