"""One `codeforge repair` invocation as a library call: the programs (files, a stored bench run, or a dataset
generated first by bench), the store, the sandbox, the model, the epochs, the export.

Order matters for the user: everything that can be wrong with the input is checked before a model is loaded,
and a new run's starting code is analysed first: when no program has a finding there is nothing to do, and
no model is loaded at all.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Callable, Optional, Sequence

from ..analyzers import AnalyzerUnavailable
from ..bench.config import BenchConfig
from ..bench.runs import adapter_manifest, check_resolved, default_run_name, differences, stored_settings, \
    versions
from ..bench.session import BenchError, run_bench
from ..i18n import _, said
from ..models import Backend, load_generator
from ..models.base import Generator, ModelError
from ..models.options import ModelOptions
from ..sandbox.engine import SandboxUnavailable
from ..store import RunRecord, Store, StoreError, db_path
from ..tasks import DATASET_NAMES, HUB_PREFIX, JSONL_PREFIX, DatasetError, load_stored, load_tasks
from ..vocabulary import Language, Workflow
from .config import RepairConfig
from .loop import Check, Program, RepairRunner, Reporter, check_code

FILES_DATASET = "files"  # the dataset a repair of single files is stored under
SUFFIXES = {".py": Language.python, ".go": Language.go, ".c": Language.c, ".h": Language.c, ".cpp": Language.cpp,
            ".cc": Language.cpp, ".cxx": Language.cpp, ".hpp": Language.cpp}
REPAIR_SUFFIX = "+REPAIR"


class RepairError(Exception):
    """Why a repair stopped, with what to do next. Everything stored before it is kept."""


@dataclass
class RepairOutcome:
    run: Optional[RunRecord]  # None: nothing stored (a dry run, or nothing to repair)
    db: Path
    programs: list[Program]
    checks: dict = field(default_factory=dict)  # (key, sample) -> Check of the starting code (new runs, dry runs)
    resumed: bool = False
    source: Optional[RunRecord] = None  # the bench run repaired (--run, or the one a dataset was generated into)
    unchecked: list[str] = field(default_factory=list)
    export: Optional[Path] = None

    @property
    def clean(self) -> bool:
        """Nothing to repair: every program's starting code was checked and had no finding."""
        return (self.run is None and bool(self.checks) and len(self.checks) == len(self.programs)
                and not any(c.findings for c in self.checks.values()))


def is_dataset(target: str) -> bool:
    return (target in DATASET_NAMES or target.startswith((JSONL_PREFIX, HUB_PREFIX))) and not Path(target).is_file()


def file_programs(paths: Sequence[str], lang: Optional[Language]) -> list[Program]:
    programs = []
    for given in paths:
        path = Path(given)
        if not path.is_file():
            raise RepairError(_("{path}: no such file. Name program files, a dataset ({datasets}, jsonl:PATH, "
                                "hub:OWNER/NAME), or --run NAME").format(path=given, datasets=", ".join(DATASET_NAMES)))
        language = lang or SUFFIXES.get(path.suffix.lower())
        if language is None:
            raise RepairError(_("{path}: cannot tell its language from the suffix {suffix}; codeforge repair handles "
                                "Python (.py), Go (.go), C (.c) and C++ (.cpp): pass --lang")
                              .format(path=given, suffix=path.suffix or _("(none)")))
        try:
            code = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise RepairError(_("cannot read {path}: {error}").format(path=given, error=exc)) from exc
        programs.append(Program(given, 0, language, code, None, path.name))
    return programs


def run_programs(store: Store, source: RunRecord, config: RepairConfig) -> list[Program]:
    """Every sample of a stored bench run, with its final code (its last round's)."""
    settings = stored_settings(source)
    try:
        tasks = load_stored(settings["dataset"], store.task_ids(source.id), dataset_path=settings.get("dataset_path"),
                            from_hub=bool(settings.get("from_hub")),
                            max_prompt_tokens=settings.get("max_prompt_tokens"))
    except DatasetError as exc:
        raise RepairError(_("the tasks of run {name} cannot be loaded: {error}").format(name=repr(source.name),
                                                                                        error=exc)) from exc
    by_id = {t.task_id: t for t in tasks}
    task_ids = [t for t in store.task_ids(source.id) if not config.tasks or t in config.tasks]
    missing = [t for t in task_ids if t not in by_id]
    if missing:
        raise RepairError(_("run {name} has tasks its dataset lacks ({tasks}); pass the dataset it was run on "
                            "(--dataset-path)").format(name=repr(source.name), tasks=", ".join(missing[:3])))
    task_ids = task_ids[:config.limit] if config.limit else task_ids
    last: dict[tuple[str, int], object] = {}
    for sample in store.samples(source.id):
        last[(sample.task_id, sample.sample)] = sample  # ordered by round: the last one wins
    programs = []
    for task_id in task_ids:
        for index in range(source.samples_per_task):
            record = last.get((task_id, index))
            task = by_id[task_id]
            code = getattr(record, "code", None)
            programs.append(Program(task_id, index, task.language, None if code is None else task.program_file(code),
                                    task))
    return programs


