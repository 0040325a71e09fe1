#!/usr/bin/python3
"""Splunk (splunkd + Enterprise Security) simulator for nbsoar's tests
(Python stdlib only).

Answers what the splunk connector needs, the way splunkd does:
  POST /services/auth/login            form username, password -> {"sessionKey"}
  POST /services/search/v2/jobs/export  (and /services/search/jobs/export)
        form search, earliest_time, latest_time, output_mode=json: streamed with
        chunked transfer encoding as JSON lines: one preview row first
        ({"preview":true,...}, superseded by the final rows), then
        {"preview":false,"offset":N,"result":{...}} newest first, "lastrow": true
        on the last ({"preview":false,"lastrow":true} alone when nothing
        matched), then an INFO message line.  Chunks are cut every
        --chunk-bytes bytes, wherever that falls in a line.
  GET  /services/saved/searches/{name}, /servicesNS/{user}/{app}/saved/searches/{name}
  POST /services/notable_update        form ruleUIDs, status, urgency, newOwner,
                                       comment, disposition (ES's checks)
Auth: "Authorization: Bearer <--token>" or "Splunk <sessionKey>"; otherwise 401
{"messages":[{"type":"WARN","text":"call not properly authenticated"}]}.

Test hooks, never authenticated:
  GET  /__sim/state    notables, updates, counts (export, login, notable_update,
                       saved_search per name), the request log, live sessions
  POST /__sim/fail     {"mode": "none|down|500|cut|search_error|slow", "count": N,
                        "match": "POST /services/search", "after": ROWS,
                        "delay": S, "text": "..."}
                       down: connection closed unanswered; 500: splunkd error;
                       cut: the stream stops dead after `after` rows (no last
                       chunk); search_error: an ERROR message line after `after`
                       rows; slow: `delay` seconds between chunks
  POST /__sim/add      {"count": N, "age": S}: notables indexed now with an
                       _time S seconds ago (late events)
  POST /__sim/expire   forget every session key (splunkd restarted)

Usage: splunk_sim.py [--port 0] [--notables 1000] [--span 3000] [--token T]
                     [--user U --password P] [--chunk-bytes 4096] [--chunk-delay S]
                     [--cert cert.pem --key key.pem]
The chosen port is printed alone on stdout's first line.
"""
import argparse
import json
import time
import urllib.parse

from sim_common import SimHandler, serve
from splunk_sim_model import ApiError, Model, messages


def compact(obj):
    """One export line as splunkd writes it: compact JSON."""
    return json.dumps(obj, separators=(",", ":")).encode()


class Handler(SimHandler):
    server_version = "Splunkd"
    json_content_type = "application/json; charset=UTF-8"

    def _chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _stream_export(self, rows, failure):
        """The export body, cut into chunks of chunk_bytes."""
        model = self.server.model
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        mode = failure["mode"] if failure else None
        delay = failure["delay"] if mode == "slow" else model.chunk_delay
        pending = bytearray()

        def flush(final=False):
            while len(pending) >= model.chunk_bytes or (final and pending):
                self._chunk(bytes(pending[:model.chunk_bytes]))
                del pending[:model.chunk_bytes]
                if delay:
                    time.sleep(delay)

        if rows:
            # A preview of a partial result, which the final rows supersede.
            preview = dict(rows[0], event_id="PREVIEW@@notable@@0")
            pending += compact({"preview": True, "offset": 0, "result": preview}) + b"\n"
        for i, row in enumerate(rows):
            if mode == "cut" and i == failure["after"]:
                flush(final=True)
                self._hang_up()
                return
            if mode == "search_error" and i == failure["after"]:
                break
            line = {"preview": False, "offset": i}
            if i == len(rows) - 1:
                line["lastrow"] = True
            line["result"] = row
            pending += compact(line) + b"\n"
            flush()
        if not rows and mode != "search_error":
            pending += compact({"preview": False, "lastrow": True}) + b"\n"
        if mode == "search_error":
            pending += compact(dict(preview=False, **messages("ERROR", failure["text"]))) + b"\n"
        elif mode == "cut":  # fewer rows than `after`: cut at the end
            flush(final=True)
            self._hang_up()
            return
        pending += compact(dict(preview=False, **messages(
            "INFO", "Search finished: %d results" % len(rows)))) + b"\n"
        flush(final=True)
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _route(self, method, path, query, form):
        model = self.server.model
        if method == "POST" and path == "/services/auth/login":
            with model.lock:
                key = model.login(form)
            if form.get("output_mode", [""])[0] == "json":
                return 200, {"sessionKey": key}
            return 200, "<response><sessionKey>%s</sessionKey></response>" % key
        model.authenticate(self.headers.get("Authorization"))
        if method == "POST" and path in ("/services/search/v2/jobs/export",
                                         "/services/search/jobs/export"):
            with model.lock:
                rows = [dict(r) for r in model.export_rows(form)]
            return "stream", rows
        parts = path.split("/")
        if method == "GET" and (path.startswith("/services/saved/searches/") and len(parts) == 5
                                or path.startswith("/servicesNS/") and len(parts) == 7
                                and parts[4:6] == ["saved", "searches"]):
            with model.lock:
                return 200, model.saved_search(urllib.parse.unquote(parts[-1]))
        if method == "POST" and path == "/services/notable_update":
            with model.lock:
                return 200, model.notable_update(form)
        raise ApiError(404, messages("ERROR", "Not Found"))

    def _dispatch(self, method):
        model = self.server.model
        url = urllib.parse.urlsplit(self.path)
        path, raw = url.path, self._body()
        if path.startswith("/__sim/"):
            with model.lock:
                status, out = model.sim_request(method, path, json.loads(raw) if raw else None)
            self._send(status, out)
            return
        form = urllib.parse.parse_qs(raw.decode(), keep_blank_values=True)
        form.update(urllib.parse.parse_qs(url.query, keep_blank_values=True))
        with model.lock:
            failure = model.take_failure(method, path)
        mode = failure["mode"] if failure else None
        if mode == "down":
            with model.lock:
                model.record(method, path, 0)
            self._hang_up()
            return
        if mode == "500":
            with model.lock:
                model.record(method, path, 500)
            self._send(500, messages("ERROR", "simulated splunkd failure"))
            return
        try:
            status, out = self._route(method, path, url.query, form)
        except ApiError as e:
            status, out = e.status, e.body
        with model.lock:
            model.record(method, path, 200 if status == "stream" else status)
        if status == "stream":
            try:
                self._stream_export(out, failure)
            except (BrokenPipeError, ConnectionResetError):
                # The client stopped reading (a refused event ends its stream).
                self.close_connection = True
        elif isinstance(out, str):
            data = out.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/xml; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        else:
            self._send(status, out)

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--notables", type=int, default=1000)
    ap.add_argument("--span", type=float, default=3000.0,
                    help="seconds the seeded notables spread over, ending a minute ago")
    ap.add_argument("--token", default="sim-token-0123456789abcdef")
    ap.add_argument("--user", default="nbsoar")
    ap.add_argument("--password", default="sim-password-42")
    ap.add_argument("--chunk-bytes", type=int, default=4096)
    ap.add_argument("--chunk-delay", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=8)
    ap.add_argument("--cert", help="PEM certificate: serve HTTPS, as splunkd does on 8089")
    ap.add_argument("--key", help="PEM key of --cert")
    args = ap.parse_args()
    serve(Handler, Model(args), args.port, args.cert, args.key)

if __name__ == "__main__":
    main()
