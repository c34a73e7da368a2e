"""Go unit-test generation (`go-unittest`): the model writes the `_test.go` of a function, and the test is scored
against the function's package (the sandbox's `unittest` action, the go-coverage reward of codeforge.rewards).

Where the functions come from:
- the built-in set: each of HumanEval-X's 164 Go canonical solutions, as a one-file `package main`, with its
  entry point as the function under test; the reference answer is the dataset's own test (its testify
  asserts), so `--model reference` scores high and known;
- `--dataset-path FOLDER`: a Go package (one folder, not its subfolders): every function and method with a
  body in its files becomes a task (go_package says which files are skipped and why); the package's files
  sent to the sandbox are those `go build` compiles on linux/amd64 (never its own `_test.go` files). It has no
  reference answer. It must build on its own: the image has the standard library and testify only, so a
  package importing anything else is refused when it is read;
- `jsonl:PATH` rows with `"kind": "go-unittest"` (see `make_row_task`).

The prompt is the function under test with everything it depends on in its package (go_context: imports,
types, consts, vars and functions, transitively, nearest first), cut to `max_prompt_tokens` (the function itself
always stays), then the instruction to write its test file. Tokens are counted the same way for every model:
words and punctuation marks, which is close to what code tokenizers give. A chat model gets the instruction and
the context in one message (`Task.ask`); a base model continues the context followed by the opened test file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ..i18n import _
from ..vocabulary import Action, Language
from .base import Ask, DatasetError, JobSpec, Record, Task
from .go_context import Context, context_for, humaneval_x_package
from .go_package import GoPackage, Unit, UnitKind, read_package
from .humaneval_x import TESTIFY, go_file, go_imports

DATASET = "go-unittest"
KIND = "go-unittest"   # the `kind` of a jsonl row that is a Go unit-test task
DEFAULT_MAX_PROMPT_TOKENS = 2048
TIMEOUT_S = 60.0       # goimports, a cold build of the package and its test, vet, the run
_TOKEN = re.compile(r"\w+|[^\w\s]")
_IN_IMAGE = ("github.com/stretchr/testify/",)   # what the Go image has besides the standard library
# The first element of every standard library import path (Go 1.19 to 1.24): anything else is a module's.
STANDARD = frozenset("archive bufio builtin bytes cmp compress container context crypto database debug embed "
                     "encoding errors expvar flag fmt go hash html image index io iter log maps math mime net os "
                     "path plugin reflect regexp runtime slices sort strconv strings structs sync syscall testing "
                     "text time unicode unique unsafe weak".split())
COMPUTED_EXTRA = ("context_tokens", "context_cut")  # extra fields made when a task is made, not read from its row


def count_tokens(text: str) -> int:
    """Words and punctuation marks: close to a code tokenizer's count, the same for every model."""
    return len(_TOKEN.findall(text))


def go_test_header(package: str, key: str) -> str:
    """The start of the test file a base model continues: the package clause, the testing import and the first
    test's opening line."""
    return f"package {package}\n\nimport (\n\t\"testing\"\n)\n\nfunc {go_test_name(key)}(t *testing.T) {{\n"


def go_test_name(key: str) -> str:
    """The name of a test of `key` (Name or Type.Method) that `go test` runs: TestName, TestType_Method."""
    name = key.replace(".", "_")
    test = "Test" + name[:1].upper() + name[1:]
    return "Test_Main" if test == "TestMain" else test  # TestMain is the testing package's hook, not a test


@dataclass(frozen=True)
class GoUnitTestTask(Task):
    """A function under test (`entry_point`: Name, or Type.Method for a method) and its package (`files`).
    `code` is a whole `_test.go` file; `reference` a test known to pass ("" when there is none)."""

    files: dict = field(default_factory=dict, compare=False)
    test_file: str = "main_test.go"
    package: str = "main"
    context: str = ""            # the function and what it depends on, as one Go file (the prompt's code)
    prompt_opens_function: bool = False

    @property
    def header(self) -> str:
        return go_test_header(self.package, self.entry_point)

    def code_from_completion(self, completion: str) -> str:
        return self.header + completion

    def ask(self) -> Ask:
        name = self.entry_point
        request = (f"Write Go unit tests for the function `{name}` of package `{self.package}`, shown below with "
                   f"everything it uses. Answer with the complete test file `{self.test_file}` in one markdown "
                   f"code block: `package {self.package}`, its imports, and `Test` functions that use the "
                   f"standard `testing` package ({TESTIFY} is available too). Cover every branch of `{name}`; "
                   f"every test must pass.\n```go\n{self.context.strip()}\n```")
        return Ask(request=request,
                   prefill=f"Below is `{self.test_file}`, unit tests of `{name}` that pass:\n```go\n",
                   fix=f"Fix the tests. Return the complete corrected `{self.test_file}` in one markdown code block.",
                   answer="test")

    def unittest_job(self, code: str) -> JobSpec:
        """The candidate test scored against the package (the go-coverage reward reads its result)."""
        return JobSpec(Language.go, dict(self.files), Action.unittest, self.timeout_s, {self.test_file: code},
                       function=self.entry_point)

    def test_job(self, code: str) -> JobSpec:
        return self.unittest_job(code)

    def visible_job(self, code: str) -> JobSpec:
        """The test is its own check: what it says about itself (build errors, failing tests) is all there is."""
        return self.unittest_job(code)


