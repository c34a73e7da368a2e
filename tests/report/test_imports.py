"""Import rules of the report and of how bench shows stored runs: they read the store and the scoring module,
never the orchestrator (bench.runner, bench.session) nor models, sandbox or tasks; and no import cycles.

Every import statement counts, those inside functions too: a cycle through a late import is still a cycle."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import codeforge

PACKAGE = Path(codeforge.__file__).parent
ORCHESTRATOR = ("codeforge.bench.runner", "codeforge.bench.session", "codeforge.models", "codeforge.sandbox",
                "codeforge.tasks")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """codeforge module -> the codeforge modules its import statements name (and their parent packages)."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            for target in targets:
                while target:
                    if target in modules and target != name:
                        found.add(target)
                    target = target.rpartition(".")[0]
        graph[name] = found
    return graph


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for nxt in graph[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_the_report_reads_only_the_store_and_the_scoring_module():
    graph = import_graph()
    for start in [m for m in graph if m.startswith("codeforge.report")] + ["codeforge.commands.report",
                                                                          "codeforge.bench.scores"]:
        bad = sorted(m for m in reachable(graph, start) if m.startswith(ORCHESTRATOR))
        assert not bad, f"{start} imports {bad}"


def test_no_import_cycle_through_the_report_or_the_scores():
    graph = import_graph()
    for start in [m for m in graph if m.startswith("codeforge.report")] + ["codeforge.bench.scores",
                                                                          "codeforge.commands.bench_view"]:
        assert start not in reachable(graph, start), f"{start} imports itself through a cycle"


def test_listing_and_showing_runs_loads_no_orchestrator():
    code = ("import sys, codeforge.commands.bench_view, codeforge.commands.report, codeforge.report.build, "
            "codeforge.report.terminal, codeforge.bench.failure\n"
            "print('\\n'.join(sorted(m for m in sys.modules if m.startswith('codeforge'))))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert "codeforge.bench.scores" in loaded
    assert not [m for m in loaded if m.startswith(ORCHESTRATOR)], loaded


def test_sample_statuses_are_the_shared_vocabulary():
    from codeforge.bench.scores import sample_status
    from codeforge.commands.bench_view import STATUS_STYLE
    from codeforge.store import Execution, SampleRecord
    from codeforge.vocabulary import SampleStatus

    assert set(STATUS_STYLE) == set(SampleStatus)
    record = SampleRecord(1, "T/0", 0, 0, "{}", "", None, "stop", 1, 1, 0.1, None, None, {})
    assert sample_status(record) is SampleStatus.unchecked
    checked = SampleRecord(1, "T/0", 0, 0, "{}", "", None, "stop", 1, 1, 0.1, None, None,
                           {"tests": Execution("tests", "no_code", False, 0.0, {})})
    assert sample_status(checked) is SampleStatus.no_code
