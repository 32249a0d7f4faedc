/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_CTLPROTO_H
#define SIPWARDEN_CTLPROTO_H

/*
 * ctlproto - the control protocol between sipwardenctl and the daemon, as
 * pure functions: parse a request, format a response body, frame it. No
 * sockets, no clock, no daemon state: everything is handed in, so that the
 * unit tests drive every path (doc/sipwardenctl.8 is the reference).
 *
 * One request line, one response, then the server closes:
 *
 *   request  = word *( 1*SP word ) LF          ; at most CTL_LINE_MAX bytes
 *   word     = 1*( %x21-24 / %x26-7E / "%" HEXDIG HEXDIG )
 *   response = ( "OK" / "ERR" SP code SP message ) LF *body-line "." LF
 *
 * The words are the command-line words of sipwardenctl after its global
 * options (e.g. "--json ban ip 203.0.113.7 --time 60"), each percent-encoded
 * so that a user name with any byte but NUL survives. The server formats the
 * body (a table, or one line of JSON with --json); a body line that starts
 * with "." is sent with one more "." in front (as SMTP does).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bans.h"
#include "counters.h"
#include "evidence.h"

#define CTL_LINE_MAX 4096         /* request bytes, LF included */
#define CTL_MAX_WORDS 16
#define CTL_MAX_WORKERS 64
#define CTL_MAX_REASONS 16
#define CTL_MAX_MALFORMED 40 /* sanity checks + scan flaws */
#define CTL_MAX_BAN_TIME 31536000u /* one year */
#define CTL_MSG_MAX 512           /* an ERR message, sanitized */
#define CTL_COMMENT_MAX 200       /* allow --comment bytes (ALLOW_COMMENT_MAX) */

enum ctl_cmd {
	CTL_CMD_NONE = 0,
	CTL_CMD_STATUS,
	CTL_CMD_STATS,
	CTL_CMD_BANS,
	CTL_CMD_BAN,
	CTL_CMD_UNBAN,
	CTL_CMD_UNBAN_ALL,
	CTL_CMD_RELOAD,
	CTL_CMD_WHY,
	CTL_CMD_TOP,
	CTL_CMD_ALLOW,
	CTL_CMD_DISALLOW,
	CTL_CMD_ALLOWED,
};

/* The <code> of an ERR line (ctlproto_err_name()), and what sipwardenctl
 * exits with for it (ctlproto_exit_code()). */
enum ctl_err {
	CTL_OK = 0,
	CTL_E_USAGE,    /* "usage": unknown command, missing/extra argument (2) */
	CTL_E_INVALID,  /* "invalid": bad address or user (1) */
	CTL_E_NOTFOUND, /* "not-found": unban/disallow of what is not there (1) */
	CTL_E_FULL,     /* "full": the ban table or the allow-list is full (1) */
	CTL_E_TOOLONG,  /* "too-long": request line over CTL_LINE_MAX (1) */
	CTL_E_DENIED,   /* "denied": peer is not root or in the group (1) */
	CTL_E_BUSY,     /* "busy": too many clients (1) */
	CTL_E_TIMEOUT,  /* "timeout": no complete request in time (1) */
	CTL_E_FAILED,   /* "failed": the daemon could not do it (1) */
	CTL_E__MAX
};

#define CTL_EXIT_OK 0
#define CTL_EXIT_REFUSED 1
#define CTL_EXIT_USAGE 2
#define CTL_EXIT_UNREACHABLE 3

struct ctl_request {
	enum ctl_cmd cmd;
	bool json;
	uint8_t kind;        /* bans/allowed: 0 (all) or a ban_kind; else the key's */
	uint32_t secs;       /* ban: 0 means the daemon's default; allow: 0 permanent */
	struct ban_key key;  /* ban / unban / why / allow / disallow */
	uint32_t limit;      /* top: rows, 1..CTL_TOP_MAX */
	bool force;          /* allow ip: a network wider than /16 or /48 */
	char comment[CTL_COMMENT_MAX + 1]; /* allow --comment (raw bytes, no NUL); "" none */
};

