"""State and routes of the MISP simulator (see misp_sim.py).

Events are kept as MISP returns them from /events/view: {"Event": {...}}
with string ids and timestamps, Attribute/Object/Tag/EventReport lists.
Routes answer with MISP's wrappers and error bodies: ApiError
{name, message, url}, saveFailResponse {saved: false, name, message, url,
errors} with 403, saveSuccessResponse {saved: true, success: true, ...}.
"""
import copy
import glob
import json
import os
import threading
import time
import uuid as uuidlib

AUTH_FAILED = ("Authentication failed. Please make sure you pass the API key of an API "
               "enabled user along in the Authorization header.")


class ApiError(Exception):
    def __init__(self, status, body):
        super().__init__(body.get("message", ""))
        self.status = status
        self.body = body


def api_error(status, message, url, errors=None):
    body = {"name": message, "message": message, "url": url}
    if errors is not None:
        body["errors"] = errors
    return ApiError(status, body)


def save_fail(message, url, errors):
    return ApiError(403, {"saved": False, "name": message, "message": message, "url": url,
                          "errors": errors})


def save_success(message, url, ident=None):
    out = {"saved": True, "success": True, "name": message, "message": message, "url": url}
    if ident is not None:
        out["id"] = str(ident)
    return out


def as_list(v):
    if v is None:
        return []
    if isinstance(v, dict):
        return as_list(v.get("OR")) + as_list(v.get("AND"))
    return v if isinstance(v, list) else [v]


def truthy(v):
    return v in (True, 1, "1", "true", "True")


