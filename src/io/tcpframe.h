/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_TCPFRAME_H
#define SIPWARDEN_TCPFRAME_H

/*
 * tcpframe - where SIP messages begin and end in a byte stream: the pure
 * scanning functions of tcpstream.c (which owns the stream state and
 * verdicts; tcpconn.c the table of connections).
 * They read only the bytes given and keep no state.
 */

#include <stdbool.h>
#include <stdint.h>

#include "tcpstream.h"

/* The header block ends at the first empty line (LF LF or LF CR LF).
 * Resumes at *scanned, updated when the end is not there yet; true with
 * *hend just past the empty line. */
bool tcpframe_hdr_end(const uint8_t *p, uint32_t n, uint32_t *scanned, uint32_t *hend);

/* Content-Length (or "l") of the header block p[0..hend), read wide and
 * saturating: TCPSTREAM_OK with *out, or NO_CLEN / BAD_CLEN. */
enum tcpstream_flaw tcpframe_clen(const uint8_t *p, uint32_t hend, uint64_t *out);

/* Offset of the first SIP start line in p[0..n), n if none; offset 0
 * counts only when bol (it begins a line of the stream). */
uint32_t tcpframe_find_start(const uint8_t *p, uint32_t n, bool bol);

#endif
