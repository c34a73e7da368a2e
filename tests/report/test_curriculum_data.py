"""The curriculum part of the report on a small hand-made store: rounds are never methods, and every round's
pass@1, failed and revisited count is checked against numbers worked out by hand."""

from __future__ import annotations

import math

import pytest
from report_store import add, make_round, make_run, record

from codeforge.bench.scores import Interval
from codeforge.report.build import build_report, report_json
from codeforge.report.data import ReportError, select_methods
from codeforge.store import Store

TASKS = [f"R/{i}" for i in range(6)]


def curriculum_store(path, *, second_finished: bool = True):
    """KOD, two rounds, and BASE, an ordinary bench run on all six tasks (passes R/0 only).
    round 1, n=2, chain 0, new R/0..R/3:
        R/0 both samples pass; R/1 sample 0 passes, sample 1 fails; R/2 both fail;
        R/3 sample 0 passes, sample 1 has no verdict (the sandbox could not check it)
        pass@1 = (2/2 + 1/2 + 0/2 + 1/2) / 4 = 0.5 (every sample; the unchecked one counts as not passed)
        failed: R/1 (a checked sample failed), R/2 -> 2; round 2 revisits R/1 only -> 1
    round 2, n=1, chain 1, new R/4, R/5, revisited R/1:
        R/4 passes at once; R/5 fails, passes in round 1; R/1 fails both rounds
        pass@1 = 2/3 (Wilson); failed: R/1 -> 1; the last round: nothing revisits it
    """
    with Store.open(path) as store:
        record(store, make_run(store, "BASE", tasks=TASKS), {"R/0": 0})
        one = make_round(store, "KOD", 1, 2, new=TASKS[:4], revisited=[], n=2)
        for task, verdicts in {"R/0": (True, True), "R/1": (True, False), "R/2": (False, False),
                               "R/3": (True, None)}.items():
            for sample, passed in enumerate(verdicts):
                add(store, one, task, sample, 0, bool(passed), checked=passed is not None)
        store.finish_run(one.id)
        two = make_round(store, "KOD", 2, 2, new=["R/4", "R/5"], revisited=["R/1"], chain=1)
        record(store, two, {"R/4": 0, "R/5": 1}, finish=second_finished)
    return path


def wilson_interval(successes, total, z=1.959963984540054):
    p = successes / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z / (1 + z * z / total) * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total))
    return centre - half, centre + half


def test_the_ordinary_run_is_a_method_and_the_rounds_are_not(tmp_path):
    db = curriculum_store(tmp_path / "c.db")
    with Store.open(db, create=False) as store:
        selection = select_methods(store)
    assert [m.name for m in selection.methods] == ["BASE"]
    assert selection.scope == "1 method on 6 tasks" and not selection.shared_only  # the rounds do not narrow it
    [kod] = selection.curricula
    assert (kod.name, kod.dataset, kod.planned, kod.finished) == ("KOD", "humaneval", 2, True)
    assert [r.name for r in kod.rounds] == ["KOD-round-1", "KOD-round-2"]
    report = build_report(db, resamples=200)
    assert report.comparisons == [] and report.chained == []  # no significance and no round curve from rounds


def test_each_round_is_scored_on_its_own_tasks(tmp_path):
    with Store.open(curriculum_store(tmp_path / "c.db"), create=False) as store:
        one, two = select_methods(store).curricula[0].rounds
    assert one.task_ids == ("R/0", "R/1", "R/2", "R/3") and (one.new, one.revisited) == (4, 0)
    assert two.task_ids == ("R/4", "R/5", "R/1") and (two.new, two.revisited) == (2, 1)
    assert (one.samples, two.samples) == (8, 3)
    assert one.pass_at_1.value == 0.5 and one.pass_at_1.interval is Interval.bootstrap
    assert one.pass_at_1.low <= 0.5 <= one.pass_at_1.high and one.pass_at_1.low < one.pass_at_1.high
    assert two.pass_at_1.value == pytest.approx(2 / 3) and two.pass_at_1.interval is Interval.wilson
    assert (two.pass_at_1.low, two.pass_at_1.high) == pytest.approx(wilson_interval(2, 3))


