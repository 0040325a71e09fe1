"""The /api/v1 routes of the TheHive simulator, per API version.

TheHive 5 (as thehive4py calls it): PATCH with addTags/removeTags,
POST /case/{id}/task, alert status instead of read.  TheHive 4
(controllers/v1/Router.scala): tags replaced whole, POST /task with caseId,
POST /alert/{id}/read and /unread.  PATCH answers 204, creations 201.
"""
import re

import thehive_sim_query as query
from thehive_sim_model import (ALERT_STATUS_5, ANY, BOOL, CASE_STATUS, INT, OPT_STR, STR,
                               TAGS, TASK_STATUS, ApiError, bad_request, check_fields,
                               enum, not_found, now_ms, rng)


def _case_spec(v):
    spec = {"title": STR, "description": STR, "severity": rng(1, 4), "startDate": INT,
            "endDate": INT, "tags": TAGS, "flag": BOOL, "tlp": rng(0, 4), "pap": rng(0, 3),
            "status": enum(CASE_STATUS[v]), "summary": STR, "assignee": OPT_STR,
            "impactStatus": enum(("NotApplicable", "WithImpact", "NoImpact")),
            "customFields": ANY, "taskRule": STR, "observableRule": STR}
    if v == 5:
        spec.update(addTags=TAGS, removeTags=TAGS)
    else:
        spec.update(resolutionStatus=STR)
    return spec


def _alert_spec(v):
    spec = {"type": STR, "source": STR, "sourceRef": STR, "externalLink": STR, "title": STR,
            "description": STR, "severity": rng(1, 4), "date": INT, "lastSyncDate": INT,
            "tags": TAGS, "tlp": rng(0, 4), "pap": rng(0, 3), "follow": BOOL,
            "customFields": ANY, "summary": STR}
    if v == 5:
        spec.update(addTags=TAGS, removeTags=TAGS, status=enum(ALERT_STATUS_5))
    return spec


def _observable_spec(v):
    spec = {"message": STR, "tlp": rng(0, 4), "pap": rng(0, 3), "ioc": BOOL, "sighted": BOOL,
            "sightedAt": INT, "tags": TAGS, "ignoreSimilarity": BOOL}
    if v == 5:
        spec.update(addTags=TAGS, removeTags=TAGS)
    return spec


TASK_SPEC = {"title": STR, "group": STR, "description": STR, "status": enum(TASK_STATUS),
             "flag": BOOL, "startDate": INT, "endDate": INT, "order": INT, "dueDate": INT,
             "assignee": OPT_STR}
LOG_SPEC = {"message": STR, "startDate": INT, "includeInTimeline": INT}


def _tags(obj, body):
    if "tags" in body:
        obj["tags"] = list(dict.fromkeys(body["tags"]))
    for t in body.get("addTags", []):
        if t not in obj["tags"]:
            obj["tags"].append(t)
    for t in body.get("removeTags", []):
        if t in obj["tags"]:
            obj["tags"].remove(t)


def _split_dotted_custom_fields(body):
    """{"customFields.risk": v} is TheHive's one-field form."""
    out, cf = {}, {}
    for k, v in (body or {}).items():
        if k.startswith("customFields."):
            cf[k[len("customFields."):]] = v
        else:
            out[k] = v
    if cf:
        out.setdefault("customFields", {})
        if isinstance(out["customFields"], dict):
            out["customFields"].update(cf)
    return out


def _update(m, kind, ident, body, user, org):
    obj = m.get(kind, ident, org)
    v = m.version
    body = _split_dotted_custom_fields(body) if kind in ("case", "alert") else body
    spec = {"case": _case_spec(v), "alert": _alert_spec(v), "observable": _observable_spec(v),
            "task": TASK_SPEC}[kind]
    check_fields(kind, body, spec)
    cf = m.check_custom_fields(body["customFields"]) if "customFields" in body else None
    if "assignee" in body:
        m.check_assignee(body["assignee"], org)
    # Everything is checked before anything changes: TheHive's update is one transaction.
    for k, val in body.items():
        if k in ("tags", "addTags", "removeTags", "customFields"):
            continue
        obj[k] = val
    if any(k in body for k in ("tags", "addTags", "removeTags")):
        _tags(obj, body)
    if cf is not None:
        m.meta[obj["_id"]]["cf"].update(cf)
    if kind == "task" and body.get("status") == "Completed" and "endDate" not in body:
        obj["endDate"] = now_ms()
    m._touch(obj, user["login"])
    return 204, None


def _create_task(m, case_id, body, user, org):
    case = m.get("case", case_id, org)
    check_fields("task", body, TASK_SPEC, required=("title",))
    m.check_assignee(body.get("assignee"), org)
    task = m._create("task", org, user["login"], body, {"case": case["_id"]})
    return 201, m.render(task)