def make_task(task_id: str, dataset: str, files: dict[str, str], target: Unit, units, reference: str = "",
              max_prompt_tokens: Optional[int] = None, timeout_s: float = TIMEOUT_S,
              extra: Optional[dict] = None) -> GoUnitTestTask:
    budget = DEFAULT_MAX_PROMPT_TOKENS if max_prompt_tokens is None else max_prompt_tokens
    context: Context = context_for(units, target, budget, count_tokens)
    test_file = f"{Path(target.file).stem}_test.go"
    prompt = (f"{context.text.rstrip()}\n\n// {test_file}: unit tests of {target.key}\n"
              f"{go_test_header(target.package, target.key)}")
    return GoUnitTestTask(task_id=task_id, dataset=dataset, language=Language.go, prompt=prompt,
                          entry_point=target.key, reference=reference, timeout_s=timeout_s, files=dict(files),
                          test_file=test_file, package=target.package, context=context.text,
                          extra={**(extra or {}), "context_tokens": context.tokens,
                                 "context_cut": [unit.key for unit in context.cut]})


# -- the built-in set: HumanEval-X ----------------------------------------------------------------------------


def load(dataset_path: Optional[Path] = None, from_hub: bool = False,
         max_prompt_tokens: Optional[int] = None) -> list[Task]:
    """HumanEval-X's Go solutions (the shipped copy, `dataset_path` as a HumanEval-X file, or the hub), or the
    functions of the Go package in the folder `dataset_path`."""
    if dataset_path is not None and Path(dataset_path).is_dir() and any(Path(dataset_path).glob("*.go")):
        if from_hub:
            raise DatasetError(_("--dataset-path FOLDER (a Go package) and --from-hub name two sources: choose one"))
        return load_package(Path(dataset_path), max_prompt_tokens)
    from .humaneval_x import GO_FILES, load_go

    if dataset_path is not None and Path(dataset_path).is_dir() and \
            not any((Path(dataset_path) / name).is_file() for name in GO_FILES):
        raise DatasetError(_("{path} holds no .go file (a Go package) and no {file} (HumanEval-X): give the folder "
                             "of a Go package, or HumanEval-X's Go file").format(path=dataset_path, file=GO_FILES[0]))
    return [humaneval_x_task(task, max_prompt_tokens) for task in load_go(dataset_path, from_hub)]


def humaneval_x_task(task: Task, max_prompt_tokens: Optional[int] = None) -> GoUnitTestTask:
    """A HumanEval-X Go task turned round: its solution is the function under test, its test the reference."""
    one = humaneval_x_package(task)
    reference = go_file(getattr(task, "test"), declared=go_imports(getattr(task, "test_setup", "")))
    return make_task(task.task_id, DATASET, one.files, one.target, one.package.units, reference, max_prompt_tokens,
                     extra=dict(task.extra))


# -- a package folder -----------------------------------------------------------------------------------------


def load_package(folder: Path, max_prompt_tokens: Optional[int] = None) -> list[Task]:
    package = read_package(folder)
    if not package.functions:
        skipped = "; ".join(f"{s.file}: {s.reason}" for s in package.skipped[:5])
        if skipped:
            raise DatasetError(_("{folder}: no function with a body to test (skipped: {skipped})").format(
                folder=folder, skipped=skipped))
        raise DatasetError(_("{folder}: no function with a body to test").format(folder=folder))
    files = package_files(folder, package)
    not_standalone(package, str(folder))
    return [make_task(f"{package.name}/{unit.key}", DATASET, files, unit, package.units,
                      max_prompt_tokens=max_prompt_tokens, extra={"file": unit.file, "line": unit.line})
            for unit in package.functions]


