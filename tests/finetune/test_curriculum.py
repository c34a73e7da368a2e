"""`codeforge finetune --curriculum 2` on a tiny model the test builds and six tiny tasks, as a user runs it: two
rounds, each a training run and a bench run (real trl trainer, real sandbox, real store).

The tiny model writes nonsense, so every task of round 1 fails and, with --revisit-ratio 0.5, half of them
(rounded up) come back in round 2's training data beside round 2's new tasks.
"""

from __future__ import annotations

import json

import pytest
from tiny_tasks import codeforge, write_tasks

from codeforge.finetune.curriculum import revisit, split_new
from codeforge.models.manifest import load_manifest
from codeforge.store import Store
from tests.tiny_model import build_tiny_model

TRAIN = ["--limit", "6", "--epochs", "1", "--batch-size", "2", "--grad-accum", "1", "--max-length", "128",
         "--max-completion-length", "24", "--device", "cpu", "--seed", "0", "--workers", "2"]


@pytest.fixture(scope="module")
def curriculum(tmp_path_factory, docker_client):
    folder = tmp_path_factory.mktemp("curriculum")
    model = build_tiny_model(folder / "tiny", chat=True)
    tasks = write_tasks(folder / "tasks.jsonl")
    db, out = folder / "codeforge.db", folder / "kod"
    args = ["finetune", "--curriculum", "2", "--revisit-ratio", "0.5", "--model", str(model), "--data",
            f"jsonl:{tasks}", "--db", str(db), "--out", str(out), *TRAIN]
    result = codeforge(*args, "--json")
    return {"args": args, "db": db, "out": out, "result": result, "json": json.loads(result.stdout),
            "plan": json.loads((out / "curriculum.json").read_text())}


@pytest.mark.docker
@pytest.mark.slow
def test_round_two_trains_on_its_new_tasks_and_on_what_round_one_failed(curriculum):
    first, second = curriculum["json"]["rounds"]
    shares = split_new([f"tiny/{i}" for i in range(6)], 2, 0)
    assert (first["new"], first["revisited"]) == (shares[0], [])
    assert first["failed"] == shares[0]  # the tiny model solves nothing
    assert second["new"] == shares[1]
    assert second["revisited"] == revisit(first["failed"], 0.5, 0, 2) and len(second["revisited"]) == 2
    # the round-2 adapter was trained on one code row per task: its new tasks and the revisited ones
    manifest = load_manifest(curriculum["out"] / "round-2")
    assert manifest.rows["code"] == len(second["new"]) + len(second["revisited"]) == 5
    assert manifest.curriculum["revisited"] == second["revisited"]
    assert manifest.curriculum["started_from"] == str(curriculum["out"] / "round-1")
    assert curriculum["json"]["adapter"] == str(curriculum["out"] / "round-2")
    assert curriculum["plan"]["rounds"] == curriculum["json"]["rounds"]


@pytest.mark.docker
@pytest.mark.slow
def test_each_round_is_a_finetune_run_and_a_labelled_bench_run_in_the_store(curriculum, monkeypatch):
    rounds = curriculum["json"]["rounds"]
    with Store.open(curriculum["db"], create=False) as store:
        finetunes = {r.name: r for r in store.finetunes()}
        benches = {r.name: r for r in store.runs()}
        tasks = {name: store.task_ids(run.id) for name, run in benches.items()}
        samples = {name: store.samples(run.id) for name, run in benches.items()}
    assert sorted(finetunes) == ["kod-round-1", "kod-round-2"]
    assert all(r.finished_at is not None for r in finetunes.values())
    assert sorted(benches) == ["kod-round-1", "kod-round-2"]
    for r in rounds:
        run = benches[f"kod-round-{r['round']}"]
        assert run.finished_at is not None and run.adapter == r["adapter"]
        assert run.curriculum["round"] == r["round"] and run.curriculum["rounds"] == 2
        assert run.curriculum["revisited"] == r["revisited"]
        assert sorted(tasks[run.name]) == sorted(r["new"] + r["revisited"])
        assert len(samples[run.name]) == len(tasks[run.name])  # --samples 1
        assert r["pass_at_1"]["value"] == 0.0 and r["pass_at_1"]["tasks"] == len(tasks[run.name])
    monkeypatch.setenv("COLUMNS", "250")
    listed = codeforge("finetune", "list", "--db", str(curriculum["db"])).stdout
    assert "sft (curriculum kod, round 2/2)" in listed
    # the report shows pass@1 round by round (the rounds are not compared as methods)
    report = curriculum["out"].parent / "report"
    codeforge("report", "--db", str(curriculum["db"]), "--out", str(report))
    data = json.loads((report / "report.json").read_text())
    [kod] = data["curricula"]
    assert [(r["round"], r["tasks"], r["failed"]) for r in kod["rounds"]] == [(1, 3, 3), (2, 5, 5)]
    assert (report / "curriculum.png").is_file() and data["methods"] == []


