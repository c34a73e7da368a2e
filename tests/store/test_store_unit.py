"""The SQLite results store: runs, samples, executions, resume identity, and failures that keep data."""

from __future__ import annotations

import sqlite3

import pytest

from codeforge.store import NO_CODE, Store, StoreError
from codeforge.store.export import export_samples


def make_run(store, name="BASE", dataset="humaneval", chain=0, feedback="visible"):
    return store.create_run(name, dataset, model="m", backend="hf", adapter=None, prompt_mode="chat",
                            feedback=feedback, chain=chain, samples_per_task=2, seed=0,
                            config={"temperature": 0.0}, versions={"python": "3"})


def add(store, run, task, sample, round, code="def f(): pass\n", status="passed"):
    sid = store.add_sample(run.id, task, sample, round, prompt="{}", raw_output="raw", code=code,
                           finish_reason="stop", prompt_tokens=3, completion_tokens=5, gen_seconds=0.5)
    if status is not None:
        store.add_execution(sid, "tests", status, status == "passed", 0.1, {"status": status})
    return sid


def test_runs_samples_and_executions_round_trip(tmp_path):
    with Store.open(tmp_path / "db" / "codeforge.db") as store:
        run = make_run(store)
        store.set_tasks(run.id, ["T/1", "T/0"])
        store.set_tasks(run.id, ["T/0", "T/2"])  # known ones keep their place, new ones go last
        assert store.task_ids(run.id) == ["T/1", "T/0", "T/2"]
        add(store, run, "T/0", 0, 0, status="failed")
        add(store, run, "T/0", 0, 1)
        add(store, run, "T/1", 1, 0, code=None, status=NO_CODE)
        add(store, run, "T/1", 0, 0, status=None)  # generated, not yet executed
    with Store.open(tmp_path / "db" / "codeforge.db", create=False) as store:
        run = store.run("BASE")
        samples = store.samples(run.id)
        assert [(s.task_id, s.sample, s.round) for s in samples] == [
            ("T/1", 0, 0), ("T/1", 1, 0), ("T/0", 0, 0), ("T/0", 0, 1)]
        assert samples[0].tested is None
        assert samples[1].code is None and samples[1].tested.status == NO_CODE
        assert [s.passed for s in store.samples(run.id, "T/0")] == [False, True]
        assert run.config == {"temperature": 0.0} and not run.oracle_feedback


def test_a_name_is_unique_per_dataset(tmp_path):
    with Store.open(tmp_path / "c.db") as store:
        make_run(store)
        make_run(store, dataset="mbpp")
        with pytest.raises(StoreError, match="already exists"):
            make_run(store)
        with pytest.raises(StoreError, match="several datasets"):
            store.run("BASE")
        assert store.run("BASE", "mbpp").dataset == "mbpp"


def test_the_same_sample_cannot_be_stored_twice(tmp_path):
    with Store.open(tmp_path / "c.db") as store:
        run = make_run(store)
        add(store, run, "T/0", 0, 0)
        with pytest.raises(sqlite3.IntegrityError):
            add(store, run, "T/0", 0, 0)


def test_oracle_feedback_is_flagged_only_for_chained_hidden_runs(tmp_path):
    with Store.open(tmp_path / "c.db") as store:
        assert make_run(store, "A", chain=3, feedback="hidden").oracle_feedback
        assert not make_run(store, "B", chain=3, feedback="visible").oracle_feedback
        assert not make_run(store, "C", chain=0, feedback="hidden").oracle_feedback


def test_deleting_a_run_removes_its_samples(tmp_path):
    with Store.open(tmp_path / "c.db") as store:
        run = make_run(store)
        add(store, run, "T/0", 0, 0)
        store.delete_run(run.id)
        assert store.runs() == []
        assert store._db.execute("SELECT COUNT(*) FROM samples").fetchone()[0] == 0
        assert store._db.execute("SELECT COUNT(*) FROM executions").fetchone()[0] == 0


def test_a_missing_store_and_a_foreign_file_get_clear_errors(tmp_path):
    with pytest.raises(StoreError, match="no results store"):
        Store.open(tmp_path / "none.db", create=False)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a codeforge results store"):
        Store.open(junk)


def test_a_full_disk_says_what_to_do_and_keeps_what_is_stored(tmp_path):
    path = tmp_path / "c.db"
    with Store.open(path) as store:
        run = make_run(store)
        add(store, run, "T/0", 0, 0)
        pages = store._db.execute("PRAGMA page_count").fetchone()[0]
        store._db.execute(f"PRAGMA max_page_count={pages + 1}")  # what a full disk looks like to SQLite
        with pytest.raises(StoreError, match="full.*run the same command again"):
            store.add_sample(run.id, "T/0", 1, 0, prompt="x" * 200_000, raw_output="", code="",
                             finish_reason="stop", prompt_tokens=0, completion_tokens=0, gen_seconds=0)
    with Store.open(path) as store:
        assert len(store.samples(store.run("BASE").id)) == 1


def test_export_writes_the_last_round_in_human_eval_format(tmp_path):
    import json

    with Store.open(tmp_path / "c.db") as store:
        run = make_run(store, chain=1, feedback="hidden")
        store.set_tasks(run.id, ["T/0"])
        add(store, run, "T/0", 0, 0, code="def f():\n    return 0\n", status="failed")
        add(store, run, "T/0", 0, 1, code="def f():\n    return 1\n")
        add(store, run, "T/0", 1, 0, code="x = 1\n", status="failed")
        out = tmp_path / "out" / "samples.jsonl"
        count = export_samples(run, store.samples(run.id), {"T/0": "def f():\n"}, out)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert count == 2 == len(rows)
    first = next(r for r in rows if r["sample"] == 0)
    assert first["round"] == 1 and first["passed"] and first["completion"] == "    return 1\n"
    assert first["solution"] == "def f():\n    return 1\n" and first["oracle_feedback"] is True
    second = next(r for r in rows if r["sample"] == 1)
    assert second["completion"] == "x = 1\n" and not second["passed"]
