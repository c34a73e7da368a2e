"""Execution oracle: run a program under sys.settrace with opcode events and check what it does against
the graphs built from its source.

Every executed instruction is mapped to the CFG nodes that own its source range (several when a `finally`
body is copied). A step from one node to another must follow a CFG path whose inner nodes are synthetic;
an instruction inside a simple statement must map to some node; a local read must be reached by a DFG edge
from the node that last stored that name in the same frame (parameters: ENTRY). Reads of a name stored
earlier in the same statement (walrus) and names stored by other frames (cells, globals) are not checked,
and a node that owns no instruction (a docstring, `pass`) is passed through like a synthetic node.
"""

from __future__ import annotations

import ast
import contextlib
import dis
import io
import signal
import sys
import warnings
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set, Tuple

from codeforge.graphs.builder import control_flow_graphs
from codeforge.graphs.dfg import data_dependences
from codeforge.graphs.parse import parse

STORES = {"STORE_FAST", "STORE_NAME", "STORE_DEREF"}
LOADS = {"LOAD_FAST", "LOAD_NAME", "LOAD_DEREF", "LOAD_CLASSDEREF"}
DELETES = {"DELETE_FAST", "DELETE_NAME", "DELETE_DEREF"}
FILENAME = "<graph-oracle>"


@dataclass
class Report:
    steps: int = 0
    reads: int = 0
    violations: List[str] = field(default_factory=list)


def _contains(outer, inner) -> bool:
    return outer[0] <= inner[0] and inner[1] <= outer[1]


class _CodeMap:
    """For one code object: instruction offset -> candidate nodes, plus the graph facts to check against."""

    def __init__(self, code, cfg, simple_statements):
        self.cfg = cfg
        nodes = cfg.nodes
        self.nodes_at: Dict[int, frozenset] = {}
        self.must_map: Set[int] = set()
        self.instructions = {}
        for ins in dis.get_instructions(code):
            self.instructions[ins.offset] = ins
            p = ins.positions
            if p is None or p.lineno is None or p.col_offset is None:
                continue
            if (p.lineno, p.col_offset) == (p.end_lineno, p.end_col_offset):
                continue   # CPython gives some implicit instructions an empty range at column 0
            span = ((p.lineno, p.col_offset), (p.end_lineno, p.end_col_offset))
            exact = frozenset(n.id for n in nodes if span in n.exact)
            if not exact:
                owners = [(n, s) for n in nodes for s in n.owned if _contains(s, span)]
                if owners:
                    smallest = min(owners, key=lambda o: (o[1][1][0] - o[1][0][0], o[1][1][1] - o[1][0][1]))[1]
                    exact = frozenset(n.id for n, s in owners if s == smallest)
            if exact:
                self.nodes_at[ins.offset] = exact
            if any(_contains(s, span) for s in simple_statements):
                self.must_map.add(ins.offset)
        self.data = set(data_dependences(cfg))
        # A node that owns no instruction (a docstring, `pass`, `global`) cannot be observed: a step may
        # pass through it as through a synthetic node.
        observable = set().union(*self.nodes_at.values()) if self.nodes_at else set()
        self.synthetic = {n.id for n in nodes if n.synthetic or n.id not in observable}
        self.reach = {n.id: self._through_synthetic(n.id) for n in nodes}

    def _through_synthetic(self, start: int) -> Set[int]:
        seen, stack, out = set(), [start], set()
        while stack:
            for v in {v for _, v in self.cfg.graph.out_edges(stack.pop())}:
                out.add(v)
                if v in self.synthetic and v not in seen:
                    seen.add(v)
                    stack.append(v)
        return out


def _simple_statement_spans(source: str):
    spans = []
    compound = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.Try, ast.With, ast.AsyncWith, ast.FunctionDef,
                ast.AsyncFunctionDef, ast.ClassDef) + ((ast.Match,) if hasattr(ast, "Match") else ()) + (
                (ast.TryStar,) if hasattr(ast, "TryStar") else ())
    with warnings.catch_warnings():   # invalid escapes in some reference solutions
        warnings.simplefilter("ignore", DeprecationWarning)
        tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and not isinstance(node, compound):
            spans.append(((node.lineno, node.col_offset), (node.end_lineno, node.end_col_offset)))
    return spans


class _Timeout(Exception):
    pass


