"""DockerSandbox: run Jobs in throwaway Docker containers, several at a time.

    with DockerSandbox(SandboxSettings(workers=2)) as sandbox:
        for result in sandbox.run_many(jobs):
            ...

Worker isolation (default) keeps at most one warm container per concurrent job; the runner inside gives
each program a fresh uid and work dir and removes every trace of it afterwards, and the container itself is
discarded after any timeout, OOM, output flood or anomaly and after `programs_per_container` programs.
Program isolation starts a fresh container for every program and removes it afterwards; `ready_per_worker`
containers per worker are started in the background while the current programs run, so that the next program
finds its container ready. Each of them serves one program only, and the ones no program took are removed when
the sandbox closes.

Containers are removed by id when they are done with, when the sandbox closes (also on Ctrl-C), and, if
this process is killed, by the next sandbox on this host or by `codeforge sandbox prune`.
"""

from __future__ import annotations

import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Iterable, Iterator, Optional

from ..i18n import N_, _, said
from . import images, recipes
from .container import RunnerContainer, RunnerLost
from .jobs import Job, Result, Status
from .engine import SandboxUnavailable, connect  # noqa: F401  (part of this module's API)
from .lifecycle import current_owner, prune
from .settings import SandboxSettings

DISCARD_AFTER = {Status.timeout, Status.oom, Status.output_limit, Status.sandbox_error}
SANDBOX_CLOSED = N_("the sandbox is closed")


