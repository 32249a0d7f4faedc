/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * control_allow - the control socket's commands on the runtime allow-list
 * (allow, disallow, allowed; doc/sipwardenctl.8). The list itself is the
 * daemon's, reached through control_ops.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control_internal.h"

struct allow_collect {
	struct ctl_allow *v;
	size_t n, cap;
	uint8_t kind;
	bool oom;
};

/* Runs under the allow-list's lock: copy and return. */
static void
collect_allow(const struct ctl_allow *e, void *arg)
{
	struct allow_collect *col = arg;

	if ((col->kind && e->key.kind != col->kind) || col->oom)
		return;
	if (col->n == col->cap) {
		size_t cap = col->cap ? col->cap * 2 : 64;
		struct ctl_allow *v = realloc(col->v, cap * sizeof(*v));

		if (!v) {
			col->oom = true;
			return;
		}
		col->v = v;
		col->cap = cap;
	}
	col->v[col->n++] = *e;
}

static const char *
kind_word(uint8_t kind)
{
	return kind == BAN_KIND_IP ? "ip" : "user";
}

/* The journal's line of an allow: who, what, for how long, why (the
 * comment is the operator's free text: escaped like attacker bytes). */
static void
audit_allow(const struct client *cl, const struct ctl_request *req, int r, uint32_t lifted)
{
	char key[4 * BAN_KEY_MAX + 16], comment[4 * CTL_COMMENT_MAX + 1], secs[32] = "";
	struct log_fields lf = { .event = "manual-allow" };

	control_key_for_log(&req->key, key, sizeof(key));
	if (req->key.kind == BAN_KIND_IP)
		lf.ip = key;
	else
		lf.user = key;
	log_escape_str(req->comment, comment, sizeof(comment));
	if (req->secs)
		snprintf(secs, sizeof(secs), "for %u s", req->secs);
	log_event(LOG_NOTICE, &lf, "control: %s of %s '%s' %s%s, comment '%s', %u bans lifted, by "
		  "uid %u (pid %d)", r == 1 ? "allow" : "allow renewed", kind_word(req->key.kind),
		  key, secs[0] ? secs : "permanently", req->force ? " (forced)" : "", comment,
		  lifted, (unsigned)cl->uid, (int)cl->pid);
}

static enum ctl_err
allow(struct control *c, const struct client *cl, const struct ctl_request *req, FILE *f,
      char *msg, size_t msglen)
{
	uint32_t lifted = 0;
	int r = c->ops->allow(c->ctx, &req->key, req->secs, req->comment, req->force, &lifted);

	switch (r) {
	case 0:
	case 1:
		break;
	case -ENOSPC:
		control_set_msg(msg, msglen, "the allow-list is full (limits.max_allowed)");
		return CTL_E_FULL;
	case -EDOM:
		control_set_msg(msg, msglen, "refusing to allow a network that wide (a /0 never; "
				"wider than /16 or /48 only with --force)");
		return CTL_E_INVALID;
	case -EINVAL:
		control_set_msg(msg, msglen, "not an address, network or USER@DOMAIN to allow");
		return CTL_E_INVALID;
	default:
		control_set_msg(msg, msglen, "allow failed: %s", strerror(-r));
		return CTL_E_FAILED;
	}
	audit_allow(cl, req, r, lifted);
	control_result(c, f, r == 1 ? "allowed" : "updated", &req->key, req->secs, lifted,
		       req->json);
	return CTL_OK;
}

static enum ctl_err
disallow(struct control *c, const struct client *cl, const struct ctl_request *req, FILE *f,
	 char *msg, size_t msglen)
{
	int r = c->ops->disallow(c->ctx, &req->key);

	if (r == -ENOENT) {
		char key[4 * BAN_KEY_MAX + 16];

		control_set_msg(msg, msglen, "no allow for %s %s", kind_word(req->kind),
				control_key_for_log(&req->key, key, sizeof(key)));
		return CTL_E_NOTFOUND;
	}
	if (r < 0) {
		control_set_msg(msg, msglen, "disallow failed: %s", strerror(-r));
		return CTL_E_FAILED;
	}
	control_audit(cl, "manual-disallow", &req->key, "disallow of");
	control_result(c, f, "disallowed", &req->key, 0, -1, req->json);
	return CTL_OK;
}

struct why_allows {
	struct ctl_why *w;
};

/* Under the allow-list's lock: copy and return. */
static void
covering_allow(const struct ctl_allow *e, void *arg)
{
	struct ctl_why *w = ((struct why_allows *)arg)->w;

	if (w->n_allows < CTL_WHY_ALLOWS && control_key_covers(&e->key, &w->key))
		w->allows[w->n_allows++] = *e;
}

void
control_allow_why(struct control *c, struct ctl_why *w)
{
	struct why_allows x = { w };

	w->n_allows = 0;
	if (c->ops->foreach_allow)
		c->ops->foreach_allow(c->ctx, covering_allow, &x);
}

enum ctl_err
control_allow_run(struct control *c, const struct client *cl, const struct ctl_request *req,
		  FILE *f, char *msg, size_t msglen, uint64_t now)
{
	struct allow_collect col = { .kind = req->kind };
	int r;

	(void)now;
	if (!c->ops->allow || !c->ops->disallow || !c->ops->foreach_allow) {
		control_set_msg(msg, msglen, "this daemon keeps no allow-list");
		return CTL_E_FAILED;
	}
	if (req->cmd == CTL_CMD_ALLOW)
		return allow(c, cl, req, f, msg, msglen);
	if (req->cmd == CTL_CMD_DISALLOW)
		return disallow(c, cl, req, f, msg, msglen);
	c->ops->foreach_allow(c->ctx, collect_allow, &col);
	r = col.oom ? -ENOMEM : ctlproto_format_allowed(f, col.v, col.n, req->json);
	free(col.v);
	if (r < 0)
		control_set_msg(msg, msglen, "cannot list the allow-list: %s", strerror(-r));
	return r < 0 ? CTL_E_FAILED : CTL_OK;
}
