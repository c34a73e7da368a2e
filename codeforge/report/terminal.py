"""The report's tables for the terminal (rich). Built here, printed by the command.

Run names and everything else from the store are plain text (rich.text.Text), never markup; cells fold
rather than being cut short, so names and numbers survive an 80-column terminal. Words are in the chosen
language (codeforge.i18n).
"""

from __future__ import annotations

from typing import Sequence

from rich.table import Table
from rich.text import Text

from ..i18n import _
from . import fmt
from .charts import ORACLE_MARK, label
from .document import Report, definition


def _table(title: str, columns: Sequence[tuple[str, str]]) -> Table:
    """(header, justify) per column; every cell folds when it does not fit."""
    made = Table(title=Text(title))
    for header, justify in columns:
        made.add_column(Text(header), justify=justify, overflow="fold")
    return made


def methods_table(report: Report) -> Table:
    ks = sorted({k for m in report.methods for k in m.scores})
    headers = {k: fmt.score_header(k, [m.scores[k] for m in report.methods if k in m.scores]) for k in ks}
    rewarded = report.rewarded  # Go unit tests: the mean reward is the headline, so it comes first
    rewards, marked = fmt.reward_headers(m.reward for m in rewarded) if rewarded else ([], False)
    columns = [(_("method"), "left"), *[(h, "right") for h in rewards], (_("solved"), "right"), ("%", "right"),
               *[(headers[k][0], "right") for k in ks]]
    if report.baseline:
        columns += [(_("Δ pass@1 vs {baseline}, pp [95% CI]").format(baseline=report.baseline.name), "right"),
                    ("McNemar p", "right")]
    title = _("mean reward and pass@k on {dataset}: {scope}, least to most successful") if rewarded else \
        _("pass@k on {dataset}: {scope}, least to most successful")
    table = _table(title.format(dataset=report.dataset, scope=report.shown_scope), columns)
    for m in report.methods:
        row = [Text(label(m)), *(fmt.reward_cells(m.reward, marked) if rewarded else []),
               f"{m.solved_count}/{m.tasks}", fmt.pct(m.solved_share),
               *[fmt.score_cell(m.scores[k], headers[k][1]) if k in m.scores else "-" for k in ks]]
        if report.baseline:
            d = report.deltas.get(m.name)
            row += [fmt.points_interval(d.diff, d.diff_low, d.diff_high), fmt.p_value(d.p_value)] if d else \
                   [Text(_("baseline"), style="dim"), ""]
        table.add_row(*row, style="yellow" if m.run.oracle_feedback else None)
    return table


def metrics_tables(report: Report) -> list[Table]:
    """The similarity metrics of the methods that have them (with r against passing), and the runs of text
    tasks (shown apart: no tests, never compared as methods)."""
    made = []
    for named, correlated, title in (
            ([(label(m), m.metrics) for m in report.measured], True,
             _("similarity to the reference on {dataset} (each sample's final answer)").format(
                 dataset=report.dataset)),
            ([(t.name if t.finished else fmt.unfinished(t.name), t.metrics) for t in report.texts], False,
             _("runs of text tasks: similarity to the reference (no tests, so no pass@k)"))):
        if not named:
            continue
        headers, rows = fmt.metric_rows(named, correlated)
        table = _table(title, [(h, "left" if i < 2 else "right") for i, h in enumerate(headers)])
        for row in rows:
            table.add_row(*map(Text, row))
        made.append(table)
    return made


def chain_table(report: Report) -> Table:
    table = _table(_("chain impact (solved tasks, of {tasks})").format(tasks=report.tasks),
                   [(_("method"), "left"), (_("chained"), "left"),
                    *[(name, "right") for name in (_("before"), _("after"), _("change"), _("lost"), _("gained"),
                                                   "McNemar p")]])
    for (a, b), t in zip(report.pairs, report.pair_tests):
        table.add_row(Text(label(a)), Text(label(b)), f"{a.solved_count}/{a.tasks}", f"{b.solved_count}/{b.tasks}",
                      f"{b.solved_count - a.solved_count:+d} ({fmt.points(b.solved_share - a.solved_share)})",
                      str(t.only_a), str(t.only_b), fmt.p_value(t.p_value))
    return table


def significance_table(report: Report) -> Table:
    table = _table(_("significance of every pair (A: the less successful; {resamples} bootstrap resamples, "
                     "seed {seed})").format(resamples=report.resamples, seed=report.seed),
                   [("A", "left"), ("B", "left"),
                    *[(name, "right") for name in (_("only A"), _("only B"), "McNemar p", "p (Holm)",
                                                   _("pass@1 B − A, pp [95% CI]"))]])
    for c in report.comparisons:
        table.add_row(Text(c.a), Text(c.b), str(c.only_a), str(c.only_b), fmt.p_value(c.p_value),
                      fmt.p_value(c.p_holm) + (" *" if c.significant else ""),
                      fmt.points_interval(c.diff, c.diff_low, c.diff_high),
                      style="bold" if c.significant else None)
    return table


