"""Build constraints, as go reads them, evaluated for linux/amd64 (codeforge.tasks.go_build)."""

from __future__ import annotations

import pytest

from codeforge.tasks.go_build import expression_holds, lines_hold, name_constraint, name_holds


@pytest.mark.parametrize("expression, holds", [
    ("linux", True), ("windows", False), ("!windows", True), ("linux && amd64", True), ("linux && arm64", False),
    ("darwin || linux", True), ("(darwin || linux) && !purego", True), ("!(linux && amd64)", False),
    ("go1.18", True), ("go1.99", False), ("ignore", False), ("unix && gc", True), ("cgo", False),
    ("linux &&", False), ("(linux", False), ("linux amd64", False),
])
def test_a_go_build_expression(expression, holds):
    assert expression_holds(expression) is holds


def test_plus_build_lines_or_within_and_across():
    assert lines_hold(["// +build linux darwin"]) is True
    assert lines_hold(["// +build linux,arm64 windows"]) is False
    assert lines_hold(["// +build linux", "// +build !amd64"]) is False
    assert lines_hold(["//go:build linux", "// +build windows"]) is True   # //go:build decides alone


@pytest.mark.parametrize("name, constraint, holds", [
    ("x_linux.go", "_linux", True), ("x_windows_amd64.go", "_windows_amd64", False), ("x_amd64.go", "_amd64", True),
    ("linux.go", None, None), ("x_linux_test.go", "_linux", True), ("x_helper.go", None, None),
])
def test_a_constraint_in_the_file_name(name, constraint, holds):
    assert name_constraint(name) == constraint
    if constraint is not None:
        assert name_holds(constraint) is holds
