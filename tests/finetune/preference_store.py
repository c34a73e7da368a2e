"""A results store written as `codeforge bench` writes one, for the preference-pair tests: stored samples of the
sixteen tiny tasks (tiny_tasks.SPECS) with the prompts bench sends a base model and the sandbox's verdicts.

`right(i)` is task i's reference program and `wrong(i, body)` the same function with another body: the verdicts
stored are what the sandbox says of them (the tests in tiny_tasks check the body).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from tiny_tasks import SPECS

from codeforge.models.prompts import base_feedback_prompt
from codeforge.store import NO_CODE, Store


@dataclass(frozen=True)
class Answer:
    sample: int
    code: Optional[str]  # None: the answer held no code
    passed: Optional[bool]  # None: no verdict stored (the sandbox failed)
    round: int = 0
    feedback: Optional[str] = None  # round >= 1: what bench said about the sample's previous answer


def prompt_of(i: int) -> str:
    name, arg, doc, _, _ = SPECS[i]
    return f'def {name}({arg}):\n    """{doc}"""\n'


def right(i: int) -> str:
    return prompt_of(i) + f"    return {SPECS[i][3]}\n"


def wrong(i: int, body: str = "None") -> str:
    return prompt_of(i) + f"    return {body}\n"


def add_run(db: Path, name: str, tasks: Path, answers: dict[int, list[Answer]], *, workflow: str = "bench",
            task_count: int = len(SPECS)) -> None:
    """Store run `name` on jsonl:`tasks` with `answers` per task index."""
    with Store.open(db) as store:
        run = store.create_run(name, f"jsonl:{tasks}", model="tiny", backend="hf", adapter=None, prompt_mode="base",
                               feedback="visible", chain=max((a.round for v in answers.values() for a in v),
                                                             default=0),
                               samples_per_task=max((a.sample + 1 for v in answers.values() for a in v), default=1),
                               seed=0, config={"workflow": workflow}, versions={})
        store.set_tasks(run.id, [f"tiny/{i}" for i in range(task_count)])
        for i, task_answers in answers.items():
            code_of = {}
            for a in sorted(task_answers, key=lambda a: a.round):
                code_of[(a.sample, a.round)] = a.code
                if a.round == 0:
                    text = prompt_of(i)
                else:
                    text = base_feedback_prompt(prompt_of(i), "python", code_of[(a.sample, a.round - 1)] or "",
                                                a.feedback)
                sample_id = store.add_sample(run.id, f"tiny/{i}", a.sample, a.round,
                                             prompt=json.dumps({"text": text}), raw_output=a.code or "no code here",
                                             code=a.code, finish_reason="stop", prompt_tokens=1, completion_tokens=1,
                                             gen_seconds=0.0, feedback=a.feedback,
                                             feedback_source="visible" if a.feedback else None)
                if a.code is None:
                    store.add_execution(sample_id, "tests", NO_CODE, False, 0.0, {})
                elif a.passed is not None:
                    store.add_execution(sample_id, "tests", "passed" if a.passed else "failed", a.passed, 0.1, {})
        store.finish_run(run.id)
