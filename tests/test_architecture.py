"""The shape of the package (docs/design.md, Layers): imports go one way, there are no cycles, and the parts a
sandbox or graphs user needs work without the model stack (the [hf] and [train] extras)."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "codeforge"
HEAVY = ("torch", "transformers", "peft", "trl", "accelerate", "bitsandbytes", "datasets", "vllm")

# Each area and the areas it may import (besides itself). Lower layers never import higher ones.
LAYERS = {
    "i18n": set(),  # the language of messages: the bottom, beside config
    "config": {"i18n"},
    "vocabulary": set(),
    "syntax": {"vocabulary"},  # the tree-sitter parsers, shared by graphs and tasks (Go context)
    "store": {"config", "i18n", "vocabulary"},
    "sandbox": {"config", "i18n", "vocabulary"},
    "tasks": {"config", "i18n", "vocabulary", "syntax", "sandbox"},  # a task's jobs are sandbox jobs
    "models": {"config", "i18n", "vocabulary"},
    "metrics": {"i18n"},  # a part: similarity metrics through their packages, over plain strings
    "graphs": {"config", "i18n", "vocabulary", "syntax", "tasks"},
    "analyzers": {"config", "i18n", "vocabulary", "sandbox", "tasks"},  # a part: the tools run in the sandbox
    # a part: programs run in the sandbox against their tasks' tests; code comes out of answers as bench takes it
    "rewards": {"config", "i18n", "vocabulary", "sandbox", "tasks", "models"},
    # graphs: --feedback-graph; rewards: the go-coverage reward is the headline of a go-unittest run; metrics: --metrics
    "bench": {"config", "i18n", "vocabulary", "store", "sandbox", "tasks", "models", "graphs", "rewards", "metrics"},
    # analyse -> prompt -> regenerate -> verify; a dataset is generated first by bench, as bench does it
    "repair": {"config", "i18n", "vocabulary", "store", "sandbox", "tasks", "models", "analyzers", "bench"},
    # models: only the adapter manifest; repair: its per-epoch scores
    "report": {"config", "i18n", "vocabulary", "store", "bench", "models", "repair"},
    # training data is made from tasks, graphs, stored runs and bench's own feedback words; GRPO scores with rewards
    "finetune": {"config", "i18n", "vocabulary", "store", "sandbox", "tasks", "models", "graphs", "bench", "rewards"},
    # the explorer sits with the commands: it shows what the store holds as bench, repair and report score it
    "serve": {"config", "i18n", "vocabulary", "store", "bench", "repair", "report", "models", "metrics", "tasks",
              "analyzers"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every codeforge module `path` imports, at the top or inside a function."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("codeforge"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("codeforge"):
                continue
            for alias in node.names:  # `from . import x` may name a module
                candidate = f"{target}.{alias.name}"
                found.add(candidate if _is_module(candidate) else target)
    return {m for m in found if _is_module(m)}


def _is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def import_graph() -> nx.DiGraph:
    graph = nx.DiGraph()
    for path in PACKAGE.rglob("*.py"):
        graph.add_node(module_name(path))
        for target in imports_of(path):
            if target != module_name(path):
                graph.add_edge(module_name(path), target)
    return graph


def area(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "codeforge"


def test_there_is_no_import_cycle():
    cycles = [sorted(c) for c in nx.strongly_connected_components(import_graph()) if len(c) > 1]
    assert cycles == [], f"import cycles: {cycles}"


def test_imports_go_down_the_layers_only():
    wrong = []
    for source, target in import_graph().edges:
        a, b = area(source), area(target)
        if a in LAYERS and b != a and b not in LAYERS[a]:
            wrong.append(f"{source} -> {target}")
    assert wrong == []


def test_the_parts_a_sandbox_or_graphs_user_needs_never_import_the_model_stack():
    wrong = []
    for part in ("sandbox", "graphs", "tasks", "store", "analyzers", "config.py", "vocabulary.py", "i18n.py",
                 "syntax.py"):
        for path in (PACKAGE / part).rglob("*.py") if (PACKAGE / part).is_dir() else [PACKAGE / part]:
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                    [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
                # `datasets` is allowed: tasks imports it inside the function that reads the hub (--from-hub).
                wrong += [f"{path.relative_to(PACKAGE)}: {n}" for n in names
                          if n.split(".")[0] in HEAVY and n.split(".")[0] != "datasets"]
    assert wrong == []


def test_report_reads_the_store_and_the_scores_never_the_orchestrator():
    graph = import_graph()
    reached = {t for m in graph if area(m) == "report" for t in nx.descendants(graph, m)}
    assert not reached & {"codeforge.bench.runner", "codeforge.bench.session", "codeforge.bench.runs"}


def test_the_cli_declares_no_enum_of_its_own():
    declared = []
    for path in (PACKAGE / "commands").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any("Enum" in ast.unparse(base) for base in node.bases):
                declared.append(f"{path.name}: {node.name}")
    assert declared == []


def test_each_shared_vocabulary_is_declared_once():
    names = ("Language", "Action", "Status", "SampleStatus", "Purpose", "FinishReason", "Isolation", "Backend")
    where: dict[str, list[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.name in names:
                where.setdefault(node.name, []).append(str(path.relative_to(PACKAGE)))
    assert {name: paths for name, paths in where.items() if len(paths) > 1} == {}


def test_the_base_install_needs_no_model_stack():
    import tomllib

    project = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())["project"]
    base = " ".join(project["dependencies"]).lower()
    assert not [name for name in HEAVY if name in base]
    extras = project["optional-dependencies"]
    assert "torch" in " ".join(extras["hf"]) and "trl" in " ".join(extras["train"])


BLOCKER = textwrap.dedent("""
    import importlib.abc, sys
    HEAVY = {heavy!r}
    class Blocked(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in HEAVY:
                raise ImportError(f"No module named {{name!r}}", name=name)
    sys.meta_path.insert(0, Blocked())
    sys.argv = ["codeforge", *{args!r}]
    from codeforge.cli import main
    main()
""")


def codeforge_without_the_model_stack(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """The CLI in a process where importing torch, transformers, trl, ... fails, as without the extras."""
    return subprocess.run([sys.executable, "-c", BLOCKER.format(heavy=HEAVY, args=list(args))], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_graphs_show_works_without_the_model_stack(tmp_path):
    (tmp_path / "f.py").write_text("def f(x):\n    if x:\n        return 1\n    return 2\n")
    result = codeforge_without_the_model_stack("graphs", "show", "f.py", "--kind", "cfg", "--format", "json",
                                               cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert '"kind": "cfg"' in result.stdout


@pytest.mark.docker
def test_sandbox_run_works_without_the_model_stack(tmp_path, docker_client):
    (tmp_path / "add.py").write_text("print(2 + 3)\n")
    result = codeforge_without_the_model_stack("sandbox", "run", "add.py", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert '"status":"passed"' in result.stdout.replace(" ", "") and "5" in result.stdout


def test_a_model_backend_without_its_extra_names_the_pip_install(tmp_path):
    result = codeforge_without_the_model_stack("bench", "humaneval", "--model", "some/model", "--limit", "1",
                                               "--db", str(tmp_path / "c.db"), cwd=tmp_path)
    assert result.returncode == 2
    assert "pip install 'codeforge[hf]'" in result.stderr and "Traceback" not in result.stderr


# The module each declared distribution provides (pyproject.toml: dependencies and extras).
DECLARED = {"typer", "rich", "docker", "pydantic", "networkx", "matplotlib", "numpy", "yaml", "dotenv", "tomli",
            "tree_sitter", "tree_sitter_python", "tree_sitter_go", "tree_sitter_c", "tree_sitter_cpp",
            "torch", "transformers", "peft", "accelerate", "bitsandbytes", "trl", "datasets", "vllm",
            "huggingface_hub",  # comes with transformers and datasets
            "requests",  # comes with docker, whose errors it raises
            "sacrebleu", "bert_score",  # the metrics extra
            "codebleu",  # installed beside the metrics extra with --no-deps (pyproject.toml says why)
            "fastapi", "jinja2", "uvicorn",  # the serve extra
            "starlette",  # comes with fastapi, which is built on it
            "markupsafe",  # comes with jinja2, whose escaping it is
            "pygments"}  # comes with rich, which highlights with it


def test_every_package_the_code_imports_is_declared():
    """A package that is only there because another one pulled it in (click came with the dev tools) breaks
    a plain `pip install codeforge`."""
    stray = set()
    for path in PACKAGE.rglob("*.py"):
        if "runner" in path.relative_to(PACKAGE).parts:
            continue  # the in-container runner imports only the standard library and its own files
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            stray |= {n.split(".")[0] for n in names} - DECLARED - set(sys.stdlib_module_names) - {"codeforge"}
    assert stray == set()