def no_methods_note(report: Report) -> Text:
    """What the bench part says when the report holds only repair runs or curricula."""
    return Text(fmt.no_methods(report) + ".", style="yellow")


def repair_table(report: Report) -> Table:
    """Each repair run, epoch by epoch (long rather than wide, so that it reads on 80 columns): the patches kept
    and rejected, EFR, pass@1 and the findings; the first try against the last epoch is in repair_lines."""
    table = _table(_("repair runs (codeforge repair), epoch by epoch"),
                   [(_("repair run"), "left"), (_("epoch"), "right"), (_("patches kept/written"), "right"),
                    (_("rejected (why)"), "left"), (_("EFR % [95% Wilson]"), "right"),
                    (_("pass@1 % [95% Wilson]"), "right"), (_("findings (high/medium/low)"), "right")])
    for r in report.repairs:
        for e in r.epochs:
            first = e.epoch == 0
            table.add_row(Text(fmt.repair_name(r) if first else ""), _("0 (first try)") if first else str(e.epoch),
                          "-" if first else f"{e.kept}/{e.attempted}", "-" if first else fmt.repair_rejected([e]),
                          fmt.score_cell(e.efr), fmt.score_cell(e.pass_at_1) if e.pass_at_1 else "-",
                          fmt.severities(e.findings), style=None if r.finished else "dim", end_section=e is r.last)
    return table


def repair_lines(report: Report) -> list[Text]:
    """Per repair run: EFR, pass@1 and findings at the first try and after the last epoch."""
    return [Text(f"{fmt.repair_name(r)}: {fmt.repair_change(r)}") for r in report.repairs]


def curriculum_tables(report: Report) -> list[Table]:
    """One table per curriculum, round by round (each round on its own tasks: never compared)."""
    made = []
    for c in report.curricula:
        headers, rows = fmt.curriculum_rows(c)
        state = "" if c.finished else f" {_(fmt.UNFINISHED)}"
        table = _table(_("curriculum {name} on {dataset}{state}: {count} of {planned} rounds, each on its own tasks "
                         "(codeforge finetune --curriculum)").format(name=c.name, dataset=c.dataset, state=state,
                                                                     count=len(c.rounds), planned=c.planned),
                       [(h, "left" if i in (0, 1, 2, 7) else "right") for i, h in enumerate(headers)])
        for r, row in zip(c.rounds, rows):
            table.add_row(*map(Text, row), style=None if r.finished else "dim")
        made.append(table)
    return made


def footnotes(report: Report) -> list[Text]:
    notes = []
    if report.methods:
        notes.append(Text(_("solved: sample 0 passed after the run's final round. * significant: Holm-adjusted "
                            "McNemar p < 0.05.")))
    if report.rewarded:
        notes.append(Text(fmt.sentences(definition("mean_reward"))))
    if report.measured or report.texts:
        notes.append(Text(fmt.sentences(definition("similarity"))))
    if report.repairs:
        notes.append(Text(fmt.sentences(definition("efr"), definition("repair_pass_at_1"))))
    if report.curricula:
        notes.append(Text(fmt.sentences(definition("curriculum"))))
    notes.append(Text(fmt.intervals_note(report.intervals)))
    for note, style in ((report.coverage_note(), "yellow"), (report.left_out_note(), "yellow"),
                        (report.mined_note(), "yellow")):
        if note:
            notes.append(Text(note, style=style))
    oracle = [m.name for m in report.methods if m.run.oracle_feedback]
    if oracle:
        notes.append(Text(_("{mark} oracle feedback ({runs}): rounds after 0 were told the benchmark's own tests; "
                            "not comparable with plain pass@k.").format(mark=ORACLE_MARK, runs=", ".join(oracle)),
                          style="yellow"))
    oracle_repairs = [r.name for r in report.repairs if r.run.oracle_feedback]
    if oracle_repairs:
        notes.append(Text(fmt.oracle_repair_note(oracle_repairs), style="yellow"))
    if any(not m.finished for m in [*report.methods, *report.repairs, *report.curricula]):
        notes.append(Text(_("{unfinished}: the run's command did not run to the end; its numbers may change.").format(
            unfinished=_(fmt.UNFINISHED)), style="yellow"))
    return notes


def files_note(report: Report) -> Text:
    """What the report wrote, and which files of an earlier report in the same folder it removed."""
    text = _("wrote {files}").format(files=", ".join(str(path) for path in report.files.values()))
    if report.removed:
        text += "; " + _("removed from an earlier report there: {files}").format(files=", ".join(report.removed))
    return Text(text)
