"""Runs started from the pages (`codeforge serve --allow-runs`): bench's options as a form, the run in a thread of
the server, its progress streamed to the page as server-sent events, and a cancel that keeps what finished.

The progress is bench's own: the run's Reporter (bench.runner) records each event the terminal's progress bar
shows, and every open page reads them from the start. A run stores each sample as it is generated and each verdict
as it comes back, so cancelling (at the next event) keeps everything stored so far; the same settings started again
resume it, as the command does.
"""

from __future__ import annotations

import dataclasses
import enum
import itertools
import json
import threading
import time
import typing
from pathlib import Path
from urllib.parse import parse_qsl
from typing import Any, Iterator, Optional

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, StreamingResponse

from ..bench.config import BenchConfig
from ..config import ConfigError, is_sequence, plain, unwrap_optional
from ..analyzers.base import Tool
from ..i18n import _
from ..tasks import DatasetError, load_tasks
from .pages import Gone, render

router = APIRouter()
HIDDEN = ("db", "json", "export")  # the server's own store; presentation and files are the command line's


class Cancelled(Exception):
    """Raised inside the run at its next event once the page asked to cancel it."""


class Job:
    """One run started from the pages: its settings, its events so far, and how it ended."""

    def __init__(self, number: int, config: BenchConfig, task_id: Optional[str] = None, repair=None):
        self.number, self.config, self.task_id = number, config, task_id  # task_id: a playground's one task
        self.repair = repair  # a playground's RepairConfig: its answer repaired from analyzer findings
        self.events: list[dict] = []
        self.state = "running"  # running, finished, cancelled, failed
        self.cancel_asked = False
        self.run_id: Optional[int] = None
        self.changed = threading.Condition()

    def add(self, kind: str, **values: Any) -> None:
        if self.cancel_asked and self.state == "running":
            raise Cancelled()
        with self.changed:
            self.events.append({"kind": kind, "at": round(time.time(), 3), **values})
            self.changed.notify_all()

    def end(self, state: str, **values: Any) -> None:
        with self.changed:
            self.state = state
            self.events.append({"kind": state, "at": round(time.time(), 3), **values})
            self.changed.notify_all()

    def since(self, start: int, timeout: float) -> list[dict]:
        """The events after the first `start`, waiting up to `timeout` seconds for one while the run goes on."""
        with self.changed:
            if len(self.events) <= start and self.state == "running":
                self.changed.wait(timeout)
            return self.events[start:]


class JobReporter:
    """bench.runner's Reporter: each call an event of the job (and the place a cancel takes effect)."""

    def __init__(self, job: Job):
        self.job = job

    def model_loading(self, model):
        self.job.add("model_loading", model=model)

    def model_loaded(self, seconds):
        self.job.add("model_loaded", seconds=round(seconds, 2))

    def round_started(self, round, to_generate, to_execute):
        self.job.add("round", round=round, to_generate=to_generate, to_execute=to_execute)

    def generated(self, count):
        self.job.add("generated", count=count)

    def executed(self, passed):
        self.job.add("executed", passed=bool(passed))

    def answered(self):
        self.job.add("answered")

    def sandbox_failed(self, message):
        self.job.add("sandbox_error", message=message)

    # repair.loop's Reporter: a playground whose answer is repaired from analyzer findings
    def epoch_started(self, epoch, to_generate, to_check):
        self.job.add("epoch", epoch=epoch, to_generate=to_generate, to_check=to_check)

    def judged(self, kept):
        self.job.add("judged", kept=bool(kept))


