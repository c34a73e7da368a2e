"""Preference pairs mined from stored bench runs, for `codeforge finetune --method dpo --from-run NAME[,NAME...]`.

A pair is two answers to one prompt of one task: chosen, a program that passed the task's tests, and rejected,
one that failed them. Answers are grouped by the prompt bench stored for them, as sent, so:
- round 0: every sample of a task answered the task's own prompt (on-policy data when the run is the tuned
  model's own);
- chain rounds: answers to one feedback prompt (the same failed program and the same feedback, as when several
  samples failed the same way) give pairs too, the failing fix against the passing one.

Within a prompt, identical programs count once (compared without trailing whitespace), and a program that both
passed and failed (a flaky test) is left out. Answers with no code, or with no verdict (the sandbox failed), are
no answers here. Runs are mined one by one: a pair never joins answers of two runs (their prompts may differ).
At most `max_per_task` pairs per task over all the runs, spread over its prompts and over its passing and
failing answers, so that no single answer fills a task's share. Repair runs hold patches, not answers to a prompt: refused.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ..i18n import _
from ..tasks.base import Task
from ..vocabulary import Workflow
from .sources import RUN_PREFIX, SourceError, _open_store, _run_tasks

SHOWN_TASKS = 12  # tasks listed by name when a run gives no pairs


@dataclass(frozen=True)
class Preference:
    task: Task
    chosen: str  # a program that passed the task's tests
    rejected: str  # a program that failed them, answering the same prompt
    source: str  # run:NAME
    round: int  # 0: the task's prompt; r >= 1: the feedback prompt of chain round r
    failed: str = ""  # round >= 1: the earlier answer the feedback is about (shown in the prompt)
    feedback: str = ""  # round >= 1: what bench said about it


@dataclass
class _Prompt:
    """The distinct answers to one prompt of one task, by verdict, in the order they were sampled."""

    round: int
    failed: str
    feedback: str
    passing: dict = field(default_factory=dict)  # normalised program -> program
    failing: dict = field(default_factory=dict)

    def pairs(self) -> list[tuple[str, str]]:
        flaky = self.passing.keys() & self.failing.keys()
        chosen = [code for key, code in self.passing.items() if key not in flaky]
        rejected = [code for key, code in self.failing.items() if key not in flaky]
        return [(chosen[i], rejected[j]) for i, j in spread(len(chosen), len(rejected))]


@dataclass
class Mined:
    pairs: list[Preference]
    hashes: dict[str, str]  # run:NAME -> sha256 of the pairs taken from it
    answers: dict[str, dict[str, list[int]]]  # run:NAME -> task -> [passing, failing] answers (all rounds)

    def counts(self) -> dict[str, dict[str, int]]:
        """run:NAME -> pairs from the task's prompt ("first_round") and from feedback prompts ("chain")."""
        found: dict[str, dict[str, int]] = {}
        for p in self.pairs:
            by_round = found.setdefault(p.source, {"first_round": 0, "chain": 0})
            by_round["chain" if p.round else "first_round"] += 1
        return found


