"""The `go-coverage` reward: how good a model-written Go unit test is, from the sandbox's `unittest` result.

    reward = 0                                   the test cannot run (imports, build, a forbidden construct,
                                                 a timeout or another sandbox limit)
           = 0.5                                 it runs
           + 0.25 if it succeeds                 `go test` would say ok: exit 0, the closing PASS, no test failed
           + 0.05 if all its tests pass          ... and no test or subtest was skipped
           + 0.2 x the function under test's coverage (0..1, statements covered by the run)

So a test that does not build scores 0, one that runs but fails 0.5 + 0.2 x coverage, one that passes
0.8 + 0.2 x coverage, and one that passes every test and covers the whole function 1.0. What each word
means exactly, and why a test cannot forge it, is in codeforge/sandbox/recipes/gounit.py.
"""

from __future__ import annotations

from typing import Optional

from ..tasks.base import JobSpec, Task
from .outcomes import RewardResult, Verdict

RUNNABLE = 0.5
SUCCEEDED = 0.25
ALL_PASSED = 0.05
COVERAGE = 0.2


def go_coverage_reward(details: Optional[dict]) -> float:
    """The reward of one scored test from its Result's details (runnable, succeeded, all_passed,
    function_coverage); no details (nothing ran) is 0."""
    details = details or {}
    if details.get("runnable") is not True:
        return 0.0
    reward = RUNNABLE
    if details.get("succeeded") is True:
        reward += SUCCEEDED
        if details.get("all_passed") is True:
            reward += ALL_PASSED
    share = details.get("function_coverage")
    if isinstance(share, (int, float)) and not isinstance(share, bool):
        reward += COVERAGE * min(1.0, max(0.0, float(share)))
    return round(reward, 9)  # 0.5 + 0.25 + 0.05 + 0.2 is 1.0, not 1.0000000000000002


class GoCoverageRule:
    """A Go unit-test task's candidate test, scored against the task's trusted package (`unittest_job`)."""

    def job(self, task: Task, code: str) -> JobSpec:
        make = getattr(task, "unittest_job", None)
        if make is None:
            # untranslated: API misuse (codeforge finetune refuses go-coverage on other tasks before this)
            raise ValueError(f"{task.task_id} is not a Go unit-test task: the go-coverage reward scores the unit "
                             "tests a model writes (use --reward tests or graded)")
        return make(code)

    def reward(self, result: RewardResult) -> Optional[float]:
        if result.verdict is Verdict.no_verdict:
            return None
        return go_coverage_reward(result.details)
