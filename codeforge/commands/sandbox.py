"""`codeforge sandbox ...`: build images, run programs in throwaway containers, check and clean up.

What a program, a file or the engine says is printed as it is, never read as rich markup.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from typing import Optional

import typer

from ..i18n import _, english
from ..sandbox.config import BuildConfig, DoctorConfig, ExecConfig, PruneConfig, RunConfig
from ..sandbox.settings import Isolation  # noqa: F401  (bench's --isolation takes the same choice)
from ..vocabulary import Language
from ._output import console as _console
from ._output import fail as _fail
from ._settings import settings_command

app = typer.Typer(help="Run untrusted programs in throwaway Docker containers.", no_args_is_help=True)

STATUS_STYLE = {"passed": "green", "failed": "red", "timeout": "yellow", "oom": "magenta",
                "compile_error": "red", "memory_error": "red", "output_limit": "yellow", "sandbox_error": "bold red"}
SUFFIX_LANGUAGE = {".py": Language.python, ".go": Language.go, ".c": Language.c, ".cpp": Language.cpp,
                   ".cc": Language.cpp, ".cxx": Language.cpp}


def _say(console, message: str, style: str = "") -> None:
    from rich.text import Text

    console.print(Text(message, style=style), soft_wrap=True)


def _client(host: Optional[str] = None):
    from ..sandbox.engine import SandboxUnavailable, connect

    try:
        return connect(host=host)
    except SandboxUnavailable as exc:
        _fail(str(exc))


def _open_sandbox(workers: int, isolation: Isolation, client=None, prestarted=()):
    from ..sandbox.docker_sandbox import DockerSandbox, SandboxUnavailable
    from ..sandbox.settings import SandboxSettings

    try:
        return DockerSandbox(SandboxSettings(workers=workers, isolation=isolation.value), client=client or _client(),
                             prestarted=prestarted)
    except SandboxUnavailable as exc:
        _fail(str(exc))


def _terminate_as_interrupt() -> None:
    """SIGTERM ends a run like Ctrl-C does: containers are removed before the process goes."""

    def handler(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


@settings_command(app, "build", BuildConfig)
def build(config: BuildConfig) -> None:
    """Build the sandbox images, skipping those that are up to date.

    Example: codeforge sandbox build all   (or: codeforge sandbox build python,go)
    """
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    from rich.table import Column

    from ..sandbox import images

    client = _client(config.docker_host)
    if config.docker_host:  # a base image made here with debootstrap goes to that engine through the docker CLI
        os.environ["DOCKER_HOST"] = config.docker_host
    wanted = images.kinds_named(config.kinds)
    console = _console(stderr=config.json)  # with --json, stdout holds only the JSON
    done: list[dict] = []
    try:
        base_image = images.resolve_base(client, config.base, lambda text: _say(console, text, "dim"))
        # the description folds rather than squeeze the time to "0:…" in a narrow terminal
        with Progress(SpinnerColumn(), TextColumn("{task.description}", markup=False,
                                                  table_column=Column(ratio=1, overflow="fold")),
                      TimeElapsedColumn(table_column=Column(min_width=7, no_wrap=True)), console=console,
                      transient=False) as progress:
            for kind in wanted:
                name = images.image_name(kind)
                task = progress.add_task(_("{image}: checking").format(image=name), total=None)
                step = lambda text, t=task, n=name: progress.update(t, description=f"{n}: {text[:70]}")  # noqa: E731
                built = images.build_image(client, kind, base_image, force=config.force, on_line=step)
                state = "built" if built else "up to date"
                done.append({"kind": kind, "image": name, "state": state})
                shown = _("{image}: built (on {base})") if built else _("{image}: up to date (on {base})")
                progress.update(task, description=shown.format(image=name, base=base_image), total=1, completed=1)
    except images.ImageError as exc:
        _fail(str(exc))
    if config.json:
        typer.echo(json.dumps({"base": base_image, "images": done}))


@settings_command(app, "run", RunConfig)
def run(config: RunConfig) -> None:
    """Run one program in the sandbox and show its status, output and time.

    The program reads --stdin TEXT, --stdin-file PATH, or this command's own stdin when that is a file or a
    pipe (add.py < in.txt) or with --stdin -.

    Exit code: 0 passed, 1 the program did not pass, 2 the sandbox could not run it.

    Example: codeforge sandbox run hello.py --timeout 5
    """
    from pydantic import ValidationError

    from ..sandbox import recipes
    from ..sandbox.engine import SandboxUnavailable
    from ..sandbox.jobfile import problems
    from ..sandbox.jobs import Action, Job, Status

    file, action = config.file, config.action
    if not file.is_file():
        _fail((_("{path} is a directory: name a program file") if file.is_dir()
               else _("{path} is not there: name a program file")).format(path=file))
    language = config.lang or SUFFIX_LANGUAGE.get(file.suffix)
    if language is None:
        _fail(_("cannot tell the language of {name}: pass --lang python|go|c|cpp").format(name=file.name))
    if action is None and language is Language.go and not file.name.endswith("_test.go"):
        action = Action.run
    try:
        source = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        _fail(_("cannot run {path}: it is not UTF-8 text").format(path=file))
    except OSError as exc:
        _fail(_("cannot read {path}: {error}").format(path=file, error=exc.strerror or exc))
    stdin = _program_stdin(config)
    body, sandbox_name = recipes.one_file(language, action, file.name, source)
    try:
        job = Job(id=file.name, language=language, action=action, stdin=stdin, timeout_s=config.timeout,
                  memory_mb=config.memory, **body)
    except ValidationError as exc:
        _fail(_("cannot run {path}: {error}").format(path=file, error=problems(exc)))
    _terminate_as_interrupt()
    with _open_sandbox(1, config.isolation) as sandbox:
        try:
            result = sandbox.run(job)
        except SandboxUnavailable as exc:
            _fail(str(exc))
    if config.json:
        typer.echo(result.to_json())
    else:
        _show_result(result, sandbox_name, file.name, full=config.full)
    if result.status is Status.sandbox_error:
        raise typer.Exit(2)
    raise typer.Exit(0 if result.status is Status.passed else 1)


def _program_stdin(config: RunConfig) -> Optional[str]:
    """What the program reads on stdin: --stdin-file, --stdin TEXT, or this command's own redirected stdin."""
    if config.stdin_file is not None:
        try:
            return config.stdin_file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            _fail(_("--stdin-file {path} is not UTF-8 text").format(path=config.stdin_file))
        except OSError as exc:
            _fail(_("cannot read --stdin-file {path}: {error}").format(path=config.stdin_file,
                                                                       error=exc.strerror or exc))
    if config.stdin is not None and config.stdin != "-":
        return config.stdin
    stream = sys.stdin
    try:
        redirected = stream is not None and not stream.isatty()
    except ValueError:  # closed
        redirected = False
    if config.stdin != "-" and not redirected:
        return None
    if stream is None:
        return ""
    try:
        text = stream.read()
    except UnicodeDecodeError:
        _fail(_("the standard input is not UTF-8 text"))
    # Nothing redirected in (</dev/null) is no input, as when nothing is given.
    return text if text or config.stdin == "-" else None


