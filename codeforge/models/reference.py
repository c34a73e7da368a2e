"""The reference backend: answers every request with the dataset's own solution, instantly.

It is the harness's self-check: prompts, extraction, the sandbox and the tests together must score 100% with
it, so a lower score points at the harness, not at a model. It is the only backend given the solutions: the
bench hands it a {task_id: reference} map; requests carry no answers.
"""

from __future__ import annotations

import re
from typing import Collection, Iterator, Mapping, Sequence

from ..vocabulary import FinishReason
from .base import Generation, ModelInfo, PromptMode, Request, Sampling

_FENCE_OPENER = re.compile(r"```([^\s`]*)\n?$")


class ReferenceGenerator:
    def __init__(self, references: Mapping[str, str], prose: Collection[str] = ()):
        self.references = dict(references)
        self.prose = frozenset(prose)
        self.info = ModelInfo(backend="reference", model="reference", mode=PromptMode.chat)

    def generate(self, requests: Sequence[Request], sampling: Sampling) -> Iterator[Generation]:
        for request in requests:
            if request.task_id not in self.references:
                yield Generation(key=request.key, text="", finish_reason=FinishReason.error,
                                 error=f"no reference answer for task {request.task_id!r}")
                continue
            yield Generation(key=request.key, text=self.answer(request), finish_reason=FinishReason.stop)

    def answer(self, request: Request) -> str:
        """The reference as a fenced block, tagged like the block the prefill opened (the bench extracts it
        like any other answer); a prose answer (a text task's) as it is."""
        if request.task_id in self.prose:
            return self.references[request.task_id]
        opener = _FENCE_OPENER.search(request.prefill)
        fence = opener.group(1) if opener else ""
        reference = self.references[request.task_id]
        code = reference if reference.endswith("\n") else reference + "\n"
        return f"```{fence}\n{code}```"

    def close(self) -> None:
        pass
