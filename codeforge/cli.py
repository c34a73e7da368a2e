"""The `codeforge` command: one sub-app per module in codeforge/commands/."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from . import __version__
from .config import load_dotenv
from .commands import bench, finetune, graphs, repair, report, sandbox, serve

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
app.add_typer(finetune.app, name="finetune")
app.add_typer(serve.app, name="serve")
repair.register(app)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"codeforge {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Optional[bool] = typer.Option(
        None, "--version", help="Print the version and exit.", callback=_print_version, is_eager=True
    ),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True,
                                help="Log what happens on stderr: -v steps, -vv details (also of libraries)."),
) -> None:
    """codeforge: run untrusted code safely, build program graphs, benchmark and fine-tune code models.

    Settings come from each command's flags, then CODEFORGE_* environment variables (a .env file in the
    working directory is read too), then a --config file, then the defaults.
    """
    if verbose:
        _log_to_stderr(verbose)


def _log_to_stderr(verbose: int) -> None:
    import logging

    from rich.console import Console
    from rich.logging import RichHandler

    handler = RichHandler(console=Console(stderr=True), show_path=verbose > 1, markup=False,
                          rich_tracebacks=False)
    logging.basicConfig(level=logging.DEBUG if verbose > 1 else logging.WARNING, handlers=[handler],
                        format="%(name)s: %(message)s", force=True)
    logging.getLogger("codeforge").setLevel(logging.DEBUG if verbose > 1 else logging.INFO)


def main() -> None:
    load_dotenv()
    sys.exit(run(app))


def run(command) -> int:
    """Run the app, with a bad option or argument told in one plain line (exit 2) instead of a framed box:
    the message quotes what the user typed, and scripts read stderr line by line."""
    errors = sys.modules[typer.BadParameter.__module__]  # the click that typer carries
    try:
        code = command(standalone_mode=False)
    except errors.NoArgsIsHelpError:
        return 0  # the help was printed
    except errors.ClickException as exc:
        from rich.console import Console
        from rich.text import Text

        message = exc.format_message().replace("Value error, ", "")
        ctx = getattr(exc, "ctx", None)
        hint = f" (see {ctx.command_path} --help)" if ctx is not None else ""
        Console(stderr=True).print(Text.assemble(("error:", "bold red"), f" {message}{hint}"), soft_wrap=True,
                                   highlight=False)
        return exc.exit_code
    except typer.Abort:
        return 1
    return code if isinstance(code, int) else 0
