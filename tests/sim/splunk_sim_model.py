"""State of the Splunk simulator: notables, correlation searches, sessions,
notable_update, the request log and the failure switch.

Notables look like what ES's `notable` macro returns (reference 3.3): every
value a string, event_id "<indexer guid>@@notable@@<hash>", the detection in
search_name/source, review state in status/urgency/owner/disposition."""
import hashlib
import random
import re
import secrets
import threading
import time

GUID = "5E6DE97D-7E4F-4C1B-9D2A-3F6E8A9B0C11"

# name -> (rule_name, rule_title, sourcetype, domain, urgency, SPL, description, mitre)
SEARCHES = {
    "Access - Excessive Failed Logins - Rule": (
        "Excessive Failed Logins", "Excessive failed logins for $user$ from $src$",
        "XmlWinEventLog:Security", "access", "medium",
        "| tstats summariesonly=true count from datamodel=Authentication.Authentication "
        "where Authentication.action=failure by Authentication.src, Authentication.user "
        "| where count>=6",
        "Detects excessive number of failed login attempts", ["T1110"]),
    "Endpoint - Suspicious PowerShell Encoded Command - Rule": (
        "Suspicious PowerShell Encoded Command", "Encoded PowerShell on $dest$ by $user$",
        "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational", "endpoint", "high",
        "| tstats count from datamodel=Endpoint.Processes where "
        "Processes.process_name=powershell.exe Processes.process=\"*-enc*\" by Processes.dest",
        "PowerShell started with an encoded command", ["T1059.001", "T1027"]),
    "Access - Kerberos Golden Ticket - Rule": (
        "Kerberos Golden Ticket Detected", "Golden ticket: TGT lifetime above policy for $user$",
        "XmlWinEventLog:Security", "access", "high",
        "`wineventlog_security` EventCode=4769 | where ticket_lifetime_hours>10",
        "TGT whose lifetime exceeds the domain policy", ["T1558.001"]),
    "Network - Unusual DNS Volume - Rule": (
        "Unusual DNS Volume", "Unusual DNS volume from $src$", "stream:dns", "network", "low",
        "| tstats count from datamodel=Network_Resolution by DNS.src | where count>1000",
        "Host sends far more DNS queries than usual", ["T1071.004"]),
}
STATUSES = {0: "Unassigned", 1: "New", 2: "In Progress", 3: "Pending", 4: "Resolved", 5: "Closed"}
URGENCIES = ("informational", "low", "medium", "high", "critical")
OWNERS = ("unassigned", "admin", "analyst", "nbsoar")
RULE_UID = re.compile(r"^[A-Za-z0-9-]+@@[A-Za-z0-9_.-]+@@[A-Za-z0-9]+$")


class ApiError(Exception):
    def __init__(self, status, body):
        super().__init__(status)
        self.status = status
        self.body = body


def messages(kind, text):
    return {"messages": [{"type": kind, "text": text}]}


