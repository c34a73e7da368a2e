"""The end-to-end proof of `codeforge finetune`: a tiny model the test builds scores about 0 on sixteen tasks,
is fine-tuned on their reference solutions, and with the adapter scores at least 0.8 through the real sandbox.

It proves the wiring, not a method: training rows are prompted as bench prompts, the loss is on the answer
only, rows are packed, and the adapter is saved and loaded by bench. Once plain, once with PDG plans in the answers, once with feedback rows from
mutants of the references run in the sandbox.
"""

from __future__ import annotations

import json

import pytest
from tiny_tasks import SPECS, codeforge, write_tasks

from tests.tiny_model import build_tiny_model

pytestmark = [pytest.mark.docker, pytest.mark.slow]

TRAIN = ["--batch-size", "8", "--grad-accum", "1", "--device", "cpu", "--seed", "0"]
# Sixteen rows pack into one sequence: one optimizer step per epoch. A plan (the graph as comments, then the
# code) is several times longer than the code alone and takes more steps to learn. A feedback row (the failed
# program and its traceback, then the fix) is five times longer than a code row: that arm trains on, and is
# measured on, the first 8 tasks.
ARMS = {
    "plain": ["--epochs", "60", "--lr", "5e-3", "--merge"],
    "pdg-plan": ["--epochs", "150", "--lr", "1e-2", "--graph", "pdg", "--graph-format", "plan"],
    "feedback": ["--epochs", "60", "--lr", "5e-3", "--feedback", "--mutants", "1", "--limit", "8"],
}
TASKS = {"feedback": 8}


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    folder = tmp_path_factory.mktemp("proof")
    # a base model (no chat template) whose end-of-text token can be learned (see tiny_model.build_tiny_model)
    model = build_tiny_model(folder / "tiny", chat=False, pad_token="<|file_sep|>")
    return model, write_tasks(folder / "tasks.jsonl")


def pass_at_1(model, tasks, db, *extra):
    result = codeforge("bench", f"jsonl:{tasks}", "--model", str(model), "--device", "cpu", "--max-new-tokens",
                       "200", "--db", str(db), "--json", *extra)
    return json.loads(result.stdout)["rounds"][0]["pass_at_k"]["1"]["value"]


@pytest.mark.parametrize("arm", list(ARMS))
def test_finetuning_lifts_pass_at_1_from_about_0_to_at_least_0_8(tmp_path, docker_client, setup, arm):
    model, tasks = setup
    db, adapter = tmp_path / "codeforge.db", tmp_path / "adapter"
    limit = ["--limit", str(TASKS[arm])] if arm in TASKS else []
    before = pass_at_1(model, tasks, db, "--run-name", "BEFORE", *limit)
    assert before <= 0.1

    codeforge("finetune", "--model", str(model), "--data", f"jsonl:{tasks}", "--out", str(adapter), *TRAIN,
              *ARMS[arm], "--db", str(db), "--name", arm)
    manifest = json.loads((adapter / "codeforge-adapter.json").read_text())
    assert manifest["base_model"] == str(model) and manifest["prompt_mode"] == "base"
    assert manifest["rows"]["code" if arm != "pdg-plan" else "plan"] == TASKS.get(arm, len(SPECS))
    assert manifest["contamination"] == {"dropped": 0, "matched": 0, "contaminated": False}
    if arm == "feedback":
        assert manifest["feedback"] == ["mutants"] and manifest["rows"]["feedback"] >= TASKS[arm] // 2
    assert manifest["train"]["steps"] > 0 and manifest["train"]["tokens"] > 0

    after = pass_at_1(model, tasks, db, "--adapter", str(adapter), "--run-name", "AFTER", *limit)
    assert after >= 0.8, f"pass@1 after fine-tuning: {after}"
    # the run that used the adapter carries its manifest; the training run is in the store
    shown = json.loads(codeforge("bench", "show", "AFTER", "--db", str(db), "--json").stdout)
    assert shown["config"]["adapter_manifest"] == manifest
    [stored] = json.loads(codeforge("finetune", "list", "--db", str(db), "--json").stdout)
    assert stored["name"] == arm and stored["manifest"] == manifest and stored["finished_at"]
    if arm == "plain":  # the merged model alone scores as the base model with the adapter
        assert (adapter / "merged" / "config.json").is_file()
        assert pass_at_1(adapter / "merged", tasks, db, "--run-name", "MERGED") == after