def _show_result(result, sandbox_name: str, user_name: str, full: bool = False) -> None:
    from rich.panel import Panel
    from rich.text import Text

    from ..sandbox import display

    console = _console()
    style = STATUS_STYLE.get(result.status.value, "white")
    console.print(Text.assemble((result.status.value, style), "  " + _("exit code {code}").format(
        code=result.exit_code) + f"  {result.duration_s:.3f} s" + ("  " + _("(output truncated)") if result.truncated
                                                                  else "")))
    killed = display.signal_text(result)
    fatal = result.details.get("fatal_signal")
    if killed:
        console.print(Text.assemble("  ", (killed, "red"), _fatal_event(fatal)), soft_wrap=True)
    stderr = display.with_user_file_name(result.stderr, sandbox_name, user_name)
    if "valgrind" in result.details or "memory_errors" in result.details:
        stderr = display.valgrind_useful_lines(stderr)
    for title, text in (("stdout", result.stdout), ("stderr", stderr)):
        text = text.rstrip("\n")
        if text:
            console.print(Panel(_clipped(text, full), title=title, title_align="left"))
    for error in result.details.get("memory_errors", []):
        where = _where(error.get("frame"))
        console.print(Text.assemble("  ", (error["kind"], "red"), " " + _("{message} at {where}").format(
            message=error["message"], where=where)))
    for test in result.details.get("tests", []):
        passed = test["outcome"] == "passed"
        console.print(Text.assemble("  ", ("ok" if passed else test["outcome"], "green" if passed else "red"),
                                    f" {test['name']}"))
    coverage = result.details.get("coverage")
    if coverage and coverage.get("total") is not None:
        console.print("  " + _("coverage {percent}% of statements").format(percent=f"{coverage['total']:.1f}"))
    if result.details.get("error"):
        console.print(Text.assemble("  ", (result.details["error"], "yellow")))
    if result.details.get("sandbox"):
        console.print(Text.assemble("  ", (_("sandbox:"), "bold red"), f" {result.details['sandbox']}"))


