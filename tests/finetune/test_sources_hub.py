"""`--data hub:OWNER/NAME`: a Hugging Face dataset of tasks (KodCode-V1's rows, or codeforge's schema) as training
programs, read through codeforge.tasks. A local folder with train.jsonl is a repo to datasets.load_dataset."""

from __future__ import annotations

import json

import pytest
from tiny_tasks import codeforge

from codeforge.finetune.sources import SourceError, load
from tests.kodcode_sample import COUNT_WORDS, KODCODE_SOLUTION, PALINDROME, kodcode_row, kodcode_rows
from tests.tiny_model import build_tiny_model

datasets = pytest.importorskip("datasets")


@pytest.fixture(autouse=True)
def empty_cache(tmp_path, monkeypatch):
    """datasets' and the hub's caches in tmp_path (set in-process too: the libraries read them when imported)."""
    import huggingface_hub.constants

    cache = tmp_path / "hf"
    monkeypatch.setenv("HF_HOME", str(cache))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(cache / "datasets"))
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(cache / "datasets"))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache / "hub"))


def hub_folder(tmp_path, *rows):
    folder = tmp_path / "kodcode"
    folder.mkdir()
    (folder / "train.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    return folder


def test_each_tasks_solution_is_a_training_program_and_a_limit_stops_reading(tmp_path):
    bad = {key: value for key, value in COUNT_WORDS.items() if key != "test"}
    name = f"hub:{hub_folder(tmp_path, kodcode_row(), PALINDROME, bad)}"
    loaded = load([name], limit=2)  # the bad third row is never read
    assert [(p.task.task_id, p.source) for p in loaded.programs] == [("Prefill_1_I", name), ("Leetcode_7_I", name)]
    assert loaded.programs[0].code == KODCODE_SOLUTION and loaded.programs[0].task.dataset == name
    assert loaded.hashes[name] and not loaded.pairs
    with pytest.raises(SourceError, match=r"train row 3: missing required field\(s\) test"):
        load([name])


def test_a_task_without_a_solution_is_refused(tmp_path):
    unsolved = {key: value for key, value in PALINDROME.items() if key != "solution"}
    name = f"hub:{hub_folder(tmp_path, kodcode_row(), unsolved)}"
    with pytest.raises(SourceError, match=r"task Leetcode_7_I has no solution to train on: give its row "
                                          r"`reference` .* `solution`"):
        load([name])


def test_offline_a_repo_not_in_the_cache_says_to_use_jsonl(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(SourceError, match=r"hub:KodCode/KodCode-V1 could not be loaded .* use jsonl:PATH"):
        load(["hub:KodCode/KodCode-V1"], limit=10)


def test_dry_run_shows_the_rows_of_a_hub_dataset(tmp_path):
    model = build_tiny_model(tmp_path / "tiny", chat=False, pad_token="<|file_sep|>")
    folder = hub_folder(tmp_path, *kodcode_rows())
    result = codeforge("finetune", "--model", str(model), "--data", f"hub:{folder}", "--dry-run", "--json")
    assert json.loads(result.stdout) == {"rows": {"code": 3, "total": 3}, "dropped": 0}
    assert "code row (Prefill_1_I)" in result.stderr and "return out + a[i:] + b[j:]" in result.stderr


def test_a_stored_run_on_a_hub_dataset_reads_only_its_own_tasks(tmp_path):
    """What a curriculum's --then-dpo and run:NAME do: a run's tasks are found by id, so a large hub dataset is
    not read whole (here its third row is bad: reading it would fail)."""
    from codeforge.finetune.sources import passing_samples
    from codeforge.store import Store

    bad = {key: value for key, value in COUNT_WORDS.items() if key != "test"}
    spec = f"hub:{hub_folder(tmp_path, kodcode_row(), PALINDROME, bad)}"
    with Store.open(tmp_path / "db") as store:
        run = store.create_run("R", spec, model="m", backend="hf", adapter=None, prompt_mode="base",
                               feedback="visible", chain=0, samples_per_task=1, seed=0, config={}, versions={})
        store.set_tasks(run.id, ["Leetcode_7_I"])
        sample = store.add_sample(run.id, "Leetcode_7_I", 0, 0, prompt="{}", raw_output="x",
                                  code=PALINDROME["solution"], finish_reason="stop", prompt_tokens=1,
                                  completion_tokens=1, gen_seconds=0.0)
        store.add_execution(sample, "tests", "passed", True, 0.1, {})
    [program] = passing_samples("R", tmp_path / "db")
    assert program.task.task_id == "Leetcode_7_I" and program.code == PALINDROME["solution"]
