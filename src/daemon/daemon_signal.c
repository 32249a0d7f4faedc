/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "clock.h"
#include "daemon_reload.h"
#include "daemon_signal.h"
#include "daemon_stats.h"
#include "upkeep.h"

/*
 * The one owner of the signal mask. Called before the first thread of the
 * process is created (the cluster thread, the workers): a thread inherits
 * its creator's mask, so every thread blocks these and the kernel can only
 * queue them for the signalfd. A thread that did not block them would take
 * a process-directed SIGTERM or SIGHUP itself, with the default action:
 * the process ends at once, without its shutdown path.
 */
int
daemon_signals_block(void)
{
	sigset_t set;
	int ret, fd;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	/* pthread_sigmask returns the error; it does not set errno. */
	ret = pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (ret != 0)
		return -ret;
	signal(SIGPIPE, SIG_IGN);
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

bool
daemon_signals_serve(struct daemon *d)
{
	struct signalfd_siginfo si;
	bool running = true;

	while (read(d->sfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			running = false;
			break;
		case SIGHUP:
			/* No one waits for an answer: a failed save is logged and
			 * retried each tick. */
			if (daemon_reload(d, NULL, 0) == 0)
				upkeep_save(&d->up, d->cfg, clock_mono_ms());
			break;
		case SIGUSR1:
			daemon_log_stats(d);
			break;
		}
	}
	return running;
}
