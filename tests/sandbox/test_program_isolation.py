"""Program isolation with containers started ahead: each serves one program, and none outlives the sandbox
(after a normal run, an error in the caller, a run stopped early, a removal that never got to run)."""

from __future__ import annotations

import threading
import time

import pytest

from codeforge.sandbox import DockerSandbox, Job, SandboxSettings, Status
from codeforge.sandbox.lifecycle import LABEL

WHO = "import os, socket\nprint(socket.gethostname(), os.getuid())"


def labelled(client) -> set[str]:
    return {c["Id"] for c in client.api.containers(all=True, filters={"label": LABEL})}


def running(client, among: set[str], but: str = "-") -> set[str]:
    """The running sandbox containers not in `among`, and whose id does not start with `but`."""
    return {c["Id"] for c in client.api.containers(filters={"label": LABEL})
            if c["Id"] not in among and not c["Id"].startswith(but)}


def wait_for_started(client, among: set[str], count: int, but: str = "-") -> set[str]:
    """The ids of at least `count` running sandbox containers that are not in `among` (nor start with `but`)."""
    deadline = time.monotonic() + 60
    while len(found := running(client, among, but)) < count:
        assert time.monotonic() < deadline, f"{count} containers were not started ahead"
        time.sleep(0.1)
    return found


@pytest.fixture
def before(docker_client) -> set[str]:
    """The sandbox containers that exist before the test (the session's warm ones): not the test's."""
    return labelled(docker_client)


def program_box(client, workers: int = 1, ready: int = 2) -> DockerSandbox:
    return DockerSandbox(SandboxSettings(workers=workers, isolation="program", ready_per_worker=ready), client=client)


def test_containers_started_ahead_each_serve_one_program_and_none_is_left(docker_client, before):
    with program_box(docker_client) as box:
        first = box.run(Job(id="first", language="python", source=WHO))
        # Nothing runs now but the first program's container on its way out: these wait for the next jobs.
        ahead = wait_for_started(docker_client, before, 2, but=first.stdout.split()[0])
        later = [box.run(Job(id=str(i), language="python", source=WHO)) for i in range(4)]
        failed = box.run(Job(id="raises", language="python", source=WHO + "\nraise SystemExit(3)"))
        timed_out = box.run(Job(id="loop", language="python", source=WHO + "\nwhile True: pass", timeout_s=1))
        after = box.run(Job(id="after", language="python", source=WHO))
    results = [first, *later, failed, timed_out, after]
    assert [r.status for r in results] == [Status.passed] * 5 + [Status.failed, Status.timeout, Status.passed]
    hosts = [r.stdout.split()[0] for r in results]
    assert len(set(hosts)) == len(results)  # a container of its own for every program
    assert {r.stdout.split()[1] for r in results} == {"20001"}  # each container's first and only program
    assert {h[:12] for h in ahead} == set(hosts[1:3])  # the next two programs took the ones started ahead
    assert labelled(docker_client) - before == set()


def test_an_error_in_the_caller_leaves_no_container(docker_client, before):
    with pytest.raises(RuntimeError, match="the caller failed"):
        with program_box(docker_client, workers=2) as box:
            for result in box.run_many([Job(id=str(i), language="python", source=WHO) for i in range(3)]):
                assert result.passed
                wait_for_started(docker_client, before, 4)  # started ahead, two per worker
                raise RuntimeError("the caller failed")
    assert labelled(docker_client) - before == set()


def test_a_run_stopped_early_leaves_no_container(docker_client, before):
    jobs = [Job(id="quick", language="python", source=WHO)] + \
           [Job(id=f"slow{i}", language="python", source="while True: pass", timeout_s=120) for i in range(3)]
    with program_box(docker_client, workers=2) as box:
        for result in box.run_many(jobs):  # leaving the loop stops the slow programs and closes the sandbox
            assert result.id == "quick" and result.passed
            wait_for_started(docker_client, before, 3)
            break
    assert labelled(docker_client) - before == set()


def test_a_container_whose_removal_never_ran_is_removed_on_close(docker_client, before):
    box = program_box(docker_client, ready=0)
    try:
        gate = threading.Event()
        for _ in range(box._housekeeping._max_workers):  # every housekeeping thread busy
            box._housekeeping.submit(gate.wait)
        container = box._start(box._image("python"), 512)  # its runner waits for a request that never comes
        box._discard(container)  # queued for removal
        box._housekeeping.shutdown(wait=False, cancel_futures=True)  # as closing on Ctrl-C: the queue dropped
        gate.set()
        assert running(docker_client, before) == {container.id}
    finally:
        box.close()
    assert labelled(docker_client) - before == set()


def test_ready_per_worker_is_checked():
    with pytest.raises(ValueError, match="ready_per_worker"):
        SandboxSettings(ready_per_worker=-1)
