"""`codeforge finetune`: LoRA / QLoRA fine-tuning with trl on graph-augmented code and on execution feedback (sft),
or on preference pairs mined from stored runs (dpo), or on its own answers rewarded in the sandbox (grpo).

Every option comes from codeforge/finetune/config.py (FinetuneConfig).
"""

from __future__ import annotations

import json
import time

import typer
from typer.core import TyperGroup

from ..bench.config import StoredRunsConfig
from ..finetune.config import FinetuneConfig, ShowFinetuneConfig
from ..i18n import _
from ._output import console as _console
from ._output import fail as _fail
from ._settings import settings_command


COMMANDS = ("train", "list", "show")


class _FinetuneGroup(TyperGroup):
    """`codeforge finetune [OPTIONS]` is `codeforge finetune train [OPTIONS]`."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            if not args[0].startswith("-"):
                _fail(_("no command {name}: use {commands}, or options alone to train. Example: "
                        "codeforge finetune --model M --data mbpp --out adapters/a")
                      .format(name=repr(args[0]), commands=", ".join(COMMANDS)))
            args = ["train", *args]  # options alone: they are the training run's
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_FinetuneGroup, no_args_is_help=True,
    help="Fine-tune a model with LoRA / QLoRA (trl + peft) on code, program graphs and execution feedback, or on "
         "passing vs failing answers from stored runs (--method dpo), or on its own answers rewarded by running "
         "them in the sandbox (--method grpo).\n\n"
         "Train: codeforge finetune [OPTIONS] (the same as codeforge finetune train [OPTIONS]); all options: "
         "codeforge finetune train --help. Stored training runs: codeforge finetune list, codeforge finetune "
         "show NAME.\n\n"
         "Example: codeforge finetune --model Qwen/Qwen2.5-Coder-0.5B-Instruct --data mbpp --graph pdg --feedback "
         "--out adapters/pdg\n\n"
         "Example: codeforge finetune --method dpo --model M --from-run BASE_SAMPLES --out adapters/dpo\n\n"
         "Example: codeforge finetune --method grpo --model M --data mbpp --reward tests --out adapters/grpo\n\n"
         "Example: codeforge finetune --curriculum 3 --model M --data jsonl:kodcode.jsonl --out adapters/kod")


@settings_command(app, "train", FinetuneConfig)
def finetune(config: FinetuneConfig) -> None:
    """Train a LoRA adapter (trl + peft): sft on code, its program graphs and execution feedback, or dpo on
    passing vs failing answers to one prompt, mined from stored bench runs (--method dpo --from-run NAME), or grpo
    on its own answers to the prompts of --data, each run in the sandbox against its task's tests (--method grpo).

    Prompts are built as `codeforge bench` builds them for the same model; sft's loss is on the answer only;
    dpo's reference is the base model (the adapter disabled) and it reports preference accuracy on held-back
    pairs; grpo logs every answer's reward (OUT/rewards.jsonl) and each step's (OUT/grpo-steps.jsonl). Rows
    matching a benchmark are dropped and counted, and OUT gets the adapter and its manifest
    (codeforge-adapter.json). Then: codeforge bench humaneval --model M --adapter OUT. Ctrl-C saves a
    checkpoint; the same command with --resume continues. Exit 0: trained; 2: bad input (nothing trained);
    130: interrupted (checkpoint saved). Under `accelerate launch` or `torchrun` (DDP) every process runs it and
    only the main one prints.

    Example: codeforge finetune --model Qwen/Qwen2.5-Coder-0.5B-Instruct --data mbpp --graph pdg --feedback --out adapters/pdg

    Example: codeforge finetune --method dpo --model M --from-run BASE_SAMPLES --out adapters/dpo

    Example: codeforge finetune --method grpo --model M --data mbpp --reward tests --num-generations 8 --out adapters/grpo

    With --curriculum ROUNDS the tasks of --data are split over the rounds; each round trains on its new tasks
    and the ones the previous round's adapter failed, then benchmarks them (OUT/round-N, training and bench runs
    NAME-round-N; codeforge report shows pass@1 per round).

    Example: codeforge finetune --curriculum 3 --model M --data jsonl:kodcode.jsonl --samples 4 --then-dpo --out adapters/kod
    """
    from rich.console import Console

    from ..finetune.ranks import is_main
    from ..finetune.session import FinetuneError, run_finetune

    _quiet_libraries()

    main = is_main()
    out = _console(stderr=config.json) if main else Console(quiet=True)
    if config.curriculum:
        _curriculum(config, out)
        return
    with _TrainProgress(out) as progress:
        try:
            outcome = run_finetune(config, progress, on_data=lambda prepared: _print_data(out, prepared, config))
        except FinetuneError as exc:
            _end(main, str(exc))
    trained = outcome.trained
    if trained is not None and trained.interrupted:
        where = trained.checkpoint or config.out
        _end(main, _("interrupted at step {step}; checkpoint saved in {path}. Continue with the same command and "
                     "--resume").format(step=trained.steps, path=where), 130)
    if not main:  # the main process prints the outcome
        return
    if config.dry_run:
        _print_rows(out, outcome.prepared.rows)
        if config.json:
            typer.echo(json.dumps({"rows": outcome.prepared.counts,
                                   "dropped": len(outcome.prepared.dropped)}, indent=2))
        return
    out.print(_("adapter saved in {path} ({steps} steps, final loss {loss}, {seconds} s)").format(
        path=config.out, steps=trained.steps,
        loss=trained.final_loss if trained.final_loss is None else round(trained.final_loss, 4),
        seconds=f"{trained.seconds:.1f}"), markup=False, highlight=False)
    _print_held_back(out, outcome.manifest)
    _print_rewards(out, outcome.manifest)
    if outcome.merged:
        out.print(_("merged model saved in {path}").format(path=outcome.merged), markup=False, highlight=False)
    out.print(_("next: {command}").format(
        command=f"codeforge bench {_benchmark_for(config.data, outcome.prepared.counts)} --model {config.model} "
                f"--adapter {config.out}"),
        markup=False, highlight=False, soft_wrap=True)
    if config.json:
        from dataclasses import asdict

        typer.echo(json.dumps({"out": str(config.out), "manifest": asdict(outcome.manifest)}, indent=2))


def _curriculum(config: FinetuneConfig, out) -> None:
    from ..finetune.curriculum import Interrupted, run_curriculum
    from ..finetune.session import FinetuneError

    with _TrainProgress(out) as progress:
        try:
            outcome = run_curriculum(config, progress, _CurriculumSay(out, progress),
                                     on_data=lambda prepared: _print_data(out, prepared, config))
        except FinetuneError as exc:
            _fail(str(exc))
        except Interrupted as exc:
            _fail(_("{error}. Continue with the same command and --resume").format(error=exc), 130)
        except KeyboardInterrupt:
            _fail(_("interrupted; what finished is stored. Continue with the same command and --resume"), 130)
    if config.dry_run:
        _print_rows(out, outcome.dry_run_rows.prepared.rows)
        return
    _print_curriculum(out, outcome)
    out.print(_("next: codeforge report (pass@1 per round); {command}").format(
        command=f"codeforge bench humaneval --model {config.model} --adapter {outcome.adapter}"),
        markup=False, highlight=False, soft_wrap=True)
    if config.json:
        from dataclasses import asdict

        typer.echo(json.dumps({"out": str(outcome.out), "adapter": outcome.adapter,
                               "rounds": [asdict(r) for r in outcome.rounds]}, indent=2))


class _CurriculumSay:
    """Prints the curriculum's steps; a round's bench run gets bench's own progress bars, once training's bar is
    put away (rich shows one live display at a time)."""

    def __init__(self, console, progress: "_TrainProgress"):
        self.console, self.progress = console, progress

    def line(self, text: str) -> None:
        self.progress.close()
        self.console.print(text, markup=False, highlight=False, soft_wrap=True)

    def bench_reporter(self):
        from .bench_view import ProgressReporter

        self.progress.close()
        return ProgressReporter(self.console)


def _print_curriculum(out, outcome) -> None:
    from rich.table import Table

    table = Table(title=_("curriculum rounds ({path})").format(path=outcome.out), title_justify="left")
    for column in (_("round"), _("new"), _("revisited"), _("pass@1 [95% CI]"), _("failed"), _("adapter measured"),
                   "dpo"):
        table.add_column(column, overflow="fold")
    for r in outcome.rounds:
        score = r.pass_at_1
        shown = "-" if score is None else f"{score['value']:.3f} [{score['low']:.3f}, {score['high']:.3f}]"
        dpo = r.dpo or (_(r.dpo_skipped) if r.dpo_skipped else "-")
        table.add_row(str(r.round), str(len(r.new)), str(len(r.revisited)), shown,
                      f"{len(r.failed)}/{len(r.tasks)}", r.adapter, dpo)
    out.print(table)


def _end(main: bool, message: str, code: int = 2) -> None:
    """Every process ends with the status; only the main one says why (the processes agreed on it)."""
    from ..finetune.ranks import together

    try:
        if main:
            _fail(message, code)
    finally:
        together()
    raise typer.Exit(code)


def _print_data(out, prepared, config: FinetuneConfig) -> None:
    from rich.table import Table

    table = Table(title=_("training rows"), title_justify="left")
    table.add_column(_("kind"))
    table.add_column(_("rows"), justify="right")
    for kind, count in prepared.counts.items():
        table.add_row(kind, str(count))
    out.print(table)
    for source, found in prepared.details.get("pairs", {}).items():
        out.print(_("{source}: {first_round} pairs from the tasks' prompts, {chain} from feedback prompts").format(
            source=source, first_round=found['first_round'], chain=found['chain']),
            markup=False, highlight=False, soft_wrap=True)
    matched = len(prepared.dropped)
    if matched:
        if config.allow_contamination:
            said = _("{count} rows match a benchmark and were kept (--allow-contamination: the adapter is marked "
                     "contaminated); e.g. {task} ({how})")
        else:
            said = _("{count} rows match a benchmark and were dropped; e.g. {task} ({how})")
        out.print(said.format(count=matched, task=prepared.dropped[0][1].task_id, how=prepared.dropped[0][1].how),
                  markup=False, highlight=False, soft_wrap=True)
    else:
        out.print(_("no row matches a benchmark"), highlight=False)
    for task_id, why in prepared.skipped[:5]:
        out.print(_("skipped {task}: its graph could not be built ({why})").format(task=task_id, why=why),
                  markup=False, highlight=False)
    if len(prepared.skipped) > 5:
        out.print(_("... and {count} more skipped").format(count=len(prepared.skipped) - 5), highlight=False)


def _print_rows(out, rows: list[dict], shown: int = 2) -> None:
    from rich.rule import Rule

    kinds = []
    for row in rows:
        if row["kind"] not in [k["kind"] for k in kinds]:
            kinds.append(row)
    for row in kinds[:shown + 3]:
        title = row["task_id"] or row["source"]
        if "chosen" in row:  # a preference pair: the prompt, then each answer
            out.print(Rule(_("{kind} pair ({title}, {source})").format(kind=row['kind'], title=title,
                                                                       source=row['source'])))
            out.print(row["prompt"], markup=False, highlight=False, end="", soft_wrap=True)
            for side, style in (("chosen", "green"), ("rejected", "red")):
                out.print(Rule(side, style=style))
                out.print(row[side], markup=False, highlight=False, style=style, soft_wrap=True)
            continue
        out.print(Rule(_("{kind} row ({title})").format(kind=row['kind'], title=title)))
        out.print(row["prompt"], markup=False, highlight=False, end="", soft_wrap=True)
        if "completion" in row:  # grpo's rows are prompts only: the model writes the answers
            out.print(row["completion"], markup=False, highlight=False, style="green", soft_wrap=True)
        else:
            out.print()


def _print_rewards(out, manifest) -> None:
    reward = manifest.preference.get("reward") if manifest is not None else None
    if not reward:
        return

    def mean(value) -> str:
        return "-" if value is None else f"{value:.4f}"

    share = reward["zero_variance_share"]
    shaped = f"{reward['kind']}, {reward['shape']}" if reward["kind"] == "tests" else reward["kind"]
    out.print(_("rewards ({kind}): mean {first} in the first step, {last} in the last; {answers} answers, {masked} "
                "without a reward (the sandbox failed); groups with all rewards equal: {equal}; waiting on rewards: "
                "{seconds} s ({wait} of training)").format(
                    kind=shaped, first=mean(reward['mean_first_step']), last=mean(reward['mean_last_step']),
                    answers=reward['completions'], masked=reward['masked'],
                    equal='-' if share is None else f'{share:.0%}', seconds=f"{reward['reward_seconds']:.1f}",
                    wait=f"{reward['wait_share']:.0%}"),
              markup=False, highlight=False, soft_wrap=True)


def _benchmark_for(data, counts: dict) -> str:
    """What to bench an adapter on: Go unit tests for one trained to write them (of another package than the one
    trained on), held-out text tasks by their similarity for one trained on text pairs only, else HumanEval."""
    from ..finetune.rows import RowKind
    from ..finetune.sources import GO_UNITTEST

    if any(name == GO_UNITTEST or name.startswith(GO_UNITTEST + ":") for name in data):
        return f"{GO_UNITTEST} --dataset-path ANOTHER_PACKAGE"
    if counts and set(counts) <= {RowKind.pair, "total"}:
        return "jsonl:HELD_OUT_TEXT_TASKS.jsonl --metrics bleu,chrf,bertscore"
    return "humaneval"


def _print_held_back(out, manifest) -> None:
    held = manifest.preference.get("held_back", {}) if manifest is not None else {}
    before, after = held.get("before", {}), held.get("after", {})
    if not after:
        if manifest is not None and manifest.method == "dpo":
            out.print(_("no pairs were held back (--held-back 0, or one task): preference accuracy not measured"),
                      highlight=False)
        return
    gap_before = before.get("logps_chosen", 0.0) - before.get("logps_rejected", 0.0)
    gap_after = after.get("logps_chosen", 0.0) - after.get("logps_rejected", 0.0)
    out.print(_("held-back pairs ({pairs} of tasks {tasks}): preference accuracy {accuracy}, reward margin "
                "{margin}; log-probability chosen minus rejected {before} -> {after}").format(
                    pairs=held['pairs'], tasks=', '.join(held['tasks']), accuracy=f"{after.get('accuracy', 0.0):.3f}",
                    margin=f"{after.get('margin', 0.0):.4f}", before=f"{gap_before:.3f}", after=f"{gap_after:.3f}"),
              markup=False, highlight=False, soft_wrap=True)


class _TrainProgress:
    """Rich progress: step, loss, tokens/s, ETA."""

    def __init__(self, console):
        self.console = console
        self.bar = None
        self.first_step = 0
        self.started_at = 0.0
        self.evaluated_at = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None

    def started(self, total_steps: int, start_step: int) -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        self.close()  # a curriculum trains several times in one command
        self.evaluated_at = None
        steps = _("step {step}/{total}").format(step="{task.completed}", total="{task.total}")  # rich fills them in
        self.bar = Progress(TextColumn(_("training")), BarColumn(), TextColumn(steps),
                            TextColumn("{task.fields[info]}"), TimeRemainingColumn(), console=self.console,
                            transient=False)
        self.bar.start()
        self.task = self.bar.add_task("train", total=total_steps, completed=start_step, info="")
        self.first_step, self.started_at = start_step, time.perf_counter()

    def step(self, step: int, loss, tokens: int) -> None:
        if self.bar is None:
            return
        seconds = max(time.perf_counter() - self.started_at, 1e-9)
        info = (_("loss {loss}").format(loss=f"{loss:.4f}") + "  " if loss is not None else "") \
            + _("{rate} tokens/s").format(rate=f"{tokens / seconds:,.0f}")
        self.bar.update(self.task, completed=step, info=info)

    def saved(self, folder) -> None:
        if self.bar is not None:
            self.bar.console.print(_("checkpoint saved: {path}").format(path=folder), markup=False, highlight=False)

    def evaluated(self, step: int, metrics: dict) -> None:
        accuracy, margin = metrics.get("eval_rewards/accuracies"), metrics.get("eval_rewards/margins")
        if accuracy is None or margin is None or step == 0:  # untrained, the adapter is the reference: all 0
            return
        if step == self.evaluated_at:  # the trainer's own evaluation at the last step, then the final one
            return
        self.evaluated_at = step
        console = self.bar.console if self.bar is not None else self.console
        console.print(_("held-back pairs at step {step}: preference accuracy {accuracy}, reward margin {margin}")
                      .format(step=step, accuracy=f"{accuracy:.3f}", margin=f"{margin:.4f}"),
                      markup=False, highlight=False)


def _stored(db):
    from ..store import Store, StoreError, db_path

    path = db_path(db)
    try:
        return Store.open(path, create=False)
    except StoreError as exc:
        _fail(str(exc))


def _finetune_json(record) -> dict:
    from dataclasses import asdict

    return asdict(record)


@settings_command(app, "list", StoredRunsConfig)
def list_finetunes(config: StoredRunsConfig) -> None:
    """The training runs in the results store: adapter, base model, data, graph, feedback, rows, outcome.

    Example: codeforge finetune list
    """
    from rich.table import Table

    with _stored(config.db) as store:
        records = store.finetunes()
    if config.json:
        typer.echo(json.dumps([_finetune_json(r) for r in records], indent=2))
        return
    out = _console()
    if not records:
        out.print(_("no training runs stored yet: codeforge finetune --model M --data mbpp --out DIR"), markup=False)
        return
    table = Table(title=_("training runs"), title_justify="left")
    for column in (_("name"), _("method"), _("base model"), _("data"), _("graph"), _("feedback"), _("rows (dropped)"),
                   _("steps"), _("final loss"), _("adapter")):
        table.add_column(column, overflow="fold")
    for r in records:
        m = r.manifest or {}
        settings = r.settings
        method = settings.get("method", "sft")
        step = m.get("curriculum") or {}
        shown_method = _("{method} (curriculum {name}, round {round}/{rounds})").format(
            method=method, name=step['name'], round=step['round'], rounds=step['rounds']) if step else method
        graph = settings.get("graph", "none")
        if graph != "none":
            graph += f" ({settings.get('graph_format')})"
        train = m.get("train", {})
        loss = train.get("final_loss")
        rows = f"{m['rows'].get('total')} ({m['contamination'].get('dropped', 0)})" if m else "-"
        data = [f"run:{name}" for name in settings.get("from_run", [])] if method == "dpo" else settings.get("data", [])
        table.add_row(r.name, shown_method, r.base_model, ", ".join(data), graph,
                      ", ".join(m.get("feedback", [])) or "-", rows, str(train.get("steps", "-")),
                      "-" if loss is None else f"{loss:.4f}",
                      r.out if r.finished_at else _("{path} (not finished)").format(path=r.out))
    out.print(table)


@settings_command(app, "show", ShowFinetuneConfig)
def show_finetune(config: ShowFinetuneConfig) -> None:
    """One training run: its settings and the adapter's manifest.

    Example: codeforge finetune show pdg_feedback
    """
    from ..config import dump_yaml

    with _stored(config.db) as store:
        record = store.finetune(config.name)
        known = [r.name for r in store.finetunes()]
    if record is None:
        _fail(_("no training run named {name} (stored: {known}); see codeforge finetune list")
              .format(name=repr(config.name), known=", ".join(known) or _("none")))
    if config.json:
        typer.echo(json.dumps(_finetune_json(record), indent=2))
        return
    out = _console()
    out.print(dump_yaml({"name": record.name, "adapter": record.out, "base_model": record.base_model,
                              "state": "finished" if record.finished_at else "not finished",
                              "settings": record.settings, "manifest": record.manifest}),
              markup=False, highlight=False, soft_wrap=True)


def _quiet_libraries() -> None:
    """The libraries' own progress bars and deprecation notes would interleave with the rich progress: the
    notes are about how trl calls transformers, nothing a user can act on."""
    import os
    import warnings

    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"(transformers|trl|peft)(\.|$)")
    try:
        from transformers.utils import logging as transformers_logging
    except ImportError:  # the [train] extra is missing: run_finetune says so
        return
    transformers_logging.disable_progress_bar()
