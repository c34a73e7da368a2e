"""The report's charts, one function each, every one returning the PNG it wrote.

matplotlib is imported inside the functions (it costs a noticeable fraction of a second) and drives the Agg
canvas directly, never pyplot: no display is needed and no global backend is switched. Sizes grow with the
number of tasks and methods, so 164 tasks by 9 methods stays legible. PNGs carry no "Software" entry, so
the same store gives the same bytes. Titles, axis labels and legends are in the chosen language (codeforge.i18n).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

from ..i18n import N_, _
from ..repair.scores import SEVERITIES
from .data import CurriculumResult, MethodResult, RepairResult
from .fmt import MINED_MARK, ORACLE_MARK, UNFINISHED, interval_label, unfinished
from .stats import Comparison

DPI = 110
PASS, FAIL, MISSING = "#2e9e5b", "#e4e4e4", "#ffffff"
BEFORE, AFTER = "#9aa7b8", "#1f6fb2"


def label(method: MethodResult) -> str:
    """The method's name as every table and chart shows it: marked when oracle-fed, when scored on its own
    failures (a mined set) and when unfinished."""
    name = f"{method.name} {ORACLE_MARK}" if method.run.oracle_feedback else method.name
    name = f"{name} {MINED_MARK}" if method.run.own_failures else name
    return name if method.finished else unfinished(name)


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(figure)
    return figure


def _save(figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    return path


def _colors(count: int) -> list:
    from matplotlib import colormaps

    palette = colormaps["tab10"].colors
    return [palette[i % len(palette)] for i in range(count)]


def _oracle_note(ax, methods: Sequence[MethodResult], below_points: float = 40) -> None:
    """The footnote for the † mark, under the axes (and under their x labels)."""
    if any(m.run.oracle_feedback for m in methods):
        ax.annotate(_("{mark} oracle feedback: later rounds were told the benchmark's own tests").format(
                    mark=ORACLE_MARK),
                    xy=(0, 0), xycoords="axes fraction", xytext=(0, -below_points), textcoords="offset points",
                    fontsize=8, ha="left", va="top")


def passed_chart(methods: Sequence[MethodResult], dataset: str, path: Path, scope: str = "") -> Path:
    """Solved tasks per method, least to most successful from top to bottom, with the Wilson 95% interval.
    `scope` says which tasks are compared, when not every method covers the same ones."""
    tasks = max(m.tasks for m in methods)
    figure = _figure(9, 1.2 + 0.45 * len(methods))
    ax = figure.add_subplot()
    y = range(len(methods))
    counts = [m.solved_count for m in methods]
    errors = [[m.tasks * (m.solved_share - m.solved_interval.low) for m in methods],
              [m.tasks * (m.solved_interval.high - m.solved_share) for m in methods]]
    ax.barh(y, counts, color=_colors(len(methods)), xerr=errors, capsize=3, error_kw={"elinewidth": 1})
    for i, m in enumerate(methods):
        ax.text(m.tasks * m.solved_interval.high + tasks * 0.01, i,
                f"{m.solved_count}/{m.tasks} ({100 * m.solved_share:.1f}%)", va="center", fontsize=9)
    ax.set_yticks(list(y), [label(m) for m in methods])
    ax.invert_yaxis()
    ax.set_xlim(0, tasks * 1.25)
    ax.set_xlabel(_("tasks passed (of {tasks}); whiskers: 95% Wilson interval").format(tasks=tasks))
    ax.set_title(_("Passed tasks per method on {dataset}").format(dataset=dataset) + (f"\n{scope}" if scope else ""))
    ax.spines[["top", "right"]].set_visible(False)
    _oracle_note(ax, methods)
    return _save(figure, path)


PARTS = ((N_("runnable: share of samples whose test ran"), "#9aa7b8"),
         (N_("tests passed: of the TestXxx functions declared"), "#2e9e5b"),
         (N_("coverage of the function under test: mean over samples"), "#e67e22"))


def reward_chart(methods: Sequence[MethodResult], path: Path) -> Path:
    """Left: the mean go-coverage reward of each run of Go unit-test tasks, with its 95% interval. Right: its
    parts side by side (runnable share, tests passed of those declared, coverage of the function under test)."""
    from matplotlib.transforms import offset_copy

    rewarded = [m for m in methods if m.reward is not None]
    figure = _figure(12, 1.6 + 0.75 * len(rewarded))
    mean, parts = figure.subplots(1, 2, sharey=True, gridspec_kw={"wspace": 0.08})
    y = range(len(rewarded))
    values = [m.reward.mean.value for m in rewarded]
    errors = [[m.reward.mean.value - m.reward.mean.low for m in rewarded],
              [m.reward.mean.high - m.reward.mean.value for m in rewarded]]
    mean.barh(y, values, color=_colors(len(rewarded)), xerr=errors, capsize=3, error_kw={"elinewidth": 1})
    for i, m in enumerate(rewarded):
        mean.text(m.reward.mean.high + 0.01, i, f"{m.reward.mean.value:.3f}", va="center", fontsize=9)
    mean.set_yticks(list(y), [label(m) for m in rewarded])
    mean.invert_yaxis()
    mean.set_xlim(0, 1.15)
    kinds = dict.fromkeys(interval_label(m.reward.mean.interval) for m in rewarded)
    mean.set_xlabel(_("mean reward (0 to 1); whiskers: 95% interval ({kinds})").format(kinds=", ".join(kinds)))
    mean.set_title(_("Mean go-coverage reward per method"))
    mean.spines[["top", "right"]].set_visible(False)
    height = 0.8 / len(PARTS)
    for j, (name, color) in enumerate(PARTS):
        at = [i - 0.4 + height * (j + 0.5) for i in y]
        shares = [(m.reward.runnable, m.reward.tests_share, m.reward.coverage)[j] for m in rewarded]
        parts.barh(at, [100 * v for v in shares], height, color=color, label=_(name))
        for position, share, m in zip(at, shares, rewarded):
            text = f"{100 * share:.1f}%"
            if j == 1:
                text += f" ({m.reward.tests_passed}/{m.reward.tests_declared})"
            parts.text(100 * share + 1, position, text, va="center", fontsize=7)
    parts.set_xlim(0, 125)  # room for the labels beside a full bar
    parts.set_xlabel("%")
    parts.set_title(_("Its parts"))
    below = offset_copy(parts.transAxes, fig=figure, y=-30, units="points")  # under the x label: never over a bar
    parts.legend(loc="upper center", bbox_to_anchor=(0.5, 0), bbox_transform=below, fontsize=8, frameon=False)
    parts.tick_params(axis="y", left=False)
    parts.spines[["top", "right"]].set_visible(False)
    _oracle_note(mean, rewarded)
    return _save(figure, path)


def heatmap_order(methods: Sequence[MethodResult]) -> tuple[list[str], list[list[float]]]:
    """Every task, most-solved first (ties in dataset order), and per task one cell per method: 1, 0 or NaN."""
    tasks = list(dict.fromkeys(t for m in methods for t in m.task_ids))
    solved = [m.solved_by_task() for m in methods]
    cells = {t: [float(s[t]) if t in s else math.nan for s in solved] for t in tasks}
    tasks.sort(key=lambda t: -sum(v for v in cells[t] if not math.isnan(v)))  # stable: ties keep dataset order
    return tasks, [cells[t] for t in tasks]


def heatmap_chart(methods: Sequence[MethodResult], path: Path) -> Path:
    """Tasks (rows) by methods (columns), pass or fail, every task."""
    import numpy as np
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    tasks, rows = heatmap_order(methods)
    figure = _figure(2.8 + 0.85 * len(methods), 1.8 + 0.13 * len(tasks))
    ax = figure.add_subplot()
    cmap = ListedColormap([FAIL, PASS]).with_extremes(bad=MISSING)
    ax.imshow(np.ma.masked_invalid(np.array(rows, dtype=float)), cmap=cmap, vmin=0, vmax=1, aspect="auto",
              interpolation="nearest")
    ax.set_xticks(range(len(methods)), [f"{label(m)}\n{m.solved_count}/{m.tasks}" for m in methods],
                  rotation=40, ha="left", fontsize=8)
    ax.xaxis.tick_top()
    step = max(1, math.ceil(len(tasks) / 300))  # past ~300 rows every label would overlap its neighbours
    ax.set_yticks(range(0, len(tasks), step), tasks[::step], fontsize=6.5)
    ax.set_xticks([x - 0.5 for x in range(1, len(methods))], minor=True)
    ax.grid(which="minor", axis="x", color="white", linewidth=2)
    ax.tick_params(which="minor", length=0)
    legend = [Patch(color=PASS, label=_("passed")), Patch(facecolor=FAIL, label=_("failed"))]
    if any(math.isnan(v) for row in rows for v in row):
        legend.append(Patch(facecolor=MISSING, edgecolor="#999999", label=_("not in run")))
    ax.legend(handles=legend,
              loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    ax.set_title(_("Tasks by method (rows: most solved first; columns: least to most successful)"), fontsize=10,
                 pad=12 + 6 * max(len(m.name) for m in methods) ** 0.5)
    _oracle_note(ax, methods, below_points=6)
    return _save(figure, path)


def chain_chart(pairs: Sequence[tuple[MethodResult, MethodResult]], tests: Sequence[Comparison],
                path: Path) -> Path:
    """Each method beside its chained version, with the change in solved tasks and McNemar's p."""
    tasks = max(m.tasks for pair in pairs for m in pair)
    figure = _figure(2.5 + 1.9 * len(pairs), 5)
    ax = figure.add_subplot()
    width = 0.38
    for i, ((before, after), test) in enumerate(zip(pairs, tests)):
        for offset, m, color in ((-width / 2, before, BEFORE), (width / 2, after, AFTER)):
            ax.bar(i + offset, m.solved_count, width, color=color)
            ax.text(i + offset, m.solved_count, f"{m.solved_count}\n{label(m)}", ha="center", va="bottom",
                    fontsize=7)
        change = after.solved_count - before.solved_count
        points = 100 * (after.solved_share - before.solved_share)
        ax.text(i, tasks * 1.16, _("{change} ({points} pp)").format(change=f"{change:+d}", points=f"{points:+.1f}"),
                ha="center", fontsize=10, fontweight="bold")
        ax.text(i, tasks * 1.10, f"McNemar p={test.p_value:.2g}", ha="center", fontsize=8)
    ax.set_xticks(range(len(pairs)), [f"{a.name}\n→ {b.name}" for a, b in pairs], fontsize=8)
    ax.set_ylim(0, tasks * 1.24)
    ax.set_ylabel(_("tasks passed (of {tasks})").format(tasks=tasks))
    ax.set_title(_("Chain impact: each method and its chained version"))
    ax.spines[["top", "right"]].set_visible(False)
    _oracle_note(ax, [m for pair in pairs for m in pair], below_points=36)
    return _save(figure, path)