/* Kernel set state, as status shows it. */
enum ctl_kset {
	CTL_KSET_OK = 0,
	CTL_KSET_MONITOR,     /* monitor mode: the set is left alone */
	CTL_KSET_BROKEN,      /* last resync failed; retrying */
	CTL_KSET_UNAVAILABLE, /* no ipset netlink at all */
};

#define CTL_NODE_MAX 63  /* cluster node name bytes */
#define CTL_MAX_PEERS 32

/* The cluster link (doc/cluster.md), as status shows it. */
enum ctl_link { CTL_LINK_CONNECTING = 0, CTL_LINK_UP, CTL_LINK_DOWN };

struct ctl_peer {
	char node[CTL_NODE_MAX + 1];
	uint64_t last_seen_s;        /* seconds ago */
};

struct ctl_cluster {
	char node[CTL_NODE_MAX + 1]; /* this node */
	char server[128];            /* host:port or socket path */
	enum ctl_link link;
	uint64_t link_since_s;       /* seconds in this state */
	uint64_t published;          /* bans and unbans sent */
	uint64_t applied;            /* other nodes' bans and unbans applied */
	uint64_t queue_dropped;      /* events lost to a full queue */
	uint64_t errors;             /* failed connects and commands */
	uint64_t outages;            /* times the link went down */
	uint64_t refused;            /* messages refused: unsigned, bad MAC, stale */
	uint64_t known_shared;       /* users' known sources published (lockout protection) */
	uint64_t known_learnt;       /* other nodes' known sources merged */
	uint64_t known_dropped;      /* lost to a full outbox (knownsrc.h) */
	unsigned n_peers;
	struct ctl_peer peers[CTL_MAX_PEERS];
};

struct ctl_status {
	const char *version;
	int64_t pid;
	bool monitor;
	uint64_t uptime_s;
	uint16_t queue_first;
	uint16_t queue_count;
	unsigned workers;            /* running worker threads */
	const char *config_path;
	const char *state_dir;
	const char *socket_path;
	const char *stats_file;      /* NULL: off */
	uint32_t bans_ip, bans_user, max_bans;
	uint32_t allowed, max_allowed; /* the runtime allow-list's entries, its bound */
	uint32_t ban_time_ip;        /* default of a manual ban, seconds */
	uint32_t ban_time_user;
	enum ctl_kset kernel_set;
	const struct ctl_cluster *cluster; /* NULL: no cluster */
};

/* One field per entry of counters.h: generated, so none can be missed. */
#define CTL_FIELD(name, ...) uint64_t name;

struct ctl_worker {
	uint16_t queue;
	SW_QUEUE_COUNTERS(CTL_FIELD)
};

struct ctl_reason {
	const char *name; /* policy_reason_name() */
	uint64_t count;
};

struct ctl_stats {
	bool monitor;
	uint64_t uptime_s;
	SW_COUNTERS(CTL_FIELD)  /* summed over the workers */
	unsigned n_reasons;
	struct ctl_reason reasons[CTL_MAX_REASONS];
	unsigned n_malformed;   /* malformed messages by the check they failed */
	struct ctl_reason malformed[CTL_MAX_MALFORMED];
	uint64_t enobufs, recv_errors, send_errors; /* sums over the queues */
	uint32_t bans_ip, bans_user, max_bans;
	uint32_t allowed;       /* the runtime allow-list's entries */
	unsigned n_workers;
	struct ctl_worker workers[CTL_MAX_WORKERS];
};

/* The entries of counters.h as data, for the renderings and the tests. */
enum {
#define CTL_ENUM(name, ...) CTL_C_##name,
	SW_COUNTERS(CTL_ENUM)
	CTL_N_COUNTERS
};
#undef CTL_ENUM
enum {
#define CTL_QENUM(name, ...) CTL_Q_##name,
	SW_QUEUE_COUNTERS(CTL_QENUM)
	CTL_N_QUEUE_COUNTERS
#undef CTL_QENUM
};

