#!/usr/bin/env python3
"""A server that stalls, for deadline tests (tests/git/servers.sh gs_stall_start).

  stall.py PORTFILE                      accept, read everything, never answer
  stall.py PORTFILE UPSTREAM_PORT N      relay to 127.0.0.1:UPSTREAM_PORT, but pass only the
                                         first N bytes of each reply and then go silent

Binds 127.0.0.1 on a free port and writes it to PORTFILE. Connections stay open until
the client gives up; nothing is ever closed from this side.
"""
import os
import socket
import sys
import threading


def drain(src, dst=None, limit=None):
    sent = 0
    try:
        while True:
            data = src.recv(65536)
            if not data:
                return
            if dst is None:
                continue
            if limit is not None:
                if sent >= limit:
                    continue  # swallow: the client sees a stall
                data = data[: limit - sent]
            dst.sendall(data)
            sent += len(data)
    except OSError:
        return


def serve(conn, upstream, limit):
    if upstream is None:
        drain(conn)
        return
    try:
        up = socket.create_connection(("127.0.0.1", upstream))
    except OSError:
        return
    threading.Thread(target=drain, args=(conn, up), daemon=True).start()
    drain(up, conn, limit)
    # upstream ended: keep the client waiting anyway
    drain(conn)


def main():
    portfile = sys.argv[1]
    upstream = int(sys.argv[2]) if len(sys.argv) > 2 else None
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else None
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(s.getsockname()[1]))
    os.rename(portfile + ".tmp", portfile)
    held = []
    while True:
        conn, _ = s.accept()
        held.append(conn)
        threading.Thread(target=serve, args=(conn, upstream, limit), daemon=True).start()


if __name__ == "__main__":
    main()
