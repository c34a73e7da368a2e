"""Preference pairs mined from a results store the tests write: a passing answer against a failing one to the
same prompt, per task (first round and chain rounds), identical programs once, at most so many per task, held-back
tasks kept whole; and what a run that gives no pairs says."""

from __future__ import annotations

import json

import pytest
from preference_store import Answer, add_run, prompt_of, right, wrong
from tiny_tasks import codeforge, write_tasks

from codeforge.finetune.config import FinetuneConfig, Method
from codeforge.finetune.dpo import hold_back
from codeforge.finetune.pairs import mine, spread
from codeforge.finetune.rows import Format, preference_row
from codeforge.finetune.session import METHODS
from codeforge.finetune.sources import SourceError
from codeforge.models.prompts import base_feedback_prompt
from codeforge.store import Store

FEEDBACK = "Your program failed: AssertionError"


@pytest.fixture
def tasks(tmp_path):
    return write_tasks(tmp_path / "t.jsonl")


def pairs_of(mined) -> list[tuple[str, int, str, str]]:
    return [(p.task.task_id, p.round, p.chosen, p.rejected) for p in mined.pairs]


def test_a_pair_is_a_passing_and_a_failing_answer_to_one_task_prompt(tmp_path, tasks):
    db = tmp_path / "c.db"
    add_run(db, "BASE", tasks, {
        0: [Answer(0, right(0), True), Answer(1, wrong(0), False), Answer(2, wrong(0, "-1"), False)],
        1: [Answer(0, right(1), True), Answer(1, right(1), True)],  # only passing: no pair
        2: [Answer(0, wrong(2), False)],  # only failing: no pair
        3: [Answer(0, wrong(3), False), Answer(1, right(3), True)],
    })
    mined = mine(["BASE"], db)
    assert pairs_of(mined) == [("tiny/0", 0, right(0), wrong(0)), ("tiny/0", 0, right(0), wrong(0, "-1")),
                               ("tiny/3", 0, right(3), wrong(3))]
    assert {p.source for p in mined.pairs} == {"run:BASE"}
    assert mined.counts() == {"run:BASE": {"first_round": 3, "chain": 0}}
    assert mined.answers["run:BASE"]["tiny/1"] == [2, 0] and mined.answers["run:BASE"]["tiny/5"] == [0, 0]
    # as a base model is prompted: the task's prompt, and what each program writes after it
    row = preference_row(mined.pairs[0], Format(None, "<|endoftext|>"))
    assert (row["prompt"], row["chosen"], row["rejected"], row["kind"]) == (
        prompt_of(0), "    return x * 2\n<|endoftext|>", "    return None\n<|endoftext|>", "preference")
    # as an instruct model is: the chat turn and the opened code block, then each whole program and the fence
    chat = preference_row(mined.pairs[0], Format(lambda messages: f"<user>{messages[-1]['content']}<bot>", "<e>"))
    assert chat["prompt"].startswith("<user>") and "<bot>" in chat["prompt"]
    assert chat["prompt"].endswith("```python\n")
    assert (chat["chosen"], chat["rejected"]) == (right(0) + "```<e>", wrong(0) + "```<e>")


def test_identical_programs_count_once_and_answers_without_code_verdict_or_a_steady_verdict_are_left_out(
        tmp_path, tasks):
    db = tmp_path / "c.db"
    flaky = wrong(0, "x + x")
    add_run(db, "BASE", tasks, {0: [
        Answer(0, right(0), True), Answer(1, right(0) + "   \n\n", True),  # the same program, trailing blanks
        Answer(2, wrong(0), False), Answer(3, wrong(0), False),
        Answer(4, flaky, True), Answer(5, flaky, False),  # passed once, failed once: no side can be trusted
        Answer(6, None, False),  # no code in the answer
        Answer(7, wrong(0, "0"), None),  # the sandbox failed: no verdict
    ]})
    assert pairs_of(mine(["BASE"], db)) == [("tiny/0", 0, right(0), wrong(0))]


def test_at_most_max_pairs_per_task_spread_over_every_passing_and_failing_answer(tmp_path, tasks):
    db = tmp_path / "c.db"
    passing = [right(0), right(0).replace("return x * 2", "return 2 * x"), right(0).replace("x * 2", "x + x")]
    failing = [wrong(0), wrong(0, "x"), wrong(0, "0")]
    add_run(db, "BASE", tasks, {0: [Answer(i, code, True) for i, code in enumerate(passing)]
                                + [Answer(3 + i, code, False) for i, code in enumerate(failing)]})
    assert len(mine(["BASE"], db, max_per_task=100).pairs) == 9
    capped = mine(["BASE"], db, max_per_task=4).pairs
    assert len(capped) == 4 and len({(p.chosen, p.rejected) for p in capped}) == 4
    assert {p.chosen for p in capped} == set(passing) and {p.rejected for p in capped} == set(failing)


