"""`codeforge graphs ...`: show a file's AST / CFG / CDG / DFG / PDG, or build graph-augmented training data."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import typer

from ..graphs.config import BuildConfig, ShowConfig
from ..graphs.vocabulary import LEGEND, GraphKind, RowFormat, ShowFormat
from ..i18n import _, english
from ._output import console as _console
from ._output import fail as _fail
from ._settings import settings_command

app = typer.Typer(help="Program graphs (AST, CFG, CDG, DFG, PDG) for Python, Go, C and C++.", no_args_is_help=True)

SHOW_HELP = f"""Print the graphs of FILE, one per function (a Python module's own graph first).

Example: codeforge graphs show solution.py --kind pdg --function has_close_elements

{LEGEND}
"""


@settings_command(app, "show", ShowConfig, help=SHOW_HELP)
def show(config: ShowConfig) -> None:
    from ..graphs.builder import build
    from ..graphs.export import to_dot, to_json, to_text
    from ..graphs.parse import ParseError, language_for_path

    file = config.file
    if not file.is_file():
        _fail((_("{path} is a directory: name a source file") if file.is_dir()
               else _("{path} is not there: name a source file")).format(path=file))
    try:
        language = config.language or language_for_path(file)
    except ValueError as exc:
        _fail(_("{error}: rename it, or pass --language python|go|c|cpp").format(error=exc))
    try:
        functions = build(file.read_bytes(), language, config.kind, function=config.function,
                          allow_errors=config.allow_errors, ast_depth=config.depth,
                          ast_types=list(config.types) if config.types else None)
    except ParseError as exc:
        _fail(_("{path}: {error} (fix the source, or pass --allow-errors to build from what parses)")
              .format(path=file, error=exc))
    except KeyError as exc:
        _fail(exc.args[0])
    if config.format is ShowFormat.json:
        typer.echo(to_json(functions, language, config.kind), nl=False)
    elif config.format is ShowFormat.dot:
        typer.echo(to_dot(functions, config.kind), nl=False)
    elif config.format is ShowFormat.text:
        typer.echo(to_text(functions, config.kind), nl=False)
    else:
        _show_tables(functions, config.kind)


def _show_tables(functions, kind: GraphKind) -> None:
    """One table per function. Source text, names and labels go in as rich Text, never as markup."""
    from rich.table import Table
    from rich.text import Text

    from ..graphs.rows import edge_rows, node_rows
    from ..graphs.text import HIDDEN, linearise, node_labels
    from ..graphs.vocabulary import EDGE_CODES

    console = _console()
    for function in functions:
        if kind is GraphKind.ast:
            console.rule(Text.assemble((function.name, "bold"), " ast"))
            console.print(Text(linearise(function.cfg, function.graph, kind)), highlight=False)
            continue
        labels = node_labels(function.cfg)
        out, into = {}, {}
        for u, v, edge, var in edge_rows(function.graph):
            if edge in HIDDEN:
                continue
            if var is not None:
                into.setdefault(v, []).append(Text(f"{var}@{labels[u]}", style="blue"))
            elif kind is GraphKind.cfg:
                out.setdefault(u, []).append(Text(labels[v] + EDGE_CODES[edge]))
            elif u != function.cfg.entry:   # as in the text form, dependence on ENTRY alone is not shown
                into.setdefault(v, []).append(Text(labels[u] + EDGE_CODES[edge], style="magenta"))
        table = Table(title=Text(f"{function.name} ({kind.value})"), title_justify="left", show_lines=False)
        edges_header = _("successors") if kind is GraphKind.cfg else _("depends on")
        for header in (_("id"), _("kind"), _("statement"), edges_header):
            table.add_column(header, overflow="fold")
        for row in node_rows(function.graph):
            edges = out.get(row["id"]) if kind is GraphKind.cfg else into.get(row["id"])
            node_kind = Text(row["kind"], style="bold red" if row["kind"] == "error" else "")
            table.add_row(Text(labels[row["id"]]), node_kind, Text(row["text"]),
                          Text(", ").join(edges or []))
        console.print(table)


@settings_command(app, "build", BuildConfig)
def build_command(config: BuildConfig) -> None:
    """Turn a dataset's reference solutions into graph-augmented training rows (JSONL), each task graphed in its
    own language.

    A row keeps task_id, dataset, language, prompt, entry_point and the solution, and adds graph_kind, graph
    and text (prompt, graph, solution, ready for SFT); --format qa adds question / answer rows. A task that
    cannot be graphed is skipped and named with the reason. The output is written beside --out and renamed
    over it at the end: an interrupted build leaves the old file as it was.

    Exit code: 0 written, 2 nothing written (bad settings, a dataset that cannot be read, no task graphed).

    Example: codeforge graphs build --dataset humaneval --kind pdg --out train.jsonl
    """
    from rich.progress import Progress
    from rich.text import Text

    from ..graphs.dataset import atomic_output, build_rows
    from ..tasks import DatasetError, load_tasks

    out = config.out
    if out.is_dir():
        _fail(_("--out {path} is a directory: name the JSONL file to write").format(path=out))
    for source in _input_files(config):
        if out.exists() and out.resolve() == source.resolve():
            _fail(_("--out {path} is the dataset being read: name another file").format(path=out))
    try:
        tasks = load_tasks(config.dataset, dataset_path=config.dataset_path, limit=config.limit,
                           from_hub=config.from_hub)
    except DatasetError as exc:
        _fail(str(exc))
    if not tasks:
        _fail(_("{dataset} has no tasks: {path} left as it was").format(dataset=config.dataset, path=out))
    console = _console(stderr=True)
    qa = config.format is RowFormat.qa
    counts = {"graph": 0, "qa": 0}
    skipped = []
    _terminate_as_interrupt()
    try:
        with atomic_output(out) as sink, Progress(console=console, transient=True,
                                                  disable=config.json) as progress:
            bar = progress.add_task(_("{kind} graphs").format(kind=config.kind.value), total=len(tasks))
            for task, rows, reason in build_rows(tasks, config.kind, qa=qa):
                progress.advance(bar)
                if rows is None:
                    skipped.append({"task_id": task.task_id, "reason": english(reason)})  # for --json
                    if not config.json:
                        console.print(Text.assemble((_("skipped"), "yellow"), f" {task.task_id}: {reason}"),
                                      highlight=False)
                    continue
                for row in rows:
                    sink.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
                    counts[row["sample"]] += 1
            if counts["graph"] == 0:
                raise _NothingBuilt()
    except _NothingBuilt:
        _fail(_("none of the {count} tasks could be graphed (reasons above): {path} left as it was")
              .format(count=len(tasks), path=out))
    except OSError as exc:
        _fail(_("cannot write {path}: {error}").format(path=out, error=exc.strerror or exc))
    except KeyboardInterrupt:
        _console(stderr=True).print(Text(_("interrupted: {path} left as it was").format(path=out)), highlight=False)
        raise typer.Exit(130)
    written = counts["graph"] + counts["qa"]
    if config.json:
        typer.echo(json.dumps({"out": str(out), "dataset": config.dataset, "kind": config.kind.value,
                               "format": config.format.value, "rows": written, "graph_rows": counts["graph"],
                               "qa_rows": counts["qa"], "tasks": len(tasks), "built": counts["graph"],
                               "skipped": skipped}, ensure_ascii=False))
        return
    what = " " + _("({graph} graph, {qa} qa)").format(graph=counts["graph"], qa=counts["qa"]) if qa else ""
    console.print(Text(_("wrote {rows} rows{what} to {path} ({tasks} tasks, {skipped} skipped)").format(
        rows=written, what=what, path=out, tasks=counts["graph"], skipped=len(skipped))), highlight=False)


class _NothingBuilt(Exception):
    """Every task was skipped: the output is not replaced by an empty file."""


def _input_files(config: BuildConfig) -> list:
    """The files the build reads that --out must not name."""
    paths = [config.dataset_path] if config.dataset_path is not None and config.dataset_path.is_file() else []
    if config.dataset.startswith("jsonl:") and config.dataset[len("jsonl:"):]:
        paths.append(Path(config.dataset[len("jsonl:"):]))
    return [path for path in paths if path.exists()]


def _terminate_as_interrupt() -> None:
    """SIGTERM ends a build like Ctrl-C does: the partial output is removed and --out is left as it was."""

    def handler(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)
