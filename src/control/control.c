/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "control_internal.h"
#include "log.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59
#endif

#define ACCEPTS_PER_ROUND 64
#define LISTEN_BACKLOG 16
#define PEER_GROUPS_INLINE 256

static void
client_close(struct control *c, struct client *cl)
{
	if (cl->fd < 0)
		return;
	close(cl->fd);
	free(cl->out);
	cl->out = NULL;
	cl->fd = -1;
	c->nclients--;
}

/* A short reply to a client we are about to drop: one try, never waits. */
static void
send_now(int fd, enum ctl_err e, const char *msg)
{
	char buf[256];
	int n = snprintf(buf, sizeof(buf), "ERR %s %s\n.\n", ctlproto_err_name(e), msg);

	if (n > 0 && (size_t)n < sizeof(buf) &&
	    send(fd, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		/* the peer is gone or not reading: nothing more to do */
	}
}

static void
client_write(struct control *c, struct client *cl, uint64_t now)
{
	while (cl->outoff < cl->outlen) {
		ssize_t w = send(cl->fd, cl->out + cl->outoff, cl->outlen - cl->outoff,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				client_close(c, cl);
			return;
		}
		cl->outoff += (size_t)w;
		cl->deadline_ms = now + CONTROL_IDLE_MS; /* progress */
	}
	/* One request per connection. Unix sockets keep what was sent
	 * readable after the close, so the peer gets the whole response. */
	client_close(c, cl);
}

static void
respond(struct control *c, struct client *cl, enum ctl_err e, const char *msg,
	const char *body, size_t bodylen, uint64_t now)
{
	FILE *f = open_memstream(&cl->out, &cl->outlen);
	int r;

	if (!f) {
		send_now(cl->fd, CTL_E_FAILED, "out of memory");
		client_close(c, cl);
		return;
	}
	r = ctlproto_write_response(f, e, msg, body, bodylen);
	if (fclose(f) != 0 || r < 0) {
		send_now(cl->fd, CTL_E_FAILED, "out of memory");
		client_close(c, cl);
		return;
	}
	cl->writing = true;
	cl->outoff = 0;
	cl->deadline_ms = now + CONTROL_IDLE_MS;
	client_write(c, cl, now);
}

struct collect {
	struct ctl_ban *v;
	size_t n, cap;
	uint8_t kind;
	uint64_t now;
	bool oom;
};

/* Runs under a shard lock of the ban table: copy and return. */
static void
collect_ban(const struct ban_info *b, void *arg)
{
	struct collect *col = arg;
	struct ctl_ban *e;

	if ((col->kind && b->key->kind != col->kind) || col->oom)
		return;
	if (col->n == col->cap) {
		size_t cap = col->cap ? col->cap * 2 : 64;
		struct ctl_ban *v = realloc(col->v, cap * sizeof(*v));

		if (!v) {
			col->oom = true;
			return;
		}
		col->v = v;
		col->cap = cap;
	}
	e = &col->v[col->n++];
	memset(&e->key, 0, offsetof(struct ban_key, data));
	e->key.kind = b->key->kind;
	e->key.plen = b->key->plen;
	e->key.len = b->key->len <= BAN_KEY_MAX ? b->key->len : BAN_KEY_MAX;
	memcpy(e->key.data, b->key->data, e->key.len);
	e->reason = b->reason;
	e->origin[0] = '\0';
	e->hits = b->hits;
	e->remaining_s = b->expires_ms > col->now ? (b->expires_ms - col->now + 999) / 1000 : 0;
	e->age_s = col->now > b->created_ms ? (col->now - b->created_ms) / 1000 : 0;
}

/* The key for a log line: attacker bytes escaped (log_escape(), the one
 * escaping every log line uses: a quote in a user key cannot close the
 * line's quotes). A user key is escaped from its bytes, NULs included. */
const char *
control_key_for_log(const struct ban_key *k, char *buf, size_t len)
{
	char raw[BAN_KEY_MAX + ADDR_STRLEN + 8];

	if (k->kind == BAN_KIND_USER)
		return log_escape(k->data, k->len, buf, len);
	return log_escape_str(ctlproto_key_text(k, raw, sizeof(raw)), buf, len);
}

void
control_audit(const struct client *cl, const char *event, const struct ban_key *k,
	      const char *what)
{
	char key[4 * BAN_KEY_MAX + 16];
	struct log_fields lf = { .event = event };

	if (k) {
		control_key_for_log(k, key, sizeof(key));
		if (k->kind == BAN_KIND_IP)
			lf.ip = key;
		else
			lf.user = key;
	}
	log_event(LOG_NOTICE, &lf, "control: %s%s%s%s by uid %u (pid %d)", what,
		  k ? " '" : "", k ? key : "", k ? "'" : "", (unsigned)cl->uid, (int)cl->pid);
}

/* Several lines of reload errors as one line for an ERR reply. */
static void
one_line(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
	for (char *p = s; *p; p++)
		if (*p == '\n')
			*p = ';';
}

/* An ERR message: cut at msglen by design (the reply is at most
 * CTL_MSG_MAX bytes, and a key may be longer when escaped). */
void
control_set_msg(char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
}

/* An operator's change is answered once it is durable, or with the reason
 * it is not (control.h). */
void
control_result(struct control *c, FILE *f, const char *verb, const struct ban_key *k,
	       uint32_t secs, int64_t count, bool json)
{
	char note[512] = "";
	bool durable = c->ops->commit(c->ctx, note, sizeof(note)) == 0;

	ctlproto_format_result(f, verb, k, secs, count, durable ? NULL : note, json);
}

/* Does ban b (a key of the same kind) cover the subject k of a why? An IP
 * ban covers an address or network inside its own; a user ban its user. */
bool
control_key_covers(const struct ban_key *b, const struct ban_key *k)
{
	struct addr_net net;
	struct addr a;

	if (b->kind != k->kind)
		return false;
	if (b->kind == BAN_KIND_USER)
		return b->len == k->len && memcmp(b->data, k->data, k->len) == 0;
	memcpy(&net.base, b->data, sizeof(net.base));
	memcpy(&a, k->data, sizeof(a));
	net.plen = b->plen;
	return b->plen <= k->plen && a.family == net.base.family && addr_net_contains(&net, &a);
}

static enum ctl_err
why(struct control *c, const struct ctl_request *req, FILE *f, char *msg, size_t msglen,
    uint64_t now)
{
	struct collect col = { .kind = req->kind, .now = now };
	struct ctl_why *w = &c->why;
	char key[4 * BAN_KEY_MAX + 16];

	memset(w, 0, sizeof(*w));
	w->key = req->key;
	c->ops->foreach_ban(c->ctx, collect_ban, &col);
	for (size_t i = 0; i < col.n && w->n_bans < CTL_WHY_BANS; i++) {
		if (!control_key_covers(&col.v[i].key, &req->key))
			continue;
		w->bans[w->n_bans] = col.v[i];
		if (c->ops->ban_origin)
			c->ops->ban_origin(c->ctx, &col.v[i].key, w->bans[w->n_bans].origin,
					   sizeof(w->bans[w->n_bans].origin));
		w->n_bans++;
	}
	free(col.v);
	if (col.oom) {
		control_set_msg(msg, msglen, "cannot list the bans: %s", strerror(ENOMEM));
		return CTL_E_FAILED;
	}
	/* "Customer X cannot register": an allow that covers it says
	 * whoever trusted it, and why (control_allow.c). */
	control_allow_why(c, w);
	if (c->ops->why)
		c->ops->why(c->ctx, w);
	if (w->n_bans == 0 && w->n_recs == 0 && w->n_allows == 0) {
		control_set_msg(msg, msglen, "nothing known about %s %s: no ban, no recent offence",
			req->kind == BAN_KIND_IP ? "ip" : "user",
			control_key_for_log(&req->key, key, sizeof(key)));
		return CTL_E_NOTFOUND;
	}
	return ctlproto_format_why(f, w, req->json) < 0 ? CTL_E_FAILED : CTL_OK;
}

static enum ctl_err
run(struct control *c, struct client *cl, const struct ctl_request *req, FILE *f, char *msg,
    size_t msglen, uint64_t now)
{
	struct ctl_status st;
	int r;

	switch (req->cmd) {
	case CTL_CMD_STATUS:
		memset(&st, 0, sizeof(st));
		c->ops->status(c->ctx, &st);
		return ctlproto_format_status(f, &st, req->json) < 0 ? CTL_E_FAILED : CTL_OK;
	case CTL_CMD_STATS:
		memset(&c->stats, 0, sizeof(c->stats));
		c->ops->stats(c->ctx, &c->stats);
		return ctlproto_format_stats(f, &c->stats, req->json) < 0 ? CTL_E_FAILED : CTL_OK;
	case CTL_CMD_BANS: {
		struct collect col = { .kind = req->kind, .now = now };

		c->ops->foreach_ban(c->ctx, collect_ban, &col);
		for (size_t i = 0; c->ops->ban_origin && i < col.n; i++)
			c->ops->ban_origin(c->ctx, &col.v[i].key, col.v[i].origin,
					   sizeof(col.v[i].origin));
		r = col.oom ? -ENOMEM : ctlproto_format_bans(f, col.v, col.n, req->json);
		free(col.v);
		if (r < 0)
			control_set_msg(msg, msglen, "cannot list the bans: %s", strerror(-r));
		return r < 0 ? CTL_E_FAILED : CTL_OK;
	}
	case CTL_CMD_BAN: {
		uint32_t secs = req->secs;

		if (!secs) {
			memset(&st, 0, sizeof(st));
			c->ops->status(c->ctx, &st);
			secs = req->kind == BAN_KIND_IP ? st.ban_time_ip : st.ban_time_user;
			if (!secs)
				secs = 3600;
		}
		r = c->ops->ban(c->ctx, &req->key, secs);
		if (r == -ENOSPC) {
			control_set_msg(msg, msglen, "the ban table is full (limits.max_bans)");
			return CTL_E_FULL;
		}
		if (r == -EPERM) {
			control_set_msg(msg, msglen, "refused: the ban would cover an address never to be "
				"banned (loopback, this host, sip.server_addresses, peering_servers, "
				"whitelists, sipwardenctl allowed)");
			return CTL_E_FAILED;
		}
		if (r == -EDOM) {
			control_set_msg(msg, msglen, "network too wide to ban (limits.min_ban_prefix4, "
				"limits.min_ban_prefix6)");
			return CTL_E_FAILED;
		}
		if (r < 0) {
			control_set_msg(msg, msglen, "ban failed: %s", strerror(-r));
			return CTL_E_FAILED;
		}
		control_audit(cl, "manual-ban", &req->key, r == 1 ? "ban of" : "ban renewed of");
		control_result(c, f, r == 1 ? "banned" : "updated", &req->key, secs, -1, req->json);
		return CTL_OK;
	}
	case CTL_CMD_UNBAN:
		r = c->ops->unban(c->ctx, &req->key);
		if (r == -ENOENT) {
			char key[4 * BAN_KEY_MAX + 16];

			control_set_msg(msg, msglen, "no ban for %s %s",
				req->kind == BAN_KIND_IP ? "ip" : "user",
				control_key_for_log(&req->key, key, sizeof(key)));
			return CTL_E_NOTFOUND;
		}
		if (r < 0) {
			control_set_msg(msg, msglen, "unban failed: %s", strerror(-r));
			return CTL_E_FAILED;
		}
		control_audit(cl, "manual-unban", &req->key, "unban of");
		control_result(c, f, "unbanned", &req->key, 0, -1, req->json);
		return CTL_OK;
	case CTL_CMD_UNBAN_ALL: {
		uint32_t n = c->ops->unban_all(c->ctx);

		control_audit(cl, "manual-unban-all", NULL, "unban of every ban");
		control_result(c, f, "unbanned", NULL, 0, n, req->json);
		return CTL_OK;
	}
	case CTL_CMD_RELOAD: {
		char errbuf[1024] = "";

		r = c->ops->reload(c->ctx, errbuf, sizeof(errbuf));
		if (r < 0) {
			one_line(errbuf);
			control_set_msg(msg, msglen, "reload rejected, running configuration kept: %s",
				errbuf[0] ? errbuf : strerror(-r));
			return CTL_E_FAILED;
		}
		control_audit(cl, "reload", NULL, "reload");
		control_result(c, f, "reloaded", NULL, 0, -1, req->json);
		return CTL_OK;
	}
	case CTL_CMD_WHY:
		return why(c, req, f, msg, msglen, now);
	case CTL_CMD_ALLOW:
	case CTL_CMD_DISALLOW:
	case CTL_CMD_ALLOWED:
		return control_allow_run(c, cl, req, f, msg, msglen, now);
	case CTL_CMD_TOP:
		memset(&c->top, 0, sizeof(c->top));
		c->top.limit = req->limit;
		if (c->ops->top)
			c->ops->top(c->ctx, &c->top);
		return ctlproto_format_top(f, &c->top, req->json) < 0 ? CTL_E_FAILED : CTL_OK;
	case CTL_CMD_NONE:
		break;
	}
	control_set_msg(msg, msglen, "no command");
	return CTL_E_USAGE;
}

static void
dispatch(struct control *c, struct client *cl, size_t len, uint64_t now)
{
	struct ctl_request req;
	char msg[CTL_MSG_MAX + 1] = "";
	char *body = NULL;
	size_t bodylen = 0;
	enum ctl_err e = ctlproto_parse_request(cl->in, len, &req, msg, sizeof(msg));
	FILE *f;

	if (e != CTL_OK) {
		respond(c, cl, e, msg, NULL, 0, now);
		return;
	}
	f = open_memstream(&body, &bodylen);
	if (!f) {
		respond(c, cl, CTL_E_FAILED, "out of memory", NULL, 0, now);
		return;
	}
	e = run(c, cl, &req, f, msg, sizeof(msg), now);
	if (fclose(f) != 0 && e == CTL_OK) {
		e = CTL_E_FAILED;
		snprintf(msg, sizeof(msg), "out of memory");
	}
	respond(c, cl, e, msg, e == CTL_OK ? body : NULL, e == CTL_OK ? bodylen : 0, now);
	free(body);
}

static void
client_read(struct control *c, struct client *cl, uint64_t now)
{
	for (;;) {
		size_t room = sizeof(cl->in) - cl->inlen;
		const char *nl;
		ssize_t r;

		if (room == 0) {
			respond(c, cl, CTL_E_TOOLONG, "request longer than 4096 bytes", NULL, 0,
				now);
			return;
		}
		r = recv(cl->fd, cl->in + cl->inlen, room, MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				client_close(c, cl);
			return;
		}
		if (r == 0) {
			if (cl->inlen)
				respond(c, cl, CTL_E_USAGE, "request not ended by LF", NULL, 0, now);
			else
				client_close(c, cl);
			return;
		}
		nl = memchr(cl->in + cl->inlen, '\n', (size_t)r);
		cl->inlen += (size_t)r;
		if (nl) {
			dispatch(c, cl, (size_t)(nl - cl->in), now);
			return;
		}
	}
}

static bool
in_list(const gid_t *v, size_t n, gid_t g)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == g)
			return true;
	return false;
}

