"""Shared fixtures. Tests marked `docker` use the real Docker engine and the sandbox images."""

from __future__ import annotations

import os

import pytest


def docker_or_skip():
    """A client for the real engine with the sandbox images, else skip (locally) or fail (in CI)."""
    from codeforge.sandbox import images
    from codeforge.sandbox.docker_sandbox import SandboxUnavailable, connect

    try:
        client = connect(timeout_s=30)
        missing = [kind for kind in images.IMAGE_KINDS if images.image_state(client, kind) != "ok"]
    except SandboxUnavailable as exc:
        reason = f"no Docker engine: {exc}"
    else:
        if not missing:
            return client
        reason = f"sandbox images missing or stale: {', '.join(missing)} (run `codeforge sandbox build`)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}. `make test` installs the engine and builds the images.")
    pytest.skip(f"{reason}. Run `make test`, which sets them up.")


@pytest.fixture(scope="session")
def docker_client():
    return docker_or_skip()
