"""`codeforge serve --allow-runs`: bench's options as a form, a run started from it with its progress streamed as
server-sent events, and a cancel that keeps what finished. In-process (FastAPI's TestClient) on text tasks, which
need no engine, against a scripted OpenAI-compatible server; the whole command in a browser is in
test_serve_browser.py."""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from conftest import need

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from scripted_server import ScriptedServer  # noqa: E402

from codeforge.store import Store  # noqa: E402

ROWS = [{"kind": "text", "task_id": f"sum/{i}", "prompt": f"Summarize item {i}.", "reference": f"Item {i}."}
        for i in range(6)]


@pytest.fixture
def app(tmp_path, monkeypatch):
    need("httpx", "FastAPI's TestClient needs it")
    from fastapi.testclient import TestClient

    from codeforge.serve.app import create_app

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    db = tmp_path / "codeforge.db"
    Store.open(db).close()
    data = tmp_path / "text.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in ROWS), encoding="utf-8")
    return TestClient(create_app(db, allow_runs=True)), db, data


def events(client, job: str) -> list[dict]:
    with client.stream("GET", f"{job}/events") as stream:
        return [json.loads(line[len("data: "):]) for line in stream.iter_lines() if line.startswith("data: ")]


def test_the_form_has_benchs_options_and_refuses_what_bench_refuses(app):
    client, _, _ = app
    form = client.get("/runs/new").text
    for name in ("dataset", "model", "limit", "chain", "feedback", "metrics", "temperature", "run_name"):
        assert f'name="{name}"' in form
    assert 'name="db"' not in form  # runs go into the server's store
    refused = client.post("/runs/new", data={"dataset": "humaneval", "model": "reference", "limit": "many"})
    assert refused.status_code == 400 and "limit takes a whole number" in refused.text
    assert 'value="many"' in refused.text  # the form comes back as it was filled
    assert client.post("/runs/new", data={"model": "reference"}).status_code == 400  # no dataset


def test_a_started_run_streams_its_progress_and_is_stored(app):
    client, db, data = app
    started = client.post("/runs/new", data={"dataset": f"jsonl:{data}", "model": "reference", "metrics": "chrf"},
                          follow_redirects=False)
    assert started.status_code == 303
    job = started.headers["location"]
    found = events(client, job)
    kinds = [e["kind"] for e in found]
    assert kinds[:3] == ["model_loading", "model_loaded", "round"] and kinds[-1] == "finished"
    assert kinds.count("generated") == 6 and kinds.count("answered") == 6
    with Store.open(db) as store:
        (run,) = store.runs()
        assert run.finished_at is not None and len(store.samples(run.id)) == 6
    assert found[-1]["run"] == run.id and found[-1]["tasks"] == 6
    assert events(client, job) == found  # a page opened later gets every event again


def test_cancelling_stops_the_run_and_keeps_what_finished(app):
    client, db, data = app
    first = threading.Event()

    def slowly(messages):
        first.set()
        time.sleep(0.3)
        return "A summary."

    with ScriptedServer(slowly) as server:
        started = client.post("/runs/new", data={
            "dataset": f"jsonl:{data}", "backend": "openai", "model": "scripted", "base_url": server.url,
            "concurrency": "1", "metrics": "chrf"}, follow_redirects=False)
        job = started.headers["location"]
        assert first.wait(30)
        assert client.post(f"{job}/cancel", follow_redirects=False).status_code == 303
        found = events(client, job)
    assert found[-1]["kind"] == "cancelled"
    with Store.open(db) as store:
        (run,) = store.runs()
        stored = len(store.samples(run.id))
        assert run.finished_at is None  # unfinished: the same settings again resume it
    assert 1 <= stored < len(ROWS) and found[-1]["stored"] == stored and found[-1]["run"] == run.id


