/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "batchwait.h"

uint32_t
batchwait_next(struct batchwait *bw, unsigned n, unsigned batch_max, uint32_t wait_us,
	       uint64_t now_ms)
{
	uint64_t elapsed, full_us;

	if (!bw->win_start_ms || now_ms < bw->win_start_ms) {
		bw->win_start_ms = now_ms ? now_ms : 1;
		bw->win_pkts = 0;
	}
	bw->win_pkts = n > UINT32_MAX - bw->win_pkts ? UINT32_MAX : bw->win_pkts + n;
	elapsed = now_ms - bw->win_start_ms;
	if (elapsed >= BATCHWAIT_WINDOW_MS) {
		/* A window that spans an idle spell has a low rate: the first
		 * packets after a quiet time are never held back. */
		uint64_t r = bw->win_pkts / elapsed;

		bw->rate_per_ms = r > UINT32_MAX ? UINT32_MAX : (uint32_t)r;
		bw->win_start_ms = now_ms;
		bw->win_pkts = 0;
	}
	if (!wait_us || n < 2 || n >= batch_max)
		return 0;
	/* Expected arrivals during the wait: rate (per ms) x wait (µs) / 1000. */
	if ((uint64_t)bw->rate_per_ms * wait_us < (uint64_t)BATCHWAIT_MIN_PACKETS * 1000)
		return 0;
	/* Never longer than a full batch takes to arrive: beyond that the
	 * wait only leaves a backlog in the socket (rate_per_ms > 0 here). */
	full_us = (uint64_t)batch_max * 1000 / bw->rate_per_ms;
	return full_us < wait_us ? (uint32_t)full_us : wait_us;
}
