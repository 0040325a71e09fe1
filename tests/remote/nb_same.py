"""Compares two executed notebooks structurally, ignoring what differs
between any two runs: cell ids, timestamps, durations, execution timing
metadata, the input/output paths, image bytes, traceback frames and
process-specific text (kernel ids, memory addresses).

usage: nb_same.py A.ipynb B.ipynb
Exit 0 when they agree, 1 with the differences on stdout."""
import json
import re
import sys

VOLATILE_META = ("start_time", "end_time", "duration", "input_path", "output_path")
ADDR = re.compile(r"0x[0-9a-f]+")


def norm_text(v):
    if isinstance(v, list):
        v = "".join(v)
    return ADDR.sub("0x?", v) if isinstance(v, str) else v


def norm_output(o):
    o = dict(o)
    o.pop("metadata", None)
    if "traceback" in o:
        o["traceback"] = len(o["traceback"]) > 0
    if "text" in o:
        o["text"] = norm_text(o["text"])
    if "data" in o:
        o["data"] = {m: ("<image>" if m.startswith("image/") else norm_text(v)) for m, v in o["data"].items()}
    return o


def norm_cell(c):
    meta = dict(c.get("metadata", {}))
    meta.pop("execution", None)
    pm = {k: v for k, v in meta.pop("papermill", {}).items() if k not in VOLATILE_META}
    out = {"cell_type": c["cell_type"], "source": norm_text(c.get("source", "")), "metadata": meta,
           "papermill": pm}
    if c["cell_type"] == "code":
        out["execution_count"] = c.get("execution_count")
        out["outputs"] = [norm_output(o) for o in c.get("outputs", [])]
    return out


def norm(nb):
    meta = dict(nb["metadata"])
    pm = {k: v for k, v in meta.pop("papermill", {}).items() if k not in VOLATILE_META}
    meta.pop("orig_nbformat_minor", None)
    return {"nbformat": (nb["nbformat"], nb["nbformat_minor"]), "metadata": meta, "papermill": pm,
            "cells": [norm_cell(c) for c in nb["cells"]]}


def main():
    a, b = (norm(json.load(open(p))) for p in sys.argv[1:3])
    problems = []
    for key in ("nbformat", "metadata", "papermill"):
        if a[key] != b[key]:
            problems.append(f"{key}: {a[key]!r} != {b[key]!r}")
    if len(a["cells"]) != len(b["cells"]):
        problems.append(f"cells: {len(a['cells'])} != {len(b['cells'])}")
    for i, (x, y) in enumerate(zip(a["cells"], b["cells"])):
        for key in x:
            if x.get(key) != y.get(key):
                problems.append(f"cell {i} {key}: {x.get(key)!r} != {y.get(key)!r}")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
