"""The Python Jupyter responder's approach, for bench/cortex_bench.py: one
Python process that reads the Cortex job, runs each notebook of input_paths
with papermill.execute_notebook one after another (as jupyter.py does in
local mode), collects the operations cells' lines and writes output.json.
Run with PYTHONPATH pointing at a papermill checkout."""
import json
import os
import sys

import papermill as pm

job = sys.argv[1]
with open(os.path.join(job, "input", "input.json")) as f:
    inp = json.load(f)
cfg = inp["config"]
params = {"thehive_organisation": inp["parameters"]["organisation"], "thehive_user": inp["parameters"]["user"],
          "thehive_input_type": inp["dataType"], "thehive_input_value": inp["data"]}
ident = "case-" + inp["data"]["id"].replace("~", "")
out_dir = os.path.join(cfg["output_hostname"], cfg["output_folder"])
os.makedirs(out_dir, exist_ok=True)
results, operations = [], []
for path in cfg["input_paths"]:
    out = os.path.join(out_dir, "%s-%s" % (ident, path.replace("/", "_")))
    nb = pm.execute_notebook(cfg["input_hostname"] + path, out, parameters=params, progress_bar=False)
    for cell in nb.cells:
        if "operations" in cell.metadata.get("tags", []):
            for line in cell.outputs[0]["text"].splitlines():
                operations.append(json.loads(line))
    results.append({"name": path, "duration": round(nb.metadata.papermill.duration, 3), "output_notebook": out})
os.makedirs(os.path.join(job, "output"), exist_ok=True)
with open(os.path.join(job, "output", "output.json"), "w") as f:
    json.dump({"success": True, "full": {"notebooks": results}, "operations": operations}, f)
