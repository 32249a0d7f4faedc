/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control protocol's answers: response bodies (tables and JSON),
 * framing and exit codes, the Prometheus file, and every counter of
 * counters.h in every rendering.
 */
#include "ctl_harness.h"

/* --- response bodies ------------------------------------------------- */

static struct ctl_ban
B(const char *key, bool user, enum ban_reason r, uint64_t left, uint64_t hits, uint64_t age)
{
	struct ctl_ban b;

	memset(&b, 0, sizeof(b));
	if (user)
		cr_assert_eq(ban_key_user(&b.key, key), 0);
	else
		b.key = KIP(key);
	b.reason = r;
	b.remaining_s = left;
	b.hits = hits;
	b.age_s = age;
	return b;
}

Test(format, bans_sorted_table)
{
	struct ctl_ban v[] = {
		B("zed@example.org", true, BAN_REASON_AUTH, 10, 0, 1),
		B("2001:db8:a::/64", false, BAN_REASON_DENSITY, 20, 5, 2),
		B("203.0.113.10", false, BAN_REASON_MANUAL, 30, 7, 3),
		B("203.0.113.9", false, BAN_REASON_UA, 40, 0, 4),
		B("alice@example.org", true, BAN_REASON_AUTH, 50, 1, 5),
	};
	struct cap c;
	char *out, *p[6];

	cap_open(&c);
	cr_assert_eq(ctlproto_format_bans(c.f, v, 5, false), 0);
	out = cap_close(&c);
	/* Header, then IPv4 in numeric order, IPv6, then users by bytes. */
	p[0] = strstr(out, "KIND");
	p[1] = strstr(out, "203.0.113.9 ");
	p[2] = strstr(out, "203.0.113.10 ");
	p[3] = strstr(out, "2001:db8:a::/64");
	p[4] = strstr(out, "alice@example.org");
	p[5] = strstr(out, "zed@example.org");
	for (int i = 0; i < 6; i++)
		cr_assert_not_null(p[i], "%d in\n%s", i, out);
	for (int i = 0; i < 5; i++)
		cr_assert_lt(p[i], p[i + 1], "%s", out);
	cr_assert_not_null(strstr(out, "ip    203.0.113.10       manual"), "%s", out);
	cr_assert_not_null(strstr(out, "user  alice@example.org  auth"), "%s", out);
	free(out);
}

Test(format, bans_json_escapes_attacker_names)
{
	struct ctl_ban v[] = {
		B("x\"},{\"kind\":\"ip\\\n\x1b@example.org", true, BAN_REASON_AUTH, 60, 2, 3),
	};
	struct cap c;
	char *out;

	cap_open(&c);
	cr_assert_eq(ctlproto_format_bans(c.f, v, 1, true), 0);
	out = cap_close(&c);
	cr_assert_str_eq(out, "{\"bans\":[{\"kind\":\"user\",\"key\":\"x\\\"},{\\\"kind\\\":"
			 "\\\"ip\\\\\\n\\u001b@example.org\",\"reason\":\"auth\",\"remaining\":60,"
			 "\"hits\":2,\"age\":3}]}\n");
	free(out);
	cap_open(&c);
	cr_assert_eq(ctlproto_format_bans(c.f, v, 1, false), 0);
	out = cap_close(&c);
	/* The table shows one line per ban whatever the name holds. */
	cr_assert_not_null(strstr(out, "x\"},{\"kind\":\"ip\\\\\\x0a\\x1b@example.org"), "%s", out);
	cr_assert_eq(strchr(strchr(out, '\n') + 1, '\n')[1], '\0', "%s", out);
	free(out);
	cap_open(&c);
	cr_assert_eq(ctlproto_format_bans(c.f, NULL, 0, true), 0);
	out = cap_close(&c);
	cr_assert_str_eq(out, "{\"bans\":[]}\n");
	free(out);
}

