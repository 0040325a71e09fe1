#!/usr/bin/python3
"""examples/playbooks/misp_enrich.ipynb runs without PyMISP from an
injected MISP event and prints valid MISP operations.

The notebook is executed with nbclient (a local python3 kernel) after an
injected-parameters cell, as papermill would; the operations cell's stdout
is checked line by line against the misp sink's operation fields."""
import json
import os
import sys

import nbclient
import nbformat

FIELDS = {  # the misp sink's operations (misp/misp_ops.c)
    "MISPAddTag": ({"tag"}, {"uuid", "local", "event"}),
    "MISPAddAttribute": ({"attribute_type", "value"}, {"category", "to_ids", "comment", "distribution", "event"}),
    "MISPAddSighting": (set(), {"value", "uuid", "sighting_type", "source"}),
    "MISPPublish": (set(), {"event"}),
    "MISPAddEventReport": ({"name", "content"}, {"distribution", "event"}),
}


def main():
    root = os.environ.get("NBSOAR_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
    nb = nbformat.read(os.path.join(root, "examples", "playbooks", "misp_enrich.ipynb"), as_version=4)
    with open(os.path.join(root, "examples", "events", "misp-event-ransomware.json"), encoding="utf-8") as f:
        event = json.load(f)
    idx = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    injected = nbformat.v4.new_code_cell(
        "nbsoar_event = %r\nmisp_event_id = %r\nmisp_event_uuid = %r\nvault_dir = '/nonexistent'\n"
        % (event, event["ref"]["id"], event["ref"]["uuid"]),
        metadata={"tags": ["injected-parameters"]})
    nb.cells.insert(idx + 1, injected)
    nbclient.NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    ops_cell = next(c for c in nb.cells if "operations" in c.metadata.get("tags", []))
    text = "".join(o.get("text", "") for o in ops_cell.outputs if o.get("name") == "stdout")
    ops = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert ops, "no operations printed"
    for op in ops:
        kind = op.get("type")
        assert kind in FIELDS, "unknown operation %r" % kind
        required, optional = FIELDS[kind]
        keys = set(op) - {"type"}
        assert required <= keys, "%s lacks %s" % (kind, required - keys)
        assert keys <= required | optional, "%s has unknown fields %s" % (kind, keys - required - optional)
        assert "misp_key" not in json.dumps(op)
    kinds = [op["type"] for op in ops]
    for k in ("MISPAddTag", "MISPAddSighting", "MISPAddAttribute", "MISPAddEventReport"):
        assert k in kinds, "%s missing from %s" % (k, kinds)
    sightings = {op["value"] for op in ops if op["type"] == "MISPAddSighting"}
    assert "198.51.100.23" in sightings and "update-browser-secure.example" in sightings, sightings
    pr = "".join(o.get("text", "") for o in nb.cells[idx + 3].outputs if o.get("name") == "stdout")
    assert "working from the injected event" in pr or "read MISP event" in pr, pr
    print("ok: %d operations: %s" % (len(ops), ", ".join(kinds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
