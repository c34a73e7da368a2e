"""`codeforge report`: charts, tables and one HTML page from the runs in the results store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import click
import typer
from typer.core import TyperGroup

from ._output import console as _console
from ._output import fail as _fail



class _OneCommand(TyperGroup):
    """`codeforge report [OPTIONS]`: a sub-app (so cli.py adds it like every other) that is one command."""

    def collect_usage_pieces(self, ctx):
        return click.Command.collect_usage_pieces(self, ctx)


app = typer.Typer(cls=_OneCommand)


def _names(text: Optional[str]) -> Optional[list[str]]:
    if text is None:
        return None
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        _fail(f"--runs takes run names separated by commas, like BASE,PDG_CHAIN (got {text!r})")
    return names


def _pairs(given: List[str]) -> list[tuple[str, str]]:
    pairs = []
    for text in given:
        a, sep, b = text.partition(":")
        if not sep or not a.strip() or not b.strip():
            _fail(f"--pair takes two run names joined by a colon, like PDG:PDG_CHAIN_FEEDBACK (got {text!r})")
        pairs.append((a.strip(), b.strip()))
    return pairs


@app.callback(invoke_without_command=True)
def report(
    runs: Optional[str] = typer.Option(None, "--runs", help="Only these runs, comma-separated (default: all)."),
    dataset: Optional[str] = typer.Option(None, "--dataset", help="The dataset, when runs cover several."),
    baseline: Optional[str] = typer.Option(None, "--baseline", help="Add each method's difference from this "
                                           "run (pass@1, with interval and McNemar p)."),
    pair: List[str] = typer.Option([], "--pair", help="Show run B as run A's chained version, given as "
                                   "A:B (X and X_CHAIN pair by themselves). Repeatable."),
    out: Path = typer.Option(Path("runs") / "report", "--out", help="Folder for the PNGs, report.json and "
                             "report.html."),
    heatmap: bool = typer.Option(False, "--heatmap", help="Also draw every task by every method."),
    html: bool = typer.Option(False, "--html", help="Also write report.html: one self-contained page."),
    open_page: bool = typer.Option(False, "--open", help="Open report.html in a browser (implies --html)."),
    resamples: int = typer.Option(10_000, "--resamples", min=100, help="Bootstrap resamples."),
    seed: int = typer.Option(0, "--seed", help="Bootstrap seed."),
    db: Optional[Path] = typer.Option(None, "--db", envvar="CODEFORGE_DB",
                                      help="The results store (default ./runs/codeforge.db)."),
    as_json: bool = typer.Option(False, "--json", help="Print report.json on stdout (tables go to stderr)."),
) -> None:
    """Charts, pass@k tables and significance tests from the stored runs, as PNG, JSON and one HTML page.

    Charts: passed tasks per method, chain impact, pass@1 per round, pairwise differences (--heatmap: all tasks).

    Example: codeforge report --heatmap --html --baseline BASE
    """
    from ..report.build import build_report, report_json, write_report
    from ..report.data import ReportError
    from ..report.terminal import chain_table, footnotes, methods_table, significance_table
    from ..store import db_path

    html = html or open_page
    try:
        made = build_report(db_path(db), _names(runs), dataset, baseline, _pairs(pair), resamples, seed)
        files = write_report(made, out, heatmap=heatmap, html=html)
    except ReportError as exc:
        _fail(str(exc))
    console = _console(stderr=as_json)
    console.print(methods_table(made))
    if made.pairs:
        console.print(chain_table(made))
    if made.comparisons:
        console.print(significance_table(made))
    for note in footnotes(made):
        console.print(note)
    console.print("wrote " + ", ".join(str(path) for path in files.values()), highlight=False, soft_wrap=True)
    if open_page:
        _open(files["html"], console)
    if as_json:
        typer.echo(json.dumps(report_json(made), indent=2))


def _open(page: Path, console) -> None:
    import webbrowser

    try:
        opened = webbrowser.open(page.resolve().as_uri())
    except Exception:  # a broken browser set-up must not fail a report that is already written
        opened = False
    if not opened:
        console.print(f"no browser could be opened; open {page} yourself")
