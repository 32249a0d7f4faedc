/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sipwarden-replay - run sipwarden's policy offline over a packet capture
 * and print what would have been banned, and why.
 *
 * The daemon's own verdict core (verdict.h: direction, SIP ports, UDP and
 * TCP framing, the policy on each message; policy_reply() for what the
 * server answers), driven by the capture's timestamps instead of a clock.
 * No netlink, no kernel set, no root: the ban table lives in this process
 * and dies with it.
 *
 * Direction: a packet to a configured SIP port (UDP, TCP or TLS) is judged
 * as the daemon would judge it; a packet from a SIP port sent by the server
 * is read as the server's. Which address is the server comes from --server
 * or the configuration's sip.server_addresses; without either, a UDP packet
 * between two SIP ports (svcrack binds 5060 too) counts as the server's
 * when it is a SIP reply. SIP over TCP is framed per connection exactly as
 * in the daemon (tcpstream.h), TLS connection attempts count for density.
 * IP fragments are not reassembled: they are counted in the summary.
 *
 * This file reads the options, builds the tables and drives the capture
 * (replay_pcap.h) through the verdict core; what is printed, lines and
 * summary, is replay_report.c's.
 */

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blocklist.h"
#include "build_config.h"
#include "config.h"
#include "enumtrack.h"
#include "packet.h"
#include "policy.h"
#include "replay_pcap.h"
#include "replay_report.h"
#include "tcpstream.h"
#include "verdict.h"

#define REPLAY_MAINT_MS 1000
#define REPLAY_EXPIRE_PER_ROUND 65536
#define REPLAY_MIN_SOURCES 1024
#define REPLAY_ENUM_SOURCES 4096        /* as the daemon's workers */
#define REPLAY_TCP_MSG_MAX 65535        /* as the daemon's workers */

enum replay_exit { REPLAY_EXIT_OK = 0, REPLAY_EXIT_FAIL = 1, REPLAY_EXIT_USAGE = 2 };

static const char *prog = "sipwarden-replay";

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [-c CONFIG] [-s ADDR[/PLEN]]... [-q] [--json] FILE.pcap\n"
		"Run sipwarden's policy offline over a capture (pcap or pcapng; '-' reads\n"
		"standard input) and print what would have been banned, and why.\n"
		"  -c, --config FILE   configuration (default %s;\n"
		"                      built-in defaults when that file does not exist)\n"
		"  -s, --server ADDR   the SIP server's address or subnet (repeatable): its\n"
		"                      packets from a SIP port are read as its replies\n"
		"  -q, --quiet         print the bans only, no summary\n"
		"  -j, --json          one JSON object per line\n"
		"  -V, --version       print the version\n"
		"  -h, --help          this text\n"
		"Exit status: 0 done, 1 bad capture or configuration, 2 usage error.\n",
		prog, CONFIG_DEFAULT_PATH);
}

/* ---- per packet: the daemon's verdict core (verdict.h) ---- */

/* The ban hook: the replay's table alone (no kernel, no cluster). */
static void
replay_ban(void *arg, struct policy_verdict *v, const struct addr *src,
	   const struct sip_msg *m, uint64_t now)
{
	struct replay *r = arg;

	(void)src;
	(void)m;
	policy_ban_table(r->pol.bans, v, now);
}

static void
replay_judged(void *arg, const struct policy_verdict *v, const struct addr *src,
	      const struct sip_msg *m, uint64_t now)
{
	static const struct sip_msg none;
	struct replay *r = arg;

	(void)now;
	r->st.judged++;
	r->st.reason[v->reason]++;
	if (v->drop)
		r->st.dropped++;
	if (v->new_ban && v->ban_reason < BAN_REASON__MAX)
		r->st.bans_ip[v->ban_reason]++;
	if (v->ban_refused)
		r->st.bans_refused++;
	if (v->event != POLICY_EV_NONE || v->new_ban || v->ban_refused)
		replay_report_verdict(r, r->ts_us, v, src, m ? m : &none);
}

static void
replay_server_msg(void *arg, const struct sip_msg *m, uint64_t now)
{
	struct replay *r = arg;
	struct policy_auth a;

	r->st.server_msgs++;
	if (!m->is_request)
		r->st.server_replies++;
	policy_reply(&r->pol, m, now, &a);
	policy_reply_table(r->pol.bans, &a, now);
	if (a.failure)
		r->st.auth_failures++;
	if (a.success)
		r->st.auth_successes++;
	if (a.event == POLICY_EV_AUTH_BAN || a.enum_banned)
		replay_report_auth(r, r->ts_us, &a);
}

static const struct verdict_hooks replay_hooks = {
	.ban = replay_ban,
	.judged = replay_judged,
	.server_msg = replay_server_msg,
};

