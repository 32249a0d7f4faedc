/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sipwardenctl - talk to the sipwarden daemon over its control socket.
 *
 * The daemon formats every answer (table or JSON), so this client only
 * checks the command line, sends one request line and copies the body of
 * the response to stdout. Exit status: 0 done, 1 refused by the daemon,
 * 2 usage error (decided here, before connecting), 3 daemon unreachable.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "build_config.h"
#include "ctlproto.h"
#include "ngcpimport.h"

#define DEFAULT_SOCKET "/run/sipwarden/control.sock"
#define TIMEOUT_MS 5000
#define STATUS_MAX 1024

static const char *prog = "sipwardenctl";

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [--socket PATH] [--json] COMMAND\n"
		"Commands:\n"
		"  status                          daemon state\n"
		"  stats                           counters\n"
		"  bans [ip|user]                  bans in force\n"
		"  ban ip ADDR[/PLEN] [--time S]   ban an address or network\n"
		"  ban user USER@DOMAIN [--time S] ban a user from every address\n"
		"  unban ip ADDR[/PLEN]            lift a ban\n"
		"  unban user USER@DOMAIN\n"
		"  unban --all                     lift every ban\n"
		"  reload                          reload the configuration\n"
		"  top [--limit N]                 sources and users nearest a ban\n"
		"  why ip ADDR[/PLEN]              why it is (or was) banned or dropped\n"
		"  why user USER@DOMAIN            likewise for a user\n"
		"  allow ip ADDR[/PLEN] [--time S] [--comment TEXT] [--force]\n"
		"                                  trust an address or network (lifts its bans)\n"
		"  allow user USER@DOMAIN [--time S] [--comment TEXT]\n"
		"                                  trust a user (lifts its ban)\n"
		"  disallow ip|user KEY            remove an allow\n"
		"  allowed [ip|user]               the runtime allow-list\n"
		"  import-ngcp FILE                print the security section of an NGCP\n"
		"                                  config.yml as sipwarden configuration\n"
		"                                  (runs locally, no daemon needed)\n"
		"Options:\n"
		"  -s, --socket PATH  control socket (default %s)\n"
		"  -j, --json         JSON output\n"
		"  -V, --version      print the version\n"
		"  -h, --help         this text\n"
		"--time S: seconds, 1..%u (ban default: the daemon's ban time;\n"
		"  allow default: permanent). --force: allow a network wider than /16 or /48.\n"
		"Exit status: 0 ok, 1 refused, 2 usage error, 3 daemon unreachable.\n",
		prog, DEFAULT_SOCKET, CTL_MAX_BAN_TIME);
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for events on fd until the deadline. 1 ready, 0 timeout, -errno. */
static int
wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		int64_t left = deadline - mono_ms();
		int r;

		if (left <= 0)
			return 0;
		r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		return r < 0 ? -errno : r;
	}
}

static int
connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, err;
	socklen_t len = sizeof(err);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	memcpy(sa.sun_path, path, strlen(path));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	if (errno != EAGAIN && errno != EINPROGRESS) {
		err = errno;
		close(fd);
		return -err;
	}
	/* Backlog full: wait for room, as long as the timeout allows. */
	if (wait_fd(fd, POLLOUT, mono_ms() + TIMEOUT_MS) <= 0) {
		close(fd);
		return -ETIMEDOUT;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
		close(fd);
		return err ? -err : -EIO;
	}
	return fd;
}

/* Send the request. A peer that closes early (denied, busy) still left
 * its reply for us to read, so EPIPE is not an error here. */
static int
send_all(int fd, const char *buf, size_t len)
{
	int64_t deadline = mono_ms() + TIMEOUT_MS;

	while (len) {
		ssize_t w = send(fd, buf, len, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE || errno == ECONNRESET)
				return 0;
			if (errno != EAGAIN)
				return -errno;
			if (wait_fd(fd, POLLOUT, deadline) <= 0)
				return -ETIMEDOUT;
			continue;
		}
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Response reader: the status line into a buffer, then the body streamed
 * to out (NULL: discarded), undoing the dot-stuffing, until the "." line. */
struct reader {
	char status[STATUS_MAX];
	size_t slen;
	bool have_status, parsed, line_start, dot, done;
	FILE *out;
};

/* Consume bytes; stops right after the status line so the caller can
 * decide where the body goes. Returns the bytes used or -EPROTO. */
static ssize_t
feed(struct reader *r, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		if (r->done)
			return (ssize_t)i;
		if (!r->have_status) {
			if (c == '\n') {
				r->status[r->slen] = '\0';
				r->have_status = true;
				r->line_start = true;
				return (ssize_t)i + 1;
			}
			if (c == '\0' || r->slen + 1 >= sizeof(r->status))
				return -EPROTO;
			r->status[r->slen++] = c;
			continue;
		}
		if (r->dot) {
			r->dot = false;
			if (c == '\n') {
				r->done = true;
				continue;
			}
		} else if (r->line_start && c == '.') {
			r->dot = true;
			r->line_start = false;
			continue;
		}
		if (r->out)
			fputc(c, r->out);
		r->line_start = c == '\n';
	}
	return (ssize_t)n;
}

