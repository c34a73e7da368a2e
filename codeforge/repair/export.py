"""`--export-dir DIR`: each program's code per epoch in a folder of its own, with its findings beside it.

    DIR/<program>/epoch-0.py             the starting code
    DIR/<program>/epoch-0.findings.json  {"kept", "reason", "tests", "findings": [...]}
    DIR/<program>/epoch-1.py ...         each patch the model wrote (kept or not; the JSON says which)
    DIR/<program>/repaired.py            the code after the last epoch

<program> is the task id (or the file's path) with every character outside [A-Za-z0-9._-] made "_", and
"-sample-N" when the run holds several samples per task. Files are written whole, then renamed into place.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Sequence

from ..store import RunRecord, SampleRecord, Store
from ..vocabulary import Language, Purpose
from .loop import Program, analysis

EXTENSIONS = {Language.python: ".py", Language.go: ".go", Language.c: ".c", Language.cpp: ".cpp"}


def folder_name(program: Program, samples_per_task: int) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]", "_", program.key).strip(".") or "program"
    return f"{name}-sample-{program.sample}" if samples_per_task > 1 else name


def export_run(store: Store, run: RunRecord, programs: Sequence[Program], out: Path) -> Path:
    out = Path(out)
    records: dict[tuple[str, int], list[SampleRecord]] = {}
    for record in store.samples(run.id):
        records.setdefault((record.task_id, record.sample), []).append(record)
    for program in programs:
        folder = out / folder_name(program, run.samples_per_task)
        folder.mkdir(parents=True, exist_ok=True)
        suffix = EXTENSIONS[program.language]
        current = None
        for record in records.get((program.key, program.sample), []):
            verdict = analysis(record)
            tested = record.executions.get(Purpose.tests.value)
            if record.code is not None:
                _write(folder / f"epoch-{record.round}{suffix}", record.code)
            _write(folder / f"epoch-{record.round}.findings.json", json.dumps({
                "epoch": record.round, "kept": None if verdict is None else verdict.get("kept"),
                "reason": None if verdict is None else verdict.get("reason"),
                "tests": None if tested is None else tested.status,
                "findings": [] if verdict is None else verdict.get("findings", [])}, indent=2) + "\n")
            if verdict is not None and verdict.get("kept"):
                current = record
        if current is not None and current.code is not None:
            _write(folder / f"repaired{suffix}", current.code)
    return out


def _write(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
