"""`codeforge report`: charts, tables and one HTML page from the runs in the results store."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.core import TyperGroup

from ..i18n import _
from ..report.config import ReportConfig
from ._output import console as _console
from ._output import fail as _fail
from ._settings import settings_command


class _OneCommand(TyperGroup):
    """`codeforge report [OPTIONS]`: a sub-app (so cli.py adds it like every other) that is one command."""

    def collect_usage_pieces(self, ctx):
        return super(TyperGroup, self).collect_usage_pieces(ctx)  # a command's usage: no COMMAND [ARGS]


app = typer.Typer(cls=_OneCommand)


@settings_command(app, "report", ReportConfig, callback=True)
def report(config: ReportConfig) -> None:
    """Charts, pass@k tables and significance tests from the stored runs, as PNG, JSON and one HTML page.

    Charts: passed tasks per method, chain impact, pass@1 per round, pairwise differences (--heatmap: all tasks).
    Runs of Go unit-test tasks (bench go-unittest) lead with their mean go-coverage reward and its parts (reward.png).
    Runs are compared on the tasks all of them cover; unfinished runs are left out unless --include-unfinished.
    Repair runs (codeforge repair) are shown apart: EFR per epoch, pass@1 and findings before and after.
    Curriculum rounds (codeforge finetune --curriculum) are shown apart too, round by round, each on its own tasks;
    --runs takes a round's run name or a curriculum's name (all its rounds).
    Similarity metrics stored by bench --metrics get a table with each metric's correlation with passing; runs of
    text tasks (no tests) are shown apart with their metrics.

    Example: codeforge report --heatmap --html --baseline BASE
    """
    from ..report.build import build_report, report_json, write_report
    from ..report.data import ReportError
    from ..report.terminal import (chain_table, curriculum_tables, files_note, footnotes, methods_table,
                                   metrics_tables, no_methods_note, repair_lines, repair_table, significance_table)
    from ..store import db_path

    try:
        made = build_report(db_path(config.db), list(config.runs) if config.runs else None, config.dataset,
                            config.baseline, config.pairs, config.resamples, config.seed,
                            include_unfinished=config.include_unfinished)
        files = write_report(made, config.out, heatmap=config.heatmap, html=config.writes_html)
    except ReportError as exc:
        _fail(str(exc))
    console = _console(stderr=config.json)
    console.print(methods_table(made) if made.methods else no_methods_note(made))
    for table in metrics_tables(made):
        console.print(table)
    if made.pairs:
        console.print(chain_table(made))
    if made.comparisons:
        console.print(significance_table(made))
    if made.repairs:
        console.print(repair_table(made))
        for line in repair_lines(made):
            console.print(line, soft_wrap=True)
    for table in curriculum_tables(made):
        console.print(table)
    for note in footnotes(made):
        console.print(note)
    console.print(files_note(made), highlight=False, soft_wrap=True)
    if config.open_page:
        _open(files["html"], console)
    if config.json:
        typer.echo(json.dumps(report_json(made), indent=2))


def _open(page: Path, console) -> None:
    import webbrowser

    try:
        opened = webbrowser.open(page.resolve().as_uri())
    except Exception:  # a broken browser set-up must not fail a report that is already written
        opened = False
    if not opened:
        console.print(_("no browser could be opened; open {path} yourself").format(path=page), markup=False)
