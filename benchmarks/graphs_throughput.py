"""Graph building throughput on the standard library: codeforge CFG + CDG + DFG (the PDG) beside python-graphs
1.2.3 building only its CFG, on the same files in the same run.

    python benchmarks/graphs_throughput.py [--files 300] [--seed 0] [--repeat 3]

python-graphs is only needed here (`pip install python-graphs==1.2.3`); without it its column is skipped.
A file either tool cannot handle is left out of both columns' totals for that tool and counted as failed.
"""

from __future__ import annotations

import argparse
import random
import sysconfig
import time
from pathlib import Path


def _codeforge(source: str) -> None:
    from codeforge.graphs.builder import control_flow_graphs
    from codeforge.graphs.cdg import control_dependences
    from codeforge.graphs.dfg import data_dependences
    from codeforge.graphs.parse import parse

    for cfg in control_flow_graphs(parse(source, "python")):
        control_dependences(cfg)
        data_dependences(cfg)


def _python_graphs(source: str) -> None:
    from python_graphs import control_flow

    control_flow.get_control_flow_graph(source)


def _measure(tools: dict, files: list, repeat: int) -> list:
    """Time every tool on every file, interleaved file by file, keeping each file's best of `repeat` runs,
    so that a burst of load on a shared machine cannot favour one tool."""
    for build in tools.values():
        build("def warm_up(x):\n    return x\n")   # imports and grammar loading are not throughput
    stats = {name: {"tool": name, "files": 0, "failed": 0, "seconds": 0.0, "lines": 0} for name in tools}
    for _path, source in files:
        for name, build in tools.items():
            best = None
            for _ in range(repeat):
                start = time.perf_counter()
                try:
                    build(source)
                except Exception:   # count, do not stop: the table says how many files a tool could not handle
                    best = None
                    break
                took = time.perf_counter() - start
                best = took if best is None else min(best, took)
            row = stats[name]
            if best is None:
                row["failed"] += 1
                continue
            row["seconds"] += best
            row["files"] += 1
            row["lines"] += source.count("\n") + 1
    for row in stats.values():
        elapsed = row["seconds"]
        row["files_s"] = row["files"] / elapsed if elapsed else 0.0
        row["lines_s"] = row["lines"] / elapsed if elapsed else 0.0
    return list(stats.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=300, help="how many stdlib files (0: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3, help="runs per file and tool; the best counts")
    args = parser.parse_args()
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    paths = sorted(p for p in stdlib.rglob("*.py") if "site-packages" not in p.parts and "test" not in p.parts
                   and "tests" not in p.parts)
    if args.files:
        paths = sorted(random.Random(args.seed).sample(paths, min(args.files, len(paths))))
    files = []
    for path in paths:
        try:
            files.append((path, path.read_text(encoding="utf-8")))
        except (UnicodeDecodeError, OSError):
            continue
    tools = {"codeforge PDG (CFG+CDG+DFG)": _codeforge}
    try:
        import python_graphs  # noqa: F401

        tools["python-graphs 1.2.3 CFG only"] = _python_graphs
    except ImportError:
        print("python-graphs is not installed: pip install python-graphs==1.2.3 to compare")
    rows = _measure(tools, files, args.repeat)

    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Graph throughput on {len(files)} stdlib files ({stdlib}), best of {args.repeat} per file")
    for column in ("tool", "files", "failed", "seconds", "files/s", "lines/s"):
        table.add_column(column, justify="left" if column == "tool" else "right")
    for r in rows:
        table.add_row(r["tool"], str(r["files"]), str(r["failed"]), f"{r['seconds']:.1f}", f"{r['files_s']:.1f}",
                      f"{r['lines_s']:.0f}")
    Console().print(table)
    if len(rows) == 2 and rows[1]["files_s"]:
        print(f"speed-up (files/s): {rows[0]['files_s'] / rows[1]['files_s']:.2f}x")


if __name__ == "__main__":
    main()
