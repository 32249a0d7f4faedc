/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_BLOCKLIST_H
#define SIPWARDEN_BLOCKLIST_H

/*
 * blocklist - address lists from files (blocklist_files), such as an
 * exported APIBAN or CrowdSec list: one address or CIDR network a line,
 * '#' starts a comment, blank lines ignored. Each entry becomes a ban with
 * reason "blocklist" in the table and the kernel set, replaced as a whole
 * at every start and reload.
 */

#include <stdio.h>

#include "addr.h"

typedef int (*blocklist_cb)(const struct addr_net *net, void *arg);

/*
 * Read one file, calling cb for every valid entry (a negative return from
 * cb stops the read and is returned). Bad lines are reported to err as
 * "FILE:LINE: message" and skipped; *bad counts them. Returns the number of
 * entries handed to cb, or a negative errno when the file cannot be read.
 */
int blocklist_read(const char *path, blocklist_cb cb, void *arg, FILE *err, unsigned *bad);

#endif
