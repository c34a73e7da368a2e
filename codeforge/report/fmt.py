"""How numbers read, the same in the terminal, the HTML page and the charts.

Words are in the chosen language (codeforge.i18n) where they are shown; what report.json holds is English
(functions that feed both take `shown`: False gives the English).
"""

from __future__ import annotations

from functools import reduce
from typing import Iterable, Optional

from ..bench.scores import (BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, INTERVAL_LABEL, INTERVAL_TEMPLATE, Interval,
                            Score)
from ..i18n import N_, _

UNFINISHED = N_("(unfinished)")  # after a name: its command did not run to the end


def translated(message: str, shown: bool = True) -> str:
    """`message` (marked with N_ where it is written) in the chosen language when `shown`, else as it is:
    English, for report.json."""
    return _(message) if shown else message


def interval_label(interval: Interval) -> str:
    """"Wilson" or "bootstrap", as a header or a cell names the interval."""
    return _(INTERVAL_LABEL[interval])


def interval_text(interval: Interval) -> str:
    """What the interval is, as INTERVAL_TEXT says it, in the chosen language."""
    return _(INTERVAL_TEMPLATE[interval]).format(resamples=BOOTSTRAP_RESAMPLES, seed=BOOTSTRAP_SEED)


def intervals_note(intervals: Iterable[Interval]) -> str:
    """"95% intervals: Wilson: ...; bootstrap: ...."."""
    return _("95% intervals: {intervals}.").format(
        intervals="; ".join(f"{interval_label(m)}: {interval_text(m)}" for m in intervals))


def unfinished(name: str) -> str:
    """`name (unfinished)`."""
    return f"{name} {_(UNFINISHED)}"


def either(items: Iterable[str]) -> str:
    """"bench or repair"."""
    return reduce(lambda first, second: _("{first} or {second}").format(first=first, second=second), items)


def both(items: Iterable[str]) -> str:
    """"repair runs and curriculum rounds"."""
    return reduce(lambda first, second: _("{first} and {second}").format(first=first, second=second), items)


def pct(share: float) -> str:
    return f"{100 * share:.1f}%"


def score_cell(s: Score, marked: bool = False) -> str:
    """In percent; the column header says so (and which interval, unless the cell must: `marked`)."""
    cell = f"{100 * s.value:.1f} [{100 * s.low:.1f}, {100 * s.high:.1f}]"
    return f"{cell} {interval_label(s.interval)}" if marked else cell


def score_header(k: int, scores: Iterable[Score]) -> tuple[str, bool]:
    """The column header for pass@k, naming the interval when one method made them all; else each cell
    names its own (the second value)."""
    used = sorted({interval_label(s.interval) for s in scores})
    if len(used) == 1:
        return _("pass@{k} % [95% {interval}]").format(k=k, interval=used[0]), False
    return _("pass@{k} % [95% CI]").format(k=k), True


REWARD_HEADERS = (N_("runnable"), N_("tests passed"), N_("coverage of the function"))


def reward_headers(rewards: Iterable) -> tuple[list[str], bool]:
    """The reward's four columns, the mean's naming its interval as pass@k's does (the second value: each mean
    cell names its own)."""
    used = sorted({interval_label(r.mean.interval) for r in rewards if r is not None})
    mean = _("mean reward [95% {interval}]").format(interval=used[0]) if len(used) == 1 else \
        _("mean reward [95% CI]")
    return [mean, *map(_, REWARD_HEADERS)], len(used) > 1


def reward_cells(reward, marked: bool = False) -> list[str]:
    """A RewardScore as its four cells: the mean (0 to 1) with its interval, then its parts; "-" for a run
    without one."""
    if reward is None:
        return ["-"] * 4
    mean = reward.mean
    cell = f"{mean.value:.3f} [{mean.low:.3f}, {mean.high:.3f}]"
    return [f"{cell} {interval_label(mean.interval)}" if marked else cell, pct(reward.runnable),
            f"{reward.tests_passed}/{reward.tests_declared} ({pct(reward.tests_share)})", pct(reward.coverage)]


def points(diff: float) -> str:
    return _("{points} pp").format(points=f"{100 * diff:+.1f}")


def points_interval(diff: float, low: float, high: float) -> str:
    """In percentage points; the column header says so."""
    return f"{100 * diff:+.1f} [{100 * low:+.1f}, {100 * high:+.1f}]"


