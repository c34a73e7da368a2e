"""Score programs in the sandbox: every one of a call's jobs is queued at once, so all workers stay busy.

    from codeforge.rewards import score
    results = score([(task, code), ...], sandbox)          # -> [RewardResult], in the given order

A code of None (the completion held no code) runs nothing. Model code runs only in the sandbox. A job the
sandbox could not run (a `sandbox_error`, or the sandbox raising: no engine, no image) gets no reward (None),
never a zero: it says nothing about the program.
"""

from __future__ import annotations

import asyncio
import itertools
from concurrent.futures import Future
from typing import Iterable, Optional, Sequence

from ..i18n import english
from ..sandbox.jobs import Result, Status
from ..tasks.base import Task
from .outcomes import RewardResult, Verdict, outcomes_of, verdict_of
from .rules import RewardKind, RewardRule, RewardShape, rule_for

_ids = itertools.count(1)


class Pending:
    """A call's jobs, queued in the sandbox: one entry per completion (None: nothing to run)."""

    def __init__(self, items: Sequence[tuple[Task, Optional[str]]], sandbox, rule: RewardRule,
                 timeout_s: Optional[float], memory_mb: Optional[int]):
        self.items, self.rule = list(items), rule
        self.futures: list[Optional[Future]] = []
        self.refused: dict[int, str] = {}  # index -> why the sandbox would not take the job
        call = next(_ids)
        for index, (task, code) in enumerate(self.items):
            if code is None:
                self.futures.append(None)
                continue
            job = rule.job(task, code).job(f"reward-{call}-{index}", timeout_s, memory_mb)
            try:
                self.futures.append(sandbox.submit(job))
            except Exception as exc:  # a closed sandbox: no verdict for this one
                self.futures.append(None)
                self.refused[index] = english(exc)  # it goes into the rewards log

    def results(self, outcomes: Sequence[Optional[object]]) -> list[RewardResult]:
        """`outcomes`: per completion, its Result, the exception its job raised, or None when nothing ran."""
        return [self._scored(index, outcome) for index, outcome in enumerate(outcomes)]

    def _scored(self, index: int, outcome: Optional[object]) -> RewardResult:
        task, code = self.items[index]
        if isinstance(outcome, Result):
            tests = outcomes_of(outcome)
            verdict = verdict_of(outcome, tests)
            error = str(outcome.details.get("sandbox") or outcome.details.get("error") or "")
            if outcome.status is Status.sandbox_error and not error:
                error = outcome.stderr.strip()[-300:]
            scored = RewardResult(task.task_id, verdict, None, outcome.status, tests, outcome.duration_s, error,
                                  outcome.details)
        elif index in self.refused or outcome is not None:  # the sandbox raised: no engine, no image, closed
            why = self.refused.get(index) or english(outcome).splitlines()[0]
            scored = RewardResult(task.task_id, Verdict.no_verdict, None, error=why)
        else:
            scored = RewardResult(task.task_id, Verdict.no_code, None, error="the completion holds no code")
        reward = None if scored.verdict is Verdict.no_verdict else self.rule.reward(scored)
        return RewardResult(scored.task_id, scored.verdict, reward, scored.status, scored.tests, scored.seconds,
                            scored.error, scored.details)


def score(items: Iterable[tuple[Task, Optional[str]]], sandbox, kind: RewardKind = RewardKind.tests,
          shape: RewardShape = RewardShape.fraction, timeout_s: Optional[float] = None,
          memory_mb: Optional[int] = None, rule: Optional[RewardRule] = None) -> list[RewardResult]:
    """Run each (task, code) in `sandbox` (a DockerSandbox: its `submit`) and score it; results in the given
    order. `rule` overrides `kind` and `shape`; `timeout_s` and `memory_mb` override the tasks' limits."""
    pending = Pending(list(items), sandbox, rule or rule_for(kind, shape), timeout_s, memory_mb)
    return pending.results([_outcome(future) for future in pending.futures])


async def score_async(items: Iterable[tuple[Task, Optional[str]]], sandbox, kind: RewardKind = RewardKind.tests,
                      shape: RewardShape = RewardShape.fraction, timeout_s: Optional[float] = None,
                      memory_mb: Optional[int] = None, rule: Optional[RewardRule] = None) -> list[RewardResult]:
    """`score` for an event loop: the loop runs other work (another reward) while the sandbox runs these."""
    pending = Pending(list(items), sandbox, rule or rule_for(kind, shape), timeout_s, memory_mb)
    waiting = [asyncio.wrap_future(future) for future in pending.futures if future is not None]
    done = iter(await asyncio.gather(*waiting, return_exceptions=True))
    return pending.results([next(done) if future is not None else None for future in pending.futures])


def _outcome(future: Optional[Future]) -> Optional[object]:
    if future is None:
        return None
    try:
        return future.result()
    except Exception as exc:
        return exc