def rounds_chart(methods: Sequence[MethodResult], path: Path) -> Path:
    """pass@1 after each round of every chained run, with its 95% band."""
    chained = [m for m in methods if m.chained]
    last = max(len(m.rounds) for m in chained) - 1
    figure = _figure(7 + 0.4 * last, 4.8)
    ax = figure.add_subplot()
    for m, color in zip(chained, _colors(len(chained))):
        x = [p.round for p in m.rounds]
        end = m.rounds[-1].pass_at_1.value
        ax.plot(x, [100 * p.pass_at_1.value for p in m.rounds], marker="o", color=color,
                linestyle="--" if m.run.oracle_feedback else "-",  # told the hidden tests: set apart
                label=f"{label(m)}: {100 * m.rounds[0].pass_at_1.value:.1f}% → {100 * end:.1f}%")
        ax.fill_between(x, [100 * p.pass_at_1.low for p in m.rounds], [100 * p.pass_at_1.high for p in m.rounds],
                        color=color, alpha=0.12, linewidth=0)
    ax.set_xticks(range(last + 1), [_("0 (first answer)"), *map(str, range(1, last + 1))] if last else ["0"])
    ax.set_xlim(-0.2, last + 0.2)
    ax.set_xlabel(_("after round"))
    kinds = dict.fromkeys(interval_label(p.pass_at_1.interval) for m in chained for p in m.rounds)
    ax.set_ylabel(_("pass@1 (%); band: 95% interval ({kinds})").format(kinds=", ".join(kinds)))
    ax.set_title(_("pass@1 after each feedback round"))
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    _oracle_note(ax, chained)
    return _save(figure, path)


