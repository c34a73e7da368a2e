"""What every page shares: the templates (every string through Jinja2's i18n extension), the store opened
read-only for one request, and the pages that say what went wrong."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Iterator, Optional
from urllib.parse import urlencode

from starlette.requests import Request

from ..i18n import language, translations
from ..store import Store, StoreError

HERE = Path(__file__).parent


@lru_cache(maxsize=1)
def environment():
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
                      extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_translations(translations(), newstyle=True)  # codeforge --lang, CODEFORGE_LANG, the locale
    env.globals["lang"] = language()
    env.filters["pct"] = lambda v: "-" if v is None else f"{100 * v:.1f}"
    env.globals["query"] = lambda **given: urlencode({k: v for k, v in given.items() if v not in (None, "")})
    return env


def render(request, name: str, status: int = 200, **context):
    """The template filled in; an error page asked for by htmx is only its body."""
    from starlette.responses import HTMLResponse

    if name == "error.html" and context.pop("fragment", False):
        name = "_error.html"
    html = environment().get_template(name).render(request=request, **context)
    return HTMLResponse(html, status_code=status)


def store_of(request: Request) -> Iterator[Store]:
    """The store, for the length of one request (sqlite connections stay in their thread)."""
    store = Store.open_read_only(request.app.state.db)
    try:
        yield store
    finally:
        store.close()


class Gone(Exception):
    """A run (or a task of a run) the page asks for is not in the store: deleted since the link was made, or never
    there."""

    def __init__(self, run: "int | str", task: Optional[str] = None):
        super().__init__(f"{run}: {task}" if task is not None else str(run))
        self.run, self.task = run, task


def error_handlers() -> dict:
    def gone(request, exc: Gone):
        return render(request, "error.html", 404, title="gone", run=exc.run, task=exc.task,
                      fragment=_fragment(request))

    def unreadable(request, exc: StoreError):
        return render(request, "error.html", 503, title="store", message=str(exc), fragment=_fragment(request))

    def not_found(request, exc):
        return render(request, "error.html", 404, title="not found", message=request.url.path,
                      fragment=_fragment(request))

    from fastapi.exceptions import RequestValidationError

    # An address whose run id or page is not a number names nothing: the same page as any unknown address.
    return {Gone: gone, StoreError: unreadable, 404: not_found, RequestValidationError: not_found}


def _fragment(request) -> bool:
    return request.headers.get("hx-request") == "true"


def refused(request):
    from starlette.responses import HTMLResponse

    html = environment().get_template("refused.html").render(request=request)
    return HTMLResponse(html, status_code=401, headers={"WWW-Authenticate": "Bearer"})
