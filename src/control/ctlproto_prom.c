/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctlproto_prom - the daemon's counters in the Prometheus text exposition
 * format (ctlproto_prometheus() in ctlproto.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "ctlproto.h"

/* Label values: backslash, double quote and line feed escaped. */
static void
prom_label(FILE *out, const char *v)
{
	for (; v && *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(out, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", out);
		else
			fputc(*v, out);
	}
}

/* One metric family sipwarden_<name>: # HELP, # TYPE, then n samples
 * (label NULL: one sample without labels). */
static void
prom_family(FILE *out, const char *name, const char *type, const char *help,
	    const char *label, unsigned n, const char *const *lv, const uint64_t *v)
{
	fprintf(out, "# HELP sipwarden_%s %s\n# TYPE sipwarden_%s %s\n", name, help, name, type);
	for (unsigned i = 0; i < n; i++) {
		fprintf(out, "sipwarden_%s", name);
		if (label) {
			fprintf(out, "{%s=\"", label);
			prom_label(out, lv[i] ? lv[i] : "unknown");
			fputs("\"}", out);
		}
		fprintf(out, " %" PRIu64 "\n", v[i]);
	}
}

int
ctlproto_prometheus(const struct ctl_stats *st, FILE *out)
{
	static const char *const verdicts[] = { "accept", "drop" }, *const kinds[] = { "ip", "user" };
	static const char *const framing[] = { "not_ip", "fragment", "truncated" };
	static const char *const perq[][3] = {
		{ "queue_packets_total", "counter", "Packets received from the NFQUEUE queue." },
		{ "queue_enobufs_total", "counter", "Receive buffer overruns (packets lost)." },
		{ "queue_recv_errors_total", "counter", "Receive errors on the queue socket." },
		{ "queue_send_errors_total", "counter", "Verdicts that could not be sent." },
		{ "sources", "gauge", "Sources in the worker's density table." },
		{ "sources_max", "gauge", "Capacity of the worker's density table." },
		{ "sources_evicted_total", "counter", "Live sources evicted: density table full." },
		{ "transactions_replaced_total", "counter", "Live transactions overwritten." },
	};
	const struct {
		const char *name, *type, *help;
		uint64_t v;
	} one[] = {
		{ "would_drop_total", "counter", "Packets monitor mode let through that enforce "
		  "mode would drop.", st->would_drop },
		{ "tcp_passed_total", "counter", "TCP packets accepted unjudged.", st->tcp_passed },
		{ "bans_max", "gauge", "Size of the ban table (limits.max_bans).", st->max_bans },
		{ "bans_created_total", "counter", "Bans created by the policy.", st->bans_created },
		{ "bans_refused_total", "counter", "Bans refused: table full.", st->bans_refused },
		{ "kernel_set_errors_total", "counter", "Failed kernel ban set updates.",
		  st->kset_errors },
		{ "monitor_mode", "gauge", "1 in monitor mode, 0 in enforce mode.", st->monitor },
		{ "uptime_seconds", "gauge", "Seconds since the daemon started.", st->uptime_s },
	};
	unsigned nr = st->n_reasons < CTL_MAX_REASONS ? st->n_reasons : CTL_MAX_REASONS;
	unsigned nw = st->n_workers < CTL_MAX_WORKERS ? st->n_workers : CTL_MAX_WORKERS;
	const char *lv[CTL_MAX_WORKERS + CTL_MAX_REASONS + CTL_MAX_MALFORMED];
	char qname[CTL_MAX_WORKERS][8];
	uint64_t v[CTL_MAX_WORKERS + CTL_MAX_REASONS + CTL_MAX_MALFORMED];
	unsigned nm = st->n_malformed < CTL_MAX_MALFORMED ? st->n_malformed : CTL_MAX_MALFORMED;

	prom_family(out, "packets_total", "counter", "Packets judged, by verdict.", "verdict", 2,
		    verdicts, (uint64_t[]){ st->accepted, st->dropped });
	for (unsigned i = 0; i < nr; i++) {
		lv[i] = st->reasons[i].name;
		v[i] = st->reasons[i].count;
	}
	prom_family(out, "verdicts_total", "counter", "Verdicts by policy reason.", "reason", nr,
		    lv, v);
	for (unsigned i = 0; i < nm; i++) {
		lv[i] = st->malformed[i].name;
		v[i] = st->malformed[i].count;
	}
	if (nm)
		prom_family(out, "malformed_total", "counter", "Malformed messages by the check "
			    "they failed.", "check", nm, lv, v);
	prom_family(out, "framing_errors_total", "counter", "Queued packets that could not be "
		    "framed, by kind.", "kind", 3, framing,
		    (uint64_t[]){ st->not_ip, st->fragments, st->truncated });
	prom_family(out, "bans", "gauge", "Bans in force, by kind.", "kind", 2, kinds,
		    (uint64_t[]){ st->bans_ip, st->bans_user });
	for (unsigned f = 0; f < sizeof(one) / sizeof(one[0]); f++)
		prom_family(out, one[f].name, one[f].type, one[f].help, NULL, 1, NULL, &one[f].v);
	for (unsigned i = 0; i < nw; i++) {
		snprintf(qname[i], sizeof(qname[i]), "%u", st->workers[i].queue);
		lv[i] = qname[i];
	}
	for (unsigned f = 0; f < sizeof(perq) / sizeof(perq[0]); f++) {
		for (unsigned i = 0; i < nw; i++) {
			const struct ctl_worker *w = &st->workers[i];
			const uint64_t all[] = { w->packets, w->enobufs, w->recv_errors,
						 w->send_errors, w->sources, w->sources_max,
						 w->sources_evicted, w->txn_replaced };

			v[i] = all[f];
		}
		prom_family(out, perq[f][0], perq[f][1], perq[f][2], "queue", nw, lv, v);
	}
	return ferror(out) ? -EIO : 0;
}
