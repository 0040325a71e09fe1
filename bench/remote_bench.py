"""The WebSocket transport (nbsoar exec --remote on a local jupyter-server)
next to the ZMQ transport (nbsoar exec on a local kernel), side by side.

usage: remote_bench.py BUILD_DIR [-r RUNS] [-n CELLS]

Notebooks of 1 and CELLS (200) cells that each print a line.  Every run of
every transport is interleaved with the others so machine noise hits them
alike; medians are reported.  Per-cell cost is the slope between the 1-cell
and the CELLS-cell notebook, so kernel start-up (which the server does its
own way) cancels out; the overhead of the WebSocket path is its per-cell
cost minus ZMQ's.  Prints a Markdown table."""
import argparse
import json
import os
import resource
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")


def make_notebook(path, cells):
    nb = {
        "cells": [{"cell_type": "code", "execution_count": None, "id": "c%05d" % i, "metadata": {},
                   "outputs": [], "source": "print(%d)" % i} for i in range(cells)],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5,
    }
    with open(path, "w") as f:
        json.dump(nb, f)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_server(tmp, token):
    port = free_port()
    root = os.path.join(tmp, "root")
    os.mkdir(root)
    log = open(os.path.join(tmp, "server.log"), "w")
    p = subprocess.Popen(["/usr/bin/python3", "-m", "jupyter_server", f"--ServerApp.token={token}", f"--port={port}",
                          "--ip=127.0.0.1", "--no-browser", "--allow-root", f"--ServerApp.root_dir={root}"],
                         stdout=log, stderr=log, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(300):
        try:
            urllib.request.urlopen(url + "api/status", timeout=1)
            return p, url
        except urllib.error.HTTPError:
            return p, url
        except Exception:
            time.sleep(0.1)
    p.kill()
    sys.exit("jupyter-server did not start")


def group_cpu(pgid):
    """CPU seconds of every process in the server's group (server and kernels)."""
    total = 0.0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def timed(cmd, env, server_pgid):
    """Wall seconds, nbsoar's own CPU seconds, the server's CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    s0 = group_cpu(server_pgid)
    t0 = time.monotonic()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.decode(errors='replace')[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, group_cpu(server_pgid) - s0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("-r", "--runs", type=int, default=5)
    ap.add_argument("-n", "--cells", type=int, default=200)
    a = ap.parse_args()
    nbsoar = os.path.join(a.build, "host", "cli", "nbsoar")
    tmp = tempfile.mkdtemp(prefix="remote_bench.")
    token = secrets.token_hex(16)
    sizes = [1, a.cells]
    for n in sizes:
        make_notebook(os.path.join(tmp, f"nb{n}.ipynb"), n)
    server, url = start_server(tmp, token)
    env = dict(os.environ, JUPYTER_TOKEN=token)
    transports = {
        "ZMQ (local kernel)": [],
        "WebSocket v1": ["--remote", url, "--ws-protocol", "v1"],
        "WebSocket legacy JSON": ["--remote", url, "--ws-protocol", "legacy"],
    }
    wall = {(t, n): [] for t in transports for n in sizes}
    cpu = {(t, n): [] for t in transports for n in sizes}
    srv = {(t, n): [] for t in transports for n in sizes}
    try:
        for _ in range(a.runs):
            for t, flags in transports.items():
                for n in sizes:
                    cmd = [nbsoar, "exec", "--no-progress-bar"] + flags + [os.path.join(tmp, f"nb{n}.ipynb"),
                                                                          os.path.join(tmp, f"out{n}.ipynb")]
                    w, c, sc = timed(cmd, env, server.pid)
                    wall[(t, n)].append(w)
                    cpu[(t, n)].append(c)
                    srv[(t, n)].append(sc)
    finally:
        os.killpg(server.pid, 15)
        server.wait()
    med = {k: statistics.median(v) for k, v in wall.items()}
    mcpu = {k: statistics.median(v) for k, v in cpu.items()}
    msrv = {k: statistics.median(v) for k, v in srv.items()}
    big = a.cells

    def per_cell(m, t):
        return (m[(t, big)] - m[(t, 1)]) / (big - 1) * 1000

    zmq = "ZMQ (local kernel)"
    load = os.getloadavg()[0]
    print(f"runs: {a.runs} (medians); jupyter-server on loopback; per cell = (t{big} - t1) / {big - 1}; "
          f"load average {load:.1f} on {os.cpu_count()} CPUs\n")
    print(f"| transport | wall 1 cell | wall {big} cells | wall per cell | wall overhead vs ZMQ | "
          f"nbsoar CPU per cell | server CPU per cell |")
    print("|---|---|---|---|---|---|---|")
    for t in transports:
        print(f"| {t} | {med[(t, 1)]:.3f} s | {med[(t, big)]:.3f} s | {per_cell(med, t):.3f} ms | "
              f"{per_cell(med, t) - per_cell(med, zmq):+.3f} ms | {per_cell(mcpu, t):.3f} ms | "
              f"{per_cell(msrv, t):.3f} ms |")


if __name__ == "__main__":
    main()
