"""`codeforge sandbox ...`: build images, run programs in throwaway containers, check and clean up."""

from __future__ import annotations

import signal
from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer

from ..sandbox.config import RunConfig
from ..sandbox.settings import Isolation
from ._output import console as _console
from ._output import fail as _fail
from ._settings import settings_command

app = typer.Typer(help="Run untrusted programs in throwaway Docker containers.", no_args_is_help=True)

STATUS_STYLE = {"passed": "green", "failed": "red", "timeout": "yellow", "oom": "magenta",
                "compile_error": "red", "memory_error": "red", "output_limit": "yellow", "sandbox_error": "bold red"}
SUFFIX_LANGUAGE = {".py": "python", ".go": "go", ".c": "c", ".cpp": "cpp", ".cc": "cpp", ".cxx": "cpp"}


class ImageKind(str, Enum):
    python = "python"
    go = "go"
    valgrind = "valgrind"
    all = "all"


def _client():
    from ..sandbox.engine import SandboxUnavailable, connect

    try:
        return connect()
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


@app.command()
def build(
    kinds: List[ImageKind] = typer.Argument(None, help="Images to build: python, go, valgrind or all."),
    force: bool = typer.Option(False, "--force", help="Rebuild even when the image is up to date."),
    base: Optional[str] = typer.Option(None, "--base", envvar="CODEFORGE_SANDBOX_BASE",
                                       help="Base image (default: debian:bookworm-slim if it can be had, "
                                            "else one made here with debootstrap)."),
) -> None:
    """Build the sandbox images, skipping those that are up to date.

    Example: codeforge sandbox build all
    """
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from ..sandbox import images

    client = _client()
    chosen = [k.value for k in (kinds or [ImageKind.all])]
    wanted = list(images.IMAGE_KINDS) if "all" in chosen else [k for k in images.IMAGE_KINDS if k in chosen]
    console = _console()
    try:
        base_image = images.resolve_base(client, base, lambda text: console.print(f"[dim]{text}[/]"))
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                      console=console, transient=False) as progress:
            for kind in wanted:
                name = images.image_name(kind)
                task = progress.add_task(f"{name}: checking", total=None)
                step = lambda text, t=task, n=name: progress.update(t, description=f"{n}: {text[:70]}")  # noqa: E731
                built = images.build_image(client, kind, base_image, force=force, on_line=step)
                progress.update(task, description=f"{name}: {'built' if built else 'up to date'} (on {base_image})",
                                total=1, completed=1)
    except images.ImageError as exc:
        _fail(str(exc))


@settings_command(app, "run", RunConfig)
def run(config: RunConfig) -> None:
    """Run one program in the sandbox and show its status, output and time.

    Exit code: 0 passed, 1 the program did not pass, 2 the sandbox could not run it.

    Example: codeforge sandbox run hello.py --timeout 5
    """
    from pydantic import ValidationError

    from ..sandbox.engine import SandboxUnavailable
    from ..sandbox.jobs import Job, Status

    file, lang, action = config.file, config.lang, config.action
    if not file.is_file():
        _fail(f"{file} is {'a directory' if file.is_dir() else 'not there'}: name a program file")

    language = lang.value if lang else SUFFIX_LANGUAGE.get(file.suffix)
    if language is None:
        _fail(f"cannot tell the language of {file.name}: pass --lang python|go|c|cpp")
    if action is None and language == "go" and not file.name.endswith("_test.go"):
        action = "run"
    try:
        source = file.read_text(encoding="utf-8")
        # Go and test runs keep the file's own name: `go test` and pytest find tests by file name.
        keep_name = language == "go" or action == "test"
        body = {"files": {file.name: source}} if keep_name else {"source": source}
        job = Job(id=file.name, language=language, action=action, stdin=config.stdin, timeout_s=config.timeout,
                  memory_mb=config.memory, **body)
    except (ValidationError, UnicodeDecodeError) as exc:
        _fail(f"cannot run {file}: {exc}")
    _terminate_as_interrupt()
    with _open_sandbox(1, config.isolation) as sandbox:
        try:
            result = sandbox.run(job)
        except SandboxUnavailable as exc:
            _fail(str(exc))
    if config.json:
        typer.echo(result.to_json())
    else:
        _show_result(result)
    if result.status is Status.sandbox_error:
        raise typer.Exit(2)
    raise typer.Exit(0 if result.status is Status.passed else 1)


def _show_result(result) -> None:
    from rich.panel import Panel

    console = _console()
    style = STATUS_STYLE.get(result.status.value, "white")
    console.print(f"[{style}]{result.status.value}[/]  exit code {result.exit_code}  "
                  f"{result.duration_s:.3f} s{'  (output truncated)' if result.truncated else ''}")
    if result.stdout:
        console.print(Panel(result.stdout.rstrip("\n"), title="stdout", title_align="left"), highlight=False)
    if result.stderr:
        console.print(Panel(result.stderr.rstrip("\n"), title="stderr", title_align="left"), highlight=False)
    for error in result.details.get("memory_errors", []):
        frame = error.get("frame") or {}
        where = f"{frame.get('file')}:{frame.get('line')}" if frame.get("file") else frame.get("object", "?")
        console.print(f"  [red]{error['kind']}[/] {error['message']} at {where}", highlight=False)
    for test in result.details.get("tests", []):
        mark = "[green]ok[/]" if test["outcome"] == "passed" else f"[red]{test['outcome']}[/]"
        console.print(f"  {mark} {test['name']}", highlight=False)
    coverage = result.details.get("coverage")
    if coverage and coverage.get("total") is not None:
        console.print(f"  coverage {coverage['total']:.1f}% of statements")
    if result.details.get("sandbox"):
        console.print(f"  [bold red]sandbox:[/] {result.details['sandbox']}", highlight=False)


