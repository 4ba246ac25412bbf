#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""faultproxy - an HTTP/1.1 reverse proxy to 127.0.0.1:UPSTREAM that breaks
responses on purpose, deterministically, so tests can prove a client
retries or fails cleanly and never passes on a wrong byte.

Usage: faultproxy.py --upstream PORT --mode MODE [options]

Modes (what happens to a response chosen for a fault):
  none             nothing: a plain proxy (with --rate: a slow link)
  reset            send half the body, then reset the connection (RST)
  stall            send half the body, then send nothing for --stall-seconds
                   (0: until the client gives up), then close
  500              answer "500 Internal Server Error" instead
  short            send half the body, then close cleanly (FIN): fewer
                   bytes than Content-Length
  flip             send the whole body with one byte inverted (length kept)
  persistent-flip  every response covering a byte of --flip-range (offsets
                   in the upstream resource) has the first such byte
                   inverted, every time: a verifying reader must fail (EIO)

Which responses get a fault: only GET answers with a 2xx status and a
non-empty body are eligible (with --ranged-only, only those asked with a
Range header). Then
  --first K   the first K eligible requests of each (path, Range) pair
              (the default, K=1: every range fails once, a retry succeeds)
  --every N   eligible requests number N, 2N, 3N... (counted from 1)
  --max M     at most M faults in all (stall is slow: keep M small)
persistent-flip ignores these three.

--log FILE is rewritten (atomically) after every request: JSON
  {"requests": N, "eligible": N, "injected": {"reset": N, ...}}
and each fault is also printed on stdout, one line each.

--rate BYTES_PER_SECOND caps the bandwidth of all responses together (one
token bucket shared by every connection): a link, unlike nginx's
limit_rate, which is per request.

--delay SECONDS holds every request that long before it is forwarded: a
round trip of a distant registry (requests in parallel wait together).

--requests FILE gets a line "START_NS END_NS METHOD PATH RANGE BYTES" for
each response sent (monotonic clock; RANGE "-" when none; BYTES of body
sent): which requests were in flight together, and what each cost the
link.

--timeline FILE gets a line "UNIX_TIME_NS BYTES" every 0.1 s: the body
bytes sent so far over all connections (for plots of a start over time).

Keep-alive works for every response that is not faulted; a faulted one
closes its connection. Python stdlib only.
"""

import argparse
import http.client
import http.server
import json
import os
import select
import signal
import socket
import struct
import sys
import threading
import time

HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
    "te", "trailer", "trailers", "transfer-encoding", "upgrade",
}
MODES = ("none", "reset", "stall", "500", "short", "flip", "persistent-flip")
PIECE = 64 * 1024


class Stats:
    """Counters shared by all connections, mirrored to the log file."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.requests = 0
        self.eligible = 0
        self.injected = {}
        self.per_range = {}
        self.write()

    def write(self):
        if not self.path:
            return
        data = json.dumps({"requests": self.requests, "eligible": self.eligible,
                           "injected": self.injected}, sort_keys=True)
        tmp = "%s.tmp.%d" % (self.path, threading.get_ident())
        with open(tmp, "w") as f:
            f.write(data + "\n")
        os.replace(tmp, self.path)

    def injected_total(self):
        return sum(self.injected.values())


class Bucket:
    """A shared link of RATE bytes/s: each piece reserves its slot in time."""

    def __init__(self, rate):
        self.rate = rate
        self.lock = threading.Lock()
        self.t = time.monotonic()
        self.sent = 0

    def take(self, n):
        with self.lock:
            self.sent += n
        if not self.rate:
            return
        with self.lock:
            now = time.monotonic()
            # an idle link does not bank credit beyond a few milliseconds
            start = max(self.t, now - 0.005)
            self.t = start + n / self.rate
            wait = self.t - now
        if wait > 0:
            time.sleep(wait)