class DockerSandbox:
    def __init__(self, settings: Optional[SandboxSettings] = None, client=None,
                 prestarted: Iterable[tuple[tuple[str, int], Future]] = ()):
        """`prestarted`: containers being started already (see warmup.py), adopted as spares."""
        self.settings = settings or SandboxSettings()
        self.client = client or connect()
        self.owner = current_owner()
        # Leftovers of runs whose process is gone; what cannot be judged (no /proc) is kept for `prune --all`.
        self.sweep = prune(self.client)
        self.swept = len(self.sweep.removed)
        self._lock = threading.Lock()
        self._live: set[RunnerContainer] = set()
        self._leaving: set[RunnerContainer] = set()  # handed to housekeeping to be removed, and not gone yet
        self._idle: dict[tuple[str, int], list[RunnerContainer]] = {}
        self._spares: dict[tuple[str, int], list[Future]] = {}
        self._checked: dict[str, str] = {}
        self._closed = False
        self._workers: Optional[ThreadPoolExecutor] = None
        for key, future in prestarted:
            self._spares.setdefault(key, []).append(future)
        # Starts spare containers (program isolation) and removes used ones off the workers' path: enough threads
        # for every spare to start at once while each worker's last container is being removed.
        self._ready = self.settings.ready_per_worker * self.settings.workers \
            if self.settings.isolation == "program" else 0
        self._housekeeping = ThreadPoolExecutor(max_workers=self._ready + self.settings.workers + 2,
                                                thread_name_prefix="codeforge-sandbox-housekeeping")

    # -- public API ---------------------------------------------------------------------------------------

    def __enter__(self) -> "DockerSandbox":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def run(self, job: Job) -> Result:
        """Run one job and return its result (thread-safe)."""
        image = self._image(recipes.image_for(job))
        request = recipes.plan(job, self.settings.max_output_bytes)
        error: Optional[BaseException] = None
        for _attempt in range(2):  # a lost runner gets one more try in a fresh container
            container = self._acquire(image, job.memory_mb)
            try:
                response = container.ask(request, job.timeout_s + self.settings.watchdog_grace_s)
            except RunnerLost as exc:
                error = exc
                oom = container.oom_killed()
                self._discard(container)
                if self._closed:
                    break
                if oom:
                    return recipes.interpret(job, {"steps": [], "oom": True, "anomaly": None})
                continue
            result = recipes.interpret(job, response)
            self._release(container, discard=result.status in DISCARD_AFTER)
            return result
        return Result(id=job.id, status=Status.sandbox_error,
                      stderr=f"the sandbox lost this job's runner twice: {error}",  # untranslated: a stored result
                      details={"sandbox": str(error)})

    def check(self, language: str) -> None:
        """Raise SandboxUnavailable now, with the fix, if the image `language` needs is missing or stale.

        For callers about to spend a long time producing jobs (a model generating)."""
        self._image(images.IMAGE_OF_LANGUAGE[getattr(language, "value", language)])

    def submit(self, job: Job) -> Future:
        """Queue a job and return a future of its Result; at most `workers` jobs run at once.

        For callers that produce jobs while earlier ones run (a model generating the next batch)."""
        with self._lock:
            if self._closed:
                raise SandboxUnavailable(said(SANDBOX_CLOSED))
            if self._workers is None:
                self._workers = ThreadPoolExecutor(max_workers=self.settings.workers,
                                                   thread_name_prefix="codeforge-sandbox")
            return self._workers.submit(self.run, job)

    def run_many(self, jobs: Iterable[Job]) -> Iterator[Result]:
        """Run jobs `workers` at a time; yield results as they finish (any order, same ids).

        Jobs are taken from the iterable only as workers free up, so it may be a lazy generator."""
        return run_windowed(self, jobs, 2 * self.settings.workers)

    def close(self) -> None:
        """Remove every container this sandbox started, in parallel. Safe to call more than once."""
        with self._lock:
            self._closed = True
            live = list(self._live)
            self._live.clear()
            self._idle.clear()
            spares = [future for futures in self._spares.values() for future in futures]
            self._spares.clear()
        for container in live:
            container._hang_up()  # wakes workers blocked on a runner; the runner sees its input close
        self._remove_all(live)
        if self._workers is not None:
            self._workers.shutdown(wait=True, cancel_futures=True)
        self._housekeeping.shutdown(wait=True, cancel_futures=True)
        started = []
        for future in spares:
            try:
                started.append(future.result())
            except Exception:
                continue
        with self._lock:  # containers that finished starting while we were closing, or whose removal never ran
            started += list(self._live) + list(self._leaving)
            self._live.clear()
            self._leaving.clear()
        self._remove_all(started)

    @staticmethod
    def _remove_all(containers: list[RunnerContainer]) -> None:
        if len(containers) <= 1:
            for container in containers:
                container.remove()
            return
        with ThreadPoolExecutor(max_workers=min(8, len(containers))) as removers:
            list(removers.map(RunnerContainer.remove, containers))

    # -- containers ---------------------------------------------------------------------------------------

    def _image(self, kind: str) -> str:
        name = images.image_name(kind, self.settings.image_prefix)
        if kind not in self._checked:
            state = images.image_state(self.client, kind, self.settings.image_prefix)
            if state != "ok":
                template = N_("The sandbox image {image} is missing.\nFix: codeforge sandbox build {kind}") \
                    if state == "missing" else \
                    N_("The sandbox image {image} was built from another version of codeforge.\n"
                       "Fix: codeforge sandbox build {kind}")
                raise SandboxUnavailable(said(template, image=name, kind=kind))
            self._checked[kind] = name
        return name

    def _start(self, image: str, memory_mb: int) -> RunnerContainer:
        import docker.errors
        import requests

        once = self.settings.isolation == "program"
        try:
            container = RunnerContainer(self.client, image, memory_mb, self.settings, self.owner, once=once)
        except docker.errors.APIError as exc:
            raise SandboxUnavailable(said("Docker could not start a sandbox container: {error}",
                                           error=exc.explanation or exc)) from exc
        except requests.exceptions.ConnectionError as exc:  # engine gone
            raise SandboxUnavailable(said("The Docker engine stopped answering: {error}\n"
                                          "Fix: start it again; `codeforge sandbox doctor` checks.", error=exc)) \
                from exc
        with self._lock:
            if not self._closed:
                self._live.add(container)
                return container
        container.remove()
        raise SandboxUnavailable(said(SANDBOX_CLOSED))

    def _acquire(self, image: str, memory_mb: int) -> RunnerContainer:
        """An idle warm container, else one started in advance, else a new one. In program isolation, taking a
        container also starts the next ones, so that `ready_per_worker` per worker are being started or ready when
        the next jobs come; the oldest, the likeliest to be ready, is taken first."""
        key = (image, memory_mb)
        with self._lock:
            idle = self._idle.get(key)
            if idle:
                return idle.pop()
            spares = self._spares.setdefault(key, [])
            spare = spares.pop(0) if spares else None
            while not self._closed and len(spares) < self._ready:
                spares.append(self._housekeeping.submit(self._start, image, memory_mb))
        if spare is not None:
            container = self._adopt(spare)
            if container is not None:
                return container
        return self._start(image, memory_mb)

    def _adopt(self, spare: Future) -> Optional[RunnerContainer]:
        try:
            container = spare.result()
        except Exception:  # a failed warm-up: the caller starts one the ordinary way and reports errors
            return None
        with self._lock:
            if not self._closed:
                self._live.add(container)
                return container
        container.remove()
        return None

    def _release(self, container: RunnerContainer, discard: bool) -> None:
        if self.settings.isolation == "program" or discard or \
                container.served >= self.settings.programs_per_container:
            self._discard(container)
            return
        with self._lock:
            if not self._closed:
                self._idle.setdefault((container.image, container.memory_mb), []).append(container)
                return
        self._discard(container)

    def _discard(self, container: RunnerContainer) -> None:
        with self._lock:
            self._live.discard(container)
            closed = self._closed
            if not closed:
                self._leaving.add(container)
        if closed:
            container.remove()
            return
        # A one-program container ends by itself once its runner has answered, and the engine removes it
        # (auto-remove); waiting for that is cheaper than killing it. Any other container is removed now.
        retire = container.retire if self.settings.isolation == "program" else container.remove
        try:
            self._housekeeping.submit(self._let_go, container, retire)
        except RuntimeError:  # housekeeping already shut down: close() removes what is in _leaving
            pass

    def _let_go(self, container: RunnerContainer, retire) -> None:
        try:
            retire()
        finally:
            with self._lock:
                self._leaving.discard(container)


def run_windowed(sandbox, jobs: Iterable[Job], window: int) -> Iterator[Result]:
    """`sandbox.submit` every job, at most `window` queued at once, yielding results as they finish; stopped
    early (Ctrl-C, the caller leaving the loop), the queued jobs are cancelled and the sandbox closed, which stops
    the running ones."""
    pending: set[Future] = set()
    source = iter(jobs)
    try:
        exhausted = False
        while True:
            while not exhausted and len(pending) < window:
                job = next(source, None)
                if job is None:
                    exhausted = True
                    break
                pending.add(sandbox.submit(job))
            if not pending:
                return
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()
    finally:
        for future in pending:
            future.cancel()
        if pending:  # interrupted: stop the running jobs by removing their containers
            sandbox.close()

