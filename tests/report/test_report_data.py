"""The report's numbers on small hand-made stores: every count, share, round, pair and message checked."""

from __future__ import annotations

import json
import math

import pytest
from report_store import add, make_run, record

from codeforge.bench.scores import Interval
from codeforge.report.build import build_report, report_json, write_report
from codeforge.report.charts import label
from codeforge.report.data import ReportError, chain_pairs, load_methods
from codeforge.store import Store

TASKS = [f"T/{i}" for i in range(10)]


@pytest.fixture
def small_db(tmp_path):
    """Three methods on ten tasks:
    A    chain 0, n=1: passes T/0..T/5                                 -> 6/10
    B    chain 2, n=1: T/0..T/3 in round 0, T/4 and T/6 in round 1,
         T/7 in round 2; T/5, T/8, T/9 never                           -> 4, 6, 7 of 10 after rounds 0, 1, 2
    C    chain 0, n=10: task i has c_i = [10,5,5,0,0,3,0,0,0,1][i] passing samples, samples 0..c_i-1
         except on T/5, where samples 1..3 pass and sample 0 fails:
         sample 0 passes on T/0, T/1, T/2, T/9                         -> solved 4/10,
         pass@1 = (10+5+5+3+1)/100 = 0.24, pass@10 = 5/10
    """
    path = tmp_path / "small.db"
    with Store.open(path) as store:
        a = make_run(store, "A", tasks=TASKS)
        record(store, a, {t: 0 for t in TASKS[:6]})
        b = make_run(store, "B", chain=2, tasks=TASKS)
        record(store, b, {"T/0": 0, "T/1": 0, "T/2": 0, "T/3": 0, "T/4": 1, "T/6": 1, "T/7": 2})
        c = make_run(store, "C", n=10, tasks=TASKS)
        for i, passing in enumerate([10, 5, 5, 0, 0, 3, 0, 0, 0, 1]):
            for sample in range(10):
                passed = 1 <= sample <= 3 if TASKS[i] == "T/5" else sample < passing
                add(store, c, TASKS[i], sample, 0, passed)
        store.finish_run(c.id)
    return path


def wilson_interval(successes, total, z=1.959963984540054):
    """The Wilson score interval, written out once more from its textbook form."""
    p = successes / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z / (1 + z * z / total) * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total))
    return centre - half, centre + half


def test_methods_are_ordered_least_to_most_successful_with_exact_counts(small_db):
    with Store.open(small_db, create=False) as store:
        methods = load_methods(store)
    assert [m.name for m in methods] == ["C", "A", "B"]
    assert [(m.solved_count, m.tasks) for m in methods] == [(4, 10), (6, 10), (7, 10)]
    assert [m.solved_share for m in methods] == [0.4, 0.6, 0.7]
    c, a, b = methods
    assert c.scores[1].value == pytest.approx(0.24) and c.scores[10].value == pytest.approx(0.5)
    assert sorted(a.scores) == [1]  # pass@10 needs 10 samples per task
    low, high = wilson_interval(6, 10)  # one sample per task: a proportion of tasks
    assert (a.scores[1].value, a.scores[1].low, a.scores[1].high) == pytest.approx((0.6, low, high))
    assert a.scores[1].interval is Interval.wilson
    assert (a.solved_interval.low, a.solved_interval.high) == pytest.approx((low, high))
    assert (c.solved_interval.low, c.solved_interval.high) == pytest.approx(wilson_interval(4, 10))
    # ten samples per task: fractional pass@1 per task, so a bootstrap over tasks; pass@10 is 0 or 1 per task
    assert c.scores[1].interval is Interval.bootstrap and c.scores[1].low < 0.24 < c.scores[1].high
    assert c.scores[10].interval is Interval.wilson
    assert (c.scores[10].low, c.scores[10].high) == pytest.approx(wilson_interval(5, 10))


def test_a_chained_run_counts_each_round_and_its_final_round(small_db):
    with Store.open(small_db, create=False) as store:
        b = next(m for m in load_methods(store) if m.name == "B")
    assert [(p.round, p.solved) for p in b.rounds] == [(0, 4), (1, 6), (2, 7)]
    assert [p.pass_at_1.value for p in b.rounds] == pytest.approx([0.4, 0.6, 0.7])
    assert b.solved_by_task() == {t: t in {"T/0", "T/1", "T/2", "T/3", "T/4", "T/6", "T/7"} for t in TASKS}
    assert b.chained


