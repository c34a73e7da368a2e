"""Per-language recipes: how a Job becomes steps for the in-container runner, and how the runner's
report becomes a Result.

A recipe module has `plan(job) -> dict` (the runner request) and `interpret(job, response) -> Result`;
which image a language needs is `images.IMAGE_OF_LANGUAGE`. The runner only runs steps; everything a status
means is decided here, on the host, where it can be unit-tested without Docker.
"""

from __future__ import annotations

from typing import Optional

from ..images import IMAGE_OF_LANGUAGE
from ..jobs import DEFAULT_ACTION, Action, Job, Language, Result

def recipe_for(language: Language, action: Optional[Action] = None):
    from . import c, go, gounit, python

    if action is Action.unittest:
        return gounit
    return {Language.python: python, Language.go: go, Language.c: c, Language.cpp: c}[language]


def image_for(job: Job) -> str:
    return IMAGE_OF_LANGUAGE[job.language.value]


def one_file(language: Language, action: Optional[Action], name: str, source: str) -> tuple[dict, str]:
    """The Job fields for one file called `name`, and the name the file has in the sandbox.

    It keeps its own name where the recipe finds it under any name (Go, tests, C and C++ sources), so that
    compilers, Valgrind and tests name the user's file; a Python program to run is always main.py."""
    from .c import COMPILERS, DEFAULT_NAME

    action = action or DEFAULT_ACTION[language]
    if language is Language.python and action is Action.run:
        return {"source": source}, "main.py"
    if language in COMPILERS and not name.endswith(COMPILERS[language][2]):
        return {"source": source}, DEFAULT_NAME[language]
    return {"files": {name: source}}, name


def plan(job: Job, max_output_bytes: int) -> dict:
    request = recipe_for(job.language, job.action).plan(job)
    request["timeout_s"] = job.timeout_s
    request["max_output_bytes"] = max_output_bytes
    return request


def interpret(job: Job, response: dict) -> Result:
    return recipe_for(job.language, job.action).interpret(job, response)