/* The capture's time is the policy's clock; it never runs backwards. */
static void
advance_clock(struct replay *r, uint64_t ts_us)
{
	uint64_t ms = ts_us / 1000u;

	if (!r->have_time) {
		r->have_time = true;
		r->first_us = ts_us;
		r->now_ms = ms;
		r->next_maint_ms = ms + REPLAY_MAINT_MS;
	}
	if (ts_us > r->last_us)
		r->last_us = ts_us;
	if (ms < r->now_ms) {
		r->st.backwards++;
		return;
	}
	r->now_ms = ms;
	if (r->now_ms >= r->next_maint_ms) {
		srctab_expire(r->pol.src, r->now_ms, r->cfg->source_idle_time * 1000u,
			      REPLAY_EXPIRE_PER_ROUND);
		bantab_expire(r->pol.bans, r->now_ms, NULL, NULL);
		tcptab_expire(r->tcp, r->now_ms, REPLAY_EXPIRE_PER_ROUND);
		r->next_maint_ms = r->now_ms + REPLAY_MAINT_MS;
	}
}

static void
replay_frame(struct replay *r, const struct replay_frame *f)
{
	const struct config *cfg = r->cfg;
	struct verdict_where where = {
		.servers = r->servers, .n_servers = r->n_servers,
		/* a capture cannot tell the interface; without a server
		 * known, a reply between two SIP ports is the server's */
		.on_server_if = true, .guess = r->n_servers == 0,
	};
	struct packet_info pi;

	r->st.packets++;
	advance_clock(r, f->ts_us);
	if (f->status != REPLAY_FRAME_IP) {
		(*(f->status == REPLAY_FRAME_SNAPPED ? &r->st.snapped :
		   f->status == REPLAY_FRAME_SHORT ? &r->st.link_short : &r->st.not_ip))++;
		return;
	}
	switch (packet_parse(f->l3, f->l3_len, &pi)) {
	case PACKET_OK:
		break;
	case PACKET_FRAGMENT:
		r->st.fragments++;
		return;
	case PACKET_OTHER_PROTO:
		r->st.other_proto++;
		return;
	default:
		r->st.ip_bad++;
		return;
	}
	r->ts_us = f->ts_us;
	switch (verdict_direction(cfg, &where, &pi, NULL)) {
	case VERDICT_TO_SERVER: {
		struct verdict_result res;

		/* A capture's checksums are often the NIC's to fill in
		 * (offload): not verified here. */
		verdict_packet(&r->vc, &pi, true, r->now_ms, &res);
		if (res.path == VERDICT_TCP)
			r->st.tcp_segments++;
		else if (res.path == VERDICT_TLS_SYN || res.path == VERDICT_TLS_BANNED ||
			 res.path == VERDICT_TLS_PASSED)
			r->st.tls_packets++;
		break;
	}
	case VERDICT_FROM_SERVER:
		r->st.from_server++;
		verdict_server_packet(&r->vc, &pi, r->now_ms);
		break;
	case VERDICT_OTHER:
		if (verdict_sip_port(cfg, pi.proto, pi.sport))
			r->st.undirected++;
		else
			r->st.not_sip++;
		break;
	}
}

/* ---- setup ---- */

static int
load_config(struct replay *r, const char *path)
{
	if (path == NULL && access(CONFIG_DEFAULT_PATH, F_OK) < 0 && errno == ENOENT) {
		fprintf(stderr, "%s: %s does not exist: using the built-in defaults\n", prog,
			CONFIG_DEFAULT_PATH);
		r->cfg = config_new_default();
		return r->cfg ? 0 : -ENOMEM;
	}
	r->cfg_path = path ? path : CONFIG_DEFAULT_PATH;
	return config_load_file(r->cfg_path, &r->cfg, stderr); /* errors: FILE:LINE:COL */
}

static int
make_tables(struct replay *r)
{
	const struct config *cfg = r->cfg;
	uint32_t cap = cfg->max_sources;

	/* The slab is reserved up front; a huge density limit times a huge
	 * source limit may not fit, so settle for fewer sources. */
	while ((r->pol.src = srctab_new(cap, cfg->dos_reqs_density_per_unit + 1)) == NULL &&
	       cap / 2 >= REPLAY_MIN_SOURCES)
		cap /= 2;
	if (r->pol.src != NULL && cap != cfg->max_sources)
		fprintf(stderr, "%s: tracking at most %u sources (limits.max_sources is %u)\n",
			prog, cap, cfg->max_sources);
	r->pol.bans = bantab_new(cfg->max_bans);
	r->pol.txns = txntab_new(cfg->max_transactions);
	r->pol.enums = enumtab_new(cfg->max_transactions, REPLAY_ENUM_SOURCES);
	r->pol.fails = failtab_new(cfg->max_auth_users);
	r->pol.offenders = failtab_new(cfg->max_bans);
	r->pol.cfg = cfg;
	r->pol.cfg_gen = 1;
	if (policy_keys_init(&r->pol) < 0)
		return -EIO;
	/* SIP over TCP framed as the daemon's workers do (one table here). */
	r->tcp = tcptab_new(cfg->max_tcp_connections, REPLAY_TCP_MSG_MAX,
			    cfg->tcp_idle_time * 1000u);
	if (!r->pol.src || !r->pol.bans || !r->pol.txns || !r->pol.enums || !r->pol.fails ||
	    !r->pol.offenders || !r->tcp)
		return -ENOMEM;
	r->vc = (struct verdict_core){
		.pol = &r->pol, .tcp = r->tcp, .hooks = &replay_hooks, .arg = r,
	};
	/* sip.server_addresses say where the server is, as in the daemon. */
	for (unsigned i = 0; i < cfg->n_server_addresses && r->n_servers < REPLAY_MAX_SERVERS; i++)
		r->servers[r->n_servers++] = cfg->server_addresses[i];
	return 0;
}

