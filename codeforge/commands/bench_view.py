"""How `codeforge bench` shows things: the progress bar, the score table, runs and their samples. Repair runs
are listed here beside bench runs; showing one is repair_view's.

Whatever comes from the store (run and model names, task ids, code, feedback, tracebacks) is printed as
plain text, never read as rich markup; table cells fold instead of being cut short.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Iterable, Optional

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from ..bench.scores import (INTERVAL_TEXT, Interval, MetricScore, RoundSummary, final_samples,
                            finished, run_ks, run_metrics, sample_status, stored_rounds, task_rows)
from ..i18n import _, ngettext
from ..metrics import Metric
from ..repair.scores import is_repair, last_epoch, program_keys, repair_finished, summarize_repair
from ..store import RunRecord, Store
from ..vocabulary import SampleStatus, Workflow
from ._output import table

if TYPE_CHECKING:  # the orchestrator (and the model code it imports) loads only for a bench run
    from ..bench.session import BenchOutcome

STATUS_STYLE = {SampleStatus.passed: "green", SampleStatus.failed: "red", SampleStatus.timeout: "yellow",
                SampleStatus.oom: "magenta", SampleStatus.no_code: "yellow", SampleStatus.compile_error: "red",
                SampleStatus.memory_error: "red", SampleStatus.output_limit: "yellow",
                SampleStatus.unchecked: "bold red"}


class ProgressReporter:
    """One bar per round counting the samples checked, with how many were generated and passed so far; a
    spinner while the model loads."""

    def __init__(self, console: Console):
        self.console = console
        self.progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                 MofNCompleteColumn(), TextColumn("{task.fields[note]}"), TimeElapsedColumn(),
                                 console=console, transient=False)
        self.bar = self.loading = None
        self.passed = self.checked = self.generated_count = self.answered_count = 0

    def __enter__(self) -> "ProgressReporter":
        self.progress.__enter__()
        return self

    def __exit__(self, *exc_info) -> None:
        self.progress.__exit__(*exc_info)

    def model_loading(self, model: str) -> None:
        self.loading = self.progress.add_task(_("loading {model}").format(model=escape(model)), total=None, note="")

    def model_loaded(self, seconds: float) -> None:
        if self.loading is not None:
            self.progress.update(self.loading, total=1, completed=1,
                                 note=_("loaded in {seconds} s").format(seconds=f"{seconds:.1f}"))

    def round_started(self, round: int, to_generate: int, to_execute: int) -> None:
        self.passed = self.checked = self.generated_count = self.answered_count = 0
        total = to_generate + to_execute  # samples to check in this round
        label = _("round {round}").format(round=0) if round == 0 else _("round {round} (feedback)").format(round=round)
        self.bar = self.progress.add_task(label, total=max(total, 1), note=_("nothing left to do") if not total else "")
        if not total:
            self.progress.update(self.bar, completed=1)

    def _note(self) -> str:
        if not self.checked and self.answered_count:  # text tasks: nothing to check
            return _("generated {generated}").format(generated=self.generated_count)
        return _("generated {generated}, passed {passed}/{checked}").format(
            generated=self.generated_count, passed=self.passed, checked=self.checked)

    def generated(self, count: int) -> None:
        self.generated_count += count
        self.progress.update(self.bar, note=self._note())

    def executed(self, passed: bool) -> None:
        self.checked += 1
        self.passed += int(passed)
        self.progress.update(self.bar, advance=1, note=self._note())

    def answered(self) -> None:
        self.answered_count += 1
        self.progress.update(self.bar, advance=1, note=self._note())

    def sandbox_failed(self, message: str) -> None:
        self.progress.console.print(Text.assemble((_("sandbox error (the sample stays unchecked): "), "yellow"),
                                                  message))


def _intervals_used(rounds: Iterable[RoundSummary], k: int) -> list[Interval]:
    return sorted({r.scores[k].interval for r in rounds if k in r.scores}, key=list(Interval).index)


def _score_cell(summary: RoundSummary, k: int, marked: bool) -> str:
    s = summary.scores.get(k)
    if s is None:
        return "-"
    from ..report.fmt import interval_label

    cell = f"{100 * s.value:.1f}% [{100 * s.low:.1f}, {100 * s.high:.1f}]"
    return f"{cell} {interval_label(s.interval)}" if marked else cell


def interval_note(methods: Iterable[Interval]) -> Optional[str]:
    """The line under a table that says what made its 95% intervals."""
    from ..report.fmt import interval_label, interval_text

    used = [m for m in dict.fromkeys(methods) if m is not Interval.none]
    if not used:
        return None
    return _("95% intervals: {intervals}.").format(
        intervals="; ".join(f"{interval_label(m)}: {interval_text(m)}" for m in used))


def _feedback_label(run: RunRecord) -> str:
    if run.chain == 0:
        return _("none")
    return _("hidden tests (ORACLE)") if run.oracle_feedback else _("visible examples")


def rounds_table(run: RunRecord, rounds: list[RoundSummary]) -> Table:
    ks = sorted({k for r in rounds for k in r.scores})
    state = "" if finished(run, rounds) else _(" (unfinished)") if any(r.samples for r in rounds) else \
        _(" (unfinished: no sample stored)")
    used = {k: _intervals_used(rounds, k) for k in ks}
    rewarded = any(r.reward is not None for r in rounds)
    columns = [(_("round"), "right")]
    if rewarded:  # Go unit tests: the mean go-coverage reward is the headline, its parts beside it
        columns += [(name, "right") for name in (_("reward [95%]"), _("runnable"), _("tests passed"), _("coverage"))]
    from ..report.fmt import interval_label

    for k in ks:
        columns.append((_("pass@{k} [95% {interval}]").format(k=k, interval=interval_label(used[k][0]))
                        if len(used[k]) == 1 else _("pass@{k} [95% CI]").format(k=k), "right"))
    columns += [(name, "right") for name in (_("solved"), _("samples"), _("unchecked"), _("tokens/s"))]
    made = table(_("{name} on {dataset} ({model}, {prompt_mode} prompts, feedback: {feedback}){state}").format(
                     name=run.name, dataset=run.dataset, model=run.model, prompt_mode=run.prompt_mode,
                     feedback=_feedback_label(run), state=state), columns,
                 caption=interval_note([*(m for k in ks for m in used[k]),
                                        *(r.reward.mean.interval for r in rounds if r.reward is not None)]))
    for r in rounds:
        made.add_row(str(r.round), *(_reward_cells(r) if rewarded else []),
                     *[_score_cell(r, k, len(used[k]) > 1) for k in ks],
                     "-" if r.solved is None else f"{r.solved}/{r.tasks}", str(r.samples), str(r.unchecked),
                     f"{r.tokens_per_s:.1f}" if r.completion_tokens else "-")
    return made


def _reward_cells(summary: RoundSummary) -> list[str]:
    reward = summary.reward
    if reward is None:
        return ["-"] * 4
    mean = reward.mean
    return [f"{mean.value:.3f} [{mean.low:.3f}, {mean.high:.3f}]", f"{100 * reward.runnable:.1f}%",
            f"{reward.tests_passed}/{reward.tests_declared}", f"{100 * reward.coverage:.1f}%"]


def metrics_table(run: RunRecord, metrics: list[MetricScore]) -> Table:
    """The similarity metrics of the run's final answers: mean with its interval, what was scored, and the
    correlation with passing across samples."""
    made = table(_("{run}: similarity to the reference (each sample's final answer)").format(run=run.name), [
        (_("metric"), "left"), (_("mean [95% bootstrap]"), "right"), (_("samples"), "right"),
        (_("skipped"), "right"), (_("missing"), "right"), (_("r with passing [95%]"), "right")],
        caption=_("skipped: no reference, or prose for CodeBLEU; missing: not scored yet (run bench with --metrics "
                  "again); r: Pearson's r between the metric and passing (1) or not (0) across samples, with a "
                  "bootstrap interval over samples ('-': undefined, as when every sample passed or none did)"))
    for m in metrics:
        mean = m.mean
        found = m.correlation
        made.add_row(m.metric, f"{mean.value:.3f} [{mean.low:.3f}, {mean.high:.3f}]" if m.samples else "-",
                     str(m.samples), str(m.skipped), str(m.missing),
                     "-" if found is None else f"{found.r:+.3f} [{found.low:+.3f}, {found.high:+.3f}]")
    return made


def print_metrics(console: Console, run: RunRecord, metrics: list[MetricScore]) -> None:
    if not metrics:
        return
    console.print(metrics_table(run, metrics))
    for m in metrics:
        console.print(Text(f"{m.metric}: {m.signature}", style="dim"), soft_wrap=True)


def print_summary(console: Console, outcome: BenchOutcome) -> None:
    console.print(rounds_table(outcome.run, outcome.rounds))
    print_metrics(console, outcome.run, outcome.metrics)
    if outcome.run.text_answers:
        console.print(Text(_("text tasks: no tests, so no pass@k; the similarity metrics are the score")))
    described = adapter_label(outcome.run)
    if described:
        style = "bold red" if "CONTAMINATED" in described else ""
        console.print(Text(_("adapter trained by codeforge finetune: {adapter}").format(adapter=described),
                           style=style))
    if outcome.run.oracle_feedback:
        console.print(Text(_("Rounds after 0 used the benchmark's own tests as feedback (oracle): not comparable "
                             "with plain pass@k."), style="yellow"))
    before, _name, after = _("stored in {path} as run {name}").partition("{name}")  # the name is bold
    console.print(Text.assemble(before.format(path=outcome.db), (outcome.run.name, "bold"),
                                after.format(path=outcome.db),
                                " " + _("(resumed)") if outcome.resumed else ""))
    if outcome.export is not None:
        console.print(Text(_("exported {count} samples to {path}").format(count=outcome.exported,
                                                                          path=outcome.export)))
    for host, why in outcome.engines_lost.items():
        console.print(Text.assemble((_("Docker engine left out:") + " ", "yellow"), host, " " + _(
            "({why}); its programs ran on the other engines").format(why=why)), soft_wrap=True)
    if outcome.unchecked:
        console.print(Text(_("{count} samples could not be checked (sandbox errors). Run the same command again to "
                             "check them; nothing else is repeated.").format(count=outcome.unchecked),
                           style="bold red"))


def adapter_label(run) -> str:
    """The stored adapter manifest in a few words ("" when the run used none, or one trained elsewhere)."""
    from ..report.fmt import adapter

    return adapter(run) if (run.config or {}).get("adapter_manifest") else ""


def _intervals_json(rounds: Iterable[RoundSummary]) -> dict:
    rounds = list(rounds)
    used = dict.fromkeys([*(s.interval for r in rounds for s in r.scores.values()),
                          *(r.reward.mean.interval for r in rounds if r.reward is not None)])
    return {m.value: INTERVAL_TEXT[m] for m in used}


def summary_json(outcome: BenchOutcome) -> dict:
    run = outcome.run
    return {
        "run": run.name, "dataset": run.dataset, "model": run.model, "backend": run.backend,
        "adapter": run.adapter, "adapter_manifest": (run.config or {}).get("adapter_manifest"),
        "prompt_mode": run.prompt_mode, "feedback": run.feedback if run.chain else None,
        "oracle_feedback": run.oracle_feedback, "db": str(outcome.db), "resumed": outcome.resumed,
        "export": str(outcome.export) if outcome.export else None,
        "finished": finished(run, outcome.rounds), "intervals": _intervals_json(outcome.rounds),
        "rounds": [round_json(r) for r in outcome.rounds], "engines_lost": outcome.engines_lost,
        "text_answers": run.text_answers, "metrics": {m.metric: m.to_json() for m in outcome.metrics},
    }


def round_json(r: RoundSummary) -> dict:
    return {"round": r.round, "solved": r.solved, "tasks": r.tasks, "samples": r.samples, "unchecked": r.unchecked,
            "completion_tokens": r.completion_tokens, "gen_seconds": round(r.gen_seconds, 3),
            "tokens_per_s": round(r.tokens_per_s, 2),
            "statuses": {status.value: count for status, count in r.statuses.items()},
            "pass_at_k": {str(k): {"value": s.value, "low": s.low, "high": s.high, "interval": s.interval.value}
                          for k, s in r.scores.items()},
            "reward": r.reward.to_json() if r.reward is not None else None}


def runs_json(store: Store) -> list[dict]:
    """Every stored run, bench and repair alike, in the store's order; "workflow" says which made it."""
    return [_repair_row(store, run) if is_repair(run) else _bench_row(store, run) for run in store.runs()]


