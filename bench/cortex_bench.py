"""nbsoar cortex next to the Python responder's approach on one Cortex job.

usage: cortex_bench.py BUILD_DIR [-r RUNS]

The job: a TheHive case and three notebooks (tests/cortex/notebooks:
readme_operations, echo, sub/nested).  nbsoar cortex runs them on three
kernels at once; the Python responder's way is one process running
papermill.execute_notebook per notebook, one after another
(bench/cortex_responder_py.py, papermill from $PAPERMILL, default
/work/papermill; without it, jupyter-execute per notebook, sequentially).
Runs alternate so machine noise hits both alike; medians are reported as
Markdown lines for bench/RESULTS.md."""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)
NOTEBOOKS = ["readme_operations.ipynb", "echo.ipynb", "sub/nested.ipynb"]


def make_job(root, name):
    job = os.path.join(root, name)
    os.makedirs(os.path.join(job, "input"))
    data = json.load(open(os.path.join(SRC, "tests", "cortex", "data", "case.json")))
    data.update({"tlp": 2, "pap": 2, "message": "", "parameters": {"organisation": "soc", "user": "analyst"},
                 "config": {"input_hostname": os.path.join(SRC, "tests", "cortex", "notebooks") + "/",
                            "input_paths": NOTEBOOKS, "output_hostname": os.path.join(root, "out-" + name),
                            "output_folder": "cortex", "input_handler_http_service_api_token": None,
                            "output_handler_http_service_api_token": None, "check_tlp": True, "max_tlp": 4,
                            "check_pap": True, "max_pap": 3}})
    json.dump(data, open(os.path.join(job, "input", "input.json"), "w"))
    return job


def timed(cmd, env=None):
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    dt = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit("%s failed (%d): %s" % (" ".join(cmd), p.returncode, p.stderr.decode()[-2000:]))
    return dt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("-r", "--runs", type=int, default=5)
    a = ap.parse_args()
    nbsoar = os.path.join(os.path.abspath(a.build), "host", "cli", "nbsoar")
    papermill = os.environ.get("PAPERMILL", "/work/papermill")
    have_pm = os.path.isfile(os.path.join(papermill, "papermill", "__init__.py"))
    root = tempfile.mkdtemp(prefix="cortex-bench-")
    env = dict(os.environ, PYTHONPATH=papermill)
    t_nb, t_py = [], []
    try:
        for r in range(a.runs + 1):  # the first round warms caches and is dropped
            job = make_job(root, "nbsoar-%d" % r)
            dn = timed([nbsoar, "--log-level", "error", "cortex", job])
            ops = json.load(open(os.path.join(job, "output", "output.json")))["operations"]
            assert len(ops) == 12, "nbsoar cortex: %d operations" % len(ops)
            job = make_job(root, "python-%d" % r)
            if have_pm:
                dp = timed(["/usr/bin/python3", os.path.join(HERE, "cortex_responder_py.py"), job], env)
            else:
                cfg = json.load(open(os.path.join(job, "input", "input.json")))["config"]
                t0 = time.monotonic()
                for path in NOTEBOOKS:
                    timed(["jupyter-execute", "--output", os.path.join(root, "je-out"),
                           cfg["input_hostname"] + path])
                dp = time.monotonic() - t0
            if r > 0:
                t_nb.append(dn)
                t_py.append(dp)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    mn, mp = statistics.median(t_nb), statistics.median(t_py)
    other = "papermill 2.6.0 per notebook, sequential, one Python process" if have_pm else \
        "jupyter-execute per notebook, sequential (papermill not found)"
    print("| Cortex job, 3 notebooks (%d runs, medians, %d cores) | wall s |" % (a.runs, os.cpu_count()))
    print("|---|---|")
    print("| nbsoar cortex (3 kernels in parallel) | %.2f |" % mn)
    print("| Python responder's approach: %s | %.2f |" % (other, mp))
    print("| ratio nbsoar / Python | %.2fx (goal <= 0.4x) |" % (mn / mp))


if __name__ == "__main__":
    main()
