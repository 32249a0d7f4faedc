#!/usr/bin/python3
"""Test helper: hand-crafted packets for tests/integration/evasion.sh (scapy).

Lab ranges only (203.0.113.0/24, 198.51.100.0/24, 2001:db8::/32); every
subcommand sends a bounded number of packets and stops by itself.

  rawsend.py frag SRC SERVER UA [--reverse] [--size N] [--tag T]
      one UDP REGISTER (User-Agent UA after ~900 bytes of padding header, so
      it sits in a later fragment) as IPv4 or IPv6 fragments of at most N
      bytes (default 300), sent in order or last fragment first. Prints the
      number of fragments.
"""
import ipaddress
import random
import sys
import uuid

import logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
import socket  # noqa: E402
from scapy.all import IP, IPv6, IPv6ExtHdrFragment, UDP, Raw, conf, fragment, fragment6  # noqa: E402

LAB = [ipaddress.ip_network(n) for n in ("203.0.113.0/24", "198.51.100.0/24", "2001:db8::/32")]
conf.verb = 0


def lab(addr):
    a = ipaddress.ip_address(addr)
    if not any(a in n for n in LAB):
        sys.exit("address outside the lab: " + addr)
    return str(a)


def hostpart(a):
    return "[%s]" % a if ":" in a else a


def register(src, sport, ua, tag):
    cid = uuid.uuid4().hex
    return ("REGISTER sip:example.org SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {hostpart(src)}:{sport};rport;branch=z9hG4bK{cid[:12]}\r\n"
            "Max-Forwards: 70\r\n"
            f"From: <sip:{tag}@example.org>;tag={cid[:8]}\r\n"
            f"To: <sip:{tag}@example.org>\r\n"
            f"Call-ID: {cid}@{tag}\r\n"
            "CSeq: 1 REGISTER\r\n"
            f"Contact: <sip:{tag}@{hostpart(src)}:{sport}>\r\n"
            f"X-Padding: {'p' * 900}\r\n"
            f"User-Agent: {ua}\r\n"
            "Expires: 60\r\n"
            "Content-Length: 0\r\n\r\n").encode()


def send_raw(pkts, dst):
    """Send whole IP packets as they are (IPPROTO_RAW implies header
    included, for IPv4 and IPv6): the kernel routes them, no link layer
    resolution of our own."""
    fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_RAW)
    for p in pkts[:64]:
        s.sendto(bytes(p), (dst, 0))
    s.close()


def opt(name, default):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def cmd_frag():
    src, srv, ua = lab(sys.argv[2]), lab(sys.argv[3]), sys.argv[4]
    size = int(opt("--size", "300"))
    tag = opt("--tag", "frag")
    sport = random.randint(20000, 60000)
    payload = register(src, sport, ua, tag)
    if ":" in src:
        pkt = (IPv6(src=src, dst=srv) / IPv6ExtHdrFragment(id=random.getrandbits(32)) /
               UDP(sport=sport, dport=5060) / Raw(payload))
        frags = fragment6(pkt, size)
    else:
        pkt = IP(src=src, dst=srv, id=random.getrandbits(16)) / UDP(sport=sport, dport=5060) / Raw(payload)
        frags = fragment(pkt, fragsize=size - 20 - (size - 20) % 8)
    if "--reverse" in sys.argv:
        frags = list(reversed(frags))
    send_raw(frags, srv)
    print(len(frags))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    if sys.argv[1] == "frag":
        cmd_frag()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
