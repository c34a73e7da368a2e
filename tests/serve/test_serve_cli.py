"""`codeforge serve` as a user starts it: what it refuses before listening, in one line with exit 2."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

from codeforge.store import Store


def serve(*args, code=None):
    command = [sys.executable, "-m", "codeforge", "serve", *args] if code is None else [sys.executable, "-c", code]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, env={**os.environ, "NO_COLOR": "1"})


def test_a_store_that_does_not_exist_is_refused_and_not_created(tmp_path):
    missing = tmp_path / "none.db"
    found = serve("--db", str(missing))
    assert found.returncode == 2
    assert found.stderr.strip() == f"error: no results store at {missing}: run `codeforge bench ...` first, or pass --db"
    assert not missing.exists() and list(tmp_path.iterdir()) == []


def test_a_store_of_another_version_is_refused(tmp_path):
    path = tmp_path / "codeforge.db"
    Store.open(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value='2' WHERE key='schema_version'")
    found = serve("--db", str(path))
    assert found.returncode == 2 and len(found.stderr.strip().splitlines()) == 1
    assert "schema 2" in found.stderr and "Traceback" not in found.stderr


def test_a_file_that_is_no_store_is_refused_and_left_as_it_was(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("not sqlite at all, " * 100)
    before = path.read_bytes()
    found = serve("--db", str(path))
    assert found.returncode == 2 and "is not a codeforge results store" in found.stderr
    assert path.read_bytes() == before


def test_without_the_serve_extra_it_says_what_to_install(tmp_path):
    path = tmp_path / "codeforge.db"
    Store.open(path).close()
    code = ("import sys; sys.modules['uvicorn'] = None; sys.argv = ['codeforge', 'serve', '--db', %r]; "
            "from codeforge.cli import main; main()" % str(path))
    found = serve(code=code)
    assert found.returncode == 2
    assert found.stderr.strip() == "error: codeforge serve needs its extra: pip install 'codeforge[serve]'"


def test_a_port_in_use_is_refused_in_one_line(tmp_path):
    import socket

    path = tmp_path / "codeforge.db"
    Store.open(path).close()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        found = serve("--db", str(path), "--port", str(port))
    assert found.returncode == 2 and found.stdout == ""
    assert found.stderr.strip() == (f"error: cannot listen on 127.0.0.1:{port} (Address already in use); choose "
                                    "another --port or --host")
