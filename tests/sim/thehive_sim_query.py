"""TheHive's query API (POST /api/v1/query) over the simulator's objects.

Supports the steps thehive4py and nbsoar send: getX / listX to start,
tasks / observables / logs / case to walk, filter (thehive4py's
{"_field", "_value"} equality, _eq, _ne, _lt, _lte, _gt, _gte, _in, _and,
_or, _not, _like, _match, _startsWith, _endsWith, _contains, _between),
sort, page and count.
"""

START_GET = {"getCase": "case", "getAlert": "alert", "getTask": "task",
             "getObservable": "observable", "getLog": "log"}
START_LIST = {"listCase": "case", "listAlert": "alert", "listTask": "task",
              "listObservable": "observable", "listLog": "log"}


class QueryError(Exception):
    pass


def _field_value(expr):
    """Both spellings: {"_field": f, "_value": v} and {f: v}."""
    if not isinstance(expr, dict):
        raise QueryError("filter operand must be an object: %r" % (expr,))
    if "_field" in expr:
        return expr["_field"], expr.get("_value", expr.get("_values"))
    if len(expr) != 1:
        raise QueryError("filter operand needs one field: %r" % (expr,))
    return next(iter(expr.items()))


def _compare(a, b, op):
    if a is None or b is None:
        return False
    try:
        return {"_lt": a < b, "_lte": a <= b, "_gt": a > b, "_gte": a >= b}[op]
    except TypeError:
        return False


def matches(obj, expr):
    """Evaluates one filter expression against a rendered object."""
    if not isinstance(expr, dict) or not expr:
        raise QueryError("invalid filter: %r" % (expr,))
    if "_field" in expr:
        # thehive4py's Eq: {"_field": f, "_value": v} (beside "_name" in a filter step).
        have = obj.get(expr["_field"])
        value = expr.get("_value")
        return value in have if isinstance(have, list) else have == value
    for op, arg in expr.items():
        if op == "_name":
            continue
        if op == "_and":
            ok = all(matches(obj, e) for e in arg)
        elif op == "_or":
            ok = any(matches(obj, e) for e in arg)
        elif op == "_not":
            ok = not matches(obj, arg)
        elif op in ("_eq", "_ne"):
            field, value = _field_value(arg)
            have = obj.get(field)
            hit = value in have if isinstance(have, list) else have == value
            ok = hit if op == "_eq" else not hit
        elif op in ("_lt", "_lte", "_gt", "_gte"):
            field, value = _field_value(arg)
            ok = _compare(obj.get(field), value, op)
        elif op == "_in":
            field, values = _field_value(arg)
            ok = obj.get(field) in (values or [])
        elif op in ("_like", "_match"):
            field, value = _field_value(arg)
            have = obj.get(field)
            ok = isinstance(have, str) and str(value).strip("*") in have
        elif op in ("_startsWith", "_endsWith"):
            field, value = _field_value(arg)
            have = obj.get(field)
            ok = isinstance(have, str) and (have.startswith(value) if op == "_startsWith"
                                            else have.endswith(value))
        elif op == "_contains":
            ok = obj.get(arg) is not None
        elif op == "_between":
            have = obj.get(arg.get("_field"))
            ok = (have is not None and ("_from" not in arg or _compare(have, arg["_from"], "_gte"))
                  and ("_to" not in arg or _compare(have, arg["_to"], "_lt")))
        else:
            raise QueryError("unsupported filter operator %s" % op)
        if not ok:
            return False
    return True


def run(model, steps, org):
    """Runs the steps; model supplies objects(kind, org), get(kind, id, org),
    children(kind, parent_ids) and render(obj).  Returns a list or a count."""
    if not isinstance(steps, list) or not steps:
        raise QueryError("query must be a non-empty array of steps")
    kind, items = None, []
    for i, step in enumerate(steps):
        if not isinstance(step, dict) or not isinstance(step.get("_name"), str):
            raise QueryError("query step %d has no _name" % i)
        name = step["_name"]
        if i == 0:
            if name in START_GET:
                kind = START_GET[name]
                items = [model.get(kind, str(step.get("idOrName")), org)]
            elif name in START_LIST:
                kind = START_LIST[name]
                items = model.objects(kind, org)
            else:
                raise QueryError("query must start with a get or list step, not %s" % name)
            continue
        if name in ("tasks", "observables", "logs"):
            child = {"tasks": "task", "observables": "observable", "logs": "log"}[name]
            items = model.children(child, kind, [o["_id"] for o in items])
            kind = child
        elif name == "case":
            items = model.parent_cases(kind, items, org)
            kind = "case"
        elif name == "filter":
            items = [o for o in items if matches(model.render(o), step)]
        elif name == "sort":
            for spec in reversed(step.get("_fields") or []):
                (field, order), = spec.items()
                items = sorted(items, key=lambda o: (model.render(o).get(field) is None,
                                                     model.render(o).get(field) or 0),
                               reverse=(order == "desc"))
        elif name == "page":
            start, end = int(step.get("from", 0)), int(step.get("to", len(items)))
            items = items[start:end]
        elif name == "count":
            return len(items)
        else:
            raise QueryError("unsupported query step %s" % name)
    return [model.render(o) for o in items]
