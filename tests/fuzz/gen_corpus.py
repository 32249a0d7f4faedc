#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write the seed corpora of sipwarden's fuzz targets (python3 stdlib only).

    tests/fuzz/gen_corpus.py [OUTDIR]     (default: tests/fuzz/corpus)

sip_policy: SIP messages as the lab's peers send them (sipsak, softphones,
  sipvicious, Kamailio replies) and as attackers bend them (compact and
  odd-case header names, folding, repeated headers, escapes, SQL-ish
  characters, broken CSeq/Content-Length), wrapped in IPv4/IPv6 + UDP/TCP,
  IPv6 extension headers and fragments, behind the 8-byte header that
  fuzz_sip_policy.c describes; some inputs hold a flood of packets.
config: the shipped sipwarden.yml, the test configs, and small variants.
ctlproto: request lines, then ban lines for the response side.
state: state files as state_save() writes them, and damaged ones.

The output is deterministic, so regenerating changes nothing unless this
script (or a config file it copies) changed.
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, "..", ".."))

SEP = b"\0SWP"

# ---------------------------------------------------------------- SIP ----

REG_SIPSAK = (
    "REGISTER sip:198.51.100.10 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:34567;branch=z9hG4bK.6f1a2b3c;rport;alias\r\n"
    "From: sip:105@198.51.100.10;tag=4a5b6c7d\r\n"
    "To: sip:105@198.51.100.10\r\n"
    "Call-ID: 1251111111@127.0.0.1\r\n"
    "CSeq: 1 REGISTER\r\n"
    "Contact: sip:105@127.0.0.1:34567\r\n"
    "Content-Length: 0\r\n"
    "Max-Forwards: 70\r\n"
    "User-Agent: sipsak 0.9.8.1\r\n"
    "Expires: 15\r\n"
    "\r\n")

REG_AUTH = (
    "REGISTER sip:example.org SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 203.0.113.20:5060;branch=z9hG4bK-524287-1---8d1f;rport\r\n"
    "Max-Forwards: 70\r\n"
    "Contact: <sip:105@203.0.113.20:5060;rinstance=4f2c>\r\n"
    "To: <sip:105@example.org>\r\n"
    "From: \"Alice\" <sip:105@example.org>;tag=9a8b7c6d\r\n"
    "Call-ID: NmQ1ZTk0YzA4ZjE2YzQ3\r\n"
    "CSeq: 2 REGISTER\r\n"
    "Expires: 3600\r\n"
    "User-Agent: Zoiper rv2.10.8.2\r\n"
    "Authorization: Digest username=\"105\",realm=\"example.org\","
    "nonce=\"Y2hhbGxlbmdl\",uri=\"sip:example.org\","
    "response=\"0123456789abcdef0123456789abcdef\",algorithm=MD5\r\n"
    "Content-Length: 0\r\n"
    "\r\n")

SDP = (
    "v=0\r\n"
    "o=- 1234 1234 IN IP4 203.0.113.20\r\n"
    "s=-\r\n"
    "c=IN IP4 203.0.113.20\r\n"
    "t=0 0\r\n"
    "m=audio 40000 RTP/AVP 0 8 101\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n")

INVITE = (
    "INVITE sip:bob@example.org SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 203.0.113.20:5060;branch=z9hG4bK776asdhds\r\n"
    "Max-Forwards: 70\r\n"
    "To: Bob <sip:bob@example.org>\r\n"
    "From: Alice <sip:alice@example.org>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.example.org\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:alice@203.0.113.20>\r\n"
    "Content-Type: application/sdp\r\n"
    "Proxy-Authorization: Digest username=\"alice\", realm=\"example.org\", "
    "nonce=\"abc\", uri=\"sip:bob@example.org\", response=\"00112233445566778899aabbccddeeff\"\r\n"
    "Content-Length: %d\r\n"
    "\r\n" % len(SDP)) + SDP