def _bench_row(store: Store, run: RunRecord) -> dict:
    rounds = stored_rounds(store, run)
    final = rounds[-1].scores if rounds else {}
    return {"run": run.name, "dataset": run.dataset, "workflow": run.workflow.value, "model": run.model,
            "backend": run.backend, "adapter": run.adapter, "chain": run.chain, "feedback": run.feedback,
            "oracle_feedback": run.oracle_feedback, "samples_per_task": run.samples_per_task,
            "ks": list(run_ks(run)), "tasks": rounds[-1].tasks if rounds else 0,
            "stored_samples": sum(r.samples for r in rounds),
            "pass_at_1": final[1].value if 1 in final else None,
            "pass_at_k": {str(k): s.value for k, s in final.items()},
            "mean_reward": rounds[-1].reward.mean.value if rounds and rounds[-1].reward is not None else None,
            "metrics": {m.metric: m.mean.value for m in run_metrics(store.samples(run.id), store.task_ids(run.id))
                        if m.samples},
            "finished": finished(run, rounds), "curriculum": _curriculum_mark(run)}


def _curriculum_mark(run: RunRecord) -> Optional[dict]:
    """Which curriculum round the run is (codeforge finetune --curriculum), when it is one: its tasks are that
    round's own, so its scores are not comparable with the other runs'."""
    label = run.curriculum
    if label is None:
        return None
    return {key: label.get(key) for key in ("name", "round", "rounds", "finetune")}