static int
exchange(const char *path, const char *req, size_t reqlen)
{
	struct reader rd = { .out = NULL };
	char buf[65536];
	enum ctl_err e = CTL_E_FAILED;
	const char *msg = "";
	int fd, r;

	fd = connect_to(path);
	if (fd < 0) {
		fprintf(stderr, "%s: cannot connect to %s: %s%s\n", prog, path, strerror(-fd),
			fd == -EACCES ? " (root or the sipwarden group only)" :
			fd == -ENOENT || fd == -ECONNREFUSED ? " (is sipwarden running?)" : "");
		return CTL_EXIT_UNREACHABLE;
	}
	r = send_all(fd, req, reqlen);
	if (r < 0) {
		fprintf(stderr, "%s: cannot send to %s: %s\n", prog, path, strerror(-r));
		close(fd);
		return CTL_EXIT_UNREACHABLE;
	}
	while (!rd.done) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			r = wait_fd(fd, POLLIN, mono_ms() + TIMEOUT_MS);
			if (r > 0)
				continue;
			fprintf(stderr, "%s: no answer from %s within %d s\n", prog, path,
				TIMEOUT_MS / 1000);
			close(fd);
			return CTL_EXIT_UNREACHABLE;
		}
		if (n <= 0) {
			fprintf(stderr, "%s: %s closed the connection before the end of the "
				"answer%s%s\n", prog, path, n < 0 ? ": " : "",
				n < 0 ? strerror(errno) : "");
			close(fd);
			return CTL_EXIT_UNREACHABLE;
		}
		for (size_t off = 0; off < (size_t)n && !rd.done;) {
			ssize_t used = feed(&rd, buf + off, (size_t)n - off);

			if (used >= 0 && rd.have_status && !rd.parsed) {
				rd.parsed = true;
				if (ctlproto_parse_status(rd.status, &e, &msg) < 0)
					used = -EPROTO;
				/* ERR carries no body; should one come, it is dropped. */
				rd.out = e == CTL_OK ? stdout : NULL;
			}
			if (used < 0) {
				fprintf(stderr, "%s: garbled answer from %s\n", prog, path);
				close(fd);
				return CTL_EXIT_UNREACHABLE;
			}
			off += (size_t)used;
		}
	}
	close(fd);
	if (e != CTL_OK) {
		fprintf(stderr, "%s: %s\n", prog, *msg ? msg : ctlproto_err_name(e));
		return ctlproto_exit_code(e);
	}
	if (fflush(stdout) != 0) {
		fprintf(stderr, "%s: write error: %s\n", prog, strerror(errno));
		return CTL_EXIT_REFUSED;
	}
	return CTL_EXIT_OK;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = DEFAULT_SOCKET;
	char line[CTL_LINE_MAX + 1], err[256];
	struct ctl_request req;
	bool json = false;
	int c, len;

	/* "+": options end at the command, whose own options (--time, --all, ...)
	 * ctlproto parses. */
	while ((c = getopt_long(argc, argv, "+s:jVh", longopts, NULL)) != -1) {
		switch (c) {
		case 's': path = optarg; break;
		case 'j': json = true; break;
		case 'V': printf("sipwardenctl %s\n", SIPWARDEN_VERSION); return CTL_EXIT_OK;
		case 'h': usage(stdout); return CTL_EXIT_OK;
		default: usage(stderr); return CTL_EXIT_USAGE;
		}
	}
	/* Local: converts a file, talks to no daemon. */
	if (optind < argc && strcmp(argv[optind], "import-ngcp") == 0) {
		if (argc - optind != 2 || json) {
			fprintf(stderr, "%s: usage: %s import-ngcp FILE (no --json)\n", prog, prog);
			return CTL_EXIT_USAGE;
		}
		return ngcpimport_file(argv[optind + 1], stdout, stderr) == 0 ? CTL_EXIT_OK
									       : CTL_EXIT_REFUSED;
	}
	if (ctlproto_parse_args(argc - optind, argv + optind, json, &req, err, sizeof(err)) ==
	    CTL_E_USAGE) {
		fprintf(stderr, "%s: %s\n", prog, err);
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	/* An invalid address or user goes to the daemon, which refuses it
	 * (exit 1) with the same words. */
	len = ctlproto_encode_request(argc - optind, argv + optind, json, line, sizeof(line));
	if (len < 0) {
		fprintf(stderr, "%s: %s\n", prog, len == -EINVAL ? "empty argument" :
			"request longer than 4096 bytes");
		return CTL_EXIT_USAGE;
	}
	if (*path == '\0' || strlen(path) >= sizeof(((struct sockaddr_un *)NULL)->sun_path)) {
		fprintf(stderr, "%s: socket path too long or empty\n", prog);
		return CTL_EXIT_USAGE;
	}
	return exchange(path, line, (size_t)len);
}