OPT_SIPVICIOUS = (
    "OPTIONS sip:100@198.51.100.10 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 203.0.113.66:5060;branch=z9hG4bK-2831716021;rport\r\n"
    "Max-Forwards: 70\r\n"
    "To: \"sipvicious\"<sip:100@1.1.1.1>\r\n"
    "From: \"sipvicious\"<sip:100@1.1.1.1>;tag=6338643238643737313363340131333434303639313830\r\n"
    "User-Agent: friendly-scanner\r\n"
    "Call-ID: 1234567890123456789012345\r\n"
    "Contact: sip:100@203.0.113.66:5060\r\n"
    "CSeq: 1 OPTIONS\r\n"
    "Accept: application/sdp\r\n"
    "Content-Length: 0\r\n"
    "\r\n")

REG_SCANNER = (
    "REGISTER sip:example.org SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 203.0.113.66:5060;branch=z9hG4bK-1\r\n"
    "From: <sip:1000@example.org>;tag=1\r\n"
    "To: <sip:1000@example.org>\r\n"
    "Call-ID: scan-1\r\n"
    "CSeq: 1 REGISTER\r\n"
    "User-Agent: sipcli/v1.8\r\n"
    "Content-Length: 0\r\n"
    "\r\n")

# compact forms, odd case, folding, escapes, IPv6 host
REG_COMPACT = (
    "REGISTER sip:EXAMPLE.org SIP/2.0\r\n"
    "v: SIP/2.0/UDP [2001:db8:c::20]:5060;branch=z9hG4bK-77\r\n"
    "f: \"Al ice\"\r\n <sip:%61lice@Example.ORG;user=phone>;tag=x1\r\n"
    "t:<sip:alice@example.org>\r\n"
    "i: compact-1@2001:db8:c::20\r\n"
    "cseq:   7\t REGISTER\r\n"
    "m: <sip:alice@[2001:db8:c::20]:5060;transport=udp>;expires=60\r\n"
    "USER-AGENT: Linphone/5.2\r\n"
    "l: 0\r\n"
    "\r\n")

REG_SQLI = (
    "REGISTER sip:example.org SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 203.0.113.66:5060;branch=z9hG4bK-2\r\n"
    "From: <sip:1'or'1'='1@example.org>;tag=1\r\n"
    "To: <sip:%27--@example.org>\r\n"
    "Call-ID: sqli-1\r\n"
    "CSeq: 1 REGISTER\r\n"
    "Contact: <sip:x%22@203.0.113.66>\r\n"
    "User-Agent: \"; DROP TABLE subscriber; --\r\n"
    "Content-Length: 0\r\n"
    "\r\n")

REG_DUP_FROM = (
    "REGISTER sip:example.org SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 203.0.113.66:5060;branch=z9hG4bK-3\r\n"
    "From: <sip:alice@example.org>;tag=1\r\n"
    "f: <sip:mallory@example.org>;tag=2\r\n"
    "To: <sip:alice@example.org>\r\n"
    "Call-ID: dup-1\r\n"
    "CSeq: 1 REGISTER\r\n"
    "Content-Length: 0\r\n"
    "\r\n")

REG_CSEQ_METHOD = REG_SIPSAK.replace("CSeq: 1 REGISTER", "CSeq: 1 INVITE")
REG_CSEQ_BIG = REG_SIPSAK.replace("CSeq: 1 REGISTER", "CSeq: 99999999999 REGISTER")
REG_CL_MISMATCH = REG_SIPSAK.replace("Content-Length: 0", "Content-Length: 12")
REG_NO_CALLID = REG_SIPSAK.replace("Call-ID: 1251111111@127.0.0.1\r\n", "")
REG_BAD_VERSION = REG_SIPSAK.replace("SIP/2.0\r\n", "SIP/3.0\r\n", 1)
REG_MAXFWD = REG_SIPSAK.replace("Max-Forwards: 70", "Max-Forwards: 256")
REG_EXPIRES = REG_SIPSAK.replace("Expires: 15", "Expires: 4294967296")
REG_TEL = REG_SIPSAK.replace("REGISTER sip:198.51.100.10", "REGISTER tel:+4930123456", 1)
REG_LF_ONLY = REG_AUTH.replace("\r\n", "\n")