@pytest.mark.docker
@pytest.mark.slow
def test_the_same_command_again_needs_resume_and_then_does_nothing_twice(curriculum):
    again = codeforge(*curriculum["args"], check=False)
    assert again.returncode == 2 and "--resume" in again.stderr
    resumed = codeforge(*curriculum["args"], "--resume", "--json")
    assert json.loads(resumed.stdout)["rounds"] == curriculum["json"]["rounds"]
    assert "trained already" in resumed.stderr
    with Store.open(curriculum["db"], create=False) as store:
        assert sum(len(store.samples(r.id)) for r in store.runs()) == 3 + 5
    changed = codeforge(*curriculum["args"], "--resume", "--revisit-ratio", "1", check=False)
    assert changed.returncode == 2 and "revisit_ratio" in changed.stderr


def test_the_tasks_are_split_evenly_and_revisits_follow_the_ratio():
    shares = split_new([f"t{i}" for i in range(7)], 3, 1)
    assert sorted(len(s) for s in shares) == [2, 2, 3]
    assert sorted(t for s in shares for t in s) == sorted(f"t{i}" for i in range(7))
    assert all(s == sorted(s, key=lambda t: int(t[1:])) for s in shares)  # dataset order within a round
    assert split_new([f"t{i}" for i in range(7)], 3, 1) == shares  # the seed decides
    failed = ["a", "b", "c", "d", "e"]
    assert revisit(failed, 1.0, 0, 2) == failed
    assert revisit(failed, 0.0, 0, 2) == []
    assert len(revisit(failed, 0.3, 0, 2)) == 2  # rounded up: a failed task is never dropped for rounding


def test_bad_curriculum_settings_are_refused_before_anything_loads(tmp_path):
    tasks = write_tasks(tmp_path / "tasks.jsonl")
    for extra, said in ((["--curriculum", "2", "--method", "dpo", "--from-run", "x"], "--method"),
                        (["--curriculum", "2", "--data", "mbpp,jsonl:x"], "one task set"),
                        (["--curriculum", "2", "--then-dpo"], "--samples 2"),
                        (["--revisit-ratio", "0.5"], "--curriculum"),
                        (["--curriculum", "20", "--limit", "3"], "at least 20 tasks")):
        data = [] if "--data" in extra or "--from-run" in extra else ["--data", f"jsonl:{tasks}"]
        result = codeforge("finetune", *data, *extra, "--out", str(tmp_path / "o"), "--db",
                           str(tmp_path / "db"), check=False)
        assert result.returncode == 2 and said in result.stderr, (extra, result.stderr)
        assert "Traceback" not in result.stderr


class _Quiet:
    def started(self, total_steps, start_step): pass

    def step(self, step, loss, tokens): pass

    def saved(self, folder): pass

    def evaluated(self, step, metrics): pass


