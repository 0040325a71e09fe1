#!/usr/bin/python3
"""nbsoar run against a jupyter-execute-per-event loop, interleaved in one run.

  latency     one event per second to a running `nbsoar run` (warm pool, spool
              polled every 5 ms); time from the event file's rename into the
              inbox to its operation line in the file sink.  Beside it, the
              same notebook through `jupyter-execute` per event (the time of
              that command).  Events alternate between the two.
  throughput  N trivial events through `nbsoar run --once` (2 workers, warm
              pool 2), notebooks per minute; beside it, `jupyter-execute` on
              the same N notebooks two at a time.  Rounds alternate.

usage: bench/run_bench.py [--latency N] [--throughput N] [--rounds R]
Prints medians and p99; run from the source root after `ninja -C build`."""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("NBSOAR_BIN", os.path.join(ROOT, "build/host/cli/nbsoar"))

NB = {"cells": [
    {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": "nbsoar_event = {}\n",
     "outputs": [], "execution_count": None},
    {"cell_type": "code", "metadata": {}, "source": "x = len(nbsoar_event)\n", "outputs": [],
     "execution_count": None},
    {"cell_type": "code", "metadata": {"tags": ["operations"]},
     "source": "import json\nprint(json.dumps({'type': 'AddTagToAlert', 'tag': str(nbsoar_event.get('id'))}))\n",
     "outputs": [], "execution_count": None}],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                 "language_info": {"name": "python"}},
    "nbformat": 4, "nbformat_minor": 5}


def setup(d, sync="full", pool=2):
    os.makedirs(os.path.join(d, "inbox"), exist_ok=True)
    with open(os.path.join(d, "trivial.ipynb"), "w") as f:
        json.dump(NB, f)
    conf = os.path.join(d, "bench.conf")
    with open(conf, "w") as f:
        f.write(f"""[host]
workers = 2
journal = journal.db
journal_sync = {sync}
output_folder = out
log_level = error
once_horizon = 1s

[source inbox]
plugin = spool
path = {d}/inbox
interval = 5ms

[executor local]
plugin = jupyter
warm_pool = {pool}

[sink file]
plugin = file
path = {d}/ops.jsonl

[route all]
notebooks = trivial.ipynb
sinks = file
""")
    return conf


def put_event(d, eid):
    tmp = os.path.join(d, "inbox", "." + eid + ".tmp")
    with open(tmp, "w") as f:
        json.dump({"id": eid, "source": "bench", "type": "alert", "fields": {"n": eid}}, f)
    t = time.monotonic()
    os.rename(tmp, os.path.join(d, "inbox", eid + ".json"))
    return t


def wait_line(path, needle, timeout=60):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with open(path) as f:
                if needle in f.read():
                    return time.monotonic()
        except FileNotFoundError:
            pass
        time.sleep(0.0005)
    return None


def jexec(d, i):
    out = os.path.join(d, f"je-{i}.ipynb")
    t = time.monotonic()
    subprocess.run(["jupyter-execute", "--output", out, os.path.join(d, "trivial.ipynb")],
                   capture_output=True, check=True, cwd=d)
    return time.monotonic() - t


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def latency(n, sync, pool):
    d = tempfile.mkdtemp(prefix="nbsoar-bench-")
    conf = setup(d, sync, pool)
    p = subprocess.Popen([BIN, "run", "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(8)  # the warm pool fills
    ours, theirs = [], []
    try:
        for i in range(n):
            t0 = put_event(d, f"lat{i}")
            t1 = wait_line(os.path.join(d, "ops.jsonl"), f'"lat{i}"')
            if t1 is not None:
                ours.append(t1 - t0)
            time.sleep(max(0.0, 1.0 - (time.monotonic() - t0)))
            if i % 3 == 0:  # jupyter-execute is slow: every third event
                theirs.append(jexec(d, i))
    finally:
        p.terminate()
        p.wait()
        shutil.rmtree(d, ignore_errors=True)
    return ours, theirs


def throughput_ours(n):
    d = tempfile.mkdtemp(prefix="nbsoar-bench-")
    conf = setup(d, "full")
    for i in range(n):
        put_event(d, f"tp{i}")
    t = time.monotonic()
    r = subprocess.run([BIN, "run", "--once", "-c", conf], capture_output=True, text=True)
    took = time.monotonic() - t
    ok = f"{n} jobs, all succeeded" in r.stdout
    shutil.rmtree(d, ignore_errors=True)
    return n / took * 60, ok


def throughput_theirs(n):
    d = tempfile.mkdtemp(prefix="nbsoar-bench-")
    setup(d)
    t = time.monotonic()
    running = []
    for i in range(n):
        running.append(subprocess.Popen(["jupyter-execute", "--output", f"je-{i}.ipynb", "trivial.ipynb"],
                                        cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        if len(running) == 2:
            running.pop(0).wait()
    for r in running:
        r.wait()
    took = time.monotonic() - t
    shutil.rmtree(d, ignore_errors=True)
    return n / took * 60


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--latency", type=int, default=30)
    ap.add_argument("--throughput", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--sync", default="full")
    ap.add_argument("--pool", type=int, default=2)
    a = ap.parse_args()
    print("load average before:", os.getloadavg())
    if a.latency:
        ours, theirs = latency(a.latency, a.sync, a.pool)
        ms = [x * 1000 for x in ours]
        print(f"latency nbsoar run (journal_sync={a.sync}, warm_pool={a.pool}): n={len(ms)} median {statistics.median(ms):.1f} ms, "
              f"p99 {pct(ms, 99):.1f} ms, min {min(ms):.1f} ms, max {max(ms):.1f} ms")
        js = [x * 1000 for x in theirs]
        print(f"latency jupyter-execute per event: n={len(js)} median {statistics.median(js):.0f} ms, "
              f"p99 {pct(js, 99):.0f} ms")
    if a.throughput:
        o, t = [], []
        for _ in range(a.rounds):
            rate, ok = throughput_ours(a.throughput)
            o.append(rate)
            print(f"  round: nbsoar {rate:.1f}/min (all succeeded: {ok})", flush=True)
            t.append(throughput_theirs(a.throughput))
            print(f"  round: jupyter-execute x2 {t[-1]:.1f}/min", flush=True)
        print(f"throughput {a.throughput} events: nbsoar run --once median {statistics.median(o):.1f} notebooks/min; "
              f"jupyter-execute two at a time median {statistics.median(t):.1f}/min; "
              f"ratio {statistics.median(o) / statistics.median(t):.2f}x")
    print("load average after:", os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
