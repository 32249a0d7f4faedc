/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "cluster_proto.h"
#include "hexdig.h"
#include "sha256.h"

#define MAX_WORDS 8

int
cluster_key_text(const struct ban_key *k, char *buf, size_t len)
{
	size_t o = 0;

	if (k->kind == BAN_KIND_IP) {
		struct addr a;
		char ab[ADDR_STRLEN];
		int n;

		memcpy(&a, k->data, sizeof(a));
		addr_format(&a, ab, sizeof(ab));
		if (k->plen == (a.family == AF_INET ? 32 : 128))
			n = snprintf(buf, len, "%s", ab);
		else
			n = snprintf(buf, len, "%s/%u", ab, k->plen);
		return n < 0 || (size_t)n >= len ? -ENOSPC : n;
	}
	for (uint16_t i = 0; i < k->len; i++) {
		unsigned char c = (unsigned char)k->data[i];
		bool plain = c > 0x20 && c < 0x7f && c != '%';

		if (o + (plain ? 1 : 3) >= len)
			return -ENOSPC;
		if (plain)
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, len - o, "%%%02X", c);
	}
	if (o >= len)
		return -ENOSPC;
	buf[o] = '\0';
	return (int)o;
}

static int
key_parse(const char *kind, const char *s, struct ban_key *k)
{
	memset(k, 0, offsetof(struct ban_key, data));
	if (strcmp(kind, "ip") == 0) {
		struct addr_net net;

		if (addr_net_parse(s, &net) < 0 || net.plen == 0)
			return -EINVAL;
		ban_key_net(k, &net.base, net.plen);
		return 0;
	}
	if (strcmp(kind, "user") != 0)
		return -EINVAL;
	k->kind = BAN_KIND_USER;
	for (size_t i = 0; s[i]; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			int h = hex_digit_value(s[i + 1]), l = h >= 0 ? hex_digit_value(s[i + 2]) : -1;

			if (l < 0)
				return -EINVAL;
			c = h << 4 | l;
			i += 2;
		}
		if (c == 0 || k->len >= BAN_KEY_MAX)
			return -EINVAL;
		k->data[k->len++] = (char)c;
	}
	return k->len && memchr(k->data, '@', k->len) ? 0 : -EINVAL;
}

static const char *
op_name(enum cluster_op op)
{
	switch (op) {
	case CLUSTER_OP_BAN:
		return "ban";
	case CLUSTER_OP_UNBAN:
		return "unban";
	case CLUSTER_OP_UNBAN_ALL:
		return "unban-all";
	case CLUSTER_OP_HELLO:
		return "hello";
	case CLUSTER_OP_ALLOW:
		return "allow";
	case CLUSTER_OP_DISALLOW:
		return "disallow";
	case CLUSTER_OP_KNOWN:
		return "known";
	default:
		return NULL;
	}
}

/* An allow's comment as a word: "=" and the bytes encoded as a user key's
 * (cluster_key_text()). Returns the length or -ENOSPC. */
static int
comment_text(const char *s, char *buf, size_t len)
{
	struct ban_key k = { .kind = BAN_KIND_USER };
	size_t n = strnlen(s, ALLOW_COMMENT_MAX);
	int r;

	if (len < 2)
		return -ENOSPC;
	buf[0] = '=';
	buf[1] = '\0';
	if (n == 0)
		return 1;
	k.len = (uint16_t)n;
	memcpy(k.data, s, n);
	r = cluster_key_text(&k, buf + 1, len - 1);
	return r < 0 ? r : r + 1;
}

/* The comment word back: 0, or -EINVAL (no "=", a bad escape, a NUL, too
 * long). */
