"""How `codeforge bench` shows things: the progress bar, the score table, runs and their samples."""

from __future__ import annotations

import json
from typing import Optional

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..bench.scores import RoundSummary, stored_rounds, task_rows
from ..bench.session import BenchOutcome
from ..store import RunRecord, Store

STATUS_STYLE = {"passed": "green", "failed": "red", "timeout": "yellow", "oom": "magenta", "no_code": "yellow",
                "compile_error": "red", "memory_error": "red", "output_limit": "yellow", "unchecked": "bold red"}


class ProgressReporter:
    """One bar per round counting the samples checked, with how many were generated and passed so far; a
    spinner while the model loads."""

    def __init__(self, console: Console):
        self.console = console
        self.progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                 MofNCompleteColumn(), TextColumn("{task.fields[note]}"), TimeElapsedColumn(),
                                 console=console, transient=False)
        self.bar = self.loading = None
        self.passed = self.checked = self.generated_count = 0

    def __enter__(self) -> "ProgressReporter":
        self.progress.__enter__()
        return self

    def __exit__(self, *exc_info) -> None:
        self.progress.__exit__(*exc_info)

    def model_loading(self, model: str) -> None:
        self.loading = self.progress.add_task(f"loading {escape(model)}", total=None, note="")

    def model_loaded(self, seconds: float) -> None:
        if self.loading is not None:
            self.progress.update(self.loading, total=1, completed=1, note=f"loaded in {seconds:.1f} s")

    def round_started(self, round: int, to_generate: int, to_execute: int) -> None:
        self.passed = self.checked = self.generated_count = 0
        total = to_generate + to_execute  # samples to check in this round
        label = "round 0" if round == 0 else f"round {round} (feedback)"
        self.bar = self.progress.add_task(label, total=max(total, 1), note="nothing left to do" if not total else "")
        if not total:
            self.progress.update(self.bar, completed=1)

    def _note(self) -> str:
        return f"generated {self.generated_count}, passed {self.passed}/{self.checked}"

    def generated(self, count: int) -> None:
        self.generated_count += count
        self.progress.update(self.bar, note=self._note())

    def executed(self, passed: bool) -> None:
        self.checked += 1
        self.passed += int(passed)
        self.progress.update(self.bar, advance=1, note=self._note())

    def sandbox_failed(self, message: str) -> None:
        self.progress.console.print(f"[yellow]sandbox error (the sample stays unchecked):[/] {escape(message)}")


def _score_cells(summary: RoundSummary, ks: list[int]) -> list[str]:
    cells = []
    for k in ks:
        s = summary.scores.get(k)
        cells.append(f"{100 * s.value:.1f}% [{100 * s.low:.1f}, {100 * s.high:.1f}]" if s else "-")
    return cells


def _feedback_label(run: RunRecord) -> str:
    if run.chain == 0:
        return "none"
    return "hidden tests (ORACLE)" if run.oracle_feedback else "visible examples"


def rounds_table(run: RunRecord, rounds: list[RoundSummary]) -> Table:
    ks = sorted({k for r in rounds for k in r.scores})
    table = Table(title=f"{run.name} on {run.dataset} ({run.model}, {run.prompt_mode} prompts, feedback: "
                        f"{_feedback_label(run)})")
    table.add_column("round", justify="right")
    for k in ks:
        table.add_column(f"pass@{k} [95% CI]", justify="right")
    for name in ("solved", "samples", "unchecked", "tokens/s"):
        table.add_column(name, justify="right")
    for r in rounds:
        table.add_row(str(r.round), *_score_cells(r, ks), f"{r.solved}/{r.tasks}", str(r.samples),
                      str(r.unchecked), f"{r.tokens_per_s:.1f}" if r.completion_tokens else "-")
    return table


def print_summary(console: Console, outcome: BenchOutcome) -> None:
    console.print(rounds_table(outcome.run, outcome.rounds))
    if outcome.run.oracle_feedback:
        console.print("[yellow]Rounds after 0 used the benchmark's own tests as feedback (oracle): not comparable "
                      "with plain pass@k.[/]")
    console.print(f"stored in {outcome.db} as run [bold]{escape(outcome.run.name)}[/]"
                  + (" (resumed)" if outcome.resumed else ""))
    if outcome.export is not None:
        console.print(f"exported {outcome.exported} samples to {outcome.export}")
    if outcome.unchecked:
        console.print(f"[bold red]{outcome.unchecked} samples could not be checked (sandbox errors). Run the same "
                      "command again to check them; nothing else is repeated.[/]")


