"""The explorer's FastAPI app: its pages, static files, error pages and (when set) the token check."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from .pages import HERE, error_handlers, refused


def create_app(db: Path, token: Optional[str] = None, page_size: int = 50, allow_runs: bool = False):
    """The app over the store at `db` (opened read-only per request); with `token`, every request must carry it;
    with `allow_runs`, its pages may start bench runs, which store into `db` (live.py)."""
    from fastapi import FastAPI
    from fastapi.staticfiles import StaticFiles

    from . import access, compare, run, runs, task

    app = FastAPI(title="codeforge", docs_url=None, redoc_url=None, openapi_url=None,
                  exception_handlers=error_handlers())
    app.state.db = Path(db)
    app.state.page_size = page_size
    app.state.allow_runs = allow_runs
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    if allow_runs:  # before the run page's routes: /runs/new is not a run's number
        from . import live

        app.state.jobs = live.Jobs(Path(db))
        app.include_router(live.router)
    for module in (runs, run, task, compare):
        app.include_router(module.router)
    if token:
        access.install(app, token, refused)
    return app