static int
comment_parse(const char *s, char *out)
{
	size_t o = 0;

	if (*s++ != '=')
		return -EINVAL;
	for (size_t i = 0; s[i]; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			int h = hex_digit_value(s[i + 1]), l = h >= 0 ? hex_digit_value(s[i + 2]) : -1;

			if (l < 0)
				return -EINVAL;
			c = h << 4 | l;
			i += 2;
		}
		if (c == 0 || o >= ALLOW_COMMENT_MAX)
			return -EINVAL;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

int
cluster_msg_encode(const struct cluster_msg *m, char *buf, size_t len)
{
	char key[3 * BAN_KEY_MAX + 1], comment[3 * ALLOW_COMMENT_MAX + 2];
	const char *op = op_name(m->op);
	int n;

	if (!op || !config_name_valid(m->node, false))
		return -EINVAL;
	if (m->op == CLUSTER_OP_ALLOW && (m->time < 0 || comment_text(m->comment, comment,
								      sizeof(comment)) < 0))
		return -EINVAL;
	if (m->op == CLUSTER_OP_BAN || m->op == CLUSTER_OP_UNBAN || m->op == CLUSTER_OP_ALLOW ||
	    m->op == CLUSTER_OP_DISALLOW) {
		if ((m->key.kind != BAN_KIND_IP && m->key.kind != BAN_KIND_USER) ||
		    cluster_key_text(&m->key, key, sizeof(key)) < 0)
			return -EINVAL;
	}
	switch (m->op) {
	case CLUSTER_OP_BAN:
		n = snprintf(buf, len, CLUSTER_VERSION " ban %s %s %s %s %" PRId64, m->node,
			     m->key.kind == BAN_KIND_IP ? "ip" : "user", key,
			     ban_reason_name(m->reason), m->time);
		break;
	case CLUSTER_OP_UNBAN:
		n = snprintf(buf, len, CLUSTER_VERSION " unban %s %s %s", m->node,
			     m->key.kind == BAN_KIND_IP ? "ip" : "user", key);
		break;
	case CLUSTER_OP_HELLO:
		n = snprintf(buf, len, CLUSTER_VERSION " hello %s %" PRId64, m->node, m->time);
		break;
	case CLUSTER_OP_ALLOW:
		n = snprintf(buf, len, CLUSTER_VERSION " allow %s %s %s %" PRId64 " %s", m->node,
			     m->key.kind == BAN_KIND_IP ? "ip" : "user", key, m->time, comment);
		break;
	case CLUSTER_OP_DISALLOW:
		n = snprintf(buf, len, CLUSTER_VERSION " disallow %s %s %s", m->node,
			     m->key.kind == BAN_KIND_IP ? "ip" : "user", key);
		break;
	case CLUSTER_OP_KNOWN:
		if (!m->known)
			return -EINVAL;
		n = snprintf(buf, len, CLUSTER_VERSION " known %s %016" PRIx64 " %" PRId64, m->node,
			     m->known, m->time);
		break;
	default:
		n = snprintf(buf, len, CLUSTER_VERSION " unban-all %s", m->node);
		break;
	}
	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}

static int
parse_time(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end || errno || v < 0)
		return -EINVAL;
	*out = v;
	return 0;
}

