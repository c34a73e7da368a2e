"""Settings of the `codeforge sandbox` commands, one dataclass each (see codeforge.config)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..config import Settings, setting
from ..vocabulary import Action, Language
from .settings import Isolation

ISOLATION_HELP = ("worker: warm containers, a fresh uid per program; program: one container per program.")


@dataclass(frozen=True)
class RunConfig(Settings):
    """`codeforge sandbox run FILE`."""

    file: Path = setting(help="The program to run (.py, .go, .c, .cpp).", argument=True)
    lang: Optional[Language] = setting(None, "The language (default: from the file's suffix).")
    action: Optional[Action] = setting(None, "run, test or memcheck (default: python run, go test for a "
                                             "_test.go file else run, c/cpp memcheck).")
    stdin: Optional[str] = setting(None, "Text given to the program on stdin.")
    timeout: float = setting(10.0, "Wall-clock limit in seconds.")
    memory: int = setting(512, "Memory limit in MiB.")
    isolation: Isolation = setting(Isolation.worker, ISOLATION_HELP, env="CODEFORGE_SANDBOX_ISOLATION")
    json: bool = setting(False, "Print the result as JSON.", stored=False)
