#!/usr/bin/python3
"""End-to-end checks of `nbsoar run` on a real ipykernel, one scenario per
argument (test_run.c calls each): exit status 0 when every check held,
else 1 with the failed check on stderr.

Each scenario builds its own state dir (spool inbox, journal, outputs, the
file sink's JSONL) under a temporary folder and drives the nbsoar binary
from NBSOAR_BIN as a user would."""
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

BIN = os.environ.get("NBSOAR_BIN", "build/host/cli/nbsoar")


def fail(msg):
    print("FAILED: " + msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def notebook(path, body, ops=1):
    """A trivial notebook: parameters, one code cell, an operations cell."""
    cells = [
        {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": "nbsoar_event = {}\n",
         "outputs": [], "execution_count": None},
        {"cell_type": "code", "metadata": {}, "source": body, "outputs": [], "execution_count": None},
        {"cell_type": "code", "metadata": {"tags": ["operations"]},
         "source": "import json\nfor i in range(%d):\n    print(json.dumps({'type': 'AddTagToAlert', "
                   "'tag': 'seen:%%s:%%d' %% (nbsoar_event.get('id'), i)}))\n" % ops,
         "outputs": [], "execution_count": None},
    ]
    nb = {"cells": cells, "nbformat": 4, "nbformat_minor": 5,
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                       "language_info": {"name": "python"}}}
    with open(path, "w") as f:
        json.dump(nb, f)


class State:
    def __init__(self, routes, workers=2, warm=2, extra_host="", extra_exec=""):
        self.dir = tempfile.mkdtemp(prefix="nbsoar-run-test-")
        self.inbox = os.path.join(self.dir, "inbox")
        os.makedirs(self.inbox)
        os.makedirs(os.path.join(self.dir, "nb"))
        self.ops = os.path.join(self.dir, "ops.jsonl")
        self.conf = os.path.join(self.dir, "nbsoar.conf")
        text = f"""[host]
workers = {workers}
journal = journal.db
journal_sync = normal
output_folder = out
log_level = warn
drain_timeout = 20s
once_horizon = 1s
{extra_host}
[source inbox]
plugin = spool
path = {self.inbox}
interval = 100ms

[executor local]
plugin = jupyter
warm_pool = {warm}
{extra_exec}

[sink file]
plugin = file
path = {self.ops}
"""
        with open(self.conf, "w") as f:
            f.write(text + routes)

    def nb(self, name, body="x = 1\n", ops=1):
        notebook(os.path.join(self.dir, "nb", name + ".ipynb"), body, ops)

    def event(self, eid, **fields):
        ev = {"id": eid, "source": "test", "type": "alert", "title": "t", "fields": fields}
        name = "ev-%06d.json" % len(os.listdir(self.inbox))
        tmp = os.path.join(self.inbox, "." + name + ".tmp")
        with open(tmp, "w") as f:
            json.dump(ev, f)
        os.rename(tmp, os.path.join(self.inbox, name))

    def run(self, *args, timeout=240, **kw):
        return subprocess.run([BIN, *args, "-c", self.conf], capture_output=True, text=True,
                              timeout=timeout, **kw)

    def once(self, timeout=240):
        return self.run("run", "--once", timeout=timeout)

    def jobs(self):
        r = self.run("jobs", "--limit", "100000")
        lines = r.stdout.splitlines()[1:]
        return [l.split() for l in lines if not l.startswith("    ")]

    def op_lines(self):
        if not os.path.exists(self.ops):
            return []
        with open(self.ops) as f:
            return [json.loads(l) for l in f if l.strip()]

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def route(name, kind, nb, timeout="60s"):
    return f"""
[route {name}]
match.fields.kind = {kind}
notebooks = nb/{nb}.ipynb
sinks = file
timeout = {timeout}
"""


def keys_of(lines):
    return [l["operation"]["idempotency_key"] for l in lines]


