"""Any OpenAI-compatible server (vLLM, TGI, Ollama, llama.cpp, OpenAI itself), with the standard library only.

Chat mode posts to {base_url}/chat/completions; base mode (--base-only) posts the prompt text to
{base_url}/completions with the stop sequences. Requests run concurrently (`concurrency` threads) and come
back as they finish. Connection errors, timeouts, 408, 409, 429 and 5xx are retried with exponential backoff
and jitter (a Retry-After header wins); other 4xx are final. A request that still fails becomes a Generation
with finish_reason "error", so one bad request does not end a run, except when no server has answered at
all: then ModelError, because every request would fail the same way.

With --adapter, the adapter's name is sent as the model (vLLM serves LoRA modules under their own names).
The prefill is not sent: most servers would not continue an assistant message, so the model opens its own
fence and `extract_code` reads it as a plain answer (info.prefills is False).
"""

from __future__ import annotations

import http.client
import json
import os
import random
import socket
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from email.utils import parsedate_to_datetime
from typing import Iterator, Optional, Sequence

from ..i18n import _
from ..vocabulary import FinishReason
from .base import Generation, ModelError, ModelInfo, PromptMode, Request, Sampling
from .prompts import KEPT_STOPS, strip_stop

RETRY_STATUSES = {408, 409, 429}
BACKOFF_CAP_S = 30.0


class _Unreachable(Exception):
    """Every attempt of a request failed to connect."""


class OpenAIGenerator:
    backoff_s = 0.5  # first retry delay; doubles per attempt (tests make it small)

    def __init__(self, options):
        if not options.base_url:
            raise ModelError(_("the openai backend talks to a running server: pass --base-url http://host:port/v1"))
        self.options = options
        self.base_url = options.base_url.rstrip("/")
        mode = PromptMode.base if options.base_only else PromptMode.chat
        self.info = ModelInfo(backend="openai", model=options.model, mode=mode, adapter=options.adapter,
                              prefills=False, details={"base_url": self.base_url, "concurrency": options.concurrency,
                                                       "max_retries": options.max_retries})
        self._answered = False  # set once any HTTP response arrives: the server exists
        self._runs: set[threading.Event] = set()  # one per generate() call in progress; set = give up

    # one request -----------------------------------------------------------------------------------------

    def _payload(self, request: Request, sampling: Sampling) -> tuple[str, dict]:
        payload = {"model": self.options.adapter or self.options.model, "temperature": sampling.temperature,
                   "top_p": sampling.top_p, "max_tokens": sampling.max_new_tokens, "seed": request.seed}
        # A server cuts a stop off; a kept stop ("\n}") must stay, so it is applied here instead.
        server_stops = [stop for stop in request.stop if stop not in KEPT_STOPS]
        if server_stops:
            payload["stop"] = server_stops
        if request.messages:
            return "/chat/completions", {**payload, "messages": list(request.messages)}
        return "/completions", {**payload, "prompt": request.text}

    def _post(self, path: str, payload: dict) -> dict:
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(self.options.api_key_env)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        http_request = urllib.request.Request(self.base_url + path, data=json.dumps(payload).encode(),
                                              headers=headers, method="POST")
        with urllib.request.urlopen(http_request, timeout=self.options.request_timeout_s) as response:
            return json.loads(response.read())

    def _ask(self, request: Request, sampling: Sampling, closing: threading.Event) -> Generation:
        path, payload = self._payload(request, sampling)
        started = time.perf_counter()
        error, unreachable, retry_after = "", True, None
        for attempt in range(self.options.max_retries + 1):
            if attempt and closing.wait(self._delay(attempt, retry_after)):
                break  # the caller stopped reading: give up quietly
            retry_after = None
            try:
                body = self._post(path, payload)
            except urllib.error.HTTPError as exc:
                self._answered, unreachable = True, False
                error = f"HTTP {exc.code} from {self.base_url}{path}: {_error_text(exc)}{_hint(exc.code)}"
                if exc.code not in RETRY_STATUSES and exc.code < 500:
                    break
                retry_after = exc.headers.get("Retry-After") if exc.headers else None
                continue
            except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:  # OSError: timeouts, resets
                reason = getattr(exc, "reason", exc)
                unreachable = unreachable and isinstance(reason, (ConnectionRefusedError, socket.gaierror))
                error = f"{type(reason).__name__} from {self.base_url}{path}: {reason}"
                continue
            except ValueError as exc:  # a body that is not JSON: a proxy's error page, a server mid-restart
                self._answered, unreachable = True, False
                error = f"unreadable answer from {self.base_url}{path}: {exc}"
                continue
            self._answered = True
            return _generation(request, body, time.perf_counter() - started)
        if unreachable and not self._answered:
            raise _Unreachable(error)
        return Generation(key=request.key, text="", finish_reason=FinishReason.error, error=error,
                          seconds=time.perf_counter() - started)

    def _delay(self, attempt: int, retry_after: Optional[str]) -> float:
        if retry_after:
            seconds = _retry_after_seconds(retry_after)
            if seconds is not None:
                return min(seconds, 4 * BACKOFF_CAP_S)
        return min(BACKOFF_CAP_S, self.backoff_s * 2 ** (attempt - 1)) * random.uniform(0.5, 1.5)

    # many requests ---------------------------------------------------------------------------------------

    def generate(self, requests: Sequence[Request], sampling: Sampling) -> Iterator[Generation]:
        closing = threading.Event()
        self._runs.add(closing)
        pool = ThreadPoolExecutor(max_workers=self.options.concurrency, thread_name_prefix="codeforge-openai")
        try:
            pending = {pool.submit(self._ask, request, sampling, closing) for request in requests}
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    try:
                        yield future.result()
                    except _Unreachable as exc:
                        raise ModelError(_("no server answers at {url} ({reason}): start it or fix --base-url").format(
                            url=self.base_url, reason=exc)) from None
        finally:
            closing.set()  # wakes retries that are waiting, so an abandoned run ends quickly
            pool.shutdown(wait=True, cancel_futures=True)
            self._runs.discard(closing)

    def close(self) -> None:
        for closing in list(self._runs):
            closing.set()


def _generation(request: Request, body: dict, seconds: float) -> Generation:
    choice = (body.get("choices") or [{}])[0]
    if request.messages:
        text = (choice.get("message") or {}).get("content") or ""
    else:
        text = choice.get("text") or ""
    text, cut = strip_stop(text, request.stop)  # the kept stops, and any a server did not apply
    usage = body.get("usage") or {}
    finish = FinishReason.length if choice.get("finish_reason") == "length" and not cut else FinishReason.stop
    return Generation(key=request.key, text=text, finish_reason=finish,
                      prompt_tokens=int(usage.get("prompt_tokens") or 0),
                      completion_tokens=int(usage.get("completion_tokens") or 0), seconds=seconds)


def _error_text(exc: urllib.error.HTTPError) -> str:
    try:
        raw = exc.read().decode("utf-8", "replace")
    except Exception:
        return exc.reason or ""
    try:
        detail = json.loads(raw)
        message = detail.get("error", detail)
        message = message.get("message", message) if isinstance(message, dict) else message
        return str(message)[:500]
    except (ValueError, AttributeError):
        return raw[:500]


def _hint(status: int) -> str:
    if status in (401, 403):
        return " (set the API key in the variable --api-key-env names)"
    if status == 404:
        return " (check --base-url, which usually ends in /v1, and --model)"
    return ""


def _retry_after_seconds(value: str) -> Optional[float]:
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None
