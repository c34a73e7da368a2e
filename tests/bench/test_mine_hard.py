"""`codeforge bench mine-hard`: the tasks several stored runs fail, mined from a store built through the Store API,
written as a jsonl dataset with its provenance, and run by bench (`--model reference` passes all of it)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from test_bench_cli import codeforge

from codeforge.bench.mine import TaskCounts, choose
from codeforge.store import Store
from codeforge.tasks import load_tasks

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "report"))
from report_store import add, make_run  # noqa: E402

TASKS = [f"HumanEval/{i}" for i in range(6)]
# Per run, per task: each sample's verdict per round (True: passed); 2 samples, chain 1 (two rounds).
# HumanEval/0: every run passes. /1: A fails, B and C pass. /2: A and B fail, C passes one sample of two.
# /3: all three fail. /4: A and B fail, C passes both samples. /5: A passes in round 1 only (a pass after the
# final round), B and C fail.
VERDICTS = {
    "A": {0: [[True], [True]], 1: [[False, False], [False, False]], 2: [[False, False], [False, False]],
          3: [[False, False], [False, False]], 4: [[False, False], [False, False]], 5: [[False, True], [False, False]]},
    "B": {0: [[True], [True]], 1: [[True], [True]], 2: [[False, False], [False, False]],
          3: [[False, False], [False, False]], 4: [[False, False], [False, False]],
          5: [[False, False], [False, False]]},
    "C": {0: [[True], [True]], 1: [[True], [True]], 2: [[True], [False, False]],
          3: [[False, False], [False, False]], 4: [[True], [True]], 5: [[False, False], [False, False]]},
}
MODELS = {"A": "org/model-a", "B": "org/model-b", "C": "org/model-c"}


def build_store(db: Path, tasks=TASKS, finish=("A", "B", "C")) -> None:
    with Store.open(db) as store:
        for name, verdicts in VERDICTS.items():
            run = make_run(store, name, chain=1, n=2, tasks=tasks, model=MODELS[name])
            for number, samples in verdicts.items():
                if f"HumanEval/{number}" not in tasks:
                    continue
                for sample, rounds in enumerate(samples):
                    for round, passed in enumerate(rounds):
                        add(store, run, f"HumanEval/{number}", sample, round, passed)
            if name in finish:
                store.finish_run(run.id)


@pytest.fixture
def store(tmp_path) -> Path:
    db = tmp_path / "runs.db"
    build_store(db)
    return db


def mine_hard(db: Path, *args: str, check: bool = True):
    return codeforge("bench", "mine-hard", "--db", str(db), *args, check=check, timeout=120)


def counts(task_id: str, passed: dict[str, int], n: int = 2) -> TaskCounts:
    return TaskCounts(task_id, passed, {name: n for name in passed})


def test_thresholds_count_failing_runs_and_the_pass_rate_over_all_samples():
    tasks = [counts("all", {"A": 2, "B": 2, "C": 2}), counts("one", {"A": 0, "B": 1, "C": 2}),
             counts("two", {"A": 0, "B": 0, "C": 1}), counts("three", {"A": 0, "B": 0, "C": 0})]
    assert [t.runs_failed for t in tasks] == [0, 1, 2, 3]
    assert [t.pass_rate for t in tasks] == [1.0, 0.5, 1 / 6, 0.0]
    assert [t.task_id for t in choose(tasks, 3, None)] == ["three"]
    assert [t.task_id for t in choose(tasks, 2, None)] == ["two", "three"]
    assert [t.task_id for t in choose(tasks, 0, 0.5)] == ["one", "two", "three"]  # at most: 0.5 is in
    assert [t.task_id for t in choose(tasks, 1, 1 / 6)] == ["two", "three"]  # both must hold
    assert [t.task_id for t in choose(tasks, 3, 0.2)] == ["three"]


def test_mined_tasks_their_provenance_and_rows_that_load_as_a_jsonl_dataset(store, tmp_path):
    out = tmp_path / "hard.jsonl"
    result = mine_hard(store, "--runs", "A,B,C", "--min-models", "2", "--out", str(out), "--json")
    summary = json.loads(result.stdout)
    # /5: A passed it after its final round, so only B and C fail it; /4: C passed, A and B fail.
    assert [t["task_id"] for t in summary["mined"]] == ["HumanEval/2", "HumanEval/3", "HumanEval/4", "HumanEval/5"]
    provenance = json.loads((tmp_path / "hard.provenance.json").read_text())
    assert provenance["thresholds"] == {"min_models": 2, "max_pass_rate": None}
    assert [(r["name"], r["model"], r["dataset"], r["chain"], r["samples"]) for r in provenance["runs"]] == \
        [(n, MODELS[n], "humaneval", 1, 2) for n in "ABC"]
    assert provenance["codeforge"] and provenance["mined"] == [t["task_id"] for t in summary["mined"]]
    per_task = {t["task_id"]: t for t in provenance["tasks"]}
    assert len(per_task) == 6  # every task considered, so the set can be rebuilt with other thresholds
    assert per_task["HumanEval/2"]["passed"] == {"A": 0, "B": 0, "C": 1}
    assert per_task["HumanEval/2"]["pass_rate"] == pytest.approx(1 / 6)
    assert per_task["HumanEval/5"]["passed"] == {"A": 1, "B": 0, "C": 0}
    mined = load_tasks(f"jsonl:{out}")
    originals = {t.task_id: t for t in load_tasks("humaneval", task_ids=provenance["mined"])}
    assert [t.task_id for t in mined] == provenance["mined"]
    for task in mined:
        before = originals[task.task_id]
        assert task.test_job(task.reference).tests == before.test_job(before.reference).tests
        assert task.extra["mined_from"] == {"provenance": "hard.provenance.json", "runs": [
            {"name": n, "model": MODELS[n], "adapter": None} for n in "ABC"]}


def test_max_pass_rate_alone_and_with_min_models(store, tmp_path):
    rate = mine_hard(store, "--runs", "A,B,C", "--max-pass-rate", "0.34", "--out", str(tmp_path / "r.jsonl"),
                     "--json")
    # pass rates: /1 4 of 6, /2 1 of 6, /3 0, /4 2 of 6, /5 1 of 6
    assert [t["task_id"] for t in json.loads(rate.stdout)["mined"]] == \
        ["HumanEval/2", "HumanEval/3", "HumanEval/4", "HumanEval/5"]
    both = mine_hard(store, "--runs", "A,B,C", "--max-pass-rate", "0.2", "--min-models", "3",
                     "--out", str(tmp_path / "b.jsonl"), "--json")
    assert [t["task_id"] for t in json.loads(both.stdout)["mined"]] == ["HumanEval/3"]
    default = mine_hard(store, "--runs", "A,B,C", "--out", str(tmp_path / "d.jsonl"))  # every run fails it
    assert "1 of 6 tasks mined from A, B, C" in default.stdout and "HumanEval/3" in default.stdout


def test_runs_on_different_datasets_are_refused_naming_them(store, tmp_path):
    with Store.open(store) as db:
        other = make_run(db, "M", dataset="mbpp", tasks=["Mbpp/2"])
        add(db, other, "Mbpp/2", 0, 0, False)
        db.finish_run(other.id)
    result = mine_hard(store, "--runs", "A,M", "--out", str(tmp_path / "x.jsonl"), check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "different datasets" in result.stderr and "A: humaneval" in result.stderr and "M: mbpp" in result.stderr
    assert not (tmp_path / "x.jsonl").exists()


def test_an_empty_mined_set_says_which_threshold_to_relax(store, tmp_path):
    out = str(tmp_path / "x.jsonl")
    tight = mine_hard(store, "--runs", "A,B", "--min-models", "2", "--max-pass-rate", "0", "--out", out, check=False)
    assert tight.returncode == 0  # /2, /3, /4 fail in both with no sample passed
    none = mine_hard(store, "--runs", "B,C", "--min-models", "2", "--max-pass-rate", "0", "--out",
                     str(tmp_path / "y.jsonl"), check=False)
    assert none.returncode == 0  # /3 and /5
    with Store.open(store) as db:
        easy = make_run(db, "E", chain=1, n=2, tasks=TASKS, model="org/easy")
        for task in TASKS:
            for sample in range(2):
                add(db, easy, task, sample, 0, sample == 1)
        db.finish_run(easy.id)
    relax_models = mine_hard(store, "--runs", "C,E", "--out", str(tmp_path / "z.jsonl"), check=False)
    assert relax_models.returncode == 2 and "relax --min-models to 1" in relax_models.stderr
    relax_rate = mine_hard(store, "--runs", "C,E", "--min-models", "1", "--max-pass-rate", "0.1",
                           "--out", str(tmp_path / "z.jsonl"), check=False)
    assert relax_rate.returncode == 2 and "relax --max-pass-rate to 0.25" in relax_rate.stderr  # /3: 1 of 4
    assert not (tmp_path / "z.jsonl").exists()


def test_bad_input_is_one_line_and_exit_2(tmp_path):
    db = tmp_path / "runs.db"
    build_store(db, finish=("A", "B"))
    out = tmp_path / "x.jsonl"
    cases = [(("--runs", "A,B,C", "--out", str(out)), "run 'C' is unfinished"),
             (("--runs", "A,Z", "--out", str(out)), "no run named 'Z'"),
             (("--runs", "A,B", "--min-models", "3", "--out", str(out)), "more than the 2 runs"),
             (("--runs", "A,B"), "--out hard.jsonl"),
             (("--out", str(out)), "--runs A,B,C")]
    for args, message in cases:
        result = mine_hard(db, *args, check=False)
        assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr, args
    out.write_text("mine\n")
    taken = mine_hard(db, "--runs", "A,B", "--out", str(out), check=False)
    assert taken.returncode == 2 and "--force" in taken.stderr and out.read_text() == "mine\n"


def test_a_dataset_whose_tests_a_row_cannot_carry_is_refused(tmp_path):
    db = tmp_path / "runs.db"
    with Store.open(db) as store:
        for name in "AB":
            run = make_run(store, name, dataset="humaneval+", tasks=TASKS[:1], model=MODELS[name])
            add(store, run, TASKS[0], 0, 0, False)
            store.finish_run(run.id)
    result = mine_hard(db, "--runs", "A,B", "--out", str(tmp_path / "x.jsonl"), check=False)
    assert result.returncode == 2 and "plus inputs" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "x.jsonl").exists()


def test_the_report_says_the_set_was_mined_and_marks_a_model_scored_on_its_own_failures(store, tmp_path):
    out = tmp_path / "hard.jsonl"
    mine_hard(store, "--runs", "A,B,C", "--min-models", "2", "--out", str(out))
    source = load_tasks(f"jsonl:{out}")[0].extra["mined_from"]
    with Store.open(store) as db:  # two runs over the mined set, as bench stores them (see the docker test)
        for name, model in (("OWN", MODELS["A"]), ("FRESH", "org/fresh")):
            run = make_run(db, name, dataset=f"jsonl:{out.name}", tasks=["HumanEval/2"], model=model,
                           labels={"mined_from": source})
            add(db, run, "HumanEval/2", 0, 0, name == "FRESH")
            db.finish_run(run.id)
    report = codeforge("report", "--db", str(store), "--dataset", f"jsonl:{out.name}", "--out",
                       str(tmp_path / "report"), timeout=180)
    text = " ".join(report.stdout.split())
    assert "mined by codeforge bench mine-hard from the failures of the runs A (org/model-a)" in text
    assert "‡ scored on its own failures (OWN)" in text and "OWN ‡" in text and "FRESH ‡" not in text
    data = json.loads((tmp_path / "report" / "report.json").read_text())
    own = {m["name"]: m["own_failures"] for m in data["methods"]}
    assert own == {"OWN": True, "FRESH": False} and "hard.provenance.json" in data["mined"]


@pytest.mark.docker
def test_three_stored_runs_become_a_dataset_that_bench_runs_and_the_reference_passes(store, tmp_path, docker_client):
    out = tmp_path / "hard.jsonl"
    mine_hard(store, "--runs", "A,B,C", "--min-models", "3", "--out", str(out))
    summary = json.loads(codeforge("bench", f"jsonl:{out}", "--model", "reference", "--db", str(store),
                                   "--json", timeout=300).stdout)
    first = summary["rounds"][0]
    assert first["tasks"] == 1 and first["solved"] == 1 and first["unchecked"] == 0
    with Store.open(store) as db:
        run = db.run("reference", "jsonl:hard.jsonl")
        assert [r["name"] for r in run.mined_from["runs"]] == ["A", "B", "C"] and not run.own_failures
