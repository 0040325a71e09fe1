"""Checks -p typing: argv[1] is a JSON list of [text, value] pairs made by
param_resolve_type; each value must equal papermill's rule evaluated
here with Python's own int() and float(): "True"/"False"/"None", then int,
then float, else the text."""
import json
import math
import sys


def resolve(text):
    if text == "True":
        return True
    if text == "False":
        return False
    if text == "None":
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def same(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and (math.isnan(a) or math.isnan(b)):
        return math.isnan(a) and math.isnan(b)
    if isinstance(a, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return a == b


with open(sys.argv[1], encoding="utf-8") as f:
    pairs = json.load(f)
bad = 0
for text, got in pairs:
    want = resolve(text)
    if not same(want, got):
        print(f"{text!r}: papermill gives {want!r}, nbsoar gives {got!r}")
        bad += 1
print(f"checked {len(pairs)} -p values, {bad} differences")
sys.exit(1 if bad or not pairs else 0)
