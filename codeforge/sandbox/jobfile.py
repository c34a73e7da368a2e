"""Jobs and results as JSON lines: reading with line-numbered errors, resuming, appending safely."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Optional

from pydantic import ValidationError

from .jobs import Job, Result

MAX_REPORTED_ERRORS = 10


class JobFileError(ValueError):
    """A jobs file that cannot be used as it is; the message names every bad line (up to ten)."""


def read_jobs(path: Path) -> list[Job]:
    if not path.is_file():
        raise JobFileError(f"{path}: no such file")
    jobs: list[Job] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    with path.open(encoding="utf-8", errors="strict") as handle:
        try:
            lines = list(handle)
        except UnicodeDecodeError as exc:
            raise JobFileError(f"{path}: not UTF-8 text ({exc})") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"line {number}: not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        try:
            job = Job.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'job'}: {err['msg']}" for err in exc.errors()
            )
            errors.append(f"line {number}: {problems}")
            continue
        if job.id in seen:
            errors.append(f"line {number}: id {job.id!r} already used on line {seen[job.id]}")
            continue
        seen[job.id] = number
        jobs.append(job)
    if errors:
        shown = errors[:MAX_REPORTED_ERRORS]
        more = f"\n... and {len(errors) - len(shown)} more" if len(errors) > len(shown) else ""
        raise JobFileError(f"{path}: {len(errors)} bad line(s), nothing was run:\n" + "\n".join(shown) + more +
                           "\nEach line must be a JSON object with `id`, `language` and `source` or `files`.")
    if not jobs:
        raise JobFileError(f"{path}: no jobs in the file")
    return jobs


def finished_ids(path: Path) -> set[str]:
    """Ids already in a results file. A torn last line (the writer was killed mid-line) is cut off."""
    if not path.exists():
        return set()
    done: set[str] = set()
    good_bytes = 0
    with path.open("rb") as handle:
        for raw in handle:
            if not raw.endswith(b"\n"):
                break
            try:
                done.add(Result.model_validate_json(raw).id)
            except ValidationError:
                break
            good_bytes += len(raw)
    if good_bytes != path.stat().st_size:
        with path.open("r+b") as handle:
            handle.truncate(good_bytes)
    return done


class ResultWriter:
    """Appends one result per line and flushes it, so a killed process loses at most the line in flight."""

    def __init__(self, path: Path, overwrite: bool = False):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.handle: Optional[IO[str]] = path.open("w" if overwrite else "a", encoding="utf-8")
        self.written = 0

    def write(self, result: Result) -> None:
        assert self.handle is not None
        self.handle.write(result.to_json() + "\n")
        self.handle.flush()
        self.written += 1

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None
