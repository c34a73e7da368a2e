"""`codeforge repair` on files and on a dataset, run as a user runs it: the real sandbox, a real store."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "analyzers"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from analyzer_fixtures import (CLEAN_PYTHON, GO_PRINTF_MISUSE, INSECURE_PYTHON, INSECURE_RULES,  # noqa: E402
                               MEMORY_ERRORS_C)
from scripted_server import ScriptedServer  # noqa: E402
from test_repair_scripted import codeforge  # noqa: E402

pytestmark = pytest.mark.docker


def write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text)
    return str(path)


def test_a_dry_run_prints_every_finding_of_every_file_and_stores_nothing(tmp_path, docker_client):
    files = [write(tmp_path, "insecure.py", INSECURE_PYTHON), write(tmp_path, "leaky.c", MEMORY_ERRORS_C),
             write(tmp_path, "vet.go", GO_PRINTF_MISUSE), write(tmp_path, "clean.py", CLEAN_PYTHON)]
    db = tmp_path / "codeforge.db"
    result = codeforge("repair", *files, "--dry-run", "--json", "--db", str(db))
    programs = {Path(p["program"]).name: p for p in json.loads(result.stdout)["programs"]}
    rules = [f["rule"] for f in programs["insecure.py"]["findings"]]
    assert sorted(rules) == sorted(INSECURE_RULES) and all(f["file"] == "insecure.py"
                                                           for f in programs["insecure.py"]["findings"])
    # the C program exits 0; Valgrind's errors are findings all the same
    assert {f["rule"] for f in programs["leaky.c"]["findings"]} >= {"InvalidRead", "Leak_DefinitelyLost"}
    assert {f["tool"] for f in programs["vet.go"]["findings"]} == {"go-vet", "staticcheck"}
    assert programs["clean.py"]["findings"] == [] and not db.exists()
    printed = codeforge("repair", *files, "--dry-run", "--db", str(db)).stdout
    assert all(rule in printed for rule in INSECURE_RULES) and "B602 high CWE-78 line 11" in printed
    assert "nothing generated or stored" in printed


def test_bad_input_gets_one_line_that_says_what_to_do(tmp_path, docker_client):
    rust = write(tmp_path, "main.rs", "fn main() {}\n")
    result = codeforge("repair", rust, "--dry-run", check=False)
    assert result.returncode == 2 and "pass --lang" in result.stderr and "Traceback" not in result.stderr
    result = codeforge("repair", str(tmp_path / "missing.py"), "--dry-run", check=False)
    assert result.returncode == 2 and "no such file" in result.stderr
    result = codeforge("repair", check=False)
    assert result.returncode in (0, 2) and "Usage" in result.stdout + result.stderr
    result = codeforge("repair", "--run", "NOPE", "--db", str(tmp_path / "none.db"), check=False)
    assert result.returncode == 2 and "no results store" in result.stderr
    # a clean file: nothing to do, and no model is loaded (this model does not exist)
    clean = codeforge("repair", write(tmp_path, "clean.py", CLEAN_PYTHON), "--model", "no/such-model",
                      "--db", str(tmp_path / "c.db"))
    assert "nothing to repair" in clean.stdout and clean.returncode == 0


def fixed(messages: list) -> str:
    return "```python\nimport ast\n\n\ndef parse(text):\n    return ast.literal_eval(text)\n```\n"


def test_a_file_is_repaired_and_stored_under_files(tmp_path, docker_client):
    program = write(tmp_path, "parse.py", INSECURE_PYTHON)
    db = tmp_path / "codeforge.db"
    with ScriptedServer(fixed) as server:
        result = codeforge("repair", program, "--backend", "openai", "--model", "scripted", "--base-url",
                           server.url, "--db", str(db), "--epochs", "3", "--json")
        assert len(server.requests) == 1  # clean after the first patch: no second epoch
        shown = server.requests[0]["body"]["messages"][-1]["content"]
    assert all(f"[{rule}," in shown for rule in INSECURE_RULES)  # every finding, not the first
    assert "The analyzers found 9 problems" in shown and "shell=True" in shown
    summary = json.loads(result.stdout)
    assert summary["run"] == "scripted+REPAIR" and summary["dataset"] == "files"
    assert [e["error_free"] for e in summary["epochs"]] == [0, 1, 1, 1]
    with sqlite3.connect(db) as connection:
        kept = connection.execute("SELECT s.round, e.result FROM samples s JOIN executions e ON e.sample_id = s.id"
                                  " WHERE e.purpose = 'analysis' ORDER BY s.round").fetchall()
    assert [(r, json.loads(v)["kept"], json.loads(v)["findings"]) for r, v in kept][1] == (1, True, [])


def test_repair_of_a_dataset_generates_first_then_repairs_and_the_report_shows_it(tmp_path, docker_client):
    """HumanEval's own solutions to 105 (try/except/pass), 160 (eval) and 162 (md5) have bandit findings; the
    reference backend can only answer with the same code, so no patch is kept and nothing gets worse."""
    db, out = tmp_path / "codeforge.db", tmp_path / "report"
    tasks = "HumanEval/0,HumanEval/105,HumanEval/160,HumanEval/162"
    result = codeforge("repair", "humaneval", "--model", "reference", "--analyzers", "bandit,tests", "--tasks", tasks,
                       "--epochs", "2", "--db", str(db), "--json")
    summary = json.loads(result.stdout)
    assert summary["run"] == "reference+REPAIR"
    epochs = summary["epochs"]
    assert [e["error_free"] for e in epochs] == [1, 1, 1] and [e["passed"] for e in epochs] == [4, 4, 4]
    assert [{k: n for k, n in e["rejected"].items() if n} for e in epochs[1:]] == [{"not_fewer_findings": 3}] * 2
    listed = {r["run"]: r for r in json.loads(codeforge("bench", "list", "--db", str(db), "--json").stdout)}
    assert listed["reference"]["workflow"] == "bench" and listed["reference+REPAIR"]["workflow"] == "repair"
    report = json.loads(codeforge("report", "--db", str(db), "--out", str(out), "--json").stdout)
    assert [r["run"] for r in report["repair"]] == ["reference+REPAIR"]
    assert [m["name"] for m in report["methods"]] == ["reference"]


def test_bench_does_not_resume_a_repair_run_of_the_same_name(tmp_path, docker_client):
    from codeforge.store import Store

    db = tmp_path / "codeforge.db"
    with Store.open(db) as store:
        store.create_run("SAME", "humaneval", model="m", backend="openai", adapter=None, prompt_mode="chat",
                         feedback="findings", chain=1, samples_per_task=1, seed=0,
                         config={"workflow": "repair"}, versions={})
    result = codeforge("bench", "humaneval", "--model", "reference", "--tasks", "HumanEval/0", "--db", str(db),
                       "--run-name", "SAME", check=False)
    assert result.returncode == 2 and "is a repair run" in result.stderr
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT COUNT(*) FROM samples").fetchone()[0] == 0
