"""`codeforge finetune` as a user runs it: what bad input says (exit 2, nothing trained, nothing lost), the data
it reads, the manifest, and an interrupted run that resumes at its saved step."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest
from tiny_tasks import codeforge, write_tasks

from codeforge.models.manifest import Manifest, load_manifest
from codeforge.finetune.sources import MBPP_TEST, SourceError, load
from codeforge.store import Store
from codeforge.tasks import load_tasks
from tests.tiny_model import build_tiny_model
from tests.interrupt import with_default_sigint


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    return build_tiny_model(folder / "tiny", chat=False, pad_token="<|file_sep|>"), write_tasks(folder / "t.jsonl")


def error_of(*args) -> str:
    result = codeforge("finetune", *args, check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


def test_mbpp_is_its_prompt_train_and_validation_splits_never_the_test_split():
    loaded = load(["mbpp"])
    numbers = {int(p.task.task_id.rsplit("/", 1)[1]) for p in loaded.programs}
    assert len(numbers) == 974 - 500 and not numbers & set(MBPP_TEST)
    assert {1, 10, 511, 600, 601, 974} <= numbers


def test_text_pairs_and_chat_rows_are_read_and_a_bad_row_is_named_by_its_line(tmp_path):
    good = tmp_path / "pairs.jsonl"
    good.write_text(json.dumps({"prompt": "Summarise: a b c", "completion": "abc"}) + "\n"
                    + json.dumps({"messages": [{"role": "user", "content": "hi"},
                                               {"role": "assistant", "content": "hello"}]}) + "\n")
    loaded = load([f"jsonl:{good}"])
    assert [(p.prompt, p.completion, len(p.messages)) for p in loaded.pairs] == [("Summarise: a b c", "abc", 0),
                                                                               ("", "hello", 1)]
    assert loaded.hashes[f"jsonl:{good}"] and not loaded.programs
    bad = tmp_path / "bad.jsonl"
    bad.write_text(good.read_text() + json.dumps({"prompt": "no completion"}) + "\n")
    with pytest.raises(SourceError, match=r"bad.jsonl:3: needs text fields prompt and completion"):
        load([f"jsonl:{bad}"])
    wrong_end = tmp_path / "end.jsonl"
    wrong_end.write_text(json.dumps({"messages": [{"role": "assistant", "content": "x"},
                                                  {"role": "user", "content": "y"}]}) + "\n")
    with pytest.raises(SourceError, match="end.jsonl:1: the last message must be the assistant's answer"):
        load([f"jsonl:{wrong_end}"])


def test_text_tasks_train_as_bench_asks_them_and_beside_tasks_with_tests(tmp_path):
    from codeforge.finetune.rows import Format, pair_row

    rows = [{"kind": "text", "task_id": "sum/0", "prompt": "Summarise: a b c", "reference": "abc"},
            {"task_id": "add", "prompt": "def add(a, b):\n", "canonical_solution": "    return a + b\n",
             "test": "assert add(1, 2) == 3\n"}]
    data = tmp_path / "mixed.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    loaded = load([f"jsonl:{data}"])
    assert [p.task.task_id for p in loaded.programs] == ["add"]
    (text,) = loaded.pairs
    assert (text.prompt, text.completion, text.asked, text.task_id) == ("Summarise: a b c", "abc", True, "sum/0")
    chat = Format(lambda messages: "|".join(f"{m['role']}:{m['content']}" for m in messages) + "|assistant:", "<e>")
    assert pair_row(text, chat)["prompt"] == "user:Summarise: a b c|assistant:"  # the turn bench sends
    assert pair_row(text, Format(None, "<e>"))["prompt"] == "Summarise: a b c"  # a base model continues it
    assert pair_row(text, chat)["completion"] == "abc<e>" and pair_row(text, chat)["task_id"] == "sum/0"


def test_the_manifest_round_trips(tmp_path):
    manifest = Manifest("m", {"mbpp": "ab"}, "pdg", "plan", ["mutants"], {"code": 3, "total": 3},
                        {"dropped": 2, "matched": 2, "contaminated": False}, "chat", {"rank": 16}, 0,
                        {"trl": "1"}, {"steps": 4, "final_loss": 0.5})
    manifest.save(tmp_path)
    assert load_manifest(tmp_path) == manifest
    assert "graph pdg (plan)" in manifest.label() and "2 contaminated rows dropped" in manifest.label()
    assert load_manifest(tmp_path / "none") is None


def test_bad_input_is_one_line_that_says_what_to_do(tmp_path, tiny):
    model, tasks = tiny
    data = f"jsonl:{tasks}"
    assert "needs a CUDA GPU" in error_of("--model", str(model), "--data", data, "--out", str(tmp_path / "a"),
                                          "--4bit", "--device", "cpu")
    assert "cannot load the tokenizer" in error_of("--model", str(tmp_path / "nothing"), "--data", data, "--out",
                                                   str(tmp_path / "b"))
    assert "no results store at" in error_of("--model", str(model), "--data", "run:NOPE", "--out",
                                             str(tmp_path / "c"), "--db", str(tmp_path / "none.db"))
    Store.open(tmp_path / "x.db").close()
    assert "no stored run named 'NOPE'" in error_of("--model", str(model), "--data", "run:NOPE", "--out",
                                                    str(tmp_path / "c"), "--db", str(tmp_path / "x.db"))
    assert "unknown training data 'humaneval'" in error_of("--model", str(model), "--data", "humaneval", "--out",
                                                           str(tmp_path / "d"))
    other = tmp_path / "other"
    other.mkdir()
    (other / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": "someone/else"}))
    assert "another model (someone/else)" in error_of("--model", str(model), "--data", data, "--out", str(other))
    assert (other / "adapter_config.json").read_text()  # untouched
    assert "no LoRA adapter there" in error_of("--model", str(model), "--data", data, "--out", str(tmp_path / "f"),
                                               "--from-adapter", str(tmp_path))
    assert "trained on someone/else, not on --model" in error_of("--model", str(model), "--data", data, "--out",
                                                                 str(tmp_path / "g"), "--from-adapter", str(other))
    assert "--rank: these set the shape of a new adapter" in error_of("--model", str(model), "--data", data,
                                                                      "--out", str(tmp_path / "h"), "--from-adapter",
                                                                      str(other), "--rank", "8")
    # a benchmark's prompt pasted as training data is all there is: nothing is left to train on
    leak = tmp_path / "leak.jsonl"
    task = load_tasks("humaneval")[0]
    leak.write_text(json.dumps({"prompt": task.prompt, "completion": task.canonical_solution
                                if hasattr(task, "canonical_solution") else task.reference}) + "\n")
    message = error_of("--model", str(model), "--data", f"jsonl:{leak}", "--out", str(tmp_path / "e"))
    assert "no training data left: all 1 rows match a benchmark" in message and "--allow-contamination" in message
    assert not (tmp_path / "e").exists()


def test_a_repair_run_is_not_taken_as_a_bench_run(tmp_path, tiny):
    """Its rounds are epochs of analyser findings: neither its passing samples nor its patches are bench data."""
    model, _ = tiny
    db = tmp_path / "c.db"
    with Store.open(db) as store:
        run = store.create_run("BASE+REPAIR", "humaneval", model="m", backend="openai", adapter=None,
                               prompt_mode="chat", feedback="findings", chain=1, samples_per_task=1, seed=0,
                               config={"workflow": "repair"}, versions={})
        task = load_tasks("humaneval")[0]
        store.set_tasks(run.id, [task.task_id])
        for epoch, code in enumerate(("def broken(:\n", task.reference)):
            sample_id = store.add_sample(run.id, task.task_id, 0, epoch, prompt="", raw_output=code, code=code,
                                         finish_reason="stop", prompt_tokens=0, completion_tokens=0, gen_seconds=0,
                                         feedback="B602" if epoch else None, feedback_source="findings")
            store.add_execution(sample_id, "tests", "passed" if epoch else "failed", bool(epoch), 0.1, {})
            store.add_execution(sample_id, "analysis", "passed", True, 0.1,
                                {"findings": [], "kept": True, "reason": None})
        store.finish_run(run.id)
    for option in (("--data", "run:BASE+REPAIR"), ("--data", "mbpp", "--from-run", "BASE+REPAIR")):
        message = error_of("--model", str(model), *option, "--out", str(tmp_path / "a"), "--db", str(db),
                           "--dry-run")
        assert "'BASE+REPAIR' is a repair run: run:NAME takes bench runs only" in message, option
    assert not (tmp_path / "a").exists()


def test_dry_run_prints_the_rows_and_counts_what_matches_a_benchmark(tmp_path, tiny):
    model, tasks = tiny
    leak = tmp_path / "mixed.jsonl"
    leak.write_text(tasks.read_text())
    task = load_tasks("humaneval")[2]
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(json.dumps({"prompt": "Complete:\n" + task.prompt, "completion": task.reference}) + "\n"
                     + json.dumps({"prompt": "Say hi", "completion": "hi"}) + "\n")
    result = codeforge("finetune", "--model", str(model), "--data", f"jsonl:{leak},jsonl:{pairs}", "--graph", "cfg",
                       "--dry-run", "--json")
    counts = json.loads(result.stdout)
    assert counts == {"rows": {"code": 16, "qa": 16, "pair": 1, "total": 33}, "dropped": 1}
    assert "1 rows match a benchmark and were dropped; e.g. HumanEval/2" in result.stderr
    assert "Which lines can run next after line" in result.stderr


@pytest.mark.slow
def test_an_interrupted_run_saves_a_checkpoint_and_resumes_at_its_step(tmp_path, tiny):
    model, tasks = tiny
    out = tmp_path / "adapter"
    args = [sys.executable, "-m", "codeforge", "finetune", "--model", str(model), "--data", f"jsonl:{tasks}",
            "--out", str(out), "--epochs", "500", "--batch-size", "8", "--grad-accum", "1", "--device", "cpu",
            "--save-steps", "1", "--lr", "1e-3"]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=with_default_sigint)
    deadline = time.monotonic() + 300
    while not (out / "checkpoints" / "checkpoint-2").is_dir() and time.monotonic() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 130, stderr
    assert "--resume" in stderr and "Traceback" not in stderr
    saved = max(int(p.name.split("-")[1]) for p in (out / "checkpoints").glob("checkpoint-*"))
    assert 2 <= saved < 500 and load_manifest(out) is None
    # the same command without --resume refuses to train over it; with --resume it goes on from `saved`
    assert "pass --resume" in error_of(*args[4:])
    state = json.loads((out / "checkpoints" / f"checkpoint-{saved}" / "trainer_state.json").read_text())
    assert state["global_step"] == saved
    epochs = saved + 2  # one packed step per epoch: two more steps
    codeforge(*args[3:-6], "--device", "cpu", "--save-steps", "1", "--lr", "1e-3", "--epochs", str(epochs),
              "--resume")
    manifest = load_manifest(out)
    assert manifest.train["steps"] == saved + 2
    assert (out / "adapter_model.safetensors").is_file()


def test_settings_on_by_default_have_a_flag_that_turns_them_off(tmp_path):
    printed = codeforge("finetune", "--no-packing", "--no-gradient-checkpointing", "--graph", "pdg",
                        "--print-config").stdout
    assert "packing: false" in printed and "gradient_checkpointing: false" in printed and "graph: pdg" in printed
    config = tmp_path / "ft.yaml"
    config.write_text(printed)
    assert "packing: false" in codeforge("finetune", "--config", str(config), "--print-config").stdout
    assert "packing: true" in codeforge("finetune", "--config", str(config), "--packing", "--print-config").stdout


def test_stored_training_runs_are_listed_and_shown_and_a_wrong_name_says_what_exists(tmp_path):
    from dataclasses import asdict

    from codeforge.report.fmt import adapter

    db = tmp_path / "c.db"
    manifest = Manifest("m", {"mbpp": "ab"}, "pdg", "plan", ["mutants"], {"code": 3, "total": 3},
                        {"dropped": 2, "matched": 2, "contaminated": False}, "chat", {"rank": 16}, 0, {},
                        {"steps": 4, "final_loss": 0.5})
    with Store.open(db) as store:
        store.start_finetune("pdg_plan", str(tmp_path / "A"), "m", {"data": ["mbpp"], "graph": "pdg"})
        store.finish_finetune("pdg_plan", asdict(manifest))
        store.start_finetune("unfinished", str(tmp_path / "B"), "m", {"data": ["mbpp"], "graph": "none"})
    listed = codeforge("finetune", "list", "--db", str(db), "--json").stdout
    assert [(r["name"], r["manifest"] is not None) for r in json.loads(listed)] == [("pdg_plan", True),
                                                                                   ("unfinished", False)]
    assert "pdg_" in codeforge("finetune", "list", "--db", str(db)).stdout  # the table folds long names
    shown = codeforge("finetune", "show", "pdg_plan", "--db", str(db)).stdout
    assert "state: finished" in shown and "graph_format: plan" in shown
    assert "(stored: pdg_plan, unfinished)" in codeforge("finetune", "show", "nope", "--db", str(db),
                                                         check=False).stderr
    result = codeforge("finetune", "bogus", check=False)
    assert result.returncode == 2 and "no command 'bogus'" in result.stderr

    class Run:  # what the report and bench read of a stored run
        adapter = str(tmp_path / "A")
        config = {"adapter_manifest": asdict(manifest)}

    assert adapter(Run()) == f"{Run.adapter} (graph pdg (plan); feedback from mutants; 2 contaminated rows dropped)"
