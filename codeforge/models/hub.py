"""Is the Hugging Face hub there? Asked once per process, in well under a second, so that a machine without
it is told so at once instead of after a minute of transformers' retries."""

from __future__ import annotations

import functools
import os
from pathlib import Path

from ..i18n import _

OFFLINE_VALUES = ("1", "true", "yes", "on")


def offline_requested() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in OFFLINE_VALUES


@functools.lru_cache(maxsize=1)
def hub_answers(timeout_s: float = 5.0) -> bool:
    """True when the hub's endpoint (HF_ENDPOINT, default https://huggingface.co) answers an HTTP request."""
    import urllib.error
    import urllib.request

    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")
    try:
        urllib.request.urlopen(urllib.request.Request(endpoint, method="HEAD"), timeout=timeout_s).close()
    except urllib.error.HTTPError:
        return True  # it answered, even if with an error status
    except (OSError, ValueError):
        return False
    return True


def local_files_only(model: str) -> bool:
    """Load `model` from local files only: it is a directory, offline mode is asked for, or no hub answers."""
    return Path(model).is_dir() or offline_requested() or not hub_answers()


def not_found_message(model: str) -> str:
    """Why a hub id could not be loaded without the hub, and what to do."""
    if offline_requested():
        return _("HF_HUB_OFFLINE is set, and {model} is not in the local cache: pass a local model directory with "
                 "--model (or download it where the hub answers)").format(model=model)
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    return _("no Hugging Face hub answers from this machine ({endpoint}), and {model} is not in the local cache: "
             "pass a local model directory with --model (or download it where the hub answers)").format(
        endpoint=endpoint, model=model)