def test_failed_tasks_and_what_the_next_round_revisited(tmp_path):
    with Store.open(curriculum_store(tmp_path / "c.db"), create=False) as store:
        one, two = select_methods(store).curricula[0].rounds
    assert one.failed == ("R/1", "R/2") and one.solved == 2  # R/3: its one checked sample passed
    assert one.revisited_next == 1  # R/1 again; R/2 was not revisited
    assert two.failed == ("R/1",) and two.revisited_next is None


def test_a_task_with_no_checked_sample_is_neither_failed_nor_solved(tmp_path):
    """As the curriculum counts it when it chooses what to revisit: the sandbox said nothing about it."""
    with Store.open(tmp_path / "c.db") as store:
        run = make_round(store, "ONE", 1, 1, new=["A", "B"], revisited=[])
        add(store, run, "A", 0, 0, True)
        add(store, run, "B", 0, 0, False, checked=False)
        store.finish_run(run.id)
    with Store.open(tmp_path / "c.db", create=False) as store:
        [[only]] = [c.rounds for c in select_methods(store).curricula]
    assert only.failed == () and only.unchecked == 1 and only.solved == 1 and only.pass_at_1.value == 0.5


def test_report_json_holds_every_round(tmp_path):
    data = report_json(build_report(curriculum_store(tmp_path / "c.db"), resamples=200))
    assert [m["name"] for m in data["methods"]] == ["BASE"]
    [kod] = data["curricula"]
    assert (kod["name"], kod["rounds_planned"], kod["finished"]) == ("KOD", 2, True)
    assert [(r["round"], r["run"], r["tasks"], r["new"], r["revisited"], r["failed"], r["revisited_next"])
            for r in kod["rounds"]] == [(1, "KOD-round-1", 4, 4, 0, 2, 1), (2, "KOD-round-2", 3, 2, 1, 1, None)]
    assert kod["rounds"][0]["failed_tasks"] == ["R/1", "R/2"]
    assert kod["rounds"][1]["finetune"] == "KOD-round-2" and kod["rounds"][1]["adapter"] == "/adapters/out/round-2"
    assert kod["rounds"][0]["config"]["curriculum"]["round"] == 1


def test_runs_names_a_round_or_a_whole_curriculum(tmp_path):
    db = curriculum_store(tmp_path / "c.db")
    with Store.open(db, create=False) as store:
        whole = select_methods(store, ["KOD"])
        one = select_methods(store, ["KOD-round-2"])
    assert whole.methods == [] and [r.name for r in whole.curricula[0].rounds] == ["KOD-round-1", "KOD-round-2"]
    [[alone]] = [c.rounds for c in one.curricula]
    assert alone.name == "KOD-round-2" and one.methods == []


def test_an_unfinished_round_follows_the_rule_of_unfinished_runs(tmp_path):
    db = curriculum_store(tmp_path / "c.db", second_finished=False)
    with Store.open(db, create=False) as store:
        plain = select_methods(store)
        asked = select_methods(store, include_unfinished=True)
        with pytest.raises(ReportError, match="'KOD-round-2' on humaneval is unfinished: run its finetune "
                                              "--curriculum command again"):
            select_methods(store, ["KOD-round-2"])
    assert [r.name for r in plain.curricula[0].rounds] == ["KOD-round-1"]
    assert [(x.run.name, x.reason) for x in plain.left_out] == [("KOD-round-2", "unfinished")]
    assert plain.curricula[0].rounds[0].revisited_next == 1  # the next round is stored, though left out
    assert [r.finished for r in asked.curricula[0].rounds] == [True, False] and not asked.curricula[0].finished


def test_rounds_on_another_dataset_need_no_dataset_option(tmp_path):
    with Store.open(tmp_path / "c.db") as store:
        record(store, make_run(store, "BASE", tasks=TASKS), {"R/0": 0})
        record(store, make_round(store, "MB", 1, 1, new=["Mbpp/2"], revisited=[], dataset="mbpp"), {"Mbpp/2": 0})
    report = build_report(tmp_path / "c.db", resamples=200)
    assert report.dataset == "humaneval" and [c.dataset for c in report.curricula] == ["mbpp"]
    only = build_report(tmp_path / "c.db", dataset="humaneval", resamples=200)
    assert only.curricula == []


def test_a_round_as_baseline_is_refused(tmp_path):
    db = curriculum_store(tmp_path / "c.db")
    with pytest.raises(ReportError, match="'KOD-round-1' is a curriculum round: --baseline takes bench runs"):
        build_report(db, baseline="KOD-round-1", resamples=200)
