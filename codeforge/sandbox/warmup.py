"""Start sandbox containers in the background while the rest of a command loads.

Creating a container takes a quarter of a second, about what loading the job contract and parsing a
jobs file take; doing both at once shortens every `codeforge sandbox exec`. This module must stay free of
pydantic so that the warm-up can begin before that import.
"""

from __future__ import annotations

import json
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Optional

from .container import RunnerContainer
from .images import IMAGE_OF_LANGUAGE, image_name
from .lifecycle import current_owner
from .settings import SandboxSettings

DEFAULT_MEMORY_MB = 512  # the Job default; a wrong guess only costs an idle container


def first_job_needs(jobs_path: Path) -> Optional[tuple[str, int]]:
    """(image kind, memory_mb) of the first job in a JSONL file, or None if it cannot be told cheaply."""
    try:
        with jobs_path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    job = json.loads(line)
                    return IMAGE_OF_LANGUAGE[job["language"]], int(job.get("memory_mb", DEFAULT_MEMORY_MB))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return None


def prestart(client, settings: SandboxSettings, kind: str, memory_mb: int) -> list[tuple[tuple[str, int], Future]]:
    """Begin starting one container per worker for (kind, memory_mb); hand the futures to DockerSandbox."""
    image = image_name(kind, settings.image_prefix)
    owner = current_owner()
    once = settings.isolation == "program"
    starter = ThreadPoolExecutor(max_workers=settings.workers, thread_name_prefix="codeforge-sandbox-warmup")
    futures = [((image, memory_mb), starter.submit(RunnerContainer, client, image, memory_mb, settings, owner, once))
               for _ in range(settings.workers)]
    starter.shutdown(wait=False)
    return futures