def fifty():
    """50 events through 5 routes: exactly the expected jobs, output notebooks
    and operations; event ids with ../ and / stay inside the output folder."""
    routes = "".join(route(f"r{i}", f"k{i}", f"nb{i}") for i in range(5))
    st = State(routes)
    try:
        for i in range(5):
            st.nb(f"nb{i}", f"y = {i}\n", ops=1 + (i % 2))
        expected_ops = 0
        for n in range(50):
            eid = f"ev{n}" if n % 10 else f"../../escape/{n}/../x"
            st.event(eid, kind=f"k{n % 5}")
            expected_ops += 1 + ((n % 5) % 2)
        t0 = time.time()
        r = st.once()
        took = time.time() - t0
        check(r.returncode == 0, f"run --once exit {r.returncode}: {r.stdout[-2000:]} {r.stderr[-2000:]}")
        check("50 jobs, all succeeded" in r.stdout, "the table says 50 jobs succeeded: " + r.stdout[-500:])
        jobs = st.jobs()
        check(len(jobs) == 50, f"50 jobs in the journal, got {len(jobs)}")
        check(all(j[1] == "succeeded" for j in jobs), "every job succeeded")
        outs = []
        for root, _, files in os.walk(st.dir):
            outs += [os.path.join(root, f) for f in files if f.endswith(".ipynb") and "/out/" in root + "/"]
        check(len(outs) == 50, f"50 output notebooks under out/, got {len(outs)}")
        real_out = os.path.realpath(os.path.join(st.dir, "out"))
        check(all(os.path.realpath(o).startswith(real_out + "/") for o in outs), "outputs stay in out/")
        check(not os.path.exists(os.path.join(st.dir, "escape")), "no ../ escape")
        lines = st.op_lines()
        keys = keys_of(lines)
        check(len(lines) == expected_ops, f"{expected_ops} operations in the file sink, got {len(lines)}")
        check(len(set(keys)) == len(keys), "each idempotency key once")
        for o in outs[:3]:
            nb = json.load(open(o))
            check("papermill" in nb["metadata"], "output notebook has papermill metadata")
        print(f"fifty: {took:.1f}s")
    finally:
        st.cleanup()


def kill9(trials=10):
    """kill -9 at random points, then a restart: no event lost, no
    operation applied twice (file sink lines by idempotency key)."""
    routes = route("a", "a", "a") + route("b", "b", "b")
    rng = random.Random(int(os.environ.get("NBSOAR_TEST_SEED", "0")) or None)
    for t in range(trials):
        st = State(routes, warm=1)
        try:
            st.nb("a", ops=2)
            st.nb("b", ops=1)
            st.event(f"t{t}-1", kind="a")
            st.event(f"t{t}-2", kind="b")
            st.event(f"t{t}-3", kind="a")
            p = subprocess.Popen([BIN, "run", "-c", st.conf], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, start_new_session=True)
            time.sleep(rng.uniform(0.05, 4.0))
            os.kill(p.pid, signal.SIGKILL)
            p.wait()
            r = st.once()
            check(r.returncode == 0, f"trial {t}: restart exit {r.returncode}: {r.stdout[-1500:]}{r.stderr[-1500:]}")
            jobs = st.jobs()
            check(len(jobs) == 3 and all(j[1] == "succeeded" for j in jobs),
                  f"trial {t}: 3 jobs succeeded: {jobs}")
            keys = keys_of(st.op_lines())
            check(sorted(set(keys)) == sorted(keys), f"trial {t}: an operation was applied twice: {keys}")
            check(len(set(keys)) == 5, f"trial {t}: 5 operations applied, got {len(set(keys))}")
        finally:
            st.cleanup()


