"""A Go package read as units, the pieces of a Go unit-test prompt (codeforge.tasks.go_context builds it).

A package is read file by file with the Go grammar of codeforge.syntax. Some files are no source of tasks,
each reported with its reason: `_test.go` files; names starting with `_` or `.`; a build constraint, in a
`//go:build` or `// +build` line before the package clause or in the name (`_linux.go`, `_arm64.go`);
generated files (`// Code generated ... DO NOT EDIT.` before the package clause); `main`-only files (package
main holding nothing but func main); files that do not parse; files of another package than most files. The
declarations of generated and build-tagged files go builds on linux/amd64 (codeforge.tasks.go_build) still
serve as context (`SkippedFile.in_context`): the function under test compiles with them.

Each top-level declaration becomes a Unit: a function, a method (its receiver type noted), a type, a const or a
var. Grouped declarations are split per spec (`type (A int; B string)` gives two units); a const group stays
whole where a spec has no value of its own or uses iota, since its specs repeat the one before. A spec that
names several (`var a, b = f()`) stays one unit. A unit's references are the package units it uses, in the
order first met (codeforge.tasks.go_names says how locals are told from package names, and what is
approximate); a method's references include its receiver type, and a type's its methods that make it one of
the standard library's common interfaces (OWN_METHODS). An interface type notes the methods it names
(`requires`).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from ..i18n import _
from ..syntax import parser
from ..vocabulary import Language
from . import go_build
from .base import DatasetError
from .go_names import NameScan

_GENERATED = re.compile(r"^// Code generated .* DO NOT EDIT\.$")
_BUILD_TAG = re.compile(r"^//(?:go:build\s|\s*\+build\s)")


# The methods a type always brings, those of error, fmt.Stringer, sort.Interface, heap.Interface and io's
# Reader, Writer and Closer: code hands a type to the standard library as one of these without calling the
# methods itself, and the file does not compile without them (String decides what fmt prints of it, which a
# test's expected text depends on).
OWN_METHODS = ("Error", "String", "Len", "Less", "Swap", "Push", "Pop", "Read", "Write", "Close")


class UnitKind(str, Enum):
    func = "func"
    method = "method"
    type = "type"
    const = "const"
    var = "var"


@dataclass(frozen=True)
class GoImport:
    name: str   # the name the code uses: the alias, else the package's name guessed from its path; or "." / "_"
    path: str
    alias: str = ""

    @property
    def spec(self) -> str:
        return f'{self.alias} "{self.path}"' if self.alias else f'"{self.path}"'


@dataclass(frozen=True)
class Unit:
    key: str                        # unique in the package: the name, "Type.Method", or name@file:line
    kind: UnitKind
    names: Tuple[str, ...]          # the package-level names it declares (none for a method, init or `_`)
    source: str                     # its text with its doc comment, as a top-level declaration
    file: str
    line: int                       # 1-based, of the declaration itself
    package: str
    references: Tuple[str, ...] = ()    # keys of the package units it uses, first met first
    imports: Tuple[GoImport, ...] = ()  # the imports of its file it uses
    receiver: str = ""              # a method's receiver type
    has_body: bool = False          # a function or method with a body (one without is implemented in assembly)
    has_statements: bool = False    # ... and a statement in it (coverage counts statements: `{}` has none)
    requires: Tuple[str, ...] = ()  # an interface type: the methods it names

    @property
    def name(self) -> str:
        return self.key.split("@", 1)[0]


@dataclass(frozen=True)
class SkippedFile:
    file: str
    reason: str
    in_context: bool = False   # its declarations are part of the package built on linux/amd64 (go_build)


@dataclass(frozen=True)
class GoPackage:
    name: str
    units: Tuple[Unit, ...]
    skipped: Tuple[SkippedFile, ...]

    @property
    def functions(self) -> Tuple[Unit, ...]:
        """The functions and methods with a statement in their body in the files not skipped, each one task;
        init, which nothing may call, and package main's main, which a test does not call, are none (nor is an
        empty body: it has no statement to cover)."""
        skipped = {file.file for file in self.skipped}
        return tuple(unit for unit in self.units if unit.file not in skipped and unit.has_statements and
                     unit.kind in (UnitKind.func, UnitKind.method) and unit.name != "init" and
                     not (self.name == "main" and unit.key == "main"))


# -- reading a package ---------------------------------------------------------------------------------------


def read_package(folder: Union[str, Path]) -> GoPackage:
    """The package of the .go files in `folder` (not its subfolders)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(_("{folder} is not a folder: give the folder of a Go package").format(folder=folder))
    files = {path.name: path.read_bytes() for path in sorted(folder.glob("*.go")) if path.is_file()}
    return package_from_files(files)


