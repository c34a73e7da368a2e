"""One warm sandbox for the reward tests, counting how many jobs it runs at once."""

from __future__ import annotations

import pytest

from codeforge.sandbox import SandboxSettings
from tests.rewards.counting import CountingSandbox


@pytest.fixture(scope="session")
def reward_sandbox(docker_client):
    with CountingSandbox(SandboxSettings(workers=2), client=docker_client) as box:
        yield box
