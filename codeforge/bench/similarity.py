"""`codeforge bench --metrics`: each sample's final answer scored against its task's reference by the similarity
metrics, and stored beside its verdict.

Run after the rounds: a sample's final round is its answer. A value already stored with the same signature is
kept, so running the command again only scores what is new (a round added by a longer --chain, a metric asked
for now); one computed by another package version or model is replaced. A task without a reference gets no
value (stored as "does not apply", and counted as skipped in the run's scores).
"""

from __future__ import annotations

from typing import Optional, Sequence

from ..metrics import Metric
from ..metrics.similarity import Pair, compute, signature
from ..store import RunRecord, Store
from ..tasks.base import Task
from .scores import final_samples


def check_metrics(metrics: Sequence[Metric], bertscore_model: Optional[str]) -> None:
    """Raise MetricError now, before a model is loaded, when a metric's package is missing (or BERTScore cannot
    tell which layer of its model to use)."""
    for metric in metrics:
        signature(metric, bertscore_model)


def score_similarity(store: Store, run: RunRecord, tasks: Sequence[Task], metrics: Sequence[Metric],
                     bertscore_model: Optional[str] = None) -> int:
    """Store each metric of every final answer of `tasks` in the run that lacks it; the number of values
    stored."""
    by_id = {t.task_id: t for t in tasks}
    finals = [s for key, s in final_samples(store.samples(run.id)).items() if key[0] in by_id]
    stored = 0
    for metric in metrics:
        made = signature(metric, bertscore_model)
        todo = [s for s in finals if metric.value not in s.similarity or s.similarity[metric.value].signature != made]
        without = [s for s in todo if not by_id[s.task_id].reference.strip()]
        with_reference = [s for s in todo if by_id[s.task_id].reference.strip()]
        pairs = [Pair(s.code or "", by_id[s.task_id].reference, answer_language(by_id[s.task_id]))
                 for s in with_reference]
        for s, value in zip(with_reference, compute(metric, pairs, bertscore_model) if pairs else []):
            store.add_similarity(s.id, metric.value, value, made)
        for s in without:
            store.add_similarity(s.id, metric.value, None, made)
        stored += len(todo)
    return stored


def answer_language(task: Task) -> Optional[str]:
    """The language of the task's answers, or None when they are prose (a text task)."""
    return None if task.answer == "text" else task.language.value