@app.command("exec")
def exec_jobs(
    jobs: Path = typer.Option(..., "--jobs", help="JSONL file, one job per line (README: Jobs and results)."),
    out: Path = typer.Option(..., "--out", help="JSONL file the results are appended to as they finish."),
    workers: int = typer.Option(2, "--workers", min=1, envvar="CODEFORGE_SANDBOX_WORKERS",
                                help="Programs run at the same time."),
    isolation: Isolation = typer.Option(Isolation.worker, "--isolation", envvar="CODEFORGE_SANDBOX_ISOLATION",
                                        help="worker (warm containers, a fresh uid per program) or program "
                                             "(a new container per program)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Start a fresh results file instead of resuming."),
) -> None:
    """Run many programs; results are written as they finish, and a re-run resumes.

    Jobs whose id is already in the results file are not run again (use --overwrite to start over).

    Example: codeforge sandbox exec --jobs jobs.jsonl --out results.jsonl --workers 2
    """
    from collections import Counter

    from ..sandbox import warmup
    from ..sandbox.settings import SandboxSettings

    _terminate_as_interrupt()
    # Containers start in the background while the job contract loads and the file is checked.
    client = _client()
    needs = warmup.first_job_needs(jobs)
    settings = SandboxSettings(workers=workers, isolation=isolation.value)
    prestarted = warmup.prestart(client, settings, *needs) if needs else []

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ..sandbox.engine import SandboxUnavailable
    from ..sandbox.jobfile import JobFileError, ResultWriter, finished_ids, read_jobs

    console = _console(stderr=True)
    counts: Counter = Counter()
    writer = None
    sandbox = _open_sandbox(workers, isolation, client, prestarted)
    try:
        all_jobs = read_jobs(jobs)
        done = set() if overwrite else finished_ids(out)
        todo = [job for job in all_jobs if job.id not in done]
        if done:
            console.print(f"{len(all_jobs) - len(todo)} of {len(all_jobs)} jobs already have results in {out}; "
                          f"running the other {len(todo)}")
        if not todo:
            return
        writer = ResultWriter(out, overwrite=overwrite)
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console) as progress:
            task = progress.add_task("running", total=len(todo))
            for result in sandbox.run_many(todo):
                writer.write(result)
                counts[result.status.value] += 1
                summary = "  ".join(f"{k} {v}" for k, v in sorted(counts.items()))
                progress.update(task, advance=1, description=summary)
    except JobFileError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        console.print(f"[yellow]interrupted[/]: {writer.written if writer else 0} results written to {out}; "
                      "run the same command again to finish the rest")
        raise typer.Exit(130)
    except SandboxUnavailable as exc:
        _fail(f"{exc}\n{writer.written if writer else 0} results are safe in {out}; "
              "run the same command again to resume.")
    except OSError as exc:
        kept = writer.written if writer else 0
        _fail(f"cannot write results to {out}: {exc.strerror}. {kept} new results are safe there; "
              "free some space and run the same command again to resume.")
    finally:
        sandbox.close()
        if writer is not None:
            writer.close()
    console.print("  ".join(f"[{STATUS_STYLE.get(k, 'white')}]{k}[/] {v}" for k, v in sorted(counts.items())))


@app.command()
def doctor() -> None:
    """Check the Docker engine and the sandbox images; exit 2 with a one-line fix when something is wrong.

    Example: codeforge sandbox doctor
    """
    from rich.table import Table

    from ..sandbox import images
    from ..sandbox.lifecycle import LABEL

    client = _client()
    info = client.version()
    console = _console()
    console.print(f"[green]ok[/] Docker engine {info.get('Version')} (API {info.get('ApiVersion')}) answers")
    table = Table("image", "state")
    fixes = []
    for kind in images.IMAGE_KINDS:
        state = images.image_state(client, kind)
        table.add_row(images.image_name(kind), f"[{'green' if state == 'ok' else 'red'}]{state}[/]")
        if state != "ok":
            fixes.append(kind)
    console.print(table)
    leftovers = client.api.containers(all=True, filters={"label": LABEL})
    console.print(f"{len(leftovers)} sandbox container(s) exist right now")
    if fixes:
        _fail(f"image(s) {', '.join(fixes)} missing or out of date. Fix: codeforge sandbox build {' '.join(fixes)}")


@app.command()
def prune(
    everything: bool = typer.Option(False, "--all", help="Also remove containers of runs that are still alive."),
) -> None:
    """Remove sandbox containers left behind by runs that were killed.

    Example: codeforge sandbox prune
    """
    from ..sandbox.lifecycle import UNKNOWN_OWNER
    from ..sandbox.lifecycle import prune as prune_containers

    report = prune_containers(_client(), everything=everything)
    console = _console()
    console.print(f"removed {len(report.removed)} container(s)")
    if report.kept_live:
        console.print(f"kept {len(report.kept_live)} of runs still alive (use --all to remove them too)")
    if report.kept_unknown:
        console.print(f"kept {len(report.kept_unknown)}: {UNKNOWN_OWNER} ({'; '.join(report.reasons)}); "
                      "`codeforge sandbox prune --all` removes them", markup=False)
