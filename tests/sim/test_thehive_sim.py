#!/usr/bin/python3
"""Checks that the TheHive simulator answers like TheHive: auth, organisation
scope, error bodies, the version-specific routes, state and failure hooks."""
import http.client
import json
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = os.path.join(HERE, "thehive_seed.json")
KEY = "sim-key-0123456789abcdef"


class Sim:
    def __init__(self, version):
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "thehive_sim.py"), "--seed", SEED,
             "--port", "0", "--api-version", str(version)], stdout=subprocess.PIPE)
        self.port = int(self.proc.stdout.readline())

    def call(self, method, path, body=None, key=KEY, org="soc"):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {"Content-Type": "application/json"}
        if key is not None:
            headers["Authorization"] = "Bearer " + key
        if org is not None:
            headers["X-Organisation"] = org
        conn.request(method, path, None if body is None else json.dumps(body), headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp.status, (json.loads(data) if data else None)

    def state(self):
        return self.call("GET", "/__sim/state", key=None, org=None)[1]

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        self.proc.stdout.close()


def find(items, ident):
    return next(o for o in items if o["_id"] == ident)


class Common:
    version = None

    @classmethod
    def setUpClass(cls):
        cls.sim = Sim(cls.version)

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def test_missing_or_wrong_key_is_401_authentication_error(self):
        st, body = self.sim.call("GET", "/api/v1/case/~1001", key=None)
        self.assertEqual((st, body["type"]), (401, "AuthenticationError"))
        st, body = self.sim.call("GET", "/api/v1/case/~1001", key="wrong-key-000")
        self.assertEqual((st, body), (401, {"type": "AuthenticationError",
                                            "message": "Authentication failure"}))

    def test_organisation_is_enforced(self):
        st, body = self.sim.call("GET", "/api/v1/case/~1001", org="nowhere")
        self.assertEqual((st, body["type"]), (403, "AuthorizationError"))
        st, body = self.sim.call("GET", "/api/v1/case/~1002")
        self.assertEqual((st, body), (404, {"type": "NotFoundError",
                                            "message": "Case ~1002 not found"}))
        st, body = self.sim.call("GET", "/api/v1/case/~1002",
                                 key="sim-key-outsider-7777777", org="other-org")
        self.assertEqual(st, 200)

    def test_case_found_by_number(self):
        st, body = self.sim.call("GET", "/api/v1/case/45")
        self.assertEqual((st, body["_id"]), (200, "~1001"))

    def test_unknown_attribute_and_wrong_type_name_the_field(self):
        st, body = self.sim.call("PATCH", "/api/v1/case/~1001", {"colour": "red"})
        self.assertEqual((st, body["type"]), (400, "AttributeCheckingError"))
        self.assertEqual(body["errors"][0]["name"], "case.colour")
        st, body = self.sim.call("PATCH", "/api/v1/case/~1001", {"tlp": "amber"})
        self.assertEqual(body["errors"][0]["name"], "case.tlp")
        self.assertEqual(body["errors"][0]["type"], "InvalidFormatAttributeError")

    def test_custom_fields_checked_against_definitions(self):
        st, body = self.sim.call("PATCH", "/api/v1/case/~1001", {"customFields.nope": "x"})
        self.assertEqual((st, body), (404, {"type": "NotFoundError",
                                            "message": "CustomField nope not found"}))
        st, body = self.sim.call("PATCH", "/api/v1/case/~1001", {"customFields": {"score": "high"}})
        self.assertEqual((st, body["type"]), (400, "BadRequest"))
        self.assertIn("score", body["message"])
        st, body = self.sim.call("PATCH", "/api/v1/case/~1001", {"customFields": {"risk": "Huge"}})
        self.assertEqual(st, 400)
        st, _ = self.sim.call("PATCH", "/api/v1/case/~1001",
                              {"customFields": [{"name": "risk", "value": "High"}]})
        self.assertEqual(st, 204)
        case = find(self.sim.state()["cases"], "~1001")
        self.assertEqual(case["customFieldValues"], {"score": 3, "risk": "High"})

    def test_assignee_must_be_a_user_of_the_organisation(self):
        st, body = self.sim.call("PATCH", "/api/v1/case/~1001", {"assignee": "ghost@x.y"})
        self.assertEqual((st, body["type"]), (404, "NotFoundError"))
        st, _ = self.sim.call("PATCH", "/api/v1/case/~1001", {"assignee": "analyst@thehive.local"})
        self.assertEqual(st, 204)

    def test_closing_a_missing_task_is_404(self):
        st, body = self.sim.call("PATCH", "/api/v1/task/~9999", {"status": "Completed"})
        self.assertEqual((st, body["message"]), (404, "Task ~9999 not found"))

    def test_log_needs_a_message(self):
        st, body = self.sim.call("POST", "/api/v1/task/~4001/log", {"content": "x"})
        self.assertEqual(body["errors"][0]["name"], "log.message")
        st, body = self.sim.call("POST", "/api/v1/task/~4001/log", {"message": "hello"})
        self.assertEqual((st, body["message"], body["owner"]),
                         (201, "hello", "nbsoar@thehive.local"))

    def test_observable_creation_duplicate_and_unknown_type(self):
        obs = {"dataType": "domain", "data": "new-%d.example" % self.version, "message": "m",
               "tlp": 1, "ioc": True, "sighted": True, "tags": ["a", "b"]}
        st, body = self.sim.call("POST", "/api/v1/case/~1001/observable", obs)
        self.assertEqual((st, len(body), body[0]["ioc"]), (201, 1, True))
        st, body = self.sim.call("POST", "/api/v1/case/~1001/observable", obs)
        self.assertEqual((st, body["type"]), (400, "CreateError"))
        st, body = self.sim.call("POST", "/api/v1/case/~1001/observable",
                                 dict(obs, dataType="colour"))
        self.assertEqual((st, body["type"]), (404, "NotFoundError"))

    def test_query_walks_and_filters(self):
        q = {"query": [{"_name": "getCase", "idOrName": "~1001"}, {"_name": "tasks"},
                       {"_name": "filter", "_eq": {"_field": "title", "_value": "Triage"}}]}
        st, body = self.sim.call("POST", "/api/v1/query", q)
        self.assertEqual((st, [t["_id"] for t in body]), (200, ["~4001"]))
        q = {"query": [{"_name": "getCase", "idOrName": "~1001"}, {"_name": "observables"},
                       {"_name": "filter", "_and": [{"_field": "dataType", "_value": "domain"},
                                                    {"_field": "data", "_value": "evil.example"}]}]}
        st, body = self.sim.call("POST", "/api/v1/query", q)
        self.assertEqual([o["_id"] for o in body], ["~3001"])
        q = {"query": [{"_name": "listAlert"}, {"_name": "filter", "_gt": {"_createdAt": 0}},
                       {"_name": "count"}]}
        self.assertEqual(self.sim.call("POST", "/api/v1/query", q), (200, 1))
        q = {"query": [{"_name": "listAlert"}, {"_name": "count"}]}
        self.assertEqual(self.sim.call("POST", "/api/v1/query", q), (200, 1))

    def test_failure_hook_500_then_recovers(self):
        self.sim.call("POST", "/__sim/fail", {"mode": "500", "count": 1}, key=None, org=None)
        st, body = self.sim.call("GET", "/api/v1/case/~1001")
        self.assertEqual((st, body["type"]), (500, "InternalError"))
        self.assertEqual(self.sim.call("GET", "/api/v1/case/~1001")[0], 200)

    def test_failure_hook_down_closes_without_answer(self):
        self.sim.call("POST", "/__sim/fail", {"mode": "down", "count": 1}, key=None, org=None)
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            self.sim.call("GET", "/api/v1/case/~1001")
        self.assertEqual(self.sim.call("GET", "/api/v1/case/~1001")[0], 200)

    def test_failure_hook_drop_applies_but_loses_the_answer(self):
        self.sim.call("POST", "/__sim/fail", {"mode": "drop", "count": 1}, key=None, org=None)
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            self.sim.call("POST", "/api/v1/task/~4001/log", {"message": "dropped answer"})
        logs = [lg for lg in self.sim.state()["logs"] if lg["message"] == "dropped answer"]
        self.assertEqual(len(logs), 1)


class TheHive5(Common, unittest.TestCase):
    version = 5

    def test_add_tags_and_case_task_route(self):
        st, _ = self.sim.call("PATCH", "/api/v1/alert/~2001", {"addTags": ["x", "seed"]})
        self.assertEqual(st, 204)
        self.assertEqual(find(self.sim.state()["alerts"], "~2001")["tags"], ["seed", "x"])
        st, body = self.sim.call("POST", "/api/v1/case/~1001/task", {"title": "T5"})
        self.assertEqual((st, body["title"], body["status"]), (201, "T5", "Waiting"))
        self.assertEqual(self.sim.call("POST", "/api/v1/task", {"caseId": "~1001",
                                                                "title": "x"})[0], 404)

    def test_alert_status_values(self):
        self.assertEqual(self.sim.call("PATCH", "/api/v1/alert/~2001",
                                       {"status": "Ignored"})[0], 204)
        st, body = self.sim.call("PATCH", "/api/v1/alert/~2001", {"status": "Read"})
        self.assertEqual(body["errors"][0]["name"], "alert.status")


class TheHive4(Common, unittest.TestCase):
    version = 4

    def test_tags_replace_and_add_tags_is_unknown(self):
        st, body = self.sim.call("PATCH", "/api/v1/case/~1001", {"addTags": ["x"]})
        self.assertEqual(body["errors"][0]["name"], "case.addTags")
        self.assertEqual(self.sim.call("PATCH", "/api/v1/case/~1001",
                                       {"tags": ["seed", "y"]})[0], 204)
        self.assertEqual(find(self.sim.state()["cases"], "~1001")["tags"], ["seed", "y"])

    def test_task_route_with_case_id_and_read(self):
        st, body = self.sim.call("POST", "/api/v1/task", {"caseId": "~1001", "title": "T4"})
        self.assertEqual((st, body["title"]), (201, "T4"))
        st, body = self.sim.call("POST", "/api/v1/task", {"title": "T4"})
        self.assertEqual(body["errors"][0]["name"], "task.caseId")
        st, body = self.sim.call("POST", "/api/v1/alert/~2001/read")
        self.assertEqual((st, body["read"], body["status"]), (200, True, "Ignored"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
