"""`codeforge bench DATASET ...`: generate, execute in the sandbox, feed errors back, score, store.

`codeforge bench humaneval --chain 3`, `codeforge bench jsonl:my_tasks.jsonl --model ./ckpt`, and
`bench list`, `bench show RUN`, `bench rerun RUN`, `bench delete RUN` over the results store. Every option
comes from the settings classes in codeforge/bench/config.py.
"""

from __future__ import annotations

import json
import shlex
import signal
from typing import List

import typer
from typer.core import TyperGroup

from ..bench.config import (BenchConfig, DeleteConfig, ListConfig, MineHardConfig, RerunConfig, RescoreConfig,
                            ShowConfig)
from ..i18n import _
from ..tasks import DATASET_NAMES, HUB_PREFIX, JSONL_PREFIX
from ..vocabulary import Workflow
from ._output import console as _console
from ._output import fail as _fail
from ._settings import settings_command

COMMANDS = ("run", "list", "show", "rerun", "rescore", "mine-hard", "delete")


class _BenchGroup(TyperGroup):
    """`codeforge bench DATASET [OPTIONS]` is `codeforge bench run DATASET [OPTIONS]`."""

    def resolve_command(self, ctx, args):
        if args and (args[0] in DATASET_NAMES or args[0].startswith((JSONL_PREFIX, HUB_PREFIX))):
            return "run", self.commands["run"], args
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            _fail(_("no dataset or command {name}. Datasets: {datasets}, jsonl:PATH, hub:OWNER/NAME. "
                    "Commands: {commands}. Example: codeforge bench humaneval --chain 3")
                  .format(name=repr(args[0]), datasets=", ".join(DATASET_NAMES), commands=", ".join(COMMANDS)))
        return super().resolve_command(ctx, args)


app = typer.Typer(
    cls=_BenchGroup, no_args_is_help=True,
    help="Benchmark a model: generate, run every program in the sandbox, feed errors back, score pass@k.\n\n"
         "Run a benchmark: codeforge bench DATASET [OPTIONS] (the same as codeforge bench run DATASET [OPTIONS]),"
         f" DATASET one of {', '.join(DATASET_NAMES)}, jsonl:PATH for your own tasks, or hub:OWNER/NAME for a "
         "Hugging Face dataset of them (e.g. hub:KodCode/KodCode-V1). The options most used: "
         "--model, --chain, --samples, --temperature, --feedback, --run-name, --config FILE; all of them: "
         "codeforge bench run --help.\n\n"
         "Example: codeforge bench humaneval --chain 3")


@settings_command(app, "run", BenchConfig)
def run(config: BenchConfig) -> None:
    """Generate solutions, run them in the sandbox, feed errors back for --chain rounds, score pass@k.

    Every sample is stored; the same command again resumes. Exit 0: done; 2: bad input (nothing lost);
    3: some samples could not be checked (sandbox errors): run the same command again.

    Example: codeforge bench humaneval --chain 3
    """
    if not config.dataset:
        _fail(_("name a dataset: codeforge bench humaneval (or {datasets}, jsonl:PATH, hub:OWNER/NAME)")
              .format(datasets=", ".join(DATASET_NAMES[1:])))
    _run(config)


def _run(config: BenchConfig) -> None:
    from rich.markup import escape

    from ..bench.session import BenchError, run_bench
    from .bench_view import ProgressReporter, print_summary, summary_json

    _terminate_as_interrupt()
    _quiet_libraries()
    out = _console(stderr=config.json)
    label = _("warning:")
    for warning in config.warnings():
        out.print(f"[yellow]{escape(label)}[/] {escape(warning)}", highlight=False, soft_wrap=True)
    try:
        with ProgressReporter(out) as reporter:
            outcome = run_bench(config, reporter)
    except BenchError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        _fail(_("interrupted. Everything finished so far is stored; run the same command again to resume."), 130)
    print_summary(out, outcome)
    if config.json:
        typer.echo(json.dumps(summary_json(outcome), indent=2))
    if outcome.unchecked:
        raise typer.Exit(3)


def _quiet_libraries() -> None:
    """transformers' own progress bars would interleave with ours."""
    import os

    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")