def package_files(folder: Path, package: GoPackage) -> dict[str, str]:
    """The files `go build` compiles on linux/amd64: those that give tasks and those that serve as context."""
    left_out = {s.file for s in package.skipped if not s.in_context}
    files = {}
    for path in sorted(folder.glob("*.go")):
        if path.name not in left_out:
            try:
                files[path.name] = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise DatasetError(_("cannot read {path}: {error}").format(path=path, error=exc)) from exc
    return files


def outside_imports(package: GoPackage) -> list[str]:
    """Import paths a copy of the package cannot import in the image: neither the standard library nor in the
    image, cgo's "C", and internal packages (only their own tree may import them)."""
    paths = {spec.path for unit in package.units for spec in unit.imports}
    return sorted(path for path in paths if path == "C" or "internal" in path.split("/")
                  or path.split("/")[0] not in STANDARD and not path.startswith(_IN_IMAGE))


def not_standalone(package: GoPackage, where: str) -> None:
    """Refuse a package the sandbox cannot build from its .go files alone (what a task sends), saying why."""
    foreign = outside_imports(package)
    if foreign:
        raise DatasetError(_("{where}: the package imports {imports}, which a copy of it cannot import in the "
                             "sandbox's Go image (it has the standard library and {testify}; internal packages "
                             "belong to their own tree): go-unittest scores packages that build on their own; copy "
                             "the package without those imports, or give another one").format(
            where=where, imports=", ".join(foreign), testify=TESTIFY))
    embeds = [unit.key for unit in package.units if "//go:embed" in unit.source]
    assembly = [unit.key for unit in package.units if unit.kind in (UnitKind.func, UnitKind.method)
                and not unit.has_body]
    if embeds or assembly:
        if embeds:
            message = _("{where}: the package embeds files (//go:embed in {unit}), and a task sends its .go files "
                        "only: go-unittest scores packages that build from their Go source alone")
        else:
            message = _("{where}: the package implements {unit} in assembly, and a task sends its .go files only: "
                        "go-unittest scores packages that build from their Go source alone")
        raise DatasetError(message.format(where=where, unit=embeds[0] if embeds else assembly[0]))


# -- jsonl rows -----------------------------------------------------------------------------------------------


def make_row_task(record: Record, dataset: str, max_prompt_tokens: Optional[int] = None) -> GoUnitTestTask:
    """A jsonl row of kind go-unittest:

        {"kind": "go-unittest", "task_id": "...", "files": {"stack.go": "package stack\\n..."},
         "function": "Stack.Push", "reference": "<a _test.go that passes>", "timeout_s": 60}

    `files` is the package (file name -> text, no `_test.go`), `function` the function under test (Name, or
    Type.Method); `reference` and `timeout_s` are optional."""
    from .go_package import package_from_files

    task_id = str(record.get("task_id", str, int))
    files = record.get("files", dict)
    if not files or not all(isinstance(k, str) and k.endswith(".go") and isinstance(v, str) for k, v in files.items()):
        raise DatasetError(_("{where}: files must map .go file names to their text").format(where=record.where))
    nested = [name for name in files if "/" in name or "\\" in name or name.startswith((".", "_"))]
    if nested:
        raise DatasetError(_("{where}: files holds {file}: give plain file names (one package, one folder; go "
                             "ignores names starting with . or _)").format(where=record.where, file=repr(nested[0])))
    tests = [name for name in files if name.endswith("_test.go")]
    if tests:
        raise DatasetError(_("{where}: files holds test files ({files}): give the package only").format(
            where=record.where, files=", ".join(tests)))
    function = str(record.get("function", str))
    package = package_from_files(files)
    target = next((unit for unit in package.functions if unit.key == function), None)
    if target is None:
        known = ", ".join(unit.key for unit in package.functions[:8]) or _("none")
        raise DatasetError(_("{where}: no function {function} with a body in files (functions: {known})").format(
            where=record.where, function=repr(function), known=known))
    not_standalone(package, record.where)
    reference = record.row.get("reference", "")
    if not isinstance(reference, str):
        raise DatasetError(_("{where}: reference must be the text of a _test.go file").format(where=record.where))
    timeout = record.row.get("timeout_s", TIMEOUT_S)
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
        raise DatasetError(_("{where}: timeout_s must be a positive number of seconds").format(where=record.where))
    left_out = {s.file for s in package.skipped if not s.in_context}
    kept = {name: text for name, text in files.items() if name not in left_out}
    extra = {key: value for key, value in record.row.items()
             if key not in ("kind", "task_id", "files", "function", "reference", "timeout_s")}
    return make_task(task_id, dataset, kept, target, package.units, reference, max_prompt_tokens, float(timeout),
                     extra)
