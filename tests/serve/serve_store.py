"""Stores for the serve tests, built through the store's API: the report tests' nine research methods on
HumanEval (with a program, an error and feedback that differ in every round), plus runs on other datasets that
the research's heatmap and comparisons never see: one whose program holds a script, a repair run, a training run."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "report"))

from report_store import (CHAIN, HUMANEVAL, RESEARCH, make_repair_run, make_research_run, make_round,  # noqa: E402
                          make_run, record_repair, research_pass_rounds)

from codeforge.store import Store  # noqa: E402

SCRIPT = "<script>alert(1)</script>"
# A training run's manifest as codeforge finetune writes it (models.manifest.Manifest), its data contaminated.
MANIFEST = {"format": 1, "method": "sft", "base_model": "Qwen/Qwen2.5-Coder-0.5B-Instruct", "data": {"mbpp": "0" * 64},
            "graph": "pdg", "graph_format": "text", "feedback": [], "rows": {"code": 10, "total": 10},
            "contamination": {"dropped": 2, "kept": 1, "contaminated": True}, "prompt_mode": "chat",
            "settings": {}, "seed": 0, "versions": {}, "train": {"steps": 5}}


def program(name: str, task: str, round: int) -> str:
    return f"def solve():\n    # {name} {task} round {round}\n    return {round}\n"


def error(round: int) -> str:
    return f"AssertionError: expected 3, got {round}"


def feedback(round: int) -> str:
    return f"Round {round - 1} failed: {error(round - 1)}"


def add_round(store: Store, run, task: str, round: int, passed: Optional[bool], *, code: Optional[str] = None,
              raw: Optional[str] = None, sample: int = 0) -> None:
    code = program(run.name, task, round) if code is None else code
    sample_id = store.add_sample(
        run.id, task, sample, round, prompt='[{"role": "user", "content": "Write solve()."}]',
        raw_output=raw if raw is not None else f"```python\n{code}```", code=code, finish_reason="stop",
        prompt_tokens=10, completion_tokens=20, gen_seconds=0.1,
        feedback=feedback(round) if round else None, feedback_source=run.feedback if round else None)
    if passed is None:
        return
    status = "passed" if passed else "failed"
    result = {"id": str(sample_id), "status": status, "exit_code": 0 if passed else 1, "stdout": "",
              "stderr": "" if passed else f"Traceback (most recent call last):\n{error(round)}\n", "details": {}}
    store.add_execution(sample_id, "tests", status, passed, 0.05, result)


def serve_store(path: Path) -> Path:
    """RESEARCH's nine methods on HumanEval (rounds as the report tests have them), then XSS and TUNED (its adapter
    trained on contaminated data) on `mbpp`, the first round of curriculum CUR
    on `mbpp-curriculum`, a repair run on `humaneval-fix` and two training runs."""
    rounds = research_pass_rounds()
    with Store.open(path) as store:
        for name in RESEARCH:
            run = make_research_run(store, name)
            for task in HUMANEVAL:
                passes = rounds[name][task]
                for r in range(run.chain + 1):
                    add_round(store, run, task, r, passes == r)
                    if passes == r:
                        break
            store.finish_run(run.id)
        xss = make_run(store, f"XSS{SCRIPT}", dataset="mbpp", chain=1, tasks=["Mbpp/1", f"Mbpp/{SCRIPT}"])
        add_round(store, xss, "Mbpp/1", 0, False, code=f"print('{SCRIPT}')\n", raw=f"Here: {SCRIPT}")
        add_round(store, xss, "Mbpp/1", 1, True, code=f"print('{SCRIPT}!')\n")
        add_round(store, xss, f"Mbpp/{SCRIPT}", 0, True)
        store.finish_run(xss.id)
        tuned = make_run(store, "TUNED", dataset="mbpp", tasks=["Mbpp/1"], adapter="adapters/pdg-lora",
                         labels={"adapter_manifest": MANIFEST})
        add_round(store, tuned, "Mbpp/1", 0, True)
        store.finish_run(tuned.id)
        round_one = make_round(store, "CUR", 1, 2, new=["Mbpp/2"], revisited=[], dataset="mbpp-curriculum")
        add_round(store, round_one, "Mbpp/2", 0, False)
        store.finish_run(round_one.id)
        repair = make_repair_run(store, "FIX", dataset="humaneval-fix", tasks=[f"T/{i}" for i in range(4)])
        record_repair(store, repair)
        store.start_finetune("pdg-lora", "adapters/pdg-lora", "Qwen/Qwen2.5-Coder-0.5B-Instruct", {"epochs": 1})
        store.finish_finetune("pdg-lora", MANIFEST)
        store.start_finetune("ast-lora", "adapters/ast-lora", "Qwen/Qwen2.5-Coder-0.5B-Instruct", {"epochs": 1})
    return path


def run_id(path: Path, name: str) -> int:
    with Store.open(path) as store:
        return next(r.id for r in store.runs() if r.name == name)
