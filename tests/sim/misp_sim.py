#!/usr/bin/python3
"""MISP REST simulator for nbsoar's tests (Python stdlib only).

Seeded from the MISP fixture events (PyMISP's test files), plus --extra
synthetic events for paging.  Answers the routes PyMISP uses -- getVersion,
events/view, events/restSearch and attributes/restSearch ({"response": ...}
wrappers, limit/page, X-Result-Count = matches before paging), events/add,
attributes/add, tags/attachTagToObject, sightings/add, events/publish,
eventReports/add -- with MISP's status codes and error bodies.  Requests
without the right Authorization key get MISP's 403 "Authentication failed".

Test hooks (no key needed):
  GET  /__sim/state   {"events": [...], "sightings": [...], "requests": [{method, path,
                       status, headers (Authorization, Accept, Content-Type, User-Agent), body}]}
  POST /__sim/fault   {"mode": "none|down|500|notjson|wrongshape", "count": N (-1: until
                       changed), "match": "substring of 'METHOD /path'"}
                       down: the connection closes without an answer
  POST /__sim/touch   {"uuid": U, "timestamp"?: T, "after_page"?: P}  bump an event's
                       timestamp (default max(now, old + 1)); with after_page, right after
                       the next events/restSearch page P (non-metadata) is served
  POST /__sim/delete  {"uuid": U, "after_page"?: P}
  POST /__sim/add     {"Event": {...}, "after_page"?: P}

Usage: misp_sim.py [--fixtures DIR] [--extra N] [--key KEY] [--port 0]
The chosen port is printed alone on stdout's first line.
"""
import argparse
import json
import os
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from misp_sim_model import AUTH_FAILED, ApiError, Model  # noqa: E402
from misp_sim_routes import route  # noqa: E402


class Handler(BaseHTTPRequestHandler):
    server_version = "MISPSim/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def _send(self, status, body, headers=None, raw=None):
        data = raw if raw is not None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html" if raw is not None else "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _hang_up(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _dispatch(self, method):
        model = self.server.model
        path = self.path.split("?", 1)[0]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            self._send(400, {"name": "Malformed JSON", "message": "Malformed JSON", "url": path})
            return
        if path.startswith("/__sim/"):
            status, out = model.sim_request(method, path, body)
            self._send(status, out)
            return
        fault = model.take_fault(method, path)
        if fault == "down":
            model.record(method, path, 0)
            self._hang_up()
            return
        if fault == "500":
            model.record(method, path, 500)
            self._send(500, {"name": "An Internal Error Has Occurred.",
                             "message": "An Internal Error Has Occurred.", "url": path})
            return
        if fault == "notjson":
            model.record(method, path, 200)
            self._send(200, None, raw=b"<html><body>MISP maintenance</body></html>")
            return
        if fault == "wrongshape":
            model.record(method, path, 200)
            self._send(200, {"response": {"unexpected": True}, "Event": [1, 2]})
            return
        if self.headers.get("Authorization", "").strip() != self.server.key:
            model.record(method, path, 403, self.headers)
            self._send(403, {"name": AUTH_FAILED, "message": AUTH_FAILED, "url": path})
            return
        try:
            with model.lock:
                status, out, headers = route(model, method, path, body)
        except ApiError as e:
            status, out, headers = e.status, e.body, {}
        model.record(method, path, status, self.headers, body)
        self._send(status, out, headers)
        if path == "/events/restSearch" and status == 200 and isinstance(body, dict) \
                and not body.get("metadata"):
            model.after_page(int(body.get("page") or 1))

    def do_GET(self):
        self._dispatch("GET")

    def do_HEAD(self):
        self._dispatch("HEAD")

    def do_POST(self):
        self._dispatch("POST")


def find_fixtures():
    """$NBSOAR_FIXTURES/misp, else the nearest shared/fixtures/misp above
    this file (a worktree may sit deeper than the main checkout)."""
    env = os.environ.get("NBSOAR_FIXTURES")
    if env and os.path.isdir(os.path.join(env, "misp")):
        return os.path.join(env, "misp")
    d = os.path.dirname(os.path.abspath(__file__))
    while d != os.path.dirname(d):
        cand = os.path.join(d, "shared", "fixtures", "misp")
        if os.path.isdir(cand):
            return cand
        d = os.path.dirname(d)
    return None


def main():
    default_fixtures = find_fixtures()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fixtures", default=default_fixtures)
    ap.add_argument("--extra", type=int, default=0, help="synthetic events to add")
    ap.add_argument("--key", default="sim-misp-key-0123456789abcdef0123456789")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    if args.fixtures is None or not os.path.isdir(args.fixtures):
        sys.exit("misp_sim: no fixture folder (set NBSOAR_FIXTURES or --fixtures)")
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.model = Model(args.fixtures, args.extra)
    server.key = args.key
    sys.stdout.write("%d\n" % server.server_address[1])
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
