"""The report as one self-contained HTML page: the charts embedded as data URIs, no script, no outside link,
so it opens from disk in any browser and can be mailed as one file. Every piece of text is escaped. Words are in
the chosen language (codeforge.i18n), which <html lang> names; the configuration shown is data, as stored."""

from __future__ import annotations

import base64
import json
from html import escape
from pathlib import Path
from typing import Iterable, Optional, Sequence

from ..i18n import _, language
from ..repair.scores import SEVERITIES
from . import fmt
from .charts import ORACLE_MARK, curriculum_label, label
from .data import RepairResult
from .document import DEFINITIONS, Report, definition, term

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


def _heading(tag: str, text: str, anchor: str = "") -> str:
    """`<h2>text</h2>`, escaped; `anchor`: its id."""
    return f'<{tag} id="{anchor}">{escape(text)}</{tag}>' if anchor else f"<{tag}>{escape(text)}</{tag}>"


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
    headers = [_("method"), *rewards, _("solved"), "%", *[score_headers[k][0] for k in ks]]
    if report.baseline:
        headers.append(_("Δ pass@1 vs {baseline}, pp [95% CI]").format(baseline=report.baseline.name))
        headers.append("McNemar p")
    rows = []
    for m in report.methods:
        row = [label(m), *(fmt.reward_cells(m.reward, marked) if rewarded else []),
               f"{m.solved_count}/{m.tasks}", fmt.pct(m.solved_share),
               *[fmt.score_cell(m.scores[k], score_headers[k][1]) if k in m.scores else "-" for k in ks]]
        if report.baseline:
            d = report.deltas.get(m.name)
            row += [fmt.points_interval(d.diff, d.diff_low, d.diff_high), fmt.p_value(d.p_value)] if d else \
                   [_("baseline"), ""]
        rows.append(row)
    classes = ["oracle" if m.run.oracle_feedback else "" for m in report.methods]
    intervals = fmt.intervals_note(report.intervals)
    title = _("Mean reward, passed tasks and pass@k") if rewarded else _("Passed tasks and pass@k")
    return (f"{_heading('h2', title)}<p class=\"note\">{escape(intervals)}</p>"
            f"{_table(headers, rows, classes)}"
            f"{_reward_section(report)}"
            + _image(report.files.get("passed"), _("passed tasks per method")))


def _reward_section(report: Report) -> str:
    """The mean go-coverage reward of the runs of Go unit-test tasks, and its parts, charted."""
    if not report.rewarded:
        return ""
    return (_heading("h3", _("Mean reward and its parts"), "reward")
            + f"<p class=\"note\">{escape(fmt.sentences(definition('mean_reward')))}</p>"
            + _image(report.files.get("reward"), _("mean reward per method with its parts")))


def _chain_section(report: Report) -> str:
    if not report.pairs:
        return ""
    rows = [[label(a), label(b), f"{a.solved_count}/{a.tasks}", f"{b.solved_count}/{b.tasks}",
             f"{b.solved_count - a.solved_count:+d}", fmt.points(b.solved_share - a.solved_share),
             str(t.only_a), str(t.only_b), fmt.p_value(t.p_value)]
            for (a, b), t in zip(report.pairs, report.pair_tests)]
    headers = [_("method"), _("chained"), _("before"), _("after"), _("change"), _("change (pp)"), _("lost"),
               _("gained"), "McNemar p"]
    return (_heading("h2", _("Chain impact")) + _table(headers, rows, text_columns=(0, 1))
            + _image(report.files.get("chain_impact"), _("chain impact")))


def _rounds_section(report: Report) -> str:
    chained = report.chained
    if not chained:
        return ""
    last = max(len(m.rounds) for m in chained)

    def cell(point) -> str:
        shown = fmt.pct(point.pass_at_1.value) + f" ({point.solved})"
        return shown if point.reward is None else _("{shown}; mean reward {reward}").format(
            shown=shown, reward=f"{point.reward:.3f}")

    rows = [[label(m), *[cell(m.rounds[r]) if r < len(m.rounds) else "-" for r in range(last)]] for m in chained]
    headers = [_("method"), *[_("after round {round}").format(round=r) for r in range(last)]]
    rewarded = any(p.reward is not None for m in chained for p in m.rounds)
    note = _("pass@1 (tasks solved by sample 0)") + \
        ("; " + _("mean reward, for runs of Go unit-test tasks") if rewarded else "")
    return (_heading("h2", _("pass@1 after each round")) + f"<p class=\"note\">{escape(note)}</p>"
            + _table(headers, rows) + _image(report.files.get("rounds"), _("pass@1 per round")))


