"""The scopes the graphs use agree with CPython's symtable for every name of the HumanEval and MBPP
reference solutions and of tricky snippets."""

from __future__ import annotations

import symtable
import textwrap
import warnings

import pytest

from codeforge.graphs.builder import control_flow_graphs
from codeforge.graphs.parse import parse
from codeforge.graphs.vocabulary import ScopeKind
from codeforge.tasks import load_tasks

SNIPPETS = [
    """
    x = 1
    def f(a, *b, c=2, **d):
        global x
        x = a
        y: int
        z = [w for w in b if (v := w)]
        del a
        import os.path as p, sys
        from m import n
        try:
            pass
        except E as e:
            pass
        with o as (q, r):
            pass
        for s, *t in d:
            pass
        def g():
            nonlocal z
            z = 1
        class K:
            kk = 1
        lam = lambda u: u + kk
        match z:
            case [1, *rest] | {"k": rest}:
                pass
            case Point(x=0, y=yy) as pt:
                pass
    """,
    """
    class C(B):
        a = 1
        def m(self):
            return a
        b = [a for _ in range(3)]
    """,
]


def _tables(table):
    yield table
    for child in table.get_children():
        yield from _tables(child)


def _compare(source: str):
    source = textwrap.dedent(source).lstrip("\n")
    cfgs = control_flow_graphs(parse(source, "python"))
    ours = {}
    for cfg in cfgs:
        if cfg.scope is ScopeKind.module:
            ours[("module", 1)] = [cfg]
        else:
            short = cfg.name.rsplit(".", 1)[-1].split("@")[0]
            key = ("lambda" if short == "<lambda>" else short, cfg.syntax.start_point[0] + 1)
            ours.setdefault(key, []).append(cfg)
    problems = []
    with warnings.catch_warnings():   # some reference solutions have invalid escapes in strings
        warnings.simplefilter("ignore", DeprecationWarning)
        top = symtable.symtable(source, "<src>", "exec")
    for table in _tables(top):
        key = ("module", 1) if table.get_type() == "module" else (table.get_name(), table.get_lineno())
        if table.get_name() in ("listcomp", "setcomp", "dictcomp", "genexpr"):
            continue
        if not ours.get(key):
            problems.append(f"no graph for scope {key}")
            continue
        cfg = ours[key].pop(0)   # several lambdas on one line: both sides list them in source order
        names = cfg.names()
        symbols = table.get_symbols()
        if table.get_type() == "function":
            local = {s.get_name() for s in symbols if s.is_local()}
        else:
            local = {s.get_name() for s in symbols if (s.is_assigned() or s.is_imported() or s.is_namespace()
                                                        or s.is_annotated()) and not s.is_declared_global()}
            if table.get_type() == "module":
                local = {s.get_name() for s in symbols
                         if (s.is_assigned() or s.is_imported() or s.is_namespace() or s.is_annotated())}
        declared_global = {s.get_name() for s in symbols if s.is_declared_global()}
        if table.get_type() != "module" and names["local"] != local:
            problems.append(f"{key}: locals {sorted(names['local'])} != symtable {sorted(local)}")
        if table.get_type() == "module" and names["local"] | names["global"] != local:
            problems.append(f"{key}: module names {sorted(names['local'])} != symtable {sorted(local)}")
        if table.get_type() != "module" and names["global"] != declared_global:
            problems.append(f"{key}: globals {sorted(names['global'])} != symtable {sorted(declared_global)}")
    return problems


@pytest.mark.parametrize("source", SNIPPETS)
def test_snippet_scopes_match_symtable(source):
    assert _compare(source) == []


@pytest.mark.parametrize("dataset", ["humaneval", "mbpp"])   # the data ships with the package
def test_reference_solution_scopes_match_symtable(dataset):
    problems, tasks = [], load_tasks(dataset)
    for task in tasks:
        problems += [f"{task.task_id}: {x}" for x in _compare(task.reference)]
    assert len(tasks) == {"humaneval": 164, "mbpp": 974}[dataset]
    assert problems == []
