"""Training rows from codeforge.tasks Tasks: what is graphed, the rows, the cfg questions, the atomic output."""

from __future__ import annotations

import json
import os

import pytest

from codeforge.graphs.dataset import atomic_output, graph_rows, task_source
from codeforge.graphs.text import question_answers
from codeforge.graphs.vocabulary import GraphKind
from codeforge.tasks import load_tasks
from graph_helpers import facts


def _jsonl_task(tmp_path, **row):
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({"task_id": "t/0", "test": "", **row}) + "\n")
    return load_tasks(f"jsonl:{path}")[0]


def test_a_prompt_that_opens_the_function_is_graphed_with_its_solution():
    task = load_tasks("humaneval", limit=1)[0]
    source = task_source(task)
    assert source.prompt == task.prompt and source.code == task.reference
    assert source.solution.lstrip().startswith("for idx, elem in enumerate(numbers)")


def test_a_whole_reference_is_the_solution(tmp_path):
    task = _jsonl_task(tmp_path, prompt="Write add(a, b).\n", entry_point="add",
                       reference="def add(a, b):\n    return a + b\n")
    source = task_source(task)
    assert source.solution == source.code == task.reference
    (row,) = graph_rows(task, GraphKind.pdg)
    assert row["graph"] == "## add\nL2 dd:a@L1,b@L1" and row["text"].startswith("Write add(a, b).\n### PDG")


def test_what_precedes_the_prompt_in_the_reference_is_left_out(tmp_path):
    """HumanEval-X C++ references put the includes the prompt lacks first; the graph's lines are those of
    prompt + solution, as the training text shows them."""
    prompt = "int twice(int x){\n"
    task = _jsonl_task(tmp_path, language="cpp", prompt=prompt,
                       reference="#include <cstdio>\n" + prompt + "    return 2 * x;\n}\n")
    source = task_source(task)
    assert source.code == prompt + "    return 2 * x;\n}\n"
    assert graph_rows(task, GraphKind.dfg)[0]["graph"] == "## twice\nL2 dd:x@L1"


def test_a_task_without_a_reference_says_what_it_lacks(tmp_path):
    task = _jsonl_task(tmp_path, prompt="def f():\n")
    with pytest.raises(ValueError, match="canonical_solution"):
        graph_rows(task, GraphKind.cfg)


def test_cfg_questions_ask_which_lines_can_run_next():
    f = facts("""
        def f(xs):
            t = 0
            for x in xs:
                if x:
                    break
                t += x
            return t
        """)
    pairs = dict(question_answers(f.cfg, GraphKind.cfg))
    assert pairs["Which lines can run next after line 3?"] == "line 4, line 7"   # through the loop header
    assert pairs["Which lines can run next after line 5?"] == "line 7"
    assert pairs["Which lines can run next after line 6?"] == "line 3"
    assert pairs["Which lines can run next after line 7?"] == "the end of the function"
    assert question_answers(f.cfg, GraphKind.ast) == []


def test_atomic_output_replaces_only_when_complete(tmp_path):
    target = tmp_path / "rows.jsonl"
    target.write_text("old\n")
    target.chmod(0o640)
    with pytest.raises(RuntimeError):
        with atomic_output(target) as handle:
            handle.write("half\n")
            raise RuntimeError("stopped")
    assert target.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["rows.jsonl"]
    with atomic_output(target) as handle:
        handle.write("new\n")
        assert target.read_text() == "old\n"
    assert target.read_text() == "new\n" and [p.name for p in tmp_path.iterdir()] == ["rows.jsonl"]
    assert target.stat().st_mode & 0o777 == 0o640   # the file keeps its permissions
    fresh = tmp_path / "sub" / "fresh.jsonl"
    with atomic_output(fresh) as handle:
        handle.write("x\n")
    umask = os.umask(0)
    os.umask(umask)
    assert fresh.read_text() == "x\n" and fresh.stat().st_mode & 0o777 == 0o666 & ~umask   # as open() makes it
