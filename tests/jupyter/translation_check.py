"""Checks Python parameter translations: argv[1] holds pairs of lines, the
translation and the expected value as JSON.  Each translation is evaluated
as ast.literal_eval would, plus float('nan'|'inf'|'-inf') calls (what
papermill writes for non-finite floats), and compared with the JSON value:
same types, same dict order, NaN equal to NaN, -0.0 distinct from 0.0.
The JSON line must also be exactly what json.dumps(value,
ensure_ascii=False) writes.  Prints each mismatch; exit 1 if any."""
import ast
import json
import math
import sys


def evaluate(node):
    if isinstance(node, ast.Expression):
        return evaluate(node.body)
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.List):
        return [evaluate(e) for e in node.elts]
    if isinstance(node, ast.Dict):
        return {evaluate(k): evaluate(v) for k, v in zip(node.keys, node.values)}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = evaluate(node.operand)
        if type(v) not in (int, float):
            raise ValueError("sign on a non-number")
        return -v if isinstance(node.op, ast.USub) else +v
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "float"
            and len(node.args) == 1 and not node.keywords and isinstance(node.args[0], ast.Constant)
            and node.args[0].value in ("nan", "inf", "-inf")):
        return float(node.args[0].value)
    raise ValueError("not a literal: " + ast.dump(node))


def same(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return a == b


def main():
    with open(sys.argv[1], encoding="utf-8", newline="") as f:
        lines = f.read().split("\n")
    bad = 0
    count = 0
    for i in range(0, len(lines) - 1, 2):
        code, js = lines[i], lines[i + 1]
        count += 1
        try:
            got = evaluate(ast.parse(code, mode="eval"))
        except Exception as e:  # noqa: BLE001 - report every kind of failure
            print(f"value {i // 2}: cannot evaluate {code!r}: {e}")
            bad += 1
            continue
        want = json.loads(js)
        if not same(got, want):
            print(f"value {i // 2}: {code!r} gives {got!r}, expected {want!r}")
            bad += 1
        if json.dumps(want, ensure_ascii=False) != js:
            print(f"value {i // 2}: pyjson_dumps wrote {js!r}, json.dumps writes "
                  f"{json.dumps(want, ensure_ascii=False)!r}")
            bad += 1
    print(f"checked {count} values, {bad} mismatches")
    sys.exit(1 if bad or count == 0 else 0)


main()
