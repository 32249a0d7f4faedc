/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_SIPREPLY_H
#define SIPWARDEN_SIPREPLY_H

/*
 * sipreply - answer a request in the SIP server's name.
 *
 * Used for one thing: NGCP's "403 Try again later" to a banned user's
 * REGISTER or INVITE (banned_user_reply: 403), so that a well-behaved phone
 * stops retransmitting. The reply goes out of a raw UDP socket (CAP_NET_RAW)
 * from the address and port the request was sent to, back to where it came
 * from, with every Via, From, To (a To tag added), Call-ID and CSeq copied
 * as RFC 3261 section 8.2.6 wants. Replies are rate-limited by the caller:
 * a spoofed source must not turn sipwarden into a reflector.
 */

#include <stddef.h>

#include "packet.h"
#include "sip.h"

struct sipreply;

/* Returns 0 or a negative errno (-EPERM without CAP_NET_RAW). */
int sipreply_open(struct sipreply **out);
void sipreply_close(struct sipreply *r);

/*
 * Build the reply to the request m (which lies in buf, scanned by
 * sip_scan()) into out. Returns its length or -ENOSPC. Exposed for tests.
 */
int sipreply_build(const char *buf, size_t len, const struct sip_msg *m, unsigned status,
		   const char *reason, char *out, size_t outlen);

/* Build and send the reply to the packet pi carried. 0 or negative errno. */
int sipreply_send(struct sipreply *r, const struct packet_info *pi, const struct sip_msg *m,
		  unsigned status, const char *reason);

#endif
