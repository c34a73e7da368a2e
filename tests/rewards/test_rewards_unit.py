"""The reward rules, verdicts, groups and completion handling, on results written out by hand (no sandbox)."""

from __future__ import annotations

import asyncio

import pytest

from codeforge.rewards import (RewardKind, RewardResult, RewardShape, SandboxReward, TestOutcome, Verdict,
                               check_group_size, coverage_of, go_coverage_reward, register, rule_for,
                               zero_variance_share)
from codeforge.rewards.outcomes import outcomes_of, verdict_of
from codeforge.rewards.rules import RULES
from codeforge.sandbox.jobs import Result, Status
from codeforge.tasks import load_tasks
from codeforge.tasks.base import JobSpec
from codeforge.vocabulary import Action, Language


def result(status: Status, tests=(), error: str = "") -> Result:
    details = {"tests": [dict(t) for t in tests]}
    if error:
        details["error"] = error
    return Result(id="r", status=status, details=details)


PASSED = {"name": "t1", "outcome": "passed"}


@pytest.mark.parametrize("status, tests, error, verdict", [
    (Status.passed, [PASSED], "", Verdict.accepted),
    (Status.failed, [PASSED, {"name": "t2", "outcome": "failed", "failure": "assertion"}], "", Verdict.wrong_answer),
    (Status.failed, [PASSED, {"name": "t2", "outcome": "failed", "failure": "error"}], "", Verdict.wrong_answer),
    (Status.failed, [PASSED, {"name": "t2", "outcome": "failed", "failure": "program_raised"}], "",
     Verdict.runtime_error),
    (Status.failed, [{"name": "t2", "outcome": "failed", "failure": "program_ended"}], "", Verdict.runtime_error),
    (Status.failed, [], "the program raised ValueError while it loaded", Verdict.runtime_error),
    # Go: a panic ends the test binary before its tests finished
    (Status.failed, [{"name": "TestA", "outcome": "failed"}],
     "the program ended before the tests finished (0 of 2 tests reported)", Verdict.runtime_error),
    (Status.failed, [{"name": "TestA", "outcome": "failed"}], "1 of 1 tests did not pass: TestA", Verdict.wrong_answer),
    (Status.timeout, [], "", Verdict.timeout),
    (Status.oom, [], "", Verdict.runtime_error),
    (Status.output_limit, [], "", Verdict.runtime_error),
    (Status.memory_error, [], "", Verdict.runtime_error),
    (Status.compile_error, [], "", Verdict.compile_error),
    (Status.sandbox_error, [], "", Verdict.no_verdict),
])
def test_the_verdict_comes_from_the_status_and_how_tests_failed(status, tests, error, verdict):
    outcome = result(status, tests, error)
    assert verdict_of(outcome, outcomes_of(outcome)) is verdict


def scored(verdict: Verdict, passed: int = 0, failed: int = 0) -> RewardResult:
    tests = tuple(TestOutcome(f"p{i}", "passed") for i in range(passed)) + \
        tuple(TestOutcome(f"f{i}", "failed", "assertion") for i in range(failed))
    return RewardResult("t", verdict, None, tests=tests)


@pytest.mark.parametrize("shape, right, two_of_five, no_code", [
    (RewardShape.binary, 1.0, 0.0, 0.0),
    (RewardShape.fraction, 1.0, 0.4, 0.0),
    (RewardShape.weighted, 1.1, 0.04, 0.0),
])
def test_the_tests_reward_shapes(shape, right, two_of_five, no_code):
    rule = rule_for(RewardKind.tests, shape)
    assert rule.reward(scored(Verdict.accepted, passed=5)) == pytest.approx(right)
    assert rule.reward(scored(Verdict.wrong_answer, passed=2, failed=3)) == pytest.approx(two_of_five)
    assert rule.reward(scored(Verdict.no_code)) == no_code
    assert rule.reward(scored(Verdict.no_verdict, passed=5)) is None


def test_a_failed_run_whose_tests_all_passed_counts_nothing():
    """It failed outside its tests (it ended early, forged a report): never the reward of a pass."""
    for shape in RewardShape:
        assert rule_for(RewardKind.tests, shape).reward(scored(Verdict.runtime_error, passed=3)) == 0.0


def test_the_graded_scale():
    rule = rule_for(RewardKind.graded)
    assert {v: rule.reward(scored(v)) for v in Verdict} == {
        Verdict.accepted: 1.0, Verdict.wrong_answer: -0.3, Verdict.timeout: -0.3, Verdict.runtime_error: -0.6,
        Verdict.compile_error: -1.0, Verdict.no_code: -1.0, Verdict.no_verdict: None}


def test_a_rule_plugs_into_a_kind():
    saved = RULES[RewardKind.go_coverage]

    class Coverage:
        def job(self, task, code):
            return task.test_job(code)

        def reward(self, result):
            return coverage_of(result)

    try:
        register(RewardKind.go_coverage, lambda shape: Coverage())
        rule = rule_for(RewardKind.go_coverage)
        covered = RewardResult("g", Verdict.accepted, None, details={"coverage": {"total": 87.5, "functions": []}})
        assert rule.reward(covered) == 0.875 and rule.reward(scored(Verdict.accepted)) is None
    finally:
        RULES[RewardKind.go_coverage] = saved


def unit(runnable=True, succeeded=False, all_passed=False, coverage=None) -> dict:
    return {"runnable": runnable, "succeeded": succeeded, "all_passed": all_passed, "function_coverage": coverage}


