"""`codeforge finetune --method grpo` on a tiny model the test builds and four tiny tasks, with the real sandbox
rewarding every answer: four steps of four answers (one prompt per step), then bench loads the adapter.

The tiny model writes nonsense, so its answers fail; what is checked is that each logged reward is the one the
sandbox's verdict and per-test outcomes give, that the manifest sums up those same lines, and that the options
GRPO reads are checked before anything loads.
"""

from __future__ import annotations

import json
import os

import pytest
from tiny_tasks import codeforge, write_tasks

from codeforge.finetune.config import FinetuneConfig
from codeforge.models.manifest import Manifest
from tests.tiny_model import build_tiny_model

GROUP = 4
STEPS = 4  # --limit 4 tasks, one prompt per step (--batch-size 4 = one group), one epoch
TRAIN = ["--limit", "4", "--num-generations", str(GROUP), "--batch-size", "4", "--grad-accum", "1", "--epochs", "1",
         "--max-completion-length", "32", "--device", "cpu", "--seed", "0", "--workers", "4"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory, docker_client):
    folder = tmp_path_factory.mktemp("grpo")
    model = build_tiny_model(folder / "tiny", chat=True)
    tasks = write_tasks(folder / "tasks.jsonl")
    db, out = folder / "codeforge.db", folder / "adapter"
    result = codeforge("finetune", "--method", "grpo", "--model", str(model), "--data", f"jsonl:{tasks}",
                       "--db", str(db), "--out", str(out), *TRAIN, "--json")
    lines = [json.loads(line) for line in (out / "rewards.jsonl").read_text().splitlines()]
    steps = [json.loads(line) for line in (out / "grpo-steps.jsonl").read_text().splitlines()]
    return {"model": model, "tasks": tasks, "db": db, "out": out, "result": result, "lines": lines, "steps": steps,
            "manifest": json.loads(result.stdout)["manifest"]}


def expected_reward(line: dict):
    """The tests reward, fraction shape, from what the sandbox said about the program."""
    if line["verdict"] == "no_verdict":
        return None
    if line["verdict"] == "accepted":
        return 1.0
    tests = line["tests"]
    return sum(t["outcome"] == "passed" for t in tests) / len(tests) if tests else 0.0


@pytest.mark.docker
def test_every_answer_of_every_step_is_rewarded_as_the_sandbox_judged_it(trained):
    lines, manifest = trained["lines"], trained["manifest"]
    assert manifest["method"] == "grpo" and manifest["train"]["steps"] == STEPS
    assert manifest["train"]["learning_rate"] == 1e-5  # grpo's default
    assert len(lines) == STEPS * GROUP
    # trl samples a step's answers before it counts the step: the log says the steps done before
    assert sorted({line["step"] for line in lines}) == list(range(STEPS))
    tasks = {f"tiny/{i}" for i in range(4)}
    for line in lines:
        assert line["task_id"] in tasks
        assert line["status"] is not None and line["verdict"] != "no_verdict", line  # the sandbox judged each
        assert line["reward"] == expected_reward(line), line
    # each step's group is one task's answers
    for step in range(STEPS):
        assert len({line["task_id"] for line in lines if line["step"] == step}) == 1


@pytest.mark.docker
def test_the_manifest_sums_up_the_logged_rewards(trained):
    lines, steps, reward = trained["lines"], trained["steps"], trained["manifest"]["preference"]["reward"]
    assert (reward["kind"], reward["shape"], reward["num_generations"], reward["beta"]) == ("tests", "fraction",
                                                                                           GROUP, 0.0)
    assert reward["completions"] == len(lines)
    assert reward["masked"] == sum(line["reward"] is None for line in lines)

    def mean(step):
        scored = [line["reward"] for line in lines if line["step"] == step and line["reward"] is not None]
        return sum(scored) / len(scored)

    assert reward["mean_first_step"] == pytest.approx(mean(0))
    assert reward["mean_last_step"] == pytest.approx(mean(STEPS - 1))
    flat = sum(len({line["reward"] for line in lines if line["step"] == step}) == 1 for step in range(STEPS))
    assert (reward["groups"], reward["zero_variance_groups"]) == (STEPS, flat)
    # one line per step, with the seconds it waited on rewards inside the step's wall time
    assert [s["step"] for s in steps] == list(range(1, STEPS + 1))
    for step in steps:
        assert 0 < step["reward_seconds"] <= step["step_seconds"], step
    assert reward["reward_seconds"] == pytest.approx(sum(s["reward_seconds"] for s in steps), rel=0.01)
    assert 0 < reward["wait_share"] < 1
    assert "rewards (tests, fraction): mean" in " ".join(trained["result"].stderr.split())
    assert (trained["out"] / "adapter_model.safetensors").is_file()


