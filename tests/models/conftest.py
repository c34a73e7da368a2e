"""Fixtures for the model backends: tiny models built once per session (there is no model hub here)."""

from __future__ import annotations

import pytest

from tests.tiny_model import build_tiny_adapter, build_tiny_model


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A tiny chat model (it has a chat template)."""
    return build_tiny_model(tmp_path_factory.mktemp("tiny-chat"), chat=True)


@pytest.fixture(scope="session")
def tiny_base_model_dir(tmp_path_factory):
    """A tiny base model (no chat template)."""
    return build_tiny_model(tmp_path_factory.mktemp("tiny-base"), chat=False)


@pytest.fixture(scope="session")
def tiny_adapter_dir(tiny_model_dir, tmp_path_factory):
    return build_tiny_adapter(tiny_model_dir, tmp_path_factory.mktemp("tiny-adapter"))