def p_value(p: float) -> str:
    return f"{p:.3g}"


def feedback(run) -> str:
    if run.chain == 0:
        return _("none")
    if run.oracle_feedback:
        return _("hidden tests (ORACLE)")
    return _("visible examples") if run.feedback == "visible" else \
        _("{feedback} examples").format(feedback=run.feedback)


def adapter(run) -> str:
    """The adapter, with what codeforge finetune recorded about it (graph, feedback, contamination)."""
    if not run.adapter:
        return "-"
    manifest = (run.config or {}).get("adapter_manifest")
    if not manifest:
        return run.adapter
    from ..models.manifest import Manifest

    try:
        return f"{run.adapter} ({Manifest(**manifest).label()})"
    except TypeError:
        return run.adapter


def severities(counts) -> str:
    """A FindingCounts as "4 (2/1/1)": all, then high/medium/low."""
    return f"{counts.total} ({counts.by_severity['high']}/{counts.by_severity['medium']}/{counts.by_severity['low']})"


def repair_rejected(epochs) -> str:
    """Patches rejected over every epoch, and why: "2 (fails_tests 1, no_code 1)"."""
    reasons: dict[str, int] = {}
    for e in epochs:
        for reason, n in e.rejected.items():
            reasons[reason] = reasons.get(reason, 0) + n
    total = sum(reasons.values())
    return f"{total} ({', '.join(f'{r} {n}' for r, n in reasons.items() if n)})" if total else "0"


def repair_rows(repairs) -> tuple[list[str], list[list[str]]]:
    """The repair runs' table, the same in the terminal and on the page: (headers, rows) with one EFR column per
    epoch (up to the longest run's last)."""
    last = max((len(r.epochs) for r in repairs), default=1) - 1
    headers = [_("repair run"), _("dataset"), _("programs"), _("EFR first try % [95% Wilson]"),
               *[_("EFR after epoch {epoch} % [95% Wilson]").format(epoch=e) for e in range(1, last + 1)],
               _("pass@1 before → after"), _("findings before → after (high/medium/low)"),
               _("patches kept/written"), _("rejected (why)"), _("unchecked")]
    rows = []
    for r in repairs:
        efr = [score_cell(r.epochs[e].efr) if e < len(r.epochs) else "-" for e in range(last + 1)]
        before, after = r.first.pass_at_1, r.last.pass_at_1
        rows.append([repair_name(r), r.run.dataset, str(r.first.programs), *efr,
                     f"{pct(before.value) if before else '-'} → {pct(after.value) if after else '-'}",
                     f"{severities(r.first.findings)} → {severities(r.last.findings)}",
                     f"{sum(e.kept for e in r.epochs)}/{sum(e.attempted for e in r.epochs)}",
                     repair_rejected(r.epochs), str(r.last.unchecked)])
    return headers, rows


def curriculum_rows(curriculum) -> tuple[list[str], list[list[str]]]:
    """One curriculum's table, the same in the terminal and on the page: (headers, rows), one row per round."""
    marked = score_header(1, [r.pass_at_1 for r in curriculum.rounds])
    headers = [_("round"), _("bench run"), _("tasks (new + revisited)"), _("samples"), marked[0], _("failed"),
               _("revisited next round"), _("training run")]
    rows = []
    for r in curriculum.rounds:
        following = str(r.revisited_next) if r.revisited_next is not None else \
            _("- (last round)") if r.round >= curriculum.planned else _("- (next round not stored)")
        rows.append([_("{count} of {total}").format(count=r.round, total=curriculum.planned),
                     r.name if r.finished else unfinished(r.name),
                     f"{r.tasks} ({r.new} + {r.revisited})", str(r.samples), score_cell(r.pass_at_1, marked[1]),
                     _("{count} of {total}").format(count=len(r.failed), total=r.tasks), following,
                     r.finetune or "-"])
    return headers, rows


def no_methods(report) -> str:
    """What the methods' part says when the report has none: which runs it holds instead."""
    kinds = [_(kind) for kind, found in ((N_("repair runs"), report.repairs),
                                         (N_("curriculum rounds"), report.curricula),
                                         (N_("runs of text tasks"), report.texts)) if found]
    return _("no bench run in this report: only {kinds}, shown below (they are not compared as methods)").format(
        kinds=both(kinds))


