#!/usr/bin/env python3
"""What an unauthenticated client can throw at gitseal-controller, for tests/kube/t62*.sh.
Loopback only; every mode is bounded in connections and time.

  hostile.py promcheck FILE                  every line of FILE in the Prometheus text format
  hostile.py methods PORT N                  N requests with invented and hostile methods
  hostile.py trickle PORT N SECONDS [SRC]    N connections sending one header byte a second;
                                             prints "opened= closed= closed_fast= lived_max="
  hostile.py slowbody PORT N BYTES SECONDS PID
                                             N connections (from several 127.0.0.x) each POSTing
                                             a 2 MB body of which BYTES are sent, then silence;
                                             prints "rss_before=.. rss_peak=.. rss_after=.." (KiB)
                                             of PID, the last 3 s after they all closed
  hostile.py flood PORT FILE SECONDS C       C clients POSTing FILE to /v1/rotate and /v1/verify
                                             from 127.0.0.10+i for SECONDS; prints answer counts
  hostile.py memscan PID NEEDLE...           exit 1 (naming them) if a needle is in PID's memory
  hostile.py logcheck FILE text|json         every line one record of that format
"""
import json
import os
import re
import selectors
import socket
import sys
import threading
import time

HOST = "127.0.0.1"


def die(msg):
    print(msg)
    sys.exit(1)


# ---- Prometheus text format (0.0.4) ------------------------------------------------------------

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(
    r"^(%s)(\{(?:%s(?:,%s)*,?)?\})? ([-+]?(?:[0-9.eE+-]+|NaN|Inf|\+Inf|-Inf))( -?[0-9]+)?$"
    % (NAME, LABEL, LABEL))
HELP = re.compile(r"^# HELP (%s) (?:[^\\\n]|\\[\\n])*$" % NAME)
TYPE = re.compile(r"^# TYPE (%s) (counter|gauge|histogram|summary|untyped)$" % NAME)


def promcheck(path):
    data = open(path, "rb").read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        die("not UTF-8: %s" % e)
    if not text.endswith("\n"):
        die("does not end with a newline (cut?)")
    typed = set()
    n = 0
    for i, line in enumerate(text.split("\n")[:-1], 1):
        if line.startswith("# TYPE "):
            m = TYPE.match(line)
            if not m:
                die("line %d: bad TYPE: %r" % (i, line))
            if m.group(1) in typed:
                die("line %d: second TYPE for %s" % (i, m.group(1)))
            typed.add(m.group(1))
        elif line.startswith("# HELP "):
            if not HELP.match(line):
                die("line %d: bad HELP: %r" % (i, line))
        elif line.startswith("#"):
            continue
        elif not SAMPLE.match(line):
            die("line %d: not a sample: %r" % (i, line))
        else:
            n += 1
    print("samples=%d families=%d" % (n, len(typed)))


# ---- raw requests -------------------------------------------------------------------------------

def raw(port, data, src=None, timeout=5):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if src:
        s.bind((src, 0))
    s.connect((HOST, port))
    s.sendall(data)
    out = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
    except socket.timeout:
        pass
    s.close()
    return out


