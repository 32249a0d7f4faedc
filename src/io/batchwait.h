/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_BATCHWAIT_H
#define SIPWARDEN_BATCHWAIT_H

/*
 * batchwait - interrupt moderation for a netlink queue worker.
 *
 * Every wake-up of a worker costs the kernel a schedule in and out: on the
 * bench machine about 12 µs, as much as three packets' verdict path. Under
 * load a worker wakes for ~4 packets at a time, so a quarter or more of its
 * CPU goes to waking up. Like a NIC's adaptive interrupt coalescing, a
 * worker that finds a backlog under sustained load waits a moment before
 * its next read, which then takes a fuller batch.
 *
 * The wait is taken only when all of these hold, so a quiet system keeps
 * its latency:
 *  - the wake-up found two or more packets (arrivals outpace wake-ups);
 *  - fewer than a full batch (a full batch means "behind": read at once);
 *  - the arrival rate, measured over windows of BATCHWAIT_WINDOW_MS, would
 *    bring at least BATCHWAIT_MIN_PACKETS packets during the wait.
 * The wait is the configured one, or the time a full batch takes to arrive
 * at that rate if shorter. The added latency is then at most the
 * configured wait (plus timer slack). Pure: the caller passes the clock
 * and does the sleeping.
 */

#include <stdint.h>

#define BATCHWAIT_WINDOW_MS 10
#define BATCHWAIT_MIN_PACKETS 4

struct batchwait {
	uint64_t win_start_ms; /* 0: no window yet */
	uint32_t win_pkts;
	uint32_t rate_per_ms;  /* arrivals per ms over the last full window */
};

/*
 * Account a read of n packets at now_ms (batch_max: the most one read
 * takes); returns how many microseconds to wait before the next read,
 * 0 for none. wait_us is queue.batch_wait_us (0: moderation off).
 */
uint32_t batchwait_next(struct batchwait *bw, unsigned n, unsigned batch_max, uint32_t wait_us,
			uint64_t now_ms);

#endif