@pytest.mark.docker
def test_the_playground_tries_one_task_wrong_then_feedback_then_right(app, docker_client):
    from test_bench_cli import wrong_then_right

    client, db, _ = app
    with ScriptedServer(wrong_then_right) as server:
        started = client.post("/playground", data={
            "dataset": "humaneval", "task": "HumanEval/0", "backend": "openai", "model": "scripted",
            "base_url": server.url, "chain": "2", "feedback": "visible"}, follow_redirects=False)
        assert started.status_code == 303, started.text
        job = started.headers["location"]
        found = events(client, job)
    assert found[-1]["kind"] == "finished" and found[-1]["solved"] == 1
    rounds = client.get(f"{job}/rounds")
    assert rounds.status_code == 286  # the run ended: htmx stops asking
    shown = rounds.text
    assert 'id="sample-0-round-0"' in shown and 'id="sample-0-round-1"' in shown
    assert 'id="sample-0-round-2"' not in shown  # right in round 1: no third round
    assert ">failed<" in shown and ">passed<" in shown and "Feedback sent (visible)" in shown
    with Store.open(db) as store:
        (run,) = store.runs()
        assert run.name.startswith("PLAYGROUND-") and store.task_ids(run.id) == ["HumanEval/0"]


def test_the_playground_refuses_a_task_it_cannot_load_before_anything_runs(app):
    client, db, _ = app
    refused = client.post("/playground", data={"dataset": "humaneval", "task": "HumanEval/999", "model": "reference"})
    assert refused.status_code == 400 and "HumanEval/999" in refused.text
    assert client.post("/playground", data={"dataset": "humaneval", "model": "reference"}).status_code == 400
    with Store.open(db) as store:
        assert store.runs() == []


@pytest.mark.slow
def test_a_playground_backend_that_does_not_answer_is_said_on_the_page_and_leaves_nothing(app):
    client, db, _ = app
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    started = client.post("/playground", data={
        "dataset": "humaneval", "task": "HumanEval/0", "backend": "openai", "model": "scripted",
        "base_url": f"http://127.0.0.1:{port}/v1", "chain": "1"}, follow_redirects=False)
    found = events(client, started.headers["location"])
    assert found[-1]["kind"] == "failed" and "no server answers" in found[-1]["message"]
    assert found[-1]["run"] is None
    with Store.open(db) as store:
        assert store.runs() == []  # nothing stored half done


@pytest.mark.docker
def test_the_playground_repairs_an_answer_from_the_analyzers_findings(app, docker_client):
    from test_bench_cli import WRONG, right

    client, db, _ = app
    answers = iter([WRONG["HumanEval/0"], right("HumanEval/0")])

    def first_wrong_then_right(messages):
        return f"```python\n{next(answers, right('HumanEval/0'))}```\n"

    with ScriptedServer(first_wrong_then_right) as server:
        form = urlencode([("dataset", "humaneval"), ("task", "HumanEval/0"), ("backend", "openai"),
                          ("model", "scripted"), ("base_url", server.url), ("analyzers", "tests"), ("epochs", "2")])
        started = client.post("/playground", content=form, follow_redirects=False,
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert started.status_code == 303, started.text
        job = started.headers["location"]
        found = events(client, job)
    kinds = [e["kind"] for e in found]
    assert "round" in kinds and "epoch" in kinds and found[-1]["kind"] == "finished"
    assert {"kind": "judged", "kept": True} in [{k: e[k] for k in ("kind", "kept")} for e in found
                                                 if e["kind"] == "judged"]
    shown = client.get(f"{job}/rounds").text
    assert "Generated" in shown and "Repair epochs" in shown and "Sandbox: analysis" in shown
    with Store.open(db) as store:
        kinds = {r.name: r.workflow.value for r in store.runs()}
    assert kinds.pop("scripted") == "bench" and list(kinds.values()) == ["repair"]
    assert next(iter(kinds)).startswith("PLAYGROUND-") and found[-1]["name"] == next(iter(kinds))
