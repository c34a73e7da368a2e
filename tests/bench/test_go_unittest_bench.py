"""`codeforge bench go-unittest` as a user runs it: the reference tests of HumanEval-X, and a model (a scripted
OpenAI-compatible server) whose first test of a package's function does not build."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from scripted_server import ScriptedServer
from test_bench_cli import codeforge

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tasks"))
from test_go_unittest_tasks import write_package  # noqa: E402

pytestmark = pytest.mark.docker

BROKEN = "package shapes\n\nimport \"testing\"\n\nfunc TestArea(t *testing.T) {\n\tif Areaa(1) != 4 {\n\t\tt.Fatal()\n\t}\n}\n"
# No import of testing: goimports adds it.
GOOD = ("package shapes\n\nfunc TestArea(t *testing.T) {\n\tif Area(-1) != 0 {\n\t\tt.Fatal(\"negative\")\n\t}\n"
        "\tif Area(1.5) != 9 {\n\t\tt.Fatal(\"scaled\")\n\t}\n}\n")


# Passes, but tests another function: it never runs Area.
ASIDE = "package shapes\n\nimport \"testing\"\n\nfunc TestArea(t *testing.T) {\n\tif Perimeter(1) != 4 {\n\t\tt.Fatal()\n\t}\n}\n"


def broken_then_aside_then_good(messages: list) -> str:
    """Each round is the request, the previous answer and its feedback: the answer says which round this is."""
    previous = messages[1]["content"] if len(messages) > 1 else ""
    test = GOOD if "Perimeter" in previous else ASIDE if "Areaa" in previous else BROKEN
    return f"```go\n{test}```\n"


def test_reference_tests_score_high_and_the_parts_are_shown(tmp_path, docker_client):
    db = tmp_path / "codeforge.db"
    result = codeforge("bench", "go-unittest", "--model", "reference", "--limit", "4", "--db", str(db), "--json")
    round0 = json.loads(result.stdout)["rounds"][0]
    reward = round0["reward"]
    assert reward["mean"] == 1.0 and reward["runnable"] == 1.0 and reward["coverage"] == 1.0, reward
    assert reward["tests_passed"] == reward["tests_declared"] == 4 and reward["samples"] == 4
    assert round0["pass_at_k"]["1"]["value"] == 1.0
    shown = codeforge("bench", "go-unittest", "--model", "reference", "--limit", "4", "--db", str(db),
                      env={"COLUMNS": "200"}).stdout
    assert "reward" in shown and "coverage" in shown
    listed = json.loads(codeforge("bench", "list", "--db", str(db), "--json").stdout)
    assert listed[0]["mean_reward"] == 1.0
    detail = json.loads(codeforge("bench", "show", "reference", "--db", str(db), "--json").stdout)
    assert [task["reward"] for task in detail["tasks"]] == [1.0] * 4
    assert "mean reward" in codeforge("bench", "show", "reference", "--db", str(db), env={"COLUMNS": "200"}).stdout


def test_bad_tests_first_then_a_good_one_over_a_chain(tmp_path, docker_client):
    db, folder = tmp_path / "codeforge.db", write_package(tmp_path / "shapes")
    with ScriptedServer(broken_then_aside_then_good) as server:
        result = codeforge("bench", "go-unittest", "--dataset-path", str(folder), "--tasks", "shapes/Area",
                           "--backend", "openai", "--model", "scripted", "--base-url", server.url, "--chain", "2",
                           "--db", str(db), "--json", env={"OPENAI_API_KEY": "sk-test"})
        requests = list(server.requests)
    rounds = json.loads(result.stdout)["rounds"]
    assert [r["reward"]["mean"] for r in rounds] == [0.0, 0.8, 1.0]  # builds not; runs and passes; covers Area
    assert [r["pass_at_k"]["1"]["value"] for r in rounds] == [0.0, 0.0, 1.0]
    asked = requests[0]["body"]["messages"][0]["content"]
    assert "func square" in asked and "Perimeter" not in asked  # the function with what it uses, nothing else
    told = [request["body"]["messages"][-1]["content"] for request in requests[1:]]
    assert "Areaa" in told[0] and "Fix the tests" in told[0]  # the compiler's message goes back to the model
    assert "never run Area" in told[1]
    shown = json.loads(codeforge("bench", "show", json.loads(result.stdout)["run"], "--db", str(db), "--task",
                                 "shapes/Area", "--json").stdout)
    statuses = [(s["round"], s["executions"]["tests"]["status"]) for s in shown["samples"]]
    assert statuses == [(0, "compile_error"), (1, "failed"), (2, "passed")]
    first = shown["samples"][0]["executions"]  # the test is its own check: scored once, not again for feedback
    assert first["visible"] == first["tests"]
