#!/usr/bin/env python3
"""spoof.py - send SIP/UDP datagrams with any source address, as an attacker
who can spoof does (issue 17): the frame is written straight onto a lab
interface (AF_PACKET), so no routing or martian check on the sending side
gets in the way.

  spoof.py --iface srv0 --dst-mac MAC --src ADDR --dst ADDR [--sport 5060]
           [--dport 5060] [--count N] [--vary-src] [--tcp] (--text T | --file F)

--text/--file: the SIP message; ${SRC} ${SPORT} ${N} are substituted, bare LF
becomes CRLF, and the message ends with its blank line. --count N (<= 200000) sends N datagrams; --vary-src gives each datagram a new source: the next IPv4 address, or the
next IPv6 /48 (the third group of 2001:db8:X:: counts up). --tcp: each message
is one TCP segment (PSH|ACK, random sequence and acknowledgement numbers, right
checksum) instead of a UDP datagram: a forged segment of a connection the
sender is not part of.

Safety: --dst must lie in the lab ranges (198.51.100.0/24, 203.0.113.0/24,
2001:db8::/32); --src in those, loopback, 0/8, multicast, broadcast, :: or
::ffff:0:0/96 (the martians under test). Bounded in count and time (30 s).
"""

import argparse
import ipaddress
import random
import socket
import struct
import sys
import time

LAB = [ipaddress.ip_network(n) for n in ("198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")]
SPOOFABLE = LAB + [ipaddress.ip_network(n) for n in (
    "127.0.0.0/8", "0.0.0.0/8", "224.0.0.0/4", "255.255.255.255/32", "::1/128", "::/128",
    "::ffff:0:0/96", "ff00::/8")]
MAX_COUNT = 200000
MAX_TIME = 30.0


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def frame(src, dst, sport, dport, payload, tcp=False):
    proto = 6 if tcp else 17
    if tcp:
        l4 = struct.pack("!HHIIBBHHH", sport, dport, random.getrandbits(32),
                         random.getrandbits(32), 5 << 4, 0x18, 65535, 0, 0) + payload
        at = 16
    else:
        l4 = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
        at = 6
    ulen = len(l4)
    if src.version == 4:
        pseudo = src.packed + dst.packed + struct.pack("!BBH", 0, proto, ulen)
    else:
        pseudo = src.packed + dst.packed + struct.pack("!IxxxB", ulen, proto)
    c = csum(pseudo + l4) or 0xffff
    l4 = l4[:at] + struct.pack("!H", c) + l4[at + 2:]
    if src.version == 4:
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, 0, 0x4000, 64, proto, 0,
                          src.packed, dst.packed)
        hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
        return 0x0800, hdr + l4
    hdr = struct.pack("!IHBB16s16s", 6 << 28, ulen, proto, 64, src.packed, dst.packed)
    return 0x86DD, hdr + l4


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iface", required=True)
    ap.add_argument("--dst-mac", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--dst", required=True)
    ap.add_argument("--sport", type=int, default=5060)
    ap.add_argument("--dport", type=int, default=5060)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--vary-src", action="store_true")
    ap.add_argument("--tcp", action="store_true")
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--text")
    g.add_argument("--file")
    a = ap.parse_args()
    src = ipaddress.ip_address(a.src)
    dst = ipaddress.ip_address(a.dst)
    if src.version != dst.version or not any(dst in n for n in LAB) \
            or not any(src in n for n in SPOOFABLE) or not 1 <= a.count <= MAX_COUNT:
        print("spoof.py: address outside the lab or count out of range", file=sys.stderr)
        return 2
    text = a.text if a.text is not None else open(a.file, encoding="utf-8").read()
    # A shell's $(...) strips the blank line that ends the header.
    text = text.replace("\r\n", "\n").rstrip("\n") + "\n\n"
    text = text.replace("\n", "\r\n")
    mac = bytes.fromhex(a.dst_mac.replace(":", ""))
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM)
    deadline = time.monotonic() + MAX_TIME
    sent = 0
    for i in range(a.count):
        if time.monotonic() > deadline:
            break
        sa = src
        if a.vary_src:
            # IPv4: the next address; IPv6: the next /48 (bits 80..95), so
            # that every source is its own /64 and /48.
            sa = ipaddress.ip_address(int(src) + i) if src.version == 4 else \
                ipaddress.ip_address(int(src) ^ (((int(src) >> 80) + i) & 0xffff ^
                                                  (int(src) >> 80) & 0xffff) << 80)
            if not any(sa in n for n in SPOOFABLE):
                break
        body = text.replace("${SRC}", str(sa) if sa.version == 4 else "[%s]" % sa) \
                   .replace("${SPORT}", str(a.sport)).replace("${N}", str(i))
        proto, pkt = frame(sa, dst, a.sport, a.dport, body.encode(), a.tcp)
        for _ in range(100):
            try:
                s.sendto(pkt, (a.iface, proto, 0, 0, mac))
                break
            except BlockingIOError:
                time.sleep(0.001)
            except OSError as e:
                if e.errno != 105:  # ENOBUFS: the veth queue is full
                    raise
                time.sleep(0.001)
        sent += 1
    print("sent %d" % sent)
    return 0


if __name__ == "__main__":
    sys.exit(main())
