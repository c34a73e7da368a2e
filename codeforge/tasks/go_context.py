"""The prompt of a Go unit-test task: a function under test with everything it depends on in its package.

    package = functions_under_test("path/to/pkg")          # the package's units, its functions, skipped files
    context = context_for(package.units, package.functions[0], max_tokens=2048)
    context.text                                           # one Go file: package, imports, types, ..., target

The package is read by codeforge.tasks.go_package: which files count, the units, what each references.

context_for walks the references breadth-first from the target, so the nearest dependencies come first (with
every kept interface come the methods of that name of every kept type, which the type needs to be used as it),
and keeps the longest prefix of that order whose file fits the budget; the target is always kept. The file
holds the package clause, the imports the kept units use (each unit's own file's imports; blank imports other
than `embed` for `//go:embed` are dropped, as are the imports of units cut), the types, the consts and vars,
the functions and methods, each group in source order, and the target last.

Known limits: a method is pulled in by its name after a dot, not by its receiver's type; other methods of a
package type come only when called by name, named by a kept interface or in OWN_METHODS, so a type used as an
interface of another package through other methods the kept code never calls loses them; a function
implemented in assembly (no body) does not compile in one file; cgo's `import "C"` keeps no preamble; two
files importing different paths under one name keep the first (`clashes` names the rest).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from ..i18n import _
from .base import DatasetError, Task
from .go_package import (OWN_METHODS, GoImport, GoPackage, SkippedFile, Unit, UnitKind, functions_under_test,
                         package_from_files, package_units, read_package)
from .humaneval_x import go_file

__all__ = ["OWN_METHODS", "Context", "GoImport", "GoPackage", "OneFilePackage", "SkippedFile", "Unit", "UnitKind",
           "context_for", "functions_under_test", "humaneval_x_package", "package_from_files", "package_units",
           "read_package", "whitespace_tokens"]


@dataclass(frozen=True)
class Context:
    target: Unit
    text: str                       # one Go file
    tokens: int                     # count_tokens(text)
    kept: Tuple[Unit, ...]          # the target, then its dependencies nearest first
    cut: Tuple[Unit, ...]           # dependencies left out for the budget, nearest first
    imports: Tuple[GoImport, ...]
    clashes: Tuple[GoImport, ...] = ()  # imports left out: another kept import has their name

    @property
    def complete(self) -> bool:
        return not self.cut


def whitespace_tokens(text: str) -> int:
    return len(text.split())


def context_for(units: Sequence[Unit], target: Union[Unit, str], max_tokens: Optional[int] = None,
                count_tokens: Callable[[str], int] = whitespace_tokens) -> Context:
    """The target and its dependencies as one Go file, cut to `max_tokens` (None: no cut) as the module
    docstring says; `count_tokens` measures a text (a tokenizer's length, or whitespace-separated words)."""
    by_key = {unit.key: unit for unit in units}
    key = target.key if isinstance(target, Unit) else target
    if key not in by_key:
        raise DatasetError(_("no declaration {key} in the package: name a function, or Type.Method for a "
                             "method").format(key=key))
    order = _nearest_first(by_key, by_key[key])

    def fits(n: int) -> bool:
        return max_tokens is None or count_tokens(_render(order[:n])[0]) <= max_tokens

    kept = len(order)
    if not fits(kept):   # the longest prefix that fits; the target alone always stays
        low, high = 1, kept - 1
        while low < high:
            middle = (low + high + 1) // 2
            low, high = (middle, high) if fits(middle) else (low, middle - 1)
        kept = low
    text, imports, clashes = _render(order[:kept])
    return Context(target=order[0], text=text, tokens=count_tokens(text), kept=tuple(order[:kept]),
                   cut=tuple(order[kept:]), imports=imports, clashes=clashes)


def _nearest_first(by_key: Mapping[str, Unit], target: Unit) -> List[Unit]:
    """Breadth-first from the target. A kept interface's methods are wanted of every kept type: a type used as
    the interface must have them (the file does not compile otherwise), whether or not the code calls them."""
    methods: Dict[str, List[Unit]] = {}
    for unit in by_key.values():
        if unit.kind is UnitKind.method:
            methods.setdefault(unit.receiver, []).append(unit)
    order, seen, queue = [target], {target.key}, deque([target])
    wanted: Dict[str, None] = {}
    types: List[str] = []
    while queue:
        unit = queue.popleft()
        follow = list(unit.references)
        if unit.kind is UnitKind.type:
            new = [name for name in unit.requires if name not in wanted]
            wanted.update(dict.fromkeys(new))
            types += unit.names
            follow += [m.key for name in unit.names for m in methods.get(name, []) if _method(m) in wanted]
            follow += [m.key for name in types for m in methods.get(name, []) if _method(m) in new]
        for key in follow:
            if key in by_key and key not in seen:
                seen.add(key)
                order.append(by_key[key])
                queue.append(by_key[key])
    return order


def _method(unit: Unit) -> str:
    return unit.key.split(".", 1)[1]


_SECTION = {UnitKind.type: 0, UnitKind.const: 1, UnitKind.var: 1, UnitKind.func: 2, UnitKind.method: 2}


def _render(units: Sequence[Unit]) -> Tuple[str, Tuple[GoImport, ...], Tuple[GoImport, ...]]:
    target, rest = units[0], sorted(units[1:], key=lambda u: (_SECTION[u.kind], u.file, u.line))
    chosen: Dict[str, GoImport] = {}
    clashes: Dict[GoImport, None] = {}
    for unit in units:   # nearest first: a clash keeps the nearer unit's import
        for spec in unit.imports:
            name = spec.name if spec.name not in (".", "_") else f"{spec.name} {spec.path}"
            if name not in chosen:
                chosen[name] = spec
            elif chosen[name].path != spec.path:
                clashes.setdefault(spec)
    imports = tuple(sorted(chosen.values(), key=lambda i: ("." in i.path.split("/")[0], i.path)))
    parts = [f"package {target.package}\n"]
    if len(imports) == 1:
        parts.append(f"import {imports[0].spec}\n")
    elif imports:
        standard = [f"\t{i.spec}\n" for i in imports if "." not in i.path.split("/")[0]]
        others = [f"\t{i.spec}\n" for i in imports if "." in i.path.split("/")[0]]
        parts.append("import (\n" + "".join(standard) + ("\n" if standard and others else "") +
                     "".join(others) + ")\n")
    parts += [unit.source.rstrip() + "\n" for unit in [*rest, target]]
    return "\n".join(parts), imports, tuple(clashes)


# -- HumanEval-X ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OneFilePackage:
    files: Dict[str, str]   # {"main.go": the code}
    package: GoPackage
    target: Unit


def humaneval_x_package(task: Task) -> OneFilePackage:
    """A HumanEval-X Go task's canonical solution (prompt + canonical_solution, as humaneval_x builds the
    reference) as a one-file package main, with its entry point as the function under test."""
    files = {"main.go": go_file(task.reference)}
    package = package_from_files(files)
    target = next((unit for unit in package.units if unit.key == task.entry_point), None)
    if target is None:
        raise DatasetError(_("{task_id}: no function {function} in its solution").format(task_id=task.task_id,
                                                                             function=task.entry_point))
    return OneFilePackage(files, package, target)
