"""`codeforge sandbox ...` options from their settings objects, and the mistakes refused before Docker is
asked anything (so these run without an engine)."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys

import pytest

from codeforge.sandbox import config as sandbox_config
from codeforge.sandbox.settings import ImageKind

SETTINGS = {"build": sandbox_config.BuildConfig, "run": sandbox_config.RunConfig, "exec": sandbox_config.ExecConfig,
            "doctor": sandbox_config.DoctorConfig, "prune": sandbox_config.PruneConfig}


def codeforge(*args, **kwargs) -> subprocess.CompletedProcess:
    kwargs.setdefault("stdin", subprocess.DEVNULL)
    env = dict(os.environ, DOCKER_HOST="unix:///nonexistent/docker.sock")  # nothing here may need the engine
    return subprocess.run([sys.executable, "-m", "codeforge", *args], capture_output=True, text=True, timeout=120,
                          env=env, **kwargs)


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_every_option_comes_from_the_settings_object_with_help(name):
    cls = SETTINGS[name]
    fields = cls.settings_fields()
    assert fields and all(f.metadata["help"].strip() for f in fields)
    assert all(f.name != "json" or not f.metadata["stored"] for f in fields)
    shown = codeforge("sandbox", name, "--help").stdout
    for field in fields:
        if not field.metadata["argument"]:
            assert (field.metadata["flags"] or ("--" + field.name.replace("_", "-"),))[0] in shown
    assert "--config" in shown and "--print-config" in shown and "--json" in shown and "Example:" in shown


REQUIRED = {"build": ["python,go"], "run": ["prog.py"], "exec": ["--jobs", "jobs.jsonl", "--out", "out.jsonl"],
            "doctor": [], "prune": []}
CHANGED = {"build": ["--force", "--base", "debian:bookworm"], "run": ["--timeout", "3", "--memory", "64",
                                                                       "--isolation", "program", "--lang", "c"],
           "exec": ["--workers", "3", "--overwrite"], "doctor": [], "prune": ["--all"]}


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_print_config_fed_back_through_config_gives_the_same_settings(name, tmp_path):
    first = codeforge("sandbox", name, *REQUIRED[name], *CHANGED[name], "--print-config", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    path = tmp_path / "settings.yaml"
    path.write_text(first.stdout)
    again = codeforge("sandbox", name, *REQUIRED[name], "--config", str(path), "--print-config", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout == first.stdout


def test_build_kinds_are_the_library_enum():
    assert sandbox_config.BuildConfig().kinds == (ImageKind.all,)
    from codeforge.sandbox import images

    assert images.kinds_named([ImageKind.go, ImageKind.python]) == ["python", "go"]
    assert images.kinds_named([ImageKind.all]) == list(images.IMAGE_KINDS) == images.kinds_named([])
    from codeforge.commands import sandbox as command

    assert not any(isinstance(value, type) and issubclass(value, __import__("enum").Enum)
                   and value.__module__ == command.__name__ for value in vars(command).values())


@pytest.mark.parametrize("args, message", [
    (["--timeout", "0"], "error: --timeout is 0: give more than 0 and at most 3600 seconds"),
    (["--timeout", "5000"], "error: --timeout is 5000: give more than 0 and at most 3600 seconds"),
    (["--memory", "5"], "error: --memory is 5: give 16 to 65536 MiB"),
    (["--stdin", "x", "--stdin-file", "in.txt"], "error: give --stdin or --stdin-file, not both"),
])
def test_bad_values_are_one_plain_line(tmp_path, args, message):
    (tmp_path / "add.py").write_text("print(1)\n")
    done = codeforge("sandbox", "run", "add.py", *args, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == message


def test_an_unknown_language_names_the_allowed_ones_and_help_lists_them(tmp_path):
    (tmp_path / "add.py").write_text("print(1)\n")
    done = codeforge("sandbox", "run", "add.py", "--lang", "ruby", cwd=tmp_path)
    assert done.returncode == 2
    assert "'ruby' is not one of 'python', 'go', 'c', 'cpp'" in " ".join(done.stderr.split()).replace("│ ", "")
    assert "Traceback" not in done.stderr and "errors.pydantic.dev" not in done.stderr
    assert "validation error" not in done.stderr
    shown = codeforge("sandbox", "run", "--help").stdout
    assert "python|go|c|cpp" in shown and "run|test|memcheck" in shown and "worker|program" in shown


def test_exec_refuses_out_that_is_the_jobs_file_or_a_directory_before_anything_runs(tmp_path):
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text('{"id": "a", "language": "python", "source": "print(1)"}\n')
    before = jobs.read_bytes()
    (tmp_path / "link.jsonl").symlink_to(jobs)
    for out in ("jobs.jsonl", "./jobs.jsonl", "link.jsonl"):
        for extra in ([], ["--overwrite"]):
            done = codeforge("sandbox", "exec", "--jobs", "jobs.jsonl", "--out", out, *extra, cwd=tmp_path)
            assert done.returncode == 2 and "is the jobs file" in done.stderr, done.stderr
    assert jobs.read_bytes() == before
    directory = codeforge("sandbox", "exec", "--jobs", "jobs.jsonl", "--out", str(tmp_path), cwd=tmp_path)
    assert directory.returncode == 2 and "is a directory" in directory.stderr
    assert "free some space" not in directory.stderr


def test_fields_are_frozen_dataclasses():
    for cls in SETTINGS.values():
        assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen
