"""Runs a notebook with nbclient (what papermill drives) and compares its
code cells' outputs and execution counts with a notebook nbsoar wrote.

usage: nbclient_compare.py INPUT NBSOAR_OUTPUT [KERNEL]
Exit 0 when they agree, 1 with the differences on stdout.  nbsoar's output
must also validate against the nbformat schema.  papermill's error marker
cells are skipped; image bytes and tracebacks (which quote the kernel's
timing-dependent frames) are compared by presence only."""
import os
import sys

os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

MARKER = "papermill-error-cell-tag"


def comparable(out):
    o = {k: v for k, v in out.items() if k not in ("metadata", "traceback")}
    if "data" in o:
        o["data"] = {m: (v if not m.startswith("image/") else "<image>") for m, v in o["data"].items()}
    return o


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and MARKER not in c.metadata.get("tags", [])]


def main():
    src, ours = sys.argv[1], sys.argv[2]
    kernel = sys.argv[3] if len(sys.argv) > 3 else "python3"
    ref = nbformat.read(src, as_version=4)
    try:
        NotebookClient(ref, kernel_name=kernel, timeout=60).execute()
    except CellExecutionError:
        pass
    mine = nbformat.read(ours, as_version=4)
    nbformat.validate(mine)
    a, b = code_cells(ref), code_cells(mine)
    problems = []
    if len(a) != len(b):
        problems.append(f"code cells: nbclient {len(a)}, nbsoar {len(b)}")
    for i, (x, y) in enumerate(zip(a, b)):
        if x.get("execution_count") != y.get("execution_count"):
            problems.append(f"cell {i} execution_count: nbclient {x.get('execution_count')}, nbsoar {y.get('execution_count')}")
        xo, yo = [comparable(o) for o in x.outputs], [comparable(o) for o in y.outputs]
        if xo != yo:
            problems.append(f"cell {i} outputs:\n  nbclient {xo}\n  nbsoar   {yo}")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