def malformed():
    """Not JSON, no id, 10 MB: quarantined with a reason; the host goes on."""
    st = State(route("a", "a", "a"))
    try:
        st.nb("a")
        with open(os.path.join(st.inbox, "bad-json.json"), "w") as f:
            f.write("{not json")
        with open(os.path.join(st.inbox, "no-id.json"), "w") as f:
            json.dump({"source": "x", "fields": {"kind": "a"}}, f)
        with open(os.path.join(st.inbox, "huge.json"), "w") as f:
            f.write('{"id": "huge", "fields": {"kind": "a", "blob": "' + "A" * (10 * 1024 * 1024) + '"}}')
        st.event("good", kind="a")
        r = st.once()
        check(r.returncode == 0, f"exit {r.returncode}: {r.stdout} {r.stderr[-1500:]}")
        jobs = st.jobs()
        check(len(jobs) == 1 and jobs[0][1] == "succeeded" and jobs[0][2] == "good", f"the good event ran: {jobs}")
        rej = os.path.join(st.inbox, "rejected")
        names = sorted(os.listdir(rej)) if os.path.isdir(rej) else []
        for n in ("bad-json.json", "no-id.json", "huge.json"):
            check(n in names and n + ".reason" in names, f"{n} quarantined with a reason: {names}")
            reason = open(os.path.join(rej, n + ".reason")).read().strip()
            check(len(reason) > 5, f"{n} has a reason")
    finally:
        st.cleanup()


def failing():
    """A failing notebook fails its job only."""
    st = State(route("bad", "bad", "bad") + route("good", "good", "good"))
    try:
        st.nb("bad", "raise ValueError('boom')\n")
        st.nb("good")
        st.event("e-bad", kind="bad")
        st.event("e-good", kind="good")
        r = st.once()
        check(r.returncode == 1, f"exit 1 when a job failed, got {r.returncode}")
        jobs = {j[2]: j[1] for j in st.jobs()}
        check(jobs.get("e-bad") == "failed" and jobs.get("e-good") == "succeeded", f"{jobs}")
        check("boom" in st.run("jobs", "--failed").stdout, "the error names the exception")
        keys = keys_of(st.op_lines())
        check(len(keys) == 1 and "e-good" in json.dumps(st.op_lines()), "only the good job's operation")
        status = st.run("status").stdout
        check("1 succeeded, 1 failed" in status and "bad" in status, "status counts: " + status)
        bad_job = [j[0] for j in st.jobs() if j[1] == "failed"][0]
        check(st.run("retry", bad_job).returncode == 0, "retry queues the failed job")
        r = st.run("replay", "e-good", "--route", "good")
        check(r.returncode == 0 and r.stdout.startswith("queued "), "replay queues a job: " + r.stdout)
        check(st.run("replay", "no-such-event").returncode == 1, "replay of an unknown event fails")
        r = st.once()
        check(r.returncode == 1, "the retried job fails again")
        jobs = st.jobs()
        check(len(jobs) == 3, f"replay added one job, retry none: {jobs}")
        check(len(keys_of(st.op_lines())) == 2, "the replayed job applied its operation")
    finally:
        st.cleanup()


