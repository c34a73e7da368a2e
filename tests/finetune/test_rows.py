"""Training rows: prompted exactly as bench prompts the same model, graph questions true of their program,
shuffled graphs that keep the nodes and the edge count, plans that leave the program runnable."""

from __future__ import annotations

import ast
import random
from collections import Counter

import pytest
from tiny_tasks import write_tasks

from codeforge.finetune.config import GraphFormat
from codeforge.finetune.rows import Format, build_rows, code_row, qa_rows
from codeforge.graphs.prompt_text import GraphChoice, graph_text, rewired
from codeforge.finetune.sources import Program, Repair
from codeforge.graphs.builder import build
from codeforge.graphs.rows import edge_rows
from codeforge.models.prompts import PREFILL_STOP, chat_prompt, extract_code
from codeforge.tasks import load_tasks
from tests.tiny_model import CHAT_TEMPLATE

BRANCHY = '''def clamp(x):
    """Return x, or 0 when x + 1 is above 2."""
    y = x + 1
    if y > 2:
        y = 0
    return y
'''


def chat_format():
    from jinja2 import Template

    template = Template(CHAT_TEMPLATE)
    return Format(lambda messages: template.render(messages=messages, add_generation_prompt=True), "<|im_end|>")


BASE = Format(None, "<|endoftext|>")


@pytest.fixture(scope="module")
def tasks(tmp_path_factory):
    return load_tasks(f"jsonl:{write_tasks(tmp_path_factory.mktemp('t') / 'tasks.jsonl')}")


def clamp_program(tasks):
    from dataclasses import replace

    return Program(replace(tasks[0], prompt=BRANCHY.split("    y = x")[0], reference=BRANCHY), BRANCHY, "test")


def test_chat_rows_are_the_prompt_bench_sends_and_the_program_its_extraction_keeps(tasks):
    fmt = chat_format()
    task = tasks[0]
    row = code_row(Program(task, task.reference, "jsonl:t"), fmt)
    messages, prefill = chat_prompt(task.prompt, "python")
    assert row["prompt"] == fmt.render(list(messages)) + prefill  # what the hf backend renders for bench
    assert row["completion"].endswith("```<|im_end|>")
    answer = row["completion"].removesuffix("<|im_end|>")
    # generation stops at the closing fence; what bench keeps of the answer is the reference
    cut = answer[:answer.index(PREFILL_STOP) + 1] if PREFILL_STOP in answer else answer
    assert extract_code(cut, "python", task.entry_point, prefilled=True).strip() == task.reference.strip()


def test_base_rows_continue_the_prompt_and_bench_rebuilds_the_reference(tasks):
    for task in tasks:
        row = code_row(Program(task, task.reference, "jsonl:t"), BASE)
        assert row["prompt"] == task.prompt
        assert task.code_from_completion(row["completion"].removesuffix("<|endoftext|>")) == task.reference


def test_qa_answers_are_true_of_the_program(tasks):
    rows = qa_rows(clamp_program(tasks), BASE, GraphChoice.pdg, seed=0)
    answers = {r["prompt"].rsplit("Question: ", 1)[1].split("\n")[0]: r["completion"].strip(" \n<|endoftext|>")
               for r in rows}
    # read off the program by hand: y is defined on lines 3 and 5; line 6 can see either
    assert answers["Which definitions of `y` reach line 6?"] == "line 3, line 5"
    assert answers["Which definitions of `y` reach line 4?"] == "line 3"
    assert answers["Which definitions of `x` reach line 3?"] == "line 1 (parameter)"
    assert answers["Which conditions decide whether line 5 runs?"] == "line 4 (true)"


def test_shuffled_qa_moves_answers_between_questions_of_the_same_program(tasks):
    program = clamp_program(tasks)
    true = qa_rows(program, BASE, GraphChoice.pdg, seed=0)
    shuffled = qa_rows(program, BASE, GraphChoice.shuffled, seed=0)
    assert [r["prompt"] for r in true] == [r["prompt"] for r in shuffled]
    assert Counter(r["completion"] for r in true) == Counter(r["completion"] for r in shuffled)
    assert [r["completion"] for r in true] != [r["completion"] for r in shuffled]