class Oracle:
    def __init__(self, source: str, budget: int = 200_000):
        self.source = source
        self.cfgs = control_flow_graphs(parse(source, "python"))
        self.simple = _simple_statement_spans(source)
        self.by_key: Dict[Tuple[str, int], list] = {}
        for cfg in self.cfgs:
            self.by_key.setdefault(self._key(cfg), []).append(cfg)
        self.maps: Dict[object, Optional[_CodeMap]] = {}
        self.frames: Dict[int, list] = {}
        self.report = Report()
        self.budget = budget

    @staticmethod
    def _key(cfg) -> Tuple[str, int]:
        if cfg.name == "<module>":
            return "<module>", 1
        syntax = cfg.syntax
        line = syntax.start_point[0] + 1
        if syntax.parent is not None and syntax.parent.type == "decorated_definition":
            line = syntax.parent.start_point[0] + 1
        short = cfg.name.rsplit(".", 1)[-1]
        return ("<lambda>" if short.startswith("<lambda>") else short), line

    def _map(self, code) -> Optional[_CodeMap]:
        if code not in self.maps:
            candidates = self.by_key.get((code.co_name, code.co_firstlineno), [])
            self.maps[code] = _CodeMap(code, candidates[0], self.simple) if len(candidates) == 1 else None
        return self.maps[code]

    def _global(self, frame, event, arg):
        if frame.f_code.co_filename != FILENAME or self._map(frame.f_code) is None:
            return None
        frame.f_trace_opcodes = True
        frame.f_trace_lines = False
        return self._local

    def _local(self, frame, event, arg):
        if event != "opcode":
            return self._local
        self.budget -= 1
        if self.budget <= 0:
            sys.settrace(None)
            frame.f_trace_opcodes = False
            return None
        m = self.maps[frame.f_code]
        state = self.frames.get(id(frame))
        if state is None or state[0] is not frame:
            state = self.frames[id(frame)] = [frame, frozenset({m.cfg.entry}), 0, {}]
        offset = frame.f_lasti
        here = m.nodes_at.get(offset)
        where = f"{m.cfg.name} line {frame.f_lineno}"
        if here is None:
            if offset in m.must_map:
                self.report.violations.append(f"{where}: executed code belongs to no node "
                                              f"({m.instructions[offset].opname})")
            return self._local
        current = state[1]
        if here != current:
            self.report.steps += 1
            reachable = frozenset(c for c in here if any(c in m.reach[s] for s in current))
            if not reachable:
                names = lambda ids: sorted(m.cfg.node(i).text[:40] for i in ids)
                self.report.violations.append(f"{where}: step {names(current)} -> {names(here)} is no CFG path")
                reachable = here
            state[1], state[2] = reachable, state[2] + 1
        ins = m.instructions[offset]
        name = ins.argval if isinstance(ins.argval, str) else None
        if name is not None and ins.opname.endswith("DEREF") and name not in frame.f_code.co_cellvars:
            return self._local
        last = state[3]
        if ins.opname in STORES:
            last[name] = (state[1], state[2])
        elif ins.opname in DELETES:
            last.pop(name, None)
        elif ins.opname in LOADS:
            if name in last:
                defs, visit = last[name]
            elif name in m.cfg.params and ins.opname != "LOAD_NAME":
                defs, visit = frozenset({m.cfg.entry}), -1
            else:
                return self._local
            if visit == state[2]:
                return self._local
            self.report.reads += 1
            if not any((d, u, name) in m.data for d in defs for u in state[1]):
                self.report.violations.append(f"{where}: read of {name!r} from "
                                              f"{sorted(m.cfg.node(d).text[:40] for d in defs)} has no DFG edge")
        return self._local

    def run(self, *test_sources: str, timeout_s: int = 10) -> Report:
        namespace: dict = {"__name__": "__oracle__"}

        def alarm(signum, frame):
            raise _Timeout()

        previous = signal.signal(signal.SIGALRM, alarm)
        signal.alarm(timeout_s)
        sys.settrace(self._global)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(self.source, FILENAME, "exec"), namespace)
                for test in test_sources:
                    try:
                        exec(compile(test, "<oracle-test>", "exec"), namespace)
                    except (_Timeout, KeyboardInterrupt):
                        raise
                    except BaseException:   # a failing reference test is not a graph error
                        pass
        except _Timeout:
            pass
        finally:
            sys.settrace(None)
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
        return self.report
