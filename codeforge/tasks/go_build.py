"""Whether go builds a file on the platform a context is compiled for (linux/amd64, gc, no cgo), from its build
constraints: the `//go:build` expression (or, in older files, the `// +build` lines) before the package clause,
and a GOOS or GOARCH at the end of its name (`_linux.go`, `_windows_arm64.go`).

A build-tagged file is no source of tasks (a test of it runs only where its constraint holds), but when its
constraint holds on linux/amd64 its declarations are part of the package the function under test is compiled
with (sort's generated pdqsort, math/big's arithmetic): codeforge.tasks.go_context keeps them as context. The
go1.N release tags hold up to GO_RELEASE; custom tags (`purego`, `ignore`) do not hold.
"""

from __future__ import annotations

import re
from typing import List, Optional

GOOS = frozenset("aix android darwin dragonfly freebsd hurd illumos ios js linux nacl netbsd openbsd plan9 "
                 "solaris wasip1 windows zos".split())
GOARCH = frozenset("386 amd64 amd64p32 arm armbe arm64 arm64be loong64 mips mipsle mips64 mips64le mips64p32 "
                   "mips64p32le ppc ppc64 ppc64le riscv riscv64 s390 s390x sparc sparc64 wasm".split())
PLATFORM = "linux/amd64"
GO_RELEASE = 22   # go1.1 ... go1.22 hold
HOLDING = frozenset({"linux", "amd64", "unix", "gc", *(f"go1.{minor}" for minor in range(1, GO_RELEASE + 1))})

_TOKEN = re.compile(r"\s*(\(|\)|!|&&|\|\||[A-Za-z0-9_.]+)")


def name_constraint(name: str) -> Optional[str]:
    """The constraint in a file name (`_linux_arm64`), or None; go reads it after the first `_`."""
    parts = name.rsplit(".", 1)[0].split("_")[1:]
    if parts and parts[-1] == "test":
        parts = parts[:-1]
    if len(parts) >= 2 and parts[-2] in GOOS and parts[-1] in GOARCH:
        return f"_{parts[-2]}_{parts[-1]}"
    if parts and (parts[-1] in GOOS or parts[-1] in GOARCH):
        return f"_{parts[-1]}"
    return None


def name_holds(constraint: str) -> bool:
    return all(tag in HOLDING for tag in constraint.strip("_").split("_"))


def lines_hold(lines: List[str]) -> bool:
    """Whether the constraint lines of a file's header hold: a `//go:build` line decides alone; else every
    `// +build` line must hold (in one, spaces are or, commas and)."""
    go_build = [line for line in lines if line.startswith("//go:build")]
    if go_build:
        return expression_holds(go_build[0][len("//go:build"):])
    plus = [line.split("+build", 1)[1] for line in lines if "+build" in line]
    return all(any(all(_tag_holds(tag) for tag in option.split(",")) for option in line.split()) for line in plus)


def _tag_holds(tag: str) -> bool:
    return not tag[1:] in HOLDING if tag.startswith("!") else tag in HOLDING


def expression_holds(expression: str) -> bool:
    """A `//go:build` expression (`linux && (amd64 || arm64) && !purego`); a malformed one does not hold."""
    tokens, at = [], 0
    expression = expression.strip()
    while at < len(expression):
        match = _TOKEN.match(expression, at)
        if not match:
            return False
        tokens.append(match.group(1))
        at = match.end()
    try:
        value, rest = _or(tokens)
    except IndexError:
        return False
    return value if not rest else False


def _or(tokens):
    value, tokens = _and(tokens)
    while tokens and tokens[0] == "||":
        right, tokens = _and(tokens[1:])
        value = value or right
    return value, tokens


def _and(tokens):
    value, tokens = _not(tokens)
    while tokens and tokens[0] == "&&":
        right, tokens = _not(tokens[1:])
        value = value and right
    return value, tokens


def _not(tokens):
    if tokens[0] == "!":
        value, tokens = _not(tokens[1:])
        return not value, tokens
    if tokens[0] == "(":
        value, tokens = _or(tokens[1:])
        if not tokens or tokens[0] != ")":
            raise IndexError("unclosed (")  # untranslated: internal, caught by the caller
        return value, tokens[1:]
    if tokens[0] in ("&&", "||", ")"):
        raise IndexError("an operator where a tag belongs")  # untranslated: internal, caught by the caller
    return tokens[0] in HOLDING, tokens[1:]
