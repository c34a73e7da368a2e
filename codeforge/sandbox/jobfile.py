"""Jobs and results as JSON lines: reading with line-numbered errors, resuming, appending safely.

Loads the job contract (pydantic) only when a file is read, so that `sandbox exec` can check its paths and
start containers first.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Optional

from ..i18n import _, ngettext, said_again

MAX_REPORTED_ERRORS = 10
log = logging.getLogger(__name__)


class JobFileError(ValueError):
    """A jobs file that cannot be used as it is; the message names every bad line (up to ten)."""


def read_jobs(path: Path) -> list:
    from pydantic import ValidationError

    from .jobs import Job

    if not path.is_file():
        raise JobFileError(_("{path}: no such file").format(path=path))
    jobs: list = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    try:
        with path.open(encoding="utf-8", errors="strict") as handle:
            lines = list(handle)
    except UnicodeDecodeError as exc:
        raise JobFileError(_("{path}: not UTF-8 text ({error})").format(path=path, error=exc)) from exc
    except OSError as exc:
        raise JobFileError(_("{path}: cannot read it ({error})").format(path=path, error=exc.strerror or exc)) \
            from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(_("line {number}: not valid JSON ({error} at column {column})").format(
                number=number, error=exc.msg, column=exc.colno))
            continue
        try:
            job = Job.model_validate(data)
        except ValidationError as exc:
            errors.append(_("line {number}: {problems}").format(number=number, problems=problems(exc, "job")))
            continue
        if job.id in seen:
            errors.append(_("line {number}: id {id} already used on line {first}").format(
                number=number, id=repr(job.id), first=seen[job.id]))
            continue
        seen[job.id] = number
        jobs.append(job)
    if errors:
        shown = errors[:MAX_REPORTED_ERRORS]
        more = "\n" + _("... and {count} more").format(count=len(errors) - len(shown)) \
            if len(errors) > len(shown) else ""
        head = ngettext("{path}: {count} bad line(s), nothing was run:",
                        "{path}: {count} bad line(s), nothing was run:", len(errors)).format(
            path=path, count=len(errors))
        rule = _("Each line must be a JSON object with `id`, `language` and `source` or `files`.")
        message = "\n".join([head, *shown]) + more + "\n" + rule
        raise JobFileError(message)
    if not jobs:
        raise JobFileError(_("{path}: no jobs in the file").format(path=path))
    return jobs


@dataclass
class ResultsScan:
    """What a results file holds, read without changing it."""

    ids: set[str] = field(default_factory=set)
    results: int = 0  # lines that are results
    bad_lines: list[tuple[int, str]] = field(default_factory=list)  # (line number, why) of other whole lines
    torn_tail: bool = False  # the last line has no newline and is no result: its writer was killed mid-line

    @property
    def is_results_file(self) -> bool:
        """An empty file is one; a file with lines but not one result is something else."""
        return self.results > 0 or not (self.bad_lines or self.torn_tail)


def scan_results(path: Path) -> ResultsScan:
    """Read a results file line by line. Nothing is changed: a bad line is reported, never removed."""
    from pydantic import ValidationError

    from .jobs import Result

    scan = ResultsScan()
    if not path.exists():
        return scan
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                result = Result.model_validate_json(raw)
            except ValidationError as exc:
                if raw.endswith(b"\n"):
                    scan.bad_lines.append((number, _why_not_a_result(exc)))
                else:
                    scan.torn_tail = True
                continue
            scan.ids.add(result.id)
            scan.results += 1
    return scan


def problems(exc, whole: str = "") -> str:
    """A pydantic ValidationError as plain sentences in the chosen language, each after the field it is about
    (`whole` names an error about the whole object), without pydantic's internals ("Value error, ")."""
    parts = []
    for error in exc.errors():
        message = said_again(error["msg"].removeprefix("Value error, "))
        where = ".".join(str(p) for p in error["loc"]) or whole
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def _why_not_a_result(exc) -> str:
    error = exc.errors()[0]
    if error["type"] == "json_invalid":
        return _("not valid JSON")
    where = ".".join(str(p) for p in error["loc"]) or "line"
    return _("not a result ({where}: {message})").format(where=where, message=said_again(error["msg"]))


