"""`codeforge report` as a user runs it: a subprocess on a real SQLite store, real PNGs, the page in Chromium.

The big store holds the research's nine methods on HumanEval's 164 tasks; every number the report writes is
checked against what the store holds (read through the store's API, not through the report's code).
"""

from __future__ import annotations

import base64
import json
import math
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from itertools import combinations

import pytest
from report_store import CHAIN, HUMANEVAL, RESEARCH, make_run, record, research_pass_rounds, research_store
from tables import holds, parse_tables

from codeforge.store import Store

CHARTS = ("passed.png", "heatmap.png", "chain_impact.png", "rounds.png", "significance.png")


def codeforge(*args, env=None, timeout=180):
    return subprocess.run([sys.executable, "-m", "codeforge", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "COLUMNS": "200", **(env or {})})


@pytest.fixture(scope="module")
def research(tmp_path_factory):
    """The nine-method store and the report written from it: (db, out folder, the command's result)."""
    root = tmp_path_factory.mktemp("research")
    db = research_store(root / "codeforge.db")
    out = root / "report"
    result = codeforge("report", "--db", str(db), "--heatmap", "--html", "--out", str(out), "--baseline", "BASE")
    assert result.returncode == 0, result.stderr
    return db, out, result


def binomial_two_sided(b: int, c: int) -> float:
    """McNemar's exact p by summing the Binomial(b + c, 1/2) pmf term by term (a second, independent way)."""
    n, term, tail = b + c, 0.5 ** (b + c), 0.0
    for i in range(min(b, c) + 1):
        tail += term
        term = term * (n - i) / (i + 1)
    return min(1.0, 2 * tail)


def solved_in_store(db) -> dict[str, dict[str, int]]:
    """Run -> task -> the round its sample 0 first passed (absent: never), read through the store's API."""
    found = {}
    with Store.open(db, create=False) as store:
        for run in store.runs():
            rounds: dict[str, int] = {}
            for s in store.samples(run.id):
                if s.sample == 0 and s.passed:
                    rounds[s.task_id] = min(s.round, rounds.get(s.task_id, s.round))
            found[run.name] = rounds
    return found


@pytest.mark.slow
def test_writes_the_four_charts_the_significance_json_and_the_page(research):
    _, out, result = research
    assert sorted(p.name for p in out.iterdir()) == sorted([*CHARTS, "report.json", "report.html"])
    data = json.loads((out / "report.json").read_text())
    assert data["files"] == {"passed": "passed.png", "heatmap": "heatmap.png", "chain_impact": "chain_impact.png",
                             "rounds": "rounds.png", "significance": "significance.png", "json": "report.json",
                             "html": "report.html"}
    assert "wrote " in result.stdout and "report.html" in result.stdout


@pytest.mark.slow
def test_the_charts_are_real_pictures(research):
    import numpy as np
    from matplotlib.image import imread

    _, out, _ = research
    for name in CHARTS:
        pixels = imread(out / name)
        assert pixels.ndim == 3 and pixels.shape[0] > 300 and pixels.shape[1] > 500, name
        assert float(np.var(pixels[..., :3])) > 0.005, f"{name} is blank"
    heatmap = imread(out / "heatmap.png")
    assert heatmap.shape[0] > 164 * 10  # a row per task, each tall enough to read


