#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Parser-agreement harness: does sipwarden read a request as Kamailio does?

  agree.py gen --seed S --count N --out REQS       seeded, deterministic requests
  agree.py pack --out REQS FILE...                 given messages, one per file
  agree.py send --in REQS --log KLOG [--port P]   each request, then a marker, to Kamailio
  agree.py compare --in REQS --sw SWOUT --log KLOG [--json OUT]

`gen` writes records (4-byte big-endian length, payload). `send` runs where
Kamailio (tests/agree/kamailio-agree.cfg) listens on 127.0.0.1; it paces
itself on the markers' replies, so nothing is lost to a full socket buffer.
`compare` pairs Kamailio's log lines with agree-read's output and counts:

  agree        Kamailio accepted and sipwarden passed with the same reading
  disagree     Kamailio accepted, sipwarden passed, a judged field differs (an
               evasion: must be 0)
  false_drop   Kamailio accepted, sipwarden dropped it as malformed (by check)
  both_reject  Kamailio rejected or could not parse it, sipwarden dropped it
  sw_only_pass Kamailio rejected it, sipwarden passed it (the server answers
               it with an error: harmless to policy)

Fields compared: method, every User-Agent (and how many there are), From and
To user (percent-decoded) and host (lower-case, IPv6 canonical), Call-ID
(unfolded), CSeq number, the digest username and realm of every credentials
header. See tests/agree/README.md.
"""
import argparse
import collections
import ipaddress
import json
import random
import re
import socket
import struct
import sys
import time

# ---------------------------------------------------------------- generator

USERS = ["105", "alice", "bob.smith", "1%30%35", "a%41b", "100", "x%00y", "%zz",
         "user;p=1", "u+1", "O'Neil", "u%2540x", "+4930123", "a b", "", "Al%69ce"]
HOSTS = ["example.org", "EXAMPLE.ORG", "198.51.100.1", "[2001:db8:5::1]",
         "[2001:DB8:5:0::1]", "example.org:5060", "example.org.", "exa_mple.org",
         "ex%41mple.org", "xn--bcher-kva.example", "127.0.0.1:0"]
METHODS = ["REGISTER", "INVITE", "OPTIONS", "MESSAGE", "SUBSCRIBE", "BYE",
           "register", "Invite", "FOO", "!interesting-Method~", "ACK", "CANCEL"]
UAS = ["Linphone/5.0", "friendly-scanner", "sipvicious", "Zoiper rv2.10 (Linux)",
       "a (comment \\( x) b", "\"quoted\" ua", "UA\tTab", ""]
SCHEMES = ["sip", "sips", "SIP", "tel", "http", "Sip", "urn", "sip "]
COMPACT = {"From": "f", "To": "t", "Call-ID": "i", "Via": "v",
           "Content-Length": "l", "Contact": "m"}
CTLS = [b"\x00", b"\x01", b"\x07", b"\x1b", b"\x7f", b"\r", b"\n", b"\x0b", b"\x0c"]


def rcase(r, s):
    return "".join(c.upper() if r.random() < 0.5 else c.lower() for c in s)


def uri(r, user=None, host=None):
    user = r.choice(USERS) if user is None else user
    host = r.choice(HOSTS) if host is None else host
    scheme = "sip" if r.random() < 0.92 else r.choice(SCHEMES)
    u = f"{scheme}:{user}@{host}" if user else f"{scheme}:{host}"
    if scheme.lower() == "tel":
        u = "tel:" + (user or "+1234")
    x = r.random()
    if x < 0.1:
        u += ";transport=udp"
    elif x < 0.15:
        u += ";lr;x=\"y\""
    elif x < 0.2:
        u += "?Subject=hi"
    elif x < 0.23:
        u = u.replace("@", ":secret@", 1)
    return u


def display(r):
    x = r.random()
    if x < 0.5:
        return ""
    if x < 0.75:
        return r.choice(['"Alice" ', 'Alice ', 'Bob  Smith\t', '"A \\"B\\" C" ', '"\xc3\xa9" '])
    return r.choice([
        '"Alice" ', 'Alice ', '"A \\"B\\" C" ', '"a<sip:evil@x>" ', 'A  B\t', '"unterminated ',
        '"esc \\\\" ', '"x\\\x00y" ', 'tok%~\'` ', '"\xc3\xa9t\xc3\xa9" ', 'a,b ', '"" ',
        '<sip:x@y> ', '"a\\\x07" ', 'Bell, Alexander ',
    ])


def addr(r, user, host):
    u = uri(r, user, host)
    d = display(r)
    x = r.random()
    if x < 0.25 and not d:
        v = u  # addr-spec
    elif x < 0.3:
        v = f"{d}< {u} >"
    else:
        v = f"{d}<{u}>"
    if r.random() < 0.7:
        v += ";tag=" + r.choice(["abc", "1", "a%41", "\"q\"", "x;tag=y", ""])
    return v


def credentials(r, user, realm):
    q = r.random()
    uname = user if q < 0.6 else r.choice(USERS)
    x = r.random()
    if x < 0.5:
        un = f'username="{uname}"'
    elif x < 0.65:
        un = f"username={uname}"
    elif x < 0.75:
        un = f'username="{uname}\\"x"'
    elif x < 0.85:
        un = f'username="{uname}", username="other"'
    else:
        un = f'UserName = "{uname}"'
    scheme = "Digest" if r.random() < 0.9 else r.choice(["digest", "DIGEST", "Basic", "NoOne"])
    y = r.random()
    if y < 0.7:
        rl = f'realm="{realm}"'
    else:
        rl = r.choice([f"realm={realm}", f'realm="{realm}", realm="other.org"', 'realm=""',
                       f'REALM = "{realm.upper()}"', f'realm="{realm}"x', f'realm="a,b"',
                       f'realm="{realm}\\"', ""])
    params = [un, 'nonce="abc"', 'uri="sip:example.org"',
              'response="0123456789abcdef0123456789abcdef"'] + ([rl] if rl else [])
    r.shuffle(params)
    sep = r.choice([", ", ",", " , ", ",\r\n  "])
    return f"{scheme} " + sep.join(params)


def base(r, i):
    method = r.choice(METHODS) if r.random() < 0.15 else r.choice(["REGISTER", "INVITE", "OPTIONS"])
    user = r.choice(USERS[:6]) if r.random() < 0.8 else r.choice(USERS)
    host = "example.org" if r.random() < 0.7 else r.choice(HOSTS)
    hdrs = [
        ["Via", f"SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bK{i:x}a;rport"],
        ["Max-Forwards", "70"],
        ["From", addr(r, user, host)],
        ["To", addr(r, user if method == "REGISTER" else r.choice(USERS[:6]), host)],
        ["Call-ID", f"agree-{i}@203.0.113.10"],
        ["CSeq", f"{r.randint(1, 99999)} {method}"],
    ]
    if r.random() < 0.8:
        hdrs.append(["User-Agent", r.choice(UAS)])
    if r.random() < 0.3:
        hdrs.append(["Contact", f"<sip:{user}@203.0.113.10:5060>"])
    if r.random() < 0.35:
        hdrs.append([r.choice(["Authorization", "Proxy-Authorization"]), credentials(r, user, host)])
    body = ""
    if r.random() < 0.2:
        body = "v=0\r\no=- 1 1 IN IP4 203.0.113.10\r\ns=-\r\n"
    hdrs.append(["Content-Length", str(len(body.encode("utf-8", "surrogateescape")))])
    ruri = uri(r, user, host) if r.random() < 0.9 else r.choice(
        ["<sip:a@example.org>", "sip:a@example.org;x", "sip:%61@example.org", "sip:[::1]",
         "nobody:opaque", "sip:a@b c", "tel:+1-800", "sip:a@example.org?x=%20"])
    return method, ruri, hdrs, body


def mutate(r, method, ruri, hdrs, body):
    """Apply one mutation in place; returns the possibly changed parts."""
    k = r.randrange(17)
    if k == 0:    # header-name case
        h = r.choice(hdrs)
        h[0] = rcase(r, h[0])
    elif k == 1:  # compact forms
        for h in hdrs:
            if h[0] in COMPACT and r.random() < 0.5:
                h[0] = COMPACT[h[0]]
    elif k == 2:  # whitespace around the colon, in the value
        h = r.choice(hdrs)
        h[0] = h[0] + r.choice([" ", "\t", "  "])
        h[1] = r.choice([" ", "\t", ""]) + h[1] + r.choice(["", " ", "\t"])
    elif k == 3:  # folding
        h = r.choice(hdrs)
        parts = h[1].split(" ")
        if len(parts) > 1:
            j = r.randrange(1, len(parts))
            h[1] = " ".join(parts[:j]) + r.choice(["\r\n ", "\r\n\t", " \r\n  "]) + " ".join(parts[j:])
        else:
            h[1] = r.choice(["\r\n ", ""]) + h[1]
    elif k == 4:  # duplicate headers, same or conflicting
        h = r.choice(hdrs)
        v = h[1] if r.random() < 0.3 else (addr(r, None, None) if h[0] in ("From", "To")
                                           else r.choice(UAS) if h[0] == "User-Agent" else h[1] + "x")
        hdrs.insert(r.randrange(len(hdrs) + 1), [r.choice([h[0], COMPACT.get(h[0], h[0])]), v])
    elif k == 5:  # a second User-Agent, or one in another spelling
        hdrs.insert(r.randrange(len(hdrs) + 1), [rcase(r, "User-Agent"), r.choice(UAS)])
    elif k == 6:  # control bytes
        h = r.choice(hdrs)
        v = h[1].encode("utf-8", "surrogateescape")
        j = r.randrange(len(v) + 1)
        c = r.choice(CTLS)
        if r.random() < 0.3:
            c = b"\\" + c
        h[1] = (v[:j] + c + v[j:]).decode("utf-8", "surrogateescape")
    elif k == 7:  # long values
        h = r.choice(hdrs)
        n = r.choice([100, 300, 1000, 2100, 4000])
        if h[0] in ("From", "To"):
            h[1] = f"<sip:{'u' * n}@example.org>;tag=1"
        else:
            h[1] = h[1] + "x" * n
    elif k == 8:  # Content-Length games
        cl = [h for h in hdrs if h[0].lower() in ("content-length", "l")]
        v = r.choice(["0", "00", "+0", "-1", "1", "999", " 0 ", "0 0", "2147483648", "0x0", "",
                      str(len(body) + 2), str(max(0, len(body) - 2))])
        if cl and r.random() < 0.8:
            cl[0][1] = v
        else:
            hdrs.append(["Content-Length", v])
        if r.random() < 0.3:
            body += r.choice(["\r\n", "garbage", "\r\n\r\nINVITE sip:x SIP/2.0\r\n"])
    elif k == 9:  # CSeq
        h = [h for h in hdrs if h[0] == "CSeq"]
        if h:
            h[0][1] = r.choice([f"0009 {method}", f"1 {method.lower()}", f"1\t{method}",
                                f"4294967296 {method}", f"1 {method} x", f"1{method}",
                                f" 1  {method}", f"-1 {method}", f"1 {method}\r\n ", "1"])
    elif k == 10:  # method spelling
        method = r.choice(METHODS)
    elif k == 11:  # R-URI
        ruri = r.choice([ruri.upper(), ruri + ";a=b", "<" + ruri + ">", ruri.replace(":", ": ", 1),
                         ruri + "%00", "sip:" + "a" * 3000 + "@example.org", "sip:@example.org"])
    elif k == 12:  # quoting in From/To
        h = [h for h in hdrs if h[0] in ("From", "To")]
        if h:
            h = r.choice(h)
            h[1] = r.choice(['"a\\" <sip:evil@x>" <sip:105@example.org>',
                             '"a" "b" <sip:105@example.org>',
                             '<sip:105@example.org>;tag="a;b"',
                             'sip:105@example.org;tag=1,<sip:evil@x>',
                             '<sip:105@example.org>, <sip:evil@example.org>',
                             '"<sip:evil@example.org>" <sip:105@example.org>',
                             'a <b> <sip:105@example.org>',
                             "sip:105@example.org?x=<sip:y@z>",
                             '<sip:105@example.org;a="b>c">',
                             '"\\' + "\x00" + '" <sip:105@example.org>'])
    elif k == 13:  # line endings
        return method, ruri, hdrs, body, r.choice(["\n", "\r\n", "\r"])
    elif k == 14:  # escapes in the user
        h = [h for h in hdrs if h[0] in ("From", "To")]
        if h:
            h = r.choice(h)
            h[1] = re.sub(r"(sips?:)([^@;>]*)@",
                          lambda mm: mm.group(1) + "".join(
                              "%%%02X" % ord(c) if r.random() < 0.4 else c for c in mm.group(2)) + "@",
                          h[1], count=1)
    elif k == 15:  # header without value, or deleted
        h = r.choice(hdrs)
        if r.random() < 0.5:
            h[1] = ""
        else:
            hdrs.remove(h)
    elif k == 16:  # a second credentials header: same user or another, either kind
        cr = [h for h in hdrs if h[0].lower() in ("authorization", "proxy-authorization")]
        user = r.choice(USERS[:6])
        realm = r.choice(["example.org", "other.org", "EXAMPLE.org"])
        if cr and r.random() < 0.5:
            m = re.search(r'username="?([^",\s]*)', cr[0][1])
            if m:
                user = m.group(1)
        name = r.choice(["Authorization", "Proxy-Authorization", "authorization"])
        hdrs.insert(r.randrange(1, len(hdrs) + 1), [name, credentials(r, user, realm)])
    return method, ruri, hdrs, body, None


def build(r, i):
    method, ruri, hdrs, body = base(r, i)
    eol = "\r\n"
    for _ in range(r.choice([0, 1, 1, 1, 2, 3])):
        method, ruri, hdrs, body, e = mutate(r, method, ruri, hdrs, body)
        if e:
            eol = e
    # A line break inside a value stays as written (folds); the line ends
    # between headers follow eol.
    lines = [f"{method} {ruri} SIP/2.0"] + [f"{n}: {v}" if not n.endswith((" ", "\t")) else f"{n}: {v}"
                                            for n, v in hdrs]
    msg = eol.join(lines) + eol + eol + body
    return msg.encode("utf-8", "surrogateescape")


def cmd_gen(a):
    r = random.Random(a.seed)
    with open(a.out, "wb") as f:
        for i in range(a.count):
            m = build(r, i)[:60000]
            f.write(struct.pack(">I", len(m)) + m)


def cmd_pack(a):
    with open(a.out, "wb") as f:
        for path in a.files:
            with open(path, "rb") as g:
                m = g.read()[:60000]
            f.write(struct.pack(">I", len(m)) + m)


def records(path):
    with open(path, "rb") as f:
        while True:
            h = f.read(4)
            if len(h) < 4:
                return
            (n,) = struct.unpack(">I", h)
            yield f.read(n)


# ------------------------------------------------------------------- sender

def marker(i, port):
    cid = f"agree-mark-{i}"
    return (f"OPTIONS sip:mark@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bKm{i}\r\n"
            f"From: <sip:mark@127.0.0.1>;tag=m\r\nTo: <sip:mark@127.0.0.1>\r\nCall-ID: {cid}\r\n"
            f"CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n").encode()


def cmd_send(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    port = s.getsockname()[1]
    dst = ("127.0.0.1", a.port)
    deadline = time.monotonic() + a.timeout
    pending = []
    n = 0

    def wait_marker(i):
        want = f"agree-mark-{i}".encode()
        tries = 0
        while True:
            if time.monotonic() > deadline:
                sys.exit(f"agree send: time limit reached at request {i}")
            s.settimeout(1.0)
            try:
                data = s.recv(65535)
            except socket.timeout:
                tries += 1
                if tries > 5:
                    sys.exit(f"agree send: no reply to marker {i}")
                s.sendto(marker(i, port), dst)  # Kamailio logs MARK twice: harmless
                continue
            if want in data and data.startswith(b"SIP/2.0 200"):
                return

    for i, m in enumerate(records(a.inp)):
        s.sendto(m, dst)
        s.sendto(marker(i, port), dst)
        pending.append(i)
        n += 1
        if len(pending) >= a.window:
            wait_marker(pending[-1])
            pending = []
    if pending:
        wait_marker(pending[-1])
    print(f"agree send: {n} requests sent")


# ----------------------------------------------------------------- compare

def unhex(h):
    return bytes.fromhex(h) if h not in ("-", "<null>") else None


def parse_kv(line):
    d = {}
    for tok in line.split(" "):
        if "=" in tok:
            k, v = tok.split("=", 1)
            d[k] = v
    return d


def kamailio_log(path):
    """request index -> None (no line: not parsed) or the AGR fields."""
    out = {}
    cur = None
    with open(path, "r", errors="replace") as f:
        for line in f:
            j = line.find("AGR s=")
            if j >= 0:
                cur = parse_kv(line[j + 4:].strip())
                continue
            j = line.find("CRD cr=")
            if j >= 0:
                if cur is not None:
                    cur["cr"] = line[j + 7:].strip()
                continue
            j = line.find("MARK agree-mark-")
            if j >= 0:
                i = int(line[j + 16:].split()[0])
                if i not in out:
                    out[i] = cur
                cur = None
    return out


def unfold(b):
    return re.sub(rb"[ \t]*\r?\n[ \t]+", b" ", b) if b is not None else None


def pct_decode(b):
    def rep(mm):
        v = int(mm.group(1), 16)
        return bytes([v]) if v else mm.group(0)
    return re.sub(rb"%([0-9a-fA-F]{2})", rep, b) if b is not None else None


def host_norm(b):
    if b is None:
        return None
    s = b.decode("latin-1").lower()
    if s.startswith("[") and s.endswith("]"):
        try:
            return "[" + str(ipaddress.IPv6Address(s[1:-1])) + "]"
        except ValueError:
            return s
    return s


def creds_list(cr):
    """',P:user:realm,A:..' -> [(type, user, realm)], and whether cut short."""
    out, cut = [], False
    for item in (cr or "").split(",")[1:]:
        if item == "E":
            cut = True
            continue
        t, u, rl = item.split(":")
        out.append((t, unhex(u), unhex(rl)))
    return out, cut


def compare_creds(sw, k):
    """Every credentials header: same kind, username and realm. Kamailio
    reads no credentials in ACK and CANCEL (its $aU is null there, and its
    auth module does not challenge them): only their number is compared."""
    if "cr" not in k:
        return ["credentials-unlogged"]
    kc, cut = creds_list(k["cr"])
    sc, _ = creds_list(sw.get("cr"))
    if cut:
        return ["credentials-unlogged"]
    if [c[0] for c in kc] != [c[0] for c in sc]:
        return ["credentials-count"]
    if unhex(k["rm"]) in (b"ACK", b"CANCEL"):
        return []
    d = []
    for (_, ku, kr), (_, su, sr) in zip(kc, sc):
        if ku != su and "auth-username" not in d:
            d.append("auth-username")
        # Kamailio's $ar is "" when there is no realm parameter; agree-read
        # says "-": the same reading (no realm to match).
        if (kr or b"") != (sr or b"") and "auth-realm" not in d:
            d.append("auth-realm")
    return d


def compare_fields(sw, k):
    """Judged fields on which the two readings differ (both passed)."""
    diffs = []
    if unhex(sw["rm"]) != unhex(k["rm"]):
        diffs.append("method")
    # User-Agent: every one, in order (policy matches each against the
    # blacklist; the server logs or routes on any of them).
    kn, _, kua = k["ua"].partition(":")
    sn, _, sua = sw["ua"].partition(":")
    kall = kua.split(",")[1:] if kua else []
    sall = sua.split(",")[1:] if sua else []
    if int(kn) != int(sn) or len(kall) != len(sall):
        diffs.append("ua-count")
    else:
        for kv, sv in zip(kall, sall):
            if unfold(bytes.fromhex(kv)).rstrip(b" \t") != bytes.fromhex(sv):
                diffs.append("user-agent")
                break
    for side in ("f", "t"):
        ku, kd = unhex(k[side + "u"]), unhex(k[side + "d"])
        su, sd = unhex(sw[side + "u"]), unhex(sw[side + "d"])
        if ku is None and kd is None:
            if su is not None:
                diffs.append(side + "-unparsed-by-kamailio")
            continue
        if su is None:
            diffs.append(side + "-unparsed-by-sipwarden")
            continue
        if pct_decode(ku or b"") != su:
            diffs.append(side + "U")
        if (host_norm(kd) or "") != (host_norm(sd) or ""):
            diffs.append(side + "d")
    # Kamailio's $ci keeps trailing whitespace; sipwarden trims it in
    # requests and replies alike, so its transactions still pair up.
    kci = unfold(unhex(k["ci"]))
    if (kci.rstrip(b" \t") if kci is not None else None) != unhex(sw["ci"]):
        diffs.append("call-id")
    kcs = unhex(k["cs"])
    try:
        kcs = int(kcs) if kcs is not None else None
    except ValueError:
        kcs = None
    scs = int(sw["cs"]) if sw["cs"] != "-" else None
    if kcs != scs:
        diffs.append("cseq")
    diffs += compare_creds(sw, k)
    return diffs


# ------------------------------------------------------------ false drops

def header_values(req, names):
    """Values of the headers named (lower-case, compact forms included), folds kept."""
    h = req.split(b"\r\n\r\n")[0]
    out = []
    for line in re.split(rb"\r\n(?![ \t])|\n(?![ \t])|\r(?![ \t\n])", h)[1:]:
        n, sep, v = line.partition(b":")
        if sep and n.strip().lower() in names:
            out.append(v)
    return out


ADDR_CLASSES = [
    ("lws-inside-angle-brackets", rb"<\s+\S|\S\s+>"),
    ("comma-in-unquoted-display-name", rb"^\s*[^\"<]*,[^\"<]*<"),
    ("two-addresses", rb"[>\w],\s*<|>\s*,\s*<"),
    ("addr-spec-then-angle", rb"^\s*sips?:[^<]*<"),
    ("two-display-name-parts", rb"\"\s+\"|^\s*\S+\s+<[^>]*>\s*<"),
]


def why_dropped(req, check):
    """The documented class (doc/agreement.md) a false drop belongs to, or
    'unexplained': every false drop is either one of these or a finding."""
    if check in ("from-parse", "to-parse"):
        vals = header_values(req, (b"from", b"f") if check[0] == "f" else (b"to", b"t"))
        for name, rx in ADDR_CLASSES:
            if any(re.search(rx, v) for v in vals):
                return name
        if any(len(v) > 2047 for v in vals):
            return "longer-than-parse-limit"
        return "unexplained"
    if check in ("from-scheme", "to-scheme", "ruri-scheme"):
        return "scheme-not-sip-sips-tel"
    if check == "ruri-parse":
        ruri = req.split(b"\r\n", 1)[0].split(b" ")
        return "longer-than-parse-limit" if len(ruri) > 1 and len(ruri[1]) > 2047 else "unexplained"
    if check == "binary":
        h = req.split(b"\r\n\r\n")[0]
        for m in re.finditer(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)|(?<!\r)\n(?![ \t])", h):
            line = h[:m.start()].split(b"\r\n")[-1]
            bs = len(h[:m.start()]) - len(h[:m.start()].rstrip(b"\\"))
            quoted = bs % 2 == 1 and line[:-1].count(b'"') % 2 == 1  # an odd run escapes it
            if not quoted:
                return "lone-cr-or-lf" if m.group(0) in (b"\r", b"\n") else "raw-control-byte"
            if m.group(0) in (b"\r", b"\n"):
                return "escaped-cr-or-lf"
            lines = h[:m.start()].split(b"\r\n")
            while len(lines) > 1 and lines[-1][:1] in (b" ", b"\t"):
                lines.pop()  # a fold: the header's name is on its first line
            if lines[-1].split(b":")[0].strip().lower() in (b"user-agent", b"authorization",
                                                        b"proxy-authorization", b"call-id",
                                                        b"i", b"cseq"):
                return "escaped-control-in-matched-header"
        return "unexplained"
    if check == "credentials":
        for v in header_values(req, (b"authorization", b"proxy-authorization")):
            if not re.match(rb"\s*digest\s", v, re.I):
                continue
            if b"\\" in v:
                return "backslash"
            if len(re.findall(rb"(?i)(?:^|[\s,])username\s*=", v)) > 1:
                return "two-usernames"
            if len(re.findall(rb"(?i)(?:^|[\s,])realm\s*=", v)) > 1:
                return "two-realms"
            if re.search(rb"(?i)^\s*digest\s*,|,\s*,|,\s*$", v):
                return "empty-list-element"
        return "junk-after-value-or-unreadable"
    if check == "creds-conflict":
        return "different-or-unreadable-usernames"
    if check == "header-syntax":
        # a lone LF or CR ends a line for sipwarden (RFC 3261 7.3.1 allows
        # neither inside a value, not even as a quoted-pair); what follows
        # it has no colon. Kamailio reads through it.
        h = req.split(b"\r\n\r\n")[0]
        if re.search(rb"\r(?!\n)|(?<!\r)\n", h):
            return "lone-cr-or-lf"
        return "unexplained"
    if check == "max-forwards-value":
        return "not-a-number-0-255"
    if check == "cseq-value":
        return "not-a-number-below-2^31"
    if check == "missing-call-id":
        return "empty-call-id"
    return "unexplained"


def cmd_compare(a):
    klog = kamailio_log(a.log)
    sw = {}
    with open(a.sw) as f:
        for line in f:
            parts = line.split()
            sw[int(parts[0])] = parse_kv(" ".join(parts[1:]))
    reqs = list(records(a.inp))
    c = collections.Counter()
    false_drops = collections.Counter()
    classes = collections.Counter()
    disagree = collections.Counter()
    examples = collections.defaultdict(list)
    per = []
    for i, req in enumerate(reqs):
        if i not in klog:
            c["missing"] += 1
            continue
        k, s = klog[i], sw[i]
        s_ok = s["s"] == "ok"
        k_ok = k is not None and k.get("s") == "ok"
        per.append(f"{i} kamailio={'unparsed' if k is None else k.get('s')} sipwarden={s['s']}" +
                   (" diff=" + ",".join(compare_fields(s, k)) if k_ok and s_ok else ""))
        if k_ok and s_ok:
            d = compare_fields(s, k)
            if d:
                c["disagree"] += 1
                for x in d:
                    disagree[x] += 1
                    if len(examples["disagree " + x]) < a.examples:
                        examples["disagree " + x].append(i)
            else:
                c["agree"] += 1
        elif k_ok:
            c["false_drop"] += 1
            why = s["s"].split(":", 1)[1]
            false_drops[why] += 1
            cls = why + "/" + why_dropped(req, why)
            classes[cls] += 1
            if cls.endswith("/unexplained") and len(examples["unexplained " + why]) < a.examples:
                examples["unexplained " + why].append(i)
            if len(examples["false_drop " + why]) < a.examples:
                examples["false_drop " + why].append(i)
        elif s_ok:
            c["sw_only_pass"] += 1
            why = "kamailio-unparsed" if k is None else "kamailio-sanity"
            c["sw_only_pass_" + why] += 1
        else:
            c["both_reject"] += 1
    rep = {"requests": len(reqs), "counts": dict(c), "false_drops_by_check": dict(false_drops),
           "false_drop_classes": dict(classes),
           "disagreements_by_field": dict(disagree),
           "examples": {k: v for k, v in examples.items()}}
    if a.per_request:
        with open(a.per_request, "w") as f:
            f.write("\n".join(per) + "\n")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rep, f, indent=1, sort_keys=True)
    print(f"agree: {len(reqs)} requests: agree={c['agree']} disagree={c['disagree']} "
          f"false_drop={c['false_drop']} both_reject={c['both_reject']} "
          f"sw_only_pass={c['sw_only_pass']} missing={c['missing']}")
    for k2, v in sorted(false_drops.items(), key=lambda x: -x[1]):
        print(f"  false drop {k2}: {v}")
    for k2, v in sorted(disagree.items(), key=lambda x: -x[1]):
        print(f"  disagreement {k2}: {v}")
    for k2, v in sorted(classes.items()):
        if k2.endswith("/unexplained"):
            print(f"  false drop {k2}: {v}")
    if a.show:
        for k2, idx in sorted(examples.items()):
            for i in idx[:a.show]:
                print(f"--- {k2} #{i}\n  kamailio: {klog[i]}\n  sipwarden: {sw[i]}\n  "
                      f"{reqs[i][:600]!r}")
    return c


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sp = p.add_subparsers(dest="cmd", required=True)
    g = sp.add_parser("gen")
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--count", type=int, default=1000)
    g.add_argument("--out", required=True)
    pk = sp.add_parser("pack")
    pk.add_argument("--out", required=True)
    pk.add_argument("files", nargs="+")
    s = sp.add_parser("send")
    s.add_argument("--in", dest="inp", required=True)
    s.add_argument("--port", type=int, default=5060)
    s.add_argument("--window", type=int, default=64)
    s.add_argument("--timeout", type=float, default=3600)
    c = sp.add_parser("compare")
    c.add_argument("--in", dest="inp", required=True)
    c.add_argument("--sw", required=True)
    c.add_argument("--log", required=True)
    c.add_argument("--json")
    c.add_argument("--per-request")
    c.add_argument("--examples", type=int, default=5)
    c.add_argument("--show", type=int, default=0)
    a = p.parse_args()
    if a.cmd == "gen":
        cmd_gen(a)
    elif a.cmd == "pack":
        cmd_pack(a)
    elif a.cmd == "send":
        cmd_send(a)
    else:
        cmd_compare(a)


if __name__ == "__main__":
    main()
