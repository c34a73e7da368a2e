"""Graph-augmented training rows: each task's reference solution with the linearised graph of it.

The tasks come from codeforge.tasks (`load_tasks`, the one reader of datasets); each is graphed in its own
language (`Task.language`). A graph row:

    {"sample": "graph", "task_id", "dataset", "language", "prompt", "entry_point", "solution",
     "graph_kind", "graph", "text"}

`graph` is the text form of codeforge.graphs.text, one `## name` block per function. `text` is ready for SFT:

    {prompt}
    ### {KIND} of the solution (one line per statement; {what the codes mean})
    {graph}
    ### Solution
    {solution}

What is graphed: where the prompt opens the function and the reference continues it (HumanEval, HumanEval+,
HumanEval-X: `Task.reference` is prompt + canonical solution, after any includes HumanEval-X C++ adds), the
solution is what follows the prompt in the reference, and prompt + solution is graphed, so the graph's line
numbers are those of the prompt and solution as the text shows them. Otherwise (MBPP, whose prompt is a
docstring; a jsonl task whose `reference` is the whole program) the reference is the solution and is graphed
alone.

QA rows (`qa=True`) follow each graph row: `{"sample": "qa", "task_id", "dataset", "language", "function",
"question", "answer", "text"}`, questions with answers read off the graph (see `text.question_answers`):
which definitions reach a line (dfg, pdg), which conditions decide whether a line runs (cdg, pdg), which lines
can run next after a line (cfg). An AST has no such questions: config.BuildConfig refuses qa for it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, TextIO, Tuple

from ..i18n import message_of, said
from .builder import build
from .text import linearise, question_answers
from .vocabulary import GraphKind

LEGEND = {GraphKind.cfg: "cf: control flow successors", GraphKind.cdg: "cd: control dependence",
          GraphKind.dfg: "dd: data dependence, var@definition", GraphKind.ast: "syntax tree",
          GraphKind.pdg: "cd: control dependence, dd: data dependence, var@definition"}


@dataclass(frozen=True)
class Source:
    """What of a task is graphed and shown."""

    prompt: str
    solution: str
    code: str  # what is graphed: prompt + solution where the prompt opens the function, else the solution


def task_source(task) -> Source:
    """The prompt, solution and graphed code of a codeforge.tasks Task (see the module docstring)."""
    reference = task.reference
    if not reference.strip():
        raise ValueError(said("the task has no reference solution to graph (a jsonl task needs `reference` or "
                              "`canonical_solution`)"))
    at = reference.find(task.prompt) if task.prompt_opens_function and task.prompt.strip() else -1
    if at < 0:
        return Source(task.prompt, reference, reference)
    solution = reference[at + len(task.prompt):]
    return Source(task.prompt, solution, task.prompt + solution)


def sft_text(prompt: str, graph: str, solution: str, kind: GraphKind) -> str:
    head = f"### {kind.value.upper()} of the solution (one line per statement; {LEGEND[kind]})"
    return f"{prompt.rstrip()}\n{head}\n{graph}\n### Solution\n{solution.rstrip()}\n"


def graph_rows(task, kind: GraphKind, qa: bool = False) -> List[Dict]:
    """The rows for one task; raises (ParseError, ValueError, ...) when its solution cannot be graphed."""
    kind = GraphKind(kind)
    source = task_source(task)
    functions = build(source.code, task.language, kind)
    graph = "\n\n".join(f"## {f.name}\n{linearise(f.cfg, f.graph, kind)}" for f in functions
                        if f.name != "<module>" or len(functions) == 1 or kind is GraphKind.ast)
    common = {"task_id": task.task_id, "dataset": task.dataset, "language": task.language.value}
    rows = [{"sample": "graph", **common, "prompt": source.prompt, "entry_point": task.entry_point,
             "solution": source.solution, "graph_kind": kind.value, "graph": graph,
             "text": sft_text(source.prompt, graph, source.solution, kind)}]
    if qa:
        for f in functions:
            for question, answer in question_answers(f.cfg, kind):
                text = f"{source.code.rstrip()}\n### Question\n{question}\n### Answer\n{answer}\n"
                rows.append({"sample": "qa", **common, "function": f.name, "question": question,
                             "answer": answer, "text": text})
    return rows


def build_rows(tasks: Iterable, kind: GraphKind, qa: bool = False
               ) -> Iterator[Tuple[object, Optional[List[Dict]], Optional[str]]]:
    """Yield (task, rows, None) or (task, None, reason): one task that cannot be graphed never stops the
    build; the caller reports it."""
    kind = GraphKind(kind)
    for task in tasks:
        try:
            yield task, graph_rows(task, kind, qa=qa), None
        except Exception as exc:   # whatever went wrong with this task is its reason to be skipped
            yield task, None, message_of(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"


@contextlib.contextmanager
def atomic_output(path: Path) -> Iterator[TextIO]:
    """A text file that becomes `path` only when the block ends without an exception.

    It is written beside `path` (a hidden `.NAME.*.partial`, on the same file system, so the final rename is
    atomic), flushed to disk, then renamed over `path`. When the block raises (an error, Ctrl-C) the partial
    file is removed and `path` keeps its old content, or stays absent. A process killed outright (SIGKILL)
    may leave the partial file behind, never a half-written `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(partial, _mode_for(path))
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(partial)
        raise


def _mode_for(path: Path) -> int:
    """The permissions `path` has, or those a new file gets (mkstemp's own are owner-only)."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