@pytest.mark.slow
def test_every_number_matches_the_store(research):
    db, out, _ = research
    data = json.loads((out / "report.json").read_text())
    truth = solved_in_store(db)
    expected_rounds = research_pass_rounds()
    methods = {m["name"]: m for m in data["methods"]}
    assert data["dataset"] == "humaneval" and data["baseline"] == "BASE"
    # least to most successful, with the research's counts
    assert [m["name"] for m in data["methods"]] == sorted(RESEARCH, key=lambda n: (RESEARCH[n], n))
    for name, count in RESEARCH.items():
        m = methods[name]
        assert (m["solved"], m["tasks"]) == (count, 164) == (len(truth[name]), 164)
        assert m["solved_pct"] == pytest.approx(100 * count / 164)
        assert m["pass_at_k"]["1"]["value"] == pytest.approx(count / 164)
        assert m["pass_at_k"]["1"]["low"] < count / 164 < m["pass_at_k"]["1"]["high"]
        assert m["oracle_feedback"] is (name == "PDG_CHAIN_FEEDBACK")
        rounds = range(CHAIN + 1) if "CHAIN" in name else range(1)
        assert [r["solved"] for r in m["rounds"]] == [
            sum(1 for r0 in truth[name].values() if r0 <= r) for r in rounds]
        assert [r["solved"] for r in m["rounds"]] == [
            sum(1 for r0 in expected_rounds[name].values() if r0 is not None and r0 <= r) for r in rounds]
    assert methods["BASE"]["vs_baseline"] is None
    assert methods["PDG"]["vs_baseline"]["diff"] == pytest.approx((139 - 104) / 164)

    pairs = {(s["a"], s["b"]): s for s in data["significance"]}
    assert len(pairs) == 36
    for a, b in combinations(RESEARCH, 2):
        key = (a, b) if (a, b) in pairs else (b, a)
        s = pairs[key]
        only_a = len(set(truth[key[0]]) - set(truth[key[1]]))
        only_b = len(set(truth[key[1]]) - set(truth[key[0]]))
        assert (s["only_a"], s["only_b"], s["tasks"]) == (only_a, only_b, 164)
        assert s["p_value"] == pytest.approx(binomial_two_sided(only_a, only_b), rel=1e-12)
        assert s["diff"] == pytest.approx((RESEARCH[key[1]] - RESEARCH[key[0]]) / 164)
        assert s["diff_low"] <= s["diff"] <= s["diff_high"]
        assert s["p_holm"] >= s["p_value"]
    # The research's "153/164 vs 154/164" is one task of noise: not significant.
    one_task = pairs[("PDG_CHAIN", "PDG_CHAIN_FEEDBACK")]
    assert not one_task["significant"] and one_task["p_value"] > 0.5 and one_task["diff_low"] < 0
    assert pairs[("BASE", "PDG_CHAIN")]["significant"]

    chain = {(c["method"], c["chained"]): c for c in data["chain_impact"]}
    assert {k: (c["before"], c["after"], c["change"]) for k, c in chain.items()} == {
        ("BASE", "BASE_CHAIN"): (104, 132, 28), ("AST", "AST_CHAIN"): (121, 145, 24),
        ("CFG", "CFG_CHAIN"): (118, 147, 29), ("PDG", "PDG_CHAIN"): (139, 153, 14)}
    assert chain[("BASE", "BASE_CHAIN")]["p_value"] == pytest.approx(2 / 2 ** 28)  # 0 lost, 28 gained

    heat = data["heatmap"]
    assert sorted(heat["tasks"]) == sorted(f"HumanEval/{i}" for i in range(164))
    per_task = [sum(row) for row in heat["cells"]]
    assert per_task == sorted(per_task, reverse=True)  # most-solved tasks first
    for j, name in enumerate(heat["methods"]):
        assert {t for t, row in zip(heat["tasks"], heat["cells"]) if row[j]} == set(truth[name])


@pytest.mark.slow
def test_terminal_tables_show_counts_intervals_deltas_and_the_oracle_mark(research):
    _, _, result = research
    text = result.stdout
    for name, count in RESEARCH.items():
        line = next(line for line in text.splitlines() if re.search(rf"│ {name}\b", line))
        assert f"{count}/164" in line and f"{100 * count / 164:.1f}%" in line, line
    assert re.search(r"│ PDG_CHAIN_FEEDBACK † .*154/164 .*93\.9% .*93\.9 \[", text)
    assert re.search(r"│ PDG .*\+21\.3 \[", text)  # 35 tasks = 21.3 points over BASE
    assert "oracle feedback (PDG_CHAIN_FEEDBACK)" in text
    assert re.search(r"│ PDG_CHAIN +│ PDG_CHAIN_FEEDBACK +│ +5 │ +6 │ +1 │", text)  # the one-task "gain"


