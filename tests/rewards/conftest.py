"""One warm sandbox for the reward tests, counting how many jobs it runs at once."""

from __future__ import annotations

import pytest

from codeforge.sandbox import SandboxSettings
from tests.rewards.counting import CountingSandbox


@pytest.fixture(scope="module")  # not the session's: its warm containers must be gone before the suite's
def reward_sandbox(docker_client):  # leftover check (tests/sandbox/conftest.py) runs
    with CountingSandbox(SandboxSettings(workers=2), client=docker_client) as box:
        yield box