@pytest.mark.parametrize("n, m", [(1, 1), (1, 4), (3, 3), (2, 4), (4, 6), (5, 3)])
def test_spread_takes_every_combination_once_and_uses_answers_evenly_in_every_prefix(n, m):
    order = spread(n, m)
    assert sorted(order) == [(i, j) for i in range(n) for j in range(m)]
    for length in range(1, len(order) + 1):
        chosen = [sum(1 for i, _ in order[:length] if i == k) for k in range(n)]
        rejected = [sum(1 for _, j in order[:length] if j == k) for k in range(m)]
        assert max(chosen) - min(chosen) <= 1 and max(rejected) - min(rejected) <= 1, (length, order)


def test_chain_rounds_pair_the_passing_and_the_failing_fix_to_one_feedback_prompt(tmp_path, tasks):
    db = tmp_path / "c.db"
    add_run(db, "CHAIN", tasks, {0: [
        # two samples failed the same way and were told the same: one feedback prompt, two fixes
        Answer(0, wrong(0), False), Answer(0, right(0), True, round=1, feedback=FEEDBACK),
        Answer(1, wrong(0), False), Answer(1, wrong(0, "x"), False, round=1, feedback=FEEDBACK),
        # another failure, its own feedback prompt, one fix: no pair
        Answer(2, wrong(0, "0"), False), Answer(2, right(0), True, round=1, feedback=FEEDBACK),
    ]})
    # round 0 failed everywhere, and the fixes answer other prompts than round 0's: one pair, from round 1
    [chain] = mine(["CHAIN"], db).pairs
    assert (chain.round, chain.failed, chain.feedback, chain.chosen, chain.rejected) == (
        1, wrong(0), FEEDBACK, right(0), wrong(0, "x"))
    fmt = Format(None, "<|endoftext|>")
    row = preference_row(chain, fmt)
    assert row["prompt"] == base_feedback_prompt(prompt_of(0), "python", wrong(0), FEEDBACK)
    assert (row["chosen"], row["rejected"]) == ("    return x * 2\n<|endoftext|>", "    return x\n<|endoftext|>")
    assert row["kind"] == "feedback_preference" and row["round"] == 1


def test_runs_are_mined_apart_and_the_cap_is_per_task_over_all_of_them(tmp_path, tasks):
    db = tmp_path / "c.db"
    add_run(db, "A", tasks, {0: [Answer(0, right(0), True)], 1: [Answer(0, right(1), True),
                                                                  Answer(1, wrong(1), False)]})
    add_run(db, "B", tasks, {0: [Answer(0, wrong(0), False)], 1: [Answer(0, right(1), True),
                                                                   Answer(1, wrong(1, "0"), False)]})
    # task 0 passed only in A and failed only in B: the two runs' answers never make a pair
    mined = mine(["A", "B"], db)
    assert pairs_of(mined) == [("tiny/1", 0, right(1), wrong(1)), ("tiny/1", 0, right(1), wrong(1, "0"))]
    assert [p.source for p in mined.pairs] == ["run:A", "run:B"] and set(mined.hashes) == {"run:A", "run:B"}
    assert [p.source for p in mine(["A", "B"], db, max_per_task=1).pairs] == ["run:A"]


def test_a_run_with_no_pair_is_refused_with_each_tasks_answers(tmp_path, tasks):
    db = tmp_path / "c.db"
    add_run(db, "GREEDY", tasks, {i: [Answer(0, right(i) if i % 2 else wrong(i), i % 2 == 1)] for i in range(16)})
    with pytest.raises(SourceError) as caught:
        mine(["GREEDY"], db)
    message = str(caught.value)
    assert "run 'GREEDY' gives no preference pairs" in message
    assert "8 tasks only passed, 8 only failed" in message
    assert "tiny/0 0/1, tiny/1 1/0" in message and "and 4 more" in message
    assert "--samples" in message