def _repair_row(store: Store, run: RunRecord) -> dict:
    """A repair run in the same keys (chain: the epochs asked for; pass@1: after the last epoch, over the programs
    with tests), and under "repair" what it did: EFR, pass@1 and findings before and after."""
    samples = store.samples(run.id)
    epochs = summarize_repair(samples, program_keys(store, run), last_epoch(run, samples))
    first, last = epochs[0], epochs[-1]
    after = last.pass_at_1
    return {"run": run.name, "dataset": run.dataset, "workflow": run.workflow.value, "model": run.model,
            "backend": run.backend, "adapter": run.adapter, "chain": run.chain, "feedback": run.feedback,
            "oracle_feedback": False, "samples_per_task": run.samples_per_task, "ks": [1],
            "tasks": len(store.task_ids(run.id)), "stored_samples": len(samples),
            "pass_at_1": after.value if after else None, "pass_at_k": {"1": after.value} if after else {},
            "mean_reward": None, "metrics": {}, "finished": repair_finished(run, epochs), "curriculum": None,
            "repair": {"epochs": last.epoch, "programs": first.programs,
                       "efr_first": first.efr.value, "efr_final": last.efr.value,
                       "pass_at_1_before": first.pass_at_1.value if first.pass_at_1 else None,
                       "pass_at_1_after": after.value if after else None,
                       "findings_before": first.findings.total, "findings_after": last.findings.total,
                       "unchecked": last.unchecked}}