def test_report_json_holds_every_number(small_db, tmp_path):
    report = build_report(small_db, baseline="A", resamples=2000)
    data = report_json(report)
    assert [(m["name"], m["solved"], m["tasks"], m["solved_pct"]) for m in data["methods"]] == [
        ("C", 4, 10, 40.0), ("A", 6, 10, 60.0), ("B", 7, 10, 70.0)]
    pairs = {(s["a"], s["b"]): s for s in data["significance"]}
    # C solves {0,1,2,9} (its sample 0 fails T/5), A {0..5}, B {0,1,2,3,4,6,7}
    assert {k: (v["only_a"], v["only_b"], v["both"], v["neither"], v["tasks"]) for k, v in pairs.items()} == {
        ("C", "A"): (1, 3, 3, 3, 10),  # only C: T/9; only A: T/3, T/4, T/5
        ("C", "B"): (1, 4, 3, 2, 10),  # only C: T/9; only B: T/3, T/4, T/6, T/7
        ("A", "B"): (1, 2, 5, 2, 10),  # only A: T/5; only B: T/6, T/7
    }
    # b=1, c=3: 2 * (1 + 4) / 16 = 0.625; b=1, c=4: 2 * (1 + 5) / 32 = 0.375; b=1, c=2: 2 * (1 + 3) / 8 = 1
    assert [pairs[k]["p_value"] for k in [("C", "A"), ("C", "B"), ("A", "B")]] == [0.625, 0.375, 1.0]
    # Holm: 3 * 0.375 and 2 * 0.625 both pass 1
    assert [pairs[k]["p_holm"] for k in [("C", "A"), ("C", "B"), ("A", "B")]] == [1.0, 1.0, 1.0]
    ab = pairs[("A", "B")]
    assert ab["diff"] == pytest.approx(0.1) and ab["diff_low"] <= 0.1 <= ab["diff_high"]
    assert pairs[("C", "A")]["diff"] == pytest.approx(0.6 - 0.24)  # pass@1 uses every sample of C
    by_name = {m["name"]: m for m in data["methods"]}
    assert by_name["A"]["vs_baseline"] is None
    assert by_name["B"]["vs_baseline"]["diff"] == pytest.approx(0.1)
    assert by_name["B"]["vs_baseline"]["only_baseline"] == 1 and by_name["B"]["vs_baseline"]["only_method"] == 2
    assert [r["solved"] for r in by_name["B"]["rounds"]] == [4, 6, 7]
    assert by_name["C"]["pass_at_k"]["10"]["value"] == pytest.approx(0.5)
    heat = data["heatmap"]
    assert heat["methods"] == ["C", "A", "B"]
    assert heat["tasks"][:3] == ["T/0", "T/1", "T/2"]  # solved by all three, in dataset order
    assert heat["tasks"][-1] == "T/8" and heat["cells"][-1] == [0, 0, 0]
    assert dict(zip(heat["tasks"], heat["cells"]))["T/9"] == [1, 0, 0]
    assert dict(zip(heat["tasks"], heat["cells"]))["T/5"] == [0, 1, 0]  # C's other samples do not count


def test_the_same_store_gives_the_same_bytes(small_db, tmp_path):
    outputs = []
    for name in ("one", "two"):
        write_report(build_report(small_db, resamples=500), tmp_path / name, heatmap=True, html=True)
        outputs.append({p.name: p.read_bytes() for p in sorted((tmp_path / name).iterdir())})
    assert outputs[0] == outputs[1]
    assert set(outputs[0]) == {"passed.png", "heatmap.png", "rounds.png", "significance.png", "report.json",
                               "report.html"}  # no X_CHAIN pair here: no chain chart
    assert json.loads(outputs[0]["report.json"])["methods"][0]["pass_at_k"]["1"]["interval"] == "bootstrap"
    assert b"Software" not in outputs[0]["passed.png"]


def test_unsampled_and_unchecked_tasks_count_as_not_passed(tmp_path):
    with Store.open(tmp_path / "s.db") as store:
        run = make_run(store, "X", tasks=["T/0", "T/1", "T/2"])
        add(store, run, "T/0", 0, 0, True)
        store.add_sample(run.id, "T/1", 0, 0, prompt="{}", raw_output="", code="x", finish_reason="stop",
                         prompt_tokens=1, completion_tokens=1, gen_seconds=0.1)  # never checked
        (method,) = load_methods(store, include_unfinished=True)
    assert method.solved == (True, False, False) and method.scores[1].value == pytest.approx(1 / 3)


