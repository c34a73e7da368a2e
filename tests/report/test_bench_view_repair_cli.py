"""`codeforge bench list / show / rerun / rescore` on a store holding a repair run beside a bench run, as a user
runs them: repair runs are listed apart with EFR first try → after, shown epoch by epoch (and one task's epochs
with their code, findings and decision), and refused by rerun and rescore with what to run instead."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from report_store import add_epoch, finding, make_repair_run, make_run, record, record_repair
from tables import holds, parse_tables

from codeforge.store import Store

TASKS = [f"HumanEval/{i}" for i in range(4)]
REPAIR = "[red]BASE+REPAIR"


def codeforge(*args: str, columns: int = 200, ok: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "codeforge", *args], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "COLUMNS": str(columns)})
    if ok:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def db(tmp_path):
    """BASE (bench: 3 of 4 tasks passed), the scripted repair run, and a repair of one file (no tests) whose
    epoch-1 patch was never analysed (the sandbox failed)."""
    path = tmp_path / "c.db"
    with Store.open(path) as store:
        record(store, make_run(store, "BASE", tasks=TASKS), {t: 0 for t in TASKS[:3]})
        record_repair(store, make_repair_run(store, REPAIR, model="[bold]m[/bold]", tasks=TASKS))
        files = make_repair_run(store, "FILES+REPAIR", dataset="files", epochs=1, tasks=["src/[x].py"])
        add_epoch(store, files, "src/[x].py", 0, [finding("B307", "medium", cwe=78, message="use of eval [/b]")])
        add_epoch(store, files, "src/[x].py", 1, None)
        store.finish_run(files.id)
    return path


def test_list_shows_repair_runs_apart_with_efr_first_try_to_after(db):
    listed = codeforge("bench", "list", "--db", str(db))
    bench, repair = parse_tables(listed.stdout)
    assert bench.column("run") == "BASE" and holds(bench.column("final pass@k"), "pass@1 75.0%")
    assert repair.title.startswith("repair runs in")
    assert holds(repair.column("run"), REPAIR) and holds(repair.column("run"), "FILES+REPAIR")
    assert holds(repair.column("model"), "[bold]m[/bold]")
    assert holds(repair.column("EFR first try → after"), "25.0% → 75.0%")
    assert holds(repair.column("EFR first try → after"), "0.0% → 0.0%")
    assert holds(repair.column("pass@1 before → after"), "75.0% → 100.0%")
    assert holds(repair.column("pass@1 before → after"), "- → -")  # a file has no tests
    assert holds(repair.column("findings before → after"), "4 → 1")
    assert repair.column("epochs") == "21"


def test_list_json_says_which_workflow_made_every_run(db):
    rows = {row["run"]: row for row in json.loads(codeforge("bench", "list", "--db", str(db), "--json").stdout)}
    assert {name: row["workflow"] for name, row in rows.items()} == {
        "BASE": "bench", REPAIR: "repair", "FILES+REPAIR": "repair"}
    assert "repair" not in rows["BASE"]
    repair = rows[REPAIR]
    assert repair["repair"] == {"epochs": 2, "programs": 4, "efr_first": 0.25, "efr_final": 0.75,
                                "pass_at_1_before": 0.75, "pass_at_1_after": 1.0, "findings_before": 4,
                                "findings_after": 1, "unchecked": 0}
    assert repair["pass_at_1"] == 1.0 and repair["finished"] is True and repair["stored_samples"] == 9
    assert rows["FILES+REPAIR"]["repair"]["unchecked"] == 1 and rows["FILES+REPAIR"]["pass_at_1"] is None


def test_list_folds_at_80_columns(db):
    listed = codeforge("bench", "list", "--db", str(db), columns=80).stdout
    assert "…" not in listed and max(len(line) for line in listed.splitlines()) <= 80
    repair = parse_tables(listed)[1]
    assert holds(repair.column("run"), REPAIR) and holds(repair.column("EFR first try → after"), "25.0% → 75.0%")


def test_show_prints_the_epochs_the_findings_before_and_after_and_every_program(db):
    shown = codeforge("bench", "show", REPAIR, "--db", str(db)).stdout
    epochs, findings, programs = parse_tables(shown)
    assert REPAIR in epochs.title and "[bold]m[/bold]" in epochs.title
    assert epochs.column("epoch") == "0(firsttry)12"
    assert epochs.column("patches") == "-32" and epochs.column("kept") == "-21"
    assert holds(epochs.column("rejected"), "1: fails tests 1") and holds(epochs.column("rejected"), "1: no code 1")
    assert epochs.column("error-free") == "1/42/43/4"
    efr = epochs.column("EFR [95% Wilson]")
    assert efr.startswith("25.0%[4.6,69.9]") and efr.endswith("75.0%[30.1,95.4]")
    assert holds(epochs.column("pass@1 [95% Wilson]"), "(3/4)")
    assert epochs.column("findings high/medium/low") == "4:2/1/12:0/1/11:0/1/0"
    assert findings.column("findings") == "allseverityhighseveritymediumseveritylowtoolbandittooltestsCWE-20CWE-78"
    assert findings.column("before") == "42113112" and findings.column("after") == "10101010"
    assert programs.column("task") == "".join(TASKS)
    assert programs.column("error-free after") == "yesyesnoyes"
    assert programs.column("patches kept") == "2/20/00/21/1"
    assert "EFR 25.0% → 75.0%, pass@1 75.0% → 100.0%, findings 4 → 1 (first try → after epoch 2)" in \
        " ".join(shown.split())


def test_show_task_prints_each_epoch_code_findings_and_decision_literally(db):
    shown = codeforge("bench", "show", REPAIR, "--db", str(db), "--task", "HumanEval/2").stdout
    said = " ".join(shown.split())
    assert "HumanEval/2 sample 0 epoch 0: starting code" in said
    assert "HumanEval/2 sample 0 epoch 1: patch rejected: fails tests" in said
    assert "HumanEval/2 sample 0 epoch 2: patch rejected: no code" in said
    assert "no code in the answer; raw output: I cannot" in said
    assert "medium bandit B506 (main.py line 3, CWE-20): B506 found" in said
    assert "HumanEval/2 sample 0: after epoch 2 its code is the one of epoch 0; error-free: no" in said
    first = " ".join(codeforge("bench", "show", REPAIR, "--db", str(db), "--task", "HumanEval/0").stdout.split())
    assert "subprocess call with shell=True identified, [bold]security[/bold]" in first
    assert "findings shown to the model: B602 line 3: shell=True" in first
    files = " ".join(codeforge("bench", "show", "FILES+REPAIR", "--db", str(db), "--task", "src/[x].py").stdout.split())
    assert "src/[x].py sample 0 epoch 1: patch not checked yet (the sandbox failed)" in files
    assert "use of eval [/b]" in files and "not analysed yet" in files


def test_show_json_of_a_repair_run(db):
    detail = json.loads(codeforge("bench", "show", REPAIR, "--db", str(db), "--json").stdout)
    assert detail["workflow"] == "repair" and detail["config"]["workflow"] == "repair"
    assert [e["efr"]["value"] for e in detail["epochs"]] == [0.25, 0.5, 0.75]
    assert [p["decisions"] for p in detail["program_results"]] == [
        ["kept", "kept"], [None, None], ["fails_tests", "no_code"], ["kept", None]]
    task = json.loads(codeforge("bench", "show", REPAIR, "--db", str(db), "--json", "--task", "HumanEval/2").stdout)
    assert [(s["epoch"], s["decision"]) for s in task["samples"]] == [(0, "start"), (1, "fails_tests"),
                                                                      (2, "no_code")]
    assert task["samples"][0]["findings"][0]["rule"] == "B506" and task["samples"][2]["code"] is None
    assert task["samples"][1]["tests"] == {"status": "failed", "passed": False}


def test_an_unchecked_patch_is_counted_and_said(db):
    shown = codeforge("bench", "show", "FILES+REPAIR", "--db", str(db)).stdout
    epochs = parse_tables(shown)[0]
    assert epochs.column("unchecked") == "01"
    assert "1 programs could not be checked (sandbox errors)" in " ".join(shown.split())


@pytest.mark.parametrize("args, says", [
    (("rerun",), "`bench rerun` works on bench runs only: run the `codeforge repair` command that made it again"),
    (("rescore",), "`bench rescore` works on bench runs only: `codeforge repair` tests every patch it keeps"),
    (("show", "--settings"), "--settings prints bench settings only"),
])
def test_bench_commands_that_only_fit_bench_runs_refuse_a_repair_run(db, args, says):
    with Store.open(db) as store:
        before = len(store.samples(store.run(REPAIR).id))
    result = codeforge("bench", args[0], REPAIR, *args[1:], "--db", str(db), ok=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    said = " ".join(result.stderr.split())
    assert said.startswith(f"error: run '{REPAIR}' is a repair run") and says in said
    with Store.open(db) as store:
        assert len(store.samples(store.run(REPAIR).id)) == before
