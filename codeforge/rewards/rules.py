"""Reward rules: what runs for a completion, and how its result becomes a reward. One registry, `RULES`.

A rule is a `RewardRule`: `job(task, code)` is the sandbox job a completion's code runs as, `reward(result)`
turns the scored completion into a float (or None: no reward). `tests` and `graded` run the task's graded job
(its tests, one outcome per test: Task.graded_job). `go-coverage` scores a model-written Go unit test
(gocoverage.py: the sandbox's go `unittest` action, a task's `unittest_job`); the go `test` action reports
coverage in details["coverage"] too (`coverage_of`). `register` plugs a rule in under a kind.
"""

from __future__ import annotations

from enum import Enum
from typing import Callable, Optional, Protocol

from ..tasks.base import JobSpec, Task
from .gocoverage import GoCoverageRule
from .outcomes import RewardResult, Verdict


class RewardKind(str, Enum):
    """tests: 1 when the task's tests pass, else shaped by RewardShape from the share of tests passed;
    graded: accepted 1, wrong answer or timeout -0.3, runtime error -0.6, compile or syntax error -1;
    go-coverage: a model-written Go unit test: 0 when it cannot run, 0.5 when it runs, +0.25 when it succeeds,
    +0.05 when every test passes, +0.2 x the function under test's coverage."""

    tests = "tests"
    graded = "graded"
    go_coverage = "go-coverage"


class RewardShape(str, Enum):
    """How the `tests` reward counts: binary (1 when every test passes, else 0), fraction (1 when the tests
    pass, else the share of tests that pass), weighted (pass + 0.1 x the share of tests passed, as open-r1's
    Codeforces reward: 1.1 for a pass)."""

    binary = "binary"
    fraction = "fraction"
    weighted = "weighted"


class RewardRule(Protocol):
    """What a reward runs for one completion and how it reads the result."""

    def job(self, task: Task, code: str) -> JobSpec: ...

    def reward(self, result: RewardResult) -> Optional[float]: ...


GRADED_SCALE = {  # the CodePatchLLM prototype's scale
    Verdict.accepted: 1.0,
    Verdict.wrong_answer: -0.3,
    Verdict.timeout: -0.3,
    Verdict.runtime_error: -0.6,
    Verdict.compile_error: -1.0,
    Verdict.no_code: -1.0,  # an answer without code parses as nothing
}


class TestsRule:
    """The task's tests, one outcome per test; the reward is shaped from the share that passed."""

    __test__ = False  # not a pytest test class, whatever its name

    def __init__(self, shape: RewardShape = RewardShape.fraction):
        self.shape = RewardShape(shape)

    def job(self, task: Task, code: str) -> JobSpec:
        return task.graded_job(code)

    def reward(self, result: RewardResult) -> Optional[float]:
        if result.verdict is Verdict.no_verdict:
            return None
        passed = result.verdict is Verdict.accepted
        # A failed run whose tests all passed failed outside them (it ended early, forged a report, a test
        # file did not load): the share says nothing then, and counts nothing.
        share = 1.0 if passed else result.fraction if result.fraction < 1.0 else 0.0
        if self.shape is RewardShape.binary:
            return 1.0 if passed else 0.0
        if self.shape is RewardShape.fraction:
            return 1.0 if passed else share
        return (1.0 if passed else 0.0) + 0.1 * share


class GradedRule:
    """The task's tests; the reward is the verdict's place on the graded scale."""

    def job(self, task: Task, code: str) -> JobSpec:
        return task.graded_job(code)

    def reward(self, result: RewardResult) -> Optional[float]:
        return GRADED_SCALE.get(result.verdict)  # no_verdict: None


def coverage_of(result: RewardResult) -> Optional[float]:
    """The share of statements a Go test run covered (0..1), as the sandbox reports it; None without one."""
    total = ((result.details or {}).get("coverage") or {}).get("total")
    return float(total) / 100.0 if isinstance(total, (int, float)) else None


class NotAvailable:
    """A kind whose rule another piece of work provides; until then, choosing it says so."""

    def __init__(self, why: str):
        self.why = why

    def __call__(self, shape: RewardShape) -> RewardRule:
        raise ValueError(self.why)


RULES: dict[RewardKind, Callable[[RewardShape], RewardRule]] = {
    RewardKind.tests: TestsRule,
    RewardKind.graded: lambda shape: GradedRule(),
    RewardKind.go_coverage: lambda shape: GoCoverageRule(),
}


def register(kind: RewardKind, make: Callable[[RewardShape], RewardRule]) -> None:
    """Plug a rule in under `kind` (another rule for a kind, or one for a kind still `NotAvailable`)."""
    RULES[RewardKind(kind)] = make


def rule_for(kind: RewardKind = RewardKind.tests, shape: RewardShape = RewardShape.fraction) -> RewardRule:
    return RULES[RewardKind(kind)](RewardShape(shape))
