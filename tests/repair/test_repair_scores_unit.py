"""Repair scores from a scripted history of stored rounds: the numbers per epoch are the ones the history
implies (counted here by hand, program by program)."""

from __future__ import annotations

import itertools
from typing import Optional

import pytest

from codeforge.bench.scores import share
from codeforge.repair.scores import (SEVERITIES, count_findings, program_epochs, program_keys, repair_finished,
                                     repair_summaries, summarize_repair)
from codeforge.store import Execution, SampleRecord, Store

_ids = itertools.count(1)
NOT_ANALYSED = object()


def finding(rule: str, severity: str, tool: str = "bandit", cwe: Optional[int] = None) -> dict:
    return {"tool": tool, "rule": rule, "severity": severity, "confidence": "HIGH", "cwe": cwe, "file": "main.py",
            "line": 3, "message": f"{rule} found", "code_line": "x = 1"}


SHELL = finding("B602", "high", cwe=78)
IMPORT = finding("B404", "low", cwe=78)
YAML = finding("B506", "medium", cwe=20)
RANDOM = finding("B311", "low", cwe=330)
TEST_FAILED = finding("test-failed", "high", tool="tests")


def rnd(task: str, round: int, findings=NOT_ANALYSED, *, kept: Optional[bool] = None, reason: Optional[str] = None,
        tests: Optional[bool] = None, code: Optional[str] = "def f():\n    return 1\n",
        sample: int = 0) -> SampleRecord:
    """One stored round: its analysis (unless NOT_ANALYSED) and its tests execution (unless tests is None)."""
    executions = {}
    if findings is not NOT_ANALYSED:
        status = "no_code" if code is None else "failed" if findings else "passed"
        executions["analysis"] = Execution("analysis", status, not findings, 0.1, {
            "findings": findings, "kept": True if round == 0 else bool(kept), "reason": reason})
    if tests is not None:
        executions["tests"] = Execution("tests", "passed" if tests else "failed", tests, 0.1, {})
    return SampleRecord(next(_ids), task, sample, round, "" if round == 0 else "[]", code or "no code here", code,
                        "stop", 0, 0, 0.0, None if round == 0 else "the findings", None if round == 0 else "findings",
                        executions)


PROGRAMS = [("T/0", 0), ("T/1", 0), ("T/2", 0), ("T/3", 0), ("T/4", 0), ("prog.py", 0), ("T/6", 0)]
HISTORY = [
    # T/0: two findings; epoch 1 keeps a patch with one, epoch 2 one with none
    rnd("T/0", 0, [SHELL, IMPORT], tests=True),
    rnd("T/0", 1, [IMPORT], kept=True, tests=True),
    rnd("T/0", 2, [], kept=True, tests=True),
    # T/1: clean and correct from the start: done after epoch 0, no patch ever
    rnd("T/1", 0, [], tests=True),
    # T/2: a patch that drops the finding but breaks the tests, then an answer with no code
    rnd("T/2", 0, [YAML], tests=True),
    rnd("T/2", 1, [], kept=False, reason="fails_tests", tests=False),
    rnd("T/2", 2, [], kept=False, reason="no_code", code=None),
    # T/3: failing tests; the epoch-1 patch was never analysed (sandbox failure), the epoch-2 one is kept
    rnd("T/3", 0, [TEST_FAILED], tests=False),
    rnd("T/3", 1, NOT_ANALYSED, tests=None),
    rnd("T/3", 2, [], kept=True, tests=True),
    # T/4: nothing stored at all (the run stopped before it)
    # prog.py: a file with no task (no tests); a patch with as many findings, then a clean one
    rnd("prog.py", 0, [RANDOM]),
    rnd("prog.py", 1, [RANDOM], kept=False, reason="not_fewer_findings"),
    rnd("prog.py", 2, [], kept=True),
    # T/6: no finding (only bandit ran) but its tests fail: not error-free, and done
    rnd("T/6", 0, [], tests=False),
    # a sample the run does not cover (samples_per_task is 1): never counted
    rnd("T/0", 0, [SHELL, SHELL, SHELL], tests=False, sample=1),
]


@pytest.fixture(scope="module")
def epochs():
    return summarize_repair(HISTORY, PROGRAMS, 2)


def test_one_summary_per_epoch_over_every_program(epochs):
    assert [e.epoch for e in epochs] == [0, 1, 2]
    assert {e.programs for e in epochs} == {7}


def test_first_try(epochs):
    first = epochs[0]
    assert (first.attempted, first.kept) == (0, 0)
    assert first.rejected == {"no_code": 0, "fails_tests": 0, "not_fewer_findings": 0}
    assert first.error_free == 1  # T/1 only: T/6 has no finding but fails its tests
    assert first.efr == share(1, 7)
    assert (first.tested, first.passed) == (5, 3)  # T/0, T/1, T/2 passed; T/3, T/6 failed; prog.py has no tests
    assert first.pass_at_1 == share(3, 5)
    assert first.unchecked == 1  # T/4: no round 0 analysis
    assert first.findings.total == 5
    assert first.findings.by_severity == {"high": 2, "medium": 1, "low": 2}
    assert first.findings.by_tool == {"bandit": 4, "tests": 1}
    assert first.findings.by_cwe == {20: 1, 78: 2, 330: 1}


