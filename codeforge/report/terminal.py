"""The report's tables for the terminal (rich). Built here, printed by the command."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from . import fmt
from .build import Report
from .charts import ORACLE_MARK, label


def methods_table(report: Report) -> Table:
    ks = sorted({k for m in report.methods for k in m.scores})
    tasks = max(m.tasks for m in report.methods)
    table = Table(title=f"pass@k on {escape(report.dataset)} ({tasks} tasks), least to most successful")
    table.add_column("method", no_wrap=True)
    for name in ("solved", "%", *[f"pass@{k} % [95% CI]" for k in ks]):
        table.add_column(name, justify="right")
    if report.baseline:
        table.add_column(f"Δ pass@1 vs {escape(report.baseline.name)}, pp [95% CI]", justify="right")
        table.add_column("McNemar p", justify="right")
    for m in report.methods:
        row = [escape(label(m)), f"{m.solved_count}/{m.tasks}", fmt.pct(m.solved_share),
               *[fmt.score_cell(m.scores[k]) if k in m.scores else "-" for k in ks]]
        if report.baseline:
            d = report.deltas.get(m.name)
            row += [fmt.points_interval(d.diff, d.diff_low, d.diff_high), fmt.p_value(d.p_value)] if d else \
                   ["[dim]baseline[/]", ""]
        table.add_row(*row, style="yellow" if m.run.oracle_feedback else None)
    return table


def chain_table(report: Report) -> Table:
    table = Table(title="chain impact (solved tasks)")
    for name in ("method", "chained"):
        table.add_column(name, no_wrap=True)
    for name in ("before", "after", "change", "lost", "gained", "McNemar p"):
        table.add_column(name, justify="right")
    for (a, b), t in zip(report.pairs, report.pair_tests):
        table.add_row(escape(a.name), escape(label(b)), f"{a.solved_count}/{a.tasks}", f"{b.solved_count}/{b.tasks}",
                      f"{b.solved_count - a.solved_count:+d} ({fmt.points(b.solved_share - a.solved_share)})",
                      str(t.only_a), str(t.only_b), fmt.p_value(t.p_value))
    return table


def significance_table(report: Report) -> Table:
    table = Table(title=f"significance of every pair (A: the less successful; {report.resamples} bootstrap "
                        f"resamples, seed {report.seed})")
    for name in ("A", "B"):
        table.add_column(name, no_wrap=True)
    for name in ("only A", "only B", "McNemar p", "p (Holm)", "pass@1 B − A, pp [95% CI]"):
        table.add_column(name, justify="right")
    for c in report.comparisons:
        table.add_row(escape(c.a), escape(c.b), str(c.only_a), str(c.only_b), fmt.p_value(c.p_value),
                      fmt.p_value(c.p_holm) + (" *" if c.significant else ""),
                      fmt.points_interval(c.diff, c.diff_low, c.diff_high),
                      style="bold" if c.significant else None)
    return table


def footnotes(report: Report) -> list[str]:
    notes = ["solved: sample 0 passed after the run's final round. * significant: Holm-adjusted McNemar p < 0.05."]
    oracle = [m.name for m in report.methods if m.run.oracle_feedback]
    if oracle:
        notes.append(f"[yellow]{ORACLE_MARK} oracle feedback ({escape(', '.join(oracle))}): rounds after 0 were told "
                     "the benchmark's own tests; not comparable with plain pass@k.[/]")
    return notes
