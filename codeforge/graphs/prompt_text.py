"""Graph text inside prompts and training rows: a program's linearised graph (codeforge.graphs.text), its
heading, the shuffled control, and feedback followed by the failed program's graph.

`codeforge finetune --graph KIND` trains on this text and `codeforge bench --feedback-graph KIND` shows the
same text at inference, so an adapter is measured on the prompt it learned. `shuffled` is the control arm:
PDG text whose edges are rewired at random per program (the same nodes, as many edges of each kind).
"""

from __future__ import annotations

import random
from typing import Optional

from .builder import build
from .dataset import LEGEND
from .text import linearise
from .vocabulary import GraphChoice, GraphKind

__all__ = ["GraphChoice", "feedback_with_graph", "functions", "graph_heading", "graph_kind", "graph_text",
           "rewired"]


def graph_kind(choice: GraphChoice) -> Optional[GraphKind]:
    choice = GraphChoice(choice)
    if choice is GraphChoice.none:
        return None
    return GraphKind.pdg if choice is GraphChoice.shuffled else GraphKind(choice.value)


def rewired(graph, rng: random.Random):
    """The same nodes and as many edges of each kind, each edge between two nodes drawn at random."""
    shuffled = graph.copy()
    shuffled.remove_edges_from(list(graph.edges(keys=True)))
    nodes = sorted(graph.nodes)
    for _, _, key, attrs in sorted(graph.edges(keys=True, data=True), key=lambda e: (e[0], e[1], str(e[2]))):
        u, v = rng.sample(nodes, 2) if len(nodes) > 1 else (nodes[0], nodes[0])
        shuffled.add_edge(u, v, key=key, **attrs)
    return shuffled


def functions(code: str, language, kind: GraphKind):
    """The graphs of `code`'s functions (the module's own only when it has no function, or for an AST)."""
    found = build(code, language, kind)
    return [f for f in found if f.name != "<module>" or len(found) == 1 or kind is GraphKind.ast]


def graph_text(code: str, language, choice: GraphChoice, seed: int = 0) -> str:
    """The linearised graph of every function of `code`, rewired for `shuffled` (seeded by `seed` and the code)."""
    choice = GraphChoice(choice)
    kind = graph_kind(choice)
    rng = random.Random(f"{seed}:{code}")
    parts = []
    for f in functions(code, language, kind):
        graph = rewired(f.graph, rng) if choice is GraphChoice.shuffled else f.graph
        parts.append(f"## {f.name}\n{linearise(f.cfg, graph, kind)}")
    return "\n\n".join(parts)


def graph_heading(choice: GraphChoice, of: str = "the solution") -> str:
    kind = graph_kind(choice)
    return f"{kind.value.upper()} of {of} (one line per statement; {LEGEND[kind]})"


def feedback_with_graph(feedback: str, failed: str, language, choice: GraphChoice, seed: int = 0) -> str:
    """The feedback, then the failed program's graph text (unchanged when the program cannot be graphed: the
    feedback alone says why it failed)."""
    if graph_kind(choice) is None:
        return feedback
    try:
        text = graph_text(failed, language, choice, seed)
    except Exception:  # a failed program may not parse, in any of the ways a parser can refuse it
        return feedback
    return f"{feedback.rstrip()}\n\nThe {graph_heading(choice, 'the failed program')}:\n{text}"
