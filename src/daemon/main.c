/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sipwarden - SIP firewall verdict daemon.
 *
 * main() reads as the start-up sequence: options, configuration, then the
 * daemon (queues, workers, READY). Everything else lives in its module.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include "build_config.h"
#include "cluster.h"
#include "config.h"
#include "daemon.h"
#include "log.h"

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: sipwarden [OPTIONS]\n"
		"  -c, --config FILE     configuration file (default %s)\n"
		"      --check-config    validate the configuration and exit\n"
		"  -f, --foreground      log to stderr (default unless run by systemd)\n"
		"      --state-dir DIR   override daemon.state_dir\n"
		"      --socket PATH     override daemon.socket\n"
		"      --rules-env       print the settings sipwarden-rules uses and exit\n"
		"  -V, --version         print the version and exit\n"
		"  -h, --help            this text\n",
		CONFIG_DEFAULT_PATH);
}

enum { OPT_CHECK = 256, OPT_STATE_DIR, OPT_SOCKET, OPT_RULES_ENV };

/*
 * What the configuration needs from the process that the shipped unit does
 * not grant by default (issue 17): raw IP sockets (CAP_NET_RAW) for
 * banned_user_reply: 403, IP sockets for a cluster whose Redis is reached
 * over IP. Probed, not guessed: a failure is a refusal with what to change,
 * at start and in --check-config (run it as the service runs, e.g. under
 * the unit, to see the same answer). 0 or -EPERM.
 */
static int
check_process_can(const struct config *cfg, const char *path)
{
	int ret = 0, fd;

	if (cfg->banned_user_reply == CONFIG_USER_REPLY_403) {
		fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_UDP);
		if (fd < 0) {
			fprintf(stderr, "%s: banned_user_reply: 403 needs raw IP sockets "
				"(CAP_NET_RAW), which this process lacks (%s): set "
				"banned_user_reply: drop, or grant them in a drop-in "
				"(systemctl edit sipwarden):\n  [Service]\n  "
				"AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW\n  "
				"CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW\n  "
				"RestrictAddressFamilies=AF_NETLINK AF_UNIX AF_INET AF_INET6\n  "
				"IPAddressDeny=\n", path, strerror(errno));
			ret = -EPERM;
		} else {
			close(fd);
		}
	}
	if (cfg->cluster_enabled && cfg->cluster_redis_host && cfg->cluster_redis_host[0] != '/') {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			fprintf(stderr, "%s: cluster.redis_host %s is reached over IP, which this "
				"process may not use (%s): give a Unix socket path as "
				"cluster.redis_host, or allow IP in a drop-in (systemctl edit "
				"sipwarden):\n  [Service]\n  RestrictAddressFamilies=AF_NETLINK "
				"AF_UNIX AF_INET AF_INET6\n  IPAddressDeny=\n  IPAddressAllow=<the "
				"Redis address>\n", path, cfg->cluster_redis_host, strerror(errno));
			ret = -EPERM;
		} else {
			close(fd);
		}
	}
	return ret;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, OPT_CHECK },
		{ "foreground", no_argument, NULL, 'f' },
		{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "rules-env", no_argument, NULL, OPT_RULES_ENV },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon_opts o = { .config_path = CONFIG_DEFAULT_PATH };
	bool check = false, foreground = false, rules_env = false;
	struct config *cfg = NULL;
	int c, ret;

	while ((c = getopt_long(argc, argv, "c:fVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o.config_path = optarg; break;
		case 'f': foreground = true; break;
		case OPT_CHECK: check = true; break;
		case OPT_STATE_DIR: o.state_dir = optarg; break;
		case OPT_SOCKET: o.socket_path = optarg; break;
		case OPT_RULES_ENV: rules_env = true; break;
		case 'V': printf("sipwarden %s\n", SIPWARDEN_VERSION); return EXIT_SUCCESS;
		case 'h': usage(stdout); return EXIT_SUCCESS;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sipwarden: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}

	ret = config_load_file(o.config_path, &cfg, stderr);
	if (ret < 0)
		return EXIT_FAILURE;
	/* Not for --rules-env: the rules tool runs as root before the daemon
	 * drops to its user, and the daemon itself checks at start. */
	if (cfg->cluster_enabled && !rules_env) {
		struct cluster_auth a;
		char err[512];

		if (cluster_check_key(cfg, &a, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s: %s\n", o.config_path, err);
			config_free(cfg);
			return EXIT_FAILURE;
		}
		memset(&a, 0, sizeof(a));
	}
	if (!rules_env && check_process_can(cfg, o.config_path) < 0) {
		config_free(cfg);
		return EXIT_FAILURE;
	}
	if (check) {
		printf("%s: configuration OK\n", o.config_path);
		config_free(cfg);
		return EXIT_SUCCESS;
	}
	if (rules_env) {
		config_print_rules_env(cfg, stdout);
		config_free(cfg);
		return EXIT_SUCCESS;
	}

	log_init(foreground ? LOG_TARGET_STDERR : LOG_TARGET_AUTO, LOG_INFO);
	return daemon_run(cfg, &o);
}