@pytest.mark.parametrize("details, reward", [
    (None, 0.0),
    ({}, 0.0),
    (unit(runnable=False, succeeded=True, all_passed=True, coverage=1.0), 0.0),  # never runs: nothing counts
    (unit(), 0.5),
    (unit(coverage=0.5), 0.6),
    (unit(succeeded=True), 0.75),
    (unit(succeeded=True, coverage=2 / 3), 0.75 + 0.2 * 2 / 3),
    (unit(succeeded=True, all_passed=True), 0.8),
    (unit(succeeded=True, all_passed=True, coverage=0.25), 0.85),
    (unit(succeeded=True, all_passed=True, coverage=1.0), 1.0),
    (unit(all_passed=True, coverage=1.0), 0.7),  # all_passed without succeeding cannot be: it adds nothing
    (unit(coverage=7.0), 0.7),  # a share is clamped to 0..1
    (unit(coverage=True), 0.5),  # and must be a number
    (unit(runnable="yes", succeeded=True), 0.0),
])
def test_the_go_coverage_formula(details, reward):
    assert go_coverage_reward(details) == pytest.approx(reward)


def test_the_go_coverage_rule_scores_a_unit_test_task_and_refuses_other_tasks():
    rule = rule_for(RewardKind.go_coverage)
    full = RewardResult("g", Verdict.accepted, None, details=unit(True, True, True, 1.0))
    assert rule.reward(full) == 1.0 and rule.reward(scored(Verdict.no_verdict)) is None
    assert rule.reward(scored(Verdict.no_code)) == 0.0

    class UnitTestTask:
        task_id = "go-unit/1"

        def unittest_job(self, code):
            return JobSpec(Language.go, {"calc.go": "package calc\n"}, Action.unittest, 10.0,
                           {"calc_test.go": code}, function="Abs")

    job = rule.job(UnitTestTask(), "package calc\n").job("j")
    assert (job.action, job.function, job.tests) == (Action.unittest, "Abs", {"calc_test.go": "package calc\n"})
    he0, = load_tasks("humaneval", task_ids=["HumanEval/0"])
    with pytest.raises(ValueError, match="not a Go unit-test task"):
        rule.job(he0, "x = 1")


def test_the_zero_variance_share_counts_groups_whose_rewards_are_all_equal():
    assert zero_variance_share([1, 1, 0, 1, 0.5, 0.5, 0.5, 0.5], 4) == 0.5
    assert zero_variance_share([0, 0, 0, 0, 0, 0], 2) == 1.0
    assert zero_variance_share([0, 1, 0.25, 0.5], 2) == 0.0
    # completions without a reward are left out; fewer than two rewards left is no variance
    assert zero_variance_share([None, 1, 0, 1, None, None], 3) == 0.5
    assert zero_variance_share([], 4) == 0.0


def test_a_group_size_that_does_not_divide_the_batch_says_which_sizes_work():
    with pytest.raises(ValueError, match="a group size of 4 does not divide 6 completions into whole groups: "
                                         "use one of 1, 2, 3, 6"):
        check_group_size(6, 4)
    with pytest.raises(ValueError, match="group size of 4"):
        zero_variance_share([1.0] * 6, 4)


@pytest.fixture(scope="module")
def humaneval0():
    return load_tasks("humaneval", task_ids=["HumanEval/0"])[0]


def test_code_comes_out_of_completions_as_bench_takes_it(humaneval0):
    reward = SandboxReward([humaneval0], sandbox=None)
    body = "    return False\n"
    # a plain completion continues the prompt
    assert reward.code(humaneval0, body) == humaneval0.prompt + body
    # a chat completion is a list of messages with the program in a fenced block
    answer = "Here:\n```python\ndef has_close_elements(n, t):\n    return False\n```\n"
    chat = [{"role": "assistant", "content": answer}]
    assert reward.code(humaneval0, chat) == "def has_close_elements(n, t):\n    return False\n"
    assert reward.code(humaneval0, [{"role": "assistant", "content": "I cannot help with that."}]) is None


def test_the_reward_names_the_column_it_needs_and_the_tasks_it_does_not_know(humaneval0):
    reward = SandboxReward([humaneval0], sandbox=None)
    with pytest.raises(ValueError, match=r"needs the dataset column 'task_id'.*columns given are: entry_point"):
        asyncio.run(reward(["p"], ["c"], entry_point=["f"], log_metric=print))
    with pytest.raises(ValueError, match="the reward knows no task 'Mbpp/2'"):
        asyncio.run(reward(["p"], ["c"], task_id=["Mbpp/2"]))


@pytest.mark.slow  # importing trl
def test_trl_takes_it_as_an_async_reward_function_named_after_its_kind(humaneval0):
    utils = pytest.importorskip("trl.trainer.utils")
    tests = SandboxReward([humaneval0], sandbox=None)
    graded = SandboxReward([humaneval0], sandbox=None, kind=RewardKind.graded)
    assert utils.is_async_callable(tests) and utils.is_async_callable(graded)
    assert (utils.get_callable_name(tests), utils.get_callable_name(graded)) == ("tests_fraction", "graded")


def test_a_group_size_that_does_not_divide_the_call_is_refused_before_anything_runs(humaneval0):
    reward = SandboxReward([humaneval0], sandbox=None, group_size=4)  # no sandbox: nothing may reach it
    with pytest.raises(ValueError, match="does not divide 6 completions into whole groups: use one of 1, 2, 3, 6"):
        asyncio.run(reward(["p"] * 6, ["c"] * 6, task_id=["HumanEval/0"] * 6))