def _state_text(row: dict) -> Text:
    state = _("finished") if row["finished"] else _("unfinished") if row["stored_samples"] else \
        _("unfinished (no sample)")
    return Text(state, style=None if row["finished"] else "yellow")


def print_runs(console: Console, store: Store) -> None:
    """The bench runs, then the repair runs (each kind in its own table: their scores are not the same)."""
    rows = runs_json(store)
    if not rows:
        console.print(Text(_("no runs in {path} yet: run `codeforge bench humaneval`").format(path=store.path)))
        return
    bench = [row for row in rows if row["workflow"] != Workflow.repair.value]
    repair = [row for row in rows if row["workflow"] == Workflow.repair.value]
    if bench:
        made = table(_("runs in {path}").format(path=store.path), [(name, "left") for name in (
            _("run"), _("dataset"), _("model"), _("chain"), _("tasks × n"), _("final pass@k"), _("state"))])
        for row in bench:
            chain = str(row["chain"]) if not row["chain"] else \
                f"{row['chain']}, {row['feedback']}" + (" " + _("(oracle)") if row["oracle_feedback"] else "")
            scores = ", ".join(f"pass@{k} {100 * v:.1f}%" for k, v in row["pass_at_k"].items()) or "-"
            if row.get("mean_reward") is not None:
                scores = _("mean reward {reward}").format(reward=f"{row['mean_reward']:.3f}") + f", {scores}"
            if row.get("metrics"):
                similar = ", ".join(f"{name} {value:.3f}" for name, value in row["metrics"].items())
                scores = similar if scores == "-" else f"{scores}, {similar}"
            made.add_row(_run_text(row), Text(row["dataset"]), Text(row["model"]), Text(chain),
                         f"{row['tasks']} × {row['samples_per_task']}", scores, _state_text(row))
        console.print(made)
        if any(row["curriculum"] for row in bench):
            console.print(Text(_("curriculum round: a round of codeforge finetune --curriculum, scored on that "
                                 "round's own tasks (new ones plus those the previous round failed): not comparable "
                                 "with the other runs; `codeforge report` shows each curriculum apart, round by "
                                 "round.")))
    if repair:
        made = table(_("repair runs in {path} (codeforge repair; EFR: error-free rate)").format(path=store.path), [
            (_("run"), "left"), (_("dataset"), "left"), (_("model"), "left"), (_("epochs"), "right"),
            (_("tasks × n"), "left"), (_("EFR first try → after"), "left"), (_("pass@1 before → after"), "left"),
            (_("findings before → after"), "left"), (_("state"), "left")])
        for row in repair:
            done = row["repair"]
            made.add_row(Text(row["run"]), Text(row["dataset"]), Text(row["model"]), str(done["epochs"]),
                         f"{row['tasks']} × {row['samples_per_task']}",
                         f"{_percent(done['efr_first'])} → {_percent(done['efr_final'])}",
                         f"{_percent(done['pass_at_1_before'])} → {_percent(done['pass_at_1_after'])}",
                         f"{done['findings_before']} → {done['findings_after']}", _state_text(row))
        console.print(made)


