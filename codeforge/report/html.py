"""The report as one self-contained HTML page: the charts embedded as data URIs, no script, no outside link,
so it opens from disk in any browser and can be mailed as one file. Every piece of text is escaped."""

from __future__ import annotations

import base64
import json
from html import escape
from pathlib import Path
from typing import Iterable, Optional, Sequence

from ..bench.scores import INTERVAL_LABEL, INTERVAL_TEXT
from ..repair.scores import SEVERITIES
from . import fmt
from .charts import ORACLE_MARK, curriculum_label, label
from .data import RepairResult
from .document import DEFINITIONS, Report

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1150px;
       padding: 0 1rem; color: #1d1d1f; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
table { border-collapse: collapse; margin: .8rem 0; font-size: .9rem; }
th, td { border: 1px solid #d6d6d6; padding: .3rem .6rem; text-align: right; }
th { background: #f3f4f6; } td:first-child, th:first-child { text-align: left; }
td.text { text-align: left; } tr.significant td { background: #eaf3ff; } tr.oracle td { background: #fff6e0; }
img { max-width: 100%; border: 1px solid #eee; margin: .5rem 0; }
.note { color: #555; font-size: .9rem; } .oracle-flag { color: #a15c00; font-weight: bold; }
pre { background: #f6f8fa; padding: .6rem; font-size: .8rem; overflow-x: auto; }
"""


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], row_classes: Sequence[str] = (),
           text_columns: Iterable[int] = (0,)) -> str:
    """A table; columns in `text_columns` are left-aligned, rows take the CSS class given for them."""
    text_columns = set(text_columns)
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = []
    for i, row in enumerate(rows):
        cells = "".join(f'<td class="text">{escape(str(c))}</td>' if j in text_columns else f"<td>{escape(str(c))}</td>"
                        for j, c in enumerate(row))
        css = row_classes[i] if i < len(row_classes) else ""
        body.append(f'<tr class="{escape(css)}">{cells}</tr>' if css else f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _image(path: Optional[Path], alt: str) -> str:
    if path is None:
        return ""
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{escape(alt)}">'


def _methods_section(report: Report) -> str:
    ks = sorted({k for m in report.methods for k in m.scores})
    score_headers = {k: fmt.score_header(k, [m.scores[k] for m in report.methods if k in m.scores]) for k in ks}
    rewarded = report.rewarded  # Go unit tests: the mean reward is the headline, so it comes first
    rewards, marked = fmt.reward_headers(m.reward for m in rewarded) if rewarded else ([], False)
    headers = ["method", *rewards, "solved", "%", *[score_headers[k][0] for k in ks]]
    if report.baseline:
        headers.append(f"Δ pass@1 vs {report.baseline.name}, pp [95% CI]")
        headers.append("McNemar p")
    rows = []
    for m in report.methods:
        row = [label(m), *(fmt.reward_cells(m.reward, marked) if rewarded else []),
               f"{m.solved_count}/{m.tasks}", fmt.pct(m.solved_share),
               *[fmt.score_cell(m.scores[k], score_headers[k][1]) if k in m.scores else "-" for k in ks]]
        if report.baseline:
            d = report.deltas.get(m.name)
            row += [fmt.points_interval(d.diff, d.diff_low, d.diff_high), fmt.p_value(d.p_value)] if d else \
                   ["baseline", ""]
        rows.append(row)
    classes = ["oracle" if m.run.oracle_feedback else "" for m in report.methods]
    intervals = "95% intervals: " + "; ".join(f"{INTERVAL_LABEL[m]}: {INTERVAL_TEXT[m]}"
                                              for m in report.intervals) + "."
    title = "Mean reward, passed tasks and pass@k" if rewarded else "Passed tasks and pass@k"
    return (f"<h2>{title}</h2><p class=\"note\">{escape(intervals)}</p>"
            f"{_table(headers, rows, classes)}"
            f"{_reward_section(report)}"
            f"{_image(report.files.get('passed'), 'passed tasks per method')}")


def _reward_section(report: Report) -> str:
    """The mean go-coverage reward of the runs of Go unit-test tasks, and its parts, charted."""
    if not report.rewarded:
        return ""
    return (f"<h3 id=\"reward\">Mean reward and its parts</h3>"
            f"<p class=\"note\">{escape(fmt.sentences(DEFINITIONS['mean_reward']))}</p>"
            f"{_image(report.files.get('reward'), 'mean reward per method with its parts')}")


def _chain_section(report: Report) -> str:
    if not report.pairs:
        return ""
    rows = [[label(a), label(b), f"{a.solved_count}/{a.tasks}", f"{b.solved_count}/{b.tasks}",
             f"{b.solved_count - a.solved_count:+d}", fmt.points(b.solved_share - a.solved_share),
             str(t.only_a), str(t.only_b), fmt.p_value(t.p_value)]
            for (a, b), t in zip(report.pairs, report.pair_tests)]
    headers = ["method", "chained", "before", "after", "change", "change (pp)", "lost", "gained", "McNemar p"]
    return (f"<h2>Chain impact</h2>{_table(headers, rows, text_columns=(0, 1))}"
            f"{_image(report.files.get('chain_impact'), 'chain impact')}")


def _rounds_section(report: Report) -> str:
    chained = report.chained
    if not chained:
        return ""
    last = max(len(m.rounds) for m in chained)

    def cell(point) -> str:
        shown = fmt.pct(point.pass_at_1.value) + f" ({point.solved})"
        return shown if point.reward is None else f"{shown}; mean reward {point.reward:.3f}"

    rows = [[label(m), *[cell(m.rounds[r]) if r < len(m.rounds) else "-" for r in range(last)]] for m in chained]
    headers = ["method", *[f"after round {r}" for r in range(last)]]
    rewarded = any(p.reward is not None for m in chained for p in m.rounds)
    note = "pass@1 (tasks solved by sample 0)" + ("; mean reward, for runs of Go unit-test tasks" if rewarded else "")
    return (f"<h2>pass@1 after each round</h2><p class=\"note\">{escape(note)}</p>"
            f"{_table(headers, rows)}{_image(report.files.get('rounds'), 'pass@1 per round')}")


def _significance_section(report: Report) -> str:
    if not report.comparisons:
        return ""
    rows = [[c.a, c.b, str(c.tasks), str(c.only_a), str(c.only_b), fmt.p_value(c.p_value), fmt.p_value(c.p_holm),
             "yes" if c.significant else "no", fmt.points_interval(c.diff, c.diff_low, c.diff_high)]
            for c in report.comparisons]
    headers = ["A", "B", "tasks", "only A", "only B", "McNemar p", "p (Holm)", "significant",
               "pass@1 B − A, pp [95% CI]"]
    classes = ["significant" if c.significant else "" for c in report.comparisons]
    note = (f"A is the less successful of the two. {DEFINITIONS['mcnemar']}; {DEFINITIONS['holm']}; "
            f"{DEFINITIONS['bootstrap']} ({report.resamples} resamples, seed {report.seed}).")
    return (f"<h2>Significance</h2><p class=\"note\">{escape(note)}</p>{_table(headers, rows, classes, (0, 1))}"
            f"{_image(report.files.get('significance'), 'pairwise differences')}")


def _runs_section(report: Report) -> str:
    rows = [[label(m), m.run.model, m.run.backend, fmt.adapter(m.run), m.run.prompt_mode, fmt.feedback(m.run),
             str(m.run.chain), str(m.run.samples_per_task), str(m.run.seed), str(m.run_tasks),
             "yes" if m.finished else "no"] for m in report.methods]
    headers = ["method", "model", "backend", "adapter", "prompt mode", "feedback source", "chain", "samples",
               "seed", "tasks in run", "finished"]
    classes = ["oracle" if m.run.oracle_feedback else "" for m in report.methods]
    details = "".join(
        f"<details><summary>{escape(m.name)}: full configuration and library versions</summary>"
        f"<pre>{escape(json.dumps({'config': m.run.config, 'versions': m.run.versions}, indent=2, sort_keys=True))}"
        f"</pre></details>" for m in report.methods)
    packages = sorted({p for m in report.methods for p in m.run.versions})
    versions = _table(["method", *packages], [[m.name, *[str(m.run.versions.get(p, "-")) for p in packages]]
                                              for m in report.methods], text_columns=range(len(packages) + 1))
    return (f"<h2>Runs</h2>{_table(headers, rows, classes, text_columns=range(len(headers)))}"
            f"<h3>Library versions</h3>{versions}{details}")


def _repair_findings(r: RepairResult) -> str:
    """One repair run's findings at the first try and after its last epoch: by severity, tool and CWE."""
    before, after = r.first.findings, r.last.findings
    rows = [["all", before.total, after.total]]
    rows += [[f"severity {s}", before.by_severity[s], after.by_severity[s]] for s in SEVERITIES]
    rows += [[f"tool {t}", before.by_tool.get(t, 0), after.by_tool.get(t, 0)]
             for t in sorted(set(before.by_tool) | set(after.by_tool))]
    rows += [[f"CWE-{c}", before.by_cwe.get(c, 0), after.by_cwe.get(c, 0)]
             for c in sorted(set(before.by_cwe) | set(after.by_cwe))]
    rows = [[what, str(a), str(b), f"{b - a:+d}" if b != a else "0"] for what, a, b in rows]
    epochs = [[str(e.epoch), str(e.attempted), str(e.kept), fmt.repair_rejected([e]), f"{e.error_free}/{e.programs}",
               fmt.score_cell(e.efr), fmt.score_cell(e.pass_at_1) if e.pass_at_1 else "-", fmt.severities(e.findings),
               str(e.unchecked)] for e in r.epochs]
    config = json.dumps({"config": r.run.config, "versions": r.run.versions}, indent=2, sort_keys=True)
    return (f"<h3>{escape(r.name)} on {escape(r.run.dataset)} ({escape(r.run.model)})</h3>"
            + _table(["epoch", "patches written", "kept", "rejected (why)", "error-free", "EFR % [95% Wilson]",
                      "pass@1 % [95% Wilson]", "findings (high/medium/low)", "unchecked"], epochs)
            + _table([f"findings of {r.name}", "first try", f"after epoch {r.last.epoch}", "change"], rows)
            + f"<details><summary>{escape(r.name)}: full configuration and library versions</summary>"
            f"<pre>{escape(config)}</pre></details>")


def _metrics_section(report: Report) -> str:
    """The similarity metrics of the methods (with r against passing) and the runs of text tasks."""
    parts = []
    if report.measured:
        headers, rows = fmt.metric_rows([(label(m), m.metrics) for m in report.measured])
        parts.append(f"<h2 id=\"similarity\">Similarity to the reference</h2>"
                     f"<p class=\"note\">{escape(fmt.sentences(DEFINITIONS['similarity']))}</p>"
                     + _table(headers, rows, text_columns=(0, 1)))
    if report.texts:
        headers, rows = fmt.metric_rows([(t.name, t.metrics) for t in report.texts], correlated=False)
        parts.append(f"<h2 id=\"text-runs\">Runs of text tasks</h2>"
                     f"<p class=\"note\">{escape(fmt.sentences(DEFINITIONS['text_runs']))}</p>"
                     + _table(headers, rows, text_columns=(0, 1)))
    return "".join(parts)


def _repair_section(report: Report) -> str:
    if not report.repairs:
        return ""
    headers, rows = fmt.repair_rows(report.repairs)
    note = fmt.sentences(DEFINITIONS["efr"], DEFINITIONS["repair_pass_at_1"], DEFINITIONS["repair_runs"])
    oracle = [r.name for r in report.repairs if r.run.oracle_feedback]
    if oracle:
        note += (f" {fmt.ORACLE_MARK} oracle feedback ({', '.join(oracle)}): the tests analyzer showed the model the "
                 "failed assertions of the benchmark's own tests.")
    return (f"<h2>Repair runs</h2><p class=\"note\">{escape(note)}</p>"
            f"{_table(headers, rows, text_columns=(0, 1))}"
            f"{_image(report.files.get('repair'), 'EFR per epoch and findings before and after of each repair run')}"
            + "".join(_repair_findings(r) for r in report.repairs))


def _curriculum_section(report: Report) -> str:
    if not report.curricula:
        return ""
    parts = [f"<h2>Curriculum</h2><p class=\"note\">{escape(fmt.sentences(DEFINITIONS['curriculum']))}</p>",
             _image(report.files.get("curriculum"), "pass@1 per round of each curriculum")]
    for c in report.curricula:
        headers, rows = fmt.curriculum_rows(c)
        config = json.dumps({r.name: {"config": r.run.config, "versions": r.run.versions} for r in c.rounds},
                            indent=2, sort_keys=True)
        parts.append(f"<h3>{escape(curriculum_label(c))}: {len(c.rounds)} of {c.planned} rounds</h3>"
                     + _table(headers, rows, text_columns=(0, 1, 7))
                     + f"<details><summary>{escape(c.name)}: each round's configuration and library versions"
                     f"</summary><pre>{escape(config)}</pre></details>")
    return "".join(parts)


def render_html(report: Report) -> str:
    oracle = [m.name for m in report.methods if m.run.oracle_feedback]
    heatmap = report.files.get("heatmap")
    notes = [note for note in (report.coverage_note(), report.left_out_note(), report.mined_note()) if note]
    parts = [
        f"<h1>codeforge report: {escape(report.dataset)}</h1>",
        f"<p>{escape(report.scope)}, from {escape(str(report.db))}.</p>",
        "".join(f'<p class="oracle-flag">{escape(note)}</p>' for note in notes),
        f'<p class="oracle-flag">{ORACLE_MARK} oracle feedback ({escape(", ".join(oracle))}): '
        f"{escape(DEFINITIONS['oracle_feedback'])}.</p>" if oracle else "",
        "<h2>Definitions</h2><ul>" + "".join(f"<li><b>{escape(k)}</b>: {escape(v)}</li>"
                                              for k, v in DEFINITIONS.items()) + "</ul>",
        _methods_section(report) if report.methods else
        f"<h2>Passed tasks and pass@k</h2><p class=\"note\">{escape(fmt.sentences(fmt.no_methods(report)))}</p>",
        f"<h2>Tasks by method</h2>{_image(heatmap, 'heatmap of tasks by method')}" if heatmap else "",
        _metrics_section(report), _chain_section(report), _rounds_section(report), _significance_section(report),
        _runs_section(report) if report.methods else "", _repair_section(report), _curriculum_section(report),
    ]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>codeforge report: {escape(report.dataset)}, {escape(report.scope)}</title>"
            f"<style>{_STYLE}</style></head>"
            f"<body>{''.join(parts)}</body></html>\n")