Test(format, results)
{
	struct ban_key k = KIP("203.0.113.7");
	struct cap c;
	char *out;

	cap_open(&c);
	ctlproto_format_result(c.f, "banned", &k, 60, -1, NULL, true);
	out = cap_close(&c);
	cr_assert_str_eq(out, "{\"result\":\"banned\",\"kind\":\"ip\",\"key\":\"203.0.113.7\","
			 "\"time\":60}\n");
	free(out);
	cap_open(&c);
	ctlproto_format_result(c.f, "banned", &k, 60, -1, NULL, false);
	out = cap_close(&c);
	cr_assert_str_eq(out, "ip 203.0.113.7 banned for 60 s\n");
	free(out);
	cap_open(&c);
	ctlproto_format_result(c.f, "unbanned", NULL, 0, 3, NULL, true);
	out = cap_close(&c);
	cr_assert_str_eq(out, "{\"result\":\"unbanned\",\"count\":3}\n");
	free(out);
	cap_open(&c);
	ctlproto_format_result(c.f, "unbanned", NULL, 0, 1, NULL, false);
	out = cap_close(&c);
	cr_assert_str_eq(out, "unbanned (count 1)\n");
	free(out);
}

/* A change a restart could undo says so, on a line of its own (the first
 * line stays what scripts parse) and as "durable":false in JSON. */
Test(format, result_not_durable)
{
	struct ban_key k = KIP("203.0.113.7");
	struct cap c;
	char *out;

	cap_open(&c);
	ctlproto_format_result(c.f, "unbanned", &k, 0, -1, "not saved: \"disk\"\nfull", true);
	out = cap_close(&c);
	cr_assert_str_eq(out, "{\"result\":\"unbanned\",\"kind\":\"ip\",\"key\":\"203.0.113.7\","
			 "\"durable\":false,\"warning\":\"not saved: \\\"disk\\\"\\nfull\"}\n");
	free(out);
	cap_open(&c);
	ctlproto_format_result(c.f, "unbanned", &k, 0, -1, "not saved\nx", false);
	out = cap_close(&c);
	cr_assert_str_eq(out, "ip 203.0.113.7 unbanned\nwarning: not saved\\x0ax\n");

	free(out);
}

static void
fill_stats(struct ctl_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->packets = 100;
	st->accepted = 90;
	st->dropped = 10;
	st->would_drop = 0;
	st->n_reasons = 2;
	st->reasons[0] = (struct ctl_reason){ "pass", 90 };
	st->reasons[1] = (struct ctl_reason){ "density", 10 };
	st->bans_ip = 3;
	st->bans_user = 1;
	st->max_bans = 1000;
	st->kernel_set_errors = 2;
	st->n_workers = 2;
	st->workers[0] = (struct ctl_worker){ .queue = 4, .packets = 60, .enobufs = 1,
					      .sources = 7, .sources_max = 500 };
	st->workers[1] = (struct ctl_worker){ .queue = 5, .packets = 40, .sources_max = 500 };
	st->enobufs = 1;
}

Test(format, status_and_stats)
{
	struct ctl_status s = {
		.version = "0.1.0", .pid = 42, .uptime_s = 3723, .queue_first = 0,
		.queue_count = 2, .workers = 2, .config_path = "/etc/s\"w.yml",
		.state_dir = "/var/lib/sipwarden", .socket_path = "/run/c.sock", .bans_ip = 1,
		.max_bans = 10, .ban_time_ip = 3600, .ban_time_user = 600,
		.kernel_set = CTL_KSET_BROKEN,
	};
	struct ctl_stats st;
	struct cap c;
	char *out;

	cap_open(&c);
	cr_assert_eq(ctlproto_format_status(c.f, &s, true), 0);
	out = cap_close(&c);
	cr_assert_str_eq(out, "{\"version\":\"0.1.0\",\"pid\":42,\"mode\":\"enforce\","
			 "\"uptime\":3723,\"queue_first\":0,\"queue_count\":2,\"workers\":2,"
			 "\"config\":\"/etc/s\\\"w.yml\",\"state_dir\":\"/var/lib/sipwarden\","
			 "\"socket\":\"/run/c.sock\",\"stats_file\":null,\"bans_ip\":1,"
			 "\"bans_user\":0,\"max_bans\":10,\"allowed\":0,\"max_allowed\":0,"
			 "\"ban_time_ip\":3600,"
			 "\"ban_time_user\":600,\"kernel_set\":\"broken\"}\n");
	free(out);
	cap_open(&c);
	cr_assert_eq(ctlproto_format_status(c.f, &s, false), 0);
	out = cap_close(&c);
	cr_assert_not_null(strstr(out, "uptime (s)          3723\n"), "%s", out);
	cr_assert_not_null(strstr(out, "kernel set          broken\n"), "%s", out);
	cr_assert_not_null(strstr(out, "stats file          -\n"), "%s", out);
	free(out);

	fill_stats(&st);
	cap_open(&c);
	cr_assert_eq(ctlproto_format_stats(c.f, &st, true), 0);
	out = cap_close(&c);
	cr_assert_not_null(strstr(out, "\"verdicts\":{\"pass\":90,\"density\":10}"), "%s", out);
	cr_assert_not_null(strstr(out, "{\"index\":0,\"queue\":4,\"packets\":60,"), "%s", out);
	cr_assert_not_null(strstr(out, "\"kernel_set_errors\":2"), "%s", out);
	free(out);
	cap_open(&c);
	cr_assert_eq(ctlproto_format_stats(c.f, &st, false), 0);
	out = cap_close(&c);
	cr_assert_not_null(strstr(out, "dropped             10\n"), "%s", out);
	cr_assert_not_null(strstr(out, "  density           10\n"), "%s", out);
	free(out);
}

