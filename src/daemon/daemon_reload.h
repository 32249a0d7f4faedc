/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_DAEMON_RELOAD_H
#define SIPWARDEN_DAEMON_RELOAD_H

/*
 * daemon_reload - a new configuration, from SIGHUP or sipwardenctl reload:
 * read and checked, handed to the workers, and the old one freed only once
 * every worker confirmed it runs in the new one (worker.h). Main thread
 * only.
 */

#include <stddef.h>

#include "daemon_internal.h"

/* Which interfaces the SIP server's messages arrive on (gateway mode),
 * from d->cfg; at start and at each reload. */
void daemon_learn_server_ifs(struct daemon *d);
/* 0, or a negative errno when the file was refused (the running
 * configuration stays); errbuf (may be NULL) receives the reasons. */
int daemon_reload(struct daemon *d, char *errbuf, size_t errbuflen);

#endif
