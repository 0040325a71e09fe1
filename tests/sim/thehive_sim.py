#!/usr/bin/python3
"""TheHive 4 / 5 API simulator for nbsoar's tests (Python stdlib only).

Keeps cases, alerts, observables, tasks, task logs and custom field
definitions in memory, seeded from a JSON file, and answers the /api/v1
routes that applying TheHive operations and polling alerts need, with
TheHive's status codes and error bodies (ScalliGraph's ErrorHandler:
{"type": "NotFoundError", "message": ...}, AttributeCheckingError with the
field named, 401 AuthenticationError).  `--api-version 4` switches to
TheHive 4's variants (tags replaced, POST /api/v1/task with caseId,
POST /api/v1/alert/{id}/read); `--api-version 5` (default) to TheHive 5's
as thehive4py uses them (addTags, POST /api/v1/case/{id}/task, alert status).

Test hooks, never authenticated:
  GET  /__sim/state    every object, per-object organisation, and the log of
                       API requests served (method, path, status)
  POST /__sim/fail     {"mode": "none|down|drop|500|503|slow", "count": N, "delay": S,
                        "match": "POST /api/v1/case/~1/task"}
                       down closes connections without answering; drop serves
                       the request, then closes without answering (the change
                       is made, the answer lost); count is how many API
                       requests fail (-1: until changed); match, when set,
                       limits the failure to requests whose "METHOD path"
                       contains it

Usage: thehive_sim.py --seed seed.json [--port 0] [--port-file F]
The chosen port is printed alone on stdout's first line.
"""
import argparse
import json
import time
import urllib.parse

from sim_common import SimHandler, serve
from thehive_sim_model import ApiError, Model
from thehive_sim_routes import route


class Handler(SimHandler):
    server_version = "TheHiveSim/1"

    def _read_json(self):
        raw = self._body()
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError as e:
            raise ApiError(400, {"type": "BadRequest", "message": "Invalid Json: %s" % e})

    def _dispatch(self, method):
        model = self.server.model
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        try:
            body = self._read_json()
        except ApiError as e:
            self._send(e.status, e.body)
            return
        if path.startswith("/__sim/"):
            status, out = model.sim_request(method, path, body)
            self._send(status, out)
            return
        failure = model.take_failure(method, path)
        if failure is not None:
            mode, delay = failure
            if mode == "down":
                # Like a dead server: the connection closes with no answer.
                model.record(method, path, 0)
                self._hang_up()
                return
            if mode == "slow":
                time.sleep(delay)
            elif mode in ("500", "503"):
                status = int(mode)
                model.record(method, path, status)
                self._send(status, {"type": "InternalError",
                                    "message": "simulated failure (%s)" % mode})
                return
        if failure is not None and failure[0] == "drop":
            # The request is served but its answer is lost, as when a
            # connection breaks after TheHive committed the change.
            try:
                user = model.authenticate(self.headers.get("Authorization"))
                org = model.organisation_for(user, self.headers.get("X-Organisation"))
                with model.lock:
                    status, _ = route(model, method, path, body, user, org)
            except ApiError as e:
                status = e.status
            model.record(method, path, status)
            self._hang_up()
            return
        try:
            user = model.authenticate(self.headers.get("Authorization"))
            org = model.organisation_for(user, self.headers.get("X-Organisation"))
            with model.lock:
                status, out = route(model, method, path, body, user, org)
        except ApiError as e:
            status, out = e.status, e.body
        model.record(method, path, status)
        self._send(status, out)

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PATCH(self):
        self._dispatch("PATCH")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_DELETE(self):
        self._dispatch("DELETE")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", required=True, help="JSON seed file")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", help="write the chosen port here")
    ap.add_argument("--api-version", type=int, choices=(4, 5), default=5)
    args = ap.parse_args()
    with open(args.seed, encoding="utf-8") as f:
        seed = json.load(f)
    serve(Handler, Model(args.api_version, seed), args.port, port_file=args.port_file)

if __name__ == "__main__":
    main()
