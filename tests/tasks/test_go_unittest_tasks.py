"""go-unittest tasks: where the functions come from, the prompt around each, and how an answer is read."""

from __future__ import annotations

import json

import pytest

from codeforge.models.prompts import chat_feedback_prompt, chat_prompt, extract_code, stop_sequences
from codeforge.tasks import DatasetError, load_tasks
from codeforge.tasks.go_unittest import count_tokens, go_test_name
from codeforge.vocabulary import Action

GEOMETRY = """package shapes

import "math"

// Scale multiplies every side.
const Scale = 2

// Area is the scaled area of a square of side s, or 0 for a negative side.
func Area(s float64) float64 {
	if s < 0 {
		return 0
	}
	return square(s * Scale)
}

// Perimeter is unrelated to Area.
func Perimeter(s float64) float64 {
	return 4 * math.Abs(s)
}
"""
UTIL = """package shapes

func square(x float64) float64 {
	return x * x
}
"""
OLD_TEST = """package shapes

import "testing"

func TestOld(t *testing.T) {}
"""


def write_package(folder, **more: str):
    folder.mkdir(exist_ok=True)
    for name, text in {"geometry.go": GEOMETRY, "util.go": UTIL, "geometry_test.go": OLD_TEST, **more}.items():
        (folder / name).write_text(text)
    return folder


def test_a_package_folder_gives_a_task_per_function_with_its_dependencies_only(tmp_path):
    tasks = {t.task_id: t for t in load_tasks("go-unittest", dataset_path=write_package(tmp_path / "shapes"))}
    assert set(tasks) == {"shapes/Area", "shapes/Perimeter", "shapes/square"}
    area = tasks["shapes/Area"]
    assert area.entry_point == "Area" and area.package == "shapes" and area.test_file == "geometry_test.go"
    assert "func square" in area.context and "const Scale" in area.context and "Perimeter" not in area.context
    assert area.context.rstrip().endswith("return square(s * Scale)\n}")  # the function under test comes last
    assert set(area.files) == {"geometry.go", "util.go"}  # the package's own test file never goes in
    assert area.reference == ""  # a folder brings no answer
    job = area.test_job("package shapes\n")
    assert job.action is Action.unittest and job.function == "Area" and set(job.tests) == {"geometry_test.go"}
    assert area.prompt.startswith(area.context.rstrip()) and area.prompt.endswith(
        "func TestArea(t *testing.T) {\n")
    assert area.code_from_completion("\tt.Fail()\n}\n").startswith("package shapes\n")


def test_the_cut_keeps_the_function_under_test_and_drops_the_farthest_first(tmp_path):
    folder = write_package(tmp_path / "shapes")
    whole = load_tasks("go-unittest", dataset_path=folder, task_ids=["shapes/Area"])[0]
    tight = load_tasks("go-unittest", dataset_path=folder, task_ids=["shapes/Area"], max_prompt_tokens=5)[0]
    assert whole.extra["context_cut"] == [] and count_tokens(whole.context) == whole.extra["context_tokens"]
    assert "func Area" in tight.context and "func square" not in tight.context
    assert set(tight.extra["context_cut"]) == {"square", "Scale"}


def test_a_package_that_cannot_build_in_the_image_is_refused_when_read(tmp_path):
    client = 'package shapes\n\nimport "github.com/acme/client"\n\nfunc Use() { client.Do() }\n'
    folder = write_package(tmp_path / "shapes", **{"client.go": client})
    with pytest.raises(DatasetError, match="github.com/acme/client.*build on their own"):
        load_tasks("go-unittest", dataset_path=folder)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "x_test.go").write_text(OLD_TEST)
    with pytest.raises(DatasetError, match="no function with a body.*x_test.go: a test file"):
        load_tasks("go-unittest", dataset_path=empty)
    (empty / "x_test.go").unlink()
    with pytest.raises(DatasetError, match="holds no .go file .* and no humaneval_x_go"):
        load_tasks("go-unittest", dataset_path=empty)


