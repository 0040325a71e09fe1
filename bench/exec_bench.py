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


def proc_sample(pid):
    """(VmHWM kB, user+system CPU seconds) of a live process, or None."""
    try:
        with open(f"/proc/{pid}/status") as f:
            hwm = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return hwm, cpu
    except (OSError, StopIteration, ValueError, IndexError):
        return None


def timed(cmd, sample=False):
    """Wall seconds and, when asked, the process's own peak RSS (kB) and CPU
    seconds, read from /proc every 20 ms: VmHWM is a high-water mark, and the
    kernel's graceful exit keeps nbsoar alive for ~200 ms after its last
    work, so neither is missed."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak, cpu = 0, 0.0
    if sample:
        while p.poll() is None:
            v = proc_sample(p.pid)
            if v:
                peak, cpu = max(peak, v[0]), max(cpu, v[1])
            time.sleep(0.02)
    _, err = p.communicate()
    wall = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit(f"{cmd[0]} failed ({p.returncode}): {err.decode(errors='replace')[-2000:]}")
    return wall, peak, cpu


def floor_round(build, cells):
    """One kernel_floor run: (ready, print per cell, shutdown) in seconds."""
    out = subprocess.run([os.path.join(build, "bench", "kernel_floor"), "-n", str(cells), "-r", "1"],
                         check=True, capture_output=True, text=True).stdout
    m = re.search(r"floor run \d+: ready ([\d.]+) ms, pass [\d.]+ ms/cell, print ([\d.]+) ms/cell.*"
                  r"shutdown ([\d.]+) ms", out)
    return float(m.group(1)) / 1000, float(m.group(2)) / 1000, float(m.group(3)) / 1000


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
    floors, floors_long = [], []
    for _ in range(a.runs):
        floors.append(floor_round(a.build, 200))
        floors_long.append(floor_round(a.build, a.long))
        for n in sizes:
            nb = os.path.join(tmp, f"nb{n}.ipynb")
            wall[("jupyter-execute", n)].append(timed(["jupyter-execute", nb])[0])
            wall[("nbsoar", n)].append(timed([nbsoar, "exec", nb, os.path.join(tmp, f"out{n}.ipynb")])[0])
        nb = os.path.join(tmp, f"nb{a.long}.ipynb")
        wall[("nbsoar", a.long)].append(timed([nbsoar, "exec", nb, os.path.join(tmp, f"out{a.long}.ipynb")])[0])
    # sampling /proc disturbs timings a little: separate runs
    own = {}
    for n in sizes + [a.long]:
        nb = os.path.join(tmp, f"nb{n}.ipynb")
        own[n] = timed([nbsoar, "exec", nb, os.path.join(tmp, f"rss{n}.ipynb")], sample=True)[1:]

    ready = statistics.median(f[0] for f in floors)
    per_cell = statistics.median(f[1] for f in floors)
    shutdown = statistics.median(f[2] for f in floors)
    med = {k: statistics.median(v) for k, v in wall.items()}
    fl = {n: ready + n * per_cell + shutdown for n in sizes}
    # ipykernel's own cost per cell grows with its history: the long
    # notebook is compared with a floor run of the same length
    long_f = [f[0] + a.long * f[1] + f[2] for f in floors_long]
    fl[a.long] = statistics.median(long_f)
    per_cell_long = statistics.median(f[1] for f in floors_long)
    print(f"date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; runs: {a.runs}, interleaved; medians; "
          f"load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"floor (bench/kernel_floor, raw ZMQ): ready {ready*1000:.0f} ms, print {per_cell*1000:.3f} ms/cell, "
          f"shutdown {shutdown*1000:.0f} ms\n")
    print("| notebook | floor | jupyter-execute | nbsoar exec | nbsoar / floor | nbsoar / jupyter-execute | "
          "(nbsoar - floor) / cells |")
    print("|---|---|---|---|---|---|---|")
    for n in sizes + [a.long]:
        je = med.get(("jupyter-execute", n))
        ns = med[("nbsoar", n)]
        over = (ns - fl[n]) / n * 1000
        jes, ratio = (f"{je:.3f} s", f"{ns/je:.3f}x") if je else ("-", "-")
        print(f"| {n} cells | {fl[n]:.3f} s | {jes} | {ns:.3f} s | {ns/fl[n]:.3f}x | {ratio} | {over:+.3f} ms |")
    slope = (med[("nbsoar", a.long)] - med[("nbsoar", 200)]) / (a.long - 200) * 1000
    print(f"\n1-cell nbsoar / kernel start-up and shutdown of the floor (ready + shutdown): "
          f"{med[('nbsoar', 1)] / (ready + shutdown):.3f}x")
    print(f"marginal cost per cell between 200 and {a.long} cells: nbsoar {slope:.3f} ms; floor per cell: "
          f"{per_cell*1000:.3f} ms over 200 cells, {per_cell_long*1000:.3f} ms over {a.long}")
    print("nbsoar's own process (VmHWM, user+system CPU from /proc): " +
          "; ".join(f"{n} cells: {own[n][0]/1024:.1f} MB, {own[n][1]*1000:.0f} ms CPU" for n in sizes + [a.long]))
    c200, cl = own[200][1], own[a.long][1]
    print(f"nbsoar CPU per additional cell (200 -> {a.long}): {(cl - c200) / (a.long - 200) * 1000:.3f} ms")


if __name__ == "__main__":
    main()
