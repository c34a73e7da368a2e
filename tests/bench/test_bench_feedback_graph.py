"""`bench --feedback-graph KIND`: the failed program's graph follows the feedback, the text fine-tuning trains
on (codeforge.graphs.prompt_text); a program that does not parse gets the feedback alone."""

from __future__ import annotations

import json

import pytest
from test_bench_cli import codeforge

from codeforge.graphs.prompt_text import feedback_with_graph, graph_text

pytestmark = pytest.mark.docker

WRONG = "def clamp(x):\n    y = x + 1\n    if y > 2:\n        y = 0\n    return y - 1\n"


def test_the_failed_programs_pdg_follows_the_feedback(tmp_path, docker_client):
    tasks = tmp_path / "t.jsonl"
    tasks.write_text(json.dumps({"task_id": "t/0", "prompt": "def clamp(x):\n    \"\"\"Clamp.\"\"\"\n",
                                 "entry_point": "clamp", "reference": WRONG,
                                 "test": "def check(f):\n    assert f(0) == 1\n"}) + "\n")
    db = tmp_path / "c.db"
    codeforge("bench", f"jsonl:{tasks}", "--model", "reference", "--chain", "1", "--feedback", "hidden",
              "--feedback-graph", "pdg", "--db", str(db), "--run-name", "G", "--json")
    shown = json.loads(codeforge("bench", "show", "G", "--db", str(db), "--task", "t/0", "--json").stdout)
    feedback = shown["samples"][1]["feedback"]
    assert "AssertionError" in feedback
    assert feedback.endswith("The PDG of the failed program (one line per statement; cd: control dependence, dd: "
                             "data dependence, var@definition):\n" + graph_text(WRONG, "python", "pdg"))
    assert "L5 dd:y@L2,y@L4" in feedback
    assert feedback_with_graph("It fails.", "def f(:\n", "python", "pdg") == "It fails."