class Jobs:
    """The runs this server started, by number (kept while the server runs)."""

    def __init__(self, db: Path):
        self.db = db
        self.jobs: dict[int, Job] = {}
        self.numbers = itertools.count(1)
        self.lock = threading.Lock()

    def start(self, config: BenchConfig, task_id: Optional[str] = None, repair=None) -> Job:
        with self.lock:
            job = Job(next(self.numbers), config, task_id, repair)
            self.jobs[job.number] = job
        threading.Thread(target=self._run, args=(job,), name=f"codeforge-run-{job.number}", daemon=True).start()
        return job

    def _run(self, job: Job) -> None:
        if job.repair is not None:
            self._repair(job)
            return
        from ..bench.session import BenchError, run_bench
        from ..store import Store

        try:
            outcome = run_bench(job.config, reporter=JobReporter(job))
        except Cancelled:
            job.run_id = _run_id(job.config, self.db)
            job.end("cancelled", run=job.run_id, stored=_stored(job.run_id, self.db))
        except BenchError as exc:
            job.run_id = _run_id(job.config, self.db)
            if job.task_id is not None and job.run_id is not None and not _stored(job.run_id, self.db):
                with Store.open(self.db) as store:  # a playground try that stored nothing leaves nothing behind
                    store.delete_run(job.run_id)
                job.run_id = None
            job.end("failed", message=str(exc), run=job.run_id)
        except Exception as exc:  # the page says what happened; the server goes on
            job.end("failed", message=f"{type(exc).__name__}: {exc}", run=_run_id(job.config, self.db))
        else:
            job.run_id = outcome.run.id
            final = outcome.rounds[-1] if outcome.rounds else None
            with Store.open_read_only(self.db) as store:
                tasks = len(store.task_ids(outcome.run.id))
            job.end("finished", run=outcome.run.id, name=outcome.run.name, tasks=tasks,
                    solved=final.solved if final else None,
                    pass_at_1=final.scores[1].value if final and 1 in final.scores else None,
                    unchecked=outcome.unchecked)


    def _repair(self, job: Job) -> None:
        """A playground try with analyzers: bench generates the answer (its run named as `codeforge repair DATASET`
        names it), then repair feeds the findings back for its epochs (the run named in the form)."""
        from ..repair.session import RepairError, run_repair

        reporter = JobReporter(job)
        try:
            outcome = run_repair(job.repair, reporter=reporter, bench_reporter=reporter)
        except Cancelled:
            job.run_id = _run_id(job.config, self.db, job.repair.run_name) or _run_id(job.config, self.db)
            job.end("cancelled", run=job.run_id, stored=_stored(job.run_id, self.db))
        except RepairError as exc:
            job.end("failed", message=str(exc), run=_run_id(job.config, self.db, job.repair.run_name))
        except Exception as exc:  # the page says what happened; the server goes on
            job.end("failed", message=f"{type(exc).__name__}: {exc}", run=None)
        else:
            if outcome.run is None:  # the answer had no finding: nothing to repair
                job.run_id = outcome.source.id if outcome.source else None
                job.end("finished", run=job.run_id, name=outcome.source.name if outcome.source else None,
                        clean=True, message=_("The answer has no finding: nothing to repair."))
                return
            job.run_id = outcome.run.id
            job.end("finished", run=outcome.run.id, name=outcome.run.name,
                    source=outcome.source.id if outcome.source else None)


def _run_id(config: BenchConfig, db: Path, name: Optional[str] = None) -> Optional[int]:
    """The stored run a job worked on, by its name (a cancelled or failed one may have stored part of it); `name`:
    the repair run of a playground try with analyzers."""
    from ..bench.runs import default_run_name
    from ..store import Store, StoreError
    from ..vocabulary import Workflow

    try:
        with Store.open_read_only(db) as store:
            workflow = Workflow.bench if name is None else Workflow.repair
            name = name or config.run_name or default_run_name(config)
            found = [r for r in store.runs() if r.name == name and r.workflow is workflow]
    except StoreError:
        return None
    return max(found, key=lambda r: r.updated_at).id if found else None


def _stored(run_id: Optional[int], db: Path) -> int:
    from ..store import Store

    if run_id is None:
        return 0
    with Store.open_read_only(db) as store:
        return len(store.verdicts(run_id))


# -- the form ---------------------------------------------------------------------------------------------------


def _settings() -> Iterator[tuple[dataclasses.Field, Any, bool]]:
    """bench's settings the form has: each field, its type without Optional, and whether it may be left out."""
    hints = typing.get_type_hints(BenchConfig)
    for field in BenchConfig.settings_fields():
        if field.name not in HIDDEN:
            yield (field, *unwrap_optional(hints[field.name]))


