"""Fixtures for the dataset tests: the shipped data, and one sandbox for the Docker tests."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """../shared/data beside the repository (HumanEval+, MBPP and HumanEval-X files); skip without it."""
    if not (DATA / "HumanEvalPlus.jsonl.gz").is_file():
        pytest.skip(f"no benchmark data in {DATA}: put HumanEvalPlus.jsonl.gz, mbpp.jsonl, sanitized-mbpp.json "
                    f"and humaneval_x_*.jsonl.gz there (see /work/shared/data/README.md)")
    return DATA


@pytest.fixture(autouse=True)
def no_data_dir_from_the_environment(monkeypatch):
    """Tests say where the data is; a CODEFORGE_DATA_DIR of the person running them must not count."""
    monkeypatch.delenv("CODEFORGE_DATA_DIR", raising=False)


@pytest.fixture(scope="session")
def tasks_sandbox(docker_client):
    from codeforge.sandbox import DockerSandbox, SandboxSettings

    with DockerSandbox(SandboxSettings(workers=2), client=docker_client) as box:
        yield box