/* Supplementary groups from /proc/PID/status, for kernels without
 * SO_PEERGROUPS; only trusted while the process there has the peer's uid. */
static bool
proc_groups_have(pid_t pid, uid_t uid, gid_t g)
{
	char path[64], line[4096];
	bool uid_ok = false, found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		unsigned long v;
		char *p, *end;

		if (strncmp(line, "Uid:", 4) == 0) {
			v = strtoul(line + 4, &end, 10);
			uid_ok = end != line + 4 && v == uid;
		} else if (strncmp(line, "Groups:", 7) == 0) {
			for (p = line + 7;; p = end) {
				v = strtoul(p, &end, 10);
				if (end == p)
					break;
				if (v == g)
					found = true;
			}
		}
	}
	fclose(f);
	return uid_ok && found;
}

static bool
peer_allowed(const struct control *c, int fd, struct client *cl)
{
	gid_t inl[PEER_GROUPS_INLINE], *groups = inl;
	socklen_t len = sizeof(inl);
	struct ucred cr;
	socklen_t crlen = sizeof(cr);
	bool ok = false;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) < 0 || crlen != sizeof(cr))
		return false;
	cl->uid = cr.uid;
	cl->pid = cr.pid;
	if (cr.uid == 0)
		return true;
	if (!c->have_group)
		return false;
	if (cr.gid == c->gid)
		return true;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, inl, &len) < 0) {
		if (errno == ENOPROTOOPT) /* kernel before 4.13 */
			return cr.pid > 0 && proc_groups_have(cr.pid, cr.uid, c->gid);
		if (errno != ERANGE || len > 65536 * sizeof(gid_t))
			return false;
		groups = malloc(len);
		if (!groups)
			return false;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0) {
			free(groups);
			return false;
		}
	}
	ok = in_list(groups, len / sizeof(gid_t), c->gid);
	if (groups != inl)
		free(groups);
	return ok;
}

