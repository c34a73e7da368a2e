"""The `codeforge` command: one sub-app per module in codeforge/commands/."""

from __future__ import annotations

from typing import Optional

import typer

from . import __version__
from .commands import bench, graphs, report, sandbox

app = typer.Typer(
    help="Train and evaluate code models: sandboxed execution, program graphs, benchmarks with feedback.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(sandbox.app, name="sandbox")
app.add_typer(graphs.app, name="graphs")
app.add_typer(bench.app, name="bench")
app.add_typer(report.app, name="report")


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"codeforge {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Optional[bool] = typer.Option(
        None, "--version", help="Print the version and exit.", callback=_print_version, is_eager=True
    ),
) -> None:
    """codeforge: run untrusted code safely, build program graphs, benchmark and fine-tune code models."""


def main() -> None:
    app()
