"""How a repair run shows: its epochs (patches, EFR, pass@1, findings), its findings before and after, its
programs, one task's epochs, and the same as JSON. `codeforge repair` prints it at its end; `bench show` and
`bench list` show stored repair runs with it.

Whatever comes from the store (run and model names, task ids and file paths, code, findings, messages) is
plain text, never rich markup; table cells fold instead of being cut short.
"""

from __future__ import annotations

from typing import Optional, Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..bench.scores import Interval, Score
from ..repair.scores import (SEVERITIES, EpochSummary, FindingCounts, ProgramEpoch, findings_of, last_epoch,
                             program_histories, program_keys, repair_dict, repair_finished)
from ..i18n import N_, _
from ..store import RunRecord, SampleRecord, Store
from ..vocabulary import RejectReason
from ._output import table

EFR_TEXT = N_("EFR: error-free rate, the share of programs whose code was analysed, has no finding and passed its "
              "tests (where it has tests)")
REASON_TEXT = {RejectReason.no_code.value: N_("no code"), RejectReason.fails_tests.value: N_("fails tests"),
               RejectReason.not_fewer_findings.value: N_("not fewer findings")}


def _reason(reason: str) -> str:
    return _(REASON_TEXT[reason]) if reason in REASON_TEXT else reason


def _pct(s: Optional[Score]) -> str:
    return "-" if s is None else f"{100 * s.value:.1f}%"


def _score_cell(s: Optional[Score]) -> str:
    return "-" if s is None else f"{100 * s.value:.1f}% [{100 * s.low:.1f}, {100 * s.high:.1f}]"


def _severities(counts: FindingCounts) -> str:
    return "/".join(str(counts.by_severity[s]) for s in SEVERITIES)


def _rejected(s: EpochSummary) -> str:
    total = sum(s.rejected.values())
    if not total:
        return "0"
    why = ", ".join(f"{_reason(reason)} {n}" for reason, n in s.rejected.items() if n)
    return f"{total}: {why}"


def _state(run: RunRecord, summaries: Sequence[EpochSummary]) -> str:
    if repair_finished(run, summaries):
        return ""
    analysed = summaries and summaries[0].unchecked < summaries[0].programs
    return _(" (unfinished)") if analysed else _(" (unfinished: nothing analysed yet)")


def epochs_table(run: RunRecord, summaries: Sequence[EpochSummary]) -> Table:
    """One row per epoch: the patches written, kept and rejected (why), EFR, pass@1, findings by severity."""
    intervals = sorted({s.efr.interval for s in summaries} | {s.pass_at_1.interval for s in summaries if s.pass_at_1},
                       key=list(Interval).index)
    from ..report.fmt import interval_label, interval_text

    shown = [m for m in intervals if m is not Interval.none]
    label = f"95% {interval_label(shown[0])}" if len(shown) == 1 else _("95% CI")
    caption = _(EFR_TEXT) + _(". pass@1: programs whose code passed its tests, of those with tests.") + (
        " " + _("95% intervals: {intervals}.").format(
            intervals="; ".join(f"{interval_label(m)}: {interval_text(m)}" for m in shown)) if shown else "")
    made = table(_("{name} on {dataset}: repair by {model}, {epochs} epochs{state}").format(
                     name=run.name, dataset=run.dataset, model=run.model, epochs=max(len(summaries) - 1, 0),
                     state=_state(run, summaries)),
                 [(_("epoch"), "right"), (_("patches"), "right"), (_("kept"), "right"), (_("rejected"), "left"),
                  (_("error-free"), "right"), (f"EFR [{label}]", "right"), (f"pass@1 [{label}]", "right"),
                  (_("findings high/medium/low"), "right"), (_("unchecked"), "right")], caption=caption)
    for s in summaries:
        first = s.epoch == 0
        made.add_row(_("0 (first try)") if first else str(s.epoch), "-" if first else str(s.attempted),
                     "-" if first else str(s.kept), "-" if first else _rejected(s),
                     f"{s.error_free}/{s.programs}", _score_cell(s.efr),
                     "-" if s.pass_at_1 is None else f"{_score_cell(s.pass_at_1)} ({s.passed}/{s.tested})",
                     f"{s.findings.total}: {_severities(s.findings)}",
                     Text(str(s.unchecked), style="bold red" if s.unchecked else None))
    return made


def _change(before: int, after: int) -> Text:
    change = after - before
    return Text(f"{change:+d}" if change else "0", style="green" if change < 0 else "red" if change > 0 else None)


