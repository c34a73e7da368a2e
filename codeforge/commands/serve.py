"""`codeforge serve`: explore the results store in a browser (read-only)."""

from __future__ import annotations

import typer
from rich.text import Text

from ..i18n import N_, _
from ..serve.config import ServeConfig
from ._output import console as _console
from ._output import fail as _fail
from ._settings import settings_command
from .report import _OneCommand

app = typer.Typer(cls=_OneCommand)

MISSING_EXTRA = N_("codeforge serve needs its extra: pip install 'codeforge[serve]'")


@settings_command(app, "serve", ServeConfig, callback=True)
def serve(config: ServeConfig) -> None:
    """Explore the stored runs in a browser: runs, a run's tasks and heatmap, each task's rounds, two runs compared.

    The store is the only data and nothing is written to it, unless --allow-runs lets the pages start bench runs
    (bench's options as a form, live progress, cancel). Listens on 127.0.0.1 unless --host says otherwise; any other
    address needs a token (--token, or one made up and printed with the address).

    Example: codeforge serve --db runs/codeforge.db --port 5688
    """
    try:
        import fastapi  # noqa: F401
        import jinja2  # noqa: F401
        import uvicorn
    except ImportError:
        _fail(_(MISSING_EXTRA))
    from ..serve.access import token_for
    from ..serve.app import create_app
    from ..store import Store, StoreError, db_path

    db = db_path(config.db)
    try:
        Store.open_read_only(db).close()
    except StoreError as exc:
        _fail(str(exc))
    problem = _cannot_listen(config.host, config.port)
    if problem:
        _fail(_("cannot listen on {host}:{port} ({problem}); choose another --port or --host").format(
            host=config.host, port=config.port, problem=problem))
    token = token_for(config.token, config.host)
    host = f"[{config.host}]" if ":" in config.host else config.host
    address = f"http://{host}:{config.port}/" + (f"?token={token}" if token else "")
    _console().print(Text.assemble("codeforge serve: ", (address, "bold"),
                                   " " + _("(store {path}; Ctrl-C stops it)").format(path=db)),
                     soft_wrap=True, highlight=False)
    app_ = create_app(db, token=token, page_size=config.page_size, allow_runs=config.allow_runs)
    uvicorn.run(app_, host=config.host, port=config.port, log_level="warning")


def _cannot_listen(host: str, port: int) -> str:
    """Why the address cannot be listened on ("" when it can), found before uvicorn tries: it would say so in a
    log line of its own and exit 3."""
    import socket

    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            probe.bind((host, port))
    except OSError as exc:
        return exc.strerror or str(exc)
    return ""
