#!/usr/bin/python3
"""Checks that the Splunk simulator answers like splunkd: auth and its 401
body, the export stream (chunked, preview then final rows, offset/lastrow,
the time window), saved searches, notable_update's checks, and the hooks."""
import http.client
import json
import os
import subprocess
import sys
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
TOKEN = "sim-token-0123456789abcdef"


class SplunkSimTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "splunk_sim.py"), "--port", "0",
             "--notables", "50", "--span", "500", "--chunk-bytes", "100"], stdout=subprocess.PIPE)
        cls.port = int(cls.proc.stdout.readline())

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()
        cls.proc.wait()
        cls.proc.stdout.close()

    def call(self, method, path, form=None, auth="Bearer " + TOKEN, raw=False):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if auth:
            headers["Authorization"] = auth
        body = urllib.parse.urlencode(form, doseq=True) if form is not None else None
        conn.request(method, path, body, headers)
        resp = conn.getresponse()
        data = resp.read()
        te = resp.getheader("Transfer-Encoding")
        conn.close()
        return resp.status, (data if raw else json.loads(data)), te

    def hook(self, name, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        conn.request("POST" if name != "state" else "GET", "/__sim/" + name,
                     json.dumps(body) if body is not None else None)
        out = json.loads(conn.getresponse().read())
        conn.close()
        return out

    def export(self, **extra):
        form = {"search": "search `notable`", "output_mode": "json"}
        form.update(extra)
        status, data, te = self.call("POST", "/services/search/v2/jobs/export", form, raw=True)
        return status, [json.loads(l) for l in data.decode().splitlines() if l.strip()], te

    def test_unauthenticated_is_401_with_splunkd_body(self):
        status, body, _ = self.call("POST", "/services/search/v2/jobs/export", {}, auth=None)
        self.assertEqual(status, 401)
        self.assertEqual(body, {"messages": [{"type": "WARN", "text": "call not properly authenticated"}]})

    def test_login_gives_a_session_key_that_works(self):
        status, body, _ = self.call("POST", "/services/auth/login",
                                    {"username": "nbsoar", "password": "sim-password-42",
                                     "output_mode": "json"}, auth=None)
        self.assertEqual(status, 200)
        status, _, _ = self.call("GET", "/services/saved/searches/x?output_mode=json",
                                 auth="Splunk " + body["sessionKey"])
        self.assertEqual(status, 404)
        status, body, _ = self.call("POST", "/services/auth/login",
                                    {"username": "nbsoar", "password": "no"}, auth=None)
        self.assertEqual(status, 401)

    def test_export_streams_chunked_preview_then_final_rows(self):
        status, lines, te = self.export()
        self.assertEqual(status, 200)
        self.assertEqual(te, "chunked")
        self.assertTrue(lines[0]["preview"])
        finals = [l for l in lines if "result" in l and not l["preview"]]
        self.assertEqual(len(finals), 50)
        self.assertEqual([l["offset"] for l in finals], list(range(50)))
        self.assertTrue(finals[-1]["lastrow"])
        self.assertEqual(lines[-1]["messages"][0]["type"], "INFO")
        times = [float(l["result"]["_time"]) for l in finals]
        self.assertEqual(times, sorted(times, reverse=True))

    def test_export_honours_the_time_window(self):
        now = time.time()
        _, lines, _ = self.export(earliest_time=str(now - 300), latest_time=str(now - 100))
        finals = [l["result"] for l in lines if "result" in l and not l["preview"]]
        self.assertTrue(0 < len(finals) < 50)
        for r in finals:
            self.assertTrue(now - 300 <= float(r["_time"]) < now - 100)

    def test_fail_modes_cut_and_search_error(self):
        self.hook("fail", {"mode": "search_error", "after": 3, "count": 1})
        _, lines, _ = self.export()
        self.assertEqual(lines[-2]["messages"][0]["type"], "ERROR")
        self.hook("fail", {"mode": "cut", "after": 5, "count": 1})
        with self.assertRaises(http.client.IncompleteRead):
            self.export()

    def test_saved_search_and_notable_update(self):
        name = "Access - Excessive Failed Logins - Rule"
        status, body, _ = self.call("GET", "/servicesNS/-/-/saved/searches/%s?output_mode=json"
                                    % urllib.parse.quote(name))
        self.assertEqual(status, 200)
        self.assertIn("tstats", body["entry"][0]["content"]["search"])
        ident = self.hook("state")["notables"][0]["event_id"]
        status, body, _ = self.call("POST", "/services/notable_update",
                                    {"ruleUIDs": ident, "urgency": "urgent", "output_mode": "json"})
        self.assertEqual((status, body["message"]), (400, "ValueError: Invalid urgency value."))
        status, body, _ = self.call("POST", "/services/notable_update",
                                    {"ruleUIDs": ident, "status": "4", "comment": "done"})
        self.assertEqual(status, 200)
        self.assertEqual(body["success_count"], 1)
        n = next(n for n in self.hook("state")["notables"] if n["event_id"] == ident)
        self.assertEqual((n["status"], n["comments"]), ("4", ["done"]))


if __name__ == "__main__":
    unittest.main()