def reply(status, extra=""):
    return (
        "SIP/2.0 %s\r\n"
        "Via: SIP/2.0/UDP 203.0.113.20:5060;branch=z9hG4bK-524287-1---8d1f;rport=5060\r\n"
        "From: \"Alice\" <sip:105@example.org>;tag=9a8b7c6d\r\n"
        "To: <sip:105@example.org>;tag=b27e1a1d33761e85846fc98f5f3a7e58.2c2b\r\n"
        "Call-ID: NmQ1ZTk0YzA4ZjE2YzQ3\r\n"
        "CSeq: 2 REGISTER\r\n"
        "%s"
        "Server: kamailio (5.6.3 (x86_64/linux))\r\n"
        "Content-Length: 0\r\n"
        "\r\n" % (status, extra))


R401 = reply("401 Unauthorized",
             "WWW-Authenticate: Digest realm=\"example.org\", nonce=\"Y2hh\", qop=\"auth\"\r\n")
R200 = reply("200 OK", "Contact: <sip:105@203.0.113.20:5060>;expires=3600\r\n")
R403 = reply("403 Forbidden")

MESSAGES = {
    "reg_sipsak": REG_SIPSAK, "reg_auth": REG_AUTH, "invite_sdp": INVITE,
    "opt_sipvicious": OPT_SIPVICIOUS, "reg_sipcli": REG_SCANNER,
    "reg_compact": REG_COMPACT, "reg_sqli": REG_SQLI, "reg_dup_from": REG_DUP_FROM,
    "reg_cseq_method": REG_CSEQ_METHOD, "reg_cseq_big": REG_CSEQ_BIG,
    "reg_cl_mismatch": REG_CL_MISMATCH, "reg_no_callid": REG_NO_CALLID,
    "reg_bad_version": REG_BAD_VERSION, "reg_maxfwd": REG_MAXFWD,
    "reg_expires": REG_EXPIRES, "reg_tel": REG_TEL, "reg_lf_only": REG_LF_ONLY,
    "reply_401": R401, "reply_200": R200, "reply_403": R403,
    "keepalive": "\r\n\r\n", "garbage": "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
}

# ------------------------------------------------------------ framing ----


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def ip6(a):
    import ipaddress
    return ipaddress.IPv6Address(a).packed


def udp(payload, sport=5060, dport=5060):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def tcp(payload, sport=40000, dport=5060, seq=1000, flags=0x18):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, 1, 5 << 4, flags, 65535, 0, 0) + payload


