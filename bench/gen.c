/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * swb-gen - bounded SIP/UDP traffic generator for the sipwarden benchmark.
 *
 * Sends pre-built SIP messages with sendmmsg() through a raw socket
 * (IPv4 IP_HDRINCL or IPv6 IPPROTO_RAW) so that each message can carry a
 * spoofed source address. Only documentation ranges are accepted, checked
 * in code: sources in 203.0.113.0/24 or 2001:db8::/32, destinations in
 * 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32 or loopback.
 *
 * Every message carries "X-Bench: RUN SEQ NS" (run id, sequence number,
 * CLOCK_MONOTONIC nanoseconds just before the sendmmsg() that sent it) so
 * that swb-sink can count a run's messages and compute one-way latency on
 * the same host clock.
 *
 * Hard caps (in code, whatever the arguments): at most GEN_MAX_COUNT
 * messages and GEN_MAX_SECONDS seconds per invocation.
 *
 * Mixes:
 *   legit     80% REGISTER (SIP text 480 B without, 594 B with
 *             Authorization, alternating: mean 537 B), 20% INVITE with SDP
 *             (925 B); User-Agent "Bench-Phone/1.0"; 28 B of IP/UDP on top
 *   register  REGISTER only
 *   options   small OPTIONS (~330 B), used for floods
 *   scanner   REGISTER with User-Agent friendly-scanner
 *
 * Pacing never bursts more than 10 ms worth of messages to catch up after
 * being starved of CPU; the time given up is reported as late_ms.
 *
 * Output (stdout, one line): sent=N errors=N elapsed=S rate=PPS late_ms=MS
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/udp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define GEN_MAX_COUNT 20000000ULL
#define GEN_MAX_SECONDS 120.0
#define GEN_MAX_BATCH 64
#define GEN_MAX_V6_SOURCES (1u << 22) /* 4,194,304 */
#define PKT_MAX 1400
#define NKINDS 4 /* REGISTER, REGISTER+auth, INVITE, OPTIONS/scanner */

