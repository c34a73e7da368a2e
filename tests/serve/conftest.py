"""The serve tests' store, built once per session, and the app over it."""

from __future__ import annotations

import os

import pytest
from serve_store import serve_store


def need(module: str, why: str):
    """Import `module`, else skip (locally) or fail (in CI, where `make test` installs it)."""
    try:
        return __import__(module)
    except ImportError:
        reason = f"{module} is not installed ({why}; pip install -e '.[serve,dev]')"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture(scope="session")
def served_store(tmp_path_factory):
    need("fastapi", "the serve extra")
    return serve_store(tmp_path_factory.mktemp("serve") / "codeforge.db")


@pytest.fixture(scope="session")
def client(served_store):
    need("httpx", "FastAPI's TestClient needs it")
    from fastapi.testclient import TestClient

    from codeforge.serve.app import create_app

    return TestClient(create_app(served_store, page_size=10))
