"""The SQLite results store (runs, samples, executions) and its JSONL export. See db.py for the tables."""

from __future__ import annotations

import os
from pathlib import Path

from .db import (NO_CODE, Execution, FinetuneRecord, RunRecord, SampleRecord, Similarity, Store, StoreError,
                 Verdict)

DEFAULT_DB = Path("runs") / "codeforge.db"

__all__ = ["DEFAULT_DB", "NO_CODE", "Execution", "FinetuneRecord", "RunRecord", "SampleRecord", "Similarity", "Store",
           "StoreError", "Verdict", "db_path"]


def db_path(given: "Path | None" = None) -> Path:
    """--db, else CODEFORGE_DB, else ./runs/codeforge.db."""
    if given is not None:
        return Path(given)
    return Path(os.environ.get("CODEFORGE_DB") or DEFAULT_DB)