def _significance_section(report: Report) -> str:
    if not report.comparisons:
        return ""
    rows = [[c.a, c.b, str(c.tasks), str(c.only_a), str(c.only_b), fmt.p_value(c.p_value), fmt.p_value(c.p_holm),
             _("yes") if c.significant else _("no"), fmt.points_interval(c.diff, c.diff_low, c.diff_high)]
            for c in report.comparisons]
    headers = ["A", "B", _("tasks"), _("only A"), _("only B"), "McNemar p", "p (Holm)", _("significant"),
               _("pass@1 B − A, pp [95% CI]")]
    classes = ["significant" if c.significant else "" for c in report.comparisons]
    note = _("A is the less successful of the two. {mcnemar}; {holm}; {bootstrap} ({resamples} resamples, seed "
             "{seed}).").format(mcnemar=definition("mcnemar"), holm=definition("holm"),
                                bootstrap=definition("bootstrap"), resamples=report.resamples, seed=report.seed)
    return (_heading("h2", _("Significance")) + f"<p class=\"note\">{escape(note)}</p>"
            + _table(headers, rows, classes, (0, 1))
            + _image(report.files.get("significance"), _("pairwise differences")))


def _runs_section(report: Report) -> str:
    rows = [[label(m), m.run.model, m.run.backend, fmt.adapter(m.run), m.run.prompt_mode, fmt.feedback(m.run),
             str(m.run.chain), str(m.run.samples_per_task), str(m.run.seed), str(m.run_tasks),
             _("yes") if m.finished else _("no")] for m in report.methods]
    headers = [_("method"), _("model"), _("backend"), _("adapter"), _("prompt mode"), _("feedback source"),
               _("chain"), _("samples"), _("seed"), _("tasks in run"), _("finished")]
    classes = ["oracle" if m.run.oracle_feedback else "" for m in report.methods]
    full = escape(_("full configuration and library versions"), quote=False)
    details = "".join(
        f"<details><summary>{escape(m.name)}: {full}</summary>"
        f"<pre>{escape(json.dumps({'config': m.run.config, 'versions': m.run.versions}, indent=2, sort_keys=True))}"
        f"</pre></details>" for m in report.methods)
    packages = sorted({p for m in report.methods for p in m.run.versions})
    versions = _table([_("method"), *packages], [[m.name, *[str(m.run.versions.get(p, "-")) for p in packages]]
                                              for m in report.methods], text_columns=range(len(packages) + 1))
    return (_heading("h2", _("Runs")) + _table(headers, rows, classes, text_columns=range(len(headers)))
            + _heading("h3", _("Library versions")) + versions + details)


def _repair_findings(r: RepairResult) -> str:
    """One repair run's findings at the first try and after its last epoch: by severity, tool and CWE."""
    before, after = r.first.findings, r.last.findings
    rows = [[_("all"), before.total, after.total]]
    rows += [[_("severity {severity}").format(severity=s), before.by_severity[s], after.by_severity[s]]
             for s in SEVERITIES]
    rows += [[_("tool {tool}").format(tool=t), before.by_tool.get(t, 0), after.by_tool.get(t, 0)]
             for t in sorted(set(before.by_tool) | set(after.by_tool))]
    rows += [[f"CWE-{c}", before.by_cwe.get(c, 0), after.by_cwe.get(c, 0)]
             for c in sorted(set(before.by_cwe) | set(after.by_cwe))]
    rows = [[what, str(a), str(b), f"{b - a:+d}" if b != a else "0"] for what, a, b in rows]
    epochs = [[str(e.epoch), str(e.attempted), str(e.kept), fmt.repair_rejected([e]), f"{e.error_free}/{e.programs}",
               fmt.score_cell(e.efr), fmt.score_cell(e.pass_at_1) if e.pass_at_1 else "-", fmt.severities(e.findings),
               str(e.unchecked)] for e in r.epochs]
    config = json.dumps({"config": r.run.config, "versions": r.run.versions}, indent=2, sort_keys=True)
    full = escape(_("full configuration and library versions"), quote=False)
    heading = _("{name} on {dataset} ({model})").format(name=r.name, dataset=r.run.dataset, model=r.run.model)
    return (f"<h3>{escape(heading)}</h3>"
            + _table([_("epoch"), _("patches written"), _("kept"), _("rejected (why)"), _("error-free"),
                      _("EFR % [95% Wilson]"), _("pass@1 % [95% Wilson]"), _("findings (high/medium/low)"),
                      _("unchecked")], epochs)
            + _table([_("findings of {name}").format(name=r.name), _("first try"),
                      _("after epoch {epoch}").format(epoch=r.last.epoch), _("change")], rows)
            + f"<details><summary>{escape(r.name)}: {full}</summary>"
            f"<pre>{escape(config)}</pre></details>")