def significance_chart(comparisons: Sequence[Comparison], path: Path) -> Path:
    """Every pair's difference in pass@1 (B - A) with its bootstrap 95% interval; Holm-significant in colour."""
    figure = _figure(9, 1.4 + 0.28 * len(comparisons))
    ax = figure.add_subplot()
    for i, c in enumerate(comparisons):
        color = AFTER if c.significant else "#8c8c8c"
        ax.plot([100 * c.diff_low, 100 * c.diff_high], [i, i], color=color, linewidth=2)
        ax.plot([100 * c.diff], [i], "o", color=color, markersize=4)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(range(len(comparisons)), [f"{c.b} − {c.a}   (McNemar p={c.p_value:.2g})" for c in comparisons],
                  fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel(_("difference in pass@1, percentage points (paired bootstrap 95% interval)"))
    ax.set_title(_("Pairwise differences (blue: significant after Holm correction, p < 0.05)"))
    ax.grid(axis="x", alpha=0.3)
    return _save(figure, path)


SEVERITY_COLOR = {"high": "#c0392b", "medium": "#e67e22", "low": "#f1c40f"}


def repair_label(repair: RepairResult) -> str:
    """A repair run's name as its table and chart show it: with its dataset, and marked when unfinished."""
    name = f"{repair.name} ({repair.run.dataset})"
    if repair.run.oracle_feedback:
        name += f" {ORACLE_MARK}"
    return name if repair.finished else unfinished(name)


def repair_chart(repairs: Sequence[RepairResult], path: Path) -> Path:
    """Left: EFR after each epoch of every repair run, with its Wilson 95% band. Right: each run's findings at
    the first try and after its last epoch, stacked by severity."""
    from matplotlib.patches import Patch

    last = max(len(r.epochs) for r in repairs) - 1
    figure = _figure(12 + 0.4 * last + 0.5 * len(repairs), 4.8)
    efr, found = figure.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    for r, color in zip(repairs, _colors(len(repairs))):
        x = [e.epoch for e in r.epochs]
        efr.plot(x, [100 * e.efr.value for e in r.epochs], marker="o", color=color,
                 label=f"{repair_label(r)}: {100 * r.first.efr.value:.1f}% → {100 * r.last.efr.value:.1f}%")
        efr.fill_between(x, [100 * e.efr.low for e in r.epochs], [100 * e.efr.high for e in r.epochs], color=color,
                         alpha=0.12, linewidth=0)
    efr.set_xticks(range(last + 1), [_("0 (first try)"), *map(str, range(1, last + 1))])
    efr.set_xlim(-0.2, last + 0.2)
    efr.set_ylim(0, 100)
    efr.set_xlabel(_("after epoch"))
    efr.set_ylabel(_("EFR (%); band: 95% Wilson interval"))
    efr.set_title(_("Error-free rate after each repair epoch"))
    efr.grid(axis="y", alpha=0.3)
    efr.legend(loc="lower right", fontsize=8)
    width = 0.3  # a gap between before and after, and between runs, so no two bars read as one
    tallest = max(max(r.first.findings.total, r.last.findings.total) for r in repairs)
    for i, r in enumerate(repairs):
        for offset, epoch, words in ((-0.18, r.first, _("before")), (0.18, r.last, _("after"))):
            bottom = 0
            for severity in SEVERITIES:
                count = epoch.findings.by_severity[severity]
                found.bar(i + offset, count, width, bottom=bottom, color=SEVERITY_COLOR[severity])
                bottom += count
            found.text(i + offset, bottom + tallest * 0.01, f"{bottom}\n{words}", ha="center", va="bottom",
                       fontsize=7)
    found.set_xticks(range(len(repairs)), [repair_label(r) for r in repairs], fontsize=8, rotation=15, ha="right")
    found.set_xlim(-0.7, len(repairs) - 0.3)
    found.set_ylim(0, max(tallest, 1) * 1.5)  # room for the legend above the tallest bar
    found.set_ylabel(_("findings"))
    found.set_title(_("Findings at the first try and after the last epoch"))
    found.legend(handles=[Patch(color=SEVERITY_COLOR[s], label=s) for s in SEVERITIES],
                 title=_("severity"), fontsize=8, loc="upper right")
    found.spines[["top", "right"]].set_visible(False)
    return _save(figure, path)


def curriculum_label(curriculum: CurriculumResult) -> str:
    """A curriculum as its chart and tables name it: with its dataset, and marked when a round is unfinished."""
    name = f"{curriculum.name} ({curriculum.dataset})"
    return name if curriculum.finished else unfinished(name)


def curriculum_chart(curricula: Sequence[CurriculumResult], path: Path) -> Path:
    """pass@1 of each round of every curriculum over that round's own tasks, with its 95% interval. The rounds
    cover different tasks, so the points are drawn apart (markers with error bars), not as one curve's band."""
    last = max(r.round for c in curricula for r in c.rounds)
    figure = _figure(7 + 0.4 * last, 4.8)
    ax = figure.add_subplot()
    shift = 0.08 * (len(curricula) - 1)  # curricula side by side at each round, so their bars do not overlap
    for i, (c, color) in enumerate(zip(curricula, _colors(len(curricula)))):
        x = [r.round - shift / 2 + (shift * i / (len(curricula) - 1) if len(curricula) > 1 else 0) for r in c.rounds]
        y = [100 * r.pass_at_1.value for r in c.rounds]
        errors = [[100 * (r.pass_at_1.value - r.pass_at_1.low) for r in c.rounds],
                  [100 * (r.pass_at_1.high - r.pass_at_1.value) for r in c.rounds]]
        ax.errorbar(x, y, yerr=errors, marker="o", color=color, capsize=3, linestyle=":",
                    label=f"{curriculum_label(c)}: " + ", ".join(
                        _("round {round} {percent}% of {tasks}").format(
                            round=r.round, percent=f"{100 * r.pass_at_1.value:.1f}", tasks=r.tasks) for r in c.rounds))
        for r, at, height in zip(c.rounds, x, y):
            ax.annotate(f"{r.new}+{r.revisited}" + ("" if r.finished else f" {_(UNFINISHED)}"), (at, height),
                        textcoords="offset points", xytext=(6, 4 + 10 * i), fontsize=7, color=color)  # stacked
    ax.set_xticks(range(1, last + 1))
    ax.set_xlim(0.5, last + 0.5)
    ax.set_ylim(0, 105)
    ax.set_xlabel(_("round (labels: new + revisited tasks)"))
    kinds = dict.fromkeys(interval_label(r.pass_at_1.interval) for c in curricula for r in c.rounds)
    ax.set_ylabel(_("pass@1 (%) on the round's tasks; bars: 95% ({kinds})").format(kinds=", ".join(kinds)))
    ax.set_title(_("Curriculum: pass@1 per round, each on its own tasks (not comparable across rounds)"),
                 fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize=8, frameon=False)
    return _save(figure, path)
