"""`codeforge finetune --method dpo --from-run BASE_SAMPLES` on a tiny model the test builds, from a store the
test writes: every task answered right twice (two ways) and wrong twice, a few tasks also in a chain round.

The adapter must prefer the passing programs of tasks it never trained on (the held-back ones): preference
accuracy above 0.5, and their log-probability risen relative to the failing ones'. The wrong answers share their
shape across tasks (`return None`, `return -1`), so that is learnable from the other tasks; the right ones are
each task's own. Then bench loads the adapter (slow: the real sandbox).
"""

from __future__ import annotations

import json

import pytest
from preference_store import Answer, add_run, prompt_of, right, wrong
from tiny_tasks import SPECS, codeforge, write_tasks

from codeforge.models.manifest import Manifest
from tests.tiny_model import build_tiny_model

CHAINED = range(4)  # tasks that also have a chain round with two fixes to one feedback prompt
# 16 tasks x 4 pairs + 4 chain pairs, 2 tasks held back: 60 pairs, 8 steps per epoch of 8
TRAIN = ["--epochs", "2", "--batch-size", "8", "--grad-accum", "1", "--lr", "1e-3", "--device", "cpu", "--seed", "0"]


def other_right(i: int) -> str:
    return prompt_of(i) + f"    result = {SPECS[i][3]}\n    return result\n"


def answers(i: int) -> list[Answer]:
    found = [Answer(0, right(i), True), Answer(1, other_right(i), True), Answer(2, wrong(i), False),
             Answer(3, wrong(i, "-1"), False)]
    if i in CHAINED:
        found += [Answer(4, wrong(i), False), Answer(4, right(i), True, round=1, feedback="AssertionError"),
                  Answer(5, wrong(i), False), Answer(5, wrong(i, "-1"), False, round=1, feedback="AssertionError")]
    return found


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dpo")
    model = build_tiny_model(folder / "tiny", chat=False, pad_token="<|file_sep|>")
    tasks = write_tasks(folder / "tasks.jsonl")
    db, out, pairs = folder / "codeforge.db", folder / "adapter", folder / "pairs.jsonl"
    add_run(db, "BASE_SAMPLES", tasks, {i: answers(i) for i in range(len(SPECS))})
    result = codeforge("finetune", "--method", "dpo", "--model", str(model), "--from-run", "BASE_SAMPLES",
                       "--db", str(db), "--out", str(out), "--pairs-out", str(pairs), *TRAIN, "--json")
    return {"model": model, "tasks": tasks, "db": db, "out": out, "pairs": pairs, "result": result,
            "manifest": json.loads(result.stdout)["manifest"]}


def test_dpo_prefers_the_passing_programs_of_held_back_tasks(trained):
    held = trained["manifest"]["preference"]["held_back"]
    before, after = held["before"], held["after"]
    assert held["pairs"] >= 6 and len(held["tasks"]) >= 1
    assert after["accuracy"] > 0.5, held
    # the chosen programs' log-probability rose relative to the rejected ones' (the base model is the reference)
    assert after["logps_chosen"] - after["logps_rejected"] > before["logps_chosen"] - before["logps_rejected"], held
    assert after["margin"] > 0
    assert "held-back pairs (" in trained["result"].stderr and "preference accuracy" in trained["result"].stderr


def test_the_manifest_says_dpo_and_where_the_pairs_came_from(trained):
    manifest = trained["manifest"]
    assert manifest["method"] == "dpo" and list(manifest["data"]) == ["run:BASE_SAMPLES"]
    assert manifest["preference"]["pairs"] == {"run:BASE_SAMPLES": {"first_round": 64, "chain": len(CHAINED)}}
    assert manifest["preference"]["beta"] == 0.1 and manifest["train"]["learning_rate"] == 1e-3
    rows = manifest["rows"]
    assert rows["total"] + rows["held_back"] == 64 + len(CHAINED) and rows["held_back"] == held_pairs(trained)
    assert manifest["contamination"] == {"dropped": 0, "matched": 0, "contaminated": False}
    assert manifest["train"]["steps"] > 0 and manifest["prompt_mode"] == "base"
    assert json.loads((trained["out"] / "codeforge-adapter.json").read_text()) == manifest
    assert "dpo on pairs from run:BASE_SAMPLES" in Manifest(**manifest).label()
    [stored] = json.loads(codeforge("finetune", "list", "--db", str(trained["db"]), "--json").stdout)
    assert stored["manifest"] == manifest and stored["settings"]["method"] == "dpo"
    assert "dpo" in codeforge("finetune", "list", "--db", str(trained["db"])).stdout  # the table folds the rest


def held_pairs(trained) -> int:
    lines = [json.loads(line) for line in trained["pairs"].read_text().splitlines()]
    held = [p for p in lines if p["split"] == "held_back"]
    assert {p["task_id"] for p in held} == set(trained["manifest"]["preference"]["held_back"]["tasks"])
    assert not {p["task_id"] for p in held} & {p["task_id"] for p in lines if p["split"] == "train"}
    assert all(p["prompt"] and p["chosen"] != p["rejected"] for p in lines)
    return len(held)


@pytest.mark.docker
@pytest.mark.slow
def test_bench_loads_the_dpo_adapter(trained, docker_client):
    result = codeforge("bench", f"jsonl:{trained['tasks']}", "--model", str(trained["model"]), "--adapter",
                       str(trained["out"]), "--device", "cpu", "--max-new-tokens", "40", "--limit", "4", "--db",
                       str(trained["db"]), "--run-name", "AFTER_DPO", "--json")
    shown = json.loads(result.stdout)
    assert shown["adapter_manifest"] == trained["manifest"] and shown["finished"]
    assert "dpo on pairs from run:BASE_SAMPLES" in result.stderr