def findings_table(summaries: Sequence[EpochSummary]) -> Table:
    """The findings of the first try against those after the last epoch: in all, by severity, tool and CWE."""
    before, after = summaries[0].findings, summaries[-1].findings
    last = summaries[-1].epoch
    made = table(_("findings before (first try) and after epoch {epoch}").format(epoch=last),
                 [(_("findings"), "left"), (_("before"), "right"), (_("after"), "right"), (_("change"), "right")])
    made.add_row(_("all"), str(before.total), str(after.total), _change(before.total, after.total))
    for severity in SEVERITIES:
        a, b = before.by_severity[severity], after.by_severity[severity]
        made.add_row(_("severity {severity}").format(severity=severity), str(a), str(b), _change(a, b))
    for tool in sorted(set(before.by_tool) | set(after.by_tool)):
        a, b = before.by_tool.get(tool, 0), after.by_tool.get(tool, 0)
        made.add_row(Text(_("tool {tool}").format(tool=tool)), str(a), str(b), _change(a, b))
    for cwe in sorted(set(before.by_cwe) | set(after.by_cwe)):
        a, b = before.by_cwe.get(cwe, 0), after.by_cwe.get(cwe, 0)
        made.add_row(f"CWE-{cwe}", str(a), str(b), _change(a, b))
    return made


def headline(summaries: Sequence[EpochSummary]) -> str:
    """"EFR 14.3% → 57.1%, pass@1 60.0% → 80.0%, findings 5 → 1 (first try → after epoch 2)"."""
    first, last = summaries[0], summaries[-1]
    return _("EFR {efr_before} → {efr_after}, pass@1 {pass_before} → {pass_after}, findings {findings_before} → "
             "{findings_after} (first try → after epoch {epoch})").format(
        efr_before=_pct(first.efr), efr_after=_pct(last.efr), pass_before=_pct(first.pass_at_1),
        pass_after=_pct(last.pass_at_1), findings_before=first.findings.total, findings_after=last.findings.total,
        epoch=last.epoch)


def print_repair(console: Console, run: RunRecord, summaries: Sequence[EpochSummary]) -> None:
    console.print(epochs_table(run, summaries))
    if summaries:
        console.print(findings_table(summaries))
        console.print(Text(headline(summaries)), soft_wrap=True)
        first, last = summaries[0], summaries[-1]
        if first.pass_at_1 and last.pass_at_1 and last.passed < first.passed:
            console.print(Text(_("pass@1 dropped ({before} → {after} programs passed): a kept patch fails its "
                                 "tests, which the repair loop must never allow.").format(before=first.passed,
                                                                                         after=last.passed),
                               style="bold red"))
        if last.unchecked:
            console.print(Text(_("{count} programs could not be checked (sandbox errors): run the same command "
                                 "again to check them.").format(count=last.unchecked), style="bold red"),
                          soft_wrap=True)


def repair_json(run: RunRecord, summaries: Sequence[EpochSummary]) -> dict:
    return repair_dict(run, summaries)


# a stored run, program by program (`bench show`) ----------------------------------------------------------------

def _histories(store: Store, run: RunRecord, task_id: Optional[str] = None):
    samples = store.samples(run.id, task_id)
    programs = [key for key in program_keys(store, run) if task_id is None or key[0] == task_id]
    epochs = last_epoch(run, store.samples(run.id) if task_id else samples)
    return program_histories(samples, programs, epochs)


def _findings_cell(state: ProgramEpoch) -> str:
    if state.findings is None:
        return _("unchecked")
    return f"{len(state.findings)}: " + "/".join(
        str(sum(1 for f in state.findings if f["severity"] == s)) for s in SEVERITIES)


def _error_free(state: ProgramEpoch) -> Text:
    if state.findings is None:
        return Text(_("unchecked"), style="bold red")
    return Text(_("yes"), style="green") if state.error_free else Text(_("no"), style="red")


def programs_table(store: Store, run: RunRecord) -> Table:
    """Every program: findings (high/medium/low) and error-free at first and at last, the patches kept."""
    made = table(_("programs (findings: all: high/medium/low)"),
                 [(_("task"), "left"), (_("sample"), "right"), (_("findings before"), "right"),
                  (_("findings after"), "right"), (_("error-free before"), "left"), (_("error-free after"), "left"),
                  (_("patches kept"), "right"), (_("code from epoch"), "right")])
    for (task_id, sample), history in _histories(store, run).items():
        first, last = history[0], history[-1]
        kept = sum(1 for state in history if state.decision == "kept")
        written = sum(1 for state in history if state.patch is not None)
        made.add_row(Text(task_id), str(sample), _findings_cell(first), _findings_cell(last), _error_free(first),
                     _error_free(last), f"{kept}/{written}", "-" if last.code is None else str(last.code.round))
    return made


def print_repair_run(console: Console, store: Store, run: RunRecord, summaries: Sequence[EpochSummary]) -> None:
    print_repair(console, run, summaries)
    console.print(programs_table(store, run))


DECISION_STYLE = {"kept": "green", "unchecked": "bold red"}