@pytest.mark.parametrize("extra, said", [
    ('package shapes\n\nimport "myapp/util"\n\nfunc Use() int { return util.N }\n', "myapp/util"),
    ('package shapes\n\nimport "embed"\n\n//go:embed data.txt\nvar data string\n', "embeds files"),
    ("package shapes\n\nfunc add(a, b int) int\n", "implements add in assembly"),
])
def test_a_package_that_needs_more_than_its_go_files_is_refused(tmp_path, extra, said):
    with pytest.raises(DatasetError, match=said):
        load_tasks("go-unittest", dataset_path=write_package(tmp_path / "shapes", **{"more.go": extra}))


def test_a_function_named_main_gets_a_test_name_the_testing_package_runs():
    assert go_test_name("Main") == "Test_Main" and go_test_name("main") == "Test_Main"


def test_humaneval_x_functions_with_their_own_tests_as_reference():
    task = load_tasks("go-unittest", task_ids=["Go/0"])[0]
    assert task.entry_point == "HasCloseElements" and task.package == "main" and task.test_file == "main_test.go"
    assert "func TestHasCloseElements" in task.reference and "assert" in task.reference
    assert task.files["main.go"].startswith("package main") and "func HasCloseElements" in task.files["main.go"]


def test_max_prompt_tokens_belongs_to_go_unittest():
    with pytest.raises(DatasetError, match="--max-prompt-tokens"):
        load_tasks("humaneval", limit=1, max_prompt_tokens=100)


def test_jsonl_rows_of_kind_go_unittest(tmp_path):
    rows = [{"kind": "go-unittest", "task_id": "shapes/area", "files": {"geometry.go": GEOMETRY, "util.go": UTIL},
             "function": "Area", "reference": "package shapes\n"},
            {"kind": "go-unittest", "task_id": "bad/1", "files": {"geometry.go": GEOMETRY}, "function": "Nope"},
            {"kind": "go-unittest", "task_id": "bad/2", "files": {"a_test.go": OLD_TEST}, "function": "Area"},
            {"kind": "go-unittest", "task_id": "bad/3", "files": {"sub/geometry.go": GEOMETRY}, "function": "Area"}]
    path = tmp_path / "tasks.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows[:1]))
    task = load_tasks(f"jsonl:{path}")[0]
    assert task.entry_point == "Area" and "func square" in task.context and task.reference == "package shapes\n"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    with pytest.raises(DatasetError) as error:
        load_tasks(f"jsonl:{path}")
    message = str(error.value)
    assert "3 bad line(s)" in message and "no function 'Nope'" in message and "test files" in message
    assert "'sub/geometry.go': give plain file names" in message
    other = tmp_path / "other.jsonl"  # a kind of one's own is kept with the task, as any other field
    other.write_text(json.dumps({"kind": "easy", "task_id": "t/0", "prompt": "def f():\n", "test": "assert True\n",
                                 "entry_point": "f"}) + "\n")
    assert load_tasks(f"jsonl:{other}")[0].extra == {"kind": "easy"}


def test_a_chat_model_is_asked_for_the_test_file_and_told_to_fix_it(tmp_path):
    task = load_tasks("go-unittest", dataset_path=write_package(tmp_path / "shapes"), task_ids=["shapes/Area"])[0]
    messages, prefill = chat_prompt(task.prompt, "go", task.ask())
    assert "unit tests for the function `Area`" in messages[0]["content"] and "geometry_test.go" in prefill
    assert "func square" in messages[0]["content"]
    again, _ = chat_feedback_prompt(task.prompt, "go", "package shapes\n", "does not compile", task.ask())
    assert again[0] == messages[0] and "Fix the tests" in again[-1]["content"]


def test_the_answer_is_the_block_that_declares_tests():
    answer = ("The function again:\n```go\nfunc Area(s float64) float64 {\n\treturn 0\n}\n\n// and more text to be "
              "the longest block of all of them\n```\nThe tests:\n```go\npackage shapes\n\nimport \"testing\"\n\n"
              "func TestArea(t *testing.T) {}\n```\n")
    assert "func TestArea" in extract_code(answer, "go", "Area", answer="test")
    assert "func Area" in extract_code(answer, "go", "Area")  # a program answer is the block defining it
    assert "\nfunc Test" not in stop_sequences("go", prompt_opens_function=False, answer="test")
    assert go_test_name("Stack.Push") == "TestStack_Push" and go_test_name("square") == "TestSquare"
