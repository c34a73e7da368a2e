"""The store's reading for large stores: runs a page at a time, verdicts, samples without texts, and the
read-only opening that creates and changes nothing."""

from __future__ import annotations

import sqlite3

import pytest

from codeforge.bench.scores import pass_values, summarize
from codeforge.store import Store, StoreError
from codeforge.vocabulary import Workflow


def make_run(store, name, dataset="humaneval", model="m", workflow=None, adapter=None):
    config = {"workflow": workflow} if workflow else {}
    return store.create_run(name, dataset, model=model, backend="hf", adapter=adapter, prompt_mode="chat",
                            feedback="visible", chain=1, samples_per_task=2, seed=0, config=config, versions={})


def add(store, run, task, sample, round, status):
    sid = store.add_sample(run.id, task, sample, round, prompt="p" * 50, raw_output="r" * 50, code="c",
                           finish_reason="stop", prompt_tokens=3, completion_tokens=5, gen_seconds=0.5,
                           feedback="f" if round else None, feedback_source="visible" if round else None)
    if status is not None:
        store.add_execution(sid, "tests", status, status == "passed", 0.1,
                            {"status": status, "stdout": "out", "stderr": "err", "details": {"signal": None}})


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "codeforge.db") as store:
        for name, dataset, model in (("B", "mbpp", "m2"), ("A", "humaneval", "m1"), ("C", "humaneval", "m3")):
            make_run(store, name, dataset, model)
        make_run(store, "FIX", "humaneval", "m1", workflow="repair", adapter="adapters/x")
        yield store


def names(found):
    return [r.name for r in found[0]], found[1]


def test_runs_page_sorts_filters_and_counts_in_sql(store):
    assert names(store.runs_page()) == (["B", "A", "C", "FIX"], 4)
    assert names(store.runs_page(sort="name", descending=True, limit=2)) == (["FIX", "C"], 4)
    assert names(store.runs_page(sort="name", limit=2, offset=2)) == (["C", "FIX"], 4)
    assert names(store.runs_page(text="HUMAN")) == (["A", "C", "FIX"], 3)  # any case, the dataset too
    assert names(store.runs_page(text="adapters/")) == (["FIX"], 1)
    assert names(store.runs_page(workflow=Workflow.bench)) == (["B", "A", "C"], 3)
    assert names(store.runs_page(workflow=Workflow.repair, text="m1")) == (["FIX"], 1)
    assert names(store.runs_page(text="%")) == ([], 0)  # taken literally, not as a pattern
    assert store.run_by_id(store.run("A").id).name == "A" and store.run_by_id(999) is None


def test_runs_page_sorts_by_pass_at_1_after_the_last_round_as_the_scores_compute_it(store):
    statuses = {"A": [("T/0", 0, 0, "failed"), ("T/0", 0, 1, "passed"), ("T/0", 1, 0, "passed"),
                      ("T/1", 0, 0, None), ("T/1", 1, 0, "failed")],  # 2 of 4 samples passed
                "B": [("T/0", 0, 0, "passed"), ("T/0", 1, 0, "passed"), ("T/1", 0, 0, "passed")],  # 3 of 4
                "C": []}  # nothing generated yet: 0
    for name, rows in statuses.items():
        run = store.run(name)
        store.set_tasks(run.id, ["T/0", "T/1"])
        for row in rows:
            add(store, run, *row)
    expected = {name: pass_values(store.verdicts(store.run(name).id), ["T/0", "T/1"], 2, (1,), 1)[-1].get(1, 0.0)
                for name in statuses}
    assert expected == {"A": 0.5, "B": 0.75, "C": 0.0}
    # FIX has no samples either: 0 like C, the tie ordered by id as every sort orders it
    assert names(store.runs_page(sort="pass@1", descending=True)) == (["B", "A", "FIX", "C"], 4)
    assert names(store.runs_page(sort="pass@1")) == (["C", "FIX", "A", "B"], 4)
    text_run = store.create_run("PROSE", "jsonl:t.jsonl", model="m", backend="hf", adapter=None, prompt_mode="chat",
                                feedback="visible", chain=0, samples_per_task=1, seed=0, config={"answers": "text"},
                                versions={})
    assert text_run.text_answers
    assert names(store.runs_page(sort="pass@1", descending=True))[0][-1] == "PROSE"  # no pass@1: last either way
    assert names(store.runs_page(sort="pass@1"))[0][-1] == "PROSE"


def test_verdicts_and_samples_without_texts_score_as_whole_samples_do(store):
    run = store.run("A")
    store.set_tasks(run.id, ["T/0", "T/1"])
    add(store, run, "T/0", 0, 0, "failed")
    add(store, run, "T/0", 0, 1, "passed")
    add(store, run, "T/0", 1, 0, "passed")
    add(store, run, "T/1", 0, 0, None)  # not checked
    add(store, run, "T/1", 1, 0, "failed")
    whole = store.samples(run.id)
    light = store.samples(run.id, texts=False)
    assert [(s.prompt, s.raw_output, s.code, s.feedback) for s in light] == [("", "", None, None)] * 5
    assert [s.tested.result for s in light if s.tested] == [{"status": "failed", "details": {"signal": None}}] + \
        [{"status": "passed", "details": {"signal": None}}] * 2 + [{"status": "failed", "details": {"signal": None}}]
    verdicts = store.verdicts(run.id)
    assert sorted((v.task_id, v.sample, v.round, v.passed) for v in verdicts) == sorted(
        (s.task_id, s.sample, s.round, s.passed) for s in whole)
    for r in (0, 1):
        expected = {k: s.value for k, s in summarize(whole, ["T/0", "T/1"], 2, r, (1, 2)).scores.items()}
        assert pass_values(verdicts, ["T/0", "T/1"], 2, (1, 2), 1)[r] == expected
        assert pass_values(light, ["T/0", "T/1"], 2, (1, 2), 1)[r] == expected
    assert pass_values([], ["T/0"], 2, (1,), 1) == [{}, {}]


def test_opening_read_only_creates_nothing_and_refuses_what_is_not_a_store_of_this_version(tmp_path):
    with pytest.raises(StoreError, match="no results store"):
        Store.open_read_only(tmp_path / "none.db")
    assert list(tmp_path.iterdir()) == []
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE t (x)")
    with pytest.raises(StoreError, match="not a codeforge results store"):
        Store.open_read_only(other)
    with sqlite3.connect(other) as db:
        assert [n for (n,) in db.execute("SELECT name FROM sqlite_master")] == ["t"]  # no table was added
    path = tmp_path / "codeforge.db"
    Store.open(path).close()
    with Store.open_read_only(path) as store:
        assert store.runs() == []
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            store._db.execute("DELETE FROM runs")
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value='0' WHERE key='schema_version'")
    with pytest.raises(StoreError, match="schema 0"):
        Store.open_read_only(path)


def test_a_store_from_before_the_similarity_table_reads_without_it(tmp_path):
    path = tmp_path / "codeforge.db"
    with Store.open(path) as writable:
        run = make_run(writable, "OLD")
        add(writable, run, "T/0", 0, 0, "passed")
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE similarity")  # as an earlier codeforge wrote it
    with Store.open_read_only(path) as read:
        (sample,) = read.samples(run.id)
        assert sample.passed and sample.similarity == {}
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT name FROM sqlite_master WHERE name='similarity'").fetchone() is None  # untouched
