#!/usr/bin/env python3
"""sipclient.py - the sipwarden lab's own small SIP/UDP client (standard library only).

sipsak has no IPv6 and mangles identities, sipvicious always says
"friendly-scanner"; this client sends exactly what the tests ask for.

Subcommands (every one takes --src ADDR --server ADDR [--port 5060]):

  register --user U --domain D --password P [--auth-user A] [--ua UA]
           [--expires 60] [--timeout 2] [--count N]
      REGISTER, answer a 401/407 digest challenge (MD5 / MD5-sess, qop=auth with
      cnonce and nc when offered), print the final status. --count N registers N
      times (new Call-ID each). Exit 0 only if every registration got a 200.
  options  [--user U] [--domain D] [--ua UA] [--timeout 2]
      one OPTIONS; exit 0 if the final answer is 2xx.
  flood    --rate R --duration S [--method REGISTER|INVITE|OPTIONS] [--ua UA]
           [--user U] [--domain D]
      well-formed ~500-byte requests at about R/s for S s, unique Call-IDs, no
      waiting for answers (the socket is drained non-blockingly).
      Hard caps: R <= 20000, S <= 30, R*S <= 200000. Prints "sent N received M".
  garbage  --count N [--rate R] [--max-time S]
      N packets of random bytes and truncated SIP (N <= 100000, R <= 20000,
      S <= 30). Prints "sent N (random X truncated Y) received M".
  send     --file F [--wait 2] [--raw] [--full]
      send one message from a file and print the replies. Unless --raw, bare LF
      line ends become CRLF and the placeholders ${SRC} ${SPORT} ${SRCHOST}
      ${CALLID} ${BRANCH} ${TAG} ${SERVER} ${SERVERHOST} are substituted
      (${SRCHOST}/${SERVERHOST} are bracketed for IPv6). Exit 0 if a reply came.

Exit status: 0 success, 1 SIP failure (non-200 final answer / no reply),
2 usage error or an address outside the lab ranges, 3 timeout (register/options).

Safety: --src and --server must lie in 203.0.113.0/24, 198.51.100.0/24,
2001:db8::/32, 127.0.0.0/8 or ::1; every loop is bounded in count and in time.
"""

import argparse
import errno
import hashlib
import ipaddress
import os
import random
import re
import select
import socket
import sys
import time

ALLOWED_NETS = [ipaddress.ip_network(n) for n in (
    "203.0.113.0/24", "198.51.100.0/24", "2001:db8::/32", "127.0.0.0/8", "::1/128")]

MAX_RATE = 20000
MAX_DURATION = 30.0
MAX_FLOOD_TOTAL = 200000
MAX_GARBAGE = 100000
DEFAULT_UA = "sipwarden-lab-client/1.0"


class UsageError(Exception):
    pass


def lab_addr(text, what):
    """Parse an address and refuse anything outside the lab's ranges."""
    t = text.strip()
    if t.startswith("[") and t.endswith("]"):
        t = t[1:-1]
    try:
        a = ipaddress.ip_address(t)
    except ValueError:
        raise UsageError("%s %r is not an IP address" % (what, text))
    if not any(a in n for n in ALLOWED_NETS):
        raise UsageError("%s %s is outside the lab ranges (203.0.113.0/24, 198.51.100.0/24, "
                         "2001:db8::/32, 127.0.0.0/8, ::1): refused" % (what, a))
    return a


def hostpart(addr):
    s = str(addr)
    return "[%s]" % s if ":" in s else s


def hostport(addr, port):
    return "%s:%d" % (hostpart(addr), port)


def domain_host(domain):
    """A domain given as an IPv6 literal gets brackets in URIs."""
    d = domain.strip("[]")
    try:
        if ipaddress.ip_address(d).version == 6:
            return "[%s]" % d
    except ValueError:
        pass
    return domain


def rand_token(n=10):
    return "%0*x" % (n, random.getrandbits(4 * n))