class Model:
    def __init__(self, fixture_dir, extra):
        self.lock = threading.RLock()
        self.events = []          # list of inner Event dicts, in id order
        self.sightings = []
        self.requests = []
        self.fault = {"mode": "none", "count": 0, "match": ""}
        self.scheduled = []       # actions run after a restSearch page is served
        self.next_id = 100
        self.next_attr_id = 100000
        for path in sorted(glob.glob(os.path.join(fixture_dir, "*.json"))):
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
            ev = data.get("Event", data) if isinstance(data, dict) else None
            if isinstance(ev, dict) and "uuid" in ev and "info" in ev:
                self.add_event(ev, keep_timestamp=True)
        base = 1700000000
        for i in range(extra):
            self.add_event({"info": "synthetic event %d" % i, "threat_level_id": str(1 + i % 4),
                            "published": i % 2 == 0, "timestamp": str(base + i // 3),
                            "Orgc": {"name": "SIM-ORG-%d" % (i % 2)},
                            "Tag": [{"name": "tlp:white" if i % 3 else "tlp:amber"}],
                            "Attribute": [{"type": "ip-dst", "category": "Network activity",
                                           "value": "198.51.100.%d" % (i % 250), "to_ids": True}]},
                           keep_timestamp=True)

    # -- state -----------------------------------------------------------
    def _norm_attribute(self, a, event_id, object_id="0"):
        a.setdefault("uuid", str(uuidlib.uuid4()))
        if "id" not in a:
            a["id"] = str(self.next_attr_id)
            self.next_attr_id += 1
        a["event_id"] = event_id
        a.setdefault("object_id", object_id)
        a.setdefault("category", "Other")
        a.setdefault("to_ids", False)
        a.setdefault("deleted", False)
        a.setdefault("Tag", [])
        a.setdefault("timestamp", str(int(time.time())))

    def add_event(self, ev, keep_timestamp=False):
        ev = copy.deepcopy(ev)
        if "id" not in ev or any(e["id"] == str(ev["id"]) for e in self.events):
            ev["id"] = str(self.next_id)
            self.next_id += 1
        ev["id"] = str(ev["id"])
        self.next_id = max(self.next_id, int(ev["id"]) + 1)
        ev.setdefault("uuid", str(uuidlib.uuid4()))
        if not keep_timestamp or "timestamp" not in ev:
            ev["timestamp"] = str(int(time.time()))
        ev["timestamp"] = str(ev["timestamp"])
        ev.setdefault("date", time.strftime("%Y-%m-%d", time.gmtime(int(ev["timestamp"]))))
        ev.setdefault("threat_level_id", "4")
        ev.setdefault("analysis", "0")
        ev.setdefault("distribution", "0")
        ev.setdefault("published", False)
        ev.setdefault("publish_timestamp", "0")
        ev.setdefault("Orgc", {"name": "SIM-ORG"})
        ev.setdefault("Org", ev["Orgc"])
        for key in ("Attribute", "Object", "Tag", "EventReport", "Galaxy", "ShadowAttribute"):
            ev.setdefault(key, [])
        for a in ev["Attribute"]:
            self._norm_attribute(a, ev["id"])
        for o in ev["Object"]:
            o.setdefault("id", str(self.next_attr_id))
            self.next_attr_id += 1
            for a in o.get("Attribute", []):
                self._norm_attribute(a, ev["id"], o["id"])
        self.events.append(ev)
        return ev

    def find_event(self, ident):
        for ev in self.events:
            if ev["id"] == str(ident) or ev["uuid"] == str(ident):
                return ev
        return None

    def all_attributes(self, ev):
        out = list(ev["Attribute"])
        for o in ev["Object"]:
            out.extend(o.get("Attribute", []))
        return out

    def find_attribute(self, ident):
        for ev in self.events:
            for a in self.all_attributes(ev):
                if a["uuid"] == ident or a["id"] == str(ident):
                    return ev, a
        return None, None

    def touch(self, ev, timestamp=None):
        now = int(time.time())
        ev["timestamp"] = str(timestamp if timestamp is not None
                              else max(now, int(ev["timestamp"]) + 1))

    def record(self, method, path, status, headers=None, body=None):
        entry = {"method": method, "path": path, "status": status}
        if headers is not None:
            entry["headers"] = {k: headers.get(k) for k in
                                ("Authorization", "Accept", "Content-Type", "User-Agent")}
        if body is not None:
            entry["body"] = body
        with self.lock:
            self.requests.append(entry)

    def take_fault(self, method, path):
        with self.lock:
            f = self.fault
            if f["mode"] == "none" or f["count"] == 0:
                return None
            if f["match"] and f["match"] not in "%s %s" % (method, path):
                return None
            if f["count"] > 0:
                f["count"] -= 1
            return f["mode"]

    def after_page(self, page):
        """Runs the actions scheduled for after restSearch page `page`."""
        with self.lock:
            due = [s for s in self.scheduled if s["after_page"] == page]
            self.scheduled = [s for s in self.scheduled if s["after_page"] != page]
            for s in due:
                self.sim_action(s)

    def sim_action(self, s):
        ev = self.find_event(s.get("uuid") or s.get("id") or "")
        if s["action"] == "touch" and ev is not None:
            self.touch(ev, s.get("timestamp"))
        elif s["action"] == "delete" and ev is not None:
            self.events.remove(ev)
        elif s["action"] == "add":
            self.add_event(s["event"], keep_timestamp="timestamp" in s["event"])

    def sim_request(self, method, path, body):
        body = body or {}
        with self.lock:
            if method == "GET" and path == "/__sim/state":
                return 200, {"events": self.events, "sightings": self.sightings,
                             "requests": self.requests}
            if method == "POST" and path == "/__sim/fault":
                self.fault = {"mode": body.get("mode", "none"), "count": body.get("count", -1),
                              "match": body.get("match", "")}
                return 200, self.fault
            if method == "POST" and path in ("/__sim/touch", "/__sim/delete", "/__sim/add"):
                s = dict(body, action=path[len("/__sim/"):])
                if s["action"] == "add":
                    s["event"] = body.get("Event", body)
                if "after_page" in body:
                    self.scheduled.append(s)
                    return 200, {"scheduled": s["action"]}
                self.sim_action(s)
                return 200, {"done": s["action"]}
        return 404, {"name": "Not Found", "message": "Not Found", "url": path}