@pytest.mark.slow
def test_the_page_is_self_contained_and_carries_the_configuration(research):
    _, out, _ = research
    page = (out / "report.html").read_text()
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == len(CHARTS)
    assert all(base64.b64decode(i)[:8] == b"\x89PNG\r\n\x1a\n" for i in images)
    assert not re.search(r'(src|href)="(?!data:)', page)  # nothing outside the file


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts = []

    def handle_data(self, data):
        self.parts.append(data)


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium, else skip (locally) or fail (in CI), like docker_or_skip. Session-scoped, so a
    skip comes before the research store is built."""
    found = shutil.which("chromium")
    if found:
        return found
    reason = "no chromium to render the page (scripts/ensure-chromium.sh installs Debian's package)"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.mark.slow
def test_the_page_renders_in_headless_chromium(chromium, research, tmp_path):
    _, out, _ = research
    result = subprocess.run([chromium, "--headless", "--disable-gpu", "--no-sandbox", f"--user-data-dir={tmp_path}",
                             "--dump-dom", (out / "report.html").resolve().as_uri()],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    parser = _Text()
    parser.feed(result.stdout)
    text = " ".join(" ".join(parser.parts).split())
    assert "codeforge report: humaneval" in text
    for name, count in RESEARCH.items():
        assert re.search(rf"{name}( †)? {count}/164 {100 * count / 164:.1f}%", text), name
    assert "oracle feedback (PDG_CHAIN_FEEDBACK)" in text and "hidden tests (ORACLE)" in text
    assert "PDG_CHAIN PDG_CHAIN_FEEDBACK 164 5 6 1 1 no +0.6 [" in text  # the significance row
    assert "BASE BASE_CHAIN 104/164 132/164 +28 +17.1 pp 0 28 7.45e-09" in text  # the chain impact row
    assert "adapters/pdg-lora" in text and "4.56.0" in text  # configuration and library versions


def small_store(path, datasets=("humaneval",)):
    with Store.open(path) as store:
        for dataset in datasets:
            tasks = [f"T/{i}" for i in range(4)]
            record(store, make_run(store, "BASE", dataset=dataset, tasks=tasks), {"T/0": 0})
            record(store, make_run(store, "BASE_CHAIN", dataset=dataset, chain=1, tasks=tasks),
                   {"T/0": 0, "T/1": 1})
    return path


def test_errors_say_what_to_do_and_exit_2(tmp_path):
    empty = tmp_path / "empty.db"
    Store.open(empty).close()
    result = codeforge("report", "--db", str(empty), "--out", str(tmp_path / "o"))
    assert result.returncode == 2 and "no runs in" in result.stderr and "codeforge bench" in result.stderr
    db = small_store(tmp_path / "two.db", datasets=("humaneval", "mbpp"))
    result = codeforge("report", "--db", str(db), "--out", str(tmp_path / "o"))
    assert result.returncode == 2 and "several datasets (humaneval, mbpp): pass --dataset" in result.stderr
    result = codeforge("report", "--db", str(db), "--dataset", "mbpp", "--runs", "BASE,NOPE")
    assert result.returncode == 2
    assert "no run named 'NOPE' on mbpp" in result.stderr and "Known runs on mbpp: BASE, BASE_CHAIN" in result.stderr
    result = codeforge("report", "--db", str(db), "--dataset", "mbpp", "--pair", "BASE")
    assert result.returncode == 2 and "--pair takes two run names" in result.stderr
    assert not (tmp_path / "o").exists()


def test_json_and_open_on_a_small_store(tmp_path):
    db = small_store(tmp_path / "s.db")
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$1" > {tmp_path / "opened.txt"}\n')
    browser.chmod(0o755)
    out = tmp_path / "out"
    result = codeforge("report", "--runs", "BASE,BASE_CHAIN", "--out", str(out), "--open", "--json",
                       env={"CODEFORGE_DB": str(db), "BROWSER": str(browser)})
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [(m["name"], m["solved"]) for m in data["methods"]] == [("BASE", 1), ("BASE_CHAIN", 2)]
    assert data["chain_impact"][0]["change"] == 1 and data["chain_impact"][0]["p_value"] == 1.0
    assert data == json.loads((out / "report.json").read_text())
    assert (tmp_path / "opened.txt").read_text().strip() == (out / "report.html").resolve().as_uri()
    assert "chain impact" in result.stderr  # the tables went to stderr
    assert not math.isnan(data["significance"][0]["diff_low"])


def test_intervals_at_the_edges_have_width_and_every_form_names_them(tmp_path):
    db = tmp_path / "e.db"
    tasks = [f"T/{i}" for i in range(10)]
    with Store.open(db) as store:
        record(store, make_run(store, "ALL", tasks=tasks), {t: 0 for t in tasks})  # 10 of 10
        record(store, make_run(store, "NONE", tasks=tasks), {})  # 0 of 10
    result = codeforge("report", "--db", str(db), "--out", str(tmp_path / "o"), "--html", "--json",
                       "--resamples", "200")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    methods = {m["name"]: m for m in data["methods"]}
    full, empty = methods["ALL"]["pass_at_k"]["1"], methods["NONE"]["pass_at_k"]["1"]
    assert (full["value"], full["high"], full["interval"]) == (1.0, 1.0, "wilson") and full["low"] < 0.75
    assert (empty["value"], empty["low"], empty["interval"]) == (0.0, 0.0, "wilson") and empty["high"] > 0.25
    assert methods["ALL"]["solved_interval"]["low"] == full["low"]
    assert set(data["intervals"]) == {"wilson"} and "Wilson" in data["definitions"]["pass_at_k"]
    assert re.search(r"pass@1 % \[95% Wilson\].*100\.0 \[72\.2, 100\.0\]", " ".join(result.stderr.split()))
    page = (tmp_path / "o" / "report.html").read_text()
    assert "pass@1 % [95% Wilson]" in page and "Wilson score interval (each task passed or not)" in page


def research_subset_store(path):
    """BASE and PDG on HumanEval's 164 tasks, and a 5-task run beside them."""
    rounds = research_pass_rounds()
    with Store.open(path) as store:
        for name in ("BASE", "PDG"):
            record(store, make_run(store, name, tasks=HUMANEVAL), rounds[name])
        five = HUMANEVAL[:5]
        record(store, make_run(store, "FIVE", tasks=five), {t: 0 for t in five})
    return path, rounds


