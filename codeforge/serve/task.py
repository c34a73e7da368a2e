"""A task in a run: each sample's rounds (the facts `bench show` prints), and the compare page's two samples
side by side."""

from __future__ import annotations

import json
from typing import Optional

from fastapi import APIRouter, Depends, Request

from ..bench.failure import failure_cause
from ..bench.scores import sample_status
from ..i18n import _
from ..store import SampleRecord, Store
from ..vocabulary import SampleStatus
from .pages import Gone, render, store_of
from .render import diff, highlight, language_of
from .run import run_or_gone

router = APIRouter()


def prompt_text(prompt: str) -> str:
    """A chat prompt (stored as JSON messages) as `role:` blocks; anything else as it is."""
    try:
        messages = json.loads(prompt)
    except ValueError:
        return prompt
    if isinstance(messages, list) and all(isinstance(m, dict) and "content" in m for m in messages):
        return "\n\n".join(f"{m.get('role', '?')}:\n{m['content']}" for m in messages)
    return messages if isinstance(messages, str) else prompt


def _execution(execution) -> dict:
    result = execution.result or {}
    details = result.get("details") if isinstance(result.get("details"), dict) else {}
    tests = details.get("tests") if isinstance(details.get("tests"), list) else []
    rest = {k: v for k, v in result.items() if k not in ("stdout", "stderr", "details", "id", "status")}
    return {"purpose": execution.purpose, "status": execution.status, "passed": execution.passed,
            "duration": execution.duration_s, "stdout": result.get("stdout") or "", "stderr": result.get("stderr") or "",
            "tests": [t for t in tests if isinstance(t, dict)],
            "details": json.dumps({k: v for k, v in details.items() if k != "tests"}, indent=2) if details else "",
            "rest": json.dumps(rest, indent=2) if rest else ""}


def rounds_of(samples: list[SampleRecord], language: str, text: bool = False) -> list[dict]:
    """Per sample index, its rounds, each with what was asked, answered, run and said, and the diff from the
    round before. `text`: a text task's answers (prose, never run)."""
    by_sample: dict[int, list[dict]] = {}
    previous: dict[int, Optional[str]] = {}
    for s in samples:
        status = sample_status(s)
        before = previous.get(s.sample)
        by_sample.setdefault(s.sample, []).append({
            "sample": s, "status": "" if text else status.value, "prompt": prompt_text(s.prompt), "text": text,
            "code": highlight(s.code, "text" if text else language) if s.code is not None else None,
            "cause": failure_cause(s.tested, s.code) if status is not SampleStatus.no_code and not text else None,
            "similarity": [(name, v.value) for name, v in s.similarity.items()],
            "executions": [_execution(e) for e in s.executions.values()],
            "diff": diff(before, s.code, _("round {number}").format(number=s.round - 1),
                         _("round {number}").format(number=s.round))
            if s.round > 0 and s.sample in previous else None})
        previous[s.sample] = s.code
    return [{"index": index, "rounds": rounds} for index, rounds in sorted(by_sample.items())]


@router.get("/runs/{run_id}/tasks/{task_id:path}")
def task_page(request: Request, run_id: int, task_id: str, store: Store = Depends(store_of)):
    run = run_or_gone(store, run_id)
    if task_id not in store.task_ids(run.id):
        raise Gone(run.name, task_id)
    samples = store.samples(run.id, task_id)
    return render(request, "task.html", run=run, task_id=task_id,
                  samples=rounds_of(samples, language_of(run.dataset), run.text_answers))


def final_code(samples: list[SampleRecord]) -> Optional[str]:
    """Sample 0's program after its last round (the one the report's yes/no rests on)."""
    zero = [s for s in samples if s.sample == 0]
    return zero[-1].code if zero else None
