/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SIPWARDEN_COUNTERS_H
#define SIPWARDEN_COUNTERS_H

/*
 * counters - the one list of the daemon's counters. Everything that holds
 * or shows a counter is generated from it: the per-worker struct
 * (worker.h), the sums over the workers (daemon_stats.c), the SIGUSR1
 * line, the body of `sipwardenctl stats` and `--json` (ctlproto_format.c)
 * and the Prometheus file (ctlproto_prom.c). A counter added here is shown
 * everywhere; test_ctlformat checks that every entry is.
 *
 * SW_COUNTERS: incremented by the workers, summed over them (the kernel
 *   set and ban queue ones are banops', added by the daemon).
 *   X(name, kind, family, label, help)
 *   name    C field, the key of `stats --json` and of the SIGUSR1 line;
 *           with '_' as ' ', the label of the `stats` table. Stable: tests,
 *           scripts and the README read them.
 *   kind    CTR_COUNTER (only grows) or CTR_GAUGE
 *   family  Prometheus metric, without "sipwarden_"; a counter's ends in
 *           _total. Stable, like name.
 *   label   NULL, or the label pair of this entry within its family
 *           (entries of one family are adjacent; the first one's help is
 *           the family's)
 *   help    Prometheus # HELP text
 *
 * SW_QUEUE_COUNTERS: one value per worker (NFQUEUE queue), shown per
 *   worker and as Prometheus families labelled {queue="N"}.
 *   X(name, kind, column, family, help); column heads the `stats` table.
 */

enum ctr_kind { CTR_COUNTER, CTR_GAUGE };