def test_runs_over_different_task_sets_are_compared_on_the_tasks_they_share(tmp_path):
    with Store.open(tmp_path / "s.db") as store:
        record(store, make_run(store, "FULL", tasks=TASKS), {t: 0 for t in TASKS[:5]})  # 5 of 10
        record(store, make_run(store, "HALF", tasks=TASKS[:4]), {"T/0": 0})  # 1 of 4
        record(store, make_run(store, "FULL_CHAIN", chain=1, tasks=TASKS),
               {**{t: 0 for t in TASKS[:5]}, "T/3": 0, "T/8": 1, "T/9": 1})  # 7 of 10, but 4 of the 4 shared
    report = build_report(tmp_path / "s.db", resamples=200)
    data = report_json(report)
    assert data["scope"] == "3 methods on the 4 tasks all of them cover (of 10)"
    assert data["tasks"] == {"compared": 4, "covered": 10, "shared_only": True}
    # every count over the same four tasks, never 5/10 beside 1/4
    assert [(m["name"], m["solved"], m["tasks"], m["run_tasks"]) for m in data["methods"]] == [
        ("HALF", 1, 4, 4), ("FULL", 4, 4, 10), ("FULL_CHAIN", 4, 4, 10)]
    assert [m["pass_at_k"]["1"]["value"] for m in data["methods"]] == [0.25, 1.0, 1.0]
    pairs = {(p["a"], p["b"]): p for p in data["significance"]}
    assert (pairs[("HALF", "FULL")]["tasks"], pairs[("HALF", "FULL")]["only_b"]) == (4, 3)
    (chain,) = data["chain_impact"]  # the chained run's gains on T/8 and T/9 are outside the shared tasks
    assert (chain["before"], chain["after"], chain["change"], chain["change_pp"]) == (4, 4, 0, 0.0)
    assert data["heatmap"]["tasks"] == ["T/0", "T/1", "T/2", "T/3"]
    assert report.coverage_note() == ("Compared on the 4 tasks all 3 runs cover, of 10 any of them covers "
                                      "(tasks per run: HALF 4, FULL 10, FULL_CHAIN 10).")
    same = report_json(build_report(tmp_path / "s.db", names=["FULL", "FULL_CHAIN"], resamples=200))
    assert same["scope"] == "2 methods on 10 tasks" and same["tasks"]["shared_only"] is False


def test_runs_that_share_no_task_are_refused_by_name_and_task_count(tmp_path):
    with Store.open(tmp_path / "s.db") as store:
        record(store, make_run(store, "LOW", tasks=TASKS[:5]), {})
        record(store, make_run(store, "HIGH", tasks=TASKS[5:] + ["T/10", "T/11"]), {})
    with pytest.raises(ReportError, match=r"the runs share no task, so there is nothing to compare: LOW \(5 tasks\), "
                                          r"HIGH \(7 tasks\)\. Choose runs over the same tasks with --runs"):
        build_report(tmp_path / "s.db")


def test_unfinished_runs_are_left_out_unless_asked_for(tmp_path):
    with Store.open(tmp_path / "s.db") as store:
        record(store, make_run(store, "DONE", tasks=TASKS), {"T/0": 0})
        record(store, make_run(store, "HALFWAY", tasks=TASKS), {"T/0": 0, "T/1": 0}, finish=False)
        make_run(store, "SILENT", n=2, tasks=TASKS[:2])  # the backend never answered: no sample at all
    data = report_json(build_report(tmp_path / "s.db", resamples=200))
    assert [m["name"] for m in data["methods"]] == ["DONE"]
    assert data["left_out"] == [{"run": "HALFWAY", "tasks": 10, "samples": 10, "reason": "unfinished"},
                                {"run": "SILENT", "tasks": 2, "samples": 0, "reason": "no sample stored"}]
    asked = build_report(tmp_path / "s.db", include_unfinished=True, resamples=200)
    data = report_json(asked)
    assert [(m["name"], m["finished"], m["solved"]) for m in data["methods"]] == [("DONE", True, 1),
                                                                                ("HALFWAY", False, 2)]
    assert [x["run"] for x in data["left_out"]] == ["SILENT"]  # nothing to compare, even when asked
    assert [label(m) for m in asked.methods] == ["DONE", "HALFWAY (unfinished)"]
    with pytest.raises(ReportError, match="run 'HALFWAY' on humaneval is unfinished: .*--include-unfinished"):
        build_report(tmp_path / "s.db", names=["DONE", "HALFWAY"])
    with pytest.raises(ReportError, match="run 'SILENT' on humaneval is unfinished and stored no sample"):
        build_report(tmp_path / "s.db", names=["SILENT"], include_unfinished=True)
    with Store.open(tmp_path / "only.db") as store:
        record(store, make_run(store, "HALFWAY", tasks=TASKS), {}, finish=False)
    with pytest.raises(ReportError, match=r"no finished run to report on in .*: HALFWAY \(unfinished\).*"
                                          "--include-unfinished"):
        build_report(tmp_path / "only.db")