def test_rewired_graphs_keep_the_nodes_and_each_kind_of_edge_count():
    [function] = [f for f in build(BRANCHY, "python", "pdg") if f.name == "clamp"]
    kinds = Counter(kind for _, _, kind, _ in edge_rows(function.graph))
    for seed in range(5):
        shuffled = rewired(function.graph, random.Random(seed))
        assert set(shuffled.nodes) == set(function.graph.nodes)
        assert Counter(kind for _, _, kind, _ in edge_rows(shuffled)) == kinds
        assert edge_rows(shuffled) != edge_rows(function.graph)
    assert graph_text(BRANCHY, "python", GraphChoice.shuffled, 3) == graph_text(BRANCHY, "python",
                                                                                GraphChoice.shuffled, 3)
    assert graph_text(BRANCHY, "python", GraphChoice.shuffled, 3) != graph_text(BRANCHY, "python", GraphChoice.pdg)


@pytest.mark.parametrize("fmt", [BASE, chat_format()], ids=["base", "chat"])
def test_plan_rows_write_the_graph_as_comments_and_the_program_still_parses(tasks, fmt):
    program = clamp_program(tasks)
    built = build_rows([program], [], [], fmt, graph=GraphChoice.pdg, graph_format=GraphFormat.plan)
    [row] = built.rows
    assert row["kind"] == "plan"
    assert "# PDG of the solution" in row["completion"] and "# L6 cd:" not in row["completion"]
    assert "#   L5 cd:L4T dd:" not in row["completion"]
    text = row["completion"].removesuffix(fmt.eos)
    code = text.split("```")[0] if fmt.chat else program.task.prompt + text
    ast.parse(code)
    assert graph_text(BRANCHY, "python", GraphChoice.pdg).splitlines()[1] in code.replace("# ", "")


def test_qa_rows_follow_the_ratio_and_feedback_rows_carry_the_failed_programs_graph(tasks):
    programs = [Program(t, t.reference, "jsonl:t") for t in tasks[:6]] + [clamp_program(tasks)]
    built = build_rows(programs, [], [], BASE, graph=GraphChoice.pdg, graph_ratio=0.5, seed=1)
    kinds = Counter(r["kind"] for r in built.rows)
    assert kinds == {"code": 7, "qa": 4}  # round(0.5 * 7) of the questions
    broken = BRANCHY.replace("y > 2", "y < 2")
    repair = Repair(programs[-1].task, broken, "The code fails:\nAssertionError", BRANCHY, "mutants")
    [row] = build_rows([], [], [repair], BASE, graph=GraphChoice.pdg).rows
    assert "AssertionError" in row["prompt"] and "# The PDG of the failed program" in row["prompt"]
    assert row["completion"].startswith("    y = x + 1")


def test_a_base_row_of_a_go_unit_test_is_one_test_file_after_the_prompt():
    """The go-unittest base prompt ends with an opened test; a reference test written its own way (HumanEval-X's,
    with testify) is the whole completion after the prompt without that opening, never a second file inside it."""
    from codeforge.tasks import load_tasks

    task = load_tasks("go-unittest", task_ids=["Go/0"])[0]
    row = code_row(Program(task, task.reference, "go-unittest"), Format(None, "<eos>"))
    assert row["prompt"].endswith("// main_test.go: unit tests of HasCloseElements\n")
    assert row["completion"] == task.reference + "<eos>"
    continued = task.header + "\tif HasCloseElements(nil, 1) {\n\t\tt.Fatal()\n\t}\n}\n"
    row = code_row(Program(task, continued, "go-unittest"), Format(None, "<eos>"))
    assert row["prompt"] == task.prompt and row["completion"] == continued[len(task.header):] + "<eos>"
