"""Run the HumanEval and MBPP reference solutions with their tests under sys.settrace: every observed step
must be a CFG path, every executed statement a node, every observed def -> use pair a DFG edge."""

from __future__ import annotations

import pytest

from codeforge.tasks import load_tasks
from graph_oracle import Oracle


def test_humaneval_reference_solutions_follow_their_graphs():
    failures, steps, reads = [], 0, 0
    for task in load_tasks("humaneval"):
        report = Oracle(task.reference).run(task.test + f"\ncheck({task.entry_point})\n")
        steps, reads = steps + report.steps, reads + report.reads
        failures += [f"{task.task_id}: {v}" for v in report.violations[:2]]
    assert not failures, "\n".join(failures[:20])
    assert steps > 100_000 and reads > 100_000   # the oracle really observed the programs


@pytest.mark.slow
def test_mbpp_reference_solutions_follow_their_graphs():
    failures, programs = [], 0
    for task in load_tasks("mbpp"):   # the data ships with the package
        report = Oracle(task.reference).run(task.setup, *task.tests)
        programs += 1
        failures += [f"{task.task_id}: {v}" for v in report.violations[:2]]
    assert programs == 974
    assert not failures, "\n".join(failures[:20])


def test_oracle_catches_a_missing_edge():
    """The oracle is not vacuous: drop the loop back edge and it must complain."""
    from codeforge.graphs.vocabulary import EdgeKind

    source = "def f(n):\n    t = 0\n    for i in range(n):\n        t += i\n    return t\n"
    oracle = Oracle(source)
    cfg = next(c for c in oracle.cfgs if c.name == "f")
    back = [(u, v, k) for u, v, k in cfg.edges() if k is EdgeKind.LOOP_BACK]
    cfg.graph.remove_edges_from(back)
    report = oracle.run("f(3)\n")
    assert any("is no CFG path" in v for v in report.violations)


def test_oracle_catches_a_missing_data_edge():
    source = "def f(n):\n    t = n\n    t = t + 1\n    return t\n"
    oracle = Oracle(source)
    cfg = next(c for c in oracle.cfgs if c.name == "f")
    node = next(n for n in cfg.nodes if n.text == "t = t + 1")
    node.uses = ()
    report = oracle.run("f(3)\n")
    assert any("has no DFG edge" in v for v in report.violations)
