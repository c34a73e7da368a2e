from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def sandbox(docker_client):
    """A warm sandbox for the analyzers' tests: 2 workers, worker isolation."""
    from codeforge.sandbox import DockerSandbox, SandboxSettings

    with DockerSandbox(SandboxSettings(workers=2), client=docker_client) as box:
        yield box