int
cluster_msg_decode(const char *line, size_t len, struct cluster_msg *m)
{
	char buf[CLUSTER_LINE_MAX + 1], *w[MAX_WORDS], *save = NULL;
	int n = 0;

	memset(m, 0, offsetof(struct cluster_msg, key));
	m->key.kind = 0;
	m->key.len = 0;
	m->time = 0;
	m->known = 0;
	m->reason = BAN_REASON_MANUAL;
	m->comment[0] = '\0';
	if (len < 4 || memcmp(line, CLUSTER_VERSION " ", 4) != 0)
		return -EPROTO;
	if (len > CLUSTER_LINE_MAX || memchr(line, '\0', len))
		return -EINVAL;
	memcpy(buf, line, len);
	buf[len] = '\0';
	for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		if (n == MAX_WORDS)
			return -EINVAL;
		w[n++] = t;
	}
	if (n < 3 || !config_name_valid(w[2], false))
		return -EINVAL;
	snprintf(m->node, sizeof(m->node), "%s", w[2]);
	if (strcmp(w[1], "ban") == 0 && n == 7) {
		m->op = CLUSTER_OP_BAN;
		if (key_parse(w[3], w[4], &m->key) < 0 || parse_time(w[6], &m->time) < 0)
			return -EINVAL;
		/* A reason this version does not know still bans. */
		for (int r = 0; r < BAN_REASON__MAX; r++)
			if (strcmp(w[5], ban_reason_name((enum ban_reason)r)) == 0)
				m->reason = (enum ban_reason)r;
		return 0;
	}
	if (strcmp(w[1], "unban") == 0 && n == 5) {
		m->op = CLUSTER_OP_UNBAN;
		return key_parse(w[3], w[4], &m->key) < 0 ? -EINVAL : 0;
	}
	if (strcmp(w[1], "unban-all") == 0 && n == 3) {
		m->op = CLUSTER_OP_UNBAN_ALL;
		return 0;
	}
	if (strcmp(w[1], "allow") == 0 && n == 7) {
		m->op = CLUSTER_OP_ALLOW;
		/* A peer's allow is checked as the operator's (a /0 never; a
		 * wide one was forced there), and by the list again. */
		if (key_parse(w[3], w[4], &m->key) < 0 || allowlist_key_check(&m->key, true) < 0 ||
		    parse_time(w[5], &m->time) < 0 || comment_parse(w[6], m->comment) < 0)
			return -EINVAL;
		return 0;
	}
	if (strcmp(w[1], "disallow") == 0 && n == 5) {
		m->op = CLUSTER_OP_DISALLOW;
		return key_parse(w[3], w[4], &m->key) < 0 ? -EINVAL : 0;
	}
	if (strcmp(w[1], "hello") == 0 && n == 4) {
		m->op = CLUSTER_OP_HELLO;
		return parse_time(w[3], &m->time) < 0 ? -EINVAL : 0;
	}
	if (strcmp(w[1], "known") == 0 && n == 5) {
		m->op = CLUSTER_OP_KNOWN;
		if (strlen(w[3]) != 16 || parse_time(w[4], &m->time) < 0)
			return -EINVAL;
		for (int i = 0; i < 16; i++) {
			int d = hex_digit_value(w[3][i]);

			if (d < 0)
				return -EINVAL;
			m->known = m->known << 4 | (uint64_t)d;
		}
		return m->known ? 0 : -EINVAL;
	}
	m->op = CLUSTER_OP_NONE;
	return -EINVAL;
}

/* ---- signatures ---- */

void
cluster_auth_known_key(const struct cluster_auth *a, struct hash_key *out)
{
	static const char label[] = "sipwarden known sources 1";
	uint8_t mac[SHA256_LEN];

	hmac_sha256(a->key, a->key_len, label, sizeof(label) - 1, mac);
	memcpy(&out->k0, mac, 8);
	memcpy(&out->k1, mac + 8, 8);
	memset(mac, 0, sizeof(mac));
}

int
cluster_auth_load(struct cluster_auth *a, const char *path, const unsigned *owners,
		  unsigned n_owners, char *err, size_t errlen)
{
	char buf[4097];
	struct stat st;
	bool owned = false;
	ssize_t n;
	int fd;

	memset(a, 0, sizeof(*a));
	if (!path) {
		snprintf(err, errlen, "cluster.key_file is required with cluster.enabled: every "
			 "node signs its messages with the key it holds (e.g. head -c 32 "
			 "/dev/urandom | base64 > /etc/sipwarden/cluster.key, chmod 0600, owned "
			 "by the service user, the same file on every node)");
		return -ENOKEY;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0) {
		int e = errno;

		snprintf(err, errlen, "cluster.key_file %s: %s", path, strerror(e));
		return -e;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "cluster.key_file %s: not a regular file", path);
		close(fd);
		return -EINVAL;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen, "cluster.key_file %s: mode %03o lets others read or change "
			 "the cluster key: chmod 0600 it", path, (unsigned)(st.st_mode & 0777));
		close(fd);
		return -EPERM;
	}
	for (unsigned i = 0; i < n_owners; i++)
		owned |= st.st_uid == owners[i];
	if (!owned) {
		snprintf(err, errlen, "cluster.key_file %s: owned by uid %u, who could change the "
			 "cluster key: chown it to the service user", path, (unsigned)st.st_uid);
		close(fd);
		return -EPERM;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' ||
			 buf[n - 1] == '\t'))
		n--;
	if (n < 16 || n > 4096) {
		snprintf(err, errlen, "cluster.key_file %s: %s (16 to 4096 bytes of key, e.g. "
			 "head -c 32 /dev/urandom | base64)", path, n < 0 ? strerror(errno) :
			 n < 16 ? "too short" : "too long");
		memset(buf, 0, sizeof(buf));
		return n < 0 ? -EIO : -EINVAL;
	}
	/* RFC 2104: a key longer than the block is its hash */
	if ((size_t)n > sizeof(a->key)) {
		sha256(buf, (size_t)n, a->key);
		a->key_len = SHA256_LEN;
	} else {
		memcpy(a->key, buf, (size_t)n);
		a->key_len = (size_t)n;
	}
	memset(buf, 0, sizeof(buf));
	return 0;
}

