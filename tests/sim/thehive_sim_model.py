"""State, checks and routes of the TheHive simulator (see thehive_sim.py).

Error bodies follow ScalliGraph's ErrorHandler: NotFoundError 404,
BadRequest 400, AuthenticationError 401, AuthorizationError 403,
AttributeCheckingError 400 with {"tableName", "type", "errors": [{"name",
"type", "message", "value"}]} naming the field.
"""
import copy
import json
import threading
import time

LABEL = {"case": "Case", "alert": "Alert", "observable": "Observable",
         "task": "Task", "log": "Log"}
OBSERVABLE_TYPES = ["autonomous-system", "domain", "file", "filename", "fqdn", "hash",
                    "hostname", "ip", "mail", "mail-subject", "mail_subject", "other",
                    "regexp", "registry", "uri_path", "url", "user-agent"]
CASE_STATUS = {4: ("Open", "Resolved", "Deleted", "Duplicated"),
               5: ("New", "InProgress", "Indeterminate", "FalsePositive", "TruePositive",
                   "Other", "Duplicated")}
ALERT_STATUS_5 = ("New", "Updated", "InProgress", "Pending", "Ignored", "Imported",
                  "Duplicated", "FalsePositive", "TruePositive", "Other")
TASK_STATUS = ("Waiting", "InProgress", "Completed", "Cancel")


class ApiError(Exception):
    def __init__(self, status, body):
        super().__init__(body.get("message"))
        self.status, self.body = status, body


def not_found(kind, ident):
    return ApiError(404, {"type": "NotFoundError", "message": "%s %s not found" % (kind, ident)})


def bad_request(message):
    return ApiError(400, {"type": "BadRequest", "message": message})


def attribute_error(table, name, etype, message, value=None):
    return ApiError(400, {"tableName": table, "type": "AttributeCheckingError",
                          "errors": [{"name": "%s.%s" % (table, name), "type": etype,
                                      "message": message, "value": value}]})


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


STR = ("string", lambda v: isinstance(v, str))
OPT_STR = ("string", lambda v: v is None or isinstance(v, str))
INT = ("integer", _is_int)
BOOL = ("boolean", lambda v: isinstance(v, bool))
TAGS = ("array of strings", lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v))
ANY = ("any", lambda v: True)


def rng(lo, hi):
    return ("integer between %d and %d" % (lo, hi), lambda v: _is_int(v) and lo <= v <= hi)


def enum(values):
    return ("one of " + ", ".join(values), lambda v: v in values)


def check_fields(table, body, spec, required=()):
    """Refuses, like TheHive, a missing required attribute, an unknown one,
    or one of the wrong type; the error names the field."""
    if not isinstance(body, dict):
        raise bad_request("Invalid Json: an object is expected")
    for name in required:
        if body.get(name) is None:
            raise attribute_error(table, name, "MissingAttributeError",
                                  "Attribute %s.%s is missing" % (table, name))
    for name, value in body.items():
        if name not in spec:
            raise attribute_error(table, name, "UnknownAttributeError",
                                  "Unknown attribute %s.%s: %s" % (table, name, json.dumps(value)),
                                  value)
        label, ok = spec[name]
        if not ok(value):
            raise attribute_error(table, name, "InvalidFormatAttributeError",
                                  "Invalid format for %s.%s: %s, expected %s"
                                  % (table, name, json.dumps(value), label), value)


def now_ms():
    return int(time.time() * 1000)