def test_runs_over_different_task_sets_are_compared_on_the_shared_tasks_and_say_so(tmp_path):
    db, rounds = research_subset_store(tmp_path / "s.db")
    result = codeforge("report", "--db", str(db), "--out", str(tmp_path / "o"), "--html", "--json",
                       "--resamples", "200")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["scope"] == "3 methods on the 5 tasks all of them cover (of 164)"
    assert data["tasks"] == {"compared": 5, "covered": 164, "shared_only": True}
    expected = {name: sum(1 for t in HUMANEVAL[:5] if rounds[name][t] == 0) for name in ("BASE", "PDG")}
    solved = {m["name"]: (m["solved"], m["tasks"], m["run_tasks"]) for m in data["methods"]}
    assert solved == {"BASE": (expected["BASE"], 5, 164), "PDG": (expected["PDG"], 5, 164), "FIVE": (5, 5, 5)}
    assert data["methods"][-1]["name"] == "FIVE"  # 5 of 5 ranks above the others' share of the same 5 tasks
    text = " ".join(result.stderr.split())
    assert "pass@k on humaneval: 3 methods on the 5 tasks all of them cover (of 164)" in text
    assert "Compared on the 5 tasks all 3 runs cover, of 164 any of them covers" in text
    page = (tmp_path / "o" / "report.html").read_text()
    assert "<title>codeforge report: humaneval, 3 methods on the 5 tasks all of them cover (of 164)</title>" in page
    with Store.open(db) as store:
        record(store, make_run(store, "OTHER", tasks=["X/1", "X/2"]), {})
    refused = codeforge("report", "--db", str(db), "--runs", "FIVE,OTHER", "--out", str(tmp_path / "p"))
    assert refused.returncode == 2 and not (tmp_path / "p").exists()
    assert "the runs share no task, so there is nothing to compare: FIVE (5 tasks), OTHER (2 tasks)" in refused.stderr


