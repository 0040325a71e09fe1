"""nbsoar exec next to jupyter-execute (nbclient) and the bare-protocol floor.

usage: exec_bench.py BUILD_DIR [-r RUNS] [--long CELLS]

Notebooks: 1 and 200 cells that each print a line (and --long CELLS, 1000 by
default, for nbsoar only, to show the per-cell cost does not grow with
length).  Every run of every tool is interleaved with the others so machine
noise hits them alike; medians are reported.  The floor is bench/kernel_floor
(raw ZMQ, no JSON parsing): ready + cells x print + shutdown.  nbsoar's peak
RSS is its own (VmHWM of the nbsoar process, sampled until it exits), not
the kernel's.  Prints a Markdown table."""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")


def make_notebook(path, cells):
    nb = {
        "cells": [
            {"cell_type": "code", "execution_count": None, "id": "c%05d" % i, "metadata": {},
             "outputs": [], "source": "print(%d)" % i}
            for i in range(cells)
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    with open(path, "w") as f:
        json.dump(nb, f)


def vm_hwm_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def timed(cmd, sample_rss=False):
    """Wall seconds and, when asked, the process's own peak RSS in kB."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    if sample_rss:
        while p.poll() is None:
            v = vm_hwm_kb(p.pid)
            if v:
                peak = max(peak, v)
            time.sleep(0.002)
    _, err = p.communicate()
    wall = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit(f"{cmd[0]} failed ({p.returncode}): {err.decode(errors='replace')[-2000:]}")
    return wall, peak


def floor(build, cells, runs):
    out = subprocess.run([os.path.join(build, "bench", "kernel_floor"), "-n", str(cells), "-r", str(runs)],
                         check=True, capture_output=True, text=True).stdout
    rows = re.findall(r"floor run \d+: ready ([\d.]+) ms, pass [\d.]+ ms/cell, print ([\d.]+) ms/cell.*"
                      r"shutdown ([\d.]+) ms", out)
    ready = statistics.median(float(r[0]) for r in rows) / 1000
    per_cell = statistics.median(float(r[1]) for r in rows) / 1000
    shutdown = statistics.median(float(r[2]) for r in rows) / 1000
    return ready, per_cell, shutdown


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("-r", "--runs", type=int, default=5)
    ap.add_argument("--long", type=int, default=1000)
    a = ap.parse_args()
    nbsoar = os.path.join(a.build, "host", "cli", "nbsoar")
    tmp = tempfile.mkdtemp(prefix="exec_bench.")
    sizes = [1, 200]
    for n in sizes + [a.long]:
        make_notebook(os.path.join(tmp, f"nb{n}.ipynb"), n)

    wall = {(tool, n): [] for tool in ("jupyter-execute", "nbsoar") for n in sizes}
    wall[("nbsoar", a.long)] = []
    rss = []
    for _ in range(a.runs):
        for n in sizes:
            nb = os.path.join(tmp, f"nb{n}.ipynb")
            wall[("jupyter-execute", n)].append(timed(["jupyter-execute", nb])[0])
            wall[("nbsoar", n)].append(timed([nbsoar, "exec", nb, os.path.join(tmp, f"out{n}.ipynb")])[0])
        nb = os.path.join(tmp, f"nb{a.long}.ipynb")
        wall[("nbsoar", a.long)].append(timed([nbsoar, "exec", nb, os.path.join(tmp, f"out{a.long}.ipynb")])[0])
    # RSS sampling polls /proc every 2 ms, which would disturb the timings:
    # separate runs.
    for n in sizes + [a.long]:
        nb = os.path.join(tmp, f"nb{n}.ipynb")
        rss.append(timed([nbsoar, "exec", nb, os.path.join(tmp, f"rss{n}.ipynb")], sample_rss=True)[1])
    ready, per_cell, shutdown = floor(a.build, 200, a.runs)

    med = {k: statistics.median(v) for k, v in wall.items()}
    fl = {n: ready + n * per_cell + shutdown for n in sizes + [a.long]}
    print(f"runs: {a.runs} (medians); floor: ready {ready*1000:.0f} ms, print {per_cell*1000:.3f} ms/cell, "
          f"shutdown {shutdown*1000:.0f} ms\n")
    print("| notebook | floor | jupyter-execute | nbsoar exec | nbsoar / floor | nbsoar / nbclient | "
          "nbsoar overhead per cell |")
    print("|---|---|---|---|---|---|---|")
    for n in sizes + [a.long]:
        je = med.get(("jupyter-execute", n))
        ns = med[("nbsoar", n)]
        over = (ns - fl[n]) / n * 1000
        print(f"| {n} cells | {fl[n]:.3f} s | {je:.3f} s | {ns:.3f} s | {ns/fl[n]:.3f}x | "
              f"{(ns/je) if je else float('nan'):.3f}x | {over:+.3f} ms |" if je else
              f"| {n} cells | {fl[n]:.3f} s | - | {ns:.3f} s | {ns/fl[n]:.3f}x | - | {over:+.3f} ms |")
    slope = (med[("nbsoar", a.long)] - med[("nbsoar", 200)]) / (a.long - 200) * 1000
    print(f"\n1-cell nbsoar / kernel start-up (ready + shutdown of the floor): "
          f"{med[('nbsoar', 1)] / (ready + shutdown):.3f}x")
    print(f"per-cell cost between 200 and {a.long} cells: nbsoar {slope:.3f} ms/cell, "
          f"floor {per_cell*1000:.3f} ms/cell")
    print("nbsoar peak RSS (own process, VmHWM): " +
          ", ".join(f"{n} cells {r/1024:.1f} MB" for n, r in zip(sizes + [a.long], rss)))


if __name__ == "__main__":
    main()
