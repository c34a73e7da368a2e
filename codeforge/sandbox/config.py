"""Settings of the `codeforge sandbox` commands, one dataclass each (see codeforge.config)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Optional

from ..config import Settings, setting
from ..i18n import _
from ..vocabulary import Action, Language
from .settings import MAX_MEMORY_MB, MAX_TIMEOUT_S, MIN_MEMORY_MB, ImageKind, Isolation

ISOLATION_HELP = "worker: warm containers, a fresh uid per program; program: one container per program."
DOCKER_HOSTS_HELP = ("A Docker engine to run the programs on: unix://PATH, tcp://HOST:PORT (TLS from DOCKER_TLS_VERIFY "
                     "and DOCKER_CERT_PATH) or ssh://USER@HOST; give it several times to spread the programs over "
                     "several engines, --workers on each, the others carrying on if one fails (default: DOCKER_HOST "
                     "or the local engine).")
DOCKER_HOST_HELP = ("The Docker engine to use: unix://PATH, tcp://HOST:PORT or ssh://USER@HOST (default: DOCKER_HOST "
                    "or the local engine).")


def check_limits(timeout: float, memory: int) -> None:
    """The limits a job may ask for, as one plain sentence per mistake (the Job contract says the same)."""
    if not 0 < timeout <= MAX_TIMEOUT_S:
        raise ValueError(_("--timeout is {timeout}: give more than 0 and at most {most} seconds").format(
            timeout=f"{timeout:g}", most=f"{MAX_TIMEOUT_S:g}"))
    if not MIN_MEMORY_MB <= memory <= MAX_MEMORY_MB:
        raise ValueError(_("--memory is {memory}: give {least} to {most} MiB").format(
            memory=memory, least=MIN_MEMORY_MB, most=MAX_MEMORY_MB))


@dataclass(frozen=True)
class ProgramLimits(Settings):
    """The limits of a task's test runs and how many run at once: what every command that checks model-written
    programs shares (bench, repair). A command's settings class inherits them, as it inherits the model's."""

    timeout_s: Optional[float] = setting(None, "Seconds per run of a task's tests (default: per dataset, "
                                         "generous).", flags=("--timeout",), min=0.1, identity=True,
                                         panel="Sandbox")
    memory_mb: int = setting(1024, "MiB of memory per program.", flags=("--memory",), min=16, identity=True,
                             panel="Sandbox")
    workers: int = setting(2, "Programs run at once.", min=1, env="CODEFORGE_SANDBOX_WORKERS", panel="Sandbox")
    isolation: Isolation = setting(Isolation.worker, ISOLATION_HELP, env="CODEFORGE_SANDBOX_ISOLATION",
                                   panel="Sandbox")
    docker_hosts: tuple[str, ...] = setting((), DOCKER_HOSTS_HELP, flags=("--docker-host",), repeat=True,
                                            env="CODEFORGE_DOCKER_HOSTS", panel="Sandbox")


@dataclass(frozen=True)
class BuildConfig(Settings):
    """`codeforge sandbox build [KINDS]`."""

    command: ClassVar[str] = "codeforge sandbox build"
    kinds: tuple[ImageKind, ...] = setting((ImageKind.all,), "Images to build, comma-separated: python, go, "
                                           "valgrind, or all of them.", argument=True)
    force: bool = setting(False, "Rebuild even when the image is up to date.")
    docker_host: Optional[str] = setting(None, DOCKER_HOST_HELP)
    base: Optional[str] = setting(None, "Base image (default: debian:bookworm-slim if it can be had, else one "
                                        "made here with debootstrap).", env="CODEFORGE_SANDBOX_BASE")
    json: bool = setting(False, "Print what was built as JSON.", stored=False)


@dataclass(frozen=True)
class RunConfig(Settings):
    """`codeforge sandbox run FILE`."""

    command: ClassVar[str] = "codeforge sandbox run"
    file: Path = setting(help="The program to run (.py, .go, .c, .cpp).", argument=True)
    lang: Optional[Language] = setting(None, "The language (default: from the file's suffix).")
    action: Optional[Action] = setting(None, "run, test, memcheck or analyze (python, go: the static "
                                             "analyzers' JSON) (default: python run, go test for a _test.go file "
                                             "else run, c/cpp memcheck).")
    stdin: Optional[str] = setting(None, "Text given to the program on stdin; `-` passes this command's own "
                                         "stdin, which is also passed when it is a file or a pipe.")
    stdin_file: Optional[Path] = setting(None, "A file whose text is given to the program on stdin.")
    timeout: float = setting(10.0, f"Wall-clock limit in seconds (more than 0, at most {MAX_TIMEOUT_S:g}).")
    memory: int = setting(512, f"Memory limit in MiB ({MIN_MEMORY_MB} to {MAX_MEMORY_MB}).")
    isolation: Isolation = setting(Isolation.worker, ISOLATION_HELP, env="CODEFORGE_SANDBOX_ISOLATION")
    full: bool = setting(False, "Show all of the output (a long one is otherwise shown as its head and tail).",
                         stored=False)
    json: bool = setting(False, "Print the result as JSON, with all of the output.", stored=False)

    def __post_init__(self) -> None:
        check_limits(self.timeout, self.memory)
        if self.stdin is not None and self.stdin_file is not None:
            raise ValueError(_("give --stdin or --stdin-file, not both"))


@dataclass(frozen=True)
class ExecConfig(Settings):
    """`codeforge sandbox exec --jobs FILE --out FILE`."""

    command: ClassVar[str] = "codeforge sandbox exec"
    jobs: Path = setting(help="JSONL file, one job per line (README: Jobs and results).")
    out: Path = setting(help="JSONL file the results are appended to as they finish; a re-run resumes from it.")
    workers: int = setting(2, "Programs run at the same time (at least 1).", env="CODEFORGE_SANDBOX_WORKERS")
    isolation: Isolation = setting(Isolation.worker, ISOLATION_HELP, env="CODEFORGE_SANDBOX_ISOLATION")
    overwrite: bool = setting(False, "Replace the --out file instead of resuming from it (it may never be the "
                                     "jobs file).")
    json: bool = setting(False, "Print a summary as JSON: results per status, written, skipped.", stored=False)

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError(_("--workers is {workers}: give 1 or more").format(workers=self.workers))


@dataclass(frozen=True)
class DoctorConfig(Settings):
    """`codeforge sandbox doctor`."""

    command: ClassVar[str] = "codeforge sandbox doctor"
    docker_host: Optional[str] = setting(None, DOCKER_HOST_HELP)
    json: bool = setting(False, "Print the engine, each image's state and the container count as JSON.",
                         stored=False)


@dataclass(frozen=True)
class PruneConfig(Settings):
    """`codeforge sandbox prune`."""

    command: ClassVar[str] = "codeforge sandbox prune"
    everything: bool = setting(False, "Also remove containers of runs that are alive or whose state cannot be "
                                      "told.", flags=("--all",))
    docker_host: Optional[str] = setting(None, DOCKER_HOST_HELP)
    json: bool = setting(False, "Print what was removed and kept as JSON.", stored=False)
