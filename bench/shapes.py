#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""bench/shapes.py - what the message shapes an attacker chooses cost the policy.

    bench/shapes.py --replay BUILD/sipwarden-replay --config CFG [--count N] [--reps R] [--dir DIR]
                    [--no-callgrind]

Writes a capture per shape (no packet is sent: captures only, under DIR) and
judges each with sipwarden-replay: the user CPU of a run of N messages minus
that of a run of N/10 (start-up cancels out), per message and per byte, against
the plain credentialed REGISTER a phone sends. Every shape is well-formed
SIP a server would take (except where the name says otherwise), from the
legit mix's 200 sources at 500 requests/s each (the bench config's density
lets them through), each message a new transaction.

Each length runs REPS times, interleaved; the least CPU of each is taken
(the work itself, with the least of the machine's other load in it).
Where valgrind is installed (and not --no-callgrind), the instructions per
message too, from callgrind over 1,000 messages against 100: exact, where
time on a shared machine moves by a third between runs. Prints one
tab-separated line per shape:
    shape NAME REPS BYTES NS_PER_MSG NS_PER_BYTE INSTR_PER_MSG VERDICTS
and `shapes: ok` at the end, or exits non-zero when a run failed.
"""

import argparse
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

AUTH = ('Authorization: Digest username="u{u}", realm="example.org", nonce="n{i:x}", '
        'uri="sip:example.org", response="0123456789abcdef0123456789abcdef", algorithm=MD5\r\n')


def register(i, frm=None, ruri="sip:example.org", extra="", ua="Linphone/5.0.0 (belle-sip/5.0.0)", auth=True):
    u = i % 200
    frm = frm if frm is not None else "<sip:u{}@example.org>".format(u)
    return ("REGISTER {ruri} SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 203.0.113.{h}:5060;branch=z9hG4bK{i:x}\r\n"
            "Max-Forwards: 70\r\n"
            "From: {frm};tag=t{i:x}\r\n"
            "To: {frm}\r\n"
            "Call-ID: c{i:x}@203.0.113.{h}\r\n"
            "CSeq: {cs} REGISTER\r\n"
            "Contact: <sip:u{u}@203.0.113.{h}:5060>\r\n"
            "{auth}{extra}"
            "User-Agent: {ua}\r\n"
            "Expires: 3600\r\n"
            "Content-Length: 0\r\n\r\n").format(
                ruri=ruri, h=10 + u, i=i, frm=frm, cs=1 + i % 1000, u=u,
                auth=AUTH.format(u=u, i=i) if auth else "", extra=extra, ua=ua)


def invite(i):
    u = i % 200
    sdp = ("v=0\r\no=- {i} 1 IN IP4 203.0.113.{h}\r\ns=-\r\nc=IN IP4 203.0.113.{h}\r\nt=0 0\r\n"
           "m=audio 40000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
           "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n").format(
               i=i, h=10 + u)
    return ("INVITE sip:{t}@example.org SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 203.0.113.{h}:5060;branch=z9hG4bK{i:x};rport\r\n"
            "Max-Forwards: 70\r\n"
            "From: \"User {u}\" <sip:u{u}@example.org>;tag=t{i:x}\r\n"
            "To: <sip:{t}@example.org>\r\n"
            "Call-ID: i{i:x}@203.0.113.{h}\r\n"
            "CSeq: 1 INVITE\r\n"
            "Contact: <sip:u{u}@203.0.113.{h}:5060>\r\n"
            "Proxy-Authorization: Digest username=\"u{u}\", realm=\"example.org\", nonce=\"n{i:x}\", "
            "uri=\"sip:{t}@example.org\", response=\"0123456789abcdef0123456789abcdef\"\r\n"
            "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER, NOTIFY\r\n"
            "User-Agent: Linphone/5.0.0 (belle-sip/5.0.0)\r\n"
            "Content-Type: application/sdp\r\n"
            "Content-Length: {n}\r\n\r\n{sdp}").format(t=100 + i % 50, h=10 + u, i=i, u=u, n=len(sdp), sdp=sdp)


# name -> message i. The first is the reference.
SHAPES = [
    ("register", lambda i: register(i)),
    ("invite_sdp", invite),
    ("utf8_display", lambda i: register(i, frm="\"J\u00fcrgen M\u00fcller\" <sip:u{}@example.org>".format(i % 200))),
    ("escaped_display", lambda i: register(i, frm="\"a\\\"b\" <sip:u{}@example.org>".format(i % 200))),
    ("percent_user", lambda i: register(i, frm="<sip:%75{}@example.org>".format(i % 200))),
    ("ipv6_uris", lambda i: register(i, frm="<sip:u{}@[2001:db8::1]>".format(i % 200), ruri="sip:[2001:db8::1]")),
    ("long_user", lambda i: register(i, frm="<sip:{}{}@example.org>".format("u" * 400, i % 200))),
    ("headers_100", lambda i: register(i, extra="".join("X-H{}: v{}\r\n".format(k, i) for k in range(100)))),
    ("credentials_12", lambda i: register(i, extra="".join(
        'Proxy-Authorization: Digest username="u{}", realm="r{}.example.org", nonce="n", uri="sip:a", '
        'response="00"\r\n'.format(i % 200, k) for k in range(12)))),
    # A new User-Agent of 1,000 bytes every time: no cached verdict, the
    # blacklist's patterns run over all of it.
    ("long_ua_new", lambda i: register(i, ua="Z{:08x}".format(i) + "x" * 1000)),
]


def pcap(path, msgs):
    """Ethernet + IPv4 + UDP 5060 -> 198.51.100.1:5060, 10 µs apart (100k/s)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, (src, m) in enumerate(msgs):
            udp = struct.pack("!HHHH", 5060, 5060, 8 + len(m), 0) + m
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xffff, 0, 64, 17, 0,
                             bytes([203, 0, 113, src]), bytes([198, 51, 100, 1]))
            s = sum(struct.unpack("!10H", ip))
            s = (s >> 16) + (s & 0xffff)
            s += s >> 16
            ip = ip[:10] + struct.pack("!H", ~s & 0xffff) + ip[12:]
            pkt = b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + udp
            t = (i + 1) * 10
            f.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(pkt), len(pkt)))
            f.write(pkt)