def bench_settings(config: RepairConfig, dataset: str) -> BenchConfig:
    """The bench run a dataset is generated into: what `codeforge bench DATASET` with the same model would store
    (so an earlier bench run of the same model is reused, not generated again)."""
    shared = {f.name for f in fields(ModelOptions)} | {"dataset_path", "from_hub", "limit", "tasks", "temperature",
                                                      "top_p", "seed", "timeout_s", "memory_mb", "workers",
                                                      "isolation", "db"}
    return BenchConfig(dataset=dataset, **{name: getattr(config, name) for name in shared})


def dataset_references(config: RepairConfig, dataset: str) -> list[Program]:
    """A dataset's own solutions as programs (what a dry run over a dataset analyses)."""
    try:
        tasks = load_tasks(dataset, dataset_path=config.dataset_path, limit=config.limit,
                           task_ids=list(config.tasks) or None, from_hub=config.from_hub)
    except DatasetError as exc:
        raise RepairError(str(exc)) from exc
    return [Program(t.task_id, 0, t.language, t.program_file(t.reference), t) for t in tasks]


def run_repair(config: RepairConfig, reporter: Optional[Reporter] = None, sandbox=None,
               bench_reporter=None) -> RepairOutcome:
    """Run (or resume) the repair `config` describes; RepairError says why it stopped and what to do."""
    from ..sandbox.pool import open_sandbox
    from ..sandbox.settings import SandboxSettings

    if not config.run and not config.targets:
        raise RepairError(_("say what to repair: files (codeforge repair app.py), a dataset (codeforge repair "
                            "humaneval), or a stored run (codeforge repair --run BASE)"))
    path = db_path(config.db)
    own_sandbox = sandbox is None
    try:
        source = None
        if config.targets and is_dataset(config.targets[0]):
            if len(config.targets) > 1:
                raise RepairError(_("name one dataset, or files: {targets} mixes them").format(
                    targets=" ".join(config.targets[:3])))
            dataset = config.targets[0]
            if config.dry_run:
                programs = dataset_references(config, dataset)
            else:
                bench = bench_settings(config, dataset)
                try:
                    source = run_bench(bench, bench_reporter, sandbox).run
                except BenchError as exc:
                    raise RepairError(str(exc)) from exc
        if sandbox is None:
            sandbox = open_sandbox(SandboxSettings(workers=config.workers, isolation=config.isolation,
                                                   hosts=config.docker_hosts))
        if config.dry_run and not config.run:  # files or a dataset's references: no store is read or written
            if source is None and not (config.targets and is_dataset(config.targets[0])):
                programs = file_programs(config.targets, config.lang)
            return _dry_run(programs, config, sandbox, path)
        with Store.open(path, create=not config.dry_run and not config.run) as store:
            if config.run:
                source = _bench_run(store, config.run, config.dataset)
            if source is not None:
                programs = run_programs(store, source, config)
            else:
                programs = file_programs(config.targets, config.lang)
            if config.dry_run:
                return _dry_run(programs, config, sandbox, path, source)
            _check_sandbox(programs, sandbox)
            outcome = RepairOutcome(None, path, programs, source=source)
            name = config.run_name or _default_name(config, source)
            dataset = source.dataset if source is not None else FILES_DATASET
            run = store.run(name, dataset)
            if run is None:  # a new run: analyse the starting code before loading any model
                outcome.checks = _check_all(programs, config, sandbox, outcome.unchecked)
                if outcome.clean:
                    return outcome
            return _repair(store, run, name, dataset, programs, config, sandbox, reporter, outcome)
    except (StoreError, ModelError, SandboxUnavailable, AnalyzerUnavailable) as exc:
        raise RepairError(str(exc)) from exc
    finally:
        if own_sandbox and sandbox is not None:
            sandbox.close()


