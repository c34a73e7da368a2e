"""A reward function for trl's GRPOTrainer, backed by the sandbox.

    reward = SandboxReward(tasks, sandbox, kind=RewardKind.tests, shape=RewardShape.fraction, group_size=8)
    trainer = GRPOTrainer(..., reward_funcs=[reward])

trl calls it with the step's `prompts` and `completions`, every dataset column (the one named `task_column`
says which task each completion answers) and, in trl 1.16, `log_extra` and `log_metric`. It is async: trl runs
async reward functions together on its event loop, so this one waits on the sandbox while others work. Every
completion of the call is queued in the sandbox at once (all workers busy); each gets one float, or None when the
sandbox could not run it (trl leaves such a completion out; `stats.unscored` counts them).

Code comes out of a completion as bench takes it out of an answer: a chat completion (a list of messages) through
`extract_code`, a plain continuation of the prompt through the task's `code_from_completion`.

Logged per call, when trl gives the hooks: per completion the verdict, the sandbox's status, the per-test
outcomes and the reward (columns `<name>/...` of trl's completions table); per call the seconds it waited, the
completions it could not score, and the share of groups whose rewards are all equal (`<name>/...` metrics). With
`log_file`, every scored completion is also appended there as one JSON line.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence, Union

from ..i18n import _
from ..models.base import PromptMode
from ..models.prompts import extract_code
from ..sandbox.engine import SandboxUnavailable
from ..tasks.base import Task
from .groups import check_group_size, zero_variance_share
from .outcomes import RewardResult, Verdict
from .rules import RewardKind, RewardRule, RewardShape, rule_for
from .score import score, score_async

# What trl passes a reward function besides the dataset's columns.
TRL_KEYWORDS = ("completion_ids", "trainer_state", "log_extra", "log_metric", "environments")


@dataclass
class RewardStats:
    """Running totals of one reward function: calls, completions, those it could not score (the sandbox
    failed), groups and groups whose rewards were all equal, and the seconds calls spent waiting."""

    calls: int = 0
    completions: int = 0
    unscored: int = 0
    groups: int = 0
    zero_variance_groups: int = 0
    seconds: float = 0.0

    def wait_share(self, wall_seconds: float) -> float:
        """The share of `wall_seconds` (a training run's, say) spent waiting on this reward."""
        return self.seconds / wall_seconds if wall_seconds > 0 else 0.0


class SandboxReward:
    """The `tests` (or `graded`) reward as a trl reward function: `await reward(prompts, completions, **columns)`
    -> one float or None per completion. `score_completions` is the same without an event loop."""

    def __init__(self, tasks: Union[Mapping[str, Task], Sequence[Task]], sandbox,
                 kind: RewardKind = RewardKind.tests, shape: RewardShape = RewardShape.fraction,
                 task_column: str = "task_id", group_size: Optional[int] = None,
                 prompt_mode: Optional[PromptMode] = None, prefilled: bool = False,
                 timeout_s: Optional[float] = None, memory_mb: Optional[int] = None,
                 rule: Optional[RewardRule] = None, name: Optional[str] = None, log_file: Optional[Path] = None):
        """`tasks`: the tasks the dataset's `task_column` names. `group_size`: completions per prompt (trl's
        num_generations), for the zero-variance share. `prompt_mode`: how code is taken out of a completion
        (default: chat for a list of messages, base for text); `prefilled`: chat answers continue a prefill that
        opened a code block (bench's chat prompts). `rule` overrides `kind` and `shape`."""
        self.tasks = dict(tasks) if isinstance(tasks, Mapping) else {task.task_id: task for task in tasks}
        self.sandbox, self.task_column = sandbox, task_column
        self.kind, self.shape = RewardKind(kind), RewardShape(shape)
        self.rule = rule or rule_for(self.kind, self.shape)
        self.group_size, self.prompt_mode, self.prefilled = group_size, prompt_mode, prefilled
        self.timeout_s, self.memory_mb = timeout_s, memory_mb
        # trl names a reward function's logs after its __name__ (rewards/<name>/mean).
        self.__name__ = name or (f"{self.kind.value}_{self.shape.value}" if self.kind is RewardKind.tests
                                 else self.kind.value).replace("-", "_")
        self.log_file = Path(log_file) if log_file is not None else None
        self.stats = RewardStats()
        self._lock = threading.Lock()

    async def __call__(self, prompts: Sequence, completions: Sequence, **columns: Any) -> list[Optional[float]]:
        started = time.perf_counter()
        items = self._items(completions, columns)
        results = await score_async(items, self.sandbox, rule=self.rule, timeout_s=self.timeout_s,
                                    memory_mb=self.memory_mb)
        return self._finish(results, time.perf_counter() - started, columns)

    def score_completions(self, prompts: Sequence, completions: Sequence, **columns: Any) -> list[Optional[float]]:
        """The reward without an event loop (scripts, other trainers)."""
        started = time.perf_counter()
        results = score(self._items(completions, columns), self.sandbox, rule=self.rule, timeout_s=self.timeout_s,
                        memory_mb=self.memory_mb)
        return self._finish(results, time.perf_counter() - started, columns)

    # -- completions -> programs ---------------------------------------------------------------------------

    def _items(self, completions: Sequence, columns: Mapping[str, Any]) -> list[tuple[Task, Optional[str]]]:
        if self.group_size:
            check_group_size(len(completions), self.group_size)
        if self.task_column not in columns:
            given = ", ".join(sorted(k for k in columns if k not in TRL_KEYWORDS))
            # untranslated: API misuse (trainer setup)
            raise ValueError(f"the reward needs the dataset column {self.task_column!r} (each completion's task "
                             f"id), and the columns given are: {given or 'none'}; keep it in the dataset")
        task_ids = list(columns[self.task_column])
        if len(task_ids) != len(completions):
            # untranslated: API misuse
            raise ValueError(f"{len(completions)} completions but {len(task_ids)} values of {self.task_column!r}")
        unknown = sorted({str(t) for t in task_ids if str(t) not in self.tasks})
        if unknown:
            # untranslated: API misuse
            raise ValueError(f"the reward knows no task {', '.join(map(repr, unknown[:5]))}: build it from the "
                             "tasks the training data was made from")
        return [(self.tasks[str(t)], self.code(self.tasks[str(t)], c)) for t, c in zip(task_ids, completions)]

    def code(self, task: Task, completion: Union[str, Sequence[Mapping]]) -> Optional[str]:
        """The program in a completion, as bench takes it out of an answer (None: it holds none)."""
        chat = not isinstance(completion, str)
        text = completion if isinstance(completion, str) else \
            "".join(str(m.get("content") or "") for m in completion if m.get("role", "assistant") == "assistant")
        mode = self.prompt_mode or (PromptMode.chat if chat else PromptMode.base)
        if mode is PromptMode.base:
            return task.code_from_completion(text)
        return extract_code(text, task.language.value, task.entry_point, prefilled=self.prefilled,
                            answer=task.answer)

    # -- bookkeeping ---------------------------------------------------------------------------------------

    def _finish(self, results: list[RewardResult], seconds: float, columns: Mapping[str, Any]) -> list[Optional[float]]:
        rewards = [result.reward for result in results]
        unavailable = [r for r in results if r.verdict is Verdict.no_verdict and r.status is None]
        if results and len(unavailable) == len(results):
            # Nothing could run at all (no engine, no image): every reward would be missing, and training on
            # nothing would go on without a word. Stop the step instead, saying why.
            raise SandboxUnavailable(_("the {name} reward could not run any completion in the sandbox: {error}")
                                     .format(name=self.__name__, error=unavailable[0].error))
        share = zero_variance_share(rewards, self.group_size) if self.group_size else None
        unscored = sum(reward is None for reward in rewards)
        with self._lock:
            self.stats.calls += 1
            self.stats.completions += len(results)
            self.stats.unscored += unscored
            self.stats.seconds += seconds
            if share is not None:
                groups = len(results) // self.group_size
                self.stats.groups += groups
                self.stats.zero_variance_groups += round(share * groups)
        self._log(results, seconds, unscored, share, columns)
        return rewards

    def _log(self, results: list[RewardResult], seconds: float, unscored: int, share: Optional[float],
             columns: Mapping[str, Any]) -> None:
        log_extra, log_metric = columns.get("log_extra"), columns.get("log_metric")
        name = self.__name__
        if callable(log_extra):
            log_extra(f"{name}/verdict", [r.verdict.value for r in results])
            log_extra(f"{name}/status", [r.status.value if r.status else None for r in results])
            log_extra(f"{name}/tests", [json.dumps([[t.name, t.outcome] for t in r.tests]) for r in results])
            log_extra(f"{name}/reward", [r.reward for r in results])
        if callable(log_metric):
            log_metric(f"{name}/seconds", seconds)
            log_metric(f"{name}/unscored", float(unscored))
            if share is not None:
                log_metric(f"{name}/zero_variance_groups", share)
        if self.log_file is not None:
            state = columns.get("trainer_state")
            step = getattr(state, "global_step", None)
            lines = "".join(json.dumps({"step": step, **r.to_dict()}) + "\n" for r in results)
            with self._lock, self.log_file.open("a", encoding="utf-8") as handle:
                handle.write(lines)