def _clipped(text: str, full: bool):
    """The text, or its head and tail with a count of what lies between."""
    from rich.text import Text

    from ..sandbox import display

    part = display.clip(text)
    if full or not part.cut:
        return Text(text)
    note = _("... {count} lines ({size}) not shown: --full or --json shows all ...").format(
        count=part.cut_lines, size=display.size_text(part.cut_bytes))
    head = part.head if part.head.endswith("\n") else part.head + "\n"
    return Text.assemble(head, (note, "dim"), "\n", part.tail)


def _where(frame: Optional[dict]) -> str:
    frame = frame or {}
    if frame.get("file"):
        return f"{frame['file']}:{frame.get('line')}" + (f" ({frame['function']})" if frame.get("function") else "")
    return frame.get("object") or "?"


def _fatal_event(fatal: Optional[dict]) -> str:
    """Valgrind's account of a fatal signal: ": Access not within mapped region at 0x0, at seg.c:2 (main)"."""
    if not fatal or not fatal.get("event"):
        return ""
    if fatal.get("address"):
        said = _("{event} at {address}, at {where}").format(event=fatal['event'], address=fatal['address'],
                                                            where=_where(fatal.get('frame')))
    else:
        said = _("{event}, at {where}").format(event=fatal['event'], where=_where(fatal.get('frame')))
    return ": " + said


@settings_command(app, "exec", ExecConfig)
def exec_jobs(config: ExecConfig) -> None:
    """Run many programs; results are written as they finish, and a re-run resumes.

    Jobs whose id is already in the results file are not run again. A --out file that is not a results
    file is refused (--overwrite replaces it); the jobs file itself never can be --out.

    Example: codeforge sandbox exec --jobs jobs.jsonl --out results.jsonl --workers 2
    """
    from collections import Counter

    from ..sandbox import warmup
    from ..sandbox.jobfile import JobFileError, check_out_path
    from ..sandbox.settings import SandboxSettings

    jobs, out = config.jobs, config.out
    try:
        check_out_path(jobs, out)
    except JobFileError as exc:
        _fail(str(exc))
    _terminate_as_interrupt()
    # Containers start in the background while the job contract loads and the files are read.
    client = _client()
    needs = warmup.first_job_needs(jobs)
    settings = SandboxSettings(workers=config.workers, isolation=config.isolation.value)
    prestarted = warmup.prestart(client, settings, *needs) if needs else []

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ..sandbox.engine import SandboxUnavailable
    from ..sandbox.jobfile import ResultWriter, read_jobs, resume_scan

    console = _console(stderr=True)
    counts: Counter = Counter()
    summary = {"jobs": 0, "skipped": 0, "written": 0, "statuses": {}, "bad_lines": [], "out": str(out),
               "interrupted": False}
    writer = None
    sandbox = _open_sandbox(config.workers, config.isolation, client, prestarted)
    try:
        all_jobs = read_jobs(jobs)
        scan = resume_scan(out, config.overwrite)
        for number, why in scan.bad_lines:
            _say(console, _("warning: {path} line {number} is {why}; it is left as it is").format(
                path=out, number=number, why=why), "yellow")
        todo = [job for job in all_jobs if job.id not in scan.ids]
        summary.update(jobs=len(all_jobs), skipped=len(all_jobs) - len(todo),
                       bad_lines=[number for number, _why in scan.bad_lines])
        if scan.ids:
            _say(console, _("{skipped} of {jobs} jobs already have results in {path}; running the other {todo}")
                 .format(skipped=summary["skipped"], jobs=len(all_jobs), path=out, todo=len(todo)))
        if todo:
            writer = ResultWriter(out, overwrite=config.overwrite)
            if writer.cut_bytes:
                _say(console, _("cut the torn last line of {path} ({count} bytes written by a run that was killed)")
                     .format(path=out, count=writer.cut_bytes), "yellow")
            with Progress(TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
                          TimeElapsedColumn(), console=console) as progress:
                task = progress.add_task(_("running"), total=len(todo))
                for result in sandbox.run_many(todo):
                    writer.write(result)
                    counts[result.status.value] += 1
                    progress.update(task, advance=1, description=_counts_text(counts))
    except JobFileError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        summary.update(interrupted=True, written=writer.written if writer else 0, statuses=dict(sorted(counts.items())))
        if config.json:
            typer.echo(json.dumps(summary))
        _say(console, _("interrupted: {count} results written to {path}; run the same command again to finish "
                        "the rest").format(count=summary["written"], path=out), "yellow")
        raise typer.Exit(130)
    except SandboxUnavailable as exc:
        _fail(_("{error}\n{count} results are safe in {path}; run the same command again to resume.")
              .format(error=exc, count=writer.written if writer else 0, path=out))
    except OSError as exc:
        _fail(_write_failure(out, exc, writer.written if writer else 0))
    finally:
        sandbox.close()
        if writer is not None:
            writer.close()
    summary.update(written=writer.written if writer else 0, statuses=dict(sorted(counts.items())))
    if config.json:
        typer.echo(json.dumps(summary))
        return
    from rich.text import Text

    line = Text()
    for status, count in sorted(counts.items()):
        line.append(status, STATUS_STYLE.get(status, "white")).append(f" {count}  ")
    line.append(_("{written} written, {skipped} skipped (results already in {path})").format(
        written=summary['written'], skipped=summary['skipped'], path=out))
    console.print(line, soft_wrap=True)