def _terminate_as_interrupt() -> None:
    def handler(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def _open_store(db):
    from ..store import Store, StoreError, db_path

    try:
        return Store.open(db_path(db), create=False)
    except StoreError as exc:
        _fail(str(exc))


def _find_run(store, name: str, dataset):
    from ..store import StoreError

    try:
        found = store.run(name, dataset)
    except StoreError as exc:
        _fail(str(exc))
    if found is None:
        known = ", ".join(sorted({r.name for r in store.runs()})) or _("none yet")
        if dataset:
            _fail(_("no run named {name} on {dataset} in {path} (runs: {known})")
                  .format(name=repr(name), dataset=dataset, path=store.path, known=known))
        _fail(_("no run named {name} in {path} (runs: {known})").format(name=repr(name), path=store.path, known=known))
    return found


@settings_command(app, "list", ListConfig, config_file=False)
def list_runs(config: ListConfig) -> None:
    """List the stored runs: bench runs with their final pass@k, repair runs with EFR first try → after.

    Example: codeforge bench list
    """
    from .bench_view import print_runs, runs_json

    with _open_store(config.db) as store:
        if config.json:
            typer.echo(json.dumps(runs_json(store), indent=2))
        else:
            print_runs(_console(), store)


@settings_command(app, "show", ShowConfig, config_file=False)
def show(config: ShowConfig) -> None:
    """Show a run: scores per round and the result of every task (or every sample of one task).

    A repair run shows its epochs: patches kept and rejected, EFR, pass@1, findings before and after, and every
    program (with --task: each epoch's findings, code and decision).

    Example: codeforge bench show BASE --task HumanEval/0
    """
    from ..bench.runs import stored_settings
    from ..config import dump_yaml
    from .bench_view import print_run, print_task, run_detail_json

    with _open_store(config.db) as store:
        found = _find_run(store, config.name, config.dataset)
        if config.task is not None and config.task not in store.task_ids(found.id):
            _fail(_("run {name} has no task {task}").format(name=repr(config.name), task=repr(config.task)))
        if found.workflow is Workflow.repair:
            _show_repair(config, store, found)
            return
        if config.settings:
            typer.echo(dump_yaml(stored_settings(found)), nl=False)
            return
        if config.json:
            typer.echo(json.dumps(run_detail_json(store, found, config.task), indent=2))
        elif config.task is not None:
            print_task(_console(), store, found, config.task)
        else:
            print_run(_console(), store, found)


def _show_repair(config: ShowConfig, store, run) -> None:
    from ..repair.scores import repair_summaries
    from .repair_view import print_repair_run, print_repair_task, repair_detail_json

    if config.settings:
        _fail(_("run {name} is a repair run: --settings prints bench settings only. Its stored settings are under "
                "\"config\" in `codeforge bench show {plain_name} --json`").format(name=repr(run.name),
                                                                                 plain_name=run.name))
    summaries = repair_summaries(store, run)
    if config.json:
        typer.echo(json.dumps(repair_detail_json(store, run, summaries, config.task), indent=2))
    elif config.task is not None:
        print_repair_task(_console(), store, run, config.task)
    else:
        print_repair_run(_console(), store, run, summaries)


def _refuse_repair(run, command: str, instead: str) -> None:
    """bench's rerun and rescore repeat bench's own work; on a repair run they would treat epochs as rounds."""
    if run.workflow is Workflow.repair:
        _fail(_("run {name} is a repair run, and `bench {command}` works on bench runs only: {instead}")
              .format(name=repr(run.name), command=command, instead=instead))


@settings_command(app, "rerun", RerunConfig, config_file=False)
def rerun(config: RerunConfig) -> None:
    """Run a stored run's exact settings again (under a new --run-name: the whole experiment again).

    Under its own name it resumes the stored run and does only what is missing.

    Example: codeforge bench rerun BASE --run-name BASE_AGAIN
    """
    from ..bench.runs import stored_settings
    from ..config import ConfigError

    with _open_store(config.db) as store:
        found = _find_run(store, config.name, config.dataset)
    _refuse_repair(found, "rerun", _("run the `codeforge repair` command that made it again (the same run name "
                                     "resumes it)"))
    try:
        settings = BenchConfig.from_dict(stored_settings(found),
                                         where=_("the stored settings of run {name}").format(name=repr(found.name)))
    except ConfigError as exc:
        _fail(_("{error}. Delete the run or run the benchmark again by hand").format(error=exc))
    _run(settings.replace(db=config.db, run_name=config.run_name or found.name, export=config.export,
                          json=config.json))


@settings_command(app, "rescore", RescoreConfig, config_file=False)
def rescore(config: RescoreConfig) -> None:
    """Check a stored run's programs again with the current verdict code and show which samples and tasks change.

    Nothing is generated; with --save the new verdicts replace the stored ones. Exit 0: nothing changed or
    saved; 1: some verdicts differ (not saved); 2: bad input; 3: some programs could not be checked.

    Example: codeforge bench rescore BASE
    """
    from ..bench.rescore import rescore as rescore_run
    from ..bench.runs import stored_settings
    from ..sandbox.engine import SandboxUnavailable
    from ..sandbox.pool import open_sandbox
    from ..sandbox.settings import SandboxSettings
    from ..tasks import DatasetError
    from .bench_view import print_rescored, rescored_json

    _terminate_as_interrupt()
    with _open_store(config.db) as store:
        found = _find_run(store, config.name, config.dataset)
        _refuse_repair(found, "rescore", _("`codeforge repair` tests every patch it keeps; to check its programs "
                                           "again, run the `codeforge repair` command again under a new run name"))
        try:
            with open_sandbox(SandboxSettings(workers=config.workers, isolation=config.isolation,
                                              hosts=config.docker_hosts)) as sandbox:
                outcome = rescore_run(store, found, stored_settings(found), sandbox, save=config.save)
        except (DatasetError, SandboxUnavailable) as exc:
            _fail(str(exc))
        except KeyboardInterrupt:
            _fail(_("interrupted: nothing was saved."), 130)
    if config.json:
        typer.echo(json.dumps(rescored_json(outcome), indent=2))
    else:
        print_rescored(_console(), outcome)
    if outcome.unchecked:
        raise typer.Exit(3)
    raise typer.Exit(1 if outcome.changes and not outcome.saved else 0)


@settings_command(app, "mine-hard", MineHardConfig)
def mine_hard(config: MineHardConfig) -> None:
    """Write the tasks that stored runs' models fail as a jsonl dataset that bench runs directly.

    A run fails a task when none of its samples of the task passed after the run's final round; a task's pass
    rate is the share of all the runs' samples of it that passed. Mined: the tasks at least --min-models runs
    fail (default: every run), and whose pass rate is at most --max-pass-rate when given. Only tasks every run
    covers count. Beside --out goes the provenance (hard.provenance.json: the runs, their models and settings,
    the thresholds, each task's pass counts per run); each row names the runs too, so a report over a run of the
    mined set says where it came from.

    Example: codeforge bench mine-hard --runs BASE,AST,PDG --min-models 2 --out hard.jsonl
    """
    from ..bench.mine import MineError, mine, provenance_path, write
    from ..tasks import DatasetError
    from .bench_view import mined_json, print_mined

    if not config.runs:
        _fail(_("name the runs to mine: --runs A,B,C (see `codeforge bench list`)"))
    if config.out is None:
        _fail(_("name the file to write: --out hard.jsonl"))
    taken = [p for p in (config.out, provenance_path(config.out)) if p.exists()]
    if taken and not config.force:
        _fail(_("{path} exists: pass --force to overwrite it, or choose another --out").format(path=taken[0]))
    words = ["codeforge", "bench", "mine-hard", "--runs", ",".join(config.runs)]
    for flag, value in (("--dataset", config.dataset), ("--min-models", config.min_models),
                        ("--max-pass-rate", config.max_pass_rate), ("--out", config.out)):
        words += [flag, str(value)] if value is not None else []
    with _open_store(config.db) as store:
        try:
            mined = mine(store, list(config.runs), config.dataset, config.min_models, config.max_pass_rate)
            provenance = write(store, mined, config.out, shlex.join(words))
        except (MineError, DatasetError) as exc:
            _fail(str(exc))
    if config.json:
        typer.echo(json.dumps(mined_json(mined, config.out, provenance), indent=2))
    else:
        print_mined(_console(), mined, config.out, provenance)


@settings_command(app, "delete", DeleteConfig, config_file=False)
def delete(config: DeleteConfig) -> None:
    """Delete a stored run and all its samples.

    Example: codeforge bench delete BASE --dataset humaneval
    """
    from rich.markup import escape

    with _open_store(config.db) as store:
        found = _find_run(store, config.name, config.dataset)
        count = len(store.samples(found.id))
        store.delete_run(found.id)
    if config.json:
        typer.echo(json.dumps({"deleted": found.name, "dataset": found.dataset, "samples": count}))
    else:
        _console().print(_("deleted run {name} on {dataset} ({count} samples)").format(
            name=escape(found.name), dataset=escape(found.dataset), count=count), highlight=False)


__all__: List[str] = ["app"]