static void
accept_clients(struct control *c, uint64_t now)
{
	for (int i = 0; i < ACCEPTS_PER_ROUND; i++) {
		int fd = accept4(c->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct client *cl = NULL;
		uint64_t supp = 0;

		if (fd < 0)
			return; /* EAGAIN, or a peer that went away: next round */
		for (unsigned k = 0; k < CONTROL_MAX_CLIENTS && !cl; k++)
			if (c->cl[k].fd < 0)
				cl = &c->cl[k];
		if (!cl) {
			send_now(fd, CTL_E_BUSY, "too many control clients, try again");
			close(fd);
			continue;
		}
		if (!peer_allowed(c, fd, cl)) {
			if (log_ratelimit_take(&c->refused_rl, now, &supp)) {
				char more[64] = "";

				if (supp)
					snprintf(more, sizeof(more), "; %llu more refused before",
						 (unsigned long long)supp);
				log_msg(LOG_WARNING, "control: refused uid %u (pid %d): not root "
					"nor in group %s%s%s", (unsigned)cl->uid, (int)cl->pid,
					c->group, c->have_group ? "" : " (no such group)", more);
			}
			send_now(fd, CTL_E_DENIED, "permission denied (root or the sipwarden "
				 "group only)");
			close(fd);
			continue;
		}
		cl->fd = fd;
		cl->writing = false;
		cl->inlen = 0;
		cl->out = NULL;
		cl->outlen = cl->outoff = 0;
		cl->deadline_ms = now + CONTROL_IDLE_MS;
		c->nclients++;
	}
}

static int
socket_in_use(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat sb;
	int fd, ret;

	if (lstat(path, &sb) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(sb.st_mode))
		return -EEXIST; /* not ours to remove */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	memcpy(sa.sun_path, path, strlen(path));
	ret = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	ret = ret == 0 || errno == EAGAIN ? -EADDRINUSE : 0;
	close(fd);
	if (ret == 0 && unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return ret;
}

static void
make_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)NULL)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		log_msg(LOG_WARNING, "control: cannot create %s: %s", dir, strerror(errno));
}

