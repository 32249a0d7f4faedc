#!/usr/bin/python3
"""Test helper: hand-crafted packets for tests/integration/evasion.sh (scapy).

Lab ranges only (203.0.113.0/24, 198.51.100.0/24, 2001:db8::/32); every
subcommand sends a bounded number of packets and stops by itself.

  rawsend.py frag SRC SERVER UA [--reverse] [--size N] [--tag T]
      one UDP REGISTER (User-Agent UA after ~900 bytes of padding header, so
      it sits in a later fragment) as IPv4 or IPv6 fragments of at most N
      bytes (default 300), sent in order or last fragment first. Prints the
      number of fragments.
  rawsend.py tcp SCENARIO SRC SERVER TAG UA
      a TCP connection to SERVER:5060 run by hand (raw sockets; source port
      41000-41999, whose kernel RSTs the test drops in SRC's namespace
      unless marked 0x5e, as ours are). Handshake, then SCENARIO, then an
      RST at the next byte. Messages come From TAG with User-Agent UA:
        rst     half an INVITE, an RST with seq 0xdeadbeef, the rest + OPTIONS
        syn     half an INVITE, a SYN with another ISN, the rest + OPTIONS
        csum    an OPTIONS with a wrong TCP checksum, then an INVITE of the
                same length at the same seq (twin: the OPTIONS again)
        ack     an OPTIONS acknowledging bytes the server never sent, then
                the INVITE at the same seq (twin: the same OPTIONS, right ACK)
        bundle  an OPTIONS and an INVITE in one segment
        bundlereg  an OPTIONS From TAGo, then a REGISTER From TAG, in one
                segment (the test bans user TAG first, or not for the twin)
        bundlemal  an OPTIONS From TAGo, then an INVITE From TAG without a
                Call-ID (malformed), in one segment (UA twin: with its Call-ID)
      Prints what was sent.
"""
import ipaddress
import random
import sys
import time
import uuid

import logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
import socket  # noqa: E402
from scapy.all import IP, IPv6, IPv6ExtHdrFragment, TCP, UDP, Raw, conf, fragment, fragment6  # noqa: E402

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


MARK = 0x5e


class RawTCP:
    """One TCP connection driven by hand: no retransmission, bounded waits."""

    def __init__(self, src, dst):
        self.src, self.dst, self.v6 = src, dst, ":" in src
        fam = socket.AF_INET6 if self.v6 else socket.AF_INET
        self.tx = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_RAW)
        self.tx.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, MARK)
        self.rx = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_TCP)
        self.rx.settimeout(0.2)
        self.sport = random.randint(41000, 41999)
        self.seq = random.getrandbits(32)
        self.ack = 0

    def send(self, flags, data=b"", seq=None, ack=None, badsum=False):
        ip = IPv6(src=self.src, dst=self.dst) if self.v6 else IP(src=self.src, dst=self.dst)
        seg = TCP(sport=self.sport, dport=5060, flags=flags, window=65535,
                  seq=self.seq if seq is None else seq, ack=self.ack if ack is None else ack)
        b = bytearray(bytes(ip / seg / Raw(data)) if data else bytes(ip / seg))
        if badsum:
            b[(40 if self.v6 else 20) + 16] ^= 0x5a
        self.tx.sendto(bytes(b), (self.dst, 0))
        time.sleep(0.05)

    def synack(self):
        end = time.time() + 3
        while time.time() < end:
            try:
                d, a = self.rx.recvfrom(65535)
            except socket.timeout:
                continue
            if a[0] != self.dst:
                continue
            t = d if self.v6 else d[(d[0] & 15) * 4:]
            if len(t) < 20 or int.from_bytes(t[0:2], "big") != 5060 or \
               int.from_bytes(t[2:4], "big") != self.sport:
                continue
            if t[13] & 0x12 == 0x12:
                return int.from_bytes(t[4:8], "big")
        sys.exit("no SYN-ACK from %s" % self.dst)

    def connect(self):
        self.send("S")
        self.ack = (self.synack() + 1) & 0xffffffff
        self.seq = (self.seq + 1) & 0xffffffff
        self.send("A")

    def data(self, payload, **kw):
        self.send("PA", payload, **kw)

    def advance(self, n):
        self.seq = (self.seq + n) & 0xffffffff

    def close(self):
        self.send("RA")


