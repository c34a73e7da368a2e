"""`codeforge graphs ...`: show a file's AST / CFG / CDG / DFG / PDG, or build graph-augmented training data."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from ._output import fail as _fail

app = typer.Typer(help="Program graphs (AST, CFG, CDG, DFG, PDG) for Python, Go and C.", no_args_is_help=True)


class Kind(str, Enum):
    ast = "ast"
    cfg = "cfg"
    cdg = "cdg"
    dfg = "dfg"
    pdg = "pdg"


class ShowFormat(str, Enum):
    table = "table"
    text = "text"
    json = "json"
    dot = "dot"


class BuildFormat(str, Enum):
    sft = "sft"
    qa = "qa"


class Lang(str, Enum):
    python = "python"
    go = "go"
    c = "c"


@app.command()
def show(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A .py, .go or .c file."),
    kind: Kind = typer.Option(Kind.pdg, "--kind", "-k", help="Which graph."),
    fmt: ShowFormat = typer.Option(ShowFormat.table, "--format", "-f",
                                   help="table (readable, for the terminal), text (linearised), json or dot."),
    function: Optional[str] = typer.Option(None, "--function", help="Only this function (qualified: C.m, f.g)."),
    language: Optional[Lang] = typer.Option(None, "--language", help="Default: from the file suffix."),
    allow_errors: bool = typer.Option(False, "--allow-errors", help="Build from what parses; mark the rest."),
    depth: Optional[int] = typer.Option(None, "--depth", min=0, help="AST only: cut the tree below this depth."),
    types: Optional[str] = typer.Option(None, "--types",
                                        help="AST only: keep these node types (comma-separated tree-sitter types)."),
) -> None:
    """Print the graphs of FILE, one per function (module level first).

    Example: codeforge graphs show solution.py --kind pdg --function has_close_elements
    """
    from ..graphs.builder import build
    from ..graphs.export import to_dot, to_json, to_text
    from ..graphs.parse import ParseError, language_for_path

    try:
        lang = language.value if language else language_for_path(file).value
        functions = build(file.read_bytes(), lang, kind.value, function=function, allow_errors=allow_errors,
                          ast_depth=depth, ast_types=[t.strip() for t in types.split(",")] if types else None)
    except (ParseError, ValueError) as exc:
        _fail(str(exc))
    except KeyError as exc:
        _fail(exc.args[0])
    if fmt is ShowFormat.json:
        typer.echo(to_json(functions, lang, kind.value), nl=False)
    elif fmt is ShowFormat.dot:
        typer.echo(to_dot(functions, kind.value), nl=False)
    elif fmt is ShowFormat.text:
        typer.echo(to_text(functions, kind.value), nl=False)
    else:
        _show_tables(functions, kind.value)


def _show_tables(functions, kind: str) -> None:
    from rich.console import Console
    from rich.table import Table

    from ..graphs.rows import edge_rows, node_rows
    from ..graphs.text import CODES, node_labels

    console = Console()
    for function in functions:
        if kind == "ast":
            from ..graphs.text import linearise

            console.rule(f"[bold]{function.name}[/] ast")
            console.print(linearise(function.cfg, function.graph, kind), highlight=False)
            continue
        labels = node_labels(function.cfg)
        out, into = {}, {}
        for u, v, edge, var in edge_rows(function.graph):
            code = CODES.get(edge, edge.value)
            if var is not None:
                into.setdefault(v, []).append(f"[blue]{var}@{labels[u]}[/]")
            elif kind == "cfg":
                out.setdefault(u, []).append(f"{labels[v]}{code}" if code else labels[v])
            elif u != function.cfg.entry:   # as in the text form, dependence on ENTRY alone is not shown
                into.setdefault(v, []).append(f"[magenta]{labels[u]}{code}[/]")
        table = Table(title=f"{function.name} ({kind})", title_justify="left", show_lines=False)
        for header in ("id", "kind", "statement", "successors" if kind == "cfg" else "depends on"):
            table.add_column(header, overflow="fold")
        for row in node_rows(function.graph):
            edges = out.get(row["id"]) if kind == "cfg" else into.get(row["id"])
            table.add_row(labels[row["id"]], row["kind"], row["text"], ", ".join(edges or []))
        console.print(table)


@app.command("build")
def build_command(
    dataset: str = typer.Option(..., "--dataset", "-d", help="humaneval, mbpp or jsonl:PATH."),
    out: Path = typer.Option(..., "--out", "-o", help="Output JSONL, one row per sample."),
    kind: Kind = typer.Option(Kind.pdg, "--kind", "-k", help="Which graph to linearise."),
    fmt: BuildFormat = typer.Option(BuildFormat.sft, "--format", help="sft, or qa: also question/answer rows."),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", envvar="CODEFORGE_DATA_DIR",
                                            help="Folder with mbpp.jsonl (for --dataset mbpp)."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Only the first N samples."),
) -> None:
    """Turn a dataset into graph-augmented training text: the original fields plus `graph` and `text`.

    Example: codeforge graphs build --dataset humaneval --kind pdg --out train.jsonl
    """
    from rich.console import Console
    from rich.progress import Progress

    from ..graphs.dataset import build_dataset, load_samples

    try:
        samples = load_samples(dataset, data_dir)
    except (FileNotFoundError, ValueError) as exc:
        _fail(str(exc))
    samples = samples[:limit] if limit else samples
    console = Console(stderr=True)
    written = failed = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as sink, Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"{kind.value} graphs", total=len(samples))
        for index, rows, reason in build_dataset(samples, kind.value, qa=fmt is BuildFormat.qa):
            progress.advance(task)
            if rows is None:
                failed += 1
                name = samples[index].row.get("task_id", index)
                console.print(f"[yellow]skipped[/] {name}: {reason}", highlight=False)
                continue
            for row in rows:
                sink.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
                written += 1
    console.print(f"wrote {written} rows to {out} ({len(samples) - failed} samples, {failed} skipped)",
                  highlight=False)
