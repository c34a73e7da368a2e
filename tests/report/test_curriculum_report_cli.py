"""`codeforge report` over a store that holds the rounds of a curriculum (`codeforge finetune --curriculum`) beside
an ordinary bench run, as a user runs it: the rounds are shown apart (terminal table, curriculum.png, an HTML
section, a "curricula" list in report.json) and never enter the methods. The store is built through the store's
own API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from report_store import make_round, make_run, record
from tables import holds, parse_tables

from codeforge.store import Store

TASKS = [f"HumanEval/{i}" for i in range(6)]
HOSTILE = "<script>alert(1)</script>[red]KOD"  # HTML and rich markup in one curriculum name: both print literally
HOSTILE_TASK = "HumanEval/<script>x</script>"


def codeforge(*args, columns: int = 200):
    return subprocess.run([sys.executable, "-m", "codeforge", *args], capture_output=True, text=True, timeout=180,
                          env={**os.environ, "COLUMNS": str(columns)})


def curriculum_store(path, *, name: str = "KOD", with_base: bool = True):
    """BASE (bench, six tasks, passes three) and the two rounds of a curriculum:
    round 1 on tasks 0-3 (new), passing 0 and 1: pass@1 2/4, failed 2 and 3;
    round 2 on tasks 4, 5 (new) and 3 (revisited), passing 4 and 3: pass@1 2/3, failed 5."""
    with Store.open(path) as store:
        if with_base:
            record(store, make_run(store, "BASE", tasks=TASKS), {t: 0 for t in TASKS[:3]})
        one = make_round(store, name, 1, 2, new=TASKS[:4], revisited=[])
        record(store, one, {TASKS[0]: 0, TASKS[1]: 0})
        two = make_round(store, name, 2, 2, new=TASKS[4:], revisited=[TASKS[3]])
        record(store, two, {TASKS[4]: 0, TASKS[3]: 0})
    return path


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    root = tmp_path_factory.mktemp("curriculum")
    db = curriculum_store(root / "c.db")
    out = root / "report"
    result = codeforge("report", "--db", str(db), "--out", str(out), "--html", "--heatmap", "--resamples", "200")
    assert result.returncode == 0, result.stderr
    return db, out, result


class _Cells(HTMLParser):
    def __init__(self):
        super().__init__()
        self.cells: list[str] = []

    def handle_data(self, data):
        self.cells.append(data)


def page_text(page: str) -> list[str]:
    parsed = _Cells()
    parsed.feed(page)
    return parsed.cells


def test_the_rounds_never_become_methods(mixed):
    _, out, _ = mixed
    data = json.loads((out / "report.json").read_text())
    assert [m["name"] for m in data["methods"]] == ["BASE"] and data["heatmap"]["methods"] == ["BASE"]
    assert data["significance"] == [] and "rounds" not in data["files"]
    assert data["tasks"] == {"compared": 6, "covered": 6, "shared_only": False}
    [kod] = data["curricula"]
    assert [(r["run"], r["tasks"], r["pass_at_1"]["value"], r["failed_tasks"], r["revisited_next"])
            for r in kod["rounds"]] == [("KOD-round-1", 4, 0.5, [TASKS[2], TASKS[3]], 1),
                                        ("KOD-round-2", 3, 2 / 3, [TASKS[5]], None)]


def test_curriculum_png_is_a_real_picture_and_the_page_has_both_rounds(mixed):
    import numpy as np
    from matplotlib.image import imread

    _, out, _ = mixed
    assert json.loads((out / "report.json").read_text())["files"]["curriculum"] == "curriculum.png"
    pixels = imread(out / "curriculum.png")
    assert pixels.ndim == 3 and pixels.shape[0] > 300 and pixels.shape[1] > 600
    assert float(np.var(pixels[..., :3])) > 0.005
    page = (out / "report.html").read_text()
    assert page.count("<h2>Curriculum</h2>") == 1
    section = page[page.index("<h2>Curriculum</h2>"):]
    cells = page_text(section)
    assert "KOD-round-1" in cells and "KOD-round-2" in cells
    assert "4 (4 + 0)" in cells and "3 (2 + 1)" in cells and "2 of 4" in cells and "1 of 3" in cells
    assert "50.0 [15.0, 85.0]" in cells and "- (last round)" in cells
    assert 'alt="pass@1 per round of each curriculum"' in section
    assert "curriculum" in page_text(page[:page.index("<h2>Passed")])  # the definitions name the rule


def test_the_terminal_shows_each_round(mixed):
    _, _, result = mixed
    tables = parse_tables(result.stdout)
    [table] = [t for t in tables if t.title.startswith("curriculum KOD on humaneval")]
    assert table.column("bench run") == "KOD-round-1KOD-round-2"
    assert table.column("failed") == "2of41of3"
    assert table.column("revisited next round") == "1-(lastround)"
    assert holds(table.column("tasks (new + revisited)"), "4 (4 + 0)")
    assert "a task of a round is failed when not every checked sample" in " ".join(result.stdout.split())


def test_a_store_of_curriculum_rounds_alone_gives_a_report(tmp_path):
    db = curriculum_store(tmp_path / "c.db", with_base=False)
    result = codeforge("report", "--db", str(db), "--out", str(tmp_path / "o"), "--html", "--json", columns=80)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["methods"] == [] and data["scope"] == "no bench run" and data["dataset"] == "humaneval"
    assert [r["run"] for r in data["curricula"][0]["rounds"]] == ["KOD-round-1", "KOD-round-2"]
    assert data["files"] == {"curriculum": "curriculum.png", "json": "report.json", "html": "report.html"}
    assert "only curriculum rounds" in " ".join(result.stderr.split()) and "…" not in result.stderr
    assert "<h2>Curriculum</h2>" in (tmp_path / "o" / "report.html").read_text()


def test_names_and_task_ids_print_literally(tmp_path):
    with Store.open(tmp_path / "c.db") as store:
        run = make_round(store, HOSTILE, 1, 1, new=[HOSTILE_TASK, TASKS[0]], revisited=[])
        record(store, run, {TASKS[0]: 0})
    result = codeforge("report", "--db", str(tmp_path / "c.db"), "--out", str(tmp_path / "o"), "--html")
    assert result.returncode == 0, result.stderr
    said = "".join(result.stdout.split())
    assert f"{HOSTILE}-round-1".replace(" ", "") in said  # rich markup printed, not applied
    page = (tmp_path / "o" / "report.html").read_text()
    assert "<script>" not in page
    section = page[page.index("<h2>Curriculum</h2>"):]
    assert "<h3>&lt;script&gt;alert(1)&lt;/script&gt;[red]KOD (humaneval): 1 of 1 rounds</h3>" in section
    assert "&lt;script&gt;alert(1)&lt;/script&gt;[red]KOD-round-1" in section
    assert "HumanEval/&lt;script&gt;x&lt;/script&gt;" in section  # in the round's stored configuration


def test_runs_takes_a_curriculum_name_or_a_round(tmp_path):
    db = curriculum_store(tmp_path / "c.db")
    whole = codeforge("report", "--db", str(db), "--out", str(tmp_path / "a"), "--runs", "BASE,KOD", "--json")
    assert whole.returncode == 0, whole.stderr
    data = json.loads(whole.stdout)
    assert [m["name"] for m in data["methods"]] == ["BASE"]
    assert [r["run"] for r in data["curricula"][0]["rounds"]] == ["KOD-round-1", "KOD-round-2"]
    one = codeforge("report", "--db", str(db), "--out", str(tmp_path / "b"), "--runs", "KOD-round-2", "--json")
    assert one.returncode == 0, one.stderr
    assert [r["run"] for r in json.loads(one.stdout)["curricula"][0]["rounds"]] == ["KOD-round-2"]


def test_an_unfinished_round_is_left_out_unless_asked_for(tmp_path):
    with Store.open(tmp_path / "c.db") as store:
        record(store, make_round(store, "KOD", 1, 2, new=TASKS[:2], revisited=[]), {TASKS[0]: 0})
        record(store, make_round(store, "KOD", 2, 2, new=TASKS[2:4], revisited=[TASKS[1]]), {}, finish=False)
    db = str(tmp_path / "c.db")
    plain = codeforge("report", "--db", db, "--out", str(tmp_path / "a"), "--json")
    assert plain.returncode == 0, plain.stderr
    assert [r["run"] for r in json.loads(plain.stdout)["curricula"][0]["rounds"]] == ["KOD-round-1"]
    assert "Left out: KOD-round-2 (unfinished)." in " ".join(plain.stderr.split())
    asked = codeforge("report", "--db", db, "--out", str(tmp_path / "b"), "--json", "--include-unfinished")
    assert asked.returncode == 0, asked.stderr
    [kod] = json.loads(asked.stdout)["curricula"]
    assert [r["finished"] for r in kod["rounds"]] == [True, False] and kod["finished"] is False
    [table] = parse_tables(asked.stderr)
    assert "curriculum KOD on humaneval (unfinished): 2 of 2 rounds" in table.title
    assert holds(table.column("bench run"), "KOD-round-2 (unfinished)")


def test_a_round_as_pair_is_refused_in_one_line(tmp_path):
    db = curriculum_store(tmp_path / "c.db")
    result = codeforge("report", "--db", str(db), "--out", str(tmp_path / "o"), "--pair", "BASE:KOD-round-1")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "'KOD-round-1' is a curriculum round: --pair takes bench runs" in result.stderr


def test_curriculum_chart_and_json_are_the_same_bytes_every_time(mixed, tmp_path):
    db, out, _ = mixed
    again = codeforge("report", "--db", str(db), "--out", str(tmp_path), "--html", "--heatmap", "--resamples", "200")
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "curriculum.png").read_bytes() == (out / "curriculum.png").read_bytes()
    first, second = (json.loads((d / "report.json").read_text()) for d in (out, tmp_path))
    assert first["curricula"] == second["curricula"]
