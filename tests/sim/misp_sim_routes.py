"""The MISP API routes of the simulator: (model, method, path, body) ->
(status, body, extra headers).  Callers hold model.lock."""
import copy
import re
import time
import uuid as uuidlib

from misp_sim_model import ApiError, api_error, as_list, save_fail, save_success, truthy

VERSION = {"version": "2.5.1", "pymisp_recommended_version": "2.5.1", "perm_sync": False,
           "perm_sighting": True, "perm_galaxy_editor": False, "perm_analyst_data": False,
           "uuid": "-", "request_encoding": ["gzip", "br"], "filter_sightings": True}


def _since(v):
    """timestamp / last filters: epoch, "7d" / "12h" / "30m", or [from, to]."""
    if isinstance(v, list):
        return _since(v[0]) if v else None
    s = str(v)
    m = re.fullmatch(r"(\d+)([dhms])", s)
    if m:
        mult = {"d": 86400, "h": 3600, "m": 60, "s": 1}[m.group(2)]
        return int(time.time()) - int(m.group(1)) * mult
    return int(s)


def _tags_match(tags, wanted):
    if wanted is None:
        return True
    names = {t.get("name") for t in tags}
    if isinstance(wanted, dict):
        ok = True
        if wanted.get("OR"):
            ok = bool(names & set(as_list(wanted["OR"])))
        if wanted.get("AND"):
            ok = ok and set(as_list(wanted["AND"])) <= names
        if wanted.get("NOT"):
            ok = ok and not (names & set(as_list(wanted["NOT"])))
        return ok
    return bool(names & set(as_list(wanted)))


def _event_matches(model, ev, q):
    if "timestamp" in q and q["timestamp"] not in (None, "") and int(ev["timestamp"]) < _since(q["timestamp"]):
        return False
    if q.get("last") and int(ev.get("publish_timestamp") or 0) < _since(q["last"]):
        return False
    if "published" in q and q["published"] is not None and truthy(q["published"]) != truthy(ev["published"]):
        return False
    if q.get("eventid") is not None and ev["id"] not in [str(x) for x in as_list(q["eventid"])] \
            and ev["uuid"] not in as_list(q["eventid"]):
        return False
    if q.get("uuid") and ev["uuid"] not in as_list(q["uuid"]):
        return False
    if q.get("org") and ev["Orgc"].get("name") not in as_list(q["org"]):
        return False
    if not _tags_match(ev["Tag"], q.get("tags")):
        return False
    if q.get("type") or q.get("value"):
        return any(_attr_matches(a, q) for a in model.all_attributes(ev))
    return True


def _attr_matches(a, q):
    if a.get("deleted"):
        return False
    if q.get("type") and a["type"] not in as_list(q["type"]):
        return False
    if q.get("value") and a["value"] not in as_list(q["value"]):
        return False
    if q.get("uuid") and a["uuid"] not in as_list(q["uuid"]):
        return False
    return True


def _page(items, q, url):
    try:
        limit = int(q.get("limit") or 0)
        page = int(q.get("page") or 1)
    except (TypeError, ValueError):
        raise api_error(400, "Invalid limit or page", url)
    if limit > 0:
        return items[(page - 1) * limit: page * limit]
    return items


def events_rest_search(model, q, url):
    if not isinstance(q, dict) or q.get("returnFormat", "json") != "json":
        raise api_error(400, "Only returnFormat json is simulated", url)
    found = [ev for ev in model.events if _event_matches(model, ev, q)]
    # Ordered by last edit: an event edited while a client pages moves to
    # the end, the hardest case for offset paging.
    found.sort(key=lambda e: (int(e["timestamp"]), int(e["id"])))
    page = _page(found, q, url)
    out = []
    for ev in page:
        ev = copy.deepcopy(ev)
        if truthy(q.get("metadata")):
            for key in ("Attribute", "Object", "EventReport", "ShadowAttribute"):
                ev.pop(key, None)
        out.append({"Event": ev})
    return 200, {"response": out}, {"X-Result-Count": str(len(found))}


def attributes_rest_search(model, q, url):
    out = []
    for ev in model.events:
        if q.get("eventid") is not None and ev["id"] not in [str(x) for x in as_list(q["eventid"])]:
            continue
        for a in model.all_attributes(ev):
            if not _attr_matches(a, q):
                continue
            a = copy.deepcopy(a)
            if truthy(q.get("includeEventTags")):
                a["Tag"] = a["Tag"] + [dict(t, inherited=1) for t in ev["Tag"]]
            a["Event"] = {"id": ev["id"], "uuid": ev["uuid"], "info": ev["info"],
                          "org_id": ev.get("org_id", "1"), "orgc_id": ev.get("orgc_id", "1")}
            out.append(a)
    page = _page(out, q, url)
    return 200, {"response": {"Attribute": page}}, {"X-Result-Count": str(len(out))}


def _event_or_404(model, ident, url):
    ev = model.find_event(ident)
    if ev is None:
        raise api_error(404, "Invalid event", url)
    return ev