def methods(port, n):
    hostile = [b'X"}{a=', b"GET\\", b'M\\"', b"\xff\xfe", b"PO\"ST", b"G" * 200]
    codes = {}
    for i in range(n):
        m = hostile[i % len(hostile)] if i < len(hostile) else b"INVENTED%d" % i
        path = b"/healthz" if i % 2 else b"/x%d" % i
        r = raw(port, m + b" " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        code = r[9:12].decode("latin-1") if r.startswith(b"HTTP/1.") else "none"
        codes[code] = codes.get(code, 0) + 1
    print(" ".join("%s=%d" % kv for kv in sorted(codes.items())))


# ---- slow clients -------------------------------------------------------------------------------

def trickle(port, n, seconds, src=None):
    sel = selectors.DefaultSelector()
    req = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 4000
    conns = {}
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if src:
            s.bind((src, 0))
        try:
            s.connect((HOST, port))
        except OSError:
            s.close()
            continue
        s.setblocking(False)
        conns[s] = [time.time(), 0, None]  # opened, bytes sent, closed at
        sel.register(s, selectors.EVENT_READ)
    end = time.time() + seconds
    while time.time() < end:
        for s, st in conns.items():
            if st[2] is None and st[1] < len(req):
                try:
                    s.send(req[st[1]:st[1] + 1])
                    st[1] += 1
                except OSError:
                    st[2] = time.time()
        deadline = time.time() + 1.0
        while time.time() < deadline:
            for key, _ in sel.select(timeout=max(0.0, deadline - time.time())):
                s = key.fileobj
                try:
                    d = s.recv(4096)
                except OSError:
                    d = b""
                if not d:
                    sel.unregister(s)
                    conns[s][2] = time.time()
    closed = [st for st in conns.values() if st[2] is not None]
    lived = max([st[2] - st[0] for st in closed] or [0])
    fast = len([st for st in closed if st[2] - st[0] < 0.5])
    for s in conns:
        s.close()
    print("opened=%d closed=%d closed_fast=%d lived_max=%.1f"
          % (len(conns), len(closed), fast, lived))


def rss_kib(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def slowbody(port, n, nbytes, seconds, pid):
    before = rss_kib(pid)
    socks = []
    head = (b"POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 2000000\r\n\r\n")
    chunk = b"x" * nbytes
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.%d" % (20 + i // 25), 0))  # 25 per address: under the per-IP limit
        s.settimeout(2)
        try:
            s.connect((HOST, port))
            s.sendall(head)
            s.sendall(chunk)
        except OSError:
            pass
        socks.append(s)
    peak = rss_kib(pid)
    end = time.time() + seconds
    while time.time() < end:
        time.sleep(0.2)
        peak = max(peak, rss_kib(pid))
    for s in socks:
        s.close()
    time.sleep(3)
    print("rss_before=%d rss_peak=%d rss_after=%d" % (before, peak, rss_kib(pid)))


# ---- CPU flood ----------------------------------------------------------------------------------

def flood(port, path, seconds, clients):
    body = open(path, "rb").read()
    codes = {}
    lock = threading.Lock()
    end = time.time() + seconds

    def client(i):
        route = b"/v1/rotate" if i % 2 else b"/v1/verify"
        req = (b"POST " + route + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
               b"Content-Length: %d\r\n\r\n" % len(body)) + body
        while time.time() < end:
            try:
                r = raw(port, req, src="127.0.0.%d" % (10 + i), timeout=30)
                code = r[9:12].decode("latin-1") if r else "none"
            except OSError:
                code = "err"
            with lock:
                codes[code] = codes.get(code, 0) + 1

    ts = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print(" ".join("%s=%d" % kv for kv in sorted(codes.items())))


# ---- memory scan --------------------------------------------------------------------------------

def memscan(pid, needles):
    found = set()
    want = [n.encode() for n in needles]
    overlap = max(len(w) for w in want) - 1
    step = 64 << 20
    with open("/proc/%d/maps" % pid) as maps, open("/proc/%d/mem" % pid, "rb", 0) as mem:
        for line in maps:
            f = line.split()
            lo, hi = (int(x, 16) for x in f[0].split("-"))
            if f[1][0] != "r" or (len(f) > 5 and f[5] in ("[vvar]", "[vsyscall]")):
                continue
            if hi - lo > 64 << 30:
                continue  # a sanitizer's shadow memory (terabytes, never data)
            pos = lo
            while pos < hi:
                n = min(step, hi - pos)
                try:
                    mem.seek(pos)
                    chunk = mem.read(n + (overlap if pos + n < hi else 0))
                except (OSError, ValueError, OverflowError):
                    break
                for w in want:
                    if w in chunk:
                        found.add(w.decode())
                pos += n
    if found:
        die("found in memory: " + ", ".join(sorted(found)))
    print("none of %d needles in memory" % len(needles))


# ---- logs ---------------------------------------------------------------------------------------

LOGFMT = re.compile(
    r'^time=\S+ level=(debug|info|warn|error) msg="(?:[^"\\]|\\.)*"'
    r'( [A-Za-z0-9_.:/-]+=(?:"(?:[^"\\]|\\.)*"|[^ "=\\]+))*$')


def logcheck(path, fmt):
    data = open(path, "rb").read().decode("utf-8", "replace")
    n = 0
    for i, line in enumerate(data.split("\n")[:-1], 1):
        if fmt == "json":
            try:
                rec = json.loads(line)
            except ValueError:
                die("line %d: not one JSON record: %r" % (i, line[:300]))
            if not isinstance(rec, dict) or "msg" not in rec or "time" not in rec:
                die("line %d: not a log record: %r" % (i, line[:300]))
        elif not LOGFMT.match(line):
            die("line %d: not one logfmt record: %r" % (i, line[:300]))
        n += 1
    print("records=%d" % n)


def main():
    a = sys.argv[1:]
    if not a:
        die(__doc__)
    m = a[0]
    if m == "promcheck":
        promcheck(a[1])
    elif m == "methods":
        methods(int(a[1]), int(a[2]))
    elif m == "trickle":
        trickle(int(a[1]), int(a[2]), float(a[3]), a[4] if len(a) > 4 else None)
    elif m == "slowbody":
        slowbody(int(a[1]), int(a[2]), int(a[3]), float(a[4]), int(a[5]))
    elif m == "flood":
        flood(int(a[1]), a[2], float(a[3]), int(a[4]))
    elif m == "memscan":
        memscan(int(a[1]), a[2:])
    elif m == "logcheck":
        logcheck(a[1], a[2])
    else:
        die(__doc__)


if __name__ == "__main__":
    main()
