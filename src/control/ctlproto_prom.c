/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctlproto_prom - the daemon's counters in the Prometheus text exposition
 * format (ctlproto_prometheus() in ctlproto.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

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

static const char *
prom_type(enum ctr_kind k)
{
	return k == CTR_GAUGE ? "gauge" : "counter";
}

int
ctlproto_prometheus(const struct ctl_stats *st, FILE *out)
{
	static const char *const kinds[] = { "ip", "user" };
	const struct {
		const char *name, *type, *help;
		uint64_t v;
	} one[] = {
		{ "bans_max", "gauge", "Size of the ban table (limits.max_bans).", st->max_bans },
		{ "allowed", "gauge", "Entries of the runtime allow-list (sipwardenctl allowed).",
		  st->allowed },
		{ "monitor_mode", "gauge", "1 in monitor mode, 0 in enforce mode.", st->monitor },
		{ "uptime_seconds", "gauge", "Seconds since the daemon started.", st->uptime_s },
	};
	unsigned nr = st->n_reasons < CTL_MAX_REASONS ? st->n_reasons : CTL_MAX_REASONS;
	unsigned nw = st->n_workers < CTL_MAX_WORKERS ? st->n_workers : CTL_MAX_WORKERS;
	const char *lv[CTL_MAX_WORKERS + CTL_MAX_REASONS + CTL_MAX_MALFORMED];
	char qname[CTL_MAX_WORKERS][8];
	uint64_t v[CTL_MAX_WORKERS + CTL_MAX_REASONS + CTL_MAX_MALFORMED];
	unsigned nm = st->n_malformed < CTL_MAX_MALFORMED ? st->n_malformed : CTL_MAX_MALFORMED;

	/* The summed counters (counters.h): a family's entries are adjacent,
	 * its # HELP and # TYPE come with the first. */
	for (size_t i = 0; i < CTL_N_COUNTERS; i++) {
		const struct ctl_counter *c = &ctl_counters[i];

		if (i == 0 || strcmp(c->family, ctl_counters[i - 1].family) != 0)
			fprintf(out, "# HELP sipwarden_%s %s\n# TYPE sipwarden_%s %s\n", c->family,
				c->help, c->family, prom_type(c->kind));
		fprintf(out, "sipwarden_%s%s%s%s %" PRIu64 "\n", c->family, c->label ? "{" : "",
			c->label ? c->label : "", c->label ? "}" : "", ctl_counter_get(st, c));
	}
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
	prom_family(out, "bans", "gauge", "Bans in force, by kind.", "kind", 2, kinds,
		    (uint64_t[]){ st->bans_ip, st->bans_user });
	for (unsigned f = 0; f < sizeof(one) / sizeof(one[0]); f++)
		prom_family(out, one[f].name, one[f].type, one[f].help, NULL, 1, NULL, &one[f].v);
	for (unsigned i = 0; i < nw; i++) {
		snprintf(qname[i], sizeof(qname[i]), "%u", st->workers[i].queue);
		lv[i] = qname[i];
	}
	for (size_t f = 0; f < CTL_N_QUEUE_COUNTERS; f++) {
		const struct ctl_counter *c = &ctl_queue_counters[f];

		for (unsigned i = 0; i < nw; i++)
			v[i] = ctl_counter_get(&st->workers[i], c);
		prom_family(out, c->family, prom_type(c->kind), c->help, "queue", nw, lv, v);
	}
	return ferror(out) ? -EIO : 0;
}
