/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_CONTROL_INTERNAL_H
#define SIPWARDEN_CONTROL_INTERNAL_H

/*
 * control_internal - private to the control_*.c files (the public side is
 * control.h):
 *
 *   control.c         the socket server: clients, framing, the commands on
 *                     bans, reload, status, stats, why and top
 *   control_allow.c   the commands on the runtime allow-list
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/un.h>

#include "control.h"
#include "ctlproto.h"
#include "log.h"

struct client {
	int fd;                  /* -1: free slot */
	bool writing;            /* the response is being sent */
	uid_t uid;
	pid_t pid;
	uint64_t deadline_ms;    /* closed when idle past this */
	size_t inlen;
	char in[CTL_LINE_MAX];
	char *out;
	size_t outlen, outoff;
};

struct control {
	int lfd;
	bool have_group;
	gid_t gid;
	char group[64];
	char path[sizeof(((struct sockaddr_un *)NULL)->sun_path)];
	const struct control_ops *ops;
	void *ctx;
	struct log_ratelimit refused_rl;
	unsigned nclients;
	struct ctl_stats stats; /* scratch: too big for the stack of a loop */
	struct ctl_why why;     /* scratch, likewise */
	struct ctl_top top;
	struct client cl[CONTROL_MAX_CLIENTS];
};

/* The key for a log line, attacker bytes escaped (log_escape()). */
const char *control_key_for_log(const struct ban_key *k, char *buf, size_t len);
/* The journal's record of an operator's change: event, key (may be NULL),
 * what was done, and by whom (uid, pid). */
void control_audit(const struct client *cl, const char *event, const struct ban_key *k,
		   const char *what);
/* An ERR message: cut at msglen by design. */
void control_set_msg(char *msg, size_t msglen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The answer to a change, once it is durable or with the reason it is not
 * (control_ops.commit). */
void control_result(struct control *c, FILE *f, const char *verb, const struct ban_key *k,
		    uint32_t secs, int64_t count, bool json);

/* Does the ban or allow b (a key of the same kind) cover the subject k? An
 * IP key an address or network inside its own; a user key its user. */
bool control_key_covers(const struct ban_key *b, const struct ban_key *k);

/* control_allow.c: the entries of the allow-list that cover w->key into
 * w->allows (none without an allow-list). */
void control_allow_why(struct control *c, struct ctl_why *w);
/* control_allow.c: allow, disallow and allowed. */
enum ctl_err control_allow_run(struct control *c, const struct client *cl,
			       const struct ctl_request *req, FILE *f, char *msg, size_t msglen,
			       uint64_t now);

#endif
