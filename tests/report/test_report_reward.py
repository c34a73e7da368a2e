"""The mean go-coverage reward of Go unit-test runs in the report: its numbers, its columns, its chart.

The stores are filled through the store's API with results whose details carry what the sandbox's unittest
recipe writes; every expected number below is worked out by hand from the reward's definition (0 cannot run,
0.5 runs, +0.25 succeeds, +0.05 all pass, +0.2 x coverage of the function under test).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest
from report_store import add_unit_test, make_run, record, unit_test_details
from rich.console import Console
from tables import holds, parse_tables

from codeforge.bench.scores import Interval
from codeforge.report.build import build_report, report_json, write_report
from codeforge.report.terminal import files_note, methods_table
from codeforge.store import Store

GO = [f"go/{i}" for i in range(5)]
NOT_RUNNABLE = unit_test_details(runnable=False, declared=0)


def passing(declared: int, coverage: float) -> dict:
    return unit_test_details(succeeded=True, all_passed=True, declared=declared, passed=declared, coverage=coverage)


def reward_store(path, names=("U", "V")):
    """Two runs of Go unit-test tasks on five tasks (rewards after round 0 -> after round 1):
    U, chain 1, one sample per task:
      go/0  passes 2/2 tests, covers all                    1.0
      go/1  does not build; then runs, 1/3 tests, covers .5  0 -> 0.6
      go/2  passes 1/1, covers nothing; then 0/2, covers .25  0.8 (round 0 stays its best)
      go/3  succeeds with a test skipped (1 of 2 passed), covers .5; then passes 2/2, covers .75   0.85 -> 0.95
      go/4  never builds                                    0
      mean 2.65 / 5 = 0.53 after round 0, 3.35 / 5 = 0.67 after round 1; its best rounds: runnable 4 of 5,
      tests passed 2+1+1+2+0 = 6 of 2+3+1+2+0 = 8, coverage (1 + .5 + 0 + .75 + 0) / 5 = 0.45
    V, chain 0, two samples per task: sample 0 runs and fails 0 of 1 tests, covers nothing (0.5), except on go/0
      where it passes 2/2 and covers all (1.0); sample 1 never builds (0)
      mean (0.5 + 4 x 0.25) / 5 = 0.3; runnable 5 of 10, tests 2 of 6, coverage 1 / 10"""
    u, v = names
    with Store.open(path) as store:
        run = make_run(store, u, dataset="go-unittest", chain=1, tasks=GO)
        rounds = {"go/0": [passing(2, 1.0)],
                  "go/1": [NOT_RUNNABLE, unit_test_details(declared=3, passed=1, coverage=0.5)],
                  "go/2": [passing(1, 0.0), unit_test_details(declared=2, passed=0, coverage=0.25)],
                  "go/3": [unit_test_details(succeeded=True, declared=2, passed=1, coverage=0.5), passing(2, 0.75)],
                  "go/4": [NOT_RUNNABLE, NOT_RUNNABLE]}
        for task, found in rounds.items():
            for r, details in enumerate(found):
                add_unit_test(store, run, task, 0, r, details)
        store.finish_run(run.id)
        run = make_run(store, v, dataset="go-unittest", n=2, ks=[1, 2], tasks=GO)
        for task in GO:
            first = passing(2, 1.0) if task == "go/0" else unit_test_details(declared=1, passed=0, coverage=0.0)
            add_unit_test(store, run, task, 0, 0, first)
            add_unit_test(store, run, task, 1, 0, NOT_RUNNABLE)
        store.finish_run(run.id)
    return path


def plain_store(path):
    tasks = [f"T/{i}" for i in range(6)]
    with Store.open(path) as store:
        record(store, make_run(store, "A", tasks=tasks), {t: 0 for t in tasks[:4]})
        record(store, make_run(store, "B", chain=1, tasks=tasks), {"T/0": 0, "T/1": 1})
    return path


def rendered(table, width=200) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(table)
    return console.file.getvalue()


def test_mean_reward_and_its_parts_after_each_round(tmp_path):
    report = build_report(reward_store(tmp_path / "r.db"), resamples=200)
    methods = {m.name: m for m in report.methods}
    u, v = methods["U"].reward, methods["V"].reward
    assert u.mean.value == pytest.approx(0.67) and u.mean.tasks == 5 and u.samples == 5
    assert (u.runnable, u.tests_passed, u.tests_declared) == (pytest.approx(0.8), 6, 8)
    assert u.coverage == pytest.approx(0.45) and u.tests_share == pytest.approx(0.75)
    assert u.mean.interval is Interval.bootstrap and u.mean.low < 0.67 < u.mean.high
    assert [p.reward for p in methods["U"].rounds] == pytest.approx([0.53, 0.67])
    assert v.mean.value == pytest.approx(0.3) and v.samples == 10
    assert (v.runnable, v.tests_passed, v.tests_declared, v.coverage) == (pytest.approx(0.5), 2, 6, pytest.approx(0.1))
    assert [p.reward for p in methods["V"].rounds] == pytest.approx([0.3])
    # pass@k stays beside it: U's tests pass and cover the function on go/0 (round 0) and go/3 (round 1)
    assert methods["U"].solved_count == 2 and [p.solved for p in methods["U"].rounds] == [1, 2]
    assert report.rewarded == report.methods
    only_u = build_report(tmp_path / "r.db", names=["U"], resamples=200)  # pass@1 is Wilson, the reward bootstrap
    assert Interval.bootstrap in only_u.intervals and Interval.wilson in only_u.intervals


def test_the_reward_is_over_the_compared_tasks_only(tmp_path):
    db = reward_store(tmp_path / "r.db")
    with Store.open(db) as store:  # a third run on the first two tasks only: the report compares those
        run = make_run(store, "W", dataset="go-unittest", tasks=GO[:2])
        for task in GO[:2]:
            add_unit_test(store, run, task, 0, 0, passing(1, 1.0))
        store.finish_run(run.id)
    methods = {m.name: m for m in build_report(db, resamples=200).methods}
    assert methods["W"].reward.mean.value == 1.0 and methods["W"].reward.mean.interval is Interval.wilson
    u = methods["U"].reward  # go/0 (1.0) and go/1 (0.6, from round 1)
    assert u.mean.value == pytest.approx(0.8) and u.samples == 2
    assert (u.tests_passed, u.tests_declared, u.coverage) == (3, 5, pytest.approx(0.75))


def test_a_reward_run_writes_the_chart_its_section_and_its_json(tmp_path):
    import numpy as np
    from matplotlib.image import imread

    report = build_report(reward_store(tmp_path / "r.db"), resamples=200)
    out = tmp_path / "out"
    files = write_report(report, out, html=True)
    assert files["reward"] == out / "reward.png"
    pixels = imread(out / "reward.png")
    assert pixels.shape[0] > 150 and pixels.shape[1] > 500 and float(np.var(pixels[..., :3])) > 0.005
    data = json.loads((out / "report.json").read_text())
    assert data["files"]["reward"] == "reward.png"
    methods = {m["name"]: m for m in data["methods"]}
    u = methods["U"]["reward"]
    assert list(u) == ["mean", "low", "high", "interval", "tasks", "samples", "runnable", "tests_passed",
                       "tests_declared", "coverage"]
    assert (u["mean"], u["runnable"], u["tests_passed"], u["tests_declared"], u["coverage"]) == \
        (pytest.approx(0.67), pytest.approx(0.8), 6, 8, pytest.approx(0.45))
    assert u["interval"] == "bootstrap" and u["low"] < u["mean"] < u["high"]
    assert [r["reward"] for r in methods["U"]["rounds"]] == pytest.approx([0.53, 0.67])
    assert "bootstrap" in data["intervals"] and "go-coverage" in data["definitions"]["mean_reward"]
    page = (out / "report.html").read_text()
    assert '<h3 id="reward">Mean reward and its parts</h3>' in page
    assert page.count('alt="mean reward per method with its parts"') == 1
    assert "<th>mean reward [95% bootstrap]</th><th>runnable</th><th>tests passed</th>" \
           "<th>coverage of the function</th><th>solved</th>" in page
    assert "<td>0.670 [" in page and "<td>6/8 (75.0%)</td><td>45.0%</td>" in page
    assert "reward.png" in files_note(report).plain
    assert "<td>20.0% (1); mean reward 0.530</td><td>40.0% (2); mean reward 0.670</td>" in page  # U's rounds


def test_a_plain_run_has_no_reward_chart_section_or_columns(tmp_path):
    report = build_report(plain_store(tmp_path / "p.db"), resamples=200)
    out = tmp_path / "out"
    files = write_report(report, out, html=True)
    assert "reward" not in files and not (out / "reward.png").exists()
    data = report_json(report)
    assert all(m["reward"] is None and all(r["reward"] is None for r in m["rounds"]) for m in data["methods"])
    page = (out / "report.html").read_text()
    assert 'id="reward"' not in page and "mean reward [" not in page and "<h2>Passed tasks and pass@k</h2>" in page
    table = parse_tables(rendered(methods_table(report)))[0]
    assert table.headers[:3] == ["method", "solved", "%"]


def test_the_reward_columns_come_first_and_a_run_without_one_shows_a_dash(tmp_path):
    db = reward_store(tmp_path / "r.db", names=("[bold]U[/bold]", "[red]V"))
    with Store.open(db) as store:  # scored by the plain tests check (no unit-test details): no reward
        record(store, make_run(store, "plain", dataset="go-unittest", tasks=GO), {"go/0": 0})
    report = build_report(db, resamples=200)
    text = rendered(methods_table(report), width=80)
    assert "…" not in text and max(len(line) for line in text.splitlines()) <= 80
    table = parse_tables(text)[0]
    assert table.headers[:6] == ["method", "meanreward[95%bootstrap]", "runnable", "testspassed",
                                 "coverageofthefunction", "solved"]
    assert table.title.startswith("mean reward and pass@k on go-unittest")
    for name in ("[bold]U[/bold]", "[red]V", "plain"):
        assert holds(table.column("method"), name), name
    order = [m.name for m in report.methods]
    assert order[-1] == "[bold]U[/bold]"  # solves 2 tasks, the others 1
    by_name = {m.name: m.reward for m in report.methods}
    means = {name: "-" if r is None else f"{r.mean.value:.3f} [{r.mean.low:.3f}, {r.mean.high:.3f}]"
             for name, r in by_name.items()}
    assert means["[bold]U[/bold]"].startswith("0.670 [") and means["[red]V"].startswith("0.300 [")
    expected = {"mean reward [95% bootstrap]": means,
                "runnable": {"plain": "-", "[bold]U[/bold]": "80.0%", "[red]V": "50.0%"},
                "tests passed": {"plain": "-", "[bold]U[/bold]": "6/8 (75.0%)", "[red]V": "2/6 (33.3%)"},
                "coverage of the function": {"plain": "-", "[bold]U[/bold]": "45.0%", "[red]V": "10.0%"}}
    for header, cells in expected.items():
        assert table.column(header) == "".join(cells[name] for name in order).replace(" ", ""), header


def test_the_command_shows_the_reward_and_a_later_plain_report_removes_its_chart(tmp_path):
    db = reward_store(tmp_path / "r.db")
    with Store.open(db) as store:
        record(store, make_run(store, "plain", dataset="humaneval", tasks=["T/0", "T/1"]), {"T/0": 0})
    out = tmp_path / "out"

    def report(dataset):
        result = subprocess.run([sys.executable, "-m", "codeforge", "report", "--db", str(db), "--out", str(out),
                                 "--dataset", dataset, "--html", "--resamples", "200"], capture_output=True,
                                text=True, timeout=180, env={**os.environ, "COLUMNS": "200"})
        assert result.returncode == 0, result.stderr
        return result.stdout

    shown = report("go-unittest")
    table = parse_tables(shown)[0]
    assert table.headers[1].startswith("meanreward[95%") and holds(table.column("runnable"), "80.0%")
    assert "go-coverage reward" in shown and "reward.png" in shown
    assert (out / "reward.png").is_file()
    shown = report("humaneval")
    assert not (out / "reward.png").exists() and "removed from an earlier report there: reward.png" in shown
    assert "mean reward" not in shown