def test_unfinished_runs_are_left_out_unless_asked_for(tmp_path):
    db = small_store(tmp_path / "s.db")
    with Store.open(db) as store:
        record(store, make_run(store, "HALFWAY", tasks=[f"T/{i}" for i in range(4)]), {"T/0": 0, "T/1": 0},
               finish=False)
        make_run(store, "SILENT", n=2, tasks=["T/0", "T/1"])
    plain = codeforge("report", "--db", str(db), "--out", str(tmp_path / "a"), "--json", "--resamples", "200")
    assert plain.returncode == 0, plain.stderr
    data = json.loads(plain.stdout)
    assert [m["name"] for m in data["methods"]] == ["BASE", "BASE_CHAIN"]
    assert [(x["run"], x["reason"]) for x in data["left_out"]] == [("HALFWAY", "unfinished"),
                                                                   ("SILENT", "no sample stored")]
    assert "Left out: HALFWAY (unfinished), SILENT (no sample stored)." in " ".join(plain.stderr.split())
    asked = codeforge("report", "--db", str(db), "--out", str(tmp_path / "b"), "--json", "--html",
                      "--include-unfinished", "--resamples", "200")
    assert asked.returncode == 0, asked.stderr
    data = json.loads(asked.stdout)
    assert [(m["name"], m["finished"]) for m in data["methods"]] == [
        ("BASE", True), ("BASE_CHAIN", True), ("HALFWAY", False)]
    assert "HALFWAY (unfinished)" in asked.stderr
    assert "HALFWAY (unfinished)" in (tmp_path / "b" / "report.html").read_text()
    named = codeforge("report", "--db", str(db), "--runs", "BASE,HALFWAY", "--out", str(tmp_path / "c"))
    assert named.returncode == 2 and "run 'HALFWAY' on humaneval is unfinished" in named.stderr


def test_a_later_report_removes_only_the_files_an_earlier_one_wrote(tmp_path):
    db = small_store(tmp_path / "s.db")
    out = tmp_path / "[b]out"  # a folder name rich would read as markup
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "mine.png").write_bytes(b"not the report's")
    first = codeforge("report", "--db", str(db), "--out", str(out), "--heatmap", "--html", "--resamples", "200")
    assert first.returncode == 0, first.stderr
    assert {p.name for p in out.iterdir()} == {"notes.txt", "mine.png", "passed.png", "heatmap.png",
                                              "chain_impact.png", "rounds.png", "significance.png", "report.json",
                                              "report.html"}
    assert f"wrote {out / 'passed.png'}" in " ".join(first.stdout.split())
    second = codeforge("report", "--db", str(db), "--out", str(out), "--runs", "BASE", "--resamples", "200")
    assert second.returncode == 0, second.stderr
    assert {p.name for p in out.iterdir()} == {"notes.txt", "mine.png", "passed.png", "report.json"}
    assert (out / "notes.txt").read_text() == "mine" and (out / "mine.png").read_bytes() == b"not the report's"
    said = " ".join(second.stdout.split())
    assert f"wrote {out / 'passed.png'}, {out / 'report.json'}" in said
    assert ("removed from an earlier report there: chain_impact.png, heatmap.png, report.html, rounds.png, "
            "significance.png") in said
    assert json.loads((out / "report.json").read_text())["files"] == {"passed": "passed.png", "json": "report.json"}
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "report.json").write_text(json.dumps({"files": {"x": "keep.txt"}}))  # not a report's own listing
    (foreign / "keep.txt").write_text("keep")
    assert codeforge("report", "--db", str(db), "--out", str(foreign), "--resamples", "200").returncode == 0
    assert (foreign / "keep.txt").read_text() == "keep"


