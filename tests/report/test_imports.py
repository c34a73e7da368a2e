"""Showing stored runs (bench list/show, report) loads the store and the scoring module, never the orchestrator
(bench.runner, bench.session) nor models, tasks or the sandbox's engine (its reading of a stored result, plain
text, is allowed); statuses are the shared vocabulary. The static import rules (layers, no cycles) are in
tests/test_architecture.py."""

from __future__ import annotations

import subprocess
import sys

ORCHESTRATOR = ("codeforge.bench.runner", "codeforge.bench.session", "codeforge.models", "codeforge.sandbox",
                "codeforge.tasks")
# Why a stored sample failed is read by the sandbox's plain-text reading of a result; the sandbox package
# itself loads its names on first use, so nothing of the engine comes with it.
READING = {"codeforge.sandbox", "codeforge.sandbox.failure"}


def test_listing_and_showing_runs_loads_no_orchestrator():
    code = ("import sys, codeforge.commands.bench_view, codeforge.commands.report, codeforge.report.build, "
            "codeforge.report.terminal, codeforge.bench.failure, codeforge.commands.repair_view, "
            "codeforge.repair.scores\n"
            "print('\\n'.join(sorted(m for m in sys.modules if m.startswith(('codeforge', 'docker')))))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert "codeforge.bench.scores" in loaded
    assert not [m for m in loaded if m.startswith(ORCHESTRATOR) and m not in READING], loaded
    assert not [m for m in loaded if m.split(".")[0] == "docker"], loaded


def test_sample_statuses_are_the_shared_vocabulary():
    from codeforge.bench.scores import sample_status
    from codeforge.commands.bench_view import STATUS_STYLE
    from codeforge.store import Execution, SampleRecord
    from codeforge.vocabulary import SampleStatus

    assert set(STATUS_STYLE) == set(SampleStatus)
    record = SampleRecord(1, "T/0", 0, 0, "{}", "", None, "stop", 1, 1, 0.1, None, None, {})
    assert sample_status(record) is SampleStatus.unchecked
    checked = SampleRecord(1, "T/0", 0, 0, "{}", "", None, "stop", 1, 1, 0.1, None, None,
                           {"tests": Execution("tests", "no_code", False, 0.0, {})})
    assert sample_status(checked) is SampleStatus.no_code