class Endpoint:
    """A UDP socket bound to --src, port 0 (or --sport), aimed at --server."""

    def __init__(self, args):
        self.src = lab_addr(args.src, "--src")
        self.server = lab_addr(args.server, "--server")
        if self.src.version != self.server.version:
            raise UsageError("--src and --server must be the same address family")
        if not 0 < args.port < 65536:
            raise UsageError("--port out of range")
        fam = socket.AF_INET6 if self.server.version == 6 else socket.AF_INET
        self.sock = socket.socket(fam, socket.SOCK_DGRAM)
        try:
            self.sock.bind((str(self.src), args.sport))
        except OSError as e:
            raise UsageError("cannot bind %s:%d: %s" % (self.src, args.sport, e))
        self.sport = self.sock.getsockname()[1]
        self.dst = (str(self.server), args.port)
        self.port = args.port

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        return self.sock.sendto(data, self.dst)

    def recv(self, timeout):
        r, _, _ = select.select([self.sock], [], [], max(0.0, timeout))
        if not r:
            return None
        data, addr = self.sock.recvfrom(65535)
        return data

    def drain(self):
        """Read whatever is queued without blocking; return the count."""
        n = 0
        while True:
            try:
                self.sock.recv(65535, socket.MSG_DONTWAIT)
                n += 1
            except (BlockingIOError, InterruptedError):
                return n
            except OSError:
                # e.g. ECONNREFUSED from an ICMP error: the error is consumed,
                # keep draining (bounded: the loop ends at EAGAIN)
                if n > 1000000:
                    return n
                continue


# ------------------------------------------------------------------ SIP bits

class Response:
    def __init__(self, raw):
        text = raw.decode("utf-8", "replace")
        head, _, self.body = text.partition("\r\n\r\n")
        lines = head.split("\r\n")
        self.first = lines[0]
        m = re.match(r"SIP/2\.0\s+(\d{3})\s*(.*)", self.first)
        self.code = int(m.group(1)) if m else 0
        self.reason = m.group(2) if m else ""
        self.headers = []
        for line in lines[1:]:
            if line[:1] in (" ", "\t") and self.headers:
                k, v = self.headers[-1]
                self.headers[-1] = (k, v + " " + line.strip())
                continue
            k, sep, v = line.partition(":")
            if sep:
                self.headers.append((k.strip().lower(), v.strip()))

    COMPACT = {"i": "call-id", "f": "from", "t": "to", "v": "via", "m": "contact", "l": "content-length"}

    def get(self, name):
        name = name.lower()
        for k, v in self.headers:
            if self.COMPACT.get(k, k) == name:
                return v
        return None

    def cseq(self):
        v = self.get("cseq") or ""
        m = re.match(r"(\d+)\s+(\S+)", v)
        return (int(m.group(1)), m.group(2).upper()) if m else (None, None)


def parse_challenge(value):
    """'Digest realm="x", nonce="y", qop="auth"' -> dict (keys lower-case)."""
    scheme, _, rest = value.partition(" ")
    params = {"scheme": scheme.strip().lower()}
    for m in re.finditer(r'([A-Za-z0-9_-]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^,\s]*)', rest):
        params[m.group(1).lower()] = m.group(3) if m.group(3) is not None else m.group(2)
    return params


def md5(s):
    return hashlib.md5(s.encode("utf-8")).hexdigest()


def digest_authorization(ch, method, uri, username, password, nc=1):
    """Build the credentials (header value) answering challenge dict ch."""
    realm = ch.get("realm", "")
    nonce = ch.get("nonce", "")
    algorithm = ch.get("algorithm", "MD5")
    qops = [q.strip().lower() for q in ch.get("qop", "").split(",") if q.strip()]
    cnonce = rand_token(16)
    ha1 = md5("%s:%s:%s" % (username, realm, password))
    if algorithm.lower() == "md5-sess":
        ha1 = md5("%s:%s:%s" % (ha1, nonce, cnonce))
    ha2 = md5("%s:%s" % (method, uri))
    parts = ['username="%s"' % username, 'realm="%s"' % realm, 'nonce="%s"' % nonce,
             'uri="%s"' % uri]
    if "auth" in qops:
        ncs = "%08x" % nc
        resp = md5("%s:%s:%s:%s:auth:%s" % (ha1, nonce, ncs, cnonce, ha2))
        parts += ['response="%s"' % resp, "algorithm=%s" % algorithm,
                  'cnonce="%s"' % cnonce, "nc=%s" % ncs, "qop=auth"]
    else:
        resp = md5("%s:%s:%s" % (ha1, nonce, ha2))
        parts += ['response="%s"' % resp, "algorithm=%s" % algorithm]
    if "opaque" in ch:
        parts.append('opaque="%s"' % ch["opaque"])
    return "Digest " + ", ".join(parts)


