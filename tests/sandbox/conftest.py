from __future__ import annotations

import pytest

from codeforge.sandbox.lifecycle import LABEL


@pytest.fixture(scope="session")
def sandbox(docker_client):
    """One warm sandbox for the session: 2 workers, worker isolation."""
    from codeforge.sandbox import DockerSandbox, SandboxSettings

    with DockerSandbox(SandboxSettings(workers=2), client=docker_client) as box:
        yield box


@pytest.fixture(scope="session")
def serial_sandbox(docker_client):
    """One worker, so that consecutive jobs share a container: to show nothing passes between them."""
    from codeforge.sandbox import DockerSandbox, SandboxSettings

    with DockerSandbox(SandboxSettings(workers=1), client=docker_client) as box:
        yield box


@pytest.fixture(scope="session", autouse=True)
def no_container_left_behind(request):
    """After the whole suite, no container with the sandbox label may remain."""
    yield
    from codeforge.sandbox.docker_sandbox import SandboxUnavailable, connect

    try:
        client = connect(timeout_s=10)
    except SandboxUnavailable:
        return
    import time

    deadline = time.monotonic() + 15  # auto-removal of the last one-program containers may lag a little
    while time.monotonic() < deadline:
        left = client.api.containers(all=True, filters={"label": LABEL})
        if not left:
            return
        time.sleep(0.2)
    pytest.fail(f"{len(left)} sandbox container(s) left behind: {[c['Id'][:12] for c in left]}")