def _metrics_section(report: Report) -> str:
    """The similarity metrics of the methods (with r against passing) and the runs of text tasks."""
    parts = []
    if report.measured:
        headers, rows = fmt.metric_rows([(label(m), m.metrics) for m in report.measured])
        parts.append(_heading("h2", _("Similarity to the reference"), "similarity")
                     + f"<p class=\"note\">{escape(fmt.sentences(definition('similarity')))}</p>"
                     + _table(headers, rows, text_columns=(0, 1)))
    if report.texts:
        headers, rows = fmt.metric_rows([(t.name, t.metrics) for t in report.texts], correlated=False)
        parts.append(_heading("h2", _("Runs of text tasks"), "text-runs")
                     + f"<p class=\"note\">{escape(fmt.sentences(definition('text_runs')))}</p>"
                     + _table(headers, rows, text_columns=(0, 1)))
    return "".join(parts)


def _repair_section(report: Report) -> str:
    if not report.repairs:
        return ""
    headers, rows = fmt.repair_rows(report.repairs)
    note = fmt.sentences(definition("efr"), definition("repair_pass_at_1"), definition("repair_runs"))
    oracle = [r.name for r in report.repairs if r.run.oracle_feedback]
    if oracle:
        note += " " + fmt.oracle_repair_note(oracle)
    return (_heading("h2", _("Repair runs")) + f"<p class=\"note\">{escape(note)}</p>"
            + _table(headers, rows, text_columns=(0, 1))
            + _image(report.files.get("repair"), _("EFR per epoch and findings before and after of each repair run"))
            + "".join(_repair_findings(r) for r in report.repairs))


def _curriculum_section(report: Report) -> str:
    if not report.curricula:
        return ""
    parts = [_heading("h2", _("Curriculum"))
             + f"<p class=\"note\">{escape(fmt.sentences(definition('curriculum')))}</p>",
             _image(report.files.get("curriculum"), _("pass@1 per round of each curriculum"))]
    for c in report.curricula:
        headers, rows = fmt.curriculum_rows(c)
        config = json.dumps({r.name: {"config": r.run.config, "versions": r.run.versions} for r in c.rounds},
                            indent=2, sort_keys=True)
        versions = _("each round's configuration and library versions")
        heading = _("{name}: {count} of {planned} rounds").format(name=curriculum_label(c), count=len(c.rounds),
                                                                  planned=c.planned)
        parts.append(f"<h3>{escape(heading)}</h3>"
                     + _table(headers, rows, text_columns=(0, 1, 7))
                     + f"<details><summary>{escape(c.name)}: {escape(versions, quote=False)}"
                     f"</summary><pre>{escape(config)}</pre></details>")
    return "".join(parts)


def render_html(report: Report) -> str:
    oracle = [m.name for m in report.methods if m.run.oracle_feedback]
    heatmap = report.files.get("heatmap")
    notes = [note for note in (report.coverage_note(), report.left_out_note(), report.mined_note()) if note]
    oracle_note = _("{mark} oracle feedback ({runs}): {definition}.").format(
        mark=ORACLE_MARK, runs=", ".join(oracle), definition=definition("oracle_feedback"))
    parts = [
        _heading("h1", _("codeforge report: {dataset}").format(dataset=report.dataset)),
        "<p>" + escape(_("{scope}, from {path}.").format(scope=report.shown_scope, path=report.db)) + "</p>",
        "".join(f'<p class="oracle-flag">{escape(note)}</p>' for note in notes),
        f'<p class="oracle-flag">{escape(oracle_note)}</p>' if oracle else "",
        _heading("h2", _("Definitions")) + "<ul>" + "".join(
            f"<li><b>{escape(term(k))}</b>: {escape(definition(k))}</li>" for k in DEFINITIONS) + "</ul>",
        _methods_section(report) if report.methods else
        _heading("h2", _("Passed tasks and pass@k"))
        + f"<p class=\"note\">{escape(fmt.sentences(fmt.no_methods(report)))}</p>",
        _heading("h2", _("Tasks by method")) + _image(heatmap, _("heatmap of tasks by method")) if heatmap else "",
        _metrics_section(report), _chain_section(report), _rounds_section(report), _significance_section(report),
        _runs_section(report) if report.methods else "", _repair_section(report), _curriculum_section(report),
    ]
    title = _("codeforge report: {dataset}, {scope}").format(dataset=report.dataset, scope=report.shown_scope)
    return (f"<!DOCTYPE html>\n<html lang=\"{escape(language())}\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title>"
            f"<style>{_STYLE}</style></head>"
            f"<body>{''.join(parts)}</body></html>\n")