/* --- framing --------------------------------------------------------- */

Test(framing, ok_with_dot_stuffing)
{
	const char body[] = "line one\n.hidden\n..two\nlast";
	struct cap c;
	char *out;

	cap_open(&c);
	cr_assert_eq(ctlproto_write_response(c.f, CTL_OK, NULL, body, strlen(body)), 0);
	out = cap_close(&c);
	cr_assert_str_eq(out, "OK\nline one\n..hidden\n...two\nlast\n.\n");
	free(out);
}

Test(framing, err_is_one_sanitized_line)
{
	struct cap c;
	char *out, big[2000];

	cap_open(&c);
	ctlproto_write_response(c.f, CTL_E_FAILED, "a:1:2: bad\nb:3:4: worse\x1b[0m", NULL, 0);
	out = cap_close(&c);
	cr_assert_str_eq(out, "ERR failed a:1:2: bad;b:3:4: worse?[0m\n.\n");
	free(out);
	memset(big, 'm', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cap_open(&c);
	ctlproto_write_response(c.f, CTL_E_NOTFOUND, big, NULL, 0);
	out = cap_close(&c);
	cr_assert_eq(strlen(out), strlen("ERR not-found \n.\n") + CTL_MSG_MAX);
	free(out);
	cap_open(&c);
	ctlproto_write_response(c.f, CTL_E_DENIED, "", NULL, 0);
	out = cap_close(&c);
	cr_assert_str_eq(out, "ERR denied denied\n.\n");
	free(out);
}

Test(framing, status_lines_and_exit_codes)
{
	enum ctl_err e;
	const char *msg;

	cr_assert_eq(ctlproto_parse_status("OK", &e, &msg), 0);
	cr_assert_eq(e, CTL_OK);
	cr_assert_eq(ctlproto_parse_status("ERR not-found no ban for ip 203.0.113.7", &e, &msg), 0);
	cr_assert_eq(e, CTL_E_NOTFOUND);
	cr_assert_str_eq(msg, "no ban for ip 203.0.113.7");
	cr_assert_eq(ctlproto_parse_status("ERR usage", &e, &msg), 0);
	cr_assert_eq(e, CTL_E_USAGE);
	cr_assert_eq(ctlproto_parse_status("ERR brand-new later", &e, &msg), 0);
	cr_assert_eq(e, CTL_E_FAILED);
	cr_assert_eq(ctlproto_parse_status("OKAY", &e, &msg), -EPROTO);
	cr_assert_eq(ctlproto_parse_status("ERR ", &e, &msg), -EPROTO);
	cr_assert_eq(ctlproto_parse_status("", &e, &msg), -EPROTO);
	cr_assert_eq(ctlproto_exit_code(CTL_OK), 0);
	cr_assert_eq(ctlproto_exit_code(CTL_E_USAGE), 2);
	for (int i = CTL_E_INVALID; i < CTL_E__MAX; i++)
		cr_assert_eq(ctlproto_exit_code((enum ctl_err)i), 1);
	for (int i = 0; i < CTL_E__MAX; i++) {
		const char *n = ctlproto_err_name((enum ctl_err)i);

		cr_assert_null(strchr(n, ' '));
		cr_assert_gt(strlen(n), 0);
	}
}

/* --- Prometheus ------------------------------------------------------ */

Test(prometheus, exposition_format)
{
	struct ctl_stats st;
	struct cap c;
	char *out, *save = NULL, *family = NULL;
	regex_t sample, help, type;
	bool typed = false;

	fill_stats(&st);
	st.reasons[1].name = "odd\"\\name";
	cap_open(&c);
	cr_assert_eq(ctlproto_prometheus(&st, c.f), 0);
	out = cap_close(&c);
	cr_assert_not_null(strstr(out, "sipwarden_packets_total{verdict=\"accept\"} 90\n"));
	cr_assert_not_null(strstr(out, "sipwarden_packets_total{verdict=\"drop\"} 10\n"));
	cr_assert_not_null(strstr(out, "sipwarden_verdicts_total{reason=\"pass\"} 90\n"));
	cr_assert_not_null(strstr(out, "sipwarden_verdicts_total{reason=\"odd\\\"\\\\name\"} 10\n"));
	cr_assert_not_null(strstr(out, "sipwarden_bans{kind=\"ip\"} 3\n"));
	cr_assert_not_null(strstr(out, "sipwarden_bans{kind=\"user\"} 1\n"));
	cr_assert_not_null(strstr(out, "sipwarden_queue_enobufs_total{queue=\"4\"} 1\n"));
	cr_assert_not_null(strstr(out, "sipwarden_queue_enobufs_total{queue=\"5\"} 0\n"));
	cr_assert_not_null(strstr(out, "sipwarden_kernel_set_errors_total 2\n"));
	cr_assert_not_null(strstr(out, "# TYPE sipwarden_bans gauge\n"));
	cr_assert_not_null(strstr(out, "# TYPE sipwarden_packets_total counter\n"));
	cr_assert_eq(out[strlen(out) - 1], '\n');

	/* Every line is a HELP, a TYPE or a sample of the family just typed. */
	cr_assert_eq(regcomp(&sample, "^([a-z_][a-z0-9_]*)"
			     "(\\{[a-z_]+=\"([^\"\\\\]|\\\\.)*\"\\})? [0-9]+$", REG_EXTENDED), 0);
	cr_assert_eq(regcomp(&help, "^# HELP ([a-z_][a-z0-9_]*) [^\n]+$", REG_EXTENDED), 0);
	cr_assert_eq(regcomp(&type, "^# TYPE ([a-z_][a-z0-9_]*) (counter|gauge)$", REG_EXTENDED), 0);
	for (char *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		regmatch_t m[2];

		if (regexec(&help, l, 2, m, 0) == 0) {
			free(family);
			family = strndup(l + m[1].rm_so, (size_t)(m[1].rm_eo - m[1].rm_so));
			typed = false;
		} else if (regexec(&type, l, 2, m, 0) == 0) {
			cr_assert_not_null(family);
			cr_assert_eq(strncmp(l + m[1].rm_so, family, strlen(family)), 0, "%s", l);
			if (strstr(l, "counter"))
				cr_assert_not_null(strstr(family, "_total"), "%s", l);
			typed = true;
		} else {
			cr_assert_eq(regexec(&sample, l, 2, m, 0), 0, "bad line '%s'", l);
			cr_assert(typed, "%s", l);
			cr_assert_eq((size_t)(m[1].rm_eo - m[1].rm_so), strlen(family), "%s", l);
			cr_assert_eq(strncmp(l, family, strlen(family)), 0, "%s", l);
		}
	}
	free(family);
	regfree(&sample);
	regfree(&help);
	regfree(&type);
	free(out);
}

/* --- the counter registry (counters.h) -------------------------------- */

static void
fill_distinct(struct ctl_stats *st)
{
	fill_stats(st);
	for (size_t i = 0; i < CTL_N_COUNTERS; i++)
		*(uint64_t *)(void *)((char *)st + ctl_counters[i].off) = 1000003u + 7919u * i;
	for (unsigned w = 0; w < st->n_workers; w++)
		for (size_t i = 0; i < CTL_N_QUEUE_COUNTERS; i++)
			*(uint64_t *)(void *)((char *)&st->workers[w] + ctl_queue_counters[i].off) =
				2000003u + 104729u * w + 131u * i;
}

static char *
render(const struct ctl_stats *st, int how)
{
	struct cap c;

	cap_open(&c);
	if (how == 0)
		cr_assert_eq(ctlproto_format_stats(c.f, st, false), 0);
	else if (how == 1)
		cr_assert_eq(ctlproto_format_stats(c.f, st, true), 0);
	else if (how == 2)
		cr_assert_eq(ctlproto_format_stats_line(c.f, st), 0);
	else
		cr_assert_eq(ctlproto_prometheus(st, c.f), 0);
	return cap_close(&c);
}

Test(counters, every_entry_in_every_rendering)
{
	static struct ctl_stats st;
	char *text, *json, *line, *prom, want[256];

	fill_distinct(&st);
	text = render(&st, 0);
	json = render(&st, 1);
	line = render(&st, 2);
	prom = render(&st, 3);
	for (size_t i = 0; i < CTL_N_COUNTERS; i++) {
		const struct ctl_counter *c = &ctl_counters[i];
		unsigned long long v = ctl_counter_get(&st, c);
		char label[64];

		snprintf(label, sizeof(label), "%s", c->name);
		for (char *p = label; *p; p++)
			*p = *p == '_' ? ' ' : *p;
		snprintf(want, sizeof(want), "\n%-20s%llu\n", label, v);
		cr_assert_not_null(strstr(text, want), "text lacks '%s':\n%s", want, text);
		snprintf(want, sizeof(want), "\"%s\":%llu,", c->name, v);
		cr_assert_not_null(strstr(json, want), "JSON lacks '%s':\n%s", want, json);
		snprintf(want, sizeof(want), "%s=%llu ", c->name, v);
		cr_assert_not_null(strstr(line, want), "line lacks '%s':\n%s", want, line);
		cr_assert(line == strstr(line, want) || strstr(line, want)[-1] == ' ');
		snprintf(want, sizeof(want), "\nsipwarden_%s%s%s%s %llu\n", c->family,
			 c->label ? "{" : "", c->label ? c->label : "", c->label ? "}" : "", v);
		cr_assert_not_null(strstr(prom, want), "Prometheus lacks '%s'", want);
		snprintf(want, sizeof(want), "# TYPE sipwarden_%s %s\n", c->family,
			 c->kind == CTR_GAUGE ? "gauge" : "counter");
		cr_assert_not_null(strstr(prom, want), "Prometheus lacks '%s'", want);
	}
	for (unsigned w = 0; w < st.n_workers; w++) {
		for (size_t i = 0; i < CTL_N_QUEUE_COUNTERS; i++) {
			const struct ctl_counter *c = &ctl_queue_counters[i];
			unsigned long long v = ctl_counter_get(&st.workers[w], c);

			snprintf(want, sizeof(want), " %llu", v);
			cr_assert_not_null(strstr(text, want), "text lacks '%s'", want);
			snprintf(want, sizeof(want), "\"%s\":%llu", c->name, v);
			cr_assert_not_null(strstr(json, want), "JSON lacks '%s'", want);
			snprintf(want, sizeof(want), "sipwarden_%s{queue=\"%u\"} %llu\n", c->family,
				 st.workers[w].queue, v);
			cr_assert_not_null(strstr(prom, want), "Prometheus lacks '%s'", want);
		}
	}
	for (size_t i = 0; i < CTL_N_QUEUE_COUNTERS; i++)
		cr_assert_not_null(strstr(text, ctl_queue_counters[i].label));
	/* The verdicts ride the line too, after the counters. */
	cr_assert_not_null(strstr(line, " density=10 "), "%s", line);
	cr_assert_eq(strncmp(line, "packets=", 8), 0, "%s", line);
	free(text);
	free(json);
	free(line);
	free(prom);
}

/* Names and families are stable (tests, scripts, dashboards read them);
 * the ones that were once counted and never shown stay in the list. */
Test(counters, registry_well_formed)
{
	static const char *const must[] = {
		"packets", "accepted", "dropped", "would_drop", "tcp_passed", "tcp_segments",
		"tls_attempts", "tcp_out_of_order", "replies_403", "replies_seen",
		"auth_failures", "auth_bans", "enum_bans", "not_ip", "fragments", "truncated",
		"bans_created", "bans_refused", "kernel_set_errors",
	};

	for (size_t m = 0; m < sizeof(must) / sizeof(must[0]); m++) {
		size_t i = 0;

		while (i < CTL_N_COUNTERS && strcmp(ctl_counters[i].name, must[m]) != 0)
			i++;
		cr_assert_lt(i, CTL_N_COUNTERS, "%s missing from counters.h", must[m]);
	}
	for (size_t i = 0; i < CTL_N_COUNTERS; i++) {
		const struct ctl_counter *c = &ctl_counters[i];
		bool first = i == 0 || strcmp(c->family, ctl_counters[i - 1].family) != 0;

		cr_assert(!first || c->help, "%s: a family's first entry has the help", c->name);
		cr_assert(c->kind == CTR_GAUGE || strstr(c->family, "_total"), "%s", c->name);
		for (size_t j = i + 1; j < CTL_N_COUNTERS; j++) {
			cr_assert_str_neq(c->name, ctl_counters[j].name);
			/* a family's entries are adjacent */
			if (j > i + 1 && strcmp(c->family, ctl_counters[j].family) == 0)
				cr_assert_str_eq(ctl_counters[j - 1].family, c->family, "%s", c->name);
			cr_assert(strcmp(c->family, ctl_counters[j].family) != 0 ||
				  (c->label && ctl_counters[j].label), "%s", c->name);
		}
	}
	for (size_t i = 0; i < CTL_N_QUEUE_COUNTERS; i++) {
		const struct ctl_counter *c = &ctl_queue_counters[i];

		cr_assert_not_null(c->help);
		cr_assert(c->kind == CTR_GAUGE || strstr(c->family, "_total"), "%s", c->name);
		for (size_t j = i + 1; j < CTL_N_QUEUE_COUNTERS; j++)
			cr_assert_str_neq(c->family, ctl_queue_counters[j].family);
	}
}

/* --- why ------------------------------------------------------------- */

static struct ctl_why
why_sample(void)
{
	struct ctl_why w;
	struct evidence_rec *r = &w.recs[0];

	memset(&w, 0, sizeof(w));
	w.key = KIP("203.0.113.7");
	w.now_s = 1796000100;
	w.density = 50;
	w.sampling_s = 2;
	w.auth_attempts = 3;
	w.enum_users = 10;
	w.n_bans = 1;
	w.bans[0].key = KIP("203.0.113.7");
	w.bans[0].reason = BAN_REASON_DENSITY;
	w.bans[0].remaining_s = 540;
	w.bans[0].age_s = 60;
	w.bans[0].hits = 12;
	strcpy(w.bans[0].origin, "edge-b");
	w.n_recs = 1;
	r->kind = EVIDENCE_IP;
	cr_assert_eq(addr_parse("203.0.113.7", &r->addr), 0);
	strcpy(r->rule, "density");
	r->count = 2;
	r->bans = 1;
	r->last_ban_time_s = 600;
	r->ban_addr = r->addr;
	r->ban_plen = 32;
	r->first.at_s = 1796000000;
	strcpy(r->first.method, "REGISTER");
	strcpy(r->first.ruri, "sip:198.51.100.1");
	/* As captured: attacker text already escaped (event.h). */
	strcpy(r->first.callid, "x\\x27\\x0a\"y");
	strcpy(r->first.ua, "friendly-scanner");
	r->first.src = r->addr;
	r->last = r->first;
	r->last.at_s = 1796000040;
	return w;
}

Test(format, why_text)
{
	struct ctl_why w = why_sample();
	struct cap c;
	char *s;

	cap_open(&c);
	cr_assert_eq(ctlproto_format_why(c.f, &w, false), 0);
	s = cap_close(&c);
	cr_assert(strstr(s, "subject  ip 203.0.113.7\n"), "%s", s);
	cr_assert(strstr(s, "ban      ip 203.0.113.7: density, 540 s left, 60 s old, 12 packets "
			    "dropped, from node edge-b\n"), "%s", s);
	cr_assert(strstr(s, "rule density, ip 203.0.113.7: 2 offending messages, 1 ban (last 600 s "
			    "on 203.0.113.7); more than 50 requests in 2 s\n"), "%s", s);
	cr_assert(strstr(s, "  first  2026-11-30T00:53:20Z "), "%s", s);
	cr_assert(strstr(s, "(100 s ago) REGISTER R=sip:198.51.100.1 ID=x\\x27\\x0a\"y "
			    "UA='friendly-scanner' from 203.0.113.7\n"), "%s", s);
	cr_assert(strstr(s, "  last   "), "%s", s);
	free(s);
}

Test(format, why_json)
{
	struct ctl_why w = why_sample();
	struct cap c;
	char *s;

	cap_open(&c);
	cr_assert_eq(ctlproto_format_why(c.f, &w, true), 0);
	s = cap_close(&c);
	cr_assert(strstr(s, "{\"kind\":\"ip\",\"key\":\"203.0.113.7\",\"limits\":{\"density\":50,"), "%s", s);
	cr_assert(strstr(s, "\"origin\":\"edge-b\""), "%s", s);
	cr_assert(strstr(s, "\"evidence\":[{\"rule\":\"density\",\"kind\":\"ip\",\"subject\":"
			    "\"203.0.113.7\",\"offences\":2,\"bans\":1"), "%s", s);
	/* A quote in attacker text is escaped for JSON too. */
	cr_assert(strstr(s, "\"callid\":\"x\\\\x27\\\\x0a\\\"y\""), "%s", s);
	cr_assert(strstr(s, "\"first\":{\"at\":1796000000,"), "%s", s);
	cr_assert_eq(s[strlen(s) - 1], '\n');
	free(s);
}

/* --- top ------------------------------------------------------------- */

Test(format, top_text_and_json)
{
	struct ctl_top t;
	struct cap c;
	char *s;

	memset(&t, 0, sizeof(t));
	t.limit = 10;
	t.density = 50;
	t.sampling_s = 2;
	t.auth_attempts = 3;
	t.workers = t.workers_answered = 2;
	t.n_src = 2;
	cr_assert_eq(addr_parse("2001:db8:a::", &t.src[0].addr), 0);
	t.src[0].plen = 64;
	t.src[0].count = 48;
	t.src[0].queue = 1;
	cr_assert_eq(addr_parse("203.0.113.9", &t.src[1].addr), 0);
	t.src[1].plen = 32;
	t.src[1].count = 7;
	t.n_users = 1;
	strcpy(t.users[0].user, "alice@example.org");
	t.users[0].failures = 2;
	t.users[0].age_s = 30;

	cap_open(&c);
	cr_assert_eq(ctlproto_format_top(c.f, &t, false), 0);
	s = cap_close(&c);
	cr_assert(strstr(s, "sources nearest the density limit (50 requests in 2 s)\n"), "%s", s);
	cr_assert(strstr(s, "  2001:db8:a::/64"), "%s", s);
	cr_assert(strstr(s, "  203.0.113.9 "), "%s", s);
	cr_assert(strstr(s, "users nearest the failed-auth ban (3 consecutive failures)\n"), "%s", s);
	cr_assert(strstr(s, "  alice@example.org"), "%s", s);
	cr_assert_null(strstr(s, "did not answer"), "%s", s);
	free(s);

	t.workers_answered = 1;
	cap_open(&c);
	cr_assert_eq(ctlproto_format_top(c.f, &t, true), 0);
	s = cap_close(&c);
	cr_assert(strstr(s, "\"workers\":2,\"workers_answered\":1"), "%s", s);
	cr_assert(strstr(s, "{\"source\":\"2001:db8:a::/64\",\"requests\":48,\"limit\":50,"
			    "\"queue\":1}"), "%s", s);
	cr_assert(strstr(s, "{\"user\":\"alice@example.org\",\"failures\":2,\"limit\":3,"
			    "\"last_failure_age\":30}"), "%s", s);
	free(s);
}