class Model:
    """Everything is guarded by one lock: requests are served one at a time."""

    def __init__(self, version, seed):
        self.lock = threading.Lock()
        self.version = version
        self.next_id = 40960
        self.case_number = 0
        self.users = {}
        self.organisations = []
        self.custom_fields = {}
        self.observable_types = set(seed.get("observableTypes", OBSERVABLE_TYPES))
        self.objs = {k: {} for k in LABEL}
        self.meta = {}
        self.requests = []
        self.fail = {"mode": "none", "count": 0, "delay": 0.0, "match": ""}
        self._load(seed)

    # ---------------------------------------------------------------- seed
    def _load(self, seed):
        for u in seed.get("users", []):
            self.users[u["key"]] = {"login": u["login"], "name": u.get("name", u["login"]),
                                    "organisations": list(u["organisations"])}
        orgs = seed.get("organisations") or []
        for u in self.users.values():
            orgs += [o for o in u["organisations"] if o not in orgs]
        self.organisations = orgs
        for cf in seed.get("customFields", []):
            self.custom_fields[cf["name"]] = {
                "_id": self._new_id(), "_type": "CustomField", "_createdBy": "admin",
                "_createdAt": now_ms(), "name": cf["name"],
                "displayName": cf.get("displayName", cf["name"]), "group": cf.get("group", ""),
                "description": cf.get("description", cf["name"]), "type": cf["type"],
                "mandatory": cf.get("mandatory", False), "options": cf.get("options", [])}
        who = "admin@thehive.local"
        for c in seed.get("cases", []):
            c = dict(c)
            org = c.pop("organisation", orgs[0] if orgs else "")
            cfs = c.pop("customFields", {})
            case = self._create("case", org, who, c, {})
            self.meta[case["_id"]]["cf"] = dict(cfs)
        for a in seed.get("alerts", []):
            a = dict(a)
            self._create("alert", a.pop("organisation", orgs[0] if orgs else ""), who, a, {})
        for o in seed.get("observables", []):
            o = dict(o)
            parent = {"case": o.pop("case")} if "case" in o else {"alert": o.pop("alert")}
            kind, pid = next(iter(parent.items()))
            self._create("observable", self.meta[pid]["org"], who, o, parent)
        for t in seed.get("tasks", []):
            t = dict(t)
            cid = t.pop("case")
            self._create("task", self.meta[cid]["org"], who, t, {"case": cid})
        for lg in seed.get("logs", []):
            lg = dict(lg)
            tid = lg.pop("task")
            self._create("log", self.meta[tid]["org"], who, lg, {"task": tid})

    def _new_id(self):
        self.next_id += 1
        return "~%d" % self.next_id

    def _defaults(self, kind):
        t = now_ms()
        if kind == "case":
            self.case_number += 1
            return {"number": self.case_number, "title": "", "description": "", "severity": 2,
                    "startDate": t, "tags": [], "flag": False, "tlp": 2, "pap": 2,
                    "status": CASE_STATUS[self.version][0], "assignee": None}
        if kind == "alert":
            d = {"type": "external", "source": "sim", "sourceRef": "ref", "title": "",
                 "description": "", "severity": 2, "date": t, "tags": [], "tlp": 2, "pap": 2,
                 "follow": True, "status": "New", "caseId": None}
            if self.version == 4:
                d["read"] = False
            return d
        if kind == "observable":
            return {"dataType": "other", "data": None, "message": None, "startDate": t,
                    "tlp": 2, "pap": 2, "ioc": False, "sighted": False,
                    "ignoreSimilarity": False, "tags": []}
        if kind == "task":
            return {"title": "", "group": "default", "description": None, "status": "Waiting",
                    "flag": False, "order": 0, "assignee": None}
        return {"message": "", "date": t, "includeInTimeline": None}

    def _create(self, kind, org, login, fields, parent):
        obj = self._defaults(kind)
        obj.update(fields)
        ident = obj.pop("_id", None) or self._new_id()
        if kind == "case" and "number" in fields:
            self.case_number = max(self.case_number, fields["number"])
        obj.update({"_id": ident, "_type": LABEL[kind], "_createdBy": login,
                    "_createdAt": now_ms()})
        if kind == "log":
            obj["owner"] = login
        self.objs[kind][ident] = obj
        self.meta[ident] = {"kind": kind, "org": org, "cf": {}, **parent}
        return obj

    def _touch(self, obj, login):
        obj["_updatedBy"] = login
        obj["_updatedAt"] = now_ms()

    # ------------------------------------------------------------ lookups
    def get(self, kind, ident, org):
        obj = self.objs[kind].get(ident)
        if obj is None and kind == "case":
            obj = next((c for c in self.objs["case"].values()
                        if str(c["number"]) == ident.lstrip("#")), None)
        if obj is None or self.meta[obj["_id"]]["org"] != org:
            raise not_found(LABEL[kind], ident)
        return obj

    def objects(self, kind, org):
        return [o for o in self.objs[kind].values() if self.meta[o["_id"]]["org"] == org]

    def children(self, kind, parent_kind, parent_ids):
        ids = set(parent_ids)
        return [o for o in self.objs[kind].values()
                if self.meta[o["_id"]].get(parent_kind) in ids]

    def parent_cases(self, kind, items, org):
        out = []
        for o in items:
            m = self.meta[o["_id"]]
            cid = m.get("case")
            if kind == "log":
                cid = self.meta[m["task"]].get("case")
            elif kind == "alert":
                cid = o.get("caseId")
            if cid and cid in self.objs["case"] and self.objs["case"][cid] not in out:
                out.append(self.objs["case"][cid])
        return out

    def render(self, obj):
        out = copy.deepcopy(obj)
        m = self.meta[obj["_id"]]
        if m["kind"] in ("case", "alert"):
            out["customFields"] = [
                {"_id": self.custom_fields[n]["_id"], "name": n,
                 "type": self.custom_fields[n]["type"], "value": v, "order": i}
                for i, (n, v) in enumerate(m["cf"].items())]
        return {k: v for k, v in out.items() if v is not None}

    # ---------------------------------------------------------------- auth
    def authenticate(self, header):
        if not header:
            raise ApiError(401, {"type": "AuthenticationError",
                                 "message": "Authentication header not found"})
        if not header.startswith("Bearer ") or header[7:] not in self.users:
            raise ApiError(401, {"type": "AuthenticationError", "message": "Authentication failure"})
        return self.users[header[7:]]

    def organisation_for(self, user, header):
        if not header:
            return user["organisations"][0]
        if header not in user["organisations"]:
            raise ApiError(403, {"type": "AuthorizationError",
                                 "message": "User %s is not a member of organisation %s"
                                 % (user["login"], header)})
        return header

    # ------------------------------------------------------------- hooks
    def take_failure(self, method, path):
        with self.lock:
            f = self.fail
            if f["mode"] == "none" or f["count"] == 0:
                return None
            if f["match"] and f["match"] not in "%s %s" % (method, path):
                return None
            if f["count"] > 0:
                f["count"] -= 1
                if f["count"] == 0:
                    result = (f["mode"], f["delay"])
                    f["mode"] = "none"
                    return result
            return (f["mode"], f["delay"])

    def record(self, method, path, status):
        with self.lock:
            self.requests.append({"method": method, "path": path, "status": status})

    def sim_request(self, method, path, body):
        with self.lock:
            if method == "GET" and path == "/__sim/state":
                return 200, self.dump()
            if method == "POST" and path == "/__sim/fail":
                body = body or {}
                if body.get("mode", "none") not in ("none", "down", "drop", "500", "503", "slow"):
                    return 400, {"type": "BadRequest", "message": "unknown mode"}
                self.fail = {"mode": body.get("mode", "none"), "count": int(body.get("count", -1)),
                             "delay": float(body.get("delay", 2.0)),
                             "match": body.get("match", "")}
                return 200, self.fail
        return 404, {"type": "NotFound", "message": "no simulator hook %s %s" % (method, path)}

    def dump(self):
        out = {"version": self.version, "requests": list(self.requests),
               "customFields": list(self.custom_fields.values())}
        for kind, plural in (("case", "cases"), ("alert", "alerts"), ("observable", "observables"),
                             ("task", "tasks"), ("log", "logs")):
            items = []
            for obj in self.objs[kind].values():
                r = self.render(obj)
                m = self.meta[obj["_id"]]
                r["organisation"] = m["org"]
                for p in ("case", "alert", "task"):
                    if p in m:
                        r["_" + p] = m[p]
                if kind in ("case", "alert"):
                    r["customFieldValues"] = dict(m["cf"])
                items.append(r)
            out[plural] = items
        return out

    # ---------------------------------------------------------------- API
    def check_assignee(self, login, org):
        if login is None:
            return
        if not any(u["login"] == login and org in u["organisations"] for u in self.users.values()):
            raise not_found("User", login)

    def check_custom_fields(self, value):
        """Normalises the list and dict forms to {name: value} and checks
        each against its definition, as TheHive does."""
        if isinstance(value, list):
            pairs = []
            for item in value:
                if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                    raise bad_request("Invalid custom field: %s" % json.dumps(item))
                pairs.append((item["name"], item.get("value")))
        elif isinstance(value, dict):
            pairs = list(value.items())
        else:
            raise bad_request("Invalid customFields: %s" % json.dumps(value))
        for name, v in pairs:
            d = self.custom_fields.get(name)
            if d is None:
                raise not_found("CustomField", name)
            t = d["type"]
            ok = (v is None or (t == "string" and isinstance(v, str))
                  or (t in ("integer", "date") and _is_int(v))
                  or (t == "float" and isinstance(v, (int, float)) and not isinstance(v, bool))
                  or (t == "boolean" and isinstance(v, bool))
                  or (t == "url" and isinstance(v, str)))
            if not ok:
                raise bad_request("Invalid value for custom field %s (%s): %s"
                                  % (name, t, json.dumps(v)))
            if d["options"] and v is not None and v not in d["options"]:
                raise bad_request("Invalid value for custom field %s: %s is not in %s"
                                  % (name, json.dumps(v), json.dumps(d["options"])))
        return dict(pairs)