def form_fields(values: Optional[dict] = None) -> list[dict]:
    """bench's settings as form fields, by panel: name, label (its option), help, kind (text, number, check,
    choice), choices, and the value to show."""
    values = values or {}
    fields = []
    for field, inner, _optional in _settings():
        default = plain(field.default) if field.default is not dataclasses.MISSING else None
        shown = values.get(field.name, ",".join(map(str, default)) if isinstance(default, list) else
                           "" if default is None else default)
        if isinstance(inner, type) and issubclass(inner, enum.Enum):
            kind, choices = "choice", [m.value for m in inner]
        elif inner is bool:
            kind, choices = "check", []
        elif inner in (int, float):
            kind, choices = "number", []
        else:
            kind, choices = "text", []
        flag = (field.metadata["flags"] or ("--" + field.name.replace("_", "-"),))[0]
        fields.append({"name": field.name, "label": flag, "help": _(field.metadata["help"]) if field.metadata["help"]
                       else "", "kind": kind, "choices": choices, "value": shown,
                       "step": "any" if inner is float else "1", "panel": _(field.metadata["panel"] or "Options")})
    return fields


def config_from_form(form: dict[str, str], db: Path) -> BenchConfig:
    """The form's values as BenchConfig (the server's store as --db); ConfigError or ValueError when they do not
    make one."""
    values: dict[str, Any] = {}
    for field, inner, optional in _settings():
        raw = form.get(field.name)
        if inner is bool:
            values[field.name] = raw is not None and raw not in ("", "false", "off")
            continue
        if raw is None or (raw.strip() == "" and (optional or is_sequence(inner))):
            continue  # left empty: the default
        values[field.name] = raw.strip()
    values["db"] = str(db)
    return BenchConfig.from_dict(values, where=_("the form"))


# -- the pages ----------------------------------------------------------------------------------------------------


def _shown(form: dict[str, str]) -> dict:
    """The form as it was filled, to show again: an unticked box is absent from it, so every box is given."""
    shown = dict(form)
    for field, inner, _optional in _settings():
        if inner is bool:
            shown[field.name] = "on" if form.get(field.name) == "on" else False
    return shown


def _jobs(request: Request) -> Jobs:
    return request.app.state.jobs


@router.get("/runs/new")
def new_run(request: Request):
    return render(request, "new_run.html", fields=form_fields(), problem=None)


@router.post("/runs/new")
async def start_run(request: Request):
    # the form is urlencoded (no files): the standard library reads it, no multipart parser needed
    form = dict(parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True))
    try:
        config = config_from_form(form, request.app.state.db)
    except (ConfigError, ValueError) as exc:
        return render(request, "new_run.html", 400, fields=form_fields(_shown(form)), problem=str(exc))
    if not config.dataset:
        return render(request, "new_run.html", 400, fields=form_fields(_shown(form)), problem=_("Name a dataset."))
    job = _jobs(request).start(config)
    return RedirectResponse(f"/jobs/{job.number}", status_code=303)


def _job(request: Request, number: int) -> Job:
    job = _jobs(request).jobs.get(number)
    if job is None:
        raise Gone(f"job {number}")  # untranslated: the page names it as it names a run
    return job


@router.get("/jobs/{number}")
def job_page(request: Request, number: int):
    job = _job(request, number)
    return render(request, "job.html", job=job, settings=json.dumps(job.config.to_dict(), indent=2, default=str))


@router.get("/jobs/{number}/events")
def job_events(request: Request, number: int):
    """The job's events from the first, as server-sent events, until it ends (a page that reconnects gets them
    all again: they are few)."""
    job = _job(request, number)

    def stream() -> Iterator[str]:
        sent = 0
        while True:
            found = job.since(sent, timeout=15.0)
            if not found:
                yield ": still running\n\n"  # keeps the connection open through proxies
                continue
            for event in found:
                yield f"data: {json.dumps(event)}\n\n"
            sent += len(found)
            if job.state != "running" and sent >= len(job.events):
                return

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


@router.post("/jobs/{number}/cancel")
def cancel_job(request: Request, number: int):
    job = _job(request, number)
    job.cancel_asked = True
    return RedirectResponse(f"/jobs/{job.number}", status_code=303)


# -- the playground -----------------------------------------------------------------------------------------------

PLAYGROUND_FIELDS = ("backend", "model", "base_url", "adapter", "api_key_env", "temperature", "max_new_tokens")
TOOLS = [t.value for t in Tool]