def package_units(folder: Union[str, Path]) -> List[Unit]:
    return list(read_package(folder).units)


def functions_under_test(folder: Union[str, Path]) -> GoPackage:
    """The package in `folder`: `functions` are the tasks, `skipped` says why each skipped file was skipped,
    `units` is what context_for needs."""
    return read_package(folder)


def package_from_files(files: Mapping[str, Union[str, bytes]]) -> GoPackage:
    """The package of `files` ({file name: text}), with the skip rules of the module docstring."""
    skipped: List[SkippedFile] = []
    kept: List[Tuple[str, bytes, object, str]] = []   # name, text, tree, package: files that give units
    for name in sorted(files):
        text = files[name]
        data = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text
        tree, reason, in_context = _classify(name, data)
        if reason is not None:
            skipped.append(SkippedFile(name, reason, in_context))
        if tree is not None and (reason is None or in_context):
            kept.append((name, data, tree, _package_name(tree.root_node)))
    package = Counter(p for *_, p in kept).most_common(1)[0][0] if kept else ""
    strays = {name for name, _, _, p in kept if p != package}
    skipped = [s for s in skipped if s.file not in strays]
    skipped += [SkippedFile(name, _("package {name}, not {package} as most files").format(name=p, package=package))
                for name, p in ((entry[0], entry[3]) for entry in kept) if name in strays]
    kept = [entry for entry in kept if entry[0] not in strays]
    units = _units(package, [(name, data, tree) for name, data, tree, _ in kept])
    return GoPackage(package, tuple(units), tuple(sorted(skipped, key=lambda s: s.file)))


def _classify(name: str, data: bytes) -> Tuple[Optional[object], Optional[str], bool]:
    """(tree, why the file is no source of tasks or None, whether its declarations still serve as context)."""
    if name.endswith("_test.go"):
        return None, _("a test file (_test.go)"), False
    if name.startswith(("_", ".")):
        return None, _("go ignores files whose name starts with _ or ."), False
    reasons, holds = [], True
    constraint = go_build.name_constraint(name)
    if constraint is not None:
        reasons.append(_("a build constraint in the file name ({constraint})").format(constraint=constraint))
        holds = go_build.name_holds(constraint)
    tree = parser(Language.go).parse(data)
    root = tree.root_node
    clause = next((child for child in root.named_children if child.type == "package_clause"), None)
    if clause is None:
        return None, _("no package clause"), False
    header = []
    for child in root.named_children[:root.named_children.index(clause)]:
        if child.type == "comment":
            header += [line.strip() for line in child.text.decode("utf-8", "replace").splitlines()]
    if any(_GENERATED.match(line) for line in header):
        reasons.append(_("generated (Code generated ... DO NOT EDIT.)"))
    tags = [line for line in header if _BUILD_TAG.match(line)]
    if tags:
        reasons.append(_("a build constraint ({constraint})").format(constraint=tags[0]))
        holds = holds and go_build.lines_hold(tags)
    if root.has_error:
        return None, _("does not parse (syntax error at line {line})").format(
            line=_first_error(root).start_point[0] + 1), False
    declarations = [child for child in root.named_children
                    if child.type not in ("comment", "package_clause", "import_declaration")]
    if not reasons and _package_name(root) == "main" and len(declarations) == 1 and \
            declarations[0].type == "function_declaration" and _name_of(declarations[0]) == "main":
        return None, _("package main holding only func main"), False
    return tree, "; ".join(reasons) or None, bool(reasons) and holds


def _first_error(node):
    while not (node.type == "ERROR" or node.is_missing):
        inner = next((child for child in node.children if child.has_error), None)
        if inner is None:
            return node
        node = inner
    return node


def _package_name(root) -> str:
    clause = next(child for child in root.named_children if child.type == "package_clause")
    return next(child.text.decode() for child in clause.named_children if child.type == "package_identifier")


def _name_of(node) -> str:
    name = node.child_by_field_name("name")
    return name.text.decode() if name is not None else ""


# A raw unit: the declaration before its references are known (they need every unit's names first).
@dataclass
class _Raw:
    unit: Unit
    nodes: List[object]     # what the scan walks: a declaration, or the specs of a group
    imports: Dict[str, GoImport]
    unnamed: List[GoImport]   # imports no name in the code shows: dot imports, and embed for //go:embed