def cpu_of(cmd):
    """User seconds of cmd, and its standard output. Not system time: the
    policy makes no system call per message, and the page faults of the
    tables' start-up (hundreds of MB, huge pages when the kernel has them
    to give) vary by more than the difference measured."""
    with tempfile.TemporaryFile() as out:
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode(errors="replace")
    if p.returncode != 0:
        raise RuntimeError("{} exited {}".format(cmd[0], p.returncode))
    return ru.ru_utime, text


def verdicts(text):
    m = re.search(r"^verdicts: (.*)$", text, re.M)
    if not m:
        return "?"
    return ",".join(kv for kv in m.group(1).split() if not kv.endswith("=0")) or "none"


def instructions(replay, config, path):
    """Instructions sipwarden-replay executes over a capture (callgrind:
    exact, unlike time on a shared machine), or None without valgrind."""
    r = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", replay, "-q", "-c",
                        config, path], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    m = re.search(r"Collected : (\d+)", r.stderr)
    if r.returncode != 0 or not m:
        raise RuntimeError("callgrind of {} failed".format(path))
    return int(m.group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--replay", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--count", type=int, default=50000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--dir", default=None)
    ap.add_argument("--no-callgrind", action="store_true")
    a = ap.parse_args()
    if not 100 <= a.count <= 200000 or not 1 <= a.reps <= 9:
        print("shapes.py: --count 100..200000, --reps 1..9", file=sys.stderr)
        return 2
    d = a.dir or tempfile.mkdtemp(prefix="swb-shapes-")
    os.makedirs(d, exist_ok=True)
    small = max(a.count // 10, 10)
    cg = not a.no_callgrind and shutil.which("valgrind") is not None
    cg_config = a.config
    if cg:
        # The same policy with small tables: instructions per message do
        # not depend on their size, but valgrind would spend a minute on
        # faulting in a million sources' worth at every start.
        text = open(a.config).read()
        small_text, k = re.subn(r"(?m)^(\s*max_sources:)\s*\d+", r"\1 20000", text)
        if k == 1:
            cg_config = os.path.join(d, "small-tables.yml")
            with open(cg_config, "w") as f:
                f.write(small_text)

    def pc(name, n):
        return os.path.join(d, "{}-{}.pcap".format(name, n))

    try:
        for name, fn in SHAPES:
            size = len(fn(0).encode())
            for n in sorted({small, a.count} | ({100, 1000} if cg else set())):
                pcap(pc(name, n),
                     [(10 + i % 200, fn(i).encode()) for i in range(n)])
            small_t, big_t = [], []
            for _ in range(a.reps):
                t, _ = cpu_of([a.replay, "-c", a.config, pc(name, small)])
                small_t.append(t)
                t, out = cpu_of([a.replay, "-c", a.config, pc(name, a.count)])
                big_t.append(t)
            # The least CPU of each run length: what the work itself
            # costs, with the least of the machine's other load in it.
            ns = max(min(big_t) - min(small_t), 0.0) * 1e9 / (a.count - small)
            ins = "-"
            if cg:
                # 1,000 messages against 100: instructions are exact.
                ins = "{:.0f}".format((instructions(a.replay, cg_config, pc(name, 1000)) -
                                       instructions(a.replay, cg_config, pc(name, 100))) / 900)
            print("shape\t{}\t{}\t{}\t{:.0f}\t{:.2f}\t{}\t{}".format(name, a.reps, size, ns, ns / size, ins,
                                                                   verdicts(out)), flush=True)
    finally:
        for name, _ in SHAPES:
            for n in {small, a.count, 100, 1000}:
                try:
                    os.unlink(pc(name, n))
                except FileNotFoundError:
                    pass
        if cg_config != a.config:
            os.unlink(cg_config)
        if not a.dir:
            os.rmdir(d)
    print("shapes: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