def build_request(ep, method, ruri, user, domain, callid, cseq, tag, ua,
                  extra_headers=(), body="", to_user=None):
    dom = domain_host(domain)
    to_user = user if to_user is None else to_user
    lines = [
        "%s %s SIP/2.0" % (method, ruri),
        "Via: SIP/2.0/UDP %s;branch=z9hG4bK%s;rport" % (hostport(ep.src, ep.sport), rand_token(12)),
        "Max-Forwards: 70",
        "From: <sip:%s@%s>;tag=%s" % (user, dom, tag),
        "To: <sip:%s@%s>" % (to_user, dom),
        "Call-ID: %s" % callid,
        "CSeq: %d %s" % (cseq, method),
        "User-Agent: %s" % ua,
    ]
    lines += list(extra_headers)
    lines.append("Content-Length: %d" % len(body.encode("utf-8")))
    return "\r\n".join(lines) + "\r\n\r\n" + body


def transaction(ep, msg, callid, cseq, timeout):
    """Send msg, retransmit (T1=0.5 s doubling, max 4 s) until a final answer
    for (callid, cseq) arrives or timeout expires. Returns Response or None."""
    deadline = time.monotonic() + timeout
    interval = 0.5
    next_tx = time.monotonic()
    provisional = False
    while True:
        now = time.monotonic()
        if now >= deadline:
            return None
        if now >= next_tx and not provisional:
            ep.send(msg)
            next_tx = now + interval
            interval = min(interval * 2, 4.0)
        try:
            raw = ep.recv(min(deadline, next_tx if not provisional else deadline) - now)
        except OSError:
            # ICMP unreachable etc.: wait for the next retransmission
            raw = None
            time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
        if raw is None:
            continue
        r = Response(raw)
        if r.code == 0 or r.get("call-id") != callid or r.cseq()[0] != cseq:
            continue
        if r.code < 200:
            provisional = True
            continue
        return r


# ------------------------------------------------------------------ register

def register_once(ep, args, ua):
    callid = "%s@%s" % (rand_token(20), hostpart(ep.src))
    tag = rand_token(8)
    dom = domain_host(args.domain)
    ruri = "sip:%s" % dom
    contact = "Contact: <sip:%s@%s>;expires=%d" % (args.user, hostport(ep.src, ep.sport), args.expires)
    extra = [contact, "Expires: %d" % args.expires,
             "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, NOTIFY, REFER, MESSAGE"]
    cseq = 1
    auth_user = args.auth_user if args.auth_user is not None else args.user
    auth_header = None
    answered = 0
    deadline = time.monotonic() + args.timeout * 4
    while time.monotonic() < deadline:
        hdrs = list(extra) + ([auth_header] if auth_header else [])
        msg = build_request(ep, "REGISTER", ruri, args.user, args.domain, callid, cseq, tag, ua, hdrs)
        r = transaction(ep, msg, callid, cseq, args.timeout)
        if r is None:
            return None
        if r.code in (401, 407) and answered < 2:
            hname = "www-authenticate" if r.code == 401 else "proxy-authenticate"
            value = r.get(hname)
            if not value:
                return r
            ch = parse_challenge(value)
            if ch.get("scheme") != "digest":
                return r
            # a second challenge only makes sense when the nonce went stale
            if answered and ch.get("stale", "").lower() != "true":
                return r
            cred = digest_authorization(ch, "REGISTER", ruri, auth_user, args.password)
            auth_header = ("Authorization: " if r.code == 401 else "Proxy-Authorization: ") + cred
            answered += 1
            cseq += 1
            continue
        return r
    return None