int
control_open(struct control **out, const char *path, const char *group,
	     const struct control_ops *ops, void *ctx)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct control *c;
	struct group gr, *grp = NULL;
	char grbuf[4096];
	mode_t old;
	int ret;

	if (strlen(path) >= sizeof(sa.sun_path) || strlen(path) == 0)
		return -ENAMETOOLONG;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->ops = ops;
	c->ctx = ctx;
	c->refused_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(1, 5);
	for (unsigned i = 0; i < CONTROL_MAX_CLIENTS; i++)
		c->cl[i].fd = -1;
	snprintf(c->path, sizeof(c->path), "%s", path);
	snprintf(c->group, sizeof(c->group), "%s", group ? group : CONTROL_GROUP);
	if (getgrnam_r(c->group, &gr, grbuf, sizeof(grbuf), &grp) == 0 && grp) {
		c->have_group = true;
		c->gid = grp->gr_gid;
	}
	make_parent(path);
	ret = socket_in_use(path);
	if (ret < 0)
		goto fail;
	c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->lfd < 0) {
		ret = -errno;
		goto fail;
	}
	memcpy(sa.sun_path, path, strlen(path));
	old = umask(0177); /* born 0600: never wider than meant, not even briefly */
	ret = bind(c->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
	umask(old);
	if (ret < 0)
		goto fail_close;
	if (c->have_group) {
		if (chown(path, geteuid(), c->gid) < 0 || chmod(path, 0660) < 0)
			log_msg(LOG_WARNING, "control: cannot give %s to group %s: %s; root only",
				path, c->group, strerror(errno));
	}
	if (listen(c->lfd, LISTEN_BACKLOG) < 0) {
		ret = -errno;
		unlink(path);
		goto fail_close;
	}
	*out = c;
	return 0;
fail_close:
	close(c->lfd);
fail:
	free(c);
	return ret;
}