def test_epoch_one_keeps_one_patch_and_rejects_two_and_one_is_unchecked(epochs):
    one = epochs[1]
    assert (one.attempted, one.kept) == (4, 1)  # T/0, T/2, T/3, prog.py; T/1 and T/6 are done
    assert one.rejected == {"no_code": 0, "fails_tests": 1, "not_fewer_findings": 1}
    assert one.unchecked == 2  # T/3's patch and T/4
    assert one.error_free == 1
    # the rejected T/2 patch fails its tests, but T/2 keeps its passing code: pass@1 does not drop
    assert (one.tested, one.passed) == (5, 3)
    assert one.findings.total == 4
    assert one.findings.by_severity == {"high": 1, "medium": 1, "low": 2}
    assert one.findings.by_tool == {"bandit": 3, "tests": 1}
    assert one.findings.by_cwe == {20: 1, 78: 1, 330: 1}


def test_epoch_two(epochs):
    two = epochs[2]
    assert (two.attempted, two.kept) == (4, 3)
    assert two.rejected == {"no_code": 1, "fails_tests": 0, "not_fewer_findings": 0}
    assert two.error_free == 4  # T/0, T/1, T/3 and prog.py (clean, no tests to pass)
    assert two.efr == share(4, 7)
    assert (two.tested, two.passed) == (5, 4)
    assert two.pass_at_1 == share(4, 5)
    assert two.unchecked == 1
    assert two.findings.total == 1 and two.findings.by_severity == {"high": 0, "medium": 1, "low": 0}
    assert two.findings.by_tool == {"bandit": 1} and two.findings.by_cwe == {20: 1}


def test_a_program_keeps_its_last_kept_code_and_says_what_became_of_each_patch():
    t2 = program_epochs([s for s in HISTORY if s.task_id == "T/2" and s.sample == 0], 2)
    assert [p.code.round for p in t2] == [0, 0, 0]
    assert [p.decision for p in t2] == [None, "fails_tests", "no_code"]
    t3 = program_epochs([s for s in HISTORY if s.task_id == "T/3"], 2)
    assert [p.code.round for p in t3] == [0, 0, 2]
    assert [p.decision for p in t3] == [None, "unchecked", "kept"]
    assert [p.unchecked for p in t3] == [False, True, False]
    assert [p.error_free for p in t3] == [False, False, True]


def test_no_round_zero_is_unchecked_and_not_error_free_in_every_epoch():
    states = program_epochs([], 3)
    assert [(p.unchecked, p.error_free, p.code) for p in states] == [(True, False, None)] * 4


def test_a_round_zero_without_analysis_is_unchecked_even_with_passing_tests():
    [state] = program_epochs([rnd("T/9", 0, tests=True)], 0)
    assert state.unchecked and not state.error_free and state.passed


def test_an_untested_run_has_no_pass_at_1():
    [only] = summarize_repair([rnd("a.py", 0, [])], [("a.py", 0)], 0)
    assert only.pass_at_1 is None and only.tested == 0 and only.error_free == 1


def test_counts_list_every_severity_of_the_analyzers_worst_first():
    from codeforge.analyzers.base import Severity

    assert sorted(SEVERITIES) == sorted(s.value for s in Severity)
    counts = count_findings([])
    assert list(counts.by_severity) == ["high", "medium", "low"] and counts.total == 0


def test_from_the_store(tmp_path):
    """program_keys, the epochs to show (the larger of --epochs and the last stored) and `finished`."""
    with Store.open(tmp_path / "c.db") as store:
        run = store.create_run("R+REPAIR", "humaneval", model="m", backend="openai", adapter=None, prompt_mode="chat",
                               feedback="findings", chain=1, samples_per_task=2, seed=0,
                               config={"workflow": "repair"}, versions={})
        store.set_tasks(run.id, ["T/0", "T/1"])
        for s in HISTORY:
            if s.task_id == "T/0" and s.sample == 0:
                sample_id = store.add_sample(run.id, s.task_id, s.sample, s.round, prompt=s.prompt,
                                             raw_output=s.raw_output, code=s.code, finish_reason="stop",
                                             prompt_tokens=0, completion_tokens=0, gen_seconds=0.0)
                for e in s.executions.values():
                    store.add_execution(sample_id, e.purpose, e.status, e.passed, e.duration_s, e.result)
        assert program_keys(store, run) == [("T/0", 0), ("T/0", 1), ("T/1", 0), ("T/1", 1)]
        summaries = repair_summaries(store, run)
        assert len(summaries) == 3  # --epochs 1, but epoch 2 is stored
        assert [s.error_free for s in summaries] == [0, 0, 1] and summaries[0].unchecked == 3
        assert not repair_finished(run, summaries)
        store.finish_run(run.id)
        assert repair_finished(store.run("R+REPAIR"), summaries)