def cmd_register(args):
    if args.count < 1 or args.count > 10000:
        raise UsageError("--count must be 1..10000")
    if args.timeout <= 0 or args.timeout > 30:
        raise UsageError("--timeout must be in (0, 30]")
    ep = Endpoint(args)
    ok = 0
    timeouts = 0
    for i in range(args.count):
        r = register_once(ep, args, args.ua)
        if r is None:
            timeouts += 1
            print("REGISTER %s@%s from %s: timeout" % (args.user, args.domain, ep.src))
        else:
            print("REGISTER %s@%s from %s: %d %s" % (args.user, args.domain, ep.src, r.code, r.reason))
            if r.code == 200:
                ok += 1
    if args.count > 1:
        print("registered %d/%d" % (ok, args.count))
    if ok == args.count:
        return 0
    return 3 if timeouts == args.count else 1


def cmd_options(args):
    ep = Endpoint(args)
    callid = "%s@%s" % (rand_token(20), hostpart(ep.src))
    dom = domain_host(args.domain)
    msg = build_request(ep, "OPTIONS", "sip:%s" % dom, args.user, args.domain, callid, 1,
                        rand_token(8), args.ua,
                        ["Contact: <sip:%s@%s>" % (args.user, hostport(ep.src, ep.sport)),
                         "Accept: application/sdp"])
    r = transaction(ep, msg, callid, 1, args.timeout)
    if r is None:
        print("OPTIONS from %s: timeout" % ep.src)
        return 3
    print("OPTIONS from %s: %d %s" % (ep.src, r.code, r.reason))
    return 0 if 200 <= r.code < 300 else 1


# ------------------------------------------------------------------ flood

SDP = ("v=0\r\no=- 3712 3712 IN IP{v} {ip}\r\ns=-\r\nc=IN IP{v} {ip}\r\nt=0 0\r\n"
       "m=audio 40000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n")


def flood_template(ep, method, user, domain, ua):
    """Return a function n -> bytes producing unique, well-formed ~500-byte requests."""
    dom = domain_host(domain)
    src = hostport(ep.src, ep.sport)
    v = 6 if ep.src.version == 6 else 4
    if method == "INVITE":
        ruri = "sip:%s@%s" % (random.randint(100, 199), dom)
        body = SDP.format(v=v, ip=ep.src)
        extra = "Contact: <sip:%s@%s>\r\nContent-Type: application/sdp\r\n" % (user, src)
    elif method == "REGISTER":
        ruri = "sip:%s" % dom
        body = ""
        extra = ("Contact: <sip:%s@%s>;expires=60\r\nExpires: 60\r\n"
                 "Supported: path, gruu, outbound\r\nAccept-Language: en\r\n"
                 "Accept-Encoding: identity\r\n" % (user, src))
    else:
        ruri = "sip:%s" % dom
        body = ""
        extra = ("Contact: <sip:%s@%s>\r\nAccept: application/sdp\r\n"
                 "Supported: replaces, timer\r\nAccept-Language: en\r\n"
                 "Accept-Encoding: identity\r\n" % (user, src))
    to_user = ruri[4:].split("@")[0] if "@" in ruri else user
    run = rand_token(8)
    slot = "\x00N\x00"  # replaced by a per-packet counter: branch, tag, call-id
    head = ("%s %s SIP/2.0\r\n"
            "Via: SIP/2.0/UDP %s;branch=z9hG4bK%s%s;rport\r\n"
            "Max-Forwards: 70\r\n"
            "From: \"%s\" <sip:%s@%s>;tag=%s%s\r\n"
            "To: <sip:%s@%s>\r\n"
            "Call-ID: %s%s@%s\r\n"
            "CSeq: 1 %s\r\n"
            "%s"
            "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, NOTIFY, REFER, MESSAGE\r\n"
            "User-Agent: %s\r\n"
            "Content-Length: %d\r\n\r\n%s") % (
        method, ruri, src, run, slot, user, user, dom, run, slot, to_user, dom, run, slot,
        hostpart(ep.src), method, extra, ua, len(body.encode("utf-8")), body)
    parts = head.encode("utf-8").split(slot.encode())
    return lambda n: (b"%08x" % n).join(parts)