struct tmpl {
	char text[PKT_MAX];
	size_t len;
	unsigned nctr;      /* offsets of 10-digit counter fields */
	size_t ctr[8];
	size_t seq_off;     /* X-Bench sequence (10 digits) */
	size_t ts_off;      /* X-Bench timestamp (19 digits) */
};

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
put_digits(char *p, uint64_t v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

static bool
v4_in(uint32_t a_host, uint32_t net, int plen)
{
	uint32_t mask = plen ? ~0u << (32 - plen) : 0;

	return (a_host & mask) == (net & mask);
}

static bool
v4_dst_allowed(struct in_addr a)
{
	uint32_t h = ntohl(a.s_addr);

	return v4_in(h, 0xC6336400u, 24) || /* 198.51.100.0/24 */
	       v4_in(h, 0xCB007100u, 24) || /* 203.0.113.0/24 */
	       v4_in(h, 0x7F000000u, 8);    /* loopback */
}

static bool
v6_doc(const struct in6_addr *a)
{
	return a->s6_addr[0] == 0x20 && a->s6_addr[1] == 0x01 &&
	       a->s6_addr[2] == 0x0d && a->s6_addr[3] == 0xb8;
}

/*
 * Build one template. "##########" marks a 10-digit counter, patched per
 * message; the X-Bench header is located and patched separately.
 */
static int
build(struct tmpl *t, int kind, const char *mix, const char *run, const char *dst,
      const char *src, uint16_t dport, const char *ua)
{
	static const char sdp[] =
		"v=0\r\n"
		"o=bench 2890844526 2890844526 IN IP4 %s\r\n"
		"s=Bench Call\r\n"
		"c=IN IP4 %s\r\n"
		"t=0 0\r\n"
		"m=audio 49170 RTP/AVP 0 8 9 18 101\r\n"
		"a=rtpmap:0 PCMU/8000\r\n"
		"a=rtpmap:8 PCMA/8000\r\n"
		"a=rtpmap:9 G722/8000\r\n"
		"a=rtpmap:18 G729/8000\r\n"
		"a=fmtp:18 annexb=no\r\n"
		"a=rtpmap:101 telephone-event/8000\r\n"
		"a=fmtp:101 0-16\r\n"
		"a=ptime:20\r\n"
		"a=sendrecv\r\n";
	char body[700];
	int n, blen = 0;
	const char *xb = "X-Bench: ";
	char *p;

	if (kind == 2) {
		blen = snprintf(body, sizeof(body), sdp, src, src);
		if (blen < 0 || (size_t)blen >= sizeof(body))
			return -1;
	}
	if (kind == 0 || kind == 1) {
		n = snprintf(t->text, sizeof(t->text),
			"REGISTER sip:example.org SIP/2.0\r\n"
			"Via: SIP/2.0/UDP %s:5060;rport;branch=z9hG4bK##########\r\n"
			"Max-Forwards: 70\r\n"
			"From: <sip:1%s@example.org>;tag=##########\r\n"
			"To: <sip:1%s@example.org>\r\n"
			"Call-ID: ##########@%s\r\n"
			"CSeq: ########## REGISTER\r\n"
			"Contact: <sip:1%s@%s:5060;transport=udp>;expires=600\r\n"
			"%s"
			"User-Agent: %s\r\n"
			"X-Bench: %s ########## ###################\r\n"
			"Expires: 600\r\n"
			"Content-Length: 0\r\n"
			"\r\n",
			src, strrchr(src, '.') ? strrchr(src, '.') + 1 : "00", strrchr(src, '.') ? strrchr(src, '.') + 1 : "00",
			src, strrchr(src, '.') ? strrchr(src, '.') + 1 : "00", src,
			kind == 1 ?
			"Authorization: Digest username=\"100\",realm=\"example.org\",nonce=\"Zk3bQmZLx1u6c2FhYjE5ZTQ3\","
			"uri=\"sip:example.org\",response=\"0e5b3c8d2b1f4a6e9c7d8e0f1a2b3c4d\",algorithm=MD5\r\n"
			: "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, NOTIFY, REFER\r\n",
			ua, run);
	} else if (kind == 2) {
		n = snprintf(t->text, sizeof(t->text),
			"INVITE sip:200@example.org SIP/2.0\r\n"
			"Via: SIP/2.0/UDP %s:5060;rport;branch=z9hG4bK##########\r\n"
			"Max-Forwards: 70\r\n"
			"From: \"Bench\" <sip:100@example.org>;tag=##########\r\n"
			"To: <sip:200@example.org>\r\n"
			"Call-ID: ##########@%s\r\n"
			"CSeq: ########## INVITE\r\n"
			"Contact: <sip:100@%s:5060>\r\n"
			"User-Agent: %s\r\n"
			"X-Bench: %s ########## ###################\r\n"
			"Allow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\n"
			"Supported: replaces, timer, 100rel\r\n"
			"Session-Expires: 1800;refresher=uac\r\n"
			"Min-SE: 90\r\n"
			"Accept: application/sdp\r\n"
			"Allow-Events: talk, hold\r\n"
			"Content-Type: application/sdp\r\n"
			"Content-Length: %d\r\n"
			"\r\n%s",
			src, src, src, ua, run, blen, body);
	} else {
		bool scanner = strcmp(mix, "scanner") == 0;

		n = snprintf(t->text, sizeof(t->text),
			"%s sip:100@%s SIP/2.0\r\n"
			"Via: SIP/2.0/UDP %s:5060;branch=z9hG4bK##########\r\n"
			"From: <sip:100@%s>;tag=##########\r\n"
			"To: <sip:100@%s>\r\n"
			"Call-ID: ##########@%s\r\n"
			"CSeq: ########## %s\r\n"
			"User-Agent: %s\r\n"
			"X-Bench: %s ########## ###################\r\n"
			"Content-Length: 0\r\n"
			"\r\n",
			scanner ? "REGISTER" : "OPTIONS", dst, src, dst, dst, src,
			scanner ? "REGISTER" : "OPTIONS", scanner ? "friendly-scanner" : ua, run);
	}
	(void)dport;
	if (n < 0 || (size_t)n >= sizeof(t->text))
		return -1;
	t->len = (size_t)n;
	p = strstr(t->text, xb);
	if (!p)
		return -1;
	p += strlen(xb) + strlen(run) + 1;
	t->seq_off = (size_t)(p - t->text);
	t->ts_off = t->seq_off + 11;
	t->nctr = 0;
	for (char *q = t->text; (q = strstr(q, "##########")) != NULL; q += 10) {
		size_t off = (size_t)(q - t->text);

		if (off == t->seq_off || off == t->ts_off || off == t->ts_off + 10) {
			if (off == t->ts_off)
				q += 9; /* the 19-digit field */
			continue;
		}
		if (t->nctr < 8)
			t->ctr[t->nctr++] = off;
	}
	return 0;
}

static uint16_t
csum_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static uint32_t
csum_add(uint32_t s, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (; len > 1; p += 2, len -= 2)
		s += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		s += (uint32_t)(p[0] << 8);
	return s;
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: swb-gen --dst ADDR [--dport P] [--src4 A.B.C.D --nsrc N | --src6-count N]\n"
		"               [--rate PPS (0=max)] [--count N] [--duration S] [--batch B]\n"
		"               [--mix legit|register|options|scanner] [--run ID] [--ua UA]\n"
		"               [--src6-offset N] [--pcap FILE]\n"
		"--pcap writes the messages to a capture (timestamps at --rate) instead of\n"
		"sending them: the input of sipwarden-replay, for the policy's cost alone\n"
		"caps: %llu messages, %.0f s per run; documentation ranges only\n",
		(unsigned long long)GEN_MAX_COUNT, GEN_MAX_SECONDS);
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dst", 1, 0, 'd' }, { "dport", 1, 0, 'p' }, { "src4", 1, 0, 's' },
		{ "nsrc", 1, 0, 'n' }, { "src6-count", 1, 0, '6' }, { "src6-offset", 1, 0, 'o' },
		{ "rate", 1, 0, 'r' }, { "count", 1, 0, 'c' }, { "duration", 1, 0, 't' },
		{ "batch", 1, 0, 'b' }, { "mix", 1, 0, 'm' }, { "run", 1, 0, 'R' },
		{ "ua", 1, 0, 'u' }, { "pcap", 1, 0, 'P' }, { 0, 0, 0, 0 },
	};
	const char *dst_s = NULL, *src4_s = "203.0.113.10", *mix = "legit", *run = "r0";
	const char *ua = "Bench-Phone/1.0", *pcap_path = NULL;
	FILE *pcap = NULL;
	unsigned nsrc = 200, batch = 32, v6count = 0, v6off = 0;
	uint16_t dport = 5060;
	double rate = 10000, duration = 5;
	unsigned long long count = 0;
	bool v6;
	struct in_addr dst4 = { 0 }, src4 = { 0 };
	struct in6_addr dst6;
	int opt, fd, one = 1;

	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (opt) {
		case 'd': dst_s = optarg; break;
		case 'p': dport = (uint16_t)atoi(optarg); break;
		case 's': src4_s = optarg; break;
		case 'n': nsrc = (unsigned)strtoul(optarg, NULL, 10); break;
		case '6': v6count = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'o': v6off = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'r': rate = atof(optarg); break;
		case 'c': count = strtoull(optarg, NULL, 10); break;
		case 't': duration = atof(optarg); break;
		case 'b': batch = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'm': mix = optarg; break;
		case 'R': run = optarg; break;
		case 'u': ua = optarg; break;
		case 'P': pcap_path = optarg; break;
		default: usage();
		}
	}
	if (!dst_s || strlen(run) > 16 || strchr(run, ' ') || strlen(ua) > 64)
		usage();
	if (strcmp(mix, "legit") && strcmp(mix, "register") && strcmp(mix, "options") &&
	    strcmp(mix, "scanner"))
		usage();
	/* Hard caps, whatever was asked. */
	if (count == 0 || count > GEN_MAX_COUNT)
		count = GEN_MAX_COUNT;
	if (!(duration > 0) || duration > GEN_MAX_SECONDS)
		duration = GEN_MAX_SECONDS;
	if (batch < 1)
		batch = 1;
	if (batch > GEN_MAX_BATCH)
		batch = GEN_MAX_BATCH;
	if (rate < 0)
		rate = 0;

	v6 = strchr(dst_s, ':') != NULL;
	if (v6) {
		if (inet_pton(AF_INET6, dst_s, &dst6) != 1 ||
		    (!v6_doc(&dst6) && !IN6_IS_ADDR_LOOPBACK(&dst6))) {
			fprintf(stderr, "swb-gen: destination %s not in 2001:db8::/32 or ::1\n", dst_s);
			return 2;
		}
		if (v6count < 1 || v6count > GEN_MAX_V6_SOURCES) {
			fprintf(stderr, "swb-gen: --src6-count 1..%u needed for an IPv6 destination\n",
				GEN_MAX_V6_SOURCES);
			return 2;
		}
		if (v6off > GEN_MAX_V6_SOURCES)
			v6off = 0;
	} else {
		if (inet_pton(AF_INET, dst_s, &dst4) != 1 || !v4_dst_allowed(dst4)) {
			fprintf(stderr, "swb-gen: destination %s not in a documentation range\n", dst_s);
			return 2;
		}
		if (inet_pton(AF_INET, src4_s, &src4) != 1 ||
		    !v4_in(ntohl(src4.s_addr), 0xCB007100u, 24) || nsrc < 1 ||
		    (ntohl(src4.s_addr) & 0xff) + nsrc - 1 > 254) {
			fprintf(stderr, "swb-gen: sources %s + %u must stay inside 203.0.113.1-254\n",
				src4_s, nsrc);
			return 2;
		}
	}

	/* Templates: one per kind (source address text is fixed per template;
	 * for many sources only the IP header changes, the SIP text names the
	 * first source - the policy keys on the packet's source address). */
	struct tmpl *tm = calloc(NKINDS, sizeof(*tm));
	char srctxt[INET6_ADDRSTRLEN];

	if (!tm)
		return 1;
	char dsttxt[INET6_ADDRSTRLEN + 2];

	snprintf(dsttxt, sizeof(dsttxt), v6 ? "[%s]" : "%s", dst_s);
	if (v6) {
		snprintf(srctxt, sizeof(srctxt), "[2001:db8:8000::1]");
	} else {
		inet_ntop(AF_INET, &src4, srctxt, sizeof(srctxt));
	}
	for (int k = 0; k < NKINDS; k++) {
		if (build(&tm[k], k, mix, run, dsttxt, srctxt, dport, ua) < 0) {
			fprintf(stderr, "swb-gen: template %d too large\n", k);
			return 1;
		}
	}

	if (pcap_path) {
		/* pcap file header: version 2.4, snaplen, LINKTYPE_RAW (101). */
		const uint32_t hdr[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535, 101 };

		pcap = fopen(pcap_path, "wb");
		if (!pcap || fwrite(hdr, sizeof(hdr), 1, pcap) != 1) {
			perror("swb-gen: --pcap");
			return 1;
		}
		fd = -1;
	} else {
		int sb = 8 << 20;

		fd = v6 ? socket(AF_INET6, SOCK_RAW, IPPROTO_RAW)
			: socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
		if (fd < 0) {
			perror("swb-gen: raw socket (needs CAP_NET_RAW)");
			return 1;
		}
		if (!v6)
			setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one));
		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sb, sizeof(sb)) < 0)
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sb, sizeof(sb));
	}

	static unsigned char pkt[GEN_MAX_BATCH][PKT_MAX + 64];
	struct mmsghdr mm[GEN_MAX_BATCH];
	struct iovec iov[GEN_MAX_BATCH];
	struct sockaddr_in sa4 = { .sin_family = AF_INET, .sin_addr = dst4 };
	struct sockaddr_in6 sa6 = { .sin6_family = AF_INET6 };
	size_t hl = v6 ? sizeof(struct ip6_hdr) + sizeof(struct udphdr)
		       : sizeof(struct ip) + sizeof(struct udphdr);

	if (v6)
		sa6.sin6_addr = dst6;
	memset(mm, 0, sizeof(mm));
	for (unsigned i = 0; i < GEN_MAX_BATCH; i++) {
		iov[i].iov_base = pkt[i];
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		mm[i].msg_hdr.msg_name = v6 ? (void *)&sa6 : (void *)&sa4;
		mm[i].msg_hdr.msg_namelen = v6 ? sizeof(sa6) : sizeof(sa4);
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	uint64_t t0 = now_ns(), t_start = t0, deadline = t0 + (uint64_t)(duration * 1e9);
	unsigned long long sent = 0, errors = 0, seq = 0;
	uint64_t late_ns = 0;
	double ns_per_pkt = rate > 0 ? 1e9 / rate : 0;

	while (!stop && sent < count) {
		uint64_t now = now_ns();
		unsigned n = batch;

		if (now >= deadline && !pcap)
			break;
		if (ns_per_pkt > 0 && !pcap) {
			uint64_t due = t0 + (uint64_t)((double)(sent + errors) * ns_per_pkt);

			/* Starved of CPU (a shared machine): never burst to catch
			 * up by more than 10 ms worth of messages, so that no
			 * source ever exceeds its nominal rate over any window
			 * (the density rule would rightly ban it). */
			if (now > due + 10000000ull) {
				t0 += now - due - 10000000ull;
				late_ns += now - due - 10000000ull;
				due = now - 10000000ull;
			}
			if (due > now) {
				struct timespec ts = { (time_t)(due / 1000000000ull),
						       (long)(due % 1000000000ull) };

				clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
				now = now_ns();
			}
		}
		if (count - sent < n)
			n = (unsigned)(count - sent);
		for (unsigned i = 0; i < n; i++) {
			unsigned long long s = seq + i;
			int kind;
			struct tmpl *t;
			unsigned char *p = pkt[i];
			char *payload = (char *)p + hl;

			if (!strcmp(mix, "legit"))
				kind = (s % 5 == 4) ? 2 : (int)((s / 5 + s) & 1);
			else if (!strcmp(mix, "register"))
				kind = (int)(s & 1);
			else
				kind = 3;
			t = &tm[kind];
			memcpy(payload, t->text, t->len);
			for (unsigned c = 0; c < t->nctr; c++)
				put_digits(payload + t->ctr[c], s % 10000000000ull, 10);
			put_digits(payload + t->seq_off, s % 10000000000ull, 10);
			put_digits(payload + t->ts_off, now, 19);

			if (v6) {
				struct ip6_hdr *ip6 = (struct ip6_hdr *)p;
				struct udphdr *uh = (struct udphdr *)(ip6 + 1);
				uint32_t idx = (uint32_t)((s + v6off) % v6count), sum;
				uint16_t ulen = (uint16_t)(sizeof(*uh) + t->len);

				memset(ip6, 0, sizeof(*ip6));
				ip6->ip6_flow = htonl(6u << 28);
				ip6->ip6_plen = htons(ulen);
				ip6->ip6_nxt = IPPROTO_UDP;
				ip6->ip6_hlim = 64;
				/* 2001:db8:8000::/33 + one /64 per source:
				 * 2001:db8:8xxx:xx00::10xx:xxxx */
				ip6->ip6_src.s6_addr[0] = 0x20;
				ip6->ip6_src.s6_addr[1] = 0x01;
				ip6->ip6_src.s6_addr[2] = 0x0d;
				ip6->ip6_src.s6_addr[3] = 0xb8;
				ip6->ip6_src.s6_addr[4] = (uint8_t)(0x80 | ((idx >> 16) & 0x3f));
				ip6->ip6_src.s6_addr[5] = (uint8_t)(idx >> 8);
				ip6->ip6_src.s6_addr[6] = (uint8_t)idx;
				/* The interface ID varies too: the kernel's
				 * --queue-balance hash of IPv6 reads only 32-bit
				 * words 1 and 3 of the addresses (and min() of
				 * source and destination word 1), so sources
				 * differing in bits 32..63 alone all land in one
				 * queue. */
				ip6->ip6_src.s6_addr[12] = 0x10;
				ip6->ip6_src.s6_addr[13] = (uint8_t)(idx >> 16);
				ip6->ip6_src.s6_addr[14] = (uint8_t)(idx >> 8);
				ip6->ip6_src.s6_addr[15] = (uint8_t)idx;
				ip6->ip6_dst = dst6;
				uh->source = htons(5060);
				uh->dest = htons(dport);
				uh->len = htons(ulen);
				uh->check = 0;
				sum = csum_add(0, &ip6->ip6_src, 32);
				sum += ulen;
				sum += IPPROTO_UDP;
				sum = csum_add(sum, uh, ulen);
				uh->check = htons(csum_fold(sum));
				if (!uh->check)
					uh->check = 0xffff;
				iov[i].iov_len = sizeof(*ip6) + ulen;
			} else {
				struct ip *ip = (struct ip *)p;
				struct udphdr *uh = (struct udphdr *)(ip + 1);
				uint32_t src = ntohl(src4.s_addr) + (uint32_t)(s % nsrc);

				memset(ip, 0, sizeof(*ip));
				ip->ip_v = 4;
				ip->ip_hl = 5;
				ip->ip_ttl = 64;
				ip->ip_p = IPPROTO_UDP;
				ip->ip_len = htons((uint16_t)(hl + t->len));
				ip->ip_src.s_addr = htonl(src);
				ip->ip_dst = dst4;
				uh->source = htons(5060);
				uh->dest = htons(dport);
				uh->len = htons((uint16_t)(sizeof(*uh) + t->len));
				uh->check = 0; /* optional over IPv4 */
				iov[i].iov_len = hl + t->len;
			}
		}
		if (pcap) {
			/* Synthetic time: message k at k / rate seconds. */
			for (unsigned i = 0; i < n; i++) {
				uint64_t ts = (uint64_t)((double)(seq + i) * ns_per_pkt);
				uint32_t rec[4] = { (uint32_t)(ts / 1000000000ull),
						    (uint32_t)(ts % 1000000000ull / 1000),
						    (uint32_t)iov[i].iov_len, (uint32_t)iov[i].iov_len };

				if (fwrite(rec, sizeof(rec), 1, pcap) != 1 ||
				    fwrite(pkt[i], iov[i].iov_len, 1, pcap) != 1) {
					perror("swb-gen: --pcap");
					return 1;
				}
			}
			sent += n;
			seq += n;
			continue;
		}
		int r = sendmmsg(fd, mm, n, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS || errno == EAGAIN) {
				struct timespec ts = { 0, 50000 };

				/* Not sent: counted, and the pacing catches up
				 * (bounded by the deadline). */
				errors += n;
				nanosleep(&ts, NULL);
				continue;
			}
			perror("swb-gen: sendmmsg");
			return 1;
		}
		/* A partial send leaves the rest for the next round. */
		sent += (unsigned)r;
		seq += (unsigned)r;
	}
	double el = (double)(now_ns() - t_start) / 1e9;

	printf("sent=%llu errors=%llu elapsed=%.3f rate=%.0f late_ms=%.0f\n", sent, errors, el,
	       el > 0 ? (double)sent / el : 0.0, (double)late_ns / 1e6);
	if (pcap && fclose(pcap) != 0) {
		perror("swb-gen: --pcap");
		return 1;
	}
	if (fd >= 0)
		close(fd);
	free(tm);
	return 0;
}
