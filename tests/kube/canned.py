#!/usr/bin/env python3
"""Canned Kubernetes-shaped replies for what a real API server won't produce on demand.

Usage: canned.py PORTFILE   (listens on 127.0.0.1:<random>, writes the port to PORTFILE)

  GET /api/v1                                     discovery: configmaps (namespaced)
  GET /api/v1/namespaces/N/configmaps/r429        429 + Retry-After: 1 the first time, then 200
  GET .../configmaps/r503                         503 twice, then 200
  GET .../configmaps/r500                         always 500 with a Status (must not be retried)
  GET .../configmaps/trunc                        Content-Length 1000, 20 bytes, connection closed
  GET .../configmaps/whoami                       200, data.token = the bearer token it got
  GET .../configmaps/need-tok2                    401 unless the bearer token is "tok2"
  GET .../configmaps?watch=1...                   one ADDED event (rv 5) then the connection drops;
                                                  from resourceVersion=5: a MODIFIED event (rv 6), end;
                                                  from "gone": an ERROR event (410); from 10: BOOKMARK
                                                  (rv 11), DELETED (rv 12), end
                                                  from "hang": headers, then 5 s of silence
  GET .../configmaps                              a list: one item, resourceVersion 10
  GET .../configmaps/slow                         sleeps 5 s before answering
  GET /count/NAME                                 how many requests NAME got; /reset clears
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs

counts = {}
lock = threading.Lock()
seen = {}


def bump(name):
    with lock:
        counts[name] = counts.get(name, 0) + 1
        return counts[name]


def cm(name, rv, data=None):
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": "ns", "resourceVersion": str(rv)},
            "data": data or {}}


def status(code, reason, msg):
    return {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": msg,
            "reason": reason, "code": code}


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("canned: " + (fmt % args) + "\n")

    def reply(self, code, obj, headers=()):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def chunk(self, obj):
        line = (json.dumps(obj) + "\n").encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
        self.wfile.flush()

    def do_GET(self):
        u = urlparse(self.path)
        q = parse_qs(u.query)
        parts = u.path.strip("/").split("/")
        if u.path == "/reset":
            with lock:
                counts.clear()
            return self.reply(200, {})
        if parts[0] == "count":
            with lock:
                return self.reply(200, {"count": counts.get(parts[1], 0), "seen": seen.get(parts[1], "")})
        if u.path == "/api/v1":
            return self.reply(200, {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
                {"name": "configmaps", "namespaced": True, "kind": "ConfigMap", "verbs": ["get", "list", "watch"]}]})
        if len(parts) == 5 and parts[4] == "configmaps" and q.get("watch") == ["1"]:
            rv = q.get("resourceVersion", [""])[0]
            n = bump("watch")
            with lock:
                seen["watch"] = seen.get("watch", "") + "rv=%s;" % rv
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            if rv == "hang":  # headers, then silence: a dead peer the low-speed limit must catch
                self.wfile.flush()
                time.sleep(5)
                self.wfile.write(b"0\r\n\r\n")
                return
            if rv == "gone":  # the version is too old: an ERROR event with a 410 Status, then the end
                self.chunk({"type": "ERROR", "object": status(410, "Expired", "too old resource version: 1 (7)")})
                self.wfile.write(b"0\r\n\r\n")
                return
            if rv == "10":
                self.chunk({"type": "BOOKMARK", "object": {"kind": "ConfigMap", "apiVersion": "v1",
                                                           "metadata": {"resourceVersion": "11"}}})
                self.chunk({"type": "DELETED", "object": cm("listed", 12)})
                self.wfile.write(b"0\r\n\r\n")
                return
            if rv == "5":
                self.chunk({"type": "MODIFIED", "object": cm("w", 6)})
                self.wfile.write(b"0\r\n\r\n")
                return
            # half an event, then the rest, then a dropped connection (no last chunk)
            line = json.dumps({"type": "ADDED", "object": cm("w", 5)}) + "\n"
            half = len(line) // 2
            self.wfile.write(b"%x\r\n%s\r\n" % (half, line[:half].encode()))
            self.wfile.flush()
            time.sleep(0.2)
            self.wfile.write(b"%x\r\n%s\r\n" % (len(line) - half, line[half:].encode()))
            self.wfile.flush()
            time.sleep(0.2)
            self.close_connection = True
            return
        if len(parts) == 5 and parts[4] == "configmaps":  # a list (after a 410): one item at rv 10
            bump("list")
            return self.reply(200, {"kind": "ConfigMapList", "apiVersion": "v1",
                                    "metadata": {"resourceVersion": "10"},
                                    "items": [{"metadata": {"name": "listed", "resourceVersion": "9"}}]})
        if len(parts) != 6 or parts[4] != "configmaps":
            return self.reply(404, status(404, "NotFound", "no route %s" % u.path))
        name = parts[5]
        n = bump(name)
        auth = self.headers.get("Authorization", "")
        if name == "r429":
            if n == 1:
                return self.reply(429, status(429, "TooManyRequests", "slow down"), [("Retry-After", "1")])
            return self.reply(200, cm(name, n))
        if name == "r503":
            if n <= 2:
                return self.reply(503, status(503, "ServiceUnavailable", "not now"))
            return self.reply(200, cm(name, n))
        if name == "r500":
            return self.reply(500, status(500, "InternalError", ".bogus: field not declared in schema"))
        if name == "trunc":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b'{"kind":"ConfigMap",')
            self.wfile.flush()
            self.close_connection = True
            return
        if name == "whoami":
            return self.reply(200, cm(name, n, {"token": auth[7:] if auth.startswith("Bearer ") else ""}))
        if name == "need-tok2":
            if auth != "Bearer tok2":
                return self.reply(401, status(401, "Unauthorized", "Unauthorized"))
            return self.reply(200, cm(name, n))
        if name == "slow":
            time.sleep(5)
            return self.reply(200, cm(name, n))
        return self.reply(404, status(404, "NotFound", 'configmaps "%s" not found' % name))


def exit_with_parent():
    """Gone with the test script, however it ends (even SIGKILL): no process left behind."""
    import os
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def main():
    threading.Thread(target=exit_with_parent, daemon=True).start()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    srv.daemon_threads = True
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    srv.serve_forever()


if __name__ == "__main__":
    main()