#define SW_COUNTERS(X)                                                                        \
	X(packets, CTR_COUNTER, "packets_received_total", NULL,                                 \
	  "Packets received from the queues (accepted + dropped).")                              \
	X(accepted, CTR_COUNTER, "packets_total", "verdict=\"accept\"",                          \
	  "Packets judged, by verdict.")                                                         \
	X(dropped, CTR_COUNTER, "packets_total", "verdict=\"drop\"", NULL)                      \
	X(would_drop, CTR_COUNTER, "would_drop_total", NULL,                                    \
	  "Packets monitor mode let through that enforce mode would drop.")                     \
	X(tcp_passed, CTR_COUNTER, "tcp_passed_total", NULL,                                    \
	  "TCP packets accepted unjudged (no SIP or TLS port).")                                \
	X(tcp_segments, CTR_COUNTER, "tcp_segments_total", NULL,                                \
	  "TCP segments to a SIP port, framed into messages.")                                  \
	X(tcp_out_of_order, CTR_COUNTER, "tcp_out_of_order_total", NULL,                        \
	  "TCP segments beyond the next expected byte, not framed.")                            \
	X(tcp_bad_checksum, CTR_COUNTER, "tcp_bad_checksum_total", NULL,                        \
	  "TCP segments to a SIP port with a wrong checksum, dropped unframed.")                \
	X(tcp_rst_ignored, CTR_COUNTER, "tcp_ignored_total", "flag=\"rst\"",                     \
	  "TCP RSTs and SYNs outside the window (RFC 5961), ignored: the stream is kept.")       \
	X(tcp_syn_ignored, CTR_COUNTER, "tcp_ignored_total", "flag=\"syn\"", NULL)               \
	X(tcp_syn_restarts, CTR_COUNTER, "tcp_syn_restarts_total", NULL,                        \
	  "TCP connections restarted by the server's SYN-ACK (a reused port).")                 \
	X(tcp_rtx_mismatches, CTR_COUNTER, "tcp_rtx_mismatches_total", NULL,                    \
	  "TCP retransmissions unlike the bytes judged, dropped (connection hostile).")         \
	X(tcp_hostile, CTR_COUNTER, "tcp_hostile_connections_total", NULL,                      \
	  "TCP connections made hostile: they carried a message judged drop.")                  \
	X(tcp_hostile_drops, CTR_COUNTER, "tcp_hostile_drops_total", NULL,                      \
	  "Payload segments of hostile TCP connections, dropped.")                              \
	X(tcp_no_ack, CTR_COUNTER, "tcp_no_ack_total", NULL,                                    \
	  "TCP payload segments without ACK, dropped (receivers discard them).")                \
	X(tcp_retransmissions, CTR_COUNTER, "tcp_retransmissions_total", NULL,                  \
	  "TCP segments repeating bytes accepted before.")                                      \
	X(tcp_poisoned, CTR_COUNTER, "tcp_poisoned_total", NULL,                                \
	  "TCP connections whose framing was lost (a framing flaw).")                           \
	X(tcp_resyncs, CTR_COUNTER, "tcp_resyncs_total", NULL,                                  \
	  "TCP connections picked up mid-stream, without their SYN.")                           \
	X(tcp_messages, CTR_COUNTER, "tcp_messages_total", NULL,                                \
	  "Units framed in TCP streams and judged (messages and flawed units).")                \
	X(tcp_keepalives, CTR_COUNTER, "tcp_keepalives_total", NULL,                            \
	  "CRLF keep-alives between messages in TCP streams.")                                  \
	X(tcp_conns_created, CTR_COUNTER, "tcp_connections_created_total", NULL,                \
	  "TCP connections tracked.")                                                           \
	X(tcp_conns_closed, CTR_COUNTER, "tcp_connections_ended_total", "how=\"closed\"",        \
	  "TCP connections no longer tracked, by how they ended (FIN/RST, idle, table full).")  \
	X(tcp_conns_expired, CTR_COUNTER, "tcp_connections_ended_total", "how=\"expired\"", NULL) \
	X(tcp_conns_evicted, CTR_COUNTER, "tcp_connections_ended_total", "how=\"evicted\"", NULL) \
	X(tcp_evicted_pending, CTR_COUNTER, "tcp_evicted_pending_total", NULL,                  \
	  "TCP connections evicted while holding a partial message.")                           \
	X(tcp_alloc_failures, CTR_COUNTER, "tcp_alloc_failures_total", NULL,                    \
	  "TCP buffer allocations that failed (segment dropped or history emptied).")           \
	X(tcp_conns, CTR_GAUGE, "tcp_connections", NULL, "TCP connections tracked now.")        \
	X(tcp_conns_pending, CTR_GAUGE, "tcp_connections_pending", NULL,                        \
	  "TCP connections holding a partial message now.")                                     \
	X(tcp_bytes_buffered, CTR_GAUGE, "tcp_buffer_bytes", "kind=\"pending\"",                 \
	  "TCP buffer bytes now: partial messages, their allocation, retransmission history.")  \
	X(tcp_bytes_allocated, CTR_GAUGE, "tcp_buffer_bytes", "kind=\"allocated\"", NULL)        \
	X(tcp_bytes_history, CTR_GAUGE, "tcp_buffer_bytes", "kind=\"history\"", NULL)            \
	X(tls_attempts, CTR_COUNTER, "tls_attempts_total", NULL,                                \
	  "Connection attempts to a TLS port, judged by density and bans.")                     \
	X(not_ip, CTR_COUNTER, "framing_errors_total", "kind=\"not_ip\"",                        \
	  "Queued packets that could not be framed, by kind.")                                   \
	X(fragments, CTR_COUNTER, "framing_errors_total", "kind=\"fragment\"", NULL)            \
	X(truncated, CTR_COUNTER, "framing_errors_total", "kind=\"truncated\"", NULL)           \
	X(bans_created, CTR_COUNTER, "bans_created_total", NULL,                                \
	  "Bans created by the policy.")                                                        \
	X(bans_refused, CTR_COUNTER, "bans_refused_total", NULL, "Bans refused: table full.")   \
	X(bans_evicted, CTR_COUNTER, "bans_evicted_total", NULL,                                \
	  "Automatic IP bans evicted from a full table to make room.")                          \
	X(bans_limited, CTR_COUNTER, "bans_limited_total", NULL,                                \
	  "Bans not made: their source prefix made too many (the packets are dropped).")        \
	X(known_source_passed, CTR_COUNTER, "known_source_passed_total", NULL,                  \
	  "Requests of a banned user let through from a source it authenticated from.")         \
	X(bans_spared, CTR_COUNTER, "bans_spared_total", NULL,                                  \
	  "Bans not made: they would cover a trusted address.")                                 \
	X(martian, CTR_COUNTER, "martian_total", NULL,                                          \
	  "Packets from sources no real packet carries (loopback, own address), dropped.")      \
	X(foreign_replies, CTR_COUNTER, "foreign_replies_total", NULL,                          \
	  "Packets claiming a server address from outside its interface, judged.")              \
	X(auth_failures, CTR_COUNTER, "auth_failures_total", NULL,                              \
	  "Replies 401/407/403 to a request with credentials.")                                 \
	X(auth_bans, CTR_COUNTER, "auth_bans_total", NULL,                                      \
	  "Bans for failed authentication (failed_auth_attempts reached).")                     \
	X(enum_bans, CTR_COUNTER, "enum_bans_total", NULL, "Bans for user enumeration.")        \
	X(replies_seen, CTR_COUNTER, "replies_seen_total", NULL,                                \
	  "Replies of the SIP server read after the verdict.")                                  \
	X(replies_403, CTR_COUNTER, "replies_403_total", NULL,                                  \
	  "403 replies sent to banned users (banned_user_reply).")                              \
	X(kernel_set_errors, CTR_COUNTER, "kernel_set_errors_total", NULL,                      \
	  "Failed kernel ban set updates.")                                                     \
	X(kernel_set_resyncs, CTR_COUNTER, "kernel_set_resyncs_total", NULL,                    \
	  "Kernel ban sets rebuilt from the ban table (start, failure, full queue, daily).")    \
	X(ban_queue_full, CTR_COUNTER, "ban_queue_full_total", NULL,                            \
	  "Bans and unbans that found the ban queue full: resynced instead.")                   \
	X(ban_lines_lost, CTR_COUNTER, "ban_lines_lost_total", NULL,                            \
	  "Ban log lines not written because the ban queue was full.")

