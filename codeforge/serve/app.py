"""The explorer's FastAPI app: its pages, static files, error pages and (when set) the token check."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from .pages import HERE, error_handlers, refused


def create_app(db: Path, token: Optional[str] = None, page_size: int = 50):
    """The app over the store at `db` (opened read-only per request); with `token`, every request must carry it."""
    from fastapi import FastAPI
    from fastapi.staticfiles import StaticFiles

    from . import access, compare, run, runs, task

    app = FastAPI(title="codeforge", docs_url=None, redoc_url=None, openapi_url=None,
                  exception_handlers=error_handlers())
    app.state.db = Path(db)
    app.state.page_size = page_size
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in (runs, run, task, compare):
        app.include_router(module.router)
    if token:
        access.install(app, token, refused)
    return app