void
control_close(struct control *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < CONTROL_MAX_CLIENTS; i++)
		client_close(c, &c->cl[i]);
	close(c->lfd);
	unlink(c->path);
	free(c);
}

unsigned
control_poll_fds(struct control *c, struct pollfd *pfds, unsigned max)
{
	unsigned n = 0;

	if (max == 0)
		return 0;
	pfds[n++] = (struct pollfd){ .fd = c->lfd, .events = POLLIN };
	for (unsigned i = 0; i < CONTROL_MAX_CLIENTS && n < max; i++)
		if (c->cl[i].fd >= 0)
			pfds[n++] = (struct pollfd){ .fd = c->cl[i].fd,
						     .events = c->cl[i].writing ? POLLOUT : POLLIN };
	return n;
}

void
control_handle(struct control *c, const struct pollfd *pfds, unsigned n, uint64_t now_ms)
{
	bool accept = false;

	/* Clients first: the slots of those that are done are free for the
	 * connections accepted after them. */
	for (unsigned i = 0; i < n; i++) {
		struct client *cl = NULL;

		if (!pfds[i].revents || pfds[i].fd < 0)
			continue;
		if (pfds[i].fd == c->lfd) {
			accept = true;
			continue;
		}
		for (unsigned k = 0; k < CONTROL_MAX_CLIENTS && !cl; k++)
			if (c->cl[k].fd == pfds[i].fd)
				cl = &c->cl[k];
		if (!cl)
			continue;
		if (cl->writing)
			client_write(c, cl, now_ms);
		else
			client_read(c, cl, now_ms);
	}
	if (accept)
		accept_clients(c, now_ms);
	for (unsigned k = 0; k < CONTROL_MAX_CLIENTS; k++) {
		struct client *cl = &c->cl[k];

		if (cl->fd < 0 || now_ms < cl->deadline_ms)
			continue;
		if (!cl->writing)
			send_now(cl->fd, CTL_E_TIMEOUT, "no complete request within 5 s");
		client_close(c, cl);
	}
}

int
control_write_stats_file(const char *path, const struct ctl_stats *st)
{
	char tmp[PATH_MAX];
	FILE *f;
	int fd, ret = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		ret = -errno;
		close(fd);
		unlink(tmp);
		return ret;
	}
	ret = ctlproto_prometheus(st, f);
	if (fclose(f) != 0 && ret == 0)
		ret = -errno;
	if (ret == 0 && rename(tmp, path) < 0)
		ret = -errno;
	if (ret < 0)
		unlink(tmp);
	return ret;
}