def pace(rate, duration, total, step):
    """Generator of burst sizes, at about `rate` per second, stopping after
    `total` items or `duration` seconds, whichever comes first."""
    start = time.monotonic()
    done = 0
    while done < total:
        elapsed = time.monotonic() - start
        if elapsed >= duration:
            return
        due = min(total, int(elapsed * rate) + 1)
        n = min(due - done, 2000)
        if n > 0:
            sent = yield n
            done += sent if sent is not None else n
        else:
            time.sleep(min(step, max(0.0, (done + 1) / rate - elapsed)))


def cmd_flood(args):
    if not 0 < args.rate <= MAX_RATE:
        raise UsageError("--rate must be in (0, %d]" % MAX_RATE)
    if not 0 < args.duration <= MAX_DURATION:
        raise UsageError("--duration must be in (0, %d]" % MAX_DURATION)
    total = int(args.rate * args.duration)
    if total > MAX_FLOOD_TOTAL:
        raise UsageError("--rate * --duration = %d exceeds the cap of %d packets" % (total, MAX_FLOOD_TOTAL))
    total = max(total, 1)
    ep = Endpoint(args)
    ep.sock.setblocking(False)
    make = flood_template(ep, args.method, args.user, args.domain, args.ua)
    sent = received = errors = 0
    gen = pace(args.rate, args.duration, total, 0.002)
    try:
        n = next(gen)
        while True:
            ok = 0
            for _ in range(n):
                try:
                    ep.sock.sendto(make(sent), ep.dst)
                    sent += 1
                    ok += 1
                except (BlockingIOError, InterruptedError):
                    break
                except OSError as e:
                    errors += 1
                    if e.errno in (errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH):
                        continue
                    raise
            received += ep.drain()
            if ok == 0:
                time.sleep(0.001)
            n = gen.send(ok)
    except StopIteration:
        pass
    # a last short drain for late answers (bounded: 0.3 s)
    end = time.monotonic() + 0.3
    while time.monotonic() < end:
        r, _, _ = select.select([ep.sock], [], [], max(0.0, end - time.monotonic()))
        if not r:
            break
        received += ep.drain()
    print("sent %d received %d" % (sent, received))
    if errors:
        print("send errors %d" % errors)
    return 0


# ------------------------------------------------------------------ garbage

def cmd_garbage(args):
    if not 0 < args.count <= MAX_GARBAGE:
        raise UsageError("--count must be in (0, %d]" % MAX_GARBAGE)
    if not 0 < args.rate <= MAX_RATE:
        raise UsageError("--rate must be in (0, %d]" % MAX_RATE)
    if not 0 < args.max_time <= MAX_DURATION:
        raise UsageError("--max-time must be in (0, %d]" % MAX_DURATION)
    ep = Endpoint(args)
    ep.sock.setblocking(False)
    sip = flood_template(ep, "REGISTER", args.user, args.domain, args.ua)
    rnd = random.Random()
    sent = n_random = n_trunc = received = errors = 0
    gen = pace(args.rate, args.max_time, args.count, 0.002)
    try:
        n = next(gen)
        while True:
            ok = 0
            for _ in range(n):
                if rnd.random() < 0.5:
                    data = os.urandom(rnd.randint(1, 1400))
                    kind = 0
                else:
                    full = sip(sent)
                    data = full[:rnd.randint(1, len(full) - 1)]
                    kind = 1
                try:
                    ep.sock.sendto(data, ep.dst)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:
                    errors += 1
                    continue
                sent += 1
                ok += 1
                if kind:
                    n_trunc += 1
                else:
                    n_random += 1
            received += ep.drain()
            if ok == 0:
                time.sleep(0.001)
            n = gen.send(ok)
    except StopIteration:
        pass
    time.sleep(0.1)
    received += ep.drain()
    print("sent %d (random %d truncated %d) received %d" % (sent, n_random, n_trunc, received))
    return 0