struct ctl_counter {
	const char *name;
	enum ctr_kind kind;
	const char *family;  /* Prometheus, without "sipwarden_" */
	const char *label;   /* SW_COUNTERS: NULL or the pair; queue: the column */
	const char *help;    /* NULL: the family's is the previous entry's */
	size_t off;          /* of the uint64_t in ctl_stats / ctl_worker */
};

extern const struct ctl_counter ctl_counters[CTL_N_COUNTERS];
extern const struct ctl_counter ctl_queue_counters[CTL_N_QUEUE_COUNTERS];

static inline uint64_t
ctl_counter_get(const void *stats, const struct ctl_counter *c)
{
	return *(const uint64_t *)(const void *)((const char *)stats + c->off);
}

/* One line of `bans`. */
struct ctl_ban {
	struct ban_key key;
	enum ban_reason reason;
	uint64_t remaining_s;
	uint64_t age_s;
	uint64_t hits;
	char origin[CTL_NODE_MAX + 1]; /* cluster node that banned it; "" unknown */
};

/* One line of `allowed`: an entry of the runtime allow-list (allowlist.h). */
struct ctl_allow {
	struct ban_key key;
	uint64_t remaining_s;          /* 0: permanent */
	uint64_t age_s;
	char comment[CTL_COMMENT_MAX + 1];
	char origin[CTL_NODE_MAX + 1]; /* cluster node that allowed it; "" this one / unknown */
};

#define CTL_WHY_MAX 16  /* evidence records shown */
#define CTL_WHY_BANS 8  /* bans covering the subject shown */
#define CTL_WHY_ALLOWS 4 /* allow-list entries covering the subject shown */

/* `why ip ADDR` / `why user USER@DOMAIN`: the bans in force that cover the
 * subject, the allow-list's entries that trust it, the evidence kept about
 * it (evidence.h) and the limits it was judged against. */
struct ctl_why {
	struct ban_key key;
	uint64_t now_s;                    /* wall clock, for the record ages */
	uint32_t density, sampling_s;      /* dos_reqs_density_per_unit per dos_sampling_time_unit */
	uint32_t auth_attempts;            /* failed_auth_attempts */
	uint32_t enum_users;               /* enum_distinct_users */
	size_t n_bans;
	struct ctl_ban bans[CTL_WHY_BANS];
	size_t n_allows;                   /* the allow-list's entries that cover it */
	struct ctl_allow allows[CTL_WHY_ALLOWS];
	size_t n_recs;
	struct evidence_rec recs[CTL_WHY_MAX];
};

#define CTL_TOP_MAX 100
#define CTL_TOP_DEFAULT 10

/* `top`: the sources with the most requests in the current density window
 * (per dos_ipv6_prefix for IPv6), and the users with the most consecutive
 * authentication failures. Users were escaped as the log escapes them. */
struct ctl_top_src {
	struct addr addr;
	uint8_t plen;
	uint32_t count;
	unsigned queue;
};

struct ctl_top_user {
	char user[BAN_KEY_MAX * 4 + 1];
	uint32_t failures;
	uint64_t age_s;             /* since the last failure */
};

struct ctl_top {
	unsigned limit;
	uint32_t density, sampling_s, auth_attempts;
	unsigned workers, workers_answered;
	size_t n_src;
	struct ctl_top_src src[CTL_TOP_MAX];
	size_t n_users;
	struct ctl_top_user users[CTL_TOP_MAX];
};

int ctlproto_format_top(FILE *out, const struct ctl_top *t, bool json);

/* The allow-list, sorted as `bans` sorts (a table, or {"allowed":[...]}).
 * 0 or -EIO. */
int ctlproto_format_allowed(FILE *out, struct ctl_allow *v, size_t n, bool json);

/* Format the answer to why. 0, or -EIO when out could not be written. */
int ctlproto_format_why(FILE *out, const struct ctl_why *w, bool json);