@pytest.mark.slow
def test_then_dpo_continues_the_rounds_adapter_on_the_pairs_of_its_bench_run(tmp_path):
    """--then-dpo's step alone, on a stored round whose answers pass and fail (the tiny model never passes, so
    the round's bench run is written as bench writes one)."""
    from peft import LoraConfig, PeftModel, get_peft_model
    from preference_store import Answer, add_run, right, wrong
    from transformers import AutoModelForCausalLM

    from codeforge.finetune.config import FinetuneConfig
    from codeforge.finetune.curriculum import RoundResult, Say, _dpo

    model = build_tiny_model(tmp_path / "tiny", chat=False, pad_token="<|file_sep|>")
    tasks = write_tasks(tmp_path / "tasks.jsonl")
    started = tmp_path / "kod" / "round-1"
    get_peft_model(AutoModelForCausalLM.from_pretrained(model), LoraConfig(r=4, target_modules="all-linear",
                                                                           task_type="CAUSAL_LM")
                   ).save_pretrained(started)
    db = tmp_path / "codeforge.db"
    mixed = {i: [Answer(0, right(i), True), Answer(1, wrong(i), False)] for i in range(6)}
    mixed[6] = [Answer(0, wrong(6), False), Answer(1, wrong(6, "-1"), False)]  # no pair: both fail
    add_run(db, "kod-round-1", tasks, mixed, task_count=7)
    config = FinetuneConfig(curriculum=2, samples=2, then_dpo=True, model=str(model), data=(f"jsonl:{tasks}",),
                            out=tmp_path / "kod", db=db, epochs=1, batch_size=2, grad_accum=1, device="cpu",
                            base_only=True)
    result = RoundResult(1, [f"tiny/{i}" for i in range(7)], [], "kod-round-1", str(started), "kod-round-1")
    _dpo(config, result, _Quiet(), Say())
    out = tmp_path / "kod" / "round-1-dpo"
    assert (result.dpo, result.next_adapter) == ("kod-round-1-dpo", str(out))
    manifest = load_manifest(out)
    assert manifest.method == "dpo" and manifest.preference["pairs"] == {"run:kod-round-1": {"first_round": 6,
                                                                                              "chain": 0}}
    assert manifest.curriculum["step"] == "dpo" and manifest.curriculum["started_from"] == str(started)
    assert manifest.settings["from_adapter"] == str(started) and manifest.train["learning_rate"] == 5e-6
    # the adapter continues the round's: same shape (rank 4, not a new adapter's 16), and bench can load it
    loaded = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(model), str(out))
    assert loaded.peft_config["default"].r == 4
    assert not (out / "ref").exists()  # trl's frozen copy of the starting adapter is not kept
    with Store.open(db, create=False) as store:
        assert store.finetune("kod-round-1-dpo").finished_at is not None


def test_then_dpo_skips_a_round_whose_only_pair_is_one_program_that_both_passed_and_failed(tmp_path):
    """A flaky program (the same code passed once and failed once) is no pair for dpo: the step is skipped,
    the curriculum does not stop on dpo's "no pairs"."""
    from preference_store import Answer, add_run, right

    from codeforge.finetune.config import FinetuneConfig
    from codeforge.finetune.curriculum import RoundResult, Say, _dpo

    tasks = write_tasks(tmp_path / "tasks.jsonl")
    db = tmp_path / "codeforge.db"
    add_run(db, "kod-round-1", tasks, {0: [Answer(0, right(0), True), Answer(1, right(0), False)]}, task_count=1)
    config = FinetuneConfig(curriculum=2, samples=2, then_dpo=True, data=(f"jsonl:{tasks}",), out=tmp_path / "kod",
                            db=db)
    result = RoundResult(1, ["tiny/0"], [], "kod-round-1", str(tmp_path / "kod" / "round-1"), "kod-round-1")
    _dpo(config, result, _Quiet(), Say())
    assert result.dpo is None and result.dpo_skipped == "no task had both a passing and a failing answer"


def test_then_dpo_stops_when_the_rounds_run_cannot_be_read(tmp_path):
    """Only "no pairs" skips the dpo step; a round's bench run that cannot be read stops the curriculum."""
    from preference_store import Answer, add_run, right

    from codeforge.finetune.config import FinetuneConfig
    from codeforge.finetune.curriculum import RoundResult, Say, _dpo
    from codeforge.finetune.training import FinetuneError

    tasks = write_tasks(tmp_path / "tasks.jsonl")
    db = tmp_path / "codeforge.db"
    add_run(db, "kod-round-1", tasks, {0: [Answer(0, right(0), True)]}, task_count=1)
    config = FinetuneConfig(curriculum=2, samples=2, then_dpo=True, data=(f"jsonl:{tasks}",), out=tmp_path / "kod",
                            db=db)
    gone = RoundResult(1, ["tiny/0"], [], "kod-round-9", str(tmp_path / "kod" / "round-1"), "kod-round-9")
    with pytest.raises(FinetuneError, match="kod-round-9"):
        _dpo(config, gone, _Quiet(), Say())