def metric_rows(named, correlated: bool = True) -> tuple[list[str], list[list[str]]]:
    """One row per (method or text run, similarity metric), from (its label, its MetricScores): mean [95%
    bootstrap], samples scored and skipped, and (for methods, which have verdicts) r with passing."""
    headers = [_("method") if correlated else _("run"), _("metric"), _("mean [95% bootstrap]"), _("samples"),
               _("skipped")]
    if correlated:
        headers.append(_("r with passing [95%]"))
    rows = []
    for name, metrics in named:
        for m in metrics:
            found = m.correlation
            row = [name, m.metric,
                   f"{m.mean.value:.3f} [{m.mean.low:.3f}, {m.mean.high:.3f}]" if m.samples else "-",
                   str(m.samples) + (" " + _("({count} not scored)").format(count=m.missing) if m.missing else ""),
                   str(m.skipped)]
            if correlated:
                row.append("-" if found is None else f"{found.r:+.3f} [{found.low:+.3f}, {found.high:+.3f}]")
            rows.append(row)
    return headers, rows


def sentences(*parts: str) -> str:
    """Definitions written as clauses, read as sentences."""
    return " ".join(f"{p[0].upper()}{p[1:]}." for p in parts if p)


ORACLE_MARK = "†"  # oracle feedback: the run's later rounds saw the benchmark's own tests
MINED_MARK = "‡"  # scored on a set mined from its own model's failures (bench mine-hard)


def mined_note(runs, shown: bool = True) -> Optional[str]:
    """Which stored runs the tasks of `runs` (bench runs) were mined from, and which of them are scored on their
    own model's failures; None when no run is over a mined set. `shown` False: in English (report.json)."""
    sources = []
    for run in runs:
        source = run.mined_from
        if source is not None and source not in sources:
            sources.append(source)
    if not sources:
        return None
    provenance = N_("(provenance: {provenance})")
    described = "; ".join(", ".join(_mined_run(r) for r in source["runs"] if isinstance(r, dict))
                          + (" " + translated(provenance, shown).format(provenance=source.get("provenance"))
                             if source.get("provenance") else "")
                          for source in sources)
    note = translated(N_("The tasks were mined by codeforge bench mine-hard from the failures of the runs "
                         "{runs}."), shown).format(runs=described)
    own = [run.name for run in runs if run.own_failures]
    if own:
        note += " " + translated(N_("{mark} scored on its own failures ({runs}): its model is one of those the tasks "
                                    "were chosen to defeat, so its score is not comparable with the others'."),
                                 shown).format(mark=MINED_MARK, runs=", ".join(own))
    return note


def _mined_run(run: dict) -> str:
    """"BASE (Qwen/Qwen2.5-Coder-0.5B-Instruct + adapters/ast-lora)"."""
    adapter = f" + {run.get('adapter')}" if run.get("adapter") else ""
    return f"{run.get('name')} ({run.get('model')}{adapter})"


def oracle_repair_note(names) -> str:
    """The footnote for the † mark of repair runs whose analyzers include the tests."""
    return _("{mark} oracle feedback ({runs}): the tests analyzer showed the model the failed assertions of the "
             "benchmark's own tests.").format(mark=ORACLE_MARK, runs=", ".join(names))


def repair_name(repair) -> str:
    """Marked when the model was shown the tests' failures (oracle feedback) and when unfinished."""
    name = f"{repair.name} {ORACLE_MARK}" if repair.run.oracle_feedback else repair.name
    return name if repair.finished else unfinished(name)


def repair_change(repair) -> str:
    """"EFR 25.0% → 75.0%, pass@1 75.0% → 100.0%, findings 4 (2/1/1) → 1 (0/1/0), first try → after epoch 2"."""
    first, last = repair.first, repair.last
    passed = [pct(e.pass_at_1.value) if e.pass_at_1 else "-" for e in (first, last)]
    return _("EFR {efr_before} → {efr_after}, pass@1 {passed_before} → {passed_after}, findings "
             "{findings_before} → {findings_after} (high/medium/low), first try → after epoch {epoch}").format(
        efr_before=pct(first.efr.value), efr_after=pct(last.efr.value), passed_before=passed[0],
        passed_after=passed[1], findings_before=severities(first.findings),
        findings_after=severities(last.findings), epoch=last.epoch)
