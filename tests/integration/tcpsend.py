#!/usr/bin/env python3
"""Test helper: SIP over TCP from a chosen source address (lab ranges only).

  tcpsend.py register SRC SERVER UA [--segments N] [--twice]
      connect SRC -> SERVER:5060 and send a REGISTER with User-Agent UA,
      cut into N segments (TCP_NODELAY, 50 ms apart) or, with --twice, two
      REGISTERs in one segment; print the replies' status lines (2 s wait)
  tcpsend.py connflood SRC SERVER PORT COUNT
      COUNT connection attempts to SERVER:PORT (bounded: COUNT <= 1000)
"""
import ipaddress
import socket
import sys
import time
import uuid

LAB = [ipaddress.ip_network(n) for n in ("203.0.113.0/24", "198.51.100.0/24", "2001:db8::/32")]


def lab(addr):
    a = ipaddress.ip_address(addr)
    if not any(a in n for n in LAB):
        sys.exit("address outside the lab: " + addr)
    return a


def register(src, srv, ua):
    cid = uuid.uuid4().hex
    return ("REGISTER sip:example.org SIP/2.0\r\n"
            f"Via: SIP/2.0/TCP {src}:5060;branch=z9hG4bK{cid[:12]}\r\n"
            "Max-Forwards: 70\r\n"
            f"From: <sip:110@example.org>;tag={cid[:8]}\r\n"
            "To: <sip:110@example.org>\r\n"
            f"Call-ID: {cid}@{src}\r\n"
            "CSeq: 1 REGISTER\r\n"
            f"Contact: <sip:110@{src}:5060;transport=tcp>\r\n"
            f"User-Agent: {ua}\r\n"
            "Expires: 60\r\n"
            "Content-Length: 0\r\n\r\n").encode()


def main():
    cmd = sys.argv[1]
    src, srv = str(lab(sys.argv[2])), str(lab(sys.argv[3]))
    fam = socket.AF_INET6 if ":" in src else socket.AF_INET
    if cmd == "register":
        ua = sys.argv[4]
        segs = int(sys.argv[sys.argv.index("--segments") + 1]) if "--segments" in sys.argv else 1
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.bind((src, 0))
        s.settimeout(3)
        s.connect((srv, 5060))
        msg = register(src, srv, ua)
        if "--twice" in sys.argv:
            msg += register(src, srv, ua)
        step = max(1, len(msg) // segs + 1)
        for i in range(0, len(msg), step):
            s.sendall(msg[i:i + step])
            time.sleep(0.05)
        end, got = time.time() + 2, b""
        while time.time() < end:
            try:
                d = s.recv(65536)
            except socket.timeout:
                break
            if not d:
                break
            got += d
        for line in got.split(b"\r\n"):
            if line.startswith(b"SIP/2.0 "):
                print(line.decode(errors="replace"))
        s.close()
    elif cmd == "connflood":
        port, count = int(sys.argv[4]), min(int(sys.argv[5]), 1000)
        done = 0
        deadline = time.time() + 20
        for _ in range(count):
            if time.time() > deadline:
                break
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.bind((src, 0))
            s.settimeout(0.2)
            try:
                s.connect((srv, port))
            except OSError:
                pass
            s.close()
            done += 1
        print(f"attempts {done}")


if __name__ == "__main__":
    main()