def summary_json(outcome: BenchOutcome) -> dict:
    run = outcome.run
    return {
        "run": run.name, "dataset": run.dataset, "model": run.model, "backend": run.backend,
        "adapter": run.adapter, "prompt_mode": run.prompt_mode, "feedback": run.feedback if run.chain else None,
        "oracle_feedback": run.oracle_feedback, "db": str(outcome.db), "resumed": outcome.resumed,
        "export": str(outcome.export) if outcome.export else None,
        "rounds": [round_json(r) for r in outcome.rounds],
    }


def round_json(r: RoundSummary) -> dict:
    return {"round": r.round, "solved": r.solved, "tasks": r.tasks, "samples": r.samples, "unchecked": r.unchecked,
            "completion_tokens": r.completion_tokens, "gen_seconds": round(r.gen_seconds, 3),
            "tokens_per_s": round(r.tokens_per_s, 2), "statuses": r.statuses,
            "pass_at_k": {str(k): {"value": s.value, "low": s.low, "high": s.high} for k, s in r.scores.items()}}


def runs_json(store: Store) -> list[dict]:
    out = []
    for run in store.runs():
        rounds = stored_rounds(store, run)
        final = rounds[-1].scores.get(1) if rounds else None
        out.append({"run": run.name, "dataset": run.dataset, "model": run.model, "backend": run.backend,
                    "adapter": run.adapter, "chain": run.chain, "feedback": run.feedback,
                    "oracle_feedback": run.oracle_feedback, "samples_per_task": run.samples_per_task,
                    "tasks": rounds[-1].tasks if rounds else 0, "pass_at_1": final.value if final else None,
                    "finished": run.finished_at is not None})
    return out


def print_runs(console: Console, store: Store) -> None:
    rows = runs_json(store)
    if not rows:
        console.print(f"no runs in {store.path} yet: run `codeforge bench humaneval`")
        return
    table = Table(title=f"runs in {store.path}")
    for name in ("run", "dataset", "model", "chain", "feedback", "n", "tasks", "pass@1", "finished"):
        table.add_column(name)
    for row in rows:
        feedback = "-" if not row["chain"] else row["feedback"] + (" (oracle)" if row["oracle_feedback"] else "")
        pass1 = f"{100 * row['pass_at_1']:.1f}%" if row["pass_at_1"] is not None else "-"
        table.add_row(escape(row["run"]), row["dataset"], escape(row["model"]), str(row["chain"]), feedback,
                      str(row["samples_per_task"]), str(row["tasks"]), pass1, "yes" if row["finished"] else "no")
    console.print(table)


def print_run(console: Console, store: Store, run: RunRecord) -> None:
    console.print(rounds_table(run, stored_rounds(store, run)))
    table = Table(title="tasks")
    for name in ("task", "passed samples", "first passed in round", "last status"):
        table.add_column(name)
    for row in task_rows(store, run):
        status = row["last_status"] or "-"
        table.add_row(row["task_id"], f"{row['passed_samples']}/{row['samples']}",
                      "-" if row["first_pass_round"] is None else str(row["first_pass_round"]),
                      f"[{STATUS_STYLE.get(status, 'white')}]{status}[/]")
    console.print(table)


def print_task(console: Console, store: Store, run: RunRecord, task_id: str) -> None:
    for s in store.samples(run.id, task_id):
        status = s.tested.status if s.tested else "unchecked"
        console.rule(f"{task_id} sample {s.sample} round {s.round}: [{STATUS_STYLE.get(status, 'white')}]{status}[/]")
        if s.feedback:
            console.print(f"[bold]feedback given ({s.feedback_source}):[/]\n{escape(s.feedback)}")
        console.print("[bold]code:[/]" if s.code is not None else "[bold yellow]no code in the answer; raw output:[/]")
        console.print(escape(s.code if s.code is not None else s.raw_output), highlight=False, soft_wrap=True)


def run_detail_json(store: Store, run: RunRecord, task_id: Optional[str]) -> dict:
    detail = {"run": run.name, "dataset": run.dataset, "config": run.config, "versions": run.versions,
              "oracle_feedback": run.oracle_feedback,
              "rounds": [round_json(r) for r in stored_rounds(store, run)]}
    if task_id is None:
        detail["tasks"] = task_rows(store, run)
    else:
        detail["samples"] = [{"sample": s.sample, "round": s.round, "prompt": json.loads(s.prompt),
                              "raw_output": s.raw_output, "code": s.code, "finish_reason": s.finish_reason,
                              "feedback": s.feedback, "feedback_source": s.feedback_source,
                              "executions": {p: {"status": e.status, "passed": e.passed, "result": e.result}
                                             for p, e in s.executions.items()}}
                             for s in store.samples(run.id, task_id)]
    return detail
