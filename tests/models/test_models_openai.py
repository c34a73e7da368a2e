"""The OpenAI-compatible backend against a real HTTP server on 127.0.0.1 (http.server in a thread)."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from codeforge.models import ModelError, ModelOptions, PromptMode, Request, Sampling, load_generator
from codeforge.models.openai import OpenAIGenerator
from codeforge.models.prompts import chat_prompt, stop_sequences


class FakeServer:
    """Answers /v1/chat/completions and /v1/completions; `script(path, body, attempt)` may return
    (status, headers, payload) to answer otherwise. Records every request it sees."""

    def __init__(self, delay_s: float = 0.0, script=None):
        self.delay_s = delay_s
        self.script = script
        self.seen: list[dict] = []
        self.in_flight = self.most_in_flight = 0
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with server.lock:
                    server.seen.append({"path": self.path, "body": body, "headers": dict(self.headers)})
                    attempt = sum(1 for s in server.seen if _key(s["body"]) == _key(body))
                    server.in_flight += 1
                    server.most_in_flight = max(server.most_in_flight, server.in_flight)
                try:
                    time.sleep(server.delay_s)
                    answer = server.script(self.path, body, attempt) if server.script else None
                    status, headers, payload = answer or (200, {}, server.ok(self.path, body))
                    data = json.dumps(payload).encode()
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                finally:
                    with server.lock:
                        server.in_flight -= 1

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                       daemon=True)

    @staticmethod
    def ok(path: str, body: dict) -> dict:
        if path.endswith("/chat/completions"):
            content = f"```python\n# for {_key(body)}\ndef f():\n    return 1\n```"
            choice = {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
        else:
            choice = {"index": 0, "text": "\treturn a\n}\n\nfunc main() {\n}\n", "finish_reason": "stop"}
        return {"id": "x", "choices": [choice], "usage": {"prompt_tokens": 11, "completion_tokens": 7}}

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def _key(body: dict) -> str:
    return str(body.get("seed"))


def generator(url, **options):
    gen = OpenAIGenerator(ModelOptions(backend="openai", model="served-model", base_url=url, **options))
    gen.backoff_s = 0.01
    return gen


def chat_requests(n):
    messages, prefill = chat_prompt("def f():\n", "python")
    return [Request(key=f"t/{i}", seed=i, messages=messages, prefill=prefill) for i in range(n)]


def test_chat_requests_run_concurrently_and_come_back_as_generations():
    with FakeServer(delay_s=0.2) as server:
        gen = generator(server.url, concurrency=4)
        assert gen.info.mode is PromptMode.chat and not gen.info.prefills
        started = time.perf_counter()
        results = {g.key: g for g in gen.generate(chat_requests(8), Sampling(temperature=0.2, max_new_tokens=50))}
        elapsed = time.perf_counter() - started
    assert sorted(results) == [f"t/{i}" for i in range(8)]
    assert server.most_in_flight == 4
    assert elapsed < 8 * 0.2 * 0.75  # two waves of four, not eight in a row
    first = results["t/3"]
    assert (first.finish_reason, first.prompt_tokens, first.completion_tokens) == ("stop", 11, 7)
    assert "# for 3\n" in first.text
    body = server.seen[0]["body"]
    assert server.seen[0]["path"] == "/v1/chat/completions"
    assert body["model"] == "served-model" and body["max_tokens"] == 50 and body["temperature"] == 0.2
    # The prefill is not sent: the conversation ends with the user's turn.
    assert [m["role"] for m in body["messages"]] == ["user"] and "stop" not in body


def test_generations_come_back_as_they_finish_not_in_request_order():
    def script(path, body, attempt):
        if body["seed"] == 0:
            time.sleep(0.5)  # the first request is the slow one
        return None

    with FakeServer(script=script) as server:
        keys = [g.key for g in generator(server.url, concurrency=3).generate(chat_requests(3), Sampling())]
    assert keys[-1] == "t/0" and sorted(keys) == ["t/0", "t/1", "t/2"]


def test_base_mode_posts_completions_and_keeps_the_closing_brace():
    with FakeServer() as server:
        gen = generator(server.url, base_only=True)
        assert gen.info.mode is PromptMode.base
        request = Request(key="go/0", seed=1, text="func Max(a, b int) int {\n", stop=stop_sequences("go"))
        [result] = list(gen.generate([request], Sampling(max_new_tokens=30)))
    assert server.seen[0]["path"] == "/v1/completions"
    body = server.seen[0]["body"]
    assert body["prompt"] == request.text
    assert "\n}" not in body["stop"] and "\nfunc main" in body["stop"]  # a server would drop the brace
    assert result.text == "\treturn a\n}\n"


def test_length_finish_reason_is_passed_on():
    def script(path, body, attempt):
        return 200, {}, {"choices": [{"message": {"content": "def f(:"}, "finish_reason": "length"}],
                         "usage": {"prompt_tokens": 3, "completion_tokens": 4}}

    with FakeServer(script=script) as server:
        [result] = list(generator(server.url).generate(chat_requests(1), Sampling(max_new_tokens=4)))
    assert (result.finish_reason, result.text) == ("length", "def f(:")


def test_a_500_then_a_429_are_retried_and_retry_after_is_honoured():
    def script(path, body, attempt):
        if attempt == 1:
            return 500, {}, {"error": {"message": "boom"}}
        if attempt == 2:
            return 429, {"Retry-After": "1"}, {"error": {"message": "slow down"}}
        return None

    with FakeServer(script=script) as server:
        started = time.perf_counter()
        [result] = list(generator(server.url).generate(chat_requests(1), Sampling()))
        elapsed = time.perf_counter() - started
    assert result.finish_reason == "stop" and result.error == ""
    assert len(server.seen) == 3
    assert elapsed >= 1.0  # waited as the server asked, not the 10 ms backoff


def test_after_max_retries_the_request_becomes_an_error_generation():
    def script(path, body, attempt):
        return 503, {}, {"error": {"message": "overloaded"}}

    with FakeServer(script=script) as server:
        results = list(generator(server.url, max_retries=2).generate(chat_requests(2), Sampling()))
    assert len(results) == 2 and len(server.seen) == 2 * 3
    assert all(r.finish_reason == "error" and "HTTP 503" in r.error and "overloaded" in r.error for r in results)


def test_other_client_errors_are_not_retried():
    def script(path, body, attempt):
        return 404, {}, {"error": {"message": "model 'served-model' not found"}}

    with FakeServer(script=script) as server:
        [result] = list(generator(server.url).generate(chat_requests(1), Sampling()))
    assert len(server.seen) == 1
    assert result.finish_reason == "error" and "not found" in result.error and "--base-url" in result.error


def test_a_server_that_nobody_runs_is_a_model_error():
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gen = generator(f"http://127.0.0.1:{port}/v1", max_retries=1)
    with pytest.raises(ModelError, match=f"no server answers at http://127.0.0.1:{port}/v1.*--base-url"):
        list(gen.generate(chat_requests(3), Sampling()))


def test_the_api_key_comes_from_the_named_variable_and_is_not_recorded(monkeypatch):
    monkeypatch.setenv("CODEFORGE_TEST_KEY", "sk-secret-123")
    with FakeServer() as server:
        gen = generator(server.url, api_key_env="CODEFORGE_TEST_KEY")
        list(gen.generate(chat_requests(1), Sampling()))
    assert server.seen[0]["headers"]["Authorization"] == "Bearer sk-secret-123"
    assert "sk-secret-123" not in repr(gen.info) and "sk-secret-123" not in repr(vars(gen))


def test_no_key_no_authorization_header(monkeypatch):
    monkeypatch.delenv("CODEFORGE_TEST_KEY", raising=False)
    with FakeServer() as server:
        list(generator(server.url, api_key_env="CODEFORGE_TEST_KEY").generate(chat_requests(1), Sampling()))
    assert "Authorization" not in server.seen[0]["headers"]


def test_base_url_is_required():
    with pytest.raises(ModelError, match="--base-url http://host:port/v1"):
        load_generator(ModelOptions(backend="openai"))
