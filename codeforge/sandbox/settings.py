"""Limits and knobs of the Docker sandbox, with their defaults (no pydantic here: see warmup.py)."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from enum import Enum

DEFAULT_MAX_OUTPUT_BYTES = 1 << 20
# What a job may ask for (the Job contract and the command line check the same numbers).
MAX_TIMEOUT_S = 3600.0
MIN_MEMORY_MB, MAX_MEMORY_MB = 16, 65536


class Isolation(str, Enum):
    """worker: a small pool of warm containers; each program gets a fresh uid and work dir, and nothing of it
    survives it. program: a fresh container for every program."""

    worker = "worker"
    program = "program"


class ImageKind(str, Enum):
    """The sandbox images: python (python3, pytest, numpy), go (Go with testify), valgrind (gcc, g++,
    Valgrind); `all` names the three."""

    python = "python"
    go = "go"
    valgrind = "valgrind"
    all = "all"


@dataclass(frozen=True)
class SandboxSettings:
    workers: int = 2
    isolation: Isolation = Isolation.worker
    max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES  # per stream, cut at the source
    programs_per_container: int = 200  # a warm container is replaced after this many programs
    # Program isolation: containers started ahead for each worker (each still serves one program); 0 starts each
    # one when its program comes.
    ready_per_worker: int = 1
    cpus: float = 1.0  # per container
    pids_limit: int = 512  # per container (threads count)
    workdir_mb: int = 256  # size of the tmpfs holding work dirs
    tmp_mb: int = 64  # size of /tmp
    runner_overhead_mb: int = 64  # added to a job's memory_mb for the runner and the tmpfs pages
    image_prefix: str = "codeforge-sandbox"
    watchdog_grace_s: float = 20.0  # how long past a job's timeout the host waits for the runner
    hosts: tuple = ()  # Docker engines to spread the jobs over (`workers` each); none: the environment's engine

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "isolation", Isolation(self.isolation))
        except ValueError:  # untranslated: API misuse, the commands check their options first
            raise ValueError(f"isolation must be one of {', '.join(m.value for m in Isolation)}, "
                             f"not {self.isolation!r}") from None
        if self.workers < 1:
            raise ValueError("workers must be at least 1")  # untranslated: API misuse, --workers is checked first
        if self.ready_per_worker < 0:
            raise ValueError("ready_per_worker must be 0 or more")  # untranslated: API misuse, no option sets it
        object.__setattr__(self, "hosts", tuple(h.strip() for h in self.hosts if h and h.strip()))
        if self.max_output_bytes < 1024:
            raise ValueError("max_output_bytes must be at least 1024")  # untranslated: API misuse, no option

    def with_(self, **changes) -> "SandboxSettings":
        known = {f.name for f in fields(self)}
        return replace(self, **{k: v for k, v in changes.items() if k in known and v is not None})
