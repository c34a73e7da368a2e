"""`codeforge finetune`: LoRA / QLoRA fine-tuning with trl on graph-augmented code and on execution feedback.

Every option comes from codeforge/finetune/config.py (FinetuneConfig).
"""

from __future__ import annotations

import json
import time

import typer
from typer.core import TyperGroup

from ..finetune.config import FinetuneConfig
from ._output import console as _console
from ._output import fail as _fail
from ._settings import settings_command


class _OneCommand(TyperGroup):
    """`codeforge finetune [OPTIONS]`: a sub-app that is one command."""

    def collect_usage_pieces(self, ctx):
        return super(TyperGroup, self).collect_usage_pieces(ctx)


app = typer.Typer(cls=_OneCommand)


@settings_command(app, "finetune", FinetuneConfig, callback=True)
def finetune(config: FinetuneConfig) -> None:
    """Train a LoRA adapter (trl SFTTrainer + peft) on code, its program graphs and execution feedback.

    Prompts are built as `codeforge bench` builds them for the same model, the loss is on the answer only,
    rows matching a benchmark are dropped and counted, and OUT gets the adapter and its manifest
    (codeforge-adapter.json). Then: codeforge bench humaneval --model M --adapter OUT. Ctrl-C saves a
    checkpoint; the same command with --resume continues. Exit 0: trained; 2: bad input (nothing trained);
    130: interrupted (checkpoint saved). Under `accelerate launch` or `torchrun` (DDP) every process runs it and
    only the main one prints.

    Example: codeforge finetune --model Qwen/Qwen2.5-Coder-0.5B-Instruct --data mbpp --graph pdg --feedback --out adapters/pdg
    """
    from rich.console import Console

    from ..finetune.ranks import is_main
    from ..finetune.session import FinetuneError, run_finetune

    main = is_main()
    out = _console(stderr=config.json) if main else Console(quiet=True)
    with _TrainProgress(out) as progress:
        try:
            outcome = run_finetune(config, progress, on_data=lambda prepared: _print_data(out, prepared, config))
        except FinetuneError as exc:
            _end(main, str(exc))
    trained = outcome.trained
    if trained is not None and trained.interrupted:
        where = trained.checkpoint or config.out
        _end(main, f"interrupted at step {trained.steps}; checkpoint saved in {where}. Continue with the same "
             f"command and --resume", 130)
    if not main:  # the main process prints the outcome
        return
    if config.dry_run:
        _print_rows(out, outcome.prepared.rows)
        if config.json:
            typer.echo(json.dumps({"rows": outcome.prepared.counts,
                                   "dropped": len(outcome.prepared.dropped)}, indent=2))
        return
    out.print(f"adapter saved in {config.out} ({trained.steps} steps, final loss "
              f"{trained.final_loss if trained.final_loss is None else round(trained.final_loss, 4)}, "
              f"{trained.seconds:.1f} s)", markup=False, highlight=False)
    if outcome.merged:
        out.print(f"merged model saved in {outcome.merged}", markup=False, highlight=False)
    out.print(f"next: codeforge bench humaneval --model {config.model} --adapter {config.out}", markup=False,
              highlight=False, soft_wrap=True)
    if config.json:
        from dataclasses import asdict

        typer.echo(json.dumps({"out": str(config.out), "manifest": asdict(outcome.manifest)}, indent=2))


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

    table = Table(title="training rows", title_justify="left")
    table.add_column("kind")
    table.add_column("rows", justify="right")
    for kind, count in prepared.counts.items():
        table.add_row(kind, str(count))
    out.print(table)
    matched = len(prepared.dropped)
    if matched:
        verb = "kept (--allow-contamination: the adapter is marked contaminated)" if config.allow_contamination \
            else "dropped"
        out.print(f"{matched} rows match a benchmark and were {verb}; e.g. {prepared.dropped[0][1].task_id} "
                  f"({prepared.dropped[0][1].how})", markup=False, highlight=False, soft_wrap=True)
    else:
        out.print("no row matches a benchmark", highlight=False)
    for task_id, why in prepared.skipped[:5]:
        out.print(f"skipped {task_id}: its graph could not be built ({why})", markup=False, highlight=False)
    if len(prepared.skipped) > 5:
        out.print(f"... and {len(prepared.skipped) - 5} more skipped", highlight=False)


def _print_rows(out, rows: list[dict], shown: int = 2) -> None:
    from rich.rule import Rule

    kinds = []
    for row in rows:
        if row["kind"] not in [k["kind"] for k in kinds]:
            kinds.append(row)
    for row in kinds[:shown + 3]:
        out.print(Rule(f"{row['kind']} row ({row['task_id'] or row['source']})"))
        out.print(row["prompt"], markup=False, highlight=False, end="", soft_wrap=True)
        out.print(row["completion"], markup=False, highlight=False, style="green", soft_wrap=True)


class _TrainProgress:
    """Rich progress: step, loss, tokens/s, ETA."""

    def __init__(self, console):
        self.console = console
        self.bar = None
        self.first_step = 0
        self.started_at = 0.0

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        if self.bar is not None:
            self.bar.stop()

    def started(self, total_steps: int, start_step: int) -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        self.bar = Progress(TextColumn("training"), BarColumn(), TextColumn("step {task.completed}/{task.total}"),
                            TextColumn("{task.fields[info]}"), TimeRemainingColumn(), console=self.console,
                            transient=False)
        self.bar.start()
        self.task = self.bar.add_task("train", total=total_steps, completed=start_step, info="")
        self.first_step, self.started_at = start_step, time.perf_counter()

    def step(self, step: int, loss, tokens: int) -> None:
        if self.bar is None:
            return
        seconds = max(time.perf_counter() - self.started_at, 1e-9)
        info = (f"loss {loss:.4f}  " if loss is not None else "") + f"{tokens / seconds:,.0f} tokens/s"
        self.bar.update(self.task, completed=step, info=info)

    def saved(self, folder) -> None:
        if self.bar is not None:
            self.bar.console.print(f"checkpoint saved: {folder}", markup=False, highlight=False)