def _units(package: str, files: Sequence[Tuple[str, bytes, object]]) -> List[Unit]:
    raws: List[_Raw] = []
    for name, data, tree in files:
        imports = _imports(tree.root_node)
        named = {i.name: i for i in imports if i.name not in (".", "_")}
        dots = [i for i in imports if i.name == "."]
        embed = [i for i in imports if i.path == "embed"]
        for unit, nodes in _declarations(package, name, data, tree.root_node):
            raws.append(_Raw(unit, nodes, named, dots + (embed if "//go:embed" in unit.source else [])))
    declared: Dict[str, str] = {}
    for raw in raws:
        for declared_name in raw.unit.names:
            declared.setdefault(declared_name, raw.unit.key)
    methods: Dict[str, List[str]] = {}
    for raw in raws:
        if raw.unit.kind is UnitKind.method:
            methods.setdefault(raw.unit.name.split(".", 1)[1], []).append(raw.unit.key)
    method_keys = {key for keys in methods.values() for key in keys}
    names = set(declared)
    units = []
    for raw in raws:
        scan = NameScan(names, raw.imports)
        for node in raw.nodes:
            if node.type in ("function_declaration", "method_declaration"):
                scan.function(node)
            elif node.type in ("type_spec", "type_alias"):
                scan.type_spec(node)
            else:
                scan.value_spec(node)
        references: Dict[str, None] = {}
        for kind, used in scan.uses:
            for key in [declared[used]] if kind == "name" else methods.get(used, []):
                if key != raw.unit.key:
                    references.setdefault(key)
        if raw.unit.kind is UnitKind.type:
            for method in OWN_METHODS:
                for key in [f"{name}.{method}" for name in raw.unit.names]:
                    if key in method_keys:
                        references.setdefault(key)
        used_imports = [raw.imports[name] for name in scan.packages]
        used_imports += [i for i in raw.unnamed if i.name != "." or scan.free]
        units.append(replace(raw.unit, references=tuple(references), imports=tuple(used_imports)))
    return units


def _imports(root) -> List[GoImport]:
    found = []
    for declaration in root.named_children:
        if declaration.type != "import_declaration":
            continue
        stack = list(declaration.named_children)
        while stack:
            node = stack.pop(0)
            if node.type == "import_spec_list":
                stack = list(node.named_children) + stack
            elif node.type == "import_spec":
                path = node.child_by_field_name("path").text.decode().strip('"`')
                alias_node = node.child_by_field_name("name")
                alias = alias_node.text.decode() if alias_node is not None else ""
                found.append(GoImport(alias or _package_name_of_path(path), path, alias))
    return found


def _package_name_of_path(path: str) -> str:
    """The name a package is used by when imported without alias: the path's last element, skipping a major
    version (`/v2`) and dropping a `go-` prefix and what follows a dot (`gopkg.in/yaml.v3` is yaml). A guess:
    the true name is in the package's source, which is not here."""
    parts = path.split("/")
    last = parts[-1]
    if re.fullmatch(r"v\d+", last) and len(parts) > 1:
        last = parts[-2]
    last = last.split(".", 1)[0]
    if last.startswith("go-"):
        last = last[3:]
    return last.replace("-", "_")


def _declarations(package: str, file: str, data: bytes, root) -> Iterable[Tuple[Unit, List[object]]]:
    children = root.named_children
    for index, node in enumerate(children):
        start = _doc_start(children, index)
        line = node.start_point[0] + 1

        def unit(key, kind, names, source, at_line=line, **extra):
            return Unit(key=key, kind=kind, names=tuple(names), source=source, file=file, line=at_line,
                        package=package, **extra)

        text = data[start:node.end_byte].decode("utf-8", "replace")
        if node.type == "function_declaration":
            name = _name_of(node)
            blank = name in ("init", "_")
            yield unit(f"{name}@{file}:{line}" if blank else name, UnitKind.func, [] if blank else [name], text,
                       **_body(node)), [node]
        elif node.type == "method_declaration":
            receiver = _receiver_type(node.child_by_field_name("receiver"))
            yield unit(f"{receiver}.{_name_of(node)}", UnitKind.method, [], text, receiver=receiver,
                       **_body(node)), [node]
        elif node.type in ("type_declaration", "const_declaration", "var_declaration"):
            kind = UnitKind(node.type.split("_")[0])
            specs = _specs(node)
            if not specs:
                continue
            if len(specs) == 1 and not _grouped(node):
                yield unit(_key(specs[0], file), kind, _spec_names(specs[0]), text,
                           requires=_required_methods(specs[0])), specs
            elif kind is UnitKind.const and not _splittable(specs):
                names = [n for spec in specs for n in _spec_names(spec)]
                yield unit(names[0] if names else f"_@{file}:{line}", kind, names, text), specs
            else:
                siblings = _var_children(node) if node.type == "var_declaration" else node.named_children
                for spec in specs:
                    spec_start = _doc_start(siblings, siblings.index(spec))
                    source = _spec_source(data, spec_start, spec, kind.value)
                    yield unit(_key(spec, file), kind, _spec_names(spec), source, spec.start_point[0] + 1,
                               requires=_required_methods(spec)), [spec]