def parse_time(value, now):
    """earliest_time / latest_time: epoch, "now", or "-5m" style offsets."""
    if value in (None, "", "now"):
        return now if value == "now" else None
    m = re.fullmatch(r"-(\d+)([smhd])", value)
    if m:
        return now - int(m.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
    try:
        return float(value)
    except ValueError:
        raise ApiError(400, messages("FATAL", "Invalid earliest_time or latest_time: %s" % value))


class Model:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.rng = random.Random(args.seed)
        self.token = args.token
        self.users = {args.user: args.password}
        self.sessions = set()
        self.chunk_bytes = args.chunk_bytes
        self.chunk_delay = args.chunk_delay
        self.notables = []
        self.updates = []
        self.requests = []
        self.counts = {"export": 0, "login": 0, "notable_update": 0, "saved_search": {}}
        self.failure = None
        self.serial = 0
        now = time.time()
        for i in range(args.notables):
            # Spread over [now - span - 60, now - 60): all indexed already.
            t = now - 60 - args.span + args.span * (i + 0.5) / max(args.notables, 1)
            self.notables.append(self._notable(t))

    def _notable(self, t):
        self.serial += 1
        name = list(SEARCHES)[self.serial % len(SEARCHES)]
        rule, title, sourcetype, domain, urgency, _spl, _desc, _mitre = SEARCHES[name]
        digest = hashlib.sha1(("%d-%f" % (self.serial, t)).encode()).hexdigest()
        user = "user%03d" % (self.serial % 97)
        src = "10.1.%d.%d" % (self.serial % 250, self.serial % 199)
        dest = "WS-%04d.corp.example.com" % (self.serial % 500)
        return {
            "_time": "%.3f" % t, "event_id": "%s@@notable@@%s" % (GUID, digest),
            "event_hash": digest, "indexer_guid": GUID, "index": "notable",
            "sourcetype": "stash", "search_name": name, "source": name, "rule_name": rule,
            "rule_title": title, "rule_description": SEARCHES[name][6],
            "orig_sourcetype": sourcetype, "security_domain": domain, "urgency": urgency,
            "severity": urgency, "status": "1", "status_label": "New", "owner": "unassigned",
            "disposition": "disposition:6", "disposition_label": "Undetermined",
            "user": user, "src": src, "dest": dest,
            "drilldown_search": "index=main user=%s src=%s" % (user, src),
            "orig_host": dest, "tag": ["authentication", "failure"],
        }

    # ---- auth ----
    def authenticate(self, header):
        header = header or ""
        if self.token and header == "Bearer " + self.token:
            return
        if header.startswith("Splunk ") and header[7:] in self.sessions:
            return
        raise ApiError(401, messages("WARN", "call not properly authenticated"))

    def login(self, form):
        user, password = form.get("username", [""])[0], form.get("password", [""])[0]
        self.counts["login"] += 1
        if user not in self.users or self.users[user] != password:
            raise ApiError(401, messages("WARN", "Login failed"))
        key = "sess-" + secrets.token_hex(16)
        self.sessions.add(key)
        return key

    # ---- export ----
    def export_rows(self, form):
        search = form.get("search", [""])[0]
        if not (search.startswith("search ") or search.startswith("|")):
            raise ApiError(400, messages("FATAL", "Error in 'SearchParser': the search must "
                                                  "start with 'search' or '|'"))
        if search.startswith("|"):
            command = (search[1:].split() or [""])[0]
            if command not in ("tstats", "inputlookup", "makeresults", "search", "from"):
                raise ApiError(400, messages("FATAL", "Unknown search command '%s'." % command))
        self.counts["export"] += 1
        now = time.time()
        earliest = parse_time(form.get("earliest_time", [None])[0], now)
        latest = parse_time(form.get("latest_time", [None])[0], now)
        if "notable" not in search:
            return []
        rows = [n for n in self.notables
                if (earliest is None or float(n["_time"]) >= earliest)
                and (latest is None or float(n["_time"]) < latest)]
        # Event searches come newest first.
        return sorted(rows, key=lambda n: -float(n["_time"]))

    def add_late(self, count, age):
        """Notables indexed now with an _time `age` seconds ago."""
        now = time.time()
        added = [self._notable(now - age) for _ in range(count)]
        self.notables.extend(added)
        return [n["event_id"] for n in added]

    # ---- saved searches ----
    def saved_search(self, name):
        self.counts["saved_search"][name] = self.counts["saved_search"].get(name, 0) + 1
        if name not in SEARCHES:
            raise ApiError(404, messages("ERROR", "Could not find object id=%s" % name))
        rule, title, _st, domain, urgency, spl, desc, mitre = SEARCHES[name]
        content = {
            "search": spl, "description": desc, "disabled": False,
            "cron_schedule": "*/5 * * * *", "dispatch.earliest_time": "-24h",
            "dispatch.latest_time": "now", "action.correlationsearch.enabled": "1",
            "action.correlationsearch.label": rule,
            "action.correlationsearch.annotations": '{"mitre_attack": %s}' % str(mitre).replace("'", '"'),
            "action.notable": "1", "action.notable.param.rule_title": title,
            "action.notable.param.security_domain": domain,
            "action.notable.param.severity": urgency, "is_scheduled": True,
        }
        return {"entry": [{"name": name, "acl": {"app": "SplunkEnterpriseSecuritySuite"},
                           "content": content}]}

    # ---- notable_update (ES NotableEventUpdate rules) ----
    def notable_update(self, form):
        self.counts["notable_update"] += 1
        uids = form.get("ruleUIDs", []) + form.get("ruleUIDs[]", [])
        get = lambda k: form.get(k, [None])[0]
        status, urgency, owner = get("status"), get("urgency"), get("newOwner")
        comment, disposition = get("comment"), get("disposition")
        if not uids and not get("searchID"):
            raise ApiError(400, {"success": False, "message": "ValueError: No events specified"})
        if all(v is None for v in (status, urgency, owner, comment, disposition)):
            raise ApiError(400, {"success": False, "message": "ValueError: One of comment, "
                                 "newOwner, status, urgency is required."})
        for uid in uids:
            if not RULE_UID.match(uid):
                raise ApiError(400, {"success": False, "message": "ValueError: Invalid ruleUID"})
        if urgency is not None and urgency not in URGENCIES:
            raise ApiError(400, {"success": False, "message": "ValueError: Invalid urgency value."})
        if status is not None and (not status.isdigit() or int(status) not in STATUSES):
            raise ApiError(400, {"success": False, "message": "ValueError: Invalid status value."})
        if owner is not None and owner not in OWNERS:
            raise ApiError(400, {"success": False, "message": "ValueError: Invalid owner: %s" % owner})
        if disposition is not None and not re.fullmatch(r"disposition:[0-6]", disposition):
            raise ApiError(400, {"success": False, "message": "ValueError: Invalid disposition."})
        by_id = {n["event_id"]: n for n in self.notables}
        for uid in uids:
            n = by_id.get(uid)
            self.updates.append({"ruleUID": uid, "status": status, "urgency": urgency,
                                 "newOwner": owner, "comment": comment, "disposition": disposition,
                                 "known": n is not None})
            if n is None:
                continue
            if status is not None:
                n["status"], n["status_label"] = status, STATUSES[int(status)]
            if urgency is not None:
                n["urgency"] = urgency
            if owner is not None:
                n["owner"] = owner
            if disposition is not None:
                n["disposition"] = disposition
            if comment is not None:
                n.setdefault("comments", []).append(comment)
        return {"success": True, "success_count": len(uids), "failure_count": 0, "details": {},
                "message": "%d event%s updated successfully" % (len(uids), "s" if len(uids) != 1 else "")}

    # ---- test hooks ----
    def record(self, method, path, status):
        self.requests.append({"method": method, "path": path, "status": status})

    def take_failure(self, method, path):
        f = self.failure
        if f is None or f["count"] == 0:
            return None
        if f.get("match") and f["match"] not in "%s %s" % (method, path):
            return None
        if f["count"] > 0:
            f["count"] -= 1
        return dict(f)

    def sim_request(self, method, path, body):
        if method == "GET" and path == "/__sim/state":
            return 200, {"notables": self.notables, "updates": self.updates,
                         "counts": self.counts, "requests": self.requests,
                         "sessions": len(self.sessions)}
        if method == "POST" and path == "/__sim/fail":
            body = body or {}
            mode = body.get("mode", "none")
            self.failure = None if mode == "none" else {
                "mode": mode, "count": int(body.get("count", 1)), "match": body.get("match", ""),
                "after": int(body.get("after", 0)), "delay": float(body.get("delay", 0.05)),
                "text": body.get("text", "Error in 'search' command: Unable to parse the search: "
                                         "unbalanced parentheses.")}
            return 200, {"mode": mode}
        if method == "POST" and path == "/__sim/add":
            body = body or {}
            return 200, {"added": self.add_late(int(body.get("count", 1)), float(body.get("age", 60)))}
        if method == "POST" and path == "/__sim/expire":
            self.sessions.clear()
            return 200, {"expired": True}
        return 404, {"error": "no such hook"}
