"""Test helpers: build graphs from real tree-sitter parses and read them back as line-labelled facts."""

from __future__ import annotations

import textwrap

from codeforge.graphs.builder import control_flow_graphs
from codeforge.graphs.cdg import control_dependences
from codeforge.graphs.dfg import data_dependences, reaching_definitions
from codeforge.graphs.parse import parse
from codeforge.graphs.text import node_labels
from codeforge.graphs.vocabulary import EdgeKind


class Facts:
    """One function's CFG with its edges, control and data dependences keyed by text labels (L3, L4a, EXIT)."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.labels = node_labels(cfg)
        self.ids = {label: node_id for node_id, label in self.labels.items()}

    def edges(self, hidden=(EdgeKind.MAY_RAISE,)):
        return {(self.labels[u], self.labels[v], k.value) for u, v, k in self.cfg.edges() if k not in hidden}

    def may_raise(self):
        return {(self.labels[u], self.labels[v]) for u, v, k in self.cfg.edges() if k is EdgeKind.MAY_RAISE}

    def cd(self, with_entry=False):
        return {(self.labels[a], self.labels[b], k.value) for a, b, k in control_dependences(self.cfg)
                if with_entry or a != self.cfg.entry}

    def dd(self):
        return {(self.labels[a], self.labels[b], var) for a, b, var in data_dependences(self.cfg)}

    def reaching(self, label, name):
        return {self.labels[d] for d in reaching_definitions(self.cfg)[self.ids[label]].get(name, ())}

    def kind(self, label):
        return self.cfg.node(self.ids[label]).kind.value

    def text(self, label):
        return self.cfg.node(self.ids[label]).text


def graphs_of(source: str, language: str = "python"):
    return control_flow_graphs(parse(textwrap.dedent(source).lstrip("\n"), language))


def facts(source: str, name: str = None, language: str = "python") -> Facts:
    cfgs = graphs_of(source, language)
    if name is None:
        name = cfgs[1].name if len(cfgs) > 1 else cfgs[0].name
    return Facts(next(c for c in cfgs if c.name == name))