def _repair(store: Store, run: Optional[RunRecord], name: str, dataset: str, programs: list[Program],
            config: RepairConfig, sandbox, reporter, outcome: RepairOutcome) -> RepairOutcome:
    # Only the reference backend is given the answers; every other backend sees prompts alone.
    references = {p.key: p.task.reference for p in programs if p.task is not None} \
        if config.backend is Backend.reference else None
    loaded: list[Generator] = []

    def generator() -> Generator:
        if not loaded:
            loaded.append(load_generator(config, references))
            if run is not None:
                check_resolved(run, loaded[0].info.details, name, dataset)
        return loaded[0]

    settings = {**config.to_dict(), "workflow": Workflow.repair.value,
                "source_run": outcome.source.name if outcome.source is not None else None}
    if run is None:
        info = generator().info
        run = store.create_run(
            name, dataset, model=info.model, backend=info.backend, adapter=info.adapter, prompt_mode=info.mode.value,
            feedback="findings", chain=config.epochs, samples_per_task=max(p.sample for p in programs) + 1,
            seed=config.seed, config={**settings, "model_info": info.details, "prompt_mode": info.mode.value,
                                      "adapter_manifest": adapter_manifest(config.adapter)}, versions=versions())
    else:
        if run.workflow is not Workflow.repair:
            raise RepairError(_("{name} on {dataset} is a bench run; pass another --run-name for the repair")
                              .format(name=repr(name), dataset=dataset))
        changed = differences(run.config, settings, RepairConfig)
        if changed:
            raise RepairError(_("repair run {name} on {dataset} is stored with other settings ({changes}). Use "
                                "another --run-name, or `codeforge bench delete {plain_name} --dataset {dataset}`.")
                              .format(name=repr(name), dataset=dataset, changes="; ".join(changed), plain_name=name))
        keep = {k: v for k, v in run.config.items() if k in ("model_info", "prompt_mode", "adapter_manifest")}
        store.update_run(run.id, chain=max(run.chain, config.epochs),
                         config={**settings, **keep}, versions=versions())
        run = store.run(name, dataset)
        outcome.resumed = True
    store.set_tasks(run.id, list(dict.fromkeys(p.key for p in programs)))
    runner = RepairRunner(store, run, programs, config, generator, sandbox, reporter, outcome.checks)
    try:
        runner.execute()
    finally:
        runner.close()
    outcome.unchecked.extend(runner.unchecked)
    if not runner.unchecked:
        store.finish_run(run.id)
    outcome.run = store.run(name, dataset)
    if config.export_dir is not None:
        from .export import export_run

        outcome.export = export_run(store, outcome.run, programs, config.export_dir)
    return outcome


def _check_sandbox(programs: list[Program], sandbox) -> None:
    if not programs:
        raise RepairError(_("no programs to repair"))
    for language in sorted({p.language.value for p in programs}):
        sandbox.check(language)


def _dry_run(programs: list[Program], config: RepairConfig, sandbox, path: Path,
             source: Optional[RunRecord] = None) -> RepairOutcome:
    _check_sandbox(programs, sandbox)
    outcome = RepairOutcome(None, path, programs, source=source)
    outcome.checks = _check_all(programs, config, sandbox, outcome.unchecked)
    return outcome


def _check_all(programs: list[Program], config: RepairConfig, sandbox, unchecked: list[str]) -> dict:
    """Check every program's starting code at once; a program the sandbox could not check is left out."""
    from concurrent.futures import ThreadPoolExecutor

    checks = {}
    with ThreadPoolExecutor(max_workers=config.workers, thread_name_prefix="codeforge-repair") as pool:
        futures = {(p.key, p.sample): pool.submit(check_code, p, p.code, config, sandbox)
                   for p in programs if p.code is not None}
        for key, future in futures.items():
            try:
                checks[key] = future.result()
            except (SandboxUnavailable, AnalyzerUnavailable):
                raise
            except Exception as exc:
                unchecked.append(said("{program}: {error}", program=key[0], error=exc))  # its English goes to --json
    return checks


def _bench_run(store: Store, name: str, dataset: Optional[str]) -> RunRecord:
    found = store.run(name, dataset)
    if found is None:
        known = ", ".join(sorted({r.name for r in store.runs() if r.workflow is Workflow.bench})) or _("none yet")
        raise RepairError(_("no bench run named {name} in {path} (bench runs: {known})").format(
            name=repr(name), path=store.path, known=known))
    if found.workflow is not Workflow.bench:
        raise RepairError(_("{name} is a repair run; repair the bench run it came from ({source}) with more --epochs")
                          .format(name=repr(name), source=found.config.get("source_run")
                                  or _("see codeforge bench list")))
    return found


def _default_name(config: RepairConfig, source: Optional[RunRecord]) -> str:
    if source is not None:
        return source.name + REPAIR_SUFFIX
    return default_run_name(BenchConfig(dataset=FILES_DATASET, model=config.model, adapter=config.adapter)) \
        + REPAIR_SUFFIX
