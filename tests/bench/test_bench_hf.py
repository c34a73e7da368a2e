"""`codeforge bench` with the transformers backend on a tiny model the test builds (no hub here):
batched generation, the chain, a LoRA adapter, everything stored."""

from __future__ import annotations

import json

import pytest
from test_bench_cli import codeforge

from tests.tiny_model import build_tiny_adapter, build_tiny_model

pytestmark = [pytest.mark.docker, pytest.mark.slow]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    model = build_tiny_model(tmp_path_factory.mktemp("tiny-chat"), chat=True)
    return model, build_tiny_adapter(model, tmp_path_factory.mktemp("tiny-adapter"))


def detail(db, run, task):
    return json.loads(codeforge("bench", "show", run, "--db", str(db), "--task", task, "--json").stdout)


@pytest.mark.parametrize("with_adapter", [False, True], ids=["base-weights", "lora-adapter"])
def test_tiny_model_runs_the_chain_and_stores_every_round(tmp_path, docker_client, tiny, with_adapter):
    model, adapter = tiny
    db = tmp_path / "codeforge.db"
    args = ["bench", "humaneval", "--model", str(model), "--limit", "3", "--samples", "2", "--temperature", "0.8",
            "--chain", "1", "--max-new-tokens", "24", "--batch-size", "4", "--device", "cpu", "--db", str(db),
            "--json"] + (["--adapter", str(adapter)] if with_adapter else [])
    summary = json.loads(codeforge(*args).stdout)
    # random weights write no working code: every sample fails, and every one gets a second round
    assert [r["samples"] for r in summary["rounds"]] == [6, 6]
    assert [r["pass_at_k"]["1"]["value"] for r in summary["rounds"]] == [0.0, 0.0]
    assert summary["prompt_mode"] == "chat" and summary["oracle_feedback"] is False
    assert summary["rounds"][0]["completion_tokens"] > 0 and summary["rounds"][0]["tokens_per_s"] > 0
    assert summary["adapter"] == (str(adapter) if with_adapter else None)
    assert summary["run"].endswith("_CHAIN1") and ("tiny-adapter" in summary["run"]) is with_adapter
    shown = detail(db, summary["run"], "HumanEval/0")
    assert [(s["sample"], s["round"]) for s in shown["samples"]] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    first, second = shown["samples"][0], shown["samples"][1]
    assert first["prompt"]["prefill"].endswith("```python\n")  # the answer continues an opened code block
    assert "has_close_elements" in first["prompt"]["messages"][-1]["content"]
    assert second["feedback"] and second["feedback_source"] == "visible"
    assert second["feedback"] in second["prompt"]["messages"][-1]["content"]
    assert first["executions"]["tests"]["status"] != "passed"
    # the same command again: the run is finished, nothing is generated or run again
    again = json.loads(codeforge(*args).stdout)
    assert again["resumed"] and again["rounds"] == summary["rounds"]
