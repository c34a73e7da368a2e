"""The one protocol every model backend speaks (hf, openai, vllm, reference).

The bench runner builds `Request`s (prompt text or chat messages, stop sequences, a seed per sample) and
hands them to `Generator.generate`, which yields a `Generation` per request as soon as its batch is done,
so programs run in the sandbox while the next batch generates. Backends never see tests or answers: a request
carries its task's id and prompt only (the reference backend is given its answers when it is made).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Callable, Iterator, Optional, Protocol, Sequence

from ..vocabulary import FinishReason


class ModelError(Exception):
    """A model cannot be loaded or asked; the message says what to do next."""


class PromptMode(str, Enum):
    chat = "chat"  # chat template, answer in a fenced block (instruct models)
    base = "base"  # plain continuation of the prompt, cut at stop sequences (base models)


@dataclass(frozen=True)
class Sampling:
    temperature: float = 0.0  # 0: greedy
    top_p: float = 1.0
    max_new_tokens: int = 768


@dataclass(frozen=True)
class Request:
    key: str  # the caller's id for this request, returned on its Generation
    seed: int  # this request's own: its sampled output does not depend on what else is in its batch
    task_id: str = ""
    text: str = ""  # base mode: the prompt to continue
    messages: tuple[dict, ...] = ()  # chat mode: [{"role", "content"}, ...]
    prefill: str = ""  # chat mode: the start of the assistant's answer, which the answer continues
    stop: tuple[str, ...] = ()  # base mode: cut the continuation at the first of these


@dataclass(frozen=True)
class Generation:
    key: str
    text: str  # raw output: the continuation after the prompt (and after the prefill), stop sequence cut off
    finish_reason: FinishReason = FinishReason.stop
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0  # wall time of the batch or request this came from, shared out per request
    error: str = ""  # why a request failed after retries (finish_reason "error"), else ""


@dataclass
class ModelInfo:
    """What a run records about its model (stored with the run, shown in reports)."""

    backend: str
    model: str
    mode: PromptMode
    adapter: Optional[str] = None
    prefills: bool = False  # the backend continues Request.prefill (the answer starts inside an open fence)
    details: dict = field(default_factory=dict)  # dtype, device, quantisation, base url, versions, ...


class Generator(Protocol):
    info: ModelInfo

    def generate(self, requests: Sequence[Request], sampling: Sampling) -> Iterator[Generation]:
        """One Generation per request, in any order, each as soon as it is ready."""
        ...

    def close(self) -> None:
        ...


class LazyGenerator:
    """A model loaded on first use, and only then (a resumed run with nothing left to generate loads none)."""

    def __init__(self, load: "Callable[[], Generator]"):
        self._load, self._loaded = load, None

    def get(self) -> Generator:
        if self._loaded is None:
            self._loaded = self._load()
        return self._loaded

    def close(self) -> None:
        """Free the model, if it was loaded."""
        if self._loaded is not None:
            self._loaded.close()
