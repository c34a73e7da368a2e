"""What one scored completion is: its verdict, its per-test outcomes and its reward (`RewardResult`).

The verdict is the judge's word for what happened to the program, read from the sandbox's Result: the status
decides it, and a failed run is a wrong answer unless the program itself gave out (it raised where a test did
not expect it, ended while the tests needed it, or never got to the tests). Each failed Python test says how it
failed (`failure`, decided by the sandbox's test harness, outside the program); a Go run that ends before its
tests finished (a panic) says so in details["error"].
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any, Optional

from ..sandbox.jobs import Result, Status


class Verdict(str, Enum):
    """What happened to a completion's program (a judge's verdicts)."""

    accepted = "accepted"  # the task's tests passed
    wrong_answer = "wrong_answer"  # the tests ran and one did not hold
    timeout = "timeout"  # the time limit was reached
    runtime_error = "runtime_error"  # the program raised, crashed, ended early, ran out of memory or output
    compile_error = "compile_error"  # it does not compile or parse
    no_code = "no_code"  # the completion holds no code: nothing ran
    no_verdict = "no_verdict"  # the sandbox failed: nothing is known about the program, and it gets no reward


# How a failed test failed, as the harness reports it; these two mean the program gave out, not its answer.
PROGRAM_FAILURES = ("program_raised", "program_ended")
ENDED_EARLY = "the program ended before the tests finished"
RUNTIME_STATUSES = (Status.oom, Status.output_limit, Status.memory_error)


@dataclass(frozen=True)
class TestOutcome:
    """One test of a completion's run: its name, `passed` / `failed` / `skipped` (Go: `running` when the run
    ended inside it), and for a failed Python test how it failed (`assertion`, `program_raised`,
    `program_ended`, `error`)."""

    __test__ = False  # not a pytest test class, whatever its name

    name: str
    outcome: str
    failure: Optional[str] = None

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"


@dataclass(frozen=True)
class RewardResult:
    """One completion, scored. `reward` is None when the sandbox failed (`verdict` no_verdict): such a completion
    gets no reward, never a zero. `status` is the sandbox's (None when nothing ran); `seconds` the time the
    sandbox spent on it; `error` why it did not pass (the sandbox's words)."""

    task_id: str
    verdict: Verdict
    reward: Optional[float]
    status: Optional[Status] = None
    tests: tuple[TestOutcome, ...] = ()
    seconds: float = 0.0
    error: str = ""
    details: Optional[dict] = None  # the Result's details, for rules that read more (Go coverage)

    @property
    def passed_tests(self) -> int:
        return sum(test.passed for test in self.tests)

    @property
    def fraction(self) -> float:
        """The share of its tests that passed (0 when none ran)."""
        return self.passed_tests / len(self.tests) if self.tests else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain data for logs and JSON lines (without the sandbox's details)."""
        data = asdict(self)
        data.pop("details")
        data["verdict"] = self.verdict.value
        data["status"] = self.status.value if self.status is not None else None
        data["tests"] = [{k: v for k, v in asdict(test).items() if v is not None} for test in self.tests]
        return data


def outcomes_of(result: Result) -> tuple[TestOutcome, ...]:
    tests = result.details.get("tests") or []
    return tuple(TestOutcome(str(t.get("name", "")), str(t.get("outcome", "")), t.get("failure"))
                 for t in tests if isinstance(t, dict))


def verdict_of(result: Result, tests: tuple[TestOutcome, ...]) -> Verdict:
    status = result.status
    if status is Status.passed:
        return Verdict.accepted
    if status is Status.sandbox_error:
        return Verdict.no_verdict
    if status is Status.compile_error:
        return Verdict.compile_error
    if status is Status.timeout:
        return Verdict.timeout
    if status in RUNTIME_STATUSES:
        return Verdict.runtime_error
    failed = [test for test in tests if not test.passed]
    if not tests or any(test.failure in PROGRAM_FAILURES for test in failed) \
            or str(result.details.get("error", "")).startswith(ENDED_EARLY):
        return Verdict.runtime_error  # it never got to the tests, or gave out during them
    return Verdict.wrong_answer
