"""Several Docker engines as one sandbox: `--docker-host` given more than once (or CODEFORGE_DOCKER_HOSTS).

    with open_sandbox(SandboxSettings(workers=2, hosts=("unix:///run/a.sock", "ssh://me@scorer"))) as sandbox:
        for result in sandbox.run_many(jobs):
            ...

Each engine is a DockerSandbox of its own (its client, its warm containers, `workers` jobs at a time: the
workers are per engine), and the pool hands every job to the live engine with the most free workers. An engine
that cannot be reached at the start is left out with a message naming it (`lost`), and the others carry on; when
none answers the pool is unavailable, naming each. An engine that stops answering during the run (its daemon
died, its machine went away) is left out from then on, and every job it was running or would have run goes to
the others: a job is lost only when every engine is. A job's own failures (a timeout, a crash, a runner that
died) stay that job's result, as with one engine: only an engine that does not answer moves a job.

The images must be on every engine (`codeforge sandbox build --docker-host URL`): `check` says which engine
lacks which.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Iterable, Iterator, Optional, Union

from ..i18n import english, said
from .docker_sandbox import SANDBOX_CLOSED, DockerSandbox, run_windowed
from .engine import SandboxUnavailable, connect
from .jobs import Job, Result, Status
from .settings import SandboxSettings

log = logging.getLogger(__name__)


def open_sandbox(settings: Optional[SandboxSettings] = None) -> Union[DockerSandbox, "EnginePool"]:
    """The sandbox `settings` asks for: the engine of the environment (no hosts), the one host named, or a pool
    over several."""
    settings = settings or SandboxSettings()
    if len(settings.hosts) <= 1:
        host = settings.hosts[0] if settings.hosts else None
        return DockerSandbox(settings, client=connect(host=host))
    return EnginePool(settings)


@dataclass
class _Engine:
    host: str
    sandbox: DockerSandbox
    busy: int = 0  # jobs running there now
    ran: int = 0  # jobs it gave a result for
    alive: bool = True


class EnginePool:
    """DockerSandbox's API (run, submit, run_many, check, close) over several engines."""

    def __init__(self, settings: SandboxSettings):
        self.settings = settings
        self.lost: dict[str, str] = {}  # host -> why it was left out (unreachable at the start, or died)
        self.moved = 0  # jobs run again on another engine after theirs stopped answering
        self._engines: list[_Engine] = []
        for host in dict.fromkeys(settings.hosts):
            try:
                self._engines.append(_Engine(host, DockerSandbox(settings, client=connect(host=host))))
            except SandboxUnavailable as exc:
                self.lost[host] = _first_line(exc)
                log.warning("engine %s left out: %s", host, self.lost[host])
        if not self._engines:
            self.close()
            raise SandboxUnavailable(said("No Docker engine of --docker-host answers: {engines}\n"
                                          "Fix: start them, or name others.", engines="; ".join(
                                              f"{host}: {why}" for host, why in self.lost.items())))
        self._free = threading.Condition()
        self._closed = False
        self._workers: Optional[ThreadPoolExecutor] = None

    def __enter__(self) -> "EnginePool":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    @property
    def hosts(self) -> list[str]:
        """The engines still in use."""
        return [e.host for e in self._engines if e.alive]

    @property
    def ran(self) -> dict[str, int]:
        """Jobs each engine gave a result for (an engine that died keeps what it finished)."""
        return {e.host: e.ran for e in self._engines}

    def check(self, language: str) -> None:
        """SandboxUnavailable unless every live engine has the image `language` needs (saying which lack it)."""
        missing = []
        for engine in self._live():
            try:
                engine.sandbox.check(language)
            except SandboxUnavailable as exc:
                missing.append(f"{engine.host}: {_first_line(exc)}")
        if missing:
            raise SandboxUnavailable(said("Not every Docker engine can run it: {engines}\n"
                                          "Fix: codeforge sandbox build --docker-host URL, for each engine named",
                                          engines="; ".join(missing)))

    def run(self, job: Job) -> Result:
        """Run one job on the engine with the most free workers; another engine when that one stops answering."""
        while True:
            engine = self._take()
            if engine is None:
                return Result(id=job.id, status=Status.sandbox_error,
                              # untranslated: a result, written to --out and stored
                              stderr="every Docker engine of the sandbox stopped answering: " +
                                     "; ".join(f"{h}: {w}" for h, w in self.lost.items()),
                              details={"sandbox": "no engine left"})
            try:
                result = engine.sandbox.run(job)
            except Exception as exc:  # the engine's client fails in many ways when the engine goes away
                if isinstance(exc, SandboxUnavailable) or not _answers(engine):
                    self._give_back(engine, failed=english(exc))  # English: it is kept in results
                    continue
                self._give_back(engine)
                raise
            if result.status is Status.sandbox_error and not _answers(engine):
                self._give_back(engine, failed=result.stderr or "it stopped answering")
                continue
            self._give_back(engine, ran=True)
            return result

    def submit(self, job: Job) -> Future:
        with self._free:
            if self._closed:
                raise SandboxUnavailable(said(SANDBOX_CLOSED))
            if self._workers is None:
                total = self.settings.workers * len(self._engines)
                self._workers = ThreadPoolExecutor(max_workers=total, thread_name_prefix="codeforge-pool")
            return self._workers.submit(self.run, job)

    def run_many(self, jobs: Iterable[Job]) -> Iterator[Result]:
        """As DockerSandbox.run_many: results as they finish, jobs taken from the iterable as workers free up."""
        return run_windowed(self, jobs, 2 * self.settings.workers * len(self._engines))

    def close(self) -> None:
        """Remove every container of every engine (those that still answer)."""
        free = getattr(self, "_free", None)
        if free is not None:
            with free:
                self._closed = True
                free.notify_all()
        for engine in self._engines:
            engine.sandbox.close()
        if getattr(self, "_workers", None) is not None:
            self._workers.shutdown(wait=True, cancel_futures=True)

    # -- choosing an engine ---------------------------------------------------------------------------------

    def _live(self) -> list[_Engine]:
        return [e for e in self._engines if e.alive]

    def _take(self) -> Optional[_Engine]:
        """The live engine with the most free workers (waiting for one), or None when none is left."""
        with self._free:
            while True:
                live = self._live()
                if not live or self._closed:
                    return None
                engine = min(live, key=lambda e: e.busy)
                if engine.busy < self.settings.workers:
                    engine.busy += 1
                    return engine
                self._free.wait()

    def _give_back(self, engine: _Engine, failed: str = "", ran: bool = False) -> None:
        with self._free:
            engine.busy -= 1
            engine.ran += ran
            if failed:
                self.moved += 1
                if engine.alive:
                    engine.alive = False
                    self.lost[engine.host] = _first_line(failed)
                    log.warning("engine %s stopped answering; its jobs go to the others: %s", engine.host,
                                self.lost[engine.host])
            self._free.notify_all()


def _answers(engine: _Engine) -> bool:
    try:
        engine.sandbox.client.ping()
        return True
    except Exception:  # any failure to reach the engine: connection refused, timeout, ssh gone
        return False


def _first_line(exc) -> str:
    """The first line of what `exc` (or a text) says, in English: it goes into results and --json."""
    text = english(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