def ipv4(src, dst, proto, l4, ident=1, frag=0x4000):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), ident, frag, 64, proto, 0,
                      ip4(src), ip4(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + l4


def ipv6(src, dst, nh, rest):
    return struct.pack("!IHBB16s16s", 6 << 28, len(rest), nh, 64, ip6(src), ip6(dst)) + rest


def ext_hdr(nh, body=b"\x01\x04\0\0\0\0"):
    # hop-by-hop / destination options: next header, length in 8-octet units - 1
    data = bytes([nh, 0]) + body
    return data


def frag6(nh, offset, more, ident=7):
    return struct.pack("!BBHI", nh, 0, (offset << 3) | (1 if more else 0), ident)


def header(flags=0, repeat=0, step=0, start=1000000):
    return struct.pack("!BBHI", flags, repeat, step, start)


def policy_inputs():
    out = {}
    v4c, v4a, v4s = "203.0.113.20", "203.0.113.66", "198.51.100.10"
    v6c, v6a, v6s = "2001:db8:c::20", "2001:db8:a::66", "2001:db8:5::10"
    for name, msg in MESSAGES.items():
        p = msg.encode("latin-1")
        sport_dport = (5060, 40000) if name.startswith("reply") else (40000, 5060)
        out["v4udp_" + name] = header() + ipv4(v4c, v4s, 17, udp(p, *sport_dport))
        out["v6udp_" + name] = header(flags=1) + ipv6(v6c, v6s, 17, udp(p, *sport_dport))
    # TCP, and a message split over two segments
    p = REG_AUTH.encode()
    out["v4tcp_reg_auth"] = header() + ipv4(v4c, v4s, 6, tcp(p))
    out["v6tcp_invite"] = header() + ipv6(v6c, v6s, 6, tcp(INVITE.encode()))
    out["v4tcp_split"] = (header() + ipv4(v4c, v4s, 6, tcp(p[:100])) + SEP + b"\0\x05" +
                          ipv4(v4c, v4s, 6, tcp(p[100:], seq=1100)))
    # IPv6 extension headers: hop-by-hop then destination options then UDP
    p = REG_SIPSAK.encode()
    out["v6_ext_hbh_dst"] = header() + ipv6(v6a, v6s, 0, ext_hdr(60) + ext_hdr(17) + udp(p))
    # fragments (v4 first fragment, v6 fragment header)
    l4 = udp(p)
    out["v4_frag_first"] = header() + ipv4(v4a, v4s, 17, l4[:64], frag=0x2000)
    out["v4_frag_second"] = header() + ipv4(v4a, v4s, 17, l4[64:], frag=8)
    out["v6_frag"] = header() + ipv6(v6a, v6s, 44, frag6(17, 0, True) + l4[:64])
    out["v6_atomic_frag"] = header() + ipv6(v6a, v6s, 44, frag6(17, 0, False) + l4)
    # truncated and odd packets
    full = ipv4(v4a, v4s, 17, udp(p))
    out["v4_truncated"] = header() + full[:len(full) // 2]
    out["v4_bad_ihl"] = header() + bytes([0x4f]) + full[1:]
    out["v4_icmp"] = header() + ipv4(v4a, v4s, 1, b"\x08\0\0\0\0\0\0\0")
    out["v6_short"] = header() + ipv6(v6a, v6s, 17, udp(p))[:30]
    out["empty_udp"] = header() + ipv4(v4a, v4s, 17, udp(b""))
    # floods: one source over the density limit, then expiry; whitelisted
    flood = ipv4(v4a, v4s, 17, udp(OPT_SIPVICIOUS.encode()))
    out["flood_v4"] = header(repeat=7, step=10) + flood
    out["flood_v6_64"] = header(repeat=7, step=100, start=0xFFFFFF00) + (SEP + b"\0\x01").join(
        ipv6("2001:db8:a::%x" % i, v6s, 17, udp(REG_SIPSAK.encode())) for i in range(1, 5))
    out["flood_then_expiry"] = (header(repeat=5, step=1) + flood + SEP + b"\xff\xff" + flood +
                                SEP + b"\x10\x00" + flood)
    out["flood_whitelisted"] = header(repeat=7, step=1) + ipv4("203.0.113.1", v4s, 17,
                                                               udp(REG_SIPSAK.encode()))
    out["peer_reply"] = header(repeat=3) + ipv4(v4s, v4c, 17, udp(R401.encode(), 5060, 40000))
    out["many_sources_table_full"] = header(repeat=4, step=1, flags=2) + SEP.join(
        b"\0\0" + ipv4("203.0.113.%d" % i, v4s, 17, udp(REG_SCANNER.encode()))
        for i in range(30, 50))[2:]
    out["auth_sequence"] = header(flags=0x1c) + (SEP + b"\0\x0a").join([
        ipv4(v4c, v4s, 17, udp(REG_AUTH.encode())),
        ipv4(v4s, v4c, 17, udp(R401.encode(), 5060, 40000)),
        ipv4(v4c, v4s, 17, udp(REG_AUTH.replace("CSeq: 2", "CSeq: 3").encode())),
        ipv4(v4s, v4c, 17, udp(R403.encode(), 5060, 40000)),
        ipv4(v4c, v4s, 17, udp(REG_AUTH.replace("CSeq: 2", "CSeq: 4").encode())),
        ipv4(v4s, v4c, 17, udp(R200.encode(), 5060, 40000)),
    ])
    return out


# ------------------------------------------------------------- config ----

CONFIGS = {
    "minimal": "mode: enforce\n",
    "empty": "",
    "monitor_lists": (
        "mode: monitor\n"
        "queue: {first: 10, count: 4, maxlen: 1024, fail_open: no}\n"
        "sip:\n  udp_ports: [5060, 5062]\n  tcp_ports: 5060\n  tls_ports: []\n"
        "security:\n"
        "  dos_ban_enable: yes\n  dos_ban_time: 300\n  dos_reqs_density_per_unit: 10\n"
        "  dos_sampling_time_unit: 1\n"
        "  dos_whitelisted_ips: [192.0.2.10, '2001:db8::10']\n"
        "  dos_whitelisted_subnets:\n    - 10.0.0.0/8\n    - 2001:db8:1::/48\n"
        "  failed_auth_ban_enable: true\n  failed_auth_attempts: 5\n"
        "  failed_auth_ban_time: 600\n  failed_auth_ban_target: both\n"
        "peering_servers: [198.51.100.1, 198.51.100.2]\n"
        "limits: {max_sources: 5000, max_bans: 100, source_idle_time: 30}\n"),
    "bad_values": (
        "mode: enforce\nsecurity:\n  dos_ban_time: -1\n  dos_reqs_density_per_unit: 0x10\n"
        "  dos_whitelisted_subnets: [10.0.0.1/8]\n  unknown_key: 1\n"),
    "anchors": (
        "security: &s\n  dos_ban_time: 60\nother: *s\n"),
    "flow_and_tags": (
        "{mode: !!str enforce, sip: {udp_ports: [!!int 5060]}, "
        "daemon: {state_dir: /tmp/x, socket: /tmp/x.sock, stats_file: /tmp/x.prom}}\n"),
    "bad_yaml": "security:\n  dos_ban_time: [1, 2\n  - x: : y\n",
}


def config_inputs():
    out = dict(CONFIGS)
    for path in ["sipwarden.yml", "tests/lab/demo.yml"] + sorted(
            os.path.join("tests/integration/conf", f)
            for f in os.listdir(os.path.join(SRC, "tests/integration/conf"))
            if f.endswith(".yml")):
        full = os.path.join(SRC, path)
        if os.path.exists(full):
            with open(full, encoding="utf-8") as f:
                out["file_" + os.path.basename(path).replace(".yml", "")] = f.read()
    return {k: v.encode() for k, v in out.items()}


# ----------------------------------------------------------- ctlproto ----

REQUESTS = [
    "status", "--json status", "stats", "stats --json", "bans", "bans ip", "bans user",
    "--json bans user", "ban ip 203.0.113.7", "ban ip 203.0.113.7 --time 60",
    "ban ip 2001:db8:a::/64 --time=3600", "ban user alice@example.org",
    "ban user al%20ice%00x@example.org", "ban user %E2%82%AC@example.org --time 31536000",
    "unban ip 203.0.113.7", "unban user alice@example.org", "unban --all",
    "--json unban --all", "reload", "-- ban ip 203.0.113.7", "ban ip 999.1.1.1",
    "ban ip 203.0.113.7 --time 0", "frobnicate", "", "ban  ip   10.0.0.0/8",
]
# Issue 20: the allow-list's commands (their own seeds, after the others').
ALLOW_REQUESTS = [
    "allow ip 203.0.113.7 --comment ticket%2042%0A --time 600", "allow ip 10.0.0.0/8 --force",
    "allow ip 0.0.0.0/0 --force", "--json allow user al%22ice@example.org --comment=",
    "disallow ip 2001:db8::/48", "allowed", "allowed user --json",
]

BAN_LINES = [
    b"\x01" + ip4("203.0.113.7") + b"\0" * 12 + b"\x20",
    b"\x13" + ip6("2001:db8:a::") + b"\x40",
    b"\x20alice@example.org",
    b"\x30.dot@example.org",
    b"\x40\xe2\x82\xac\xff\xfe@example.org \" \\ \t",
]


def ctl_inputs():
    out = {}
    for i, r in enumerate(REQUESTS):
        out["req_%02d" % i] = r.encode()
    for i, r in enumerate(ALLOW_REQUESTS):
        out["req_allow_%02d" % i] = r.encode()
    out["allowed_with_rows"] = b"allowed\n" + b"\n".join(BAN_LINES)
    out["argv_allow"] = b"allow\0ip\0203.0.113.0/24\0--comment\0a b\n\"c\0--force"
    out["req_with_bans"] = b"bans --json\n" + b"\n".join(BAN_LINES)
    out["status_line"] = b"ERR invalid bad address '999.1.1.1'\n.body\n..\n.\n"
    out["argv_words"] = b"ban\0user\0a b@example.org\0--time\060"
    out["argv_json"] = b"\x01--json\0unban\0--all"
    return out


# -------------------------------------------------------------- state ----

WALL = 1700000000
STATE_GOOD = (
    "# sipwarden state 1\n"
    "ip 203.0.113.7 32 density %d %d\n"
    "ip 2001:db8:a:: 64 ua %d %d\n"
    "ip 10.0.0.0 8 manual %d %d\n"
    "user alice@example.org 0 auth %d %d\n"
    "user al%%20ice%%27%%00x@example.org 0 manual %d %d\n"
    "end 5\n" % (WALL + 3600, WALL - 10, WALL + 60, WALL - 3000, WALL + 31536000, WALL,
                 WALL + 1, WALL + 5, WALL + 100, 0))


def state_inputs():
    return {
        "good": STATE_GOOD,
        "empty_file": "",
        "header_only": "# sipwarden state 1\nend 0\n",
        "expired": "# sipwarden state 1\nip 203.0.113.8 32 density %d %d\nend 1\n" % (
            WALL - 1, WALL - 3600),
        "truncated": STATE_GOOD[:len(STATE_GOOD) // 2],
        "bad_lines": ("# sipwarden state 1\nip 999.1.1.1 32 density %d 0\nip 10.0.0.1 33 ua 1 1\n"
                      "user %%zz 0 auth %d 0\nuser x 0 nosuch %d 0\nfoo bar\n"
                      "ip 203.0.113.9 32 density %d %d extra\nend 1\n" % (
                          WALL + 9, WALL + 9, WALL + 9, WALL + 9, WALL)),
        "no_header": "ip 203.0.113.7 32 density %d %d\nend 1\n" % (WALL + 10, WALL),
        "after_end": "# sipwarden state 1\nend 0\nip 203.0.113.7 32 density %d %d\n" % (
            WALL + 10, WALL),
        "too_many": "# sipwarden state 1\n" + "".join(
            "ip 203.0.113.%d 32 density %d %d\n" % (i, WALL + 100 + i, WALL) for i in range(12))
            + "end 12\n",
        "long_line": "# sipwarden state 1\nuser " + "a" * 3000 + " 0 auth %d 0\nend 1\n" % (
            WALL + 10),
        # the users' known sources (knownsrc.h): a key, then entries
        "known": ("# sipwarden state 1\nknownkey 0123456789abcdef0011223344556677\n"
                  "known 00000000000000a1 %d\nknown fedcba9876543210 %d\n"
                  "known 00000000000000a1 %d\nknown 0000000000000002 %d\n"
                  "ip 203.0.113.7 32 density %d %d\nend 1\n" % (
                      WALL - 60, WALL - 86400 * 40, WALL + 99, -1, WALL + 10, WALL)),
        "known_no_key": "# sipwarden state 1\nknown 00000000000000a1 %d\nend 0\n" % WALL,
        "known_two_keys": ("# sipwarden state 1\nknownkey 0123456789abcdef0011223344556677\n"
                           "known 00000000000000a1 %d\nknownkey ffffffffffffffff0000000000000001\n"
                           "known 00000000000000b2 %d\nknownkey 12\nknown 0 1\nend 0\n" % (
                               WALL - 5, WALL - 6)),
        "known_many": ("# sipwarden state 1\nknownkey 0123456789abcdef0011223344556677\n" + "".join(
            "known %016x %d\n" % (i * 2654435761 + 1, WALL - i) for i in range(40)) + "end 0\n"),
        "extremes": ("# sipwarden state 1\nip 203.0.113.7 32 density 9223372036854775807 "
                     "-9223372036854775808\nuser b@c 0 ua %d 9223372036854775807\nend 2\n" % (
                         WALL + 10)),
        # Issue 20: the runtime allow-list's lines, good, expired and damaged.
        "allow": ("# sipwarden state 1\nip 203.0.113.7 32 manual %d %d\n"
                  "allow ip 203.0.113.8 32 0 %d = =ticket%%2042\n"
                  "allow ip 2001:db8:a:: 48 %d %d =node-b =\n"
                  "allow user alice@example.org 0 %d %d = =vip%%0A\n"
                  "allow ip 10.0.0.0 8 0 1 = =\n"
                  "allow ip 203.0.113.9 32 %d 1 = =gone\nend 1\n" % (
                      WALL + 600, WALL - 1000, WALL - 1000, WALL + 600, WALL - 1000,
                      WALL + 60, WALL - 1000, WALL - 1)),
    }


# ----------------------------------------------------------- fastpath ----

def fastpath_inputs():
    """fuzz_fastpath: byte 0 picks the field (0 From, 1 To, 2 R-URI,
    3 credentials split at NUL; +4 reject_sqli_chars, +8 all Authorization),
    the rest is its value. The shapes the fast paths take and the ones at
    their edges."""
    naddr = {
        "plain": '"Alice" <sip:105@example.org>;tag=1928301774',
        "bare": "sip:105@198.51.100.10;tag=4a5b6c7d",
        "tls_port": "Alice <sips:alice@pc33.example.org:5061;transport=tls>;tag=1",
        "tel": "<tel:+4930123456;phone-context=example.org>;tag=1",
        "ipv6": "<sip:105@[2001:db8::1]:5060>;tag=1",
        "escaped": '"Al\\"ice" <sip:%61lice@Example.ORG>',
        "utf8": '"J\xc3\xbcrgen M\xc3\xbcller" <sip:juergen@example.org>;tag=7',
        "quoted_ctl": '"a\\\x07b" <sip:105@example.org>',
        "password": "<sip:alice:secret@example.org>",
        "fold": "<sip:105@example.org>\r\n ;tag=1",
    }
    ruri = {
        "ruri_plain": "sip:105@example.org:5060;transport=udp",
        "ruri_sips": "sips:alice@pc33.example.org",
        "ruri_tel": "tel:+1-201-555-0123;phone-context=x",
        "ruri_host": "sip:example.org;lr",
        "ruri_ipv6": "sip:105@[2001:DB8:0::a]:5060;lr",
        "ruri_pct": "sip:%31%30%35@example.org",
    }
    creds = {
        "creds_one": 'Digest username="105", realm="example.org", nonce="n", uri="sip:example.org", response="0"',
        "creds_unquoted": "Digest username=105,realm=example.org,nonce=n",
        "creds_two_same": 'Digest username="105", realm="x"\0Digest username="105", realm="x"',
        "creds_decoy": 'Digest username="105", realm="x"\0Digest username="victim", realm="x"',
        "creds_empty_elem": 'Digest username="105",, realm="x"',
        "creds_fold": 'Digest username="105",\r\n realm="x"',
    }
    out = {}
    for name, v in naddr.items():
        out["from_" + name] = "\x00" + v
        out["to_" + name] = "\x01" + v
        out["from_sqli_" + name] = "\x04" + v
    for name, v in ruri.items():
        out[name] = "\x02" + v
    for name, v in creds.items():
        out[name] = "\x03" + v
        out[name + "_auth"] = "\x0b" + v
    return out


# -------------------------------------------------------------- write ----

def write(outdir, target, items):
    d = os.path.join(outdir, target)
    os.makedirs(d, exist_ok=True)
    for name, data in sorted(items.items()):
        if isinstance(data, str):
            data = data.encode("latin-1")
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    return len(items)


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")
    for target, items in [("sip_policy", policy_inputs()), ("config", config_inputs()),
                          ("ctlproto", ctl_inputs()), ("state", state_inputs()),
                          ("fastpath", fastpath_inputs())]:
        n = write(outdir, target, items)
        print("%s: %d files" % (target, n))


if __name__ == "__main__":
    main()
