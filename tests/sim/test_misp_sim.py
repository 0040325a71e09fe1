#!/usr/bin/python3
"""The MISP simulator's own answers: wrappers, X-Result-Count, paging,
403 on a bad key, error bodies, faults and the touch hook."""
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
KEY = "test-key-123"


def call(port, method, path, body=None, key=KEY):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": key, "Accept": "application/json",
                                          "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def main():
    sim = subprocess.Popen([sys.executable, os.path.join(HERE, "misp_sim.py"), "--extra", "10",
                            "--key", KEY, "--port", "0"], stdout=subprocess.PIPE)
    try:
        port = int(sim.stdout.readline())
        status, _, body = call(port, "GET", "/servers/getVersion", key="wrong")
        err = json.loads(body)
        assert status == 403 and err["message"].startswith("Authentication failed"), (status, err)
        assert set(err) >= {"name", "message", "url"}
        status, headers, body = call(port, "POST", "/events/restSearch",
                                     {"returnFormat": "json", "limit": 4, "page": 2})
        page = json.loads(body)["response"]
        assert status == 200 and len(page) == 4 and "Event" in page[0]
        assert headers["X-Result-Count"] == "17", headers  # 7 fixture events + 10
        status, _, body = call(port, "POST", "/events/restSearch",
                               {"returnFormat": "json", "limit": 4, "page": 6})
        assert json.loads(body)["response"] == []
        status, _, body = call(port, "GET", "/events/view/424242")
        assert status == 404 and json.loads(body)["message"] == "Invalid event"
        status, _, body = call(port, "GET", "/events/view/2")
        assert json.loads(body)["Event"]["uuid"] == "5758ebf5-c898-48e6-9fe9-5665c0a83866"
        call(port, "POST", "/__sim/touch", {"id": "2", "timestamp": 1900000000})
        status, _, body = call(port, "POST", "/events/restSearch",
                               {"returnFormat": "json", "timestamp": 1900000000, "metadata": 1})
        found = json.loads(body)["response"]
        assert [e["Event"]["id"] for e in found] == ["2"] and "Attribute" not in found[0]["Event"]
        call(port, "POST", "/__sim/fault", {"mode": "notjson", "count": 1})
        status, headers, body = call(port, "GET", "/servers/getVersion")
        assert status == 200 and body.startswith(b"<html>")
        call(port, "POST", "/__sim/fault", {"mode": "500", "count": 1})
        assert call(port, "GET", "/servers/getVersion")[0] == 500
        assert call(port, "GET", "/servers/getVersion")[0] == 200
        status, _, body = call(port, "POST", "/attributes/add/2", {"type": "url", "value":
                                                                   "http://fake.website.com/malware/is/here"})
        err = json.loads(body)
        assert status == 403 and err["saved"] is False and "similar attribute" in json.dumps(err["errors"])
        print("ok")
        return 0
    finally:
        sim.terminate()
        sim.wait()


if __name__ == "__main__":
    sys.exit(main())