@pytest.mark.docker
@pytest.mark.slow
def test_bench_loads_the_grpo_adapter(trained):
    result = codeforge("bench", f"jsonl:{trained['tasks']}", "--model", str(trained["model"]), "--adapter",
                       str(trained["out"]), "--device", "cpu", "--max-new-tokens", "40", "--limit", "4", "--db",
                       str(trained["db"]), "--run-name", "AFTER_GRPO", "--json")
    shown = json.loads(result.stdout)
    assert shown["adapter_manifest"] == trained["manifest"] and shown["finished"]
    said = " ".join(result.stderr.split())  # rich wraps the line
    assert f"grpo on jsonl:{trained['tasks']} with the tests reward (fraction)" in said


def test_a_group_size_that_does_not_divide_a_step_is_refused_with_the_sizes_that_do(tmp_path):
    result = codeforge("finetune", "--method", "grpo", "--num-generations", "4", "--batch-size", "3",
                       "--grad-accum", "2", "--out", str(tmp_path / "a"), check=False)
    assert result.returncode == 2
    assert "--num-generations 4 does not divide the 6 answers" in result.stderr
    assert "use one of 2, 3, 6" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "a").exists()


@pytest.mark.parametrize("options, said", [
    ({"method": "sft", "num_generations": 4}, "--num-generations is an option of --method grpo"),
    ({"method": "sft", "reward": "graded"}, "--reward is an option of --method grpo"),
    ({"method": "sft", "beta": 0.2}, "--beta is an option of --method dpo and grpo"),
    ({"method": "dpo", "from_run": ("R",), "temperature": 0.5}, "--temperature is an option of --method grpo"),
    ({"method": "grpo", "from_run": ("R",)}, "--method grpo trains on the model's own answers"),
    ({"method": "grpo", "data": ()}, "--method grpo samples answers to the prompts of --data"),
])
def test_options_of_other_methods_are_refused(options, said):
    with pytest.raises(ValueError, match=said):
        FinetuneConfig(**options)


def test_the_go_coverage_reward_needs_go_unit_test_tasks():
    from codeforge.finetune import grpo
    from codeforge.finetune.training import FinetuneError

    config = FinetuneConfig(method="grpo", data=("mbpp",), reward="go-coverage", limit=3)
    with pytest.raises(FinetuneError, match="--reward go-coverage scores Go unit tests.*--data go-unittest"):
        grpo.prepare(config, tokenizer=None)
    config = FinetuneConfig(method="grpo", data=("go-unittest",), limit=2)  # the tests reward, on a model's tests
    with pytest.raises(FinetuneError, match="Go/0 is a Go unit-test task.*use --reward go-coverage"):
        grpo.prepare(config, tokenizer=None)


def test_beta_defaults_per_method():
    assert FinetuneConfig(method="grpo").kl_beta == 0.0  # trl's: no KL term, no reference model run
    assert FinetuneConfig(method="dpo", from_run=("R",)).kl_beta == 0.1
    assert FinetuneConfig(method="grpo", beta=0.04).kl_beta == 0.04


def test_a_grpo_adapter_is_labelled_with_its_data_and_reward():
    manifest = Manifest(base_model="m", data={"mbpp": "h"}, graph="none", graph_format="qa", feedback=[],
                        rows={"prompt": 4, "total": 4}, contamination={"dropped": 0}, prompt_mode="chat",
                        settings={}, seed=0, versions={}, method="grpo",
                        preference={"reward": {"kind": "graded", "shape": "fraction", "mean_first_step": -1.0,
                                               "mean_last_step": -0.5}})
    label = manifest.label()
    assert "grpo on mbpp with the graded reward; mean reward" in label
    assert "mean reward -1.00 in the first step, -0.50 in the last" in label
    assert "pairs" not in label