def test_stored_ks_choose_the_pass_at_k_columns(tmp_path):
    with Store.open(tmp_path / "s.db") as store:
        for name, ks in (("OLD", None), ("ONE", [1]), ("FIVE", [1, 5])):
            run = make_run(store, name, n=10, tasks=TASKS[:3], ks=ks)
            for t in TASKS[:3]:
                for sample in range(10):
                    add(store, run, t, sample, 0, sample < 3)
            store.finish_run(run.id)
    with Store.open(tmp_path / "s.db", create=False) as store:
        by_name = {m.name: sorted(m.scores) for m in load_methods(store)}
    assert by_name == {"OLD": [1, 10], "ONE": [1], "FIVE": [1, 5]}  # runs stored before ks: 1, 10, 100


def test_chain_pairs_by_name_and_by_hand(tmp_path):
    with Store.open(tmp_path / "s.db") as store:
        for name in ("PDG", "PDG_CHAIN", "PDG_CHAIN_FEEDBACK", "m", "m_CHAIN3"):
            record(store, make_run(store, name, tasks=TASKS, chain=0 if "CHAIN" not in name else 1), {})
        methods = load_methods(store)
    pairs = [(a.name, b.name) for a, b in chain_pairs(methods)]
    assert sorted(pairs) == [("PDG", "PDG_CHAIN"), ("m", "m_CHAIN3")]
    explicit = chain_pairs(methods, [("PDG_CHAIN", "PDG_CHAIN_FEEDBACK"), ("PDG", "PDG_CHAIN")])
    assert sorted((a.name, b.name) for a, b in explicit) == [("PDG", "PDG_CHAIN"), ("PDG_CHAIN", "PDG_CHAIN_FEEDBACK"),
                                                             ("m", "m_CHAIN3")]
    with pytest.raises(ReportError, match="no run 'NOPE'"):
        chain_pairs(methods, [("PDG", "NOPE")])


def test_clear_messages_for_what_cannot_be_reported(tmp_path):
    empty = tmp_path / "empty.db"
    Store.open(empty).close()
    with pytest.raises(ReportError, match=r"no runs in .*empty\.db: run `codeforge bench \.\.\.` first"):
        build_report(empty)
    with pytest.raises(ReportError, match="no results store at"):
        build_report(tmp_path / "missing.db")
    mixed = tmp_path / "mixed.db"
    with Store.open(mixed) as store:
        record(store, make_run(store, "A", tasks=TASKS), {"T/0": 0})
        record(store, make_run(store, "A", dataset="mbpp", tasks=["M/1", "M/2"]), {"M/1": 0})
        record(store, make_run(store, "B", dataset="mbpp", tasks=["M/1", "M/2"]), {})
    with pytest.raises(ReportError, match=r"several datasets \(humaneval, mbpp\): pass --dataset"):
        build_report(mixed)
    with pytest.raises(ReportError, match="several datasets"):
        build_report(mixed, names=["A"])  # A is on both
    picked = build_report(mixed, names=["A"], dataset="mbpp")
    assert [(m.name, m.run.dataset, m.tasks) for m in picked.methods] == [("A", "mbpp", 2)]
    with pytest.raises(ReportError, match=r"no run named 'Z' on mbpp .* Known runs on mbpp: A, B"):
        build_report(mixed, names=["A", "Z"], dataset="mbpp")
    with pytest.raises(ReportError, match=r"no runs on dataset 'nope' .*\(datasets: humaneval, mbpp\)"):
        build_report(mixed, dataset="nope")
    with pytest.raises(ReportError, match="--baseline 'Q' is not one of the runs"):
        build_report(mixed, dataset="mbpp", baseline="Q")
    json.dumps(report_json(picked))  # a single method still makes a report


def test_names_are_escaped_on_the_page(tmp_path):
    with Store.open(tmp_path / "s.db") as store:
        record(store, make_run(store, "<script>alert(1)</script>", tasks=TASKS), {"T/0": 0})
        record(store, make_run(store, "A&B", tasks=TASKS), {})
    files = write_report(build_report(tmp_path / "s.db", resamples=200), tmp_path / "out", html=True)
    page = files["html"].read_text()
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "A&amp;B" in page