def _run_text(row: dict) -> Text:
    """The run's name, marked when it is a curriculum round."""
    mark = row["curriculum"]
    if not mark:
        return Text(row["run"])
    if mark.get("rounds") is not None:
        said = _("(curriculum {name}, round {round} of {rounds})").format(
            name=mark.get('name'), round=mark.get('round'), rounds=mark['rounds'])
    else:
        said = _("(curriculum {name}, round {round})").format(name=mark.get('name'), round=mark.get('round'))
    return Text.assemble(row["run"], (" " + said, "cyan"))


def _percent(value: Optional[float]) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _status_text(status: Optional[SampleStatus]) -> Text:
    if status is None:
        return Text("-")
    return Text(status.value, style=STATUS_STYLE.get(status, "white"))


def print_run(console: Console, store: Store, run: RunRecord) -> None:
    console.print(rounds_table(run, stored_rounds(store, run)))
    print_metrics(console, run, run_metrics(store.samples(run.id), store.task_ids(run.id)))
    rows = task_rows(store, run)
    rewarded = any(row["reward"] is not None for row in rows)
    names = [m.value for m in Metric if any(m.value in row["metrics"] for row in rows)]
    tested = not run.text_answers  # text tasks have no verdicts: only their metrics and answers
    made = table(_("tasks"), [(name, "left") for name in (
        _("task"), *((_("mean reward"),) if rewarded else ()), *names,
        *((_("passed samples"), _("first passed in round"), _("last status")) if tested else
          (_("answered samples"),)))])
    for row in rows:
        verdicts = (f"{row['passed_samples']}/{row['samples']}" if row["stored_samples"] else "-",
                    "-" if row["first_pass_round"] is None else str(row["first_pass_round"]),
                    _status_text(row["last_status"])) if tested else (f"{row['stored_samples']}/{row['samples']}",)
        made.add_row(Text(row["task_id"]),
                     *((f"{row['reward']:.3f}" if row["reward"] is not None else "-",) if rewarded else ()),
                     *(_metric_cell(row["metrics"].get(name)) for name in names), *verdicts)
    console.print(made)


