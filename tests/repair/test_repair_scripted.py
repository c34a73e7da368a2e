"""`codeforge repair --run NAME` over a scripted OpenAI-compatible server, the real sandbox and a real store: what
the model is shown, which patches are kept and why, and the numbers per epoch the scripted answers imply."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from scripted_server import ScriptedServer  # noqa: E402

from codeforge.store import Store  # noqa: E402

pytestmark = pytest.mark.docker

HEAD = {
    "HumanEval/2": "def truncate_number(number: float) -> float:\n",
    "HumanEval/7": "from typing import List\n\n\ndef filter_by_substring(strings: List[str], substring: str) -> List[str]:\n",
    "HumanEval/13": "def greatest_common_divisor(a: int, b: int) -> int:\n",
    "HumanEval/23": "def strlen(string: str) -> int:\n",
}
ENTRY = {"HumanEval/2": "truncate_number", "HumanEval/7": "filter_by_substring",
         "HumanEval/13": "greatest_common_divisor", "HumanEval/23": "strlen"}
FIRST = {  # what the bench run stored
    "HumanEval/2": "    return eval('number % 1.0')\n",  # right, but eval: B307 (medium)
    "HumanEval/7": "    return strings\n",  # wrong: the tests fail (a high finding)
    "HumanEval/13": "    import subprocess\n    while b:\n        a, b = b, a % b\n    return a\n",  # right; B404 (low)
    "HumanEval/23": "    return len(string)\n",  # right and clean: done after epoch 0
}
PATCHES = {  # the repair epochs' answers, in order
    "HumanEval/2": ["    return number\n",  # no eval, but it breaks the tests: rejected
                    "    return number % 1.0\n"],  # kept
    "HumanEval/7": ["    return [s for s in strings if substring in s]\n"],  # kept at once
    "HumanEval/13": [None, None],  # no code at all, twice
}


def task_of(text: str) -> str:
    return next(t for t, name in ENTRY.items() if f"def {name}(" in text)


def answer(messages: list) -> str:
    text = messages[-1]["content"]
    task = task_of(text)
    if "The analyzers found" not in text:
        return f"```python\n{HEAD[task]}{FIRST[task]}```\n"
    asked = sum(1 for m in REQUESTS if task_of(m) == task)
    REQUESTS.append(text)
    body = PATCHES[task][min(asked, len(PATCHES[task]) - 1)]
    return "I would rather not change it." if body is None else f"Fixed:\n```python\n{HEAD[task]}{body}```\n"


REQUESTS: list[str] = []


def codeforge(*args: str, check: bool = True):
    result = subprocess.run([sys.executable, "-m", "codeforge", *args], capture_output=True, text=True, timeout=600,
                            env=os.environ.copy())
    if check and result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}")
    return result


def stored(db: Path, name: str) -> dict:
    with Store.open(db, create=False) as store:
        run = store.run(name)
        return {(s.task_id, s.round): s for s in store.samples(run.id)}


def test_repair_keeps_only_patches_that_pass_and_have_fewer_findings(tmp_path, docker_client):
    REQUESTS.clear()
    db, export = tmp_path / "codeforge.db", tmp_path / "epochs"
    tasks = ",".join(HEAD)
    with ScriptedServer(answer) as server:
        model = ["--backend", "openai", "--model", "scripted", "--base-url", server.url, "--db", str(db)]
        codeforge("bench", "humaneval", *model, "--tasks", tasks, "--run-name", "BASE")
        with sqlite3.connect(db) as connection:
            before = connection.execute("SELECT * FROM samples ORDER BY id").fetchall()
        result = codeforge("repair", "--run", "BASE", *model, "--analyzers", "bandit,tests", "--epochs", "2",
                           "--export-dir", str(export), "--json")
        asked = len(server.requests)
        again = codeforge("repair", "--run", "BASE", *model, "--analyzers", "bandit,tests", "--epochs", "2",
                          "--json")
        assert len(server.requests) == asked  # the same command again: everything is stored, nothing is asked

    # the bench run is untouched; the repair is a new run beside it
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT * FROM samples WHERE id <= ? ORDER BY id", (before[-1][0],)).fetchall() \
            == before
    samples = stored(db, "BASE+REPAIR")

    # what the model was shown: the task, the code, every finding; then why its last patch was not kept
    first_2 = next(r for r in REQUESTS if "truncate_number" in r)
    assert "Return the decimal part of the number" in first_2  # the task's own prompt
    assert "return eval('number % 1.0')" in first_2 and "B307" in first_2 and "line 2" in first_2
    second_2 = [r for r in REQUESTS if "truncate_number" in r][1]
    assert "did not pass the task's tests" in second_2 and "return eval(" in second_2  # still the kept code
    shown_7 = next(r for r in REQUESTS if "filter_by_substring" in r)
    assert "tests (1)" in shown_7 and "test-failed" in shown_7
    assert not any("strlen" in r for r in REQUESTS)  # clean from the start: never sent

    def verdict(task, epoch):
        return samples[(task, epoch)].executions["analysis"].result

    assert verdict("HumanEval/2", 1)["reason"] == "fails_tests" and not verdict("HumanEval/2", 1)["kept"]
    assert verdict("HumanEval/2", 2)["kept"] and verdict("HumanEval/2", 2)["findings"] == []
    assert verdict("HumanEval/7", 1)["kept"] and ("HumanEval/7", 2) not in samples
    assert [verdict("HumanEval/13", e)["reason"] for e in (1, 2)] == ["no_code", "no_code"]
    assert samples[("HumanEval/13", 1)].code is None
    assert ("HumanEval/23", 1) not in samples

    summary = json.loads(result.stdout)
    epochs = summary["epochs"]
    assert [e["error_free"] for e in epochs] == [1, 2, 3]  # 23; + 7; + 2
    assert [e["passed"] for e in epochs] == [3, 4, 4]  # pass@1 never drops: 7 is fixed, 2's broken patch is not kept
    assert [e["kept"] for e in epochs[1:]] == [1, 1]
    assert {k: n for k, n in epochs[1]["rejected"].items() if n} == {"fails_tests": 1, "no_code": 1}
    assert json.loads(again.stdout)["epochs"] == epochs

    # --export-dir: each program's epochs in its own folder, with the findings beside them
    folder = export / "HumanEval_2"
    assert "eval(" in (folder / "epoch-0.py").read_text() and (folder / "epoch-1.py").read_text().endswith(
        "return number\n")
    assert json.loads((folder / "epoch-1.findings.json").read_text())["reason"] == "fails_tests"
    assert (folder / "repaired.py").read_text().endswith("return number % 1.0\n")