def rate():
    """A sink's rate delays operations instead of dropping them."""
    st = State(route("a", "a", "a"), warm=1)
    try:
        with open(st.conf) as f:
            text = f.read()
        with open(st.conf, "w") as f:
            f.write(text.replace("[sink file]\nplugin = file\n", "[sink file]\nplugin = file\nrate = 4/s\n"))
        st.nb("a", ops=6)
        st.event("r1", kind="a")
        r = st.once()
        check(r.returncode == 0, f"exit {r.returncode}: {r.stderr[-1000:]}")
        lines = st.op_lines()
        check(len(lines) == 6, f"all 6 operations applied, got {len(lines)}")
        from datetime import datetime
        ts = [datetime.strptime(l["time"], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp() for l in lines]
        check(max(ts) - min(ts) >= 1.2, f"6 operations at 4/s take at least 1.25 s, took {max(ts) - min(ts):.2f}")
    finally:
        st.cleanup()


def endless():
    """An endless notebook is killed at its timeout."""
    st = State(route("loop", "loop", "loop", "20s"))
    try:
        st.nb("loop", "import time\nwhile True:\n    time.sleep(0.1)\n")
        st.event("e-loop", kind="loop")
        t0 = time.time()
        r = st.once(timeout=120)
        took = time.time() - t0
        check(r.returncode == 1, f"exit 1, got {r.returncode}")
        out = st.run("jobs", "--failed").stdout
        check("timed out" in out, "the job says it timed out: " + out)
        check(took < 90, f"stopped near its timeout, took {took:.1f}s")
    finally:
        st.cleanup()


def slowstart():
    """A kernel that never gets ready within the job's timeout ends the job
    as timed out, once, rather than as an executor error retried."""
    st = State(route("slow", "slow", "slow", "3s"), warm=0)
    try:
        spec = os.path.join(st.dir, "jupyter", "kernels", "sleeper")
        os.makedirs(spec)
        with open(os.path.join(spec, "kernel.json"), "w") as f:
            json.dump({"argv": ["/bin/sleep", "3600"], "display_name": "Sleeper", "language": "python"}, f)
        st.nb("slow")
        path = os.path.join(st.dir, "nb", "slow.ipynb")
        with open(path) as f:
            nb = json.load(f)
        nb["metadata"]["kernelspec"] = {"name": "sleeper", "display_name": "Sleeper", "language": "python"}
        with open(path, "w") as f:
            json.dump(nb, f)
        st.event("e-slow", kind="slow")
        env = dict(os.environ, JUPYTER_PATH=os.path.join(st.dir, "jupyter"))
        t0 = time.time()
        r = st.run("run", "--once", timeout=120, env=env)
        took = time.time() - t0
        check(r.returncode == 1, f"exit 1, got {r.returncode}: {r.stderr}")
        jobs = st.jobs()
        check(len(jobs) == 1, f"one job, not a retry: {jobs}")
        out = st.run("jobs", "--failed").stdout
        check("timed out" in out, "the job says it timed out: " + out)
        check(took < 60, f"stopped near its timeout, took {took:.1f}s")
        check(not st.op_lines() or all(l["operation"]["type"] != "AddTagToAlert" for l in st.op_lines()),
              "no operation from a notebook that never ran")
    finally:
        st.cleanup()


def startlimit():
    """A kernel that does not start within the executor's start_timeout ends
    the job as timed out, once, as the job's own timeout would."""
    st = State(route("slow", "slow", "slow"), warm=0, extra_exec="start_timeout = 2s")
    try:
        spec = os.path.join(st.dir, "jupyter", "kernels", "sleeper")
        os.makedirs(spec)
        with open(os.path.join(spec, "kernel.json"), "w") as f:
            json.dump({"argv": ["/bin/sleep", "3600"], "display_name": "Sleeper", "language": "python"}, f)
        st.nb("slow")
        path = os.path.join(st.dir, "nb", "slow.ipynb")
        with open(path) as f:
            nb = json.load(f)
        nb["metadata"]["kernelspec"] = {"name": "sleeper", "display_name": "Sleeper", "language": "python"}
        with open(path, "w") as f:
            json.dump(nb, f)
        st.event("e-slow", kind="slow")
        env = dict(os.environ, JUPYTER_PATH=os.path.join(st.dir, "jupyter"))
        t0 = time.time()
        r = st.run("run", "--once", timeout=120, env=env)
        took = time.time() - t0
        check(r.returncode == 1, f"exit 1, got {r.returncode}: {r.stderr}")
        jobs = st.jobs()
        check(len(jobs) == 1, f"one job, not a retry: {jobs}")
        out = st.run("jobs", "--failed").stdout
        check("did not start within 2000 ms" in out, "the job says its kernel start timed out: " + out)
        check(took < 30, f"stopped near start_timeout, took {took:.1f}s")
    finally:
        st.cleanup()


def sigterm():
    """SIGTERM during a run drains: the running job finishes, the process
    exits 0, and a restart completes the rest with nothing applied twice."""
    st = State(route("slow", "slow", "slow"), workers=1, warm=1)
    try:
        st.nb("slow", "import time\ntime.sleep(2)\n")
        for i in range(3):
            st.event(f"s{i}", kind="slow")
        p = subprocess.Popen([BIN, "run", "-c", st.conf], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 120
        while time.time() < deadline:
            if any(j[1] == "running" for j in st.jobs()):
                break
            time.sleep(0.2)
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=60)
        check(p.returncode == 0, f"drained with exit 0, got {p.returncode}: {err[-1500:]}")
        jobs = st.jobs()
        check(not any(j[1] == "running" for j in jobs), f"no job left running: {jobs}")
        check(any(j[1] == "succeeded" for j in jobs), f"the running job finished: {jobs}")
        r = st.once()
        check(r.returncode == 0, f"restart exit {r.returncode}")
        keys = keys_of(st.op_lines())
        check(len(keys) == 3 and len(set(keys)) == 3, f"3 operations once each: {keys}")
    finally:
        st.cleanup()


def metrics():
    """The Prometheus endpoint on loopback counts jobs and operations and
    has the latency histograms."""
    import socket
    import urllib.request
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    st = State(route("a", "a", "a"), warm=1, extra_host=f"metrics = 127.0.0.1:{port}\n")
    try:
        st.nb("a")
        st.event("m1", kind="a")
        p = subprocess.Popen([BIN, "run", "-c", st.conf], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.time() + 120
            while time.time() < deadline and not st.op_lines():
                time.sleep(0.2)
            check(st.op_lines(), "the operation was applied")
            time.sleep(0.3)
            body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
            check('nbsoar_jobs_total{status="succeeded"} 1' in body, "jobs counter: " + body)
            check('nbsoar_operations_total{status="applied"} 1' in body, "operations counter")
            check("nbsoar_event_to_operation_seconds_bucket" in body, "latency histogram")
            check("nbsoar_job_duration_seconds_count 1" in body, "job duration histogram")
        finally:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=60)
    finally:
        st.cleanup()


def free_port():
    import socket
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def webhook202():
    """An event the webhook answered 202 survives a kill -9 that follows at
    once: the restart runs its job."""
    import urllib.request
    port = free_port()
    st = State(route("a", "a", "a"), warm=1)
    try:
        st.nb("a")
        with open(st.conf, "a") as f:
            f.write(f"""
[source hook]
plugin = webhook
listen = 127.0.0.1:{port}
path.events = /events
map.events = generic
allow_anonymous = true
""")
        p = subprocess.Popen([BIN, "run", "-c", st.conf], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        status = None
        deadline = time.time() + 60
        while time.time() < deadline and status is None:
            try:
                req = urllib.request.Request(
                    f"http://127.0.0.1:{port}/events", method="POST",
                    data=json.dumps({"id": "hook-1", "source": "hook", "fields": {"kind": "a"}}).encode(),
                    headers={"Content-Type": "application/json"})
                status = urllib.request.urlopen(req, timeout=10).status
            except OSError:
                time.sleep(0.1)
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
        check(status == 202, f"the webhook answered 202, got {status}")
        r = st.once()
        check(r.returncode == 0, f"restart exit {r.returncode}: {r.stdout[-1000:]}{r.stderr[-1000:]}")
        jobs = st.jobs()
        check(len(jobs) == 1 and jobs[0][2] == "hook-1" and jobs[0][1] == "succeeded",
              f"the acknowledged event's job ran after the restart: {jobs}")
    finally:
        st.cleanup()


def sighup():
    """SIGHUP reloads the routes: a route added to the config takes the next
    event without a restart."""
    st = State(route("a", "a", "a"), warm=1)
    try:
        st.nb("a")
        st.nb("b")
        p = subprocess.Popen([BIN, "run", "-c", st.conf], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        try:
            time.sleep(1)
            with open(st.conf, "a") as f:
                f.write(route("b", "b", "b"))
            p.send_signal(signal.SIGHUP)
            time.sleep(1)
            st.event("h-b", kind="b")
            deadline = time.time() + 120
            while time.time() < deadline and not st.op_lines():
                time.sleep(0.2)
            jobs = st.jobs()
            check(len(jobs) == 1 and jobs[0][3] == "b" and jobs[0][1] == "succeeded",
                  f"the reloaded route ran the event: {jobs}")
        finally:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=60)
    finally:
        st.cleanup()


SCENARIOS = {"rate": rate, "sighup": sighup, "webhook202": webhook202, "metrics": metrics, "fifty": fifty, "kill9": kill9, "malformed": malformed, "failing": failing,
             "endless": endless, "sigterm": sigterm, "slowstart": slowstart,
             "startlimit": startlimit}

if __name__ == "__main__":
    for name in sys.argv[1:]:
        SCENARIOS[name]()
    sys.exit(0)
