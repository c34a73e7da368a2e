"""Rewards from execution: a completion's program runs in the sandbox against its task's tests, and what the
sandbox says becomes a number. Shared by GRPO training (`SandboxReward`, a trl reward function) and by anyone
scoring programs (`score`).

    from codeforge.rewards import RewardKind, RewardShape, SandboxReward, score

    results = score([(task, code), ...], sandbox, kind=RewardKind.tests, shape=RewardShape.fraction)
    results[0].reward, results[0].verdict, results[0].tests      # 0.4, Verdict.wrong_answer, (TestOutcome, ...)

Kinds (rules.py): `tests` (1 when the tests pass, else shaped from the share of tests passed: binary, fraction,
weighted), `graded` (accepted 1, wrong answer or timeout -0.3, runtime error -0.6, compile error -1) and
`go-coverage` (a model-written Go unit test: runs, succeeds, all pass, coverage of the function under test;
`go_coverage_reward(details)` for anyone holding a sandbox Result). The tests are the task's own, split one
outcome per test (Task.graded_job), and the verdict is the sandbox's, decided outside the program: a program
that exits early, prints a fake report or reads the tests does not pass here either. A sandbox failure is no
reward (None), never a zero.
"""

from .function import RewardStats, SandboxReward
from .gocoverage import GoCoverageRule, go_coverage_reward
from .groups import check_group_size, zero_variance_share
from .outcomes import RewardResult, TestOutcome, Verdict
from .rules import (GRADED_SCALE, RULES, GradedRule, RewardKind, RewardRule, RewardShape, TestsRule, coverage_of,
                    register, rule_for)
from .score import score, score_async

__all__ = ["GRADED_SCALE", "RULES", "GoCoverageRule", "GradedRule", "RewardKind", "RewardResult", "RewardRule",
           "RewardShape", "RewardStats", "SandboxReward", "TestOutcome", "TestsRule", "Verdict", "check_group_size",
           "coverage_of", "go_coverage_reward", "register", "rule_for", "score", "score_async", "zero_variance_share"]
