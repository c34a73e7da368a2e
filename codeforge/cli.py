"""The `codeforge` command: one sub-app per module in codeforge/commands/."""

from __future__ import annotations

import functools
import sys
from typing import Optional

import typer

from . import __version__, i18n
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
    lang: Optional[str] = typer.Option(None, "--lang", metavar="LANG",
                                       help="The language of help and messages: en (English) or ru (Russian); "
                                            "default: CODEFORGE_LANG, else the locale."),
) -> None:
    """codeforge: run untrusted code safely, build program graphs, benchmark and fine-tune code models.

    Settings come from each command's flags, then CODEFORGE_* environment variables (a .env file in the
    working directory is read too), then a --config file, then the defaults.
    """
    if lang:  # main() has chosen it already; this is for the app called from Python
        try:
            i18n.select(i18n.choose(lang))
        except i18n.LanguageError as exc:
            raise typer.BadParameter(str(exc)) from None
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
    try:
        i18n.select(i18n.choose(_lang_option(sys.argv[1:])))
    except i18n.LanguageError as exc:
        _print_error(str(exc))
        sys.exit(2)
    sys.exit(run(app))


def _lang_option(args: list[str]) -> Optional[str]:
    """The value of the root option --lang: read before anything is shown, help included."""
    for index, arg in enumerate(args):
        if arg == "--lang":
            return args[index + 1] if index + 1 < len(args) else None
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
        if not arg.startswith("-"):
            return None  # the sub-command: --lang after it is not the root's
    return None


def run(command) -> int:
    """Run the app, with a bad option or argument told in one plain line (exit 2) instead of a framed box:
    the message quotes what the user typed, and scripts read stderr line by line."""
    errors = sys.modules[typer.BadParameter.__module__]  # the click that typer carries
    try:
        code = _translated(typer.main.get_command(command))(standalone_mode=False)
    except errors.NoArgsIsHelpError:
        return 0  # the help was printed
    except errors.ClickException as exc:
        from .commands._usage import translated

        message = translated(exc.format_message().replace("Value error, ", ""))
        ctx = getattr(exc, "ctx", None)
        hint = i18n._(" (see {command} --help)").format(command=ctx.command_path) if ctx is not None else ""
        _print_error(message + hint)
        return exc.exit_code
    except typer.Abort:
        return 1
    return code if isinstance(code, int) else 0


def _print_error(message: str) -> None:
    from rich.console import Console
    from rich.text import Text

    Console(stderr=True).print(Text.assemble((i18n._("error:"), "bold red"), " ", message), soft_wrap=True,
                               highlight=False)


def _translated(command):
    """The click command tree with its help texts and panel names in the chosen language. They are English
    where they are written (settings, docstrings, sub-apps), made when the modules are imported, before
    main() knows the language; typer builds this tree from them on every run."""
    if i18n.language() == "en":
        return command
    command.context_class = _localised_context(command.context_class)
    help_option = command.get_help_option(command.context_class(command))  # made once, kept by the command
    if help_option is not None:
        help_option.help = i18n._("Show this message and exit.")  # typer's click has no catalog of its own
    for item in [command, *getattr(command, "params", [])]:
        for attribute in ("help", "short_help", "rich_help_panel"):
            text = getattr(item, attribute, None)
            if text:
                setattr(item, attribute, _translated_help(text))
    for sub in getattr(command, "commands", {}).values():
        _translated(sub)
    return command


@functools.lru_cache(maxsize=None)
def _localised_context(context_class):
    """The click context class whose help formatter starts the usage line with "Usage:" in the chosen language
    (typer's click writes it in English)."""
    if getattr(context_class, "localised", False):
        return context_class

    class Formatter(context_class.formatter_class):
        def write_usage(self, prog: str, args: str = "", prefix: Optional[str] = None) -> None:
            super().write_usage(prog, args, i18n._("Usage:") + " " if prefix is None else prefix)

    return type(context_class.__name__, (context_class,), {"formatter_class": Formatter, "localised": True})


def _translated_help(text: str) -> str:
    """A help text in the chosen language; settings without a default end in " [required]" (commands/_settings.py)."""
    required = " [required]"
    if text.endswith(required):
        return i18n._(text[: -len(required)]) + " " + i18n._("[required]")
    return i18n._(text)
