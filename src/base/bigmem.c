/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>
#include <sys/mman.h>

#include "bigmem.h"

void *
bigmem_alloc(size_t len)
{
	void *p;

	if (len == 0)
		return NULL;
	/* No MAP_NORESERVE: the memory is a configured bound and must exist.
	 * No MAP_POPULATE: the huge page advice must come before the faults
	 * (it is best effort; without it the pages are small). */
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	(void)madvise(p, len, MADV_HUGEPAGE);
	/* Written, not only mapped: every page is faulted in now. */
	memset(p, 0, len);
	return p;
}

void
bigmem_free(void *p, size_t len)
{
	if (p)
		munmap(p, len);
}