def _decision_text(state: ProgramEpoch) -> Text:
    if state.epoch == 0:
        return Text(_("starting code"))
    decision = state.decision
    if decision in ("kept", "unchecked"):
        words = _("patch kept") if decision == "kept" else _("patch not checked yet (the sandbox failed)")
        return Text(words, style=DECISION_STYLE[decision])
    return Text(_("patch rejected: {reason}").format(reason=_reason(decision)), style="yellow")


def _round_samples(history: Sequence[ProgramEpoch]) -> list[tuple[ProgramEpoch, SampleRecord]]:
    """The stored rounds of one program with the state they belong to (round 0, then each epoch's patch)."""
    rounds = [(history[0], history[0].code)] if history and history[0].code is not None else []
    return rounds + [(state, state.patch) for state in history[1:] if state.patch is not None]


def print_repair_task(console: Console, store: Store, run: RunRecord, task_id: str) -> None:
    """Every program of one task, epoch by epoch: the findings shown, the code, its findings, the decision."""
    for (_task, sample), history in _histories(store, run, task_id).items():
        rounds = _round_samples(history)
        if not rounds:
            console.print(Text(_("{task} sample {sample}: nothing stored yet (the run is unfinished)").format(
                task=task_id, sample=sample)))
            continue
        for state, s in rounds:
            console.rule(Text.assemble(_("{task} sample {sample} epoch {epoch}: ").format(
                task=task_id, sample=sample, epoch=s.round), _decision_text(state)))
            if s.feedback:
                console.print(Text(_("findings shown to the model:"), style="bold"))
                console.print(Text(s.feedback), highlight=False, soft_wrap=True)
            console.print(Text(_("code:"), style="bold") if s.code is not None
                          else Text(_("no code in the answer; raw output:"), style="bold yellow"))
            console.print(Text(s.code if s.code is not None else s.raw_output), highlight=False, soft_wrap=True)
            found = findings_of(s)
            if found is None:
                console.print(Text(_("not analysed yet (the sandbox failed); run the repair command again"),
                                   style="bold red"))
            elif not found:
                console.print(Text(_("findings: none"), style="green"))
            else:
                console.print(Text(_("findings ({count}):").format(count=len(found)), style="bold"))
                for f in found:
                    console.print(Text(f"  {finding_line(f)}"), highlight=False, soft_wrap=True)
            if s.tested is not None:
                console.print(Text.assemble((_("tests: "), "bold"), (s.tested.status,
                                                                   "green" if s.tested.passed else "red")))
        last = history[-1]
        if last.code is not None:
            console.print(Text(_("{task} sample {sample}: after epoch {epoch} its code is the one of epoch "
                                 "{code_epoch}; error-free: {error_free}").format(
                task=task_id, sample=sample, epoch=last.epoch, code_epoch=last.code.round,
                error_free=_("yes") if last.error_free else _("no")), style="bold"))


def finding_line(f: dict) -> str:
    """A stored finding in one line: "high bandit B602 (main.py line 3, CWE-78): message"."""
    where = _("{file} line {line}").format(file=f.get('file') or '?', line=f['line']) if f.get("line") \
        else f.get("file") or _("no line")
    cwe = f", CWE-{f['cwe']}" if f.get("cwe") is not None else ""
    return f"{f.get('severity')} {f.get('tool')} {f.get('rule')} ({where}{cwe}): {f.get('message') or ''}"


def _program_json(task_id: str, sample: int, history: Sequence[ProgramEpoch]) -> dict:
    first, last = history[0], history[-1]
    return {"task_id": task_id, "sample": sample,
            "findings_before": None if first.findings is None else len(first.findings),
            "findings_after": None if last.findings is None else len(last.findings),
            "error_free_before": first.error_free, "error_free_after": last.error_free,
            "code_from_epoch": None if last.code is None else last.code.round,
            "decisions": [state.decision for state in history[1:]]}


def repair_detail_json(store: Store, run: RunRecord, summaries: Sequence[EpochSummary],
                       task_id: Optional[str]) -> dict:
    """`bench show --json` of a repair run: its epochs, its settings, and every program (or one task's rounds)."""
    detail = {**repair_json(run, summaries), "config": run.config, "versions": run.versions}
    if task_id is None:
        detail["program_results"] = [_program_json(t, s, history) for (t, s), history in _histories(store, run).items()]
        return detail
    detail["samples"] = []
    for (_task, sample), history in _histories(store, run, task_id).items():
        for state, s in _round_samples(history):
            found = findings_of(s)
            detail["samples"].append({
                "sample": sample, "epoch": s.round, "decision": "start" if s.round == 0 else state.decision,
                "prompt": s.prompt, "code": s.code, "raw_output": s.raw_output, "feedback": s.feedback,
                "findings": found,
                "tests": None if s.tested is None else {"status": s.tested.status, "passed": s.tested.passed}})
    return detail