def add_attribute(model, ident, body, url):
    ev = _event_or_404(model, ident, url)
    if not isinstance(body, dict) or not body.get("type") or not body.get("value"):
        raise save_fail("Could not add Attribute", url,
                        {"value": ["Value not set."]} if isinstance(body, dict) and body.get("type")
                        else {"type": ["Type not set."]})
    for a in model.all_attributes(ev):
        if a["type"] == body["type"] and a["value"] == body["value"] and not a.get("deleted"):
            raise save_fail("Could not add Attribute", url,
                            {"value": ["A similar attribute already exists for this event."]})
    a = {k: body[k] for k in ("type", "value", "category", "to_ids", "comment", "distribution")
         if k in body}
    model._norm_attribute(a, ev["id"])
    ev["Attribute"].append(a)
    model.touch(ev)
    return 200, {"Attribute": copy.deepcopy(a)}, {}


def attach_tag(model, body, url):
    if not isinstance(body, dict) or not body.get("uuid") or not body.get("tag"):
        raise api_error(403, "Invalid request", url, "Missing uuid or tag")
    ev = model.find_event(body["uuid"])
    target, kind = ev, "Event"
    if ev is None:
        ev, target = model.find_attribute(body["uuid"])
        kind = "Attribute"
    if target is None:
        raise api_error(404, "Invalid target.", url)
    tag = body["tag"]
    if not any(t["name"] == tag for t in target["Tag"]):
        target["Tag"].append({"id": str(len(tag)), "name": tag, "colour": "#004646",
                              "exportable": True, "local": truthy(body.get("local"))})
    if kind == "Event" and not truthy(body.get("local")):
        ev["published"] = False  # a global tag on an event unpublishes it
    model.touch(ev)
    msg = "Global tag %s(1) successfully attached to %s(%s)." % (tag, kind, target["id"])
    return 200, save_success(msg, url), {}


def add_sighting(model, body, url):
    if not isinstance(body, dict):
        return 200, {"message": "Could not add the Sighting. Reason: malformed request"}, {}
    targets = []
    if body.get("uuid") or body.get("id"):
        ev, a = model.find_attribute(body.get("uuid") or body.get("id"))
        if a is not None:
            targets.append((ev, a))
    else:
        values = as_list(body.get("values") or body.get("value"))
        for ev in model.events:
            targets += [(ev, a) for a in model.all_attributes(ev) if a["value"] in values]
    if not targets:
        return 200, {"message": "Could not add the Sighting. Reason: No valid attributes found."}, {}
    saved = None
    for ev, a in targets:
        saved = {"id": str(len(model.sightings) + 1), "attribute_id": a["id"], "event_id": ev["id"],
                 "org_id": "1", "date_sighting": str(body.get("timestamp") or int(time.time())),
                 "uuid": str(uuidlib.uuid4()), "source": body.get("source", ""),
                 "type": str(body.get("type", "0")), "value": a["value"]}
        model.sightings.append(saved)
    return 200, {"Sighting": saved}, {}


def publish(model, ident, url):
    ev = _event_or_404(model, ident, url)
    ev["published"] = True
    ev["publish_timestamp"] = str(int(time.time()))
    return 200, save_success("Job queued", url, ev["id"]), {}


def add_event_report(model, ident, body, url):
    ev = _event_or_404(model, ident, url)
    if not isinstance(body, dict) or not body.get("name"):
        raise save_fail("Could not add Event Report", url, {"name": ["Please fill in this field"]})
    report = {"id": str(len(ev["EventReport"]) + 1), "uuid": str(uuidlib.uuid4()),
              "event_id": ev["id"], "name": body["name"], "content": body.get("content", ""),
              "distribution": str(body.get("distribution", "5")), "deleted": False,
              "timestamp": str(int(time.time()))}
    ev["EventReport"].append(report)
    return 200, {"EventReport": report}, {}


def add_event(model, body, url):
    ev = body.get("Event", body) if isinstance(body, dict) else None
    if not isinstance(ev, dict) or not ev.get("info"):
        raise save_fail("The event could not be saved.", url, {"info": ["Info cannot be empty."]})
    ev = dict(ev)
    ev.pop("id", None)
    return 200, {"Event": copy.deepcopy(model.add_event(ev))}, {}


def route(model, method, path, body):
    """Answers one authenticated API request."""
    url = path
    parts = [p for p in path.split("/") if p]
    if method == "GET" and parts == ["servers", "getVersion"]:
        return 200, dict(VERSION), {}
    if len(parts) == 3 and parts[:2] == ["events", "view"] and method in ("GET", "POST", "HEAD"):
        return 200, {"Event": copy.deepcopy(_event_or_404(model, parts[2], url))}, {}
    if method != "POST":
        raise api_error(405, "Method Not Allowed", url)
    if parts == ["events", "restSearch"]:
        return events_rest_search(model, body or {}, url)
    if parts == ["attributes", "restSearch"]:
        return attributes_rest_search(model, body or {}, url)
    if parts == ["events", "add"]:
        return add_event(model, body, url)
    if len(parts) == 3 and parts[:2] == ["attributes", "add"]:
        return add_attribute(model, parts[2], body, url)
    if parts == ["tags", "attachTagToObject"]:
        return attach_tag(model, body, url)
    if parts == ["sightings", "add"]:
        return add_sighting(model, body, url)
    if len(parts) == 3 and parts[:2] == ["events", "publish"]:
        return publish(model, parts[2], url)
    if len(parts) == 3 and parts[:2] == ["eventReports", "add"]:
        return add_event_report(model, parts[2], body, url)
    raise api_error(404, "Not Found", url)