const char *ctlproto_err_name(enum ctl_err e);
int ctlproto_exit_code(enum ctl_err e);
const char *ctlproto_kset_name(enum ctl_kset k);
const char *ctlproto_link_name(enum ctl_link l);

/*
 * Parse command words (sipwardenctl's arguments after the global options).
 * "--json" may appear anywhere and sets req->json (json is its initial
 * value). Returns CTL_OK, CTL_E_USAGE (grammar: the client stops there) or
 * CTL_E_INVALID (a bad address or user: the server refuses it), with a
 * one-line reason in err.
 */
enum ctl_err ctlproto_parse_args(int argc, char *const argv[], bool json,
				 struct ctl_request *req, char *err, size_t errlen);

/*
 * Parse one request line (len bytes, without its LF; NUL, CR, bad escapes
 * and an over-long line are refused). Returns as ctlproto_parse_args(), or
 * CTL_E_TOOLONG.
 */
enum ctl_err ctlproto_parse_request(const char *line, size_t len, struct ctl_request *req,
				    char *err, size_t errlen);

/* Encode words into a request line with its LF and a NUL after it.
 * Returns the line's length or -ENOSPC (longer than CTL_LINE_MAX). */
int ctlproto_encode_request(int argc, char *const argv[], bool json, char *buf, size_t len);

/* The key as `bans` shows it and `unban` takes it: an address, an
 * address/prefix when shorter than a host, or user@domain (raw bytes).
 * len must be at least ADDR_STRLEN + 4 (BAN_KEY_MAX + 1 for users). */
const char *ctlproto_key_text(const struct ban_key *k, char *buf, size_t len);

/* A string made safe for a table or a log line: printable ASCII as is,
 * backslash as \\, everything else (space too) as \xNN. */
void ctlproto_put_escaped(FILE *out, const char *s, size_t n);
/* A JSON string with its quotes. Invalid UTF-8 bytes become U+FFFD. */
void ctlproto_put_json_string(FILE *out, const char *s, size_t n);

/*
 * Response bodies (without framing). Each returns 0 or a negative errno.
 * ctlproto_format_bans() sorts bans (by kind, then address or bytes).
 */
int ctlproto_format_status(FILE *out, const struct ctl_status *st, bool json);
int ctlproto_format_stats(FILE *out, const struct ctl_stats *st, bool json);
/* The counters as one log line (SIGUSR1): "name=value ...", the summed
 * counters first, then verdicts by reason, bans and the queue errors. */
int ctlproto_format_stats_line(FILE *out, const struct ctl_stats *st);
int ctlproto_format_bans(FILE *out, struct ctl_ban *bans, size_t n, bool json);
/* ban / unban / unban --all / reload results. verb is "banned", "updated"
 * (was banned already), "unbanned" or "reloaded"; k may be NULL; secs 0
 * and count < 0 are left out. warning (NULL when the change is durable:
 * saved, and stored in the cluster) says why a restart could undo it: a
 * second line "warning: ..." in text, "durable":false and "warning" in
 * JSON. */
int ctlproto_format_result(FILE *out, const char *verb, const struct ban_key *k,
			   uint32_t secs, int64_t count, const char *warning, bool json);

/*
 * Frame a response: status line, dot-stuffed body (body may be NULL when
 * bodylen is 0; a missing final LF is added), ".". msg is sanitized to one
 * line of at most CTL_MSG_MAX bytes. 0 or a negative errno.
 */
int ctlproto_write_response(FILE *out, enum ctl_err e, const char *msg, const char *body,
			    size_t bodylen);

/*
 * Client side: parse a status line (without LF). Returns 0 and sets *e and
 * *msg (points into line; "" for OK), or -EPROTO.
 */
int ctlproto_parse_status(const char *line, enum ctl_err *e, const char **msg);

/* Prometheus text exposition format (version 0.0.4): every metric is
 * sipwarden_*, with # HELP and # TYPE. 0 or negative errno. */
int ctlproto_prometheus(const struct ctl_stats *st, FILE *out);

#endif