def test_report_tables_print_names_literally_and_fold_at_80_columns(tmp_path):
    names = ["[red]x", "[/b]", "reference-humaneval-plus-long-run-name-a", "reference-humaneval-plus-long-run-name-b"]
    tasks = [f"T/{i}" for i in range(30)]
    with Store.open(tmp_path / "s.db") as store:
        for i, name in enumerate(names):
            record(store, make_run(store, name, tasks=tasks), {t: 0 for t in tasks[:5 + 7 * i]})
        record(store, make_run(store, "[red]x_CHAIN", chain=1, tasks=tasks), {t: 1 for t in tasks[:20]})
    result = codeforge("report", "--db", str(tmp_path / "s.db"), "--out", str(tmp_path / "o"), "--baseline", "[/b]",
                       "--resamples", "200", env={"COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "…" not in text
    assert max(len(line) for line in text.splitlines() if not line.startswith("wrote ")) <= 80  # paths stay whole
    methods, chain, significance = parse_tables(text)
    for name in [*names, "[red]x_CHAIN"]:
        assert holds(methods.column("method"), name), name
    assert "Δpass@1vs[/b],pp[95%CI]" in methods.headers
    assert holds(chain.column("method"), "[red]x") and holds(chain.column("chained"), "[red]x_CHAIN")
    data = json.loads((tmp_path / "o" / "report.json").read_text())
    for c in data["significance"]:
        assert holds(significance.column("McNemar p"), f"{c['p_value']:.3g}")
    assert all(holds(significance.column("A") + significance.column("B"), name) for name in names)


def test_settings_come_from_a_config_file_and_pair_repeats(tmp_path):
    db = small_store(tmp_path / "s.db")
    with Store.open(db) as store:
        record(store, make_run(store, "OTHER", chain=1, tasks=[f"T/{i}" for i in range(4)]), {"T/2": 1})
    printed = codeforge("report", "--db", str(db), "--pair", "BASE:OTHER", "--pair", "BASE_CHAIN:OTHER",
                        "--heatmap", "--print-config")
    assert printed.returncode == 0, printed.stderr
    config = tmp_path / "report.yaml"
    config.write_text(printed.stdout)
    assert "pair:\n- BASE:OTHER\n- BASE_CHAIN:OTHER\n" in printed.stdout and "json" not in printed.stdout
    again = codeforge("report", "--config", str(config), "--print-config")
    assert again.stdout == printed.stdout
    made = codeforge("report", "--config", str(config), "--out", str(tmp_path / "o"), "--json", "--resamples", "200")
    assert made.returncode == 0, made.stderr
    data = json.loads(made.stdout)
    assert [(c["method"], c["chained"]) for c in data["chain_impact"]] == [
        ("BASE", "BASE_CHAIN"), ("BASE", "OTHER"), ("BASE_CHAIN", "OTHER")]
    assert (tmp_path / "o" / "heatmap.png").exists()
    bad = codeforge("report", "--db", str(db), "--runs", ",", "--out", str(tmp_path / "x"))
    assert bad.returncode == 2 and "--runs takes run names" in bad.stderr and "Traceback" not in bad.stderr


def test_an_error_quoting_a_name_prints_it_literally(tmp_path):
    db = small_store(tmp_path / "s.db")
    result = codeforge("report", "--db", str(db), "--runs", "[/b],[red]x", "--out", str(tmp_path / "o"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "error: no run named '[/b]', '[red]x' in" in result.stderr
