"""A chat answer that rewrites only the entry point still gets the helpers and imports the prompt gave it."""

from __future__ import annotations

import pytest

from codeforge.tasks import load_tasks

TASKS = {t.task_id: t for t in load_tasks("humaneval")}


def test_prompt_helpers_are_added_only_where_the_answer_lacks_them():
    task = TASKS["HumanEval/38"]  # decode_cyclic calls the prompt's encode_cyclic
    alone = "def decode_cyclic(s: str):\n    return encode_cyclic(encode_cyclic(s))\n"
    job = task.test_job(alone)
    program = job.files["solution.py"]
    assert program.count("def encode_cyclic(") == 1 and program.index("def encode_cyclic(") < program.index(alone)
    whole = task.test_job(task.reference).files["solution.py"]
    assert whole.count("def encode_cyclic(") == 1  # the reference (prompt + solution) has its own
    # The tests use the prompt's own helper, not the answer's: an answer cannot redefine what checks it.
    assert job.tests["check.py"].count("def encode_cyclic(") == 1


def test_code_that_does_not_parse_is_left_as_it_is():
    task = TASKS["HumanEval/10"]
    program = task.test_job("def make_palindrome(s:\n").files["solution.py"]
    assert "def is_palindrome" not in program


@pytest.mark.docker
def test_an_entry_point_only_answer_passes(docker_client):
    from codeforge.sandbox import DockerSandbox, SandboxSettings

    task = TASKS["HumanEval/50"]
    answer = "def decode_shift(s: str):\n    return ''.join(chr(((ord(c) - 5 - ord('a')) % 26) + ord('a')) for c in s)\n"
    with DockerSandbox(SandboxSettings(workers=1), client=docker_client) as sandbox:
        result = sandbox.run(task.test_job(answer).job("h50"))
    assert result.passed, result.stderr