def _counts_text(counts) -> str:
    return "  ".join(f"{status} {count}" for status, count in sorted(counts.items()))


def _write_failure(out, exc: OSError, kept: int) -> str:
    import errno

    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        advice = _("free some space and run the same command again to resume")
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        advice = _("name a file that can be written, or fix its permissions, and run the command again")
    else:
        advice = _("fix that and run the same command again to resume")
    return _("cannot write results to {path}: {error}. {count} new results are safe there; {advice}.").format(
        path=out, error=exc.strerror or exc, count=kept, advice=advice)


@settings_command(app, "doctor", DoctorConfig)
def doctor(config: DoctorConfig) -> None:
    """Check the Docker engine and the sandbox images; exit 2 with a one-line fix when something is wrong.

    Example: codeforge sandbox doctor
    """
    from rich.table import Table
    from rich.text import Text

    from ..sandbox import images
    from ..sandbox.engine import SandboxUnavailable, connect
    from ..sandbox.lifecycle import LABEL

    try:
        client = connect(host=config.docker_host)
    except SandboxUnavailable as exc:
        if config.json:
            typer.echo(json.dumps({"ok": False, "engine": None, "error": english(exc)}))
        _fail(str(exc))
    info = client.version()
    states = [{"kind": kind, "image": images.image_name(kind), "state": images.image_state(client, kind)}
              for kind in images.IMAGE_KINDS]
    containers = len(client.api.containers(all=True, filters={"label": LABEL}))
    fixes = [image["kind"] for image in states if image["state"] != "ok"]
    if config.json:
        typer.echo(json.dumps({"ok": not fixes, "engine": {"version": info.get("Version"),
                                                           "api_version": info.get("ApiVersion")},
                               "images": states, "containers": containers}))
    else:
        console = _console()
        console.print(Text.assemble(("ok", "green"), " " + _("Docker engine {version} (API {api}) answers").format(
            version=info.get("Version"), api=info.get("ApiVersion"))))
        table = Table(_("image"), _("state"))
        for image in states:
            table.add_row(Text(image["image"]), Text(image["state"], "green" if image["state"] == "ok" else "red"))
        console.print(table)
        console.print(_("{count} sandbox container(s) exist right now").format(count=containers))
    if fixes:
        where = f" --docker-host {config.docker_host}" if config.docker_host else ""
        _fail(_("image(s) {images} missing or out of date. Fix: codeforge sandbox build {kinds}{where}")
              .format(images=", ".join(fixes), kinds=",".join(fixes), where=where))


@settings_command(app, "prune", PruneConfig)
def prune(config: PruneConfig) -> None:
    """Remove sandbox containers left behind by runs that were killed.

    A container whose run cannot be judged (started from another host, or a host without /proc such as
    Docker Desktop on macOS and Windows) is kept: --all removes it, with those of live runs.

    Example: codeforge sandbox prune
    """
    from ..sandbox.lifecycle import UNKNOWN_OWNER
    from ..sandbox.lifecycle import prune as prune_containers

    report = prune_containers(_client(config.docker_host), everything=config.everything)
    if config.json:
        typer.echo(json.dumps(report.as_dict()))
        return
    console = _console()
    _say(console, _("removed {count} container(s)").format(count=len(report.removed)))
    if report.kept_live:
        _say(console, _("kept {count} of runs still alive (use --all to remove them too)").format(
            count=len(report.kept_live)))
    if report.kept_unknown:
        _say(console, _("kept {count}: {owner} ({reasons}); `codeforge sandbox prune --all` removes them").format(
            count=len(report.kept_unknown), owner=_(UNKNOWN_OWNER), reasons="; ".join(report.reasons)))