def _create_log(m, task_id, body, user, org):
    task = m.get("task", task_id, org)
    check_fields("log", body, LOG_SPEC, required=("message",))
    log = m._create("log", org, user["login"], body, {"task": task["_id"]})
    return 201, m.render(log)


def _create_observable(m, case_id, body, user, org):
    case = m.get("case", case_id, org)
    spec = dict(_observable_spec(4), dataType=STR, data=STR, startDate=INT)
    if m.version == 4:
        spec["data"] = ("string or array of strings",
                        lambda x: isinstance(x, str) or TAGS[1](x))
    check_fields("observable", body, spec, required=("dataType", "data"))
    if body["dataType"] not in m.observable_types:
        raise not_found("ObservableType", body["dataType"])
    datas = body["data"] if isinstance(body["data"], list) else [body["data"]]
    created = []
    for d in datas:
        same = [o for o in m.children("observable", "case", [case["_id"]])
                if o["dataType"] == body["dataType"] and o["data"] == d]
        if same:
            raise ApiError(400, {"type": "CreateError", "message": "Observable already exists"})
        fields = dict(body, data=d)
        fields["tags"] = list(dict.fromkeys(fields.get("tags", [])))
        obs = m._create("observable", org, user["login"], fields, {"case": case["_id"]})
        created.append(m.render(obs))
    return 201, created


def _create_alert(m, body, user, org):
    """POST /api/v1/alert, without inline observables (the source's tests)."""
    check_fields("alert", body, _alert_spec(m.version),
                 required=("type", "source", "sourceRef", "title", "description"))
    alert = m._create("alert", org, user["login"], body, {})
    return 201, m.render(alert)


def _mark_read(m, alert_id, read, user, org):
    alert = m.get("alert", alert_id, org)
    alert["read"] = read
    if read:
        alert["status"] = "Imported" if alert.get("caseId") else "Ignored"
    else:
        alert["status"] = "Imported" if alert.get("caseId") else "New"
    m._touch(alert, user["login"])
    return 200, m.render(alert)


def _query(m, body, org):
    if not isinstance(body, dict) or "query" not in body:
        raise bad_request("Invalid query: missing \"query\"")
    try:
        return 200, query.run(m, body["query"], org)
    except query.QueryError as e:
        raise bad_request("Invalid query: %s" % e)


OBJ = r"(case|alert|observable|task|log)"
ID = r"([^/]+)"


def route(m, method, path, body, user, org):
    """One request; raises ApiError with TheHive's body on failure."""
    v = m.version
    p = path.rstrip("/")
    r = re.fullmatch(r"/api/v1/" + OBJ + "/" + ID, p)
    if r and method == "GET":
        return 200, m.render(m.get(r.group(1), r.group(2), org))
    if r and method == "PATCH" and r.group(1) != "log":
        return _update(m, r.group(1), r.group(2), body, user, org)
    if p == "/api/v1/query" and method == "POST":
        return _query(m, body, org)
    if p == "/api/v1/alert" and method == "POST":
        return _create_alert(m, body, user, org)
    if p == "/api/v1/customField" and method == "GET":
        return 200, list(m.custom_fields.values())
    if p == "/api/v1/user/current" and method == "GET":
        return 200, {"login": user["login"], "name": user["name"], "organisation": org,
                     "organisations": user["organisations"]}
    r = re.fullmatch(r"/api/v1/case/" + ID + "/observable", p)
    if r and method == "POST":
        return _create_observable(m, r.group(1), body, user, org)
    r = re.fullmatch(r"/api/v1/task/" + ID + "/log", p)
    if r and method == "POST":
        return _create_log(m, r.group(1), body, user, org)
    if v == 5:
        r = re.fullmatch(r"/api/v1/case/" + ID + "/task", p)
        if r and method == "POST":
            return _create_task(m, r.group(1), body, user, org)
    else:
        if p == "/api/v1/task" and method == "POST":
            if not isinstance(body, dict):
                raise bad_request("Invalid Json: an object is expected")
            fields = dict(body)
            case_id = fields.pop("caseId", None)
            if not isinstance(case_id, str):
                raise ApiError(400, {"tableName": "task", "type": "AttributeCheckingError",
                                     "errors": [{"name": "task.caseId",
                                                 "type": "MissingAttributeError",
                                                 "message": "Attribute task.caseId is missing",
                                                 "value": case_id}]})
            return _create_task(m, case_id, fields, user, org)
        r = re.fullmatch(r"/api/v1/alert/" + ID + "/(read|unread)", p)
        if r and method == "POST":
            return _mark_read(m, r.group(1), r.group(2) == "read", user, org)
    raise ApiError(404, {"type": "NotFound", "message": "No route for %s %s" % (method, path)})