def test_without_an_engine_grpo_says_so_before_the_model_loads(tmp_path):
    model = build_tiny_model(tmp_path / "tiny", chat=True)
    tasks = write_tasks(tmp_path / "tasks.jsonl")
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"}
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "codeforge", "finetune", "--method", "grpo", "--model",
                             str(model), "--data", f"jsonl:{tasks}", "--db", str(tmp_path / "db"), "--out",
                             str(tmp_path / "a"), *TRAIN], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 2, result.stderr
    assert "--method grpo rewards answers in the sandbox: The Docker engine does not answer" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "a" / "adapter_model.safetensors").exists()


@pytest.mark.docker
@pytest.mark.slow
def test_the_engine_going_away_mid_training_fails_the_step_and_keeps_the_checkpoints(tmp_path, own_engine):
    import signal
    import subprocess
    import sys
    import time

    model = build_tiny_model(tmp_path / "tiny", chat=True)
    tasks = write_tasks(tmp_path / "tasks.jsonl")
    out = tmp_path / "a"
    env = {**os.environ, "DOCKER_HOST": own_engine["socket"]}
    options = ["--limit", "8", *TRAIN[2:], "--save-steps", "1"]  # 8 steps, a checkpoint after each
    run = subprocess.Popen([sys.executable, "-m", "codeforge", "finetune", "--method", "grpo", "--model", str(model),
                            "--data", f"jsonl:{tasks}", "--db", str(tmp_path / "db"), "--out", str(out), *options],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    steps = out / "grpo-steps.jsonl"
    for _ in range(600):
        if steps.is_file() and len(steps.read_text().splitlines()) >= 2 or run.poll() is not None:
            break
        time.sleep(0.2)
    own_engine["process"].send_signal(signal.SIGTERM)  # the engine goes away between steps
    own_engine["process"].wait(timeout=60)
    stdout, stderr = run.communicate(timeout=300)
    assert run.returncode == 2, stderr
    assert "Traceback" not in stderr
    said = " ".join(stderr.split())
    assert "failed: the tests_fraction reward could not run any completion in the sandbox" in said
    assert "start the Docker engine, then run the same command with --resume" in said
    done = len(steps.read_text().splitlines())
    assert done < 8 and (out / "checkpoints" / f"checkpoint-{done}").is_dir()
    assert f"The last checkpoint, {out / 'checkpoints' / f'checkpoint-{done}'}, stays" in said
    assert not (out / "adapter_model.safetensors").exists()


@pytest.mark.docker
@pytest.mark.slow
def test_grpo_writes_go_unit_tests_rewarded_by_coverage(tmp_path, docker_client):
    """--data go-unittest:FOLDER --reward go-coverage: each answer is a test file of a package's function, scored
    by the sandbox's unittest action (the tiny model's nonsense does not build: 0 for each)."""
    import sys
    from pathlib import Path

    from codeforge.rewards import go_coverage_reward

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tasks"))
    from test_go_unittest_tasks import write_package

    model = build_tiny_model(tmp_path / "tiny", chat=True)
    folder, out = write_package(tmp_path / "shapes"), tmp_path / "unit"
    result = codeforge("finetune", "--method", "grpo", "--model", str(model), "--data", f"go-unittest:{folder}",
                       "--reward", "go-coverage", "--limit", "2", "--num-generations", "2", "--batch-size", "2",
                       "--grad-accum", "1", "--epochs", "1", "--max-completion-length", "24", "--device", "cpu",
                       "--workers", "2", "--db", str(tmp_path / "c.db"), "--out", str(out), "--json")
    lines = [json.loads(line) for line in (out / "rewards.jsonl").read_text().splitlines()]
    assert len(lines) == 4 and {line["task_id"] for line in lines} == {"shapes/Area", "shapes/Perimeter"}
    for line in lines:  # the sandbox judged each: a test that does not build scores 0
        assert line["status"] in ("compile_error", "failed", "passed", "timeout"), line
        if line["status"] == "compile_error":
            assert line["reward"] == go_coverage_reward({"runnable": False})
    assert json.loads(result.stdout)["manifest"]["preference"]["reward"]["kind"] == "go-coverage"
    said = " ".join(result.stderr.split())
    assert "rewards (go-coverage): mean" in said and "next: codeforge bench go-unittest --dataset-path" in said
