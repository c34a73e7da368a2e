"""A bench verdict cannot be faked by the program being scored, and `bench rescore` finds the passes an older
verdict code gave to such programs. Programs that fake a pass are the references of a jsonl task file, run
with `--model reference` (the way a user would try it)."""

from __future__ import annotations

import json
import textwrap

import pytest
from test_bench_cli import codeforge

from codeforge.sandbox import DockerSandbox, Job, SandboxSettings
from codeforge.store import Store

pytestmark = pytest.mark.docker

TEST = textwrap.dedent("""
    def check(candidate):
        assert candidate(1, 2) == 3
        assert candidate(2, 2) == 4
        assert candidate(-1, 1) == 0
""")
PROGRAMS = {
    "honest": "def add(a, b):\n    return a + b\n",
    "exits early": "import sys\nsys.exit(0)\n\ndef add(a, b):\n    return 0\n",
    "equal to everything": "class Anything:\n    def __eq__(self, other):\n        return True\n\n"
                           "def add(a, b):\n    return Anything()\n",
    "reads its own file": textwrap.dedent("""
        import re
        with open(__file__) as handle:
            _found = re.findall(r"candidate\\((-?\\d+), (-?\\d+)\\) == (-?\\d+)", handle.read())
        _answers = {(int(a), int(b)): int(c) for a, b, c in _found}

        def add(a, b):
            return _answers.get((a, b), 0)
    """),
}


def task_file(tmp_path):
    path = tmp_path / "cheats.jsonl"
    rows = [{"task_id": name, "prompt": "def add(a, b):\n    \"\"\"Add two numbers.\"\"\"\n", "entry_point": "add",
             "test": TEST, "reference": program} for name, program in PROGRAMS.items()]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_programs_that_fake_a_pass_score_failed_and_rescore_finds_old_fakes(tmp_path, docker_client):
    db = tmp_path / "c.db"
    summary = json.loads(codeforge("bench", f"jsonl:{task_file(tmp_path)}", "--model", "reference", "--db", str(db),
                                   "--run-name", "R", "--json").stdout)
    assert summary["rounds"][0]["solved"] == 1  # the honest program alone
    shown = json.loads(codeforge("bench", "show", "R", "--db", str(db), "--json").stdout)
    assert {row["task_id"] for row in shown["tasks"] if row["passed_samples"]} == {"honest"}

    # What the verdict code before the harness stored: the program and its tests as one script, passed when
    # the process exited 0. Put those verdicts in the store, as a store written back then holds them.
    with Store.open(db) as store, DockerSandbox(SandboxSettings(workers=2), client=docker_client) as sandbox:
        run = store.run("R")
        for sample in store.samples(run.id):
            program = sample.code + "\n" + TEST + "\ncheck(add)\n"
            old = sandbox.run(Job(id=sample.task_id, language="python", source=program))
            store.add_execution(sample.id, "tests", old.status.value, old.passed, old.duration_s,
                                old.model_dump(mode="json"))
    faked = json.loads(codeforge("bench", "show", "R", "--db", str(db), "--json").stdout)
    assert all(row["passed_samples"] for row in faked["tasks"])  # every cheat passed the old verdict

    checked = codeforge("bench", "rescore", "R", "--db", str(db), "--json", check=False)
    assert checked.returncode == 1  # verdicts differ, nothing saved
    report = json.loads(checked.stdout)
    assert (report["solved_before"], report["solved_after"]) == (4, 1)
    assert sorted(report["tasks_changed"]) == ["equal to everything", "exits early", "reads its own file"]
    why = {c["task_id"]: c["why"] for c in report["changes"]}
    assert "the program ended before the tests finished" in why["exits early"]
    assert "object of type Anything" in why["equal to everything"]
    told = codeforge("bench", "rescore", "R", "--db", str(db), check=False, env={"COLUMNS": "200"}).stdout
    assert "3 verdicts change" in told and "4 stored, 1 now" in told and "Nothing was saved" in told

    assert codeforge("bench", "rescore", "R", "--db", str(db), "--save").returncode == 0
    after = json.loads(codeforge("bench", "show", "R", "--db", str(db), "--json").stdout)
    assert {row["task_id"] for row in after["tasks"] if row["passed_samples"]} == {"honest"}
    again = json.loads(codeforge("bench", "rescore", "R", "--db", str(db), "--json").stdout)
    assert again["changes"] == []
