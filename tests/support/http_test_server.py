#!/usr/bin/python3
"""Loopback HTTP(S) server for the HTTP client tests (stdlib only).

Binds 127.0.0.1 on a free port, prints the port on stdout, serves until
killed.  Behaviour is chosen by path and query; every request is counted
under its `name` parameter (default: the path) so tests can check how many
attempts arrived:

  /json                 200 {"method", "path"}
  /echo                 200 {"method", "content_type", "body", "headers"}
  /text                 200 text/plain "hello"
  /count?name=N         {"count": requests seen under N} (not counted)
  /status?code=C&fail=K answers C (with ?body=, ?retry_after=S, ?retry_after_date=S
                        seconds from now, ?echo=1 (echoes the Authorization header)) for the first K requests
                        (all when fail is absent), then 200
  /sleep?ms=M           sleeps M ms, then 200
  /redirect             302 to /json
  /stream?chunks=K&sleep_ms=M  sends K lines, then sleeps M ms before closing
An absolute-form request target (http://host/...) is answered as a forward
proxy would, with {"proxied": true, "target": ...}.
"""
import argparse
import email.utils
import json
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

counts = {}
counts_lock = threading.Lock()


def count(name):
    with counts_lock:
        counts[name] = counts.get(name, 0) + 1
        return counts[name]


class Handler(BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def reply(self, code, body, content_type="application/json", extra=None):
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def reply_json(self, code, obj, extra=None):
        self.reply(code, json.dumps(obj), extra=extra)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.path.startswith("http://"):
            count("proxy")
            self.reply_json(200, {"proxied": True, "target": self.path})
            return
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/count":
            with counts_lock:
                self.reply_json(200, {"count": counts.get(q.get("name", ""), 0)})
            return
        n = count(q.get("name", url.path))
        if url.path == "/json":
            self.reply_json(200, {"method": self.command, "path": url.path})
        elif url.path == "/echo":
            self.reply_json(200, {
                "method": self.command,
                "content_type": self.headers.get("Content-Type"),
                "body": raw.decode(errors="replace"),
                "headers": {k.lower(): v for k, v in self.headers.items()},
            })
        elif url.path == "/text":
            self.reply(200, "hello", "text/plain")
        elif url.path == "/status":
            fail = int(q.get("fail", "1000000"))
            if n > fail:
                self.reply_json(200, {"ok": True, "attempt": n})
                return
            extra = {}
            if "retry_after" in q:
                extra["Retry-After"] = q["retry_after"]
            if "retry_after_date" in q:
                when = time.time() + float(q["retry_after_date"])
                extra["Retry-After"] = email.utils.formatdate(when, usegmt=True)
            body = q.get("body", "failure")
            if q.get("echo"):
                body += " you sent: " + str(self.headers.get("Authorization"))
            self.reply_json(int(q["code"]), {"error": body}, extra)
        elif url.path == "/redirect":
            self.reply_json(302, {"moved": True}, {"Location": "/json"})
        elif url.path == "/sleep":
            time.sleep(int(q.get("ms", "1000")) / 1000.0)
            self.reply_json(200, {"slept": True})
        elif url.path == "/stream":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            for i in range(int(q.get("chunks", "3"))):
                self.wfile.write(b"line %d\n" % i)
                self.wfile.flush()
            time.sleep(int(q.get("sleep_ms", "0")) / 1000.0)
        else:
            self.reply_json(404, {"error": "no route " + url.path})

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = do_PATCH = handle_any


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert")
    ap.add_argument("--key")
    args = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