def parse_range(spec):
    a, _, b = spec.partition("-")
    return int(a), int(b)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "faultproxy"
    upstream = None

    def log_message(self, fmt, *args):
        pass

    # --- choosing ---------------------------------------------------------

    def choose(self, status, body_len):
        """The fault for this response, or None; counts it."""
        cfg = self.server.cfg
        st = self.server.stats
        with st.lock:
            st.requests += 1
            fault = None
            eligible = (self.command == "GET" and 200 <= status < 300 and body_len > 0
                        and (not cfg.ranged_only or self.headers.get("Range")))
            if eligible:
                st.eligible += 1
                if cfg.mode == "persistent-flip":
                    fault = "persistent-flip"  # decided per byte while sending
                elif cfg.mode != "none" and (cfg.max is None or st.injected_total() < cfg.max):
                    if cfg.every:
                        hit = st.eligible % cfg.every == 0
                    else:
                        key = (self.path, self.headers.get("Range", ""))
                        n = st.per_range.get(key, 0) + 1
                        st.per_range[key] = n
                        hit = n <= cfg.first
                    if hit:
                        fault = cfg.mode
            if fault and fault != "persistent-flip":
                self.count(fault)
            st.write()
            return fault

    def count(self, kind):
        # called with stats.lock held
        st = self.server.stats
        st.injected[kind] = st.injected.get(kind, 0) + 1
        print("faultproxy: %s %s %s Range=%s" % (kind, self.command, self.path,
                                                 self.headers.get("Range", "-")),
              flush=True)

    # --- upstream ---------------------------------------------------------

    def forward(self, body):
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in HOP_BY_HOP}
        for attempt in (0, 1):
            if self.upstream is None:
                self.upstream = http.client.HTTPConnection(
                    "127.0.0.1", self.server.cfg.upstream, timeout=60)
            try:
                self.upstream.request(self.command, self.path, body=body,
                                      headers=headers)
                return self.upstream.getresponse()
            except (ConnectionError, http.client.HTTPException, OSError):
                self.drop_upstream()
                if attempt:
                    raise

    def drop_upstream(self):
        if self.upstream is not None:
            self.upstream.close()
            self.upstream = None

    # --- serving ----------------------------------------------------------

    def handle_any(self):
        t0 = time.monotonic_ns()
        self.body_sent = 0
        try:
            self.proxy_one()
        finally:
            self.note(t0)

    def note(self, t0):
        path = self.server.cfg.requests
        if not path:
            return
        line = "%d %d %s %s %s %d\n" % (t0, time.monotonic_ns(), self.command,
                                        self.path, self.headers.get("Range", "-").replace(" ", ""),
                                        self.body_sent)
        with self.server.stats.lock:
            with open(path, "a") as f:
                f.write(line)

    def proxy_one(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.send_error(501, "chunked request bodies are not supported")
            return
        n = int(self.headers.get("Content-Length", 0) or 0)
        body = self.rfile.read(n) if n else None
        if self.server.cfg.delay:
            time.sleep(self.server.cfg.delay)
        try:
            resp = self.forward(body)
        except Exception as e:  # noqa: BLE001 - any upstream failure is a 502
            self.send_error(502, "upstream: %s" % e)
            return

        length = resp.getheader("Content-Length")
        no_body = self.command == "HEAD" or resp.status in (204, 304) or resp.status < 200
        buffered = None
        if not no_body and length is None:
            # chunked or close-delimited upstream: small documents, resend whole
            buffered = resp.read()
            length = str(len(buffered))
        body_len = 0 if no_body else int(length)
        fault = self.choose(resp.status, body_len)

        if fault == "500":
            self.drop_upstream()  # the body is never read: the connection is spoiled
            msg = b"faultproxy: injected 500\n"
            self.send_response(500)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(msg)))
            self.end_headers()
            self.wfile.write(msg)
            return

        self.send_response(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() in HOP_BY_HOP or k.lower() == "content-length":
                continue
            self.send_header(k, v)
        if length is not None:
            self.send_header("Content-Length", length)
        if fault:
            self.send_header("Connection", "close")
        self.end_headers()
        if no_body:
            return

        start = 0
        cr = resp.getheader("Content-Range", "")
        if resp.status == 206 and cr.startswith("bytes "):
            start = int(cr[6:].split("-", 1)[0])
        cut = body_len // 2  # where reset, stall, short and flip strike
        sent = 0
        while sent < body_len:
            if buffered is not None:
                piece = buffered[sent:sent + PIECE]
            else:
                piece = resp.read(min(PIECE, body_len - sent))
            if not piece:
                break  # upstream ended early: the client sees a short body
            if fault in ("reset", "stall", "short") and sent + len(piece) > cut:
                piece = piece[:cut - sent]
                self.send(piece)
                self.drop_upstream()
                getattr(self, "fault_" + fault)()
                return
            if fault == "flip" and sent <= cut < sent + len(piece):
                piece = flip(piece, cut - sent)
            if fault == "persistent-flip":
                piece = self.persistent_flip(piece, start + sent)
            self.send(piece)
            sent += len(piece)
        if sent < body_len:
            self.drop_upstream()
            self.close_connection = True
        if fault:
            self.close_connection = True

    def send(self, piece):
        self.server.bucket.take(len(piece))
        self.wfile.write(piece)
        self.body_sent += len(piece)

    def persistent_flip(self, piece, off):
        a, b = self.server.cfg.flip_range
        lo, hi = max(a, off), min(b + 1, off + len(piece))
        if lo >= hi:
            return piece
        with self.server.stats.lock:
            self.count("persistent-flip")
            self.server.stats.write()
        return flip(piece, lo - off)

    def fault_reset(self):
        s = self.connection
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()  # linger 0: the kernel answers with RST, not FIN
        self.close_connection = True

    def fault_stall(self):
        secs = self.server.cfg.stall_seconds
        end = time.monotonic() + secs if secs else None
        s = self.connection
        while end is None or time.monotonic() < end:
            left = 1.0 if end is None else min(1.0, end - time.monotonic())
            r, _, _ = select.select([s], [], [], max(left, 0))
            if r:
                try:
                    if not s.recv(1, socket.MSG_PEEK):
                        break  # the client gave up
                except OSError:
                    break
                time.sleep(0.05)  # a pipelined request: keep stalling
        self.close_connection = True

    def fault_short(self):
        self.close_connection = True  # socketserver shuts down with FIN

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any


def timeline(bucket, path):
    with open(path, "a", buffering=1) as f:
        while True:
            with bucket.lock:
                sent = bucket.sent
            f.write("%d %d\n" % (time.time_ns(), sent))
            time.sleep(0.1)


def flip(piece, i):
    b = bytearray(piece)
    b[i] ^= 0xFF
    return bytes(b)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default listen backlog is 5: a client opening more
    # connections at once (a mount's parallel range requests and
    # prefetch workers) overflowed it, and the SYN dropped was sent again
    # only after TCP's 1 s timeout (a registry listens with the system's
    # maximum)
    request_queue_size = socket.SOMAXCONN

    def get_request(self):
        # as registries and nginx do: without it the last small segment
        # of a body waits for the client's delayed ACK (up to 40 ms), and
        # a reader of one file after another pays it per file
        conn, addr = super().get_request()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn, addr

    def handle_error(self, request, client_address):
        # a client that hangs up mid-body is routine here, not news
        if not isinstance(sys.exc_info()[1], (ConnectionError, OSError)):
            super().handle_error(request, client_address)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--upstream", type=int, required=True, help="port on 127.0.0.1")
    p.add_argument("--listen", type=int, default=0, help="port (0: any free one)")
    p.add_argument("--port-file", help="write the port listened on here")
    p.add_argument("--mode", choices=MODES, required=True)
    p.add_argument("--first", type=int, default=1)
    p.add_argument("--every", type=int, default=0)
    p.add_argument("--max", type=int, default=None)
    p.add_argument("--ranged-only", action="store_true")
    p.add_argument("--stall-seconds", type=float, default=60.0)
    p.add_argument("--flip-range", type=parse_range, default=(0, 0),
                   help="A-B, inclusive byte offsets, for persistent-flip")
    p.add_argument("--rate", type=float, default=0, help="bytes per second, all together")
    p.add_argument("--log", help="JSON counters file")
    p.add_argument("--delay", type=float, default=0,
                   help="seconds each request waits before it is forwarded")
    p.add_argument("--requests", help="one line per response: start, end, request")
    p.add_argument("--timeline", help="bytes sent over time, every 0.1 s")
    cfg = p.parse_args()

    srv = Server(("127.0.0.1", cfg.listen), Handler)
    srv.cfg = cfg
    srv.stats = Stats(cfg.log)
    srv.bucket = Bucket(cfg.rate)
    if cfg.timeline:
        threading.Thread(target=timeline, args=(srv.bucket, cfg.timeline),
                         daemon=True).start()
    port = srv.server_address[1]
    if cfg.port_file:
        tmp = cfg.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, cfg.port_file)
    print("faultproxy: listening on 127.0.0.1:%d, upstream 127.0.0.1:%d, mode %s"
          % (port, cfg.upstream, cfg.mode), flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        srv.serve_forever()
    finally:
        srv.server_close()


if __name__ == "__main__":
    main()