def test_the_command_refuses_runs_that_give_no_pairs_and_repair_runs(tmp_path, tasks):
    from tests.tiny_model import build_tiny_model

    model = build_tiny_model(tmp_path / "tiny", chat=False)
    db = tmp_path / "c.db"
    add_run(db, "ALL_PASS", tasks, {0: [Answer(0, right(0), True), Answer(1, right(0), True)]})
    add_run(db, "REPAIRED", tasks, {0: [Answer(0, right(0), True), Answer(1, wrong(0), False)]}, workflow="repair")
    for run, said in [("ALL_PASS", "run 'ALL_PASS' gives no preference pairs"), ("REPAIRED", "is a repair run"),
                      ("NOPE", "no stored run named 'NOPE'")]:
        result = codeforge("finetune", "--method", "dpo", "--model", str(model), "--from-run", run, "--db", str(db),
                           "--out", str(tmp_path / "out"), check=False)
        assert result.returncode == 2 and said in result.stderr and "Traceback" not in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_pairs_that_hold_a_benchmark_are_dropped_as_sft_rows_are(tmp_path):
    from codeforge.tasks import load_tasks
    from tests.tiny_model import build_tiny_model

    model = build_tiny_model(tmp_path / "tiny", chat=False)
    task = load_tasks("humaneval")[0]
    db = tmp_path / "c.db"
    with Store.open(db) as store:
        run = store.create_run("HE", "humaneval", model="tiny", backend="hf", adapter=None, prompt_mode="base",
                               feedback="visible", chain=0, samples_per_task=2, seed=0, config={}, versions={})
        store.set_tasks(run.id, [task.task_id])
        for sample, (code, passed) in enumerate([(task.reference, True), (task.prompt + "    return None\n", False)]):
            sample_id = store.add_sample(run.id, task.task_id, sample, 0, prompt=json.dumps({"text": task.prompt}),
                                         raw_output=code, code=code, finish_reason="stop", prompt_tokens=1,
                                         completion_tokens=1, gen_seconds=0.0)
            store.add_execution(sample_id, "tests", "passed" if passed else "failed", passed, 0.1, {})
    base = ["finetune", "--method", "dpo", "--model", str(model), "--from-run", "HE", "--db", str(db), "--dry-run",
            "--json"]
    refused = codeforge(*base, check=False)
    assert refused.returncode == 2 and "no training data left: all 1 rows match a benchmark" in refused.stderr
    kept = json.loads(codeforge(*base, "--allow-contamination").stdout)
    assert kept == {"rows": {"preference": 1, "feedback_preference": 0, "total": 1, "held_back": 0}, "dropped": 1}


def test_held_back_pairs_are_whole_tasks_and_one_task_is_always_trained_on():
    rows = [{"task_id": f"t{i}", "n": n} for i in range(10) for n in range(4)]
    train, held = hold_back(rows, 0.1, seed=0)
    held_tasks = {r["task_id"] for r in held}
    assert len(held) == 4 and len(held_tasks) == 1 and not held_tasks & {r["task_id"] for r in train}
    assert hold_back(rows, 0.1, seed=0) == (train, held) and hold_back(rows, 0.1, seed=1) != (train, held)
    assert len(hold_back(rows, 0.25, seed=0)[1]) == 12
    assert hold_back(rows, 0.0, seed=0) == (rows, [])
    one_task = [{"task_id": "t", "n": n} for n in range(9)]
    assert hold_back(one_task, 0.5, seed=0) == (one_task, [])


def test_every_method_has_its_module_and_options_of_one_method_are_refused_with_another():
    assert set(METHODS) == set(Method)
    assert all(callable(module.prepare) and callable(module.train) for module in METHODS.values())
    with pytest.raises(ValueError, match="--beta is an option of --method dpo"):
        FinetuneConfig(beta=0.2)
    with pytest.raises(ValueError, match="--from-run"):
        FinetuneConfig(method="dpo")
    with pytest.raises(ValueError, match="--data is sft's training data"):
        FinetuneConfig(method="dpo", from_run=("R",), data=("jsonl:x.jsonl",))
    with pytest.raises(ValueError, match="--graph and --feedback make sft rows"):
        FinetuneConfig(method="dpo", from_run=("R",), feedback=True)
    assert FinetuneConfig(method="dpo", from_run=("R",)).learning_rate == 5e-6
    assert FinetuneConfig().learning_rate == 2e-4 and FinetuneConfig(lr=1e-3).learning_rate == 1e-3


def test_the_sft_weight_adds_trls_sft_loss_on_the_chosen_side(tmp_path):
    from codeforge.finetune.dpo import dpo_config

    plain = dpo_config(FinetuneConfig(method="dpo", from_run=("R",)), tmp_path, "cpu", held_back=0)
    assert (plain.loss_type, plain.loss_weights, plain.beta, plain.learning_rate) == (["sigmoid"], None, 0.1, 5e-6)
    weighted = dpo_config(FinetuneConfig(method="dpo", from_run=("R",), sft_weight=0.5, batch_size=4), tmp_path,
                          "cpu", held_back=6)
    assert (weighted.loss_type, weighted.loss_weights) == (["sigmoid", "sft"], [1.0, 0.5])
    # held-back pairs are evaluated in batches of one size (3 divides 6), so trl's mean is the mean over pairs
    assert weighted.per_device_eval_batch_size == 3 and weighted.eval_strategy == "steps"
