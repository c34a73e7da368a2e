"""Fixtures for the dataset tests: the data shipped in the package, and one sandbox for the Docker tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from codeforge.tasks.base import PACKAGED


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The package's data folder (codeforge/tasks/data): every dataset's file under its usual name."""
    return PACKAGED


@pytest.fixture(autouse=True)
def no_data_dir_from_the_environment(monkeypatch):
    """Tests say where the data is; a CODEFORGE_DATA_DIR of the person running them must not count."""
    monkeypatch.delenv("CODEFORGE_DATA_DIR", raising=False)


@pytest.fixture(scope="session")
def tasks_sandbox(docker_client):
    from codeforge.sandbox import DockerSandbox, SandboxSettings

    with DockerSandbox(SandboxSettings(workers=2), client=docker_client) as box:
        yield box