def _metric_cell(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.3f}"


def print_task(console: Console, store: Store, run: RunRecord, task_id: str) -> None:
    from ..bench.failure import failure_cause

    samples = store.samples(run.id, task_id)
    if not samples:
        console.print(Text(_("{task}: no sample stored yet (the run is unfinished)").format(task=task_id)))
    for s in samples:
        if run.text_answers:
            console.rule(Text(_("{task} sample {sample}").format(task=task_id, sample=s.sample)))
            console.print(Text(_("answer:"), style="bold"))
            console.print(Text(s.code if s.code is not None else s.raw_output), highlight=False, soft_wrap=True)
            _print_similarity(console, s)
            continue
        status = sample_status(s)
        console.rule(Text.assemble(_("{task} sample {sample} round {round}: ").format(
            task=task_id, sample=s.sample, round=s.round), _status_text(status)))
        if s.feedback:
            console.print(Text.assemble((_("feedback given ({source}):").format(source=s.feedback_source), "bold"),
                                        "\n", s.feedback))
        console.print(Text(_("code:"), style="bold") if s.code is not None
                      else Text(_("no code in the answer; raw output:"), style="bold yellow"))
        console.print(Text(s.code if s.code is not None else s.raw_output), highlight=False, soft_wrap=True)
        cause = failure_cause(s.tested, s.code) if status is not SampleStatus.no_code else None  # said above
        if cause:
            console.print(Text(_("why it failed (the benchmark's tests):"), style="bold red"))
            console.print(Text(cause), highlight=False, soft_wrap=True)
        elif status is SampleStatus.unchecked:
            console.print(Text(_("not checked yet (the sandbox failed); run the bench command again to check it"),
                               style="bold red"))
        _print_similarity(console, s)


def _print_similarity(console: Console, sample) -> None:
    """The similarity metrics stored for the sample (its final round's), on one line."""
    if sample.similarity:
        absent = _("does not apply")
        console.print(Text(_("similarity to the reference:") + " " + ", ".join(
            f"{name} {absent if v.value is None else format(v.value, '.3f')}"
            for name, v in sample.similarity.items())))


def run_detail_json(store: Store, run: RunRecord, task_id: Optional[str]) -> dict:
    rounds = stored_rounds(store, run)
    detail = {"run": run.name, "dataset": run.dataset, "config": run.config, "versions": run.versions,
              "oracle_feedback": run.oracle_feedback, "ks": list(run_ks(run)), "finished": finished(run, rounds),
              "intervals": _intervals_json(rounds), "rounds": [round_json(r) for r in rounds],
              "text_answers": run.text_answers,
              "metrics": {m.metric: m.to_json() for m in run_metrics(store.samples(run.id), store.task_ids(run.id))}}
    if task_id is None:
        detail["tasks"] = [{**row, "last_status": row["last_status"].value if row["last_status"] else None}
                           for row in task_rows(store, run)]
    else:
        from ..bench.failure import failure_cause

        detail["samples"] = [{"sample": s.sample, "round": s.round, "prompt": json.loads(s.prompt),
                              "raw_output": s.raw_output, "code": s.code, "finish_reason": s.finish_reason,
                              "feedback": s.feedback, "feedback_source": s.feedback_source,
                              "status": sample_status(s).value, "why_failed": failure_cause(s.tested, s.code),
                              "similarity": {name: {"value": v.value, "signature": v.signature}
                                             for name, v in s.similarity.items()},
                              "executions": {p: {"status": e.status, "passed": e.passed, "result": e.result}
                                             for p, e in s.executions.items()}}
                             for s in store.samples(run.id, task_id)]
    return detail


def rescored_json(outcome) -> dict:
    return {"run": outcome.run.name, "dataset": outcome.run.dataset, "checked": outcome.checked,
            "unchecked": outcome.unchecked, "saved": outcome.saved,
            "changes": [{"task_id": c.task_id, "sample": c.sample, "round": c.round, "before": c.before,
                         "after": c.after, "why": c.why} for c in outcome.changes],
            "solved_before": len(outcome.solved_before), "solved_after": len(outcome.solved_after),
            "tasks_changed": outcome.tasks_changed}