static void
mac_hex(const struct cluster_auth *a, const char *line, size_t len, char out[2 * SHA256_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t mac[SHA256_LEN];

	hmac_sha256(a->key, a->key_len, line, len, mac);
	for (int i = 0; i < SHA256_LEN; i++) {
		out[2 * i] = hex[mac[i] >> 4];
		out[2 * i + 1] = hex[mac[i] & 15];
	}
	out[2 * SHA256_LEN] = '\0';
}

int
cluster_msg_sign(const struct cluster_auth *a, char *buf, size_t len, int n, int64_t now)
{
	char mac[2 * SHA256_LEN + 1];
	int w;

	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	w = snprintf(buf + n, len - (size_t)n, " t=%" PRId64, now);
	if (w < 0 || (size_t)(n + w) >= len)
		return -ENOSPC;
	n += w;
	mac_hex(a, buf, (size_t)n, mac);
	w = snprintf(buf + n, len - (size_t)n, " mac=%s", mac);
	if (w < 0 || (size_t)(n + w) >= len)
		return -ENOSPC;
	return n + w;
}

int
cluster_msg_encode_signed(const struct cluster_auth *a, const struct cluster_msg *m, int64_t now,
			  char *buf, size_t len)
{
	int n = cluster_msg_encode(m, buf, len);

	return n < 0 ? n : cluster_msg_sign(a, buf, len, n, now);
}

/* The last occurrence of the word prefix w (" t=", " mac=") in [s, s+len). */
static const char *
last_word(const char *s, size_t len, const char *w)
{
	size_t wl = strlen(w);

	for (size_t i = len; i-- > 0;)
		if (len - i >= wl && memcmp(s + i, w, wl) == 0)
			return s + i;
	return NULL;
}

int
cluster_msg_open(const struct cluster_auth *a, const char *line, size_t len, int64_t now,
		 bool window, struct cluster_msg *m)
{
	char want[2 * SHA256_LEN + 1], tbuf[24];
	const char *mac, *t;
	size_t tl;
	int64_t ts;

	memset(m, 0, sizeof(*m));
	if (len > CLUSTER_LINE_MAX)
		return -EINVAL;
	mac = last_word(line, len, " mac=");
	if (!mac || (size_t)(line + len - mac) != 5 + 2 * SHA256_LEN)
		return -EBADMSG;
	mac_hex(a, line, (size_t)(mac - line), want);
	if (!sha256_equal((const uint8_t *)want, (const uint8_t *)mac + 5, 2 * SHA256_LEN))
		return -EBADMSG;
	t = last_word(line, (size_t)(mac - line), " t=");
	if (!t)
		return -EBADMSG;
	tl = (size_t)(mac - t) - 3;
	if (tl == 0 || tl >= sizeof(tbuf))
		return -EBADMSG;
	memcpy(tbuf, t + 3, tl);
	tbuf[tl] = '\0';
	if (parse_time(tbuf, &ts) < 0)
		return -EBADMSG;
	if (window && (ts > now + CLUSTER_WINDOW_S || ts < now - CLUSTER_WINDOW_S))
		return -ETIME;
	return cluster_msg_decode(line, (size_t)(t - line), m);
}

int
cluster_key_name(const char *prefix, const struct ban_key *k, char *buf, size_t len)
{
	char key[3 * BAN_KEY_MAX + 1];
	int n;

	if (cluster_key_text(k, key, sizeof(key)) < 0)
		return -EINVAL;
	n = snprintf(buf, len, "%sban:%s:%s", prefix, k->kind == BAN_KIND_IP ? "ip" : "user", key);
	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}

int
cluster_allow_key_name(const char *prefix, const struct ban_key *k, char *buf, size_t len)
{
	char key[3 * BAN_KEY_MAX + 1];
	int n;

	if (cluster_key_text(k, key, sizeof(key)) < 0)
		return -EINVAL;
	n = snprintf(buf, len, "%sallow:%s:%s", prefix, k->kind == BAN_KIND_IP ? "ip" : "user",
		     key);
	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}

/* ---- queue ---- */

int
cluster_queue_init(struct cluster_queue *q, uint32_t cap)
{
	memset(q, 0, sizeof(*q));
	q->ring = calloc(cap, sizeof(*q->ring));
	if (!q->ring)
		return -ENOMEM;
	q->cap = cap;
	pthread_mutex_init(&q->lock, NULL);
	return 0;
}

void
cluster_queue_fini(struct cluster_queue *q)
{
	if (!q->ring)
		return;
	pthread_mutex_destroy(&q->lock);
	free(q->ring);
	q->ring = NULL;
}

int
cluster_queue_push(struct cluster_queue *q, const struct cluster_msg *m)
{
	int ret;

	pthread_mutex_lock(&q->lock);
	if (q->n == q->cap) {
		q->dropped++;
		ret = -ENOSPC;
	} else {
		q->ring[(q->head + q->n) % q->cap] = *m;
		q->pushed++;
		ret = q->n++ == 0;
	}
	pthread_mutex_unlock(&q->lock);
	return ret;
}

uint32_t
cluster_queue_pop(struct cluster_queue *q, struct cluster_msg *out, uint32_t max)
{
	uint32_t n = 0;

	pthread_mutex_lock(&q->lock);
	while (n < max && q->n) {
		out[n++] = q->ring[q->head];
		q->head = (q->head + 1) % q->cap;
		q->n--;
	}
	pthread_mutex_unlock(&q->lock);
	return n;
}

uint64_t
cluster_queue_dropped(struct cluster_queue *q)
{
	uint64_t d;

	pthread_mutex_lock(&q->lock);
	d = q->dropped;
	pthread_mutex_unlock(&q->lock);
	return d;
}

uint64_t
cluster_queue_pushed(struct cluster_queue *q)
{
	uint64_t n;

	pthread_mutex_lock(&q->lock);
	n = q->pushed;
	pthread_mutex_unlock(&q->lock);
	return n;
}

/* ---- origins ---- */

struct origin {
	struct origin *next;
	int64_t expires;
	char node[CLUSTER_NODE_MAX + 1];
	struct ban_key key; /* only the used part of data is allocated */
};

struct cluster_origins {
	pthread_mutex_t lock;
	uint32_t cap, count, nbuckets;
	struct hash_key key; /* getrandom(): peers' bans may be an attacker's choice */
	struct origin **buckets;
};

struct cluster_origins *
cluster_origins_new(uint32_t cap)
{
	struct cluster_origins *o = calloc(1, sizeof(*o));
	uint32_t nb = 64;

	if (!o)
		return NULL;
	while (nb < cap / 2 && nb < (1u << 22))
		nb <<= 1;
	o->buckets = calloc(nb, sizeof(*o->buckets));
	/* No table without an unpredictable key: see hash.h. */
	if (!o->buckets || hash_key_random(&o->key) < 0) {
		free(o->buckets);
		free(o);
		return NULL;
	}
	o->cap = cap;
	o->nbuckets = nb;
	pthread_mutex_init(&o->lock, NULL);
	return o;
}

void
cluster_origins_free(struct cluster_origins *o)
{
	if (!o)
		return;
	cluster_origins_clear(o);
	pthread_mutex_destroy(&o->lock);
	free(o->buckets);
	free(o);
}

static uint64_t
okey_hash(const struct cluster_origins *o, const struct ban_key *k)
{
	return ban_key_hash(k, &o->key);
}

/* Under lock: the link pointing at k's entry, or at the NULL ending its
 * chain. */
static struct origin **
olookup(struct cluster_origins *o, const struct ban_key *k)
{
	struct origin **pp = &o->buckets[okey_hash(o, k) & (o->nbuckets - 1)];

	while (*pp && !((*pp)->key.kind == k->kind && (*pp)->key.plen == k->plen &&
			(*pp)->key.len == k->len && memcmp((*pp)->key.data, k->data, k->len) == 0))
		pp = &(*pp)->next;
	return pp;
}

static uint32_t
prune_locked(struct cluster_origins *o, int64_t now)
{
	uint32_t n = 0;

	for (uint32_t b = 0; b < o->nbuckets; b++) {
		struct origin **pp = &o->buckets[b];

		while (*pp) {
			if ((*pp)->expires <= now) {
				struct origin *e = *pp;

				*pp = e->next;
				free(e);
				o->count--;
				n++;
			} else {
				pp = &(*pp)->next;
			}
		}
	}
	return n;
}

int
cluster_origins_set(struct cluster_origins *o, const struct ban_key *k, const char *node,
		    int64_t expires, bool keep, int64_t now)
{
	struct origin **pp, *e;
	int ret = 0;

	if (k->len > BAN_KEY_MAX)
		return -EINVAL;
	pthread_mutex_lock(&o->lock);
	pp = olookup(o, k);
	if (*pp) {
		if (!keep) {
			snprintf((*pp)->node, sizeof((*pp)->node), "%s", node);
			(*pp)->expires = expires;
		} else if (expires > (*pp)->expires) {
			(*pp)->expires = expires;
		}
		goto out;
	}
	if (o->count >= o->cap) {
		prune_locked(o, now); /* the expired go first */
		if (o->count >= o->cap) {
			ret = -ENOSPC;
			goto out;
		}
		pp = olookup(o, k);
	}
	e = malloc(offsetof(struct origin, key.data) + k->len);
	if (!e) {
		ret = -ENOMEM;
		goto out;
	}
	e->next = NULL;
	e->expires = expires;
	snprintf(e->node, sizeof(e->node), "%s", node);
	memcpy(&e->key, k, offsetof(struct ban_key, data) + k->len);
	*pp = e;
	o->count++;
out:
	pthread_mutex_unlock(&o->lock);
	return ret;
}

void
cluster_origins_del(struct cluster_origins *o, const struct ban_key *k)
{
	struct origin **pp, *e;

	pthread_mutex_lock(&o->lock);
	pp = olookup(o, k);
	if (*pp) {
		e = *pp;
		*pp = e->next;
		free(e);
		o->count--;
	}
	pthread_mutex_unlock(&o->lock);
}

void
cluster_origins_clear(struct cluster_origins *o)
{
	pthread_mutex_lock(&o->lock);
	prune_locked(o, INT64_MAX);
	pthread_mutex_unlock(&o->lock);
}

bool
cluster_origins_get(struct cluster_origins *o, const struct ban_key *k, char *buf, size_t len)
{
	struct origin **pp;
	bool found;

	pthread_mutex_lock(&o->lock);
	pp = olookup(o, k);
	found = *pp != NULL;
	if (found && len)
		snprintf(buf, len, "%s", (*pp)->node);
	pthread_mutex_unlock(&o->lock);
	return found;
}

uint32_t
cluster_origins_prune(struct cluster_origins *o, int64_t now)
{
	uint32_t n;

	pthread_mutex_lock(&o->lock);
	n = prune_locked(o, now);
	pthread_mutex_unlock(&o->lock);
	return n;
}

uint32_t
cluster_origins_count(struct cluster_origins *o)
{
	uint32_t n;

	pthread_mutex_lock(&o->lock);
	n = o->count;
	pthread_mutex_unlock(&o->lock);
	return n;
}
