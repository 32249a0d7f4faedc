/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bigmem: a table the hot path writes at random is zeroed and resident
 * from the start (issue 19: a packet must never pay the page fault of an
 * entry it is the first to use).
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bigmem.h"

Test(bigmem, zeroed_and_resident_at_once)
{
	size_t len = (size_t)9 << 20 | 123; /* not a page multiple */
	long pg = sysconf(_SC_PAGESIZE);
	size_t pages = (len + (size_t)pg - 1) / (size_t)pg;
	unsigned char *vec = malloc(pages);
	unsigned char *p = bigmem_alloc(len);

	cr_assert_not_null(p);
	cr_assert_not_null(vec);
	cr_assert_eq(mincore(p, len, vec), 0);
	for (size_t i = 0; i < pages; i++)
		cr_assert(vec[i] & 1, "page %zu of %zu not resident", i, pages);
	for (size_t i = 0; i < len; i += 4093)
		cr_assert_eq(p[i], 0);
	cr_assert_eq(p[len - 1], 0);
	p[len - 1] = 1;
	bigmem_free(p, len);
	free(vec);
}

Test(bigmem, nothing_for_nothing)
{
	cr_assert_null(bigmem_alloc(0));
	bigmem_free(NULL, 0);
}