def spread(n: int, m: int) -> list[tuple[int, int]]:
    """Every (i, j) for i < n, j < m, ordered so that each prefix uses every i about equally often, and every j.

    Step k takes (k mod n, (k + k // lcm) mod m): within each stretch of lcm(n, m) steps the pairs are distinct,
    and stretch b holds exactly the pairs with j - i = b (mod gcd(n, m)), so the n * m steps take each pair once.
    """
    if not n or not m:
        return []
    period = n * m // math.gcd(n, m)
    return [(k % n, (k + k // period) % m) for k in range(n * m)]


def _normalised(code: str) -> str:
    return "\n".join(line.rstrip() for line in code.splitlines()).strip("\n")


def _prompts(name: str, db: Optional[Path], limit: Optional[int]):
    """The run's prompts with their answers, task by task in the run's order, and each task's answer counts."""
    with _open_store(db) as store:
        run, by_id = _run_tasks(store, name)
        if run.workflow is Workflow.repair:
            raise SourceError(_("run {name} is a repair run (patches, not answers to one prompt): name bench "
                                "runs in --from-run (see `codeforge bench list`)").format(name=repr(name)))
        task_ids = [t for t in store.task_ids(run.id) if t in by_id][:limit]
        samples = store.samples(run.id)
    wanted = set(task_ids)
    by_key = {(s.task_id, s.sample, s.round): s for s in samples}
    prompts: dict[str, dict[str, _Prompt]] = {t: {} for t in task_ids}
    answers = {t: [0, 0] for t in task_ids}
    for s in samples:
        if s.task_id not in wanted or s.code is None or s.tested is None:
            continue
        answers[s.task_id][0 if s.passed else 1] += 1
        failed, feedback = "", ""
        if s.round > 0:
            before = by_key.get((s.task_id, s.sample, s.round - 1))
            if before is None or s.feedback is None:
                continue  # its prompt cannot be built again
            failed, feedback = before.code if before.code is not None else before.raw_output, s.feedback
        prompt = prompts[s.task_id].setdefault(s.prompt, _Prompt(s.round, failed, feedback))
        (prompt.passing if s.passed else prompt.failing).setdefault(_normalised(s.code), s.code)
    return by_id, prompts, answers


def mine(names, db: Optional[Path] = None, *, max_per_task: int = 8, limit: Optional[int] = None) -> Mined:
    """The pairs of every named run (refused when one gives none: the message counts each task's answers)."""
    per_task: dict[str, list[list[Preference]]] = {}  # task -> one list per prompt, of every run
    answers: dict[str, dict[str, list[int]]] = {}
    for name in names:
        source = f"{RUN_PREFIX}{name}"
        by_id, prompts, answers[source] = _prompts(name, db, limit)
        found = 0
        for task_id, by_prompt in prompts.items():
            task = by_id[task_id]
            for prompt in sorted(by_prompt.values(), key=lambda p: p.round):
                pairs = [Preference(task, chosen, rejected, source, prompt.round, prompt.failed, prompt.feedback)
                         for chosen, rejected in prompt.pairs()]
                if pairs:
                    per_task.setdefault(task.task_id, []).append(pairs)
                    found += len(pairs)
        if not found:
            raise NoPairs(no_pairs_message(name, answers[source]))
    taken = [p for lists in per_task.values() for p in _round_robin(lists, max_per_task)]
    hashes = {}
    for source in answers:
        digest = hashlib.sha256()
        for p in taken:
            if p.source == source:
                digest.update(json.dumps([p.task.task_id, p.round, p.failed, p.feedback, p.chosen,
                                          p.rejected]).encode())
        hashes[source] = digest.hexdigest()
    return Mined(taken, hashes, answers)


def _round_robin(lists: list[list[Preference]], cap: int) -> list[Preference]:
    """Up to `cap` pairs, one from each prompt in turn."""
    taken, depth = [], 0
    while len(taken) < cap and any(depth < len(pairs) for pairs in lists):
        taken.extend(pairs[depth] for pairs in lists if depth < len(pairs))
        depth += 1
    return taken[:cap]


class NoPairs(SourceError):
    """A run gives no pair: no task has a passing and a different, failing answer to the same prompt."""


def no_pairs_message(name: str, answers: dict[str, list[int]]) -> str:
    only_passing = sum(1 for p, f in answers.values() if p and not f)
    only_failing = sum(1 for p, f in answers.values() if f and not p)
    shown = ", ".join(f"{task} {p}/{f}" for task, (p, f) in list(answers.items())[:SHOWN_TASKS])
    more = _(", and {count} more").format(count=len(answers) - SHOWN_TASKS) if len(answers) > SHOWN_TASKS else ""
    return _("run {name} gives no preference pairs: a pair is a passing and a failing answer to the same "
             "prompt, and no prompt of its {tasks} tasks has both ({only_passing} tasks only passed, "
             "{only_failing} only failed; passed/failed answers per task: {shown}{more}). Mine a run "
             "with several samples per task (bench --samples 10 --temperature 0.8), or leave it out of --from-run"
             ).format(name=repr(name), tasks=len(answers), only_passing=only_passing, only_failing=only_failing,
                      shown=shown or _("none"), more=more)
