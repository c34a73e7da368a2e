"""`codeforge report` over a store that holds repair runs beside bench runs, as a user runs it: repair runs are
shown apart (terminal table, repair.png, an HTML section, a "repair" list in report.json) and never enter the
methods, the heatmap, significance or the round curves. The store is built through the store's own API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from report_store import add_epoch, make_repair_run, make_run, record, record_repair
from tables import holds, parse_tables

from codeforge.store import Store

TASKS = [f"HumanEval/{i}" for i in range(6)]
REPAIR = "[red]<i>BASE+REPAIR"  # rich markup and HTML in one name: both must print literally


def codeforge(*args, columns: int = 200):
    return subprocess.run([sys.executable, "-m", "codeforge", *args], capture_output=True, text=True, timeout=180,
                          env={**os.environ, "COLUMNS": str(columns)})


def mixed_store(path, *, repair_only: bool = False):
    """BASE and BASE_CHAIN (bench, 6 tasks) and the scripted repair run of record_repair (4 of those tasks)."""
    with Store.open(path) as store:
        if not repair_only:
            record(store, make_run(store, "BASE", tasks=TASKS), {t: 0 for t in TASKS[:3]})
            record(store, make_run(store, "BASE_CHAIN", chain=1, tasks=TASKS), {**{t: 0 for t in TASKS[:3]},
                                                                                 TASKS[3]: 1})
        record_repair(store, make_repair_run(store, REPAIR, tasks=TASKS[:4]))
    return path


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    root = tmp_path_factory.mktemp("mixed")
    db = mixed_store(root / "c.db")
    out = root / "report"
    result = codeforge("report", "--db", str(db), "--out", str(out), "--html", "--heatmap", "--resamples", "200")
    assert result.returncode == 0, result.stderr
    return db, out, result


def test_repair_runs_never_become_methods(mixed):
    _, out, _ = mixed
    data = json.loads((out / "report.json").read_text())
    assert [m["name"] for m in data["methods"]] == ["BASE", "BASE_CHAIN"]
    assert data["heatmap"]["methods"] == ["BASE", "BASE_CHAIN"]
    assert [(s["a"], s["b"]) for s in data["significance"]] == [("BASE", "BASE_CHAIN")]
    assert [(c["method"], c["chained"]) for c in data["chain_impact"]] == [("BASE", "BASE_CHAIN")]
    assert data["tasks"] == {"compared": 6, "covered": 6, "shared_only": False}  # the repair run's 4 do not narrow
    assert data["scope"] == "2 methods on 6 tasks"


def test_report_json_holds_every_epoch_of_the_repair_run(mixed):
    _, out, _ = mixed
    [repair] = json.loads((out / "report.json").read_text())["repair"]
    assert (repair["run"], repair["workflow"], repair["programs"], repair["epochs_asked"]) == (REPAIR, "repair", 4, 2)
    assert repair["finished"] is True and repair["config"]["workflow"] == "repair"
    epochs = repair["epochs"]
    assert [e["epoch"] for e in epochs] == [0, 1, 2]
    assert [e["error_free"] for e in epochs] == [1, 2, 3]
    assert [e["efr"]["value"] for e in epochs] == [0.25, 0.5, 0.75]
    assert all(e["efr"]["low"] < e["efr"]["value"] < e["efr"]["high"] for e in epochs)  # Wilson has width
    assert [(e["passed"], e["tested"]) for e in epochs] == [(3, 4), (4, 4), (4, 4)]
    assert [(e["attempted"], e["kept"]) for e in epochs] == [(0, 0), (3, 2), (2, 1)]
    assert [e["rejected"] for e in epochs] == [
        {"no_code": 0, "fails_tests": 0, "not_fewer_findings": 0},
        {"no_code": 0, "fails_tests": 1, "not_fewer_findings": 0},
        {"no_code": 1, "fails_tests": 0, "not_fewer_findings": 0}]
    assert repair["efr"]["first"]["value"] == 0.25 and repair["efr"]["final"]["value"] == 0.75
    assert repair["pass_at_1"]["before"]["value"] == 0.75 and repair["pass_at_1"]["after"]["value"] == 1.0
    assert repair["findings"]["before"] == {"total": 4, "by_tool": {"bandit": 3, "tests": 1},
                                            "by_severity": {"high": 2, "medium": 1, "low": 1},
                                            "by_cwe": {"20": 1, "78": 2}}
    assert repair["findings"]["after"] == {"total": 1, "by_tool": {"bandit": 1},
                                           "by_severity": {"high": 0, "medium": 1, "low": 0}, "by_cwe": {"20": 1}}


def test_the_terminal_shows_each_epoch_and_the_change(mixed):
    _, _, result = mixed
    tables = parse_tables(result.stdout)
    repair = next(t for t in tables if t.title.startswith("repair runs"))
    assert holds(repair.column("repair run"), REPAIR)
    assert repair.column("epoch") == "0(firsttry)12"
    assert repair.column("EFR % [95% Wilson]").startswith("25.0[") and "50.0[" in repair.column("EFR % [95% Wilson]")
    assert repair.column("patches kept/written") == "-2/31/2"
    assert holds(repair.column("rejected (why)"), "1 (fails_tests 1)")
    assert holds(repair.column("findings (high/medium/low)"), "4 (2/1/1)")
    said = " ".join(result.stdout.split())
    assert (f"{REPAIR} †: EFR 25.0% → 75.0%, pass@1 75.0% → 100.0%, findings 4 (2/1/1) → 1 (0/1/0) "
            "(high/medium/low), first try → after epoch 2") in said
    # its analyzers include the tests: the model saw the benchmark's own assertions, and the report says so
    assert f"† oracle feedback ({REPAIR}): the tests analyzer showed the model the failed assertions" in said
    assert "EFR, the error-free rate of a repair run after an epoch" in said
    # the bench part is as it was: two methods, the repair run not among them
    methods = next(t for t in tables if t.title.startswith("pass@k"))
    assert methods.column("method") == "BASEBASE_CHAIN"


def test_repair_png_is_a_real_picture_and_the_page_has_a_repair_section(mixed):
    import numpy as np
    from matplotlib.image import imread

    _, out, _ = mixed
    data = json.loads((out / "report.json").read_text())
    assert data["files"]["repair"] == "repair.png" and "rounds" in data["files"]  # BASE_CHAIN's curve only
    pixels = imread(out / "repair.png")
    assert pixels.ndim == 3 and pixels.shape[0] > 300 and pixels.shape[1] > 800
    assert float(np.var(pixels[..., :3])) > 0.005
    page = (out / "report.html").read_text()
    assert "<h2>Repair runs</h2>" in page
    assert "[red]&lt;i&gt;BASE+REPAIR" in page and "<i>BASE" not in page

    class Text(HTMLParser):
        def __init__(self):
            super().__init__()
            self.cells: list[str] = []

        def handle_data(self, data):
            self.cells.append(data)

    parsed = Text()
    parsed.feed(page)
    cells = parsed.cells
    assert "75.0% → 100.0%" in cells and "4 (2/1/1) → 1 (0/1/0)" in cells
    assert cells.count("Repair runs") == 1 and f"findings of {REPAIR}" in cells


def test_repair_charts_and_json_are_the_same_bytes_every_time(mixed, tmp_path):
    db, out, _ = mixed
    again = codeforge("report", "--db", str(db), "--out", str(tmp_path), "--html", "--heatmap", "--resamples", "200")
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "repair.png").read_bytes() == (out / "repair.png").read_bytes()
    first, second = (json.loads((d / "report.json").read_text()) for d in (out, tmp_path))
    assert first["repair"] == second["repair"]


def test_a_store_of_repair_runs_alone_gives_a_report(tmp_path):
    db = mixed_store(tmp_path / "c.db", repair_only=True)
    result = codeforge("report", "--db", str(db), "--out", str(tmp_path / "o"), "--html", "--json", columns=80)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["methods"] == [] and data["significance"] == [] and data["scope"] == "no bench run"
    assert [r["run"] for r in data["repair"]] == [REPAIR]
    assert data["files"] == {"repair": "repair.png", "json": "report.json", "html": "report.html"}
    assert "no bench run in this report" in " ".join(result.stderr.split())
    assert "…" not in result.stderr
    assert holds(parse_tables(result.stderr)[0].column("repair run"), REPAIR)
    assert "No bench run in this report" in (tmp_path / "o" / "report.html").read_text()


def test_runs_chooses_among_both_kinds(tmp_path):
    db = mixed_store(tmp_path / "c.db")
    bench = codeforge("report", "--db", str(db), "--out", str(tmp_path / "a"), "--runs", "BASE", "--json")
    assert bench.returncode == 0, bench.stderr
    data = json.loads(bench.stdout)
    assert [m["name"] for m in data["methods"]] == ["BASE"] and data["repair"] == []
    assert "repair" not in data["files"]
    repair = codeforge("report", "--db", str(db), "--out", str(tmp_path / "b"), "--runs", REPAIR, "--json")
    assert repair.returncode == 0, repair.stderr
    data = json.loads(repair.stdout)
    assert data["methods"] == [] and [r["run"] for r in data["repair"]] == [REPAIR]


def test_a_repair_run_as_baseline_or_pair_is_refused_in_one_line(tmp_path):
    db = mixed_store(tmp_path / "c.db")
    for option in (("--baseline", REPAIR), ("--pair", f"BASE:{REPAIR}")):
        result = codeforge("report", "--db", str(db), "--out", str(tmp_path / "o"), *option)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert f"is a repair run: {option[0]} takes bench runs" in result.stderr
        assert len(result.stderr.strip().splitlines()) <= 2  # one line, folded at most once by the terminal


def test_repair_runs_of_another_dataset_need_no_dataset_option(tmp_path):
    """Repair runs are not compared with each other or with the methods, so their datasets need not agree."""
    with Store.open(tmp_path / "c.db") as store:
        record(store, make_run(store, "BASE", tasks=TASKS), {TASKS[0]: 0})
        run = make_repair_run(store, "MBPP+REPAIR", dataset="mbpp", epochs=1, tasks=["Mbpp/2"])
        add_epoch(store, run, "Mbpp/2", 0, [], tests=True)
        store.finish_run(run.id)
    result = codeforge("report", "--db", str(tmp_path / "c.db"), "--out", str(tmp_path / "o"), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["dataset"] == "humaneval" and [r["dataset"] for r in data["repair"]] == ["mbpp"]
    assert data["repair"][0]["efr"]["final"]["value"] == 1.0


def test_an_unfinished_repair_run_is_left_out_unless_asked_for(tmp_path):
    with Store.open(tmp_path / "c.db") as store:
        record(store, make_run(store, "BASE", tasks=TASKS), {TASKS[0]: 0})
        record_repair(store, make_repair_run(store, "HALF+REPAIR", tasks=TASKS[:4]), finish=False)
    db = str(tmp_path / "c.db")
    plain = codeforge("report", "--db", db, "--out", str(tmp_path / "a"), "--json")
    assert plain.returncode == 0, plain.stderr
    assert json.loads(plain.stdout)["repair"] == []
    assert "Left out: HALF+REPAIR (unfinished)." in " ".join(plain.stderr.split())
    asked = codeforge("report", "--db", db, "--out", str(tmp_path / "b"), "--json", "--include-unfinished")
    assert asked.returncode == 0, asked.stderr
    [repair] = json.loads(asked.stdout)["repair"]
    assert repair["finished"] is False and "HALF+REPAIR † (unfinished)" in asked.stderr
    named = codeforge("report", "--db", db, "--out", str(tmp_path / "c"), "--runs", "HALF+REPAIR")
    assert named.returncode == 2
    assert "run 'HALF+REPAIR' on humaneval is unfinished: run its repair command again" in named.stderr