def finished_ids(path: Path) -> set[str]:
    """Ids already in a results file. Only reads: a bad line is logged with its number and left alone."""
    scan = scan_results(path)
    for number, why in scan.bad_lines:
        log.warning("%s line %d is %s; left as it is", path, number, why)
    return scan.ids


def check_out_path(jobs: Path, out: Path) -> None:
    """Refuse a results path that cannot be written without harm: a directory, or the jobs file itself."""
    if out.is_dir():
        raise JobFileError(_("--out {out} is a directory: name a file in it for the results, e.g. {example}")
                           .format(out=out, example=out / "results.jsonl"))
    try:
        same = out.exists() and jobs.exists() and os.path.samefile(out, jobs)
    except OSError:
        same = False
    if same:
        message = _("--out {out} is the jobs file: results would replace the jobs. Name another file for the "
                    "results.") if out == jobs else \
            _("--out {out} is the jobs file (the same file as {jobs}): results would replace the jobs. Name another "
              "file for the results.")
        raise JobFileError(message.format(out=out, jobs=jobs))


def resume_scan(out: Path, overwrite: bool) -> ResultsScan:
    """What is already done in `out`, refusing a file that is not a results file (unless it is replaced)."""
    if overwrite:
        return ResultsScan()
    try:
        scan = scan_results(out)
    except OSError as exc:
        raise JobFileError(_("--out {out}: cannot read it ({error}); nothing was run").format(
            out=out, error=exc.strerror or exc)) from exc
    if not scan.is_results_file:
        first = scan.bad_lines[0] if scan.bad_lines else (1, _("a line without an end"))
        raise JobFileError(_("--out {out} exists and is not a results file (line {number} is {why}, and no line is "
                             "a result). It is left as it is and nothing was run: name another file, or pass "
                             "--overwrite to replace it.").format(out=out, number=first[0], why=first[1]))
    return scan


def mend_torn_tail(path: Path) -> int:
    """Before appending: cut a last line that has no newline and is no result (a writer killed mid-line);
    a whole result without its newline gets one. Returns the bytes cut. Nothing else is ever cut."""
    from pydantic import ValidationError

    from .jobs import Result

    if not path.is_file():
        return 0
    with path.open("r+b") as handle:
        size = handle.seek(0, os.SEEK_END)
        start = _last_line_start(handle, size)
        if start == size:
            return 0
        handle.seek(start)
        tail = handle.read()
        try:
            Result.model_validate_json(tail)
        except ValidationError:
            handle.truncate(start)
            return size - start
        handle.seek(size)
        handle.write(b"\n")
        return 0


def _last_line_start(handle, size: int) -> int:
    """The offset just after the file's last newline (0 if it has none)."""
    end = size
    while end > 0:
        begin = max(0, end - 65536)
        handle.seek(begin)
        index = handle.read(end - begin).rfind(b"\n")
        if index >= 0:
            return begin + index + 1
        end = begin
    return 0


class ResultWriter:
    """Appends one result per line and flushes it, so a killed process loses at most the line in flight.

    Opening it to append mends what such a kill left (see mend_torn_tail); `cut_bytes` says how much."""

    def __init__(self, path: Path, overwrite: bool = False):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.cut_bytes = 0 if overwrite else mend_torn_tail(path)
        self.handle: Optional[IO[str]] = path.open("w" if overwrite else "a", encoding="utf-8")
        self.written = 0

    def write(self, result) -> None:
        assert self.handle is not None
        self.handle.write(result.to_json() + "\n")
        self.handle.flush()
        self.written += 1

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None
