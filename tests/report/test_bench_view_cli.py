"""`codeforge bench list` and `bench show` as a user runs them, on stores built through the store's own API:
what comes from the store is printed literally, tables fold instead of cutting, intervals have width at the
edges and say what made them, stored ks are used, unfinished runs are marked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Optional

import pytest
from report_store import add, make_run, record
from tables import holds, parse_tables

from codeforge.store import Store

TASKS = [f"T/{i}" for i in range(20)]


def codeforge(*args: str, columns: int = 200) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "codeforge", *args], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "COLUMNS": str(columns)})
    assert result.returncode == 0, result.stderr
    return result


def add_sample(store: Store, run, task: str, *, code: Optional[str], status: str, result: Optional[dict] = None,
               sample: int = 0, round: int = 0, feedback: Optional[str] = None, raw: str = "...") -> None:
    sample_id = store.add_sample(run.id, task, sample, round, prompt="{}", raw_output=raw, code=code,
                                 finish_reason="stop", prompt_tokens=1, completion_tokens=5, gen_seconds=0.1,
                                 feedback=feedback, feedback_source="visible" if feedback else None)
    store.add_execution(sample_id, "tests", status, status == "passed", 0.1, result or {"status": status})


MARKUP_CODE = 'def f(a, i, d):\n    s = "[/b]"\n    return a[i] + d["[bold]k[/bold]"]\n'
MARKUP_TRACEBACK = ('Traceback (most recent call last):\n  File "main.py", line 3, in f\n'
                    '    return a[i] + d["[bold]k[/bold]"]\nKeyError: \'[/red] no such key\'\n')


@pytest.fixture
def markup_db(tmp_path):
    """Names, code, feedback and a traceback full of rich markup."""
    db = tmp_path / "m.db"
    with Store.open(db) as store:
        run = make_run(store, "[red]x", model="[bold]m[/bold]", tasks=["T/[0]", "T/1"], chain=1)
        add_sample(store, run, "T/[0]", code=MARKUP_CODE, status="failed",
                   result={"status": "failed", "stderr": MARKUP_TRACEBACK, "stdout": "", "exit_code": 1})
        add_sample(store, run, "T/[0]", code=MARKUP_CODE, status="failed", round=1, feedback="[/x] told [i]",
                   result={"status": "failed", "stderr": MARKUP_TRACEBACK, "stdout": "", "exit_code": 1})
        add_sample(store, run, "T/1", code=None, status="no_code", raw="[green]no code here[/green]")
        store.finish_run(run.id)
    return db


def test_names_code_feedback_and_tracebacks_print_literally(markup_db):
    listed = codeforge("bench", "list", "--db", str(markup_db))
    assert "[red]x" in listed.stdout and "[bold]m[/bold]" in listed.stdout
    shown = codeforge("bench", "show", "[red]x", "--db", str(markup_db))
    assert "[red]x on humaneval ([bold]m[/bold]," in shown.stdout
    tasks = parse_tables(shown.stdout)[1]
    assert holds(tasks.column("task"), "T/[0]") and holds(tasks.column("last status"), "no_code")
    task = codeforge("bench", "show", "[red]x", "--task", "T/[0]", "--db", str(markup_db))
    for line in MARKUP_CODE.splitlines() + MARKUP_TRACEBACK.splitlines()[1:]:
        assert line.rstrip() in task.stdout, line
    assert "[/x] told [i]" in task.stdout
    raw = codeforge("bench", "show", "[red]x", "--task", "T/1", "--db", str(markup_db))
    assert "[green]no code here[/green]" in raw.stdout and "held no code" not in raw.stdout


def test_a_failed_sample_shows_why_it_failed(markup_db):
    task = codeforge("bench", "show", "[red]x", "--task", "T/[0]", "--db", str(markup_db))
    after_code = task.stdout.split("why it failed (the benchmark's tests):", 1)
    assert len(after_code) == 2 and "KeyError: '[/red] no such key'" in after_code[1]
    data = json.loads(codeforge("bench", "show", "[red]x", "--task", "T/[0]", "--db", str(markup_db),
                                "--json").stdout)
    assert data["samples"][0]["status"] == "failed"
    assert data["samples"][0]["why_failed"].endswith("KeyError: '[/red] no such key'")


@pytest.fixture
def edges_db(tmp_path):
    """ALL: 10 of 10 tasks; NONE: 0 of 20; FRACTION: 5 samples per task, 0..4 passing."""
    db = tmp_path / "e.db"
    with Store.open(db) as store:
        record(store, make_run(store, "ALL", tasks=TASKS[:10]), {t: 0 for t in TASKS[:10]})
        record(store, make_run(store, "NONE", tasks=TASKS), {})
        run = make_run(store, "FRACTION", n=5, tasks=TASKS[:5], ks=[1, 5])
        for i, t in enumerate(TASKS[:5]):
            for sample in range(5):
                add(store, run, t, sample, 0, sample < i)
        store.finish_run(run.id)
    return db


def test_intervals_at_0_and_100_percent_have_width_and_say_they_are_wilson(edges_db):
    shown = codeforge("bench", "show", "ALL", "--db", str(edges_db)).stdout
    rounds = parse_tables(shown)[0]
    assert rounds.headers[1] == "pass@1[95%Wilson]"
    assert holds(rounds.columns[1], "100.0% [72.2, 100.0]")  # 10 / (10 + 1.96^2) = 0.722
    assert "Wilson score interval" in shown
    none = parse_tables(codeforge("bench", "show", "NONE", "--db", str(edges_db)).stdout)[0]
    assert holds(none.columns[1], "0.0% [0.0, 16.1]")  # 1.96^2 / (20 + 1.96^2) = 0.161
    data = json.loads(codeforge("bench", "show", "ALL", "--db", str(edges_db), "--json").stdout)
    score = data["rounds"][0]["pass_at_k"]["1"]
    assert score["interval"] == "wilson" and score["low"] == pytest.approx(0.7225, abs=1e-4) and score["high"] == 1
    assert data["intervals"] == {"wilson": "Wilson score interval (each task passed or not)"}


def test_several_samples_per_task_get_a_bootstrap_interval_named_as_such(edges_db):
    shown = codeforge("bench", "show", "FRACTION", "--db", str(edges_db)).stdout
    rounds = parse_tables(shown)[0]
    assert rounds.headers[1:3] == ["pass@1[95%bootstrap]", "pass@5[95%Wilson]"]  # pass@5: 1 or 0 per task
    assert "percentile bootstrap over tasks (10000 resamples, seed 0)" in shown
    data = json.loads(codeforge("bench", "show", "FRACTION", "--db", str(edges_db), "--json").stdout)
    score = data["rounds"][0]["pass_at_k"]["1"]
    assert score["interval"] == "bootstrap" and score["low"] < score["value"] < score["high"]
    assert score["value"] == pytest.approx(0.4)
    again = json.loads(codeforge("bench", "show", "FRACTION", "--db", str(edges_db), "--json").stdout)
    assert again == data  # seeded: the same store, the same numbers


def test_show_and_list_use_the_ks_the_run_stored(tmp_path):
    db = tmp_path / "k.db"
    with Store.open(db) as store:
        for name, ks in (("BEFORE", None), ("ONLY1", [1]), ("UPTO5", [1, 5])):
            run = make_run(store, name, n=10, tasks=TASKS[:3], ks=ks)
            for i, t in enumerate(TASKS[:3]):
                for sample in range(10):
                    add(store, run, t, sample, 0, sample < 3 + i)  # 3, 4 and 5 of 10
            store.finish_run(run.id)
    headers = {name: parse_tables(codeforge("bench", "show", name, "--db", str(db)).stdout)[0].headers
               for name in ("BEFORE", "ONLY1", "UPTO5")}
    ks = {name: [h.split("[")[0] for h in found if h.startswith("pass@")] for name, found in headers.items()}
    assert ks == {"BEFORE": ["pass@1", "pass@10"], "ONLY1": ["pass@1"], "UPTO5": ["pass@1", "pass@5"]}
    shown = json.loads(codeforge("bench", "show", "UPTO5", "--db", str(db), "--json").stdout)
    assert shown["ks"] == [1, 5] and sorted(shown["rounds"][0]["pass_at_k"]) == ["1", "5"]
    listed = {row["run"]: row for row in json.loads(codeforge("bench", "list", "--db", str(db), "--json").stdout)}
    assert {name: (row["ks"], sorted(row["pass_at_k"])) for name, row in listed.items()} == {
        "BEFORE": ([1, 10, 100], ["1", "10"]), "ONLY1": ([1], ["1"]), "UPTO5": ([1, 5], ["1", "5"])}
    table = parse_tables(codeforge("bench", "list", "--db", str(db)).stdout)[0]
    assert holds(table.column("final pass@k"), "pass@1 40.0%, pass@5")
    assert "pass@10" not in table.column("final pass@k").split("40.0%,pass@5")[-1]


def test_unfinished_runs_are_marked_and_an_empty_one_shows_no_scores(tmp_path):
    db = tmp_path / "u.db"
    with Store.open(db) as store:
        make_run(store, "SILENT", n=2, tasks=TASKS[:2])  # the backend never answered: nothing stored
        record(store, make_run(store, "HALFWAY", tasks=TASKS[:4]), {"T/0": 0}, finish=False)
        record(store, make_run(store, "DONE", tasks=TASKS[:4]), {"T/0": 0})
    listed = codeforge("bench", "list", "--db", str(db)).stdout
    state = parse_tables(listed)[0].column("state")
    assert state == "unfinished(nosample)unfinishedfinished"
    assert parse_tables(listed)[0].column("final pass@k").startswith("-pass@1")
    silent = codeforge("bench", "show", "SILENT", "--db", str(db)).stdout
    assert "(unfinished: no sample stored)" in silent
    rounds, tasks = parse_tables(silent)
    assert rounds.headers == ["round", "solved", "samples", "unchecked", "tokens/s"]  # no pass@k: nothing scored
    assert rounds.column("solved") == "-" and "0.0%" not in silent and "0/2" not in silent
    assert tasks.column("passed samples") == "--"
    assert "(unfinished)" in codeforge("bench", "show", "HALFWAY", "--db", str(db)).stdout
    assert "unfinished" not in codeforge("bench", "show", "DONE", "--db", str(db)).stdout
    rows = {row["run"]: row for row in json.loads(codeforge("bench", "list", "--db", str(db), "--json").stdout)}
    assert (rows["SILENT"]["finished"], rows["SILENT"]["pass_at_1"]) == (False, None)
    assert (rows["HALFWAY"]["finished"], rows["DONE"]["finished"]) == (False, True)
    detail = json.loads(codeforge("bench", "show", "SILENT", "--db", str(db), "--json").stdout)
    assert detail["finished"] is False and detail["rounds"][0]["solved"] is None
    assert detail["rounds"][0]["pass_at_k"] == {}


def test_tables_fold_names_and_numbers_at_80_columns(tmp_path):
    db = tmp_path / "w.db"
    names = ["reference-humaneval-plus-long-run-name-a", "reference-humaneval-plus-long-run-name-b"]
    with Store.open(db) as store:
        for name in names:
            record(store, make_run(store, name, tasks=TASKS, chain=2, model="organisation/a-rather-long-model-name"),
                   {t: 1 for t in TASKS[:9]})
    listed = codeforge("bench", "list", "--db", str(db), columns=80).stdout
    assert "…" not in listed and max(len(line) for line in listed.splitlines()) <= 80
    table = parse_tables(listed)[0]
    assert all(holds(table.column("run"), name) for name in names)
    assert table.column("model").count("organisation/a-rather-long-model-name") == 2
    assert holds(table.column("final pass@k"), "pass@1 45.0%")
    shown = codeforge("bench", "show", names[0], "--db", str(db), columns=80).stdout
    assert "…" not in shown and max(len(line) for line in shown.splitlines()) <= 80
    rounds = parse_tables(shown)[0]
    assert holds(rounds.columns[1], "0.0% [0.0, 16.1]45.0% [25.8, 65.8]45.0% [25.8, 65.8]")
    assert names[0] in " ".join(shown.split())  # the title wraps, whole


def test_list_marks_curriculum_rounds(tmp_path):
    """A round of finetune --curriculum is scored on its own tasks: the list says which round of which curriculum
    it is (in the table, literally, and in --json) so that it is not read as one more comparable run."""
    from report_store import make_round

    db = tmp_path / "c.db"
    with Store.open(db) as store:
        record(store, make_run(store, "BASE", tasks=TASKS[:4]), {TASKS[0]: 0})
        record(store, make_round(store, "[red]K", 2, 3, new=TASKS[:2], revisited=[TASKS[5]]), {TASKS[0]: 0})
    listed = codeforge("bench", "list", "--db", str(db))
    [runs] = parse_tables(listed.stdout)
    assert holds(runs.column("run"), "BASE[red]K-round-2 (curriculum [red]K, round 2 of 3)")
    assert "not comparable with the other runs" in " ".join(listed.stdout.split())
    rows = json.loads(codeforge("bench", "list", "--db", str(db), "--json").stdout)
    assert [row["curriculum"] for row in rows] == [
        None, {"name": "[red]K", "round": 2, "rounds": 3, "finetune": "[red]K-round-2"}]
