"""Re-scoring a stored run: every stored program checked again by the sandbox's current verdict code, and
which samples and tasks change.

The programs are the stored ones (nothing is generated); the tests are the run's dataset's, loaded as the run
loaded them. Later chain rounds were generated from the verdicts of their time: a sample that passed then but
fails now had no next round, and re-scoring does not make one (`codeforge bench rerun` under a new name
repeats the whole experiment). With `save`, the new verdicts replace the stored ones.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Callable, Optional

from ..sandbox.jobs import Status
from ..store import RunRecord, SampleRecord, Store
from ..tasks import load_stored
from ..vocabulary import Purpose, SampleStatus
from .scores import first_passing_round


@dataclass(frozen=True)
class Change:
    task_id: str
    sample: int
    round: int
    before: str
    after: str
    why: Optional[str]  # what the new verdict says went wrong


@dataclass
class Rescored:
    run: RunRecord
    checked: int  # samples with code, run again
    changes: list[Change] = field(default_factory=list)
    unchecked: int = 0  # samples the sandbox could not run this time (sandbox errors): left as they were
    solved_before: list[str] = field(default_factory=list)  # tasks whose sample 0 passed after the last round
    solved_after: list[str] = field(default_factory=list)
    saved: bool = False

    @property
    def tasks_changed(self) -> list[str]:
        before, after = set(self.solved_before), set(self.solved_after)
        return sorted(before ^ after)


def rescore(store: Store, run: RunRecord, settings: dict, sandbox, save: bool = False,
            progress: Optional[Callable[[int, int], None]] = None) -> Rescored:
    """Check every stored program of `run` again; `settings` are its stored bench settings (dataset, data
    source). Raises DatasetError when the run's dataset cannot be loaded."""
    tasks = {t.task_id: t for t in load_stored(settings.get("dataset") or run.dataset, store.task_ids(run.id),
                                               dataset_path=settings.get("dataset_path"),
                                               from_hub=bool(settings.get("from_hub")),
                                               max_prompt_tokens=settings.get("max_prompt_tokens"))}
    samples = [s for s in store.samples(run.id) if s.task_id in tasks]
    outcome = Rescored(run, checked=0, solved_before=_solved(samples))
    pending: list[tuple[SampleRecord, Future]] = []
    for sample in samples:
        if sample.code is None or sample.tested is None or sample.tested.status == SampleStatus.no_code:
            continue
        spec = tasks[sample.task_id].test_job(sample.code)
        timeout = settings.get("timeout_s")
        job = spec.job(f"rescore:{run.id}:{sample.id}", timeout, settings.get("memory_mb"))
        pending.append((sample, sandbox.submit(job)))
    results = {}
    for done, (sample, future) in enumerate(pending, 1):
        result = future.result()
        if progress:
            progress(done, len(pending))
        if result.status is Status.sandbox_error:
            outcome.unchecked += 1
            continue
        outcome.checked += 1
        results[sample.id] = result
        before = sample.tested.status
        if result.status.value != before or result.passed != sample.tested.passed:
            why = result.details.get("error") or None
            outcome.changes.append(Change(sample.task_id, sample.sample, sample.round, before, result.status.value,
                                          why))
    if save:
        for sample in samples:
            result = results.get(sample.id)
            if result is not None:
                store.add_execution(sample.id, Purpose.tests, result.status.value, result.passed,
                                    result.duration_s, result.model_dump(mode="json"))
        outcome.saved = True
    outcome.solved_after = _solved(samples, {sid: r.passed for sid, r in results.items()})
    return outcome


def _solved(samples: list[SampleRecord], passed: Optional[dict[int, bool]] = None) -> list[str]:
    """The tasks whose sample 0 passed in any round (`passed` overrides stored verdicts by sample id)."""
    first = first_passing_round(samples, passed)
    return sorted({task for (task, sample), round in first.items() if sample == 0 and round is not None})
