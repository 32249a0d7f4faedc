/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_config - the YAML configuration loader (config_load_buffer()).
 *
 * The input is the file's text, handed over in a buffer of exactly its size
 * (no NUL after it), so a read past the end is caught. Errors go to
 * /dev/null. A config that loads is then used the ways the daemon and
 * sipwarden-rules use it: print the rules environment, ask whether
 * addresses are trusted, and match User-Agents against its blacklist.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "config.h"
#include "policy.h"
#include "sip.h"
#include "fuzz_check.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *g_null;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	g_null = fopen("/dev/null", "we");
	CHECK(g_null != NULL);
	return 0;
}

static void
use_config(const struct config *c)
{
	static const char *const addrs[] = {
		"203.0.113.7", "198.51.100.10", "10.1.2.3", "0.0.0.0", "255.255.255.255",
		"2001:db8:c::1", "2001:db8:a::66", "::", "::ffff:203.0.113.7",
	};
	static const char *const uas[] = {
		"friendly-scanner", "sipvicious", "sipcli/v1.8", "Linphone/5.0", "",
	};
	struct addr a;

	CHECK(c->n_udp_ports <= CONFIG_MAX_PORTS);
	CHECK(c->n_tcp_ports <= CONFIG_MAX_PORTS);
	CHECK(c->n_tls_ports <= CONFIG_MAX_PORTS);
	CHECK(c->n_whitelist <= 2 * CONFIG_MAX_LIST);
	CHECK(c->n_peering_servers <= CONFIG_MAX_LIST);
	CHECK(c->n_ua_blacklist <= CONFIG_MAX_LIST);
	CHECK(c->dos_reqs_density_per_unit >= 1);
	CHECK(c->dos_sampling_time_unit >= 1);
	CHECK(c->queue_count >= 1);
	config_print_rules_env(c, g_null);
	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		CHECK(addr_parse(addrs[i], &a) == 0);
		config_is_trusted(c, &a);
	}
	for (size_t i = 0; i < sizeof(uas) / sizeof(uas[0]); i++) {
		policy_ua_blacklisted(c, SIP_METHOD_REGISTER, uas[i]);
		policy_ua_blacklisted(c, SIP_METHOD_OTHER, uas[i]);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *c = NULL;
	char *text = malloc(size ? size : 1);
	int r;

	CHECK(text != NULL);
	memcpy(text, data, size);
	r = config_load_buffer("fuzz.yml", text, size, &c, g_null);
	if (r == 0) {
		CHECK(c != NULL);
		use_config(c);
		config_free(c);
	} else {
		CHECK(r < 0);
		CHECK(c == NULL);
	}
	free(text);
	return 0;
}
