/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_NGCPIMPORT_H
#define SIPWARDEN_NGCPIMPORT_H

/*
 * ngcpimport - the security settings of a Sipwise NGCP config.yml turned
 * into a sipwarden configuration (what `sipwardenctl import-ngcp` prints).
 *
 * The input is an NGCP /etc/ngcp-config/config.yml, where the section lives
 * at kamailio: lb: security:, or a file whose top level is security:, or
 * the bare list of security keys. The nine NGCP keys sipwarden shares
 * (dos_* and failed_auth_*) are carried over 1:1 in the order of the file;
 * every other key of the section is kept as a "# not imported: KEY: VALUE"
 * comment, never dropped silently. kamailio.lb.port becomes sip.udp_ports
 * and sip.tcp_ports, kamailio.lb.tls.{enable,port} sip.tls_ports.
 *
 * The result is checked with config_load_buffer() before anything is
 * written: an NGCP value sipwarden would refuse is reported at its place
 * in the NGCP file, and nothing is printed.
 */

#include <stddef.h>
#include <stdio.h>

/* Larger inputs are refused (an NGCP config.yml is a few hundred KiB). */
#define NGCPIMPORT_MAX_SIZE (16u << 20)

/*
 * Convert text (len bytes; need not be NUL-terminated) and write the
 * sipwarden configuration to out. name stands for the file in messages.
 * Returns 0; -EINVAL when the text is not YAML, has no security section or
 * holds a value sipwarden refuses (every problem printed to err, which may
 * be NULL, as "NAME:LINE:COL: message"); -EFBIG; -ENOMEM; or -EIO when out
 * could not be written. Nothing is written to out unless 0 is returned.
 */
int ngcpimport_buffer(const char *name, const char *text, size_t len, FILE *out, FILE *err);

/* Same for a file; I/O failures print "PATH: strerror" and return -errno. */
int ngcpimport_file(const char *path, FILE *out, FILE *err);

#endif
