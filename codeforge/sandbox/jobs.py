"""The sandbox contract: a Job goes in, a Result comes out (see docs/design.md, "Sandbox job").

`codeforge sandbox exec` reads Jobs as JSON lines and writes Results as JSON lines; bench, repair and the
finetune rewards build Jobs in Python. Both sides rely on these names and defaults.
"""

from __future__ import annotations

import re
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..i18n import _
from ..vocabulary import Action, Language, Status
from .settings import MAX_MEMORY_MB, MAX_TIMEOUT_S, MIN_MEMORY_MB

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MEMORY_MB = 512
FUNCTION_NAME = re.compile(r"^(?:\(?\*?[A-Za-z_]\w*\)?\.)?[A-Za-z_]\w*$")  # Name, Type.Method, (*Type).Method


DEFAULT_ACTION = {
    Language.python: Action.run,
    Language.go: Action.test,
    Language.c: Action.memcheck,
    Language.cpp: Action.memcheck,
}


class Job(BaseModel):
    """One program to run. Either `source` (one file) or `files` ({relative path: text}).

    `tests`: test files the program never sees. Python's run in a harness process of their own that calls
    into the program and decides the verdict (recipes/python.py); Go's, C's and C++'s are compiled on the
    tests' side with the program and must report that they finished (recipes/go.py, recipes/c.py).

    `unittest` (Go) turns the roles round: `files` is trusted reference code, `tests` the one candidate
    `_test.go` file being scored, and `function` the function under test whose coverage counts (`Name`, or
    `Type.Method` for a method); see recipes/gounit.py."""

    model_config = ConfigDict(extra="forbid", use_enum_values=False)

    id: str = Field(min_length=1)
    language: Language
    source: Optional[str] = None
    files: Optional[dict[str, str]] = None
    tests: Optional[dict[str, str]] = None
    function: Optional[str] = None
    action: Optional[Action] = None
    stdin: Optional[str] = None
    timeout_s: float = Field(default=DEFAULT_TIMEOUT_S, gt=0, le=MAX_TIMEOUT_S)
    memory_mb: int = Field(default=DEFAULT_MEMORY_MB, ge=MIN_MEMORY_MB, le=MAX_MEMORY_MB)

    @model_validator(mode="after")
    def _check(self) -> "Job":
        if (self.source is None) == (self.files is None):
            raise ValueError(_("give exactly one of `source` (one file) or `files` ({path: text})"))
        if self.files is not None and not self.files:
            raise ValueError(_("`files` is empty"))
        for path in [*(self.files or ()), *(self.tests or ())]:
            parts = path.replace("\\", "/").split("/")
            if path.startswith("/") or ".." in parts or not path.strip() or parts[0] == ".codeforge":
                raise ValueError(_("file path {path} must be relative and stay inside the work dir").format(
                    path=repr(path)))
        if self.action is Action.unittest or self.function is not None:
            self._check_unittest()
        elif self.tests is not None:
            if self.language in (Language.python, Language.go):
                if self.action not in (None, Action.test):
                    raise ValueError(_("python and go `tests` are run by the `test` action"))
                self.action = Action.test
        if self.action is None:
            self.action = DEFAULT_ACTION[self.language]
        allowed = {
            Language.python: {Action.run, Action.test, Action.analyze},
            Language.go: {Action.run, Action.test, Action.analyze, Action.unittest},
            Language.c: {Action.run, Action.memcheck},
            Language.cpp: {Action.run, Action.memcheck},
        }[self.language]
        if self.action not in allowed:
            names = ", ".join(sorted(a.value for a in allowed))
            raise ValueError(_("action {action} does not apply to {language}: use {actions}").format(
                action=repr(self.action.value), language=self.language.value, actions=names))
        if self.language is Language.python and self.action is Action.run and self.files is not None:
            if "main.py" not in self.files:
                raise ValueError(_("a python `run` job with `files` needs a `main.py` to run"))
        return self

    def _check_unittest(self) -> None:
        if self.action is not Action.unittest:
            raise ValueError(_("`function` names the function under test of a `unittest` job: add action unittest"))
        if self.language is not Language.go:
            raise ValueError(_("action 'unittest' does not apply to {language}: only go").format(
                language=self.language.value))
        candidates = list(self.tests or ())
        if len(candidates) != 1 or not candidates[0].endswith("_test.go"):
            raise ValueError(_("a `unittest` job's `tests` is the one candidate test file, named *_test.go"))
        if any(path.endswith("_test.go") for path in self.file_map("main.go")):
            raise ValueError(_("a `unittest` job's `files` is the code under test: its only test is the candidate"))
        if not self.function or not FUNCTION_NAME.match(self.function):
            raise ValueError(_("a `unittest` job needs `function`: the function under test, as Name or Type.Method"))

    def file_map(self, default_name: str) -> dict[str, str]:
        """The job's files; a `source` job is one file named `default_name`."""
        return dict(self.files) if self.files is not None else {default_name: self.source or ""}


class Result(BaseModel):
    """What happened to one Job. `details` is language-specific (Valgrind errors, Go coverage, ...)."""

    model_config = ConfigDict(use_enum_values=False)

    id: str
    status: Status
    exit_code: Optional[int] = None
    stdout: str = ""
    stderr: str = ""
    truncated: bool = False
    duration_s: float = 0.0
    details: dict[str, Any] = Field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.status is Status.passed

    def to_json(self) -> str:
        return self.model_dump_json()
