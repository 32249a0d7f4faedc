/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_BIGMEM_H
#define SIPWARDEN_BIGMEM_H

#include <stddef.h>

/*
 * bigmem - the large tables the hot path indexes at random (sources,
 * transactions, enumeration records): zeroed and faulted in whole at
 * allocation, so that a packet never pays a page fault for an entry it is
 * the first to use, and backed by transparent huge pages where the kernel
 * offers them (MADV_HUGEPAGE; THP "madvise" or "always"), so that a random
 * entry costs one TLB entry per 2 MiB instead of per 4 KiB. The memory is
 * the configured bound and is resident from the start.
 */
void *bigmem_alloc(size_t len);	/* NULL (errno set) when it cannot be had */
void bigmem_free(void *p, size_t len);

#endif
