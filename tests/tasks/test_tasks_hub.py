"""`hub:OWNER/NAME`: a Hugging Face dataset of task rows (KodCode-V1's own, or codeforge's schema), read with the
datasets package. A local folder with train.jsonl is a repo to datasets.load_dataset, so these tests go through
the real loading code without a hub; offline, a repo not in the cache fails at once and says what to do."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from codeforge.tasks import DatasetError, load_tasks
from tests.kodcode_sample import COUNT_WORDS, PALINDROME, kodcode_row, kodcode_rows

datasets = pytest.importorskip("datasets")

JSONL_HINT = "export the rows to JSON lines (e.g. datasets' to_json) and use jsonl:PATH"


@pytest.fixture(autouse=True)
def empty_cache(tmp_path, monkeypatch):
    """datasets' and the hub's caches in tmp_path: nothing cached elsewhere counts, nothing is left behind. The
    libraries read their cache paths when imported, so the in-process values are set as well as the env."""
    import huggingface_hub.constants

    cache = tmp_path / "hf"
    monkeypatch.setenv("HF_HOME", str(cache))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(cache / "datasets"))
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(cache / "datasets"))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache / "hub"))
    return cache


def hub_folder(tmp_path, *rows, name="train.jsonl"):
    """A dataset folder as load_dataset reads a repo: `name` (its split) holding `rows`."""
    folder = tmp_path / "kodcode"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text("".join(json.dumps(row) + "\n" for row in rows))
    return folder


def no_test(row: dict) -> dict:
    return {key: value for key, value in row.items() if key != "test"}


def test_kodcode_rows_load_as_tasks_whose_dataset_is_the_spec(tmp_path):
    spec = f"hub:{hub_folder(tmp_path, *kodcode_rows())}"
    tasks = load_tasks(spec)
    assert [(t.task_id, t.entry_point) for t in tasks] == [("Prefill_1_I", "merge_sorted"),
                                                          ("Leetcode_7_I", "is_palindrome"),
                                                          ("Apps_3_C", "count_words")]
    assert {t.dataset for t in tasks} == {spec}  # a stored run's dataset loads again
    assert load_tasks(tasks[0].dataset) == tasks
    # the same tasks as jsonl:PATH makes of the same rows (only the dataset name differs)
    from_jsonl = load_tasks(f"jsonl:{tmp_path / 'kodcode' / 'train.jsonl'}")
    assert [t.test_job(t.reference) for t in tasks] == [t.test_job(t.reference) for t in from_jsonl]
    assert tasks[0].extra["subset"] == "Prefill" and tasks[0].extra["test_info"][0]["function_name"] == "merge_sorted"


def test_codeforge_schema_rows_load_and_a_missing_field_of_another_row_is_not_a_null(tmp_path):
    rows = [{"task_id": "t/0", "prompt": "def inc(x):\n", "canonical_solution": "    return x + 1\n",
             "test": "def check(f):\n    assert f(1) == 2\n"},
            {"task_id": "t/1", "prompt": "Write dec(x).", "entry_point": "dec", "reference": "def dec(x):\n"
             "    return x - 1\n", "test": "assert dec(1) == 0\n", "timeout_s": 5}]
    first, second = load_tasks(f"hub:{hub_folder(tmp_path, *rows)}")
    assert first.reference == "def inc(x):\n    return x + 1\n" and first.timeout_s == 20.0
    assert second.reference == "def dec(x):\n    return x - 1\n" and second.timeout_s == 5.0


def test_a_limit_stops_reading_rows(tmp_path):
    spec = f"hub:{hub_folder(tmp_path, kodcode_row(), PALINDROME, no_test(COUNT_WORDS))}"
    with pytest.raises(DatasetError, match=r"train row 3: missing required field\(s\) test"):
        load_tasks(spec)
    # the bad third row is never read
    assert [t.task_id for t in load_tasks(spec, limit=2)] == ["Prefill_1_I", "Leetcode_7_I"]


def test_task_ids_are_found_without_reading_the_other_rows(tmp_path):
    spec = f"hub:{hub_folder(tmp_path, kodcode_row(), no_test(PALINDROME), COUNT_WORDS)}"
    # in dataset order, whatever order they are asked in; the bad row between them is never made a task
    assert [t.task_id for t in load_tasks(spec, task_ids=["Apps_3_C", "Prefill_1_I"])] == ["Prefill_1_I",
                                                                                          "Apps_3_C"]
    assert [t.task_id for t in load_tasks(spec, task_ids=["Apps_3_C", "Prefill_1_I"], limit=1)] == ["Prefill_1_I"]
    with pytest.raises(DatasetError, match=r"has no task 'Apps_3', 'nope': its ids look like Prefill_1_I, "
                                           r"Leetcode_7_I, Apps_3_C \(3 rows\)"):
        load_tasks(spec, task_ids=["Apps_3", "Prefill_1_I", "nope"])


def test_bad_rows_are_named_together_by_split_and_row(tmp_path):
    spec = f"hub:{hub_folder(tmp_path, kodcode_row(), no_test(PALINDROME), COUNT_WORDS, kodcode_row())}"
    with pytest.raises(DatasetError) as error:
        load_tasks(spec)
    assert str(error.value).splitlines() == [
        f"{spec}: 2 bad row(s), nothing was run:",
        "train row 2: missing required field(s) test",
        "train row 4: task_id 'Prefill_1_I' already used at " + spec + " train row 1"]


def test_splits_load_in_the_datasets_order_and_one_split_by_name(tmp_path):
    folder = hub_folder(tmp_path, kodcode_row())
    hub_folder(tmp_path, PALINDROME, name="test.jsonl")
    assert [t.task_id for t in load_tasks(f"hub:{folder}")] == ["Prefill_1_I", "Leetcode_7_I"]
    assert [t.task_id for t in load_tasks(f"hub:{folder}:test")] == ["Leetcode_7_I"]
    with pytest.raises(DatasetError, match=r'Unknown split "valid"'):
        load_tasks(f"hub:{folder}:valid")


def test_offline_a_repo_not_in_the_cache_fails_at_once_naming_the_repo_and_the_jsonl_way(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(DatasetError) as error:
        load_tasks("hub:KodCode/KodCode-V1", limit=5)
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith("hub:KodCode/KodCode-V1 could not be loaded from the Hugging Face hub "
                              "(KodCode/KodCode-V1): ")
    assert "OfflineModeIsEnabled" in message  # offline mode answered, not a network timeout
    assert message.endswith("Fix: on a machine with the hub, " + JSONL_HINT + "; KodCode's field names load as "
                            "they are")


def test_without_the_datasets_package_it_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "datasets", None)  # `import datasets` raises ImportError
    with pytest.raises(DatasetError, match=r"hub:KodCode/KodCode-V1 needs the `datasets` package \(pip install "
                                           r"'codeforge\[train\]', or pip install datasets\); or on a machine"):
        load_tasks("hub:KodCode/KodCode-V1")


def test_from_hub_a_dataset_path_and_no_repo_are_refused(tmp_path):
    with pytest.raises(DatasetError, match="--from-hub applies to the named datasets: hub:a/b is read from the "
                                           "hub already"):
        load_tasks("hub:a/b", from_hub=True)
    with pytest.raises(DatasetError, match="--dataset-path does not apply to hub:a/b: for a local copy of its "
                                           "rows use jsonl:PATH"):
        load_tasks("hub:a/b", dataset_path=tmp_path)
    with pytest.raises(DatasetError, match=r"'hub:' names no dataset: hub:OWNER/NAME"):
        load_tasks("hub:")


def test_bench_offline_is_one_line_and_exit_2_with_nothing_stored(tmp_path):
    db = tmp_path / "runs.db"
    result = subprocess.run([sys.executable, "-m", "codeforge", "bench", "hub:KodCode/KodCode-V1", "--model",
                             "reference", "--db", str(db)], capture_output=True, text=True, timeout=300,
                            env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: hub:KodCode/KodCode-V1 could not be loaded"), lines
    assert JSONL_HINT in lines[0]
    assert not db.exists()


def test_bench_runs_a_hub_dataset_and_its_stored_run_loads_it_again(tmp_path, docker_client):
    from codeforge.store import Store

    spec = f"hub:{hub_folder(tmp_path, *kodcode_rows())}"
    db = tmp_path / "runs.db"
    result = subprocess.run([sys.executable, "-m", "codeforge", "bench", spec, "--model", "reference", "--limit",
                             "2", "--db", str(db), "--json"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout)
    assert (summary["rounds"][0]["solved"], summary["rounds"][0]["tasks"]) == (2, 2)
    with Store.open(db, create=False) as store:
        run, = store.runs()
    assert run.dataset == spec
    assert [t.task_id for t in load_tasks(run.dataset, limit=2)] == ["Prefill_1_I", "Leetcode_7_I"]


def test_task_ids_of_rows_without_an_id_column_name_the_missing_field(tmp_path):
    rows = [{"prompt": "def inc(x):\n", "test": "assert inc(1) == 2\n"}] * 2
    with pytest.raises(DatasetError, match=r"2 bad row\(s\).*\ntrain row 1: missing required field\(s\) task_id"):
        load_tasks(f"hub:{hub_folder(tmp_path, *rows)}", task_ids=["t/0"])
