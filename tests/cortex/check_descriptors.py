#!/usr/bin/python3
"""The Cortex descriptors in thehive/cortex/ against the Python responder's
(the fixture): same ten configuration items (names, types, multi, required,
defaults), same data types and config block; commands are executable
scripts inside the catalog folder that run `nbsoar cortex`."""
import json
import os
import sys

src = os.environ.get("NBSOAR_SOURCE_ROOT", ".")
# the fixtures sit next to the main checkout, or next to a worktree's parent
candidates = [os.environ.get("NBSOAR_FIXTURES", ""), os.path.join(src, "..", "shared", "fixtures"),
              os.path.join(src, "..", "..", "shared", "fixtures")]
paths = [os.path.join(c, "cortex", "Jupyter_Run_Notebook_Responder.json") for c in candidates if c]
fixture = json.load(open(next((p for p in paths if os.path.exists(p)), paths[0])))
KEYS = ("name", "type", "multi", "required", "defaultValue")


def items(d):
    return [{k: it[k] for k in KEYS if k in it} for it in d["configurationItems"]]


def check(path, kind, extra_items, data_types, flag):
    d = json.load(open(path))
    for key in ("name", "version", "description", "author", "url", "license", "dataTypeList", "command"):
        assert key in d, "%s: %s is missing" % (path, key)
    got = items(d)
    want = items(fixture) + extra_items
    assert got == want, "%s: configuration items differ:\n%s\n%s" % (path, got, want)
    assert d["config"] == fixture["config"], "%s: config block differs" % path
    if data_types is not None:
        assert d["dataTypeList"] == data_types, "%s: dataTypeList" % path
    catalog = os.path.dirname(os.path.dirname(path))
    command = os.path.normpath(os.path.join(catalog, d["command"]))
    assert command.startswith(catalog + os.sep), "%s: command leaves the catalog folder" % path
    assert os.access(command, os.X_OK), "%s is not executable" % command
    text = open(command).read()
    assert "cortex" in text and (flag in text if flag else "--analyzer" not in text), command
    assert "dockerImage" not in d, "%s: no image ships" % path
    print("ok %s (%s)" % (os.path.basename(path), kind))


base = os.path.join(src, "thehive", "cortex")
check(os.path.join(base, "responders", "Jupyter_nbsoar", "Jupyter_Run_Notebook_nbsoar.json"), "responder",
      [], fixture["dataTypeList"], None)
check(os.path.join(base, "analyzers", "Jupyter_nbsoar", "Jupyter_Run_Notebook_Analyzer_nbsoar.json"), "analyzer",
      [{"name": "any_generate_html", "type": "boolean", "multi": False, "required": False, "defaultValue": True}],
      None, "--analyzer")
sys.exit(0)