def tcp_msg(method, src, sport, tag, ua, pad=0, callid=True):
    cid = uuid.uuid4().hex
    return (f"{method} sip:{tag}@example.org SIP/2.0\r\n"
            f"Via: SIP/2.0/TCP {hostpart(src)}:{sport};branch=z9hG4bK{cid[:12]}\r\n"
            "Max-Forwards: 70\r\n"
            f"From: <sip:{tag}@example.org>;tag={cid[:8]}\r\n"
            f"To: <sip:{tag}@example.org>\r\n"
            + (f"Call-ID: {cid}@{tag}\r\n" if callid else "") +
            f"CSeq: 1 {method}\r\n"
            f"Contact: <sip:{tag}@{hostpart(src)}:{sport};transport=tcp>\r\n"
            f"User-Agent: {ua}\r\n"
            f"X-Pad: {'p' * (8 + pad)}\r\n"
            "Content-Length: 0\r\n\r\n").encode()


def cmd_tcp():
    scen, src, srv, tag, ua = sys.argv[2], lab(sys.argv[3]), lab(sys.argv[4]), sys.argv[5], sys.argv[6]
    c = RawTCP(src, srv)
    c.connect()
    inv = tcp_msg("INVITE", src, c.sport, tag, ua)
    opt = tcp_msg("OPTIONS", src, c.sport, tag, "Linphone/5.0")
    if scen in ("rst", "syn"):
        half = len(inv) // 2
        c.data(inv[:half])
        c.advance(half)
        if scen == "rst":
            c.send("R", seq=0xdeadbeef)
        else:
            c.send("S", seq=random.getrandbits(32), ack=0)
        c.data(inv[half:] + opt)
        c.advance(len(inv) - half + len(opt))
        print(f"{scen}: {half} bytes, {scen.upper()}, {len(inv) - half}+{len(opt)} bytes")
    elif scen in ("csum", "ack"):
        # Same length: the INVITE's padding makes up for the methods.
        first = tcp_msg("OPTIONS", src, c.sport, tag, "Linphone/5.0", pad=len(inv) - len(opt))
        if ua == "twin":
            inv = first
        assert len(first) == len(inv)
        if scen == "csum":
            c.data(first, badsum=True)
        else:
            c.data(first, ack=(c.ack + 100000) & 0xffffffff)
        c.data(inv)
        c.advance(len(inv))
        print(f"{scen}: {len(first)} bytes the kernel discards, then {len(inv)} at the same seq")
    elif scen == "bundle":
        c.data(opt + inv)
        c.advance(len(opt) + len(inv))
        print(f"bundle: {len(opt)}+{len(inv)} bytes in one segment")
    elif scen in ("bundlereg", "bundlemal"):
        # The OPTIONS alone would pass (another From user, well-formed):
        # only the message bundled behind it can decide the segment.
        opt = tcp_msg("OPTIONS", src, c.sport, tag + "o", "Linphone/5.0")
        if scen == "bundlereg":
            second = tcp_msg("REGISTER", src, c.sport, tag, ua)
        else:
            second = tcp_msg("INVITE", src, c.sport, tag, "Linphone/5.0", callid=ua == "twin")
        c.data(opt + second)
        c.advance(len(opt) + len(second))
        print(f"{scen}: {len(opt)}+{len(second)} bytes in one segment")
    else:
        sys.exit(__doc__)
    time.sleep(0.3)
    c.close()


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    if sys.argv[1] == "frag":
        cmd_frag()
    elif sys.argv[1] == "tcp":
        cmd_tcp()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
