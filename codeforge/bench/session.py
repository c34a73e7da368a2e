"""One `codeforge bench` invocation as a library call: tasks, store, sandbox, model, rounds, export.

Order matters for the user: everything that can be wrong with the input (dataset, store, sandbox image) is
checked before a model is loaded, and the model is loaded only when something is left to generate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

from ..models import ModelOptions, load_generator
from ..models.base import ModelError
from ..sandbox.engine import SandboxUnavailable
from ..store import RunRecord, Store, StoreError, db_path
from ..store.export import export_samples
from ..tasks import DatasetError, load_tasks
from .runner import BenchRunner, BenchSettings, Reporter
from .scores import RoundSummary
from .runs import default_run_name, open_run


class BenchError(Exception):
    """Why a bench run stopped, with what to do next. Everything stored before it is kept."""


@dataclass
class BenchOutcome:
    run: RunRecord
    db: Path
    rounds: list[RoundSummary]
    resumed: bool
    export: Optional[Path] = None
    exported: int = 0
    sandbox_errors: list[str] = field(default_factory=list)

    @property
    def unchecked(self) -> int:
        return sum(r.unchecked for r in self.rounds)


class _Collecting:
    """Passes progress on and keeps the sandbox failures for the summary."""

    def __init__(self, inner: Optional[Reporter]):
        self.inner, self.errors = inner, []

    def round_started(self, round, to_generate, to_execute):
        if self.inner:
            self.inner.round_started(round, to_generate, to_execute)

    def generated(self, count):
        if self.inner:
            self.inner.generated(count)

    def executed(self, passed):
        if self.inner:
            self.inner.executed(passed)

    def sandbox_failed(self, message):
        self.errors.append(message)
        if self.inner:
            self.inner.sandbox_failed(message)


def run_bench(dataset: str, options: ModelOptions, settings: BenchSettings, *, dataset_path: Optional[Path] = None,
              limit: Optional[int] = None, task_ids: Optional[Sequence[str]] = None, run_name: Optional[str] = None,
              db: Optional[Path] = None, workers: int = 2, isolation: str = "worker",
              reporter: Optional[Reporter] = None, export: Optional[Path] = None, sandbox=None) -> BenchOutcome:
    from ..sandbox.docker_sandbox import DockerSandbox
    from ..sandbox.settings import SandboxSettings

    try:
        tasks = load_tasks(dataset, dataset_path=dataset_path, limit=limit, task_ids=task_ids)
    except DatasetError as exc:
        raise BenchError(str(exc)) from exc
    if not tasks:
        raise BenchError(f"{dataset} has no tasks to run")
    dataset_name = tasks[0].dataset
    path = db_path(db)
    collecting = _Collecting(reporter)
    own_sandbox = sandbox is None
    try:
        with Store.open(path) as store:
            if sandbox is None:
                sandbox = DockerSandbox(SandboxSettings(workers=workers, isolation=isolation))
            try:
                for language in sorted({t.language.value for t in tasks}):
                    sandbox.check(language)
                name = run_name or default_run_name(options, settings)
                run, generator, resumed = open_run(store, name, dataset_name, [t.task_id for t in tasks], options,
                                                   settings, dataset_path, lambda: load_generator(options))
                runner = BenchRunner(store, run, tasks, settings, generator, sandbox, collecting)
                try:
                    rounds = runner.execute()
                finally:
                    runner.close()
                if not any(r.unchecked for r in rounds):
                    store.finish_run(run.id)
                run = store.run(run.name, run.dataset)
                outcome = BenchOutcome(run, path, rounds, resumed, sandbox_errors=collecting.errors)
                if export is not None:
                    prompts = {t.task_id: t.prompt for t in tasks}
                    outcome.export = export
                    outcome.exported = export_samples(run, store.samples(run.id), prompts, export)
                return outcome
            finally:
                if own_sandbox:
                    sandbox.close()
    except (StoreError, ModelError, SandboxUnavailable) as exc:
        raise BenchError(str(exc)) from exc