def print_rescored(console: Console, outcome) -> None:
    """The samples whose verdict changes, then the solved tasks before and after."""
    run = outcome.run
    if outcome.changes:
        shown = table(_("{name} on {dataset}: verdicts that change").format(name=run.name, dataset=run.dataset), [
            (_("task"), "left"), (_("sample"), "right"), (_("round"), "right"), (_("stored"), "left"),
            (_("now"), "left"), (_("why"), "left")])
        for c in outcome.changes:
            shown.add_row(Text(c.task_id), str(c.sample), str(c.round), Text(c.before), Text(c.after),
                          Text(c.why or ""))
        console.print(shown)
    total = len(outcome.changes)
    summary = ngettext("{checked} programs checked again: {total} verdict change; tasks solved (sample 0) "
                       "{before} stored, {after} now",
                       "{checked} programs checked again: {total} verdicts change; tasks solved (sample 0) "
                       "{before} stored, {after} now", total).format(
        checked=outcome.checked, total=total, before=len(outcome.solved_before), after=len(outcome.solved_after))
    if outcome.tasks_changed:
        summary += " " + _("(changed: {tasks})").format(tasks=", ".join(outcome.tasks_changed))
    if total:
        summary += ". " + (_("The new verdicts are saved.") if outcome.saved else
                           _("Nothing was saved (--save replaces the stored verdicts)."))
    console.print(Text(summary + ("" if total else ".")), soft_wrap=True)
    if outcome.unchecked:
        console.print(Text(_("{count} programs could not be checked (sandbox errors): run it again.").format(
            count=outcome.unchecked), style="bold red"))


def mined_json(mined, out, provenance) -> dict:
    return {"out": str(out), "provenance": str(provenance),
            "runs": [{"name": r.name, "dataset": r.dataset, "model": r.model, "adapter": r.adapter,
                      "samples": r.samples_per_task} for r in mined.runs],
            "min_models": mined.min_models, "max_pass_rate": mined.max_pass_rate,
            "tasks_considered": len(mined.considered), "tasks_not_in_every_run": len(mined.not_shared),
            "mined": [t.to_json() for t in mined.chosen]}


def print_mined(console: Console, mined, out, provenance) -> None:
    """Each mined task with its pass counts per run, then what was written."""
    names = [r.name for r in mined.runs]
    title = _("{count} of {total} tasks mined from {runs}").format(
        count=len(mined.chosen), total=len(mined.considered), runs=", ".join(names))
    grid = table(title, [(_("task"), "left"), (_("runs failed"), "right"), (_("pass rate"), "right")]
                 + [(name, "right") for name in names], caption=_("under each run: its samples that passed"))
    for t in mined.chosen:
        grid.add_row(Text(t.task_id), _("{count} of {total}").format(count=t.runs_failed, total=len(names)),
                     f"{100 * t.pass_rate:.1f}%",
                     *(f"{t.passed[n]}/{t.samples[n]}" for n in names))
    console.print(grid)
    rule = [_("at least {count} of {total} runs fail it").format(count=mined.min_models, total=len(names))] \
        if mined.min_models else []
    if mined.max_pass_rate is not None:
        rule.append(_("pass rate at most {rate}").format(rate=f"{mined.max_pass_rate:g}"))
    said = _("{first} and {second}").format(first=rule[0], second=rule[1]) if len(rule) == 2 else "".join(rule)
    models = ", ".join(f"{r.name}: {r.model}" + (f" + {r.adapter}" if r.adapter else "") for r in mined.runs)
    console.print(Text(_("mined: {rule} (models: {models})").format(rule=said, models=models)))
    if mined.not_shared:
        console.print(Text(_("{count} task(s) only some of the runs cover were not considered").format(
            count=len(mined.not_shared)), style="yellow"))
    console.print(Text(_("wrote {out} and {provenance}; run it with: {command}").format(
        out=out, provenance=provenance, command=f"codeforge bench jsonl:{out} --model ...")))
