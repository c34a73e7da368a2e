"""The reference backend: answers every request with the dataset's own solution, instantly.

It is the harness's self-check: prompts, extraction, the sandbox and the tests together must score 100% with
it, so a lower score points at the harness, not at a model.
"""

from __future__ import annotations

import re
from typing import Iterator, Sequence

from .base import Generation, ModelInfo, PromptMode, Request, Sampling

_FENCE_OPENER = re.compile(r"```([^\s`]*)\n?$")


class ReferenceGenerator:
    def __init__(self, options=None):
        self.info = ModelInfo(backend="reference", model="reference", mode=PromptMode.chat)

    def generate(self, requests: Sequence[Request], sampling: Sampling) -> Iterator[Generation]:
        for request in requests:
            yield Generation(key=request.key, text=self.answer(request), finish_reason="stop")

    @staticmethod
    def answer(request: Request) -> str:
        """The reference as a fenced block, tagged like the block the prefill opened (the bench extracts it
        like any other answer)."""
        opener = _FENCE_OPENER.search(request.prefill)
        fence = opener.group(1) if opener else ""
        code = request.reference if request.reference.endswith("\n") else request.reference + "\n"
        return f"```{fence}\n{code}```"

    def close(self) -> None:
        pass
