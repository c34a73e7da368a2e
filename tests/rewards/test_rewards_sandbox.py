"""Rewards against the real sandbox: each reward is what the sandbox said about known right and wrong
programs; the bench cheat checks hold; a sandbox failure is no reward; a call keeps every worker busy; the
async reward leaves the event loop free; what trl's logging hooks receive."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

import pytest

from codeforge.rewards import RewardKind, RewardShape, SandboxReward, Verdict, score
from codeforge.sandbox import DockerSandbox, SandboxSettings, SandboxUnavailable, Status
from codeforge.tasks import load_tasks
from codeforge.tasks.base import JobSpec, Task
from codeforge.vocabulary import Action, Language

from tests.kodcode_sample import write_kodcode
from tests.rewards.counting import CountingSandbox

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def he0():
    """HumanEval/0: seven asserts, expecting True, False, True, False, True, True, False."""
    return load_tasks("humaneval", task_ids=["HumanEval/0"])[0]


def body(task, text: str) -> str:
    return task.prompt + text


def test_the_reference_scores_one_and_a_wrong_answer_the_share_of_asserts_it_passes(reward_sandbox, he0):
    always_true, always_false = body(he0, "    return True\n"), body(he0, "    return False\n")
    right, true, false = score([(he0, he0.reference), (he0, always_true), (he0, always_false)], reward_sandbox)
    assert (right.reward, right.verdict, right.status) == (1.0, Verdict.accepted, Status.passed)
    assert len(right.tests) == 7 and right.passed_tests == 7
    assert (true.reward, true.verdict, true.passed_tests) == (pytest.approx(4 / 7), Verdict.wrong_answer, 4)
    assert (false.reward, false.passed_tests) == (pytest.approx(3 / 7), 3)
    assert [t.outcome for t in true.tests] == ["passed", "failed", "passed", "failed", "passed", "passed", "failed"]
    assert all(t.failure == "assertion" for t in true.tests if not t.passed)
    # the bench verdict agrees: only the reference passes
    assert [reward_sandbox.run(he0.test_job(code).job(f"bench-{i}")).passed
            for i, code in enumerate([he0.reference, always_true])] == [True, False]


def test_mbpp_scores_per_assert(reward_sandbox):
    task, = load_tasks("mbpp", task_ids=["Mbpp/2"])  # similar_elements; three asserts
    one_of_three = "def similar_elements(a, b):\n    return (4, 5)\n"
    right, wrong = score([(task, task.reference), (task, one_of_three)], reward_sandbox)
    assert (right.reward, wrong.reward) == (1.0, pytest.approx(1 / 3))


@pytest.mark.parametrize("shape, right, wrong", [
    (RewardShape.binary, 1.0, 0.0), (RewardShape.fraction, 1.0, 4 / 7), (RewardShape.weighted, 1.1, 0.4 / 7)])
def test_each_shape_of_the_tests_reward(reward_sandbox, he0, shape, right, wrong):
    results = score([(he0, he0.reference), (he0, body(he0, "    return True\n"))], reward_sandbox, shape=shape)
    assert [r.reward for r in results] == [pytest.approx(right), pytest.approx(wrong)]


def test_the_graded_scale_orders_what_does_not_parse_below_what_runs(reward_sandbox, he0):
    programs = {
        "accepted": he0.reference,
        "wrong": body(he0, "    return True\n"),
        "raises": body(he0, "    raise ValueError('no')\n"),
        "syntax": body(he0, "    return (\n"),
        "no code": None,
    }
    results = dict(zip(programs, score([(he0, code) for code in programs.values()], reward_sandbox,
                                       kind=RewardKind.graded)))
    results["slow"], = score([(he0, body(he0, "    while True:\n        pass\n"))], reward_sandbox,
                             kind=RewardKind.graded, timeout_s=3)
    assert {name: (r.verdict, r.reward) for name, r in results.items()} == {
        "accepted": (Verdict.accepted, 1.0), "wrong": (Verdict.wrong_answer, -0.3),
        "raises": (Verdict.runtime_error, -0.6), "syntax": (Verdict.compile_error, -1.0),
        "no code": (Verdict.no_code, -1.0), "slow": (Verdict.timeout, -0.3)}
    assert results["raises"].tests[0].failure == "program_raised"


CHEATS = {
    "exits 0 before the tests": "import sys\nsys.exit(0)\n",
    "exits 0 when called": None,  # filled in below: the entry point itself ends the process with status 0
    "prints a passing report": "print('7 passed in 0.01s')\nprint('{\"passed\": true, \"tests\": []}')\n",
}


@pytest.mark.parametrize("cheat", list(CHEATS))
def test_a_program_that_exits_early_or_forges_a_report_is_failed(reward_sandbox, he0, cheat):
    if cheat == "exits 0 when called":
        code = body(he0, "    import os\n    os._exit(0)\n")
    else:
        code = CHEATS[cheat] + he0.prompt + "    return False\n"
    tests, graded = (score([(he0, code)], reward_sandbox, kind=kind)[0] for kind in RewardKind
                     if kind is not RewardKind.go_coverage)
    assert tests.status is Status.failed and tests.reward < 1.0 and graded.reward < 0
    if cheat.startswith("exits"):
        assert (tests.verdict, tests.reward, graded.reward) == (Verdict.runtime_error, 0.0, -0.6)
    else:  # it runs, and gets the share of asserts its `return False` passes: nothing for the printing
        assert tests.reward == pytest.approx(3 / 7)


@dataclass(frozen=True)
class UnrunnableTask(Task):
    """A task whose tests the sandbox cannot even write (a test file and a folder of the same name): the
    sandbox fails, and nothing is learnt about the program."""

    def test_job(self, code: str) -> JobSpec:
        tests = {"test_a.py": "from solution import f\n\ndef test_a():\n    assert f() == 1\n", "test_a.py/x": ""}
        return JobSpec(Language.python, {"solution.py": code}, Action.test, 10.0, tests)

    def visible_job(self, code: str) -> JobSpec:
        return self.test_job(code)


def test_a_sandbox_failure_is_no_reward_and_is_counted(reward_sandbox, he0):
    broken = UnrunnableTask("broken/0", "test", Language.python, "", "f", "def f():\n    return 1\n")
    results = score([(broken, broken.reference), (he0, he0.reference)], reward_sandbox)
    assert results[0].status is Status.sandbox_error and results[0].verdict is Verdict.no_verdict
    assert [r.reward for r in results] == [None, 1.0]
    assert "could not be written" in results[0].error
    reward = SandboxReward([broken, he0], reward_sandbox, kind=RewardKind.graded)
    rewards = reward.score_completions(["p", "p"], [broken.reference, he0.reference[len(he0.prompt):]],
                                       task_id=["broken/0", "HumanEval/0"])
    assert rewards == [None, 1.0] and reward.stats.unscored == 1 and reward.stats.completions == 2


def test_a_sandbox_that_cannot_run_anything_gives_no_rewards_and_stops_a_training_step(docker_client, he0):
    # No image under this name: the engine answers, but no job can run.
    settings = SandboxSettings(workers=1, image_prefix="codeforge-no-such-image")
    with DockerSandbox(settings, client=docker_client) as sandbox:
        results = score([(he0, he0.reference)] * 2, sandbox)
        assert [(r.reward, r.verdict) for r in results] == [(None, Verdict.no_verdict)] * 2
        assert "codeforge-no-such-image-python:latest is missing" in results[0].error
        reward = SandboxReward([he0], sandbox)
        with pytest.raises(SandboxUnavailable, match="could not run any completion in the sandbox: The sandbox "
                                                     "image codeforge-no-such-image-python:latest is missing"):
            asyncio.run(reward(["p"], ["    return 1\n"], task_id=["HumanEval/0"]))
    closed = score([(he0, he0.reference)], sandbox)[0]  # the sandbox is closed now
    assert (closed.reward, closed.verdict, closed.error) == (None, Verdict.no_verdict, "the sandbox is closed")


def test_64_completions_in_one_call_keep_every_worker_busy(docker_client):
    tasks = load_tasks("mbpp", limit=32)
    items = [(task, task.reference) for task in tasks] + [(task, "def nothing():\n    pass\n") for task in tasks]
    with CountingSandbox(SandboxSettings(workers=3), client=docker_client) as sandbox:
        results = score(items, sandbox)
        assert sandbox.most == 3 and sandbox.finished == 64
    flaky = {task.task_id for task in tasks if "flaky" in task.extra}
    assert all(r.reward == 1.0 for r in results[:32] if r.task_id not in flaky)
    assert all(r.reward == 0.0 and r.verdict is Verdict.wrong_answer for r in results[32:])


def test_the_async_reward_leaves_the_event_loop_free_and_two_rewards_run_together(reward_sandbox, he0):
    tests = SandboxReward([he0], reward_sandbox)
    graded = SandboxReward([he0], reward_sandbox, kind=RewardKind.graded)
    completions = ["    return True\n", he0.reference[len(he0.prompt):]] * 4
    columns = {"task_id": ["HumanEval/0"] * 8}

    async def step():
        first = asyncio.ensure_future(tests(["p"] * 8, completions, **columns))
        await asyncio.sleep(0)  # the reward has queued its jobs and now waits
        waiting = not first.done()
        second = await graded(["p"] * 8, completions, **columns)  # another reward runs meanwhile
        return waiting, await first, second

    waiting, first, second = asyncio.run(step())
    assert waiting  # a reward that blocked the loop would have finished before giving it back
    assert first == [pytest.approx(4 / 7), 1.0] * 4 and second == [-0.3, 1.0] * 4


def test_trls_logging_hooks_get_each_completion_and_the_calls_numbers(reward_sandbox, he0, tmp_path):
    extra, metrics = {}, {}
    log = tmp_path / "rewards.jsonl"
    reward = SandboxReward([he0], reward_sandbox, group_size=2, log_file=log)
    right = he0.reference[len(he0.prompt):]
    completions = [right, right, "    return True\n", right]

    class State:
        global_step = 3

    rewards = asyncio.run(reward(["p"] * 4, completions, task_id=["HumanEval/0"] * 4, trainer_state=State(),
                                 log_extra=lambda column, values: extra.setdefault(column, []).extend(values),
                                 log_metric=lambda name, value: metrics.setdefault(name, []).append(value)))
    assert rewards == [1.0, 1.0, pytest.approx(4 / 7), 1.0]
    assert extra["tests_fraction/verdict"] == ["accepted", "accepted", "wrong_answer", "accepted"]
    assert extra["tests_fraction/status"] == ["passed", "passed", "failed", "passed"]
    assert extra["tests_fraction/reward"] == rewards
    assert json.loads(extra["tests_fraction/tests"][2])[1] == ["test_graded.py::test_assertion_2", "failed"]
    assert metrics["tests_fraction/zero_variance_groups"] == [0.5]  # the first group: two equal rewards
    assert metrics["tests_fraction/unscored"] == [0.0] and metrics["tests_fraction/seconds"][0] > 0
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [line["step"] for line in lines] == [3] * 4
    assert lines[2]["verdict"] == "wrong_answer" and len(lines[2]["tests"]) == 7
    assert (reward.stats.groups, reward.stats.zero_variance_groups) == (2, 1)


def test_kodcode_tasks_are_scored_per_pytest_test(reward_sandbox, tmp_path):
    merge, palindrome, count = load_tasks(f"jsonl:{write_kodcode(tmp_path / 'kodcode.jsonl')}")
    reward = SandboxReward([merge, palindrome, count], reward_sandbox)

    def said(code: str) -> list[dict]:
        return [{"role": "assistant", "content": f"```python\n{code}```"}]

    answers = [(merge, said(merge.reference)),
               (merge, said("def merge_sorted(a, b):\n    return sorted(set(a or []) | set(b))\n")),
               (palindrome, said(palindrome.reference)),
               (palindrome, said("def is_palindrome(s):\n    return s == s[::-1]\n")),
               (count, said(count.reference)),
               (count, said("def count_words(text):\n    return text.count(' ') + 1\n"))]
    rewards = reward.score_completions([[{"role": "user", "content": task.prompt}] for task, _ in answers],
                                       [answer for _, answer in answers], task_id=[task.task_id for task, _ in answers])
    # the wrong ones pass 3 of merge's 5 tests, 2 of the palindrome class's 3, 1 of count's 4 parametrized cases
    assert rewards[0::2] == [1.0, 1.0, 1.0]
    assert rewards[1::2] == [pytest.approx(3 / 5), pytest.approx(2 / 3), pytest.approx(1 / 4)]


def test_a_go_coverage_rule_reads_the_coverage_the_sandbox_reports(reward_sandbox):
    from codeforge.rewards import coverage_of

    class Coverage:
        def job(self, task, code):
            return task.test_job(code)

        def reward(self, result):
            return coverage_of(result)

    task, = load_tasks("humaneval-x-go", task_ids=["Go/0"])
    result, = score([(task, task.reference)], reward_sandbox, rule=Coverage())
    assert result.status is Status.passed
    assert result.reward == pytest.approx(result.details["coverage"]["total"] / 100) and result.reward > 0.5


def test_go_coverage_scores_a_model_written_unit_test_of_a_package_function(reward_sandbox, tmp_path):
    """The hook `finetune --method grpo --reward go-coverage` uses: chat answers holding a test file."""
    import sys
    from pathlib import Path

    from codeforge.models.base import PromptMode
    from codeforge.tasks import load_tasks

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tasks"))
    from test_go_unittest_tasks import write_package

    area = load_tasks("go-unittest", dataset_path=write_package(tmp_path / "shapes"), task_ids=["shapes/Area"])[0]
    good = ("package shapes\n\nfunc TestArea(t *testing.T) {\n\tif Area(-1) != 0 || Area(1.5) != 9 {\n"
            "\t\tt.Fatal()\n\t}\n}\n")
    one_branch = "package shapes\n\nimport \"testing\"\n\nfunc TestArea(t *testing.T) {\n\tif Area(-1) != 0 {\n\t\tt.Fatal()\n\t}\n}\n"
    broken = "package shapes\n\nfunc TestArea(t *testing.T) { Areaa() }\n"
    reward = SandboxReward([area], reward_sandbox, kind=RewardKind.go_coverage, prompt_mode=PromptMode.chat)
    answers = [[{"role": "assistant", "content": f"```go\n{test}```"}] for test in (good, one_branch, broken)]
    rewards = reward.score_completions(["p"] * 3, answers, task_id=[area.task_id] * 3)
    # all pass and the function covered whole; one branch of the if (2 of its 3 statements); no build
    assert rewards == [1.0, pytest.approx(0.8 + 0.2 * 2 / 3, abs=1e-3), 0.0]
