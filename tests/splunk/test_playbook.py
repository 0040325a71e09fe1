#!/usr/bin/python3
"""Runs the Excessive failed logins playbook (examples/playbooks/
excessive_failed_logins_ads.ipynb) on the example notable and on a benign
variant, with the parameters injected after the `parameters` cell as nbsoar
does, and checks what its `operations` cell prints: one JSON operation per
line, SplunkUpdateNotable, with values the splunk sink accepts.  The code
cells run in this interpreter, one namespace like one kernel: the cells are
plain Python, and kernels are the executor's tests' business."""
import contextlib
import copy
import io
import json
import os
import unittest

import nbformat

ROOT = os.environ.get("NBSOAR_SOURCE_ROOT",
                      os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
NOTEBOOK = os.path.join(ROOT, "examples", "playbooks", "excessive_failed_logins_ads.ipynb")
EVENT = os.path.join(ROOT, "examples", "events", "splunk-excessive-failed-logins.json")
ADS_SECTIONS = ("Goal", "Categorization", "Strategy Abstract", "Technical Context",
                "Blind Spots and Assumptions", "False Positives", "Validation", "Priority",
                "Response", "Additional Resources")
STATUSES = ("unassigned", "new", "in_progress", "pending", "resolved", "closed")
URGENCIES = ("informational", "low", "medium", "high", "critical")
DISPOSITIONS = ("true_positive", "benign_positive", "false_positive_incorrect_analytic_logic",
                "false_positive_inaccurate_data", "other", "undetermined")


def run(event):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    idx = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    fields = event["fields"]
    injected = "nbsoar_event = %r\nuser = %r\nsrc = %r\n" % (event, fields["user"], fields["src"])
    nb.cells.insert(idx + 1, nbformat.v4.new_code_cell(injected))
    namespace, text = {}, ""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(cell.source, "<cell>", "exec"), namespace)
        if "operations" in cell.metadata.get("tags", []):
            text = out.getvalue()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


class PlaybookTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(EVENT, encoding="utf-8") as f:
            cls.event = json.load(f)

    def check_operation(self, op):
        self.assertEqual(op["type"], "SplunkUpdateNotable")
        self.assertIn(op["status"], STATUSES)
        self.assertIn(op["urgency"], URGENCIES)
        self.assertIn(op["disposition"], DISPOSITIONS)
        self.assertTrue(op["comment"])

    def test_notebook_has_the_ads_sections_and_tagged_cells(self):
        nb = nbformat.read(NOTEBOOK, as_version=4)
        nbformat.validate(nb)
        headings = [line[3:].strip() for c in nb.cells if c.cell_type == "markdown"
                    for line in c.source.splitlines() if line.startswith("## ")]
        self.assertEqual(tuple(headings), ADS_SECTIONS)
        tags = [t for c in nb.cells for t in c.metadata.get("tags", [])]
        self.assertEqual(tags.count("parameters"), 1)
        self.assertEqual(tags.count("operations"), 1)

    def test_external_brute_force_with_success_is_critical(self):
        ops = run(self.event)
        self.assertEqual(len(ops), 1)
        self.check_operation(ops[0])
        self.assertEqual((ops[0]["urgency"], ops[0]["status"], ops[0]["disposition"]),
                         ("critical", "in_progress", "true_positive"))
        self.assertEqual(ops[0]["owner"], "analyst")

    def test_service_account_inside_is_closed_as_benign(self):
        event = copy.deepcopy(self.event)
        event["fields"].update(user="svc_backup", src="10.4.2.17", success_after_failures="0")
        ops = run(event)
        self.assertEqual(len(ops), 1)
        self.check_operation(ops[0])
        self.assertEqual((ops[0]["status"], ops[0]["disposition"]), ("closed", "benign_positive"))
        self.assertNotIn("owner", ops[0])


if __name__ == "__main__":
    unittest.main()