@router.get("/playground")
def playground(request: Request):
    return render(request, "playground.html", fields=[f for f in form_fields() if f["name"] in PLAYGROUND_FIELDS],
                  problem=None, form={"dataset": "humaneval", "chain": "2", "feedback": "visible", "epochs": "2",
                                      "analyzers": []}, tools=TOOLS)


def repair_settings(values: dict, analyzers: list[str], epochs: str, db: Path):
    """The repair a playground try with analyzers runs: `codeforge repair DATASET --tasks TASK --analyzers ...
    --epochs N` with the form's model, stored under the try's name."""
    from ..repair.config import RepairConfig

    shared = {k: v for k, v in values.items() if k in PLAYGROUND_FIELDS}
    return RepairConfig.from_dict({**shared, "targets": values["dataset"], "tasks": values.get("tasks", ""),
                                   "analyzers": ",".join(analyzers), "epochs": epochs,
                                   "run_name": values["run_name"], "db": str(db)}, where=_("the form"))


@router.post("/playground")
async def try_task(request: Request):
    """One task (of a dataset, or written in the form as a jsonl row), generated, run in the sandbox and sent its
    feedback for up to `chain` more rounds: a bench run of that task, stored under its own name."""
    pairs = parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True)
    form = dict(pairs)
    analyzers = [value for key, value in pairs if key == "analyzers"]  # one per ticked box
    db = Path(request.app.state.db)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    values = {name: form[name] for name in PLAYGROUND_FIELDS if form.get(name, "").strip()}
    values.update(chain=form.get("chain") or "0", feedback=form.get("feedback") or "visible",
                  run_name=f"PLAYGROUND-{stamp}")
    try:
        if form.get("prompt", "").strip():
            task_id = f"playground/{stamp}"
            row = {"task_id": task_id, "prompt": form["prompt"], "test": form.get("test", ""),
                   "language": form.get("language") or "python"}
            if form.get("entry_point", "").strip():
                row["entry_point"] = form["entry_point"].strip()
            folder = db.parent / "playground"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{stamp}.jsonl"
            path.write_text(json.dumps(row) + "\n", encoding="utf-8")
            values.update(dataset=f"jsonl:{path}")
        else:
            task_id = form.get("task", "").strip()
            if not task_id:
                raise ValueError(_("Name a task of the dataset, or write one."))
            values.update(dataset=form.get("dataset") or "humaneval", tasks=task_id)
        repair = repair_settings(values, analyzers, form.get("epochs") or "0", db) if analyzers else None
        if repair is not None:  # bench only generates the answer; the repair's epochs are the feedback
            values = {**values, "chain": "0", "run_name": ""}
        config = config_from_form(values, db)
        load_tasks(config.dataset, task_ids=[task_id])  # the task exists and loads, before anything runs
    except (ConfigError, ValueError, DatasetError, OSError) as exc:
        return render(request, "playground.html", 400, problem=str(exc), form={**form, "analyzers": analyzers},
                      fields=[f for f in form_fields(values) if f["name"] in PLAYGROUND_FIELDS], tools=TOOLS)
    job = _jobs(request).start(config, task_id, repair)
    return RedirectResponse(f"/jobs/{job.number}", status_code=303)


@router.get("/jobs/{number}/rounds")
def job_rounds(request: Request, number: int):
    """The playground task's rounds stored so far (htmx asks every second; 286 once the run ended stops it)."""
    from ..store import Store
    from .render import language_of
    from .task import rounds_of

    job = _job(request, number)
    ended = job.state != "running"
    db = Path(request.app.state.db)
    language = language_of(job.config.dataset or "")
    runs = [(_("Generated"), _run_id(job.config, db))]
    if job.repair is not None:
        runs.append((_("Repair epochs (epoch 0: the generated answer)"), _run_id(job.config, db, job.repair.run_name)))
    groups = []
    with Store.open_read_only(db) as store:
        for title, run_id in runs:
            samples = store.samples(run_id, job.task_id) if run_id is not None and job.task_id else []
            if samples:
                groups.append((title, rounds_of(samples, language)))
    return render(request, "_rounds.html", 286 if ended else 200, job=job, groups=groups)