# ------------------------------------------------------------------ send

def cmd_send(args):
    if not 0 <= args.wait <= MAX_DURATION:
        raise UsageError("--wait must be in [0, %d]" % MAX_DURATION)
    with open(args.file, "rb") as f:
        data = f.read()
    if len(data) > 65000:
        raise UsageError("message too large")
    ep = Endpoint(args)
    if not args.raw:
        if b"\r\n" not in data:
            data = data.replace(b"\n", b"\r\n")
        subs = {
            "SRC": str(ep.src), "SRCHOST": hostpart(ep.src), "SPORT": str(ep.sport),
            "SERVER": str(ep.server), "SERVERHOST": hostpart(ep.server),
            "CALLID": rand_token(20), "BRANCH": "z9hG4bK" + rand_token(12), "TAG": rand_token(8),
        }
        for k, v in subs.items():
            data = data.replace(("${%s}" % k).encode(), v.encode())
    ep.send(data)
    print("sent %d bytes from %s to %s" % (len(data), hostport(ep.src, ep.sport), hostport(ep.server, ep.port)))
    deadline = time.monotonic() + args.wait
    replies = 0
    while replies < 100:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            raw = ep.recv(left)
        except OSError as e:
            print("error: %s" % e)
            continue
        if raw is None:
            break
        replies += 1
        if args.full:
            sys.stdout.write(raw.decode("utf-8", "replace") + "\n")
        else:
            print("reply: %s" % Response(raw).first)
    if replies == 0:
        print("no reply")
        return 1
    return 0


# ------------------------------------------------------------------ main

def main(argv=None):
    p = argparse.ArgumentParser(prog="sipclient.py", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)

    def common(sp):
        sp.add_argument("--src", required=True, help="source address (bound, port --sport)")
        sp.add_argument("--server", required=True, help="server address")
        sp.add_argument("--port", type=int, default=5060)
        sp.add_argument("--sport", type=int, default=0, help="source port (default: any)")
        sp.add_argument("--ua", default=DEFAULT_UA, help="User-Agent")

    sp = sub.add_parser("register")
    common(sp)
    sp.add_argument("--user", required=True)
    sp.add_argument("--domain", required=True)
    sp.add_argument("--password", required=True)
    sp.add_argument("--auth-user", default=None, help="digest username (default: --user)")
    sp.add_argument("--expires", type=int, default=60)
    sp.add_argument("--timeout", type=float, default=2.0)
    sp.add_argument("--count", type=int, default=1)
    sp.set_defaults(func=cmd_register)

    sp = sub.add_parser("options")
    common(sp)
    sp.add_argument("--user", default="100")
    sp.add_argument("--domain", default="example.org")
    sp.add_argument("--timeout", type=float, default=2.0)
    sp.set_defaults(func=cmd_options)

    sp = sub.add_parser("flood")
    common(sp)
    sp.add_argument("--rate", type=float, required=True)
    sp.add_argument("--duration", type=float, required=True)
    sp.add_argument("--method", choices=("REGISTER", "INVITE", "OPTIONS"), default="REGISTER")
    sp.add_argument("--user", default="100")
    sp.add_argument("--domain", default="example.org")
    sp.set_defaults(func=cmd_flood)

    sp = sub.add_parser("garbage")
    common(sp)
    sp.add_argument("--count", type=int, required=True)
    sp.add_argument("--rate", type=float, default=2000)
    sp.add_argument("--max-time", type=float, default=10)
    sp.add_argument("--user", default="100")
    sp.add_argument("--domain", default="example.org")
    sp.set_defaults(func=cmd_garbage)

    sp = sub.add_parser("send")
    common(sp)
    sp.add_argument("--file", required=True)
    sp.add_argument("--wait", type=float, default=2.0)
    sp.add_argument("--raw", action="store_true", help="send the file byte for byte")
    sp.add_argument("--full", action="store_true", help="print whole replies")
    sp.set_defaults(func=cmd_send)

    args = p.parse_args(argv)
    try:
        return args.func(args)
    except UsageError as e:
        print("sipclient.py: %s" % e, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