#define SW_QUEUE_COUNTERS(X)                                                                  \
	X(packets, CTR_COUNTER, "PACKETS", "queue_packets_total",                                \
	  "Packets received from the NFQUEUE queue.")                                            \
	X(accepted, CTR_COUNTER, "ACCEPTED", "queue_accepted_total",                             \
	  "Packets of the queue accepted.")                                                      \
	X(dropped, CTR_COUNTER, "DROPPED", "queue_dropped_total", "Packets of the queue dropped.") \
	X(enobufs, CTR_COUNTER, "ENOBUFS", "queue_enobufs_total",                                \
	  "Receive buffer overruns (packets lost).")                                             \
	X(recv_errors, CTR_COUNTER, "RECV_ERR", "queue_recv_errors_total",                       \
	  "Receive errors on the queue socket.")                                                 \
	X(send_errors, CTR_COUNTER, "SEND_ERR", "queue_send_errors_total",                       \
	  "Verdicts that could not be sent.")                                                    \
	X(sources, CTR_GAUGE, "SOURCES", "sources", "Sources in the worker's density table.")     \
	X(sources_max, CTR_GAUGE, "SRC_MAX", "sources_max",                                      \
	  "Capacity of the worker's density table.")                                             \
	X(sources_evicted, CTR_COUNTER, "EVICTED", "sources_evicted_total",                      \
	  "Live sources evicted: density table full.")                                           \
	X(sources_dense, CTR_GAUGE, "DENSE", "sources_dense",                                    \
	  "Sources holding an exact density ring (from its own bounded pool).")                 \
	X(sources_dense_evicted, CTR_COUNTER, "DENSE_EV", "sources_dense_evicted_total",         \
	  "Exact density rings taken from their owner: ring pool full.")                         \
	X(txn_replaced, CTR_COUNTER, "TXN_REPL", "transactions_replaced_total",                  \
	  "Live transactions overwritten.")

#endif
