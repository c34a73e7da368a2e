"""Program dependence graph: control dependences and data dependences over the same statement nodes."""

from __future__ import annotations

import networkx as nx

from .cdg import control_dependence_graph
from .cfg import ControlFlowGraph
from .dfg import data_dependence_graph


def program_dependence_graph(cfg: ControlFlowGraph) -> nx.MultiDiGraph:
    graph = control_dependence_graph(cfg)
    data = data_dependence_graph(cfg)
    graph.add_edges_from(data.edges(keys=True, data=True))
    return graph