static int
blocklist_add(const struct addr_net *net, void *arg)
{
	struct replay *r = arg;
	struct ban_key k;

	/* In force for the whole capture, as the daemon keeps them until the
	 * next reload. */
	ban_key_net(&k, &net->base, net->plen);
	if (bantab_add(r->pol.bans, &k, BAN_REASON_BLOCKLIST, 0, UINT64_MAX / 2) > 0)
		r->st.blocklisted++;
	return 0;
}

/* blocklist_files, read as the daemon reads them at start. */
static int
load_blocklists(struct replay *r)
{
	for (unsigned i = 0; i < r->cfg->n_blocklist_files; i++) {
		const char *path = r->cfg->blocklist_files[i];
		unsigned bad = 0;
		int n = blocklist_read(path, blocklist_add, r, stderr, &bad);

		if (n < 0) {
			fprintf(stderr, "%s: blocklist %s: %s\n", prog, path, strerror(-n));
			return n;
		}
	}
	return 0;
}

static void
free_tables(struct replay *r)
{
	srctab_free(r->pol.src);
	bantab_free(r->pol.bans);
	txntab_free(r->pol.txns);
	enumtab_free(r->pol.enums);
	tcptab_free(r->tcp);
	failtab_free(r->pol.fails);
	failtab_free(r->pol.offenders);
	config_free(r->cfg);
}

static int
run(struct replay *r, const char *path)
{
	char err[512];
	struct replay_cap *cap;
	struct replay_frame f;
	int rc;

	rc = replay_cap_open(path, &cap, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return rc;
	}
	while ((rc = replay_cap_next(cap, &f)) > 0)
		replay_frame(r, &f);
	if (rc < 0)
		fprintf(stderr, "%s: %s: %s (after %llu packets)\n", prog, path,
			replay_cap_error(cap), (unsigned long long)r->st.packets);
	if (!r->quiet)
		replay_report_summary(r, path, replay_cap_linktype(cap));
	replay_cap_close(cap);
	if (fflush(r->out) != 0) {
		fprintf(stderr, "%s: write error: %s\n", prog, strerror(errno));
		return -EIO;
	}
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "server", required_argument, NULL, 's' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct replay r; /* large: keep it off the stack */
	const char *cfg_path = NULL;
	int c, rc;

	r.out = stdout;
	while ((c = getopt_long(argc, argv, "c:s:qjVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cfg_path = optarg;
			break;
		case 's':
			if (r.n_servers >= REPLAY_MAX_SERVERS ||
			    addr_net_parse(optarg, &r.servers[r.n_servers]) < 0) {
				fprintf(stderr, "%s: --server %s: %s\n", prog, optarg,
					r.n_servers >= REPLAY_MAX_SERVERS ? "too many (at most 64)" :
					"not an address or subnet (host bits must be clear)");
				return REPLAY_EXIT_USAGE;
			}
			r.n_servers++;
			break;
		case 'q':
			r.quiet = true;
			break;
		case 'j':
			r.json = true;
			break;
		case 'V':
			printf("sipwarden-replay %s\n", SIPWARDEN_VERSION);
			return REPLAY_EXIT_OK;
		case 'h':
			usage(stdout);
			return REPLAY_EXIT_OK;
		default:
			usage(stderr);
			return REPLAY_EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "%s: %s\n", prog, argc - optind ? "one capture file at a time" :
			"which capture file?");
		usage(stderr);
		return REPLAY_EXIT_USAGE;
	}
	if (load_config(&r, cfg_path) < 0)
		return REPLAY_EXIT_FAIL;
	if (make_tables(&r) < 0) {
		fprintf(stderr, "%s: out of memory\n", prog);
		free_tables(&r);
		return REPLAY_EXIT_FAIL;
	}
	if (load_blocklists(&r) < 0) {
		free_tables(&r);
		return REPLAY_EXIT_FAIL;
	}
	rc = run(&r, argv[optind]);
	free_tables(&r);
	return rc < 0 ? REPLAY_EXIT_FAIL : REPLAY_EXIT_OK;
}
