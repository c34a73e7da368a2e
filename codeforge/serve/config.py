"""Settings of `codeforge serve` (see codeforge.config)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..config import Settings, setting
from ..i18n import _

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def is_loopback(host: str) -> bool:
    """Only this machine can reach a server bound here (127.0.0.0/8, localhost, ::1)."""
    return host in LOOPBACK or host.startswith("127.")


@dataclass(frozen=True)
class ServeConfig(Settings):
    """`codeforge serve`."""

    db: Optional[Path] = setting(None, "The results store to explore (default ./runs/codeforge.db); it must exist.",
                                 env="CODEFORGE_DB")
    host: str = setting("127.0.0.1", "The address to listen on; any address but this machine's own (127.0.0.1, "
                                     "::1, localhost) needs a token.")
    port: int = setting(5688, "The port to listen on.", min=1, max=65535)
    token: Optional[str] = setting(None, "The token every request must carry (default: none on this machine's own "
                                         "address, else one made up and printed).", env="CODEFORGE_SERVE_TOKEN",
                                   stored=False)
    page_size: int = setting(50, "Rows per page in the runs and tasks tables.", min=1, max=1000)
    allow_runs: bool = setting(False, "Let the pages start bench runs: bench's options as a form, live progress, and a "
                                      "cancel that keeps what finished (the runs are stored in --db).")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.token is not None and len(self.token) < 8:
            raise ValueError(_("--token must be at least 8 characters long"))