def _body(node) -> Dict[str, bool]:
    body = node.child_by_field_name("body")
    if body is None:
        return {"has_body": False, "has_statements": False}
    children = body.named_children
    if len(children) == 1 and children[0].type == "statement_list":  # newer grammars wrap the statements
        children = children[0].named_children
    return {"has_body": True, "has_statements": any(child.type != "comment" for child in children)}


def _required_methods(spec) -> Tuple[str, ...]:
    """The methods an interface type names (embedded interfaces are references of their own)."""
    body = spec.child_by_field_name("type") if spec.type in ("type_spec", "type_alias") else None
    if body is None or body.type != "interface_type":
        return ()
    return tuple(element.child_by_field_name("name").text.decode() for element in body.named_children
                 if element.type == "method_elem")


def _var_children(node) -> List[object]:
    listed = next((child for child in node.named_children if child.type == "var_spec_list"), None)
    return list(listed.named_children) if listed is not None else list(node.named_children)


def _specs(node) -> List[object]:
    kinds = ("type_spec", "type_alias", "const_spec", "var_spec")
    children = _var_children(node) if node.type == "var_declaration" else node.named_children
    return [child for child in children if child.type in kinds]


def _grouped(node) -> bool:
    return any(child.type == "(" for child in node.children) or \
        any(child.type == "var_spec_list" for child in node.named_children)


def _splittable(specs) -> bool:
    """A const group whose specs each stand alone: each has its own value, and none counts with iota."""
    return all(spec.child_by_field_name("value") is not None and b"iota" not in spec.text for spec in specs)


def _spec_names(spec) -> List[str]:
    names = [spec.children[i].text.decode() for i in range(spec.child_count)
             if spec.field_name_for_child(i) == "name"]
    return [name for name in names if name != "_"]


def _key(spec, file: str) -> str:
    names = _spec_names(spec)
    return names[0] if names else f"_@{file}:{spec.start_point[0] + 1}"


def _spec_source(data: bytes, start: int, spec, keyword: str) -> str:
    """A spec of a group as a declaration of its own: its doc comment, the keyword, the spec, dedented by the
    spec's indentation."""
    indent = spec.start_point[1]
    doc = data[start:spec.start_byte].decode("utf-8", "replace")
    body = data[spec.start_byte:spec.end_byte].decode("utf-8", "replace")
    prefix = data[spec.start_byte - indent:spec.start_byte].decode("utf-8", "replace")
    lines = f"{doc}{keyword} {body}".split("\n")
    return "\n".join(line[len(prefix):] if prefix.strip() == "" and line.startswith(prefix) else line
                     for line in lines)


def _doc_start(siblings: Sequence[object], index: int) -> int:
    """Where the doc comment of siblings[index] starts: the comments right above it, with no blank line."""
    start_node = siblings[index]
    for at in range(index - 1, -1, -1):
        previous = siblings[at]
        if previous.type != "comment" or previous.end_point[0] + 1 < start_node.start_point[0]:
            break
        if at > 0 and siblings[at - 1].end_point[0] >= previous.start_point[0]:
            break   # a comment at the end of the line before belongs to that line
        start_node = previous
    return start_node.start_byte


def _receiver_type(receiver) -> str:
    """The type named in a receiver: `(s *Stack[T])` is Stack."""
    stack = [receiver]
    while stack:
        node = stack.pop(0)
        if node.type == "type_identifier":
            return node.text.decode()
        stack = [child for child in node.named_children if child.type != "identifier"] + stack
    return ""


# -- the context ---------------------------------------------------------------------------------------------
