#!/usr/bin/env python3
"""The program that runs inside every sandbox container (standard library only).

It reads one request per line on stdin and answers one JSON line per request on stdout:

    request:  {"files": {path: text}, "tests": {path: text} (optional), "bin_dir": bool (optional),
               "steps": [{"name", "argv", "cwd", "env", "stdin", "stop_on_failure", "as": "tests",
               "capture_fd3", "fd3_to"} | {"name", "check": {...}}], "artifacts": [path, ...],
               "timeout_s": float, "max_output_bytes": int}
    response: {"steps": [{"name", "exit_code", "signal", "stdout", "stderr", "stdout_truncated",
               "stderr_truncated", "timed_out", "output_limit", "duration_s"}],
               "artifacts": {path: text or null}, "oom": bool, "anomaly": str or null,
               "duration_s": float}

A request with `tests` gets a second folder for them (0700, owned by HARNESS_UID, which no program ever
has): a `check` step runs them in the container's harness process against the program (check.py,
harness.py, candidate.py); steps with "as": "tests" run there under that uid (Go and C builds), and
`bin_dir` is where they leave what the program may run but not read.

Two ways to run, chosen by who starts it:

* uid 0 (both isolation modes; program isolation serves one request): the container keeps only
  CAP_SETUID, CAP_SETGID and CAP_CHOWN. Every
  request runs under a uid never used before in this container, in a fresh 0700 work dir under /sandbox
  (which only the runner may write). When the
  request ends, a helper with that uid kills every process the uid owns (kill(-1) loops until nothing is
  left), then deletes every file and SysV IPC object the uid owns. The runner itself cannot be signalled
  or traced by a program: it has another uid.
* any other uid (a runner started by hand): the container is used for one request and then removed, so
  the program runs under the runner's own uid and the container's end cleans everything; it cannot run
  checked tests.

The host decides what a step's outcome means (passed, failed, compile error, ...): this file only runs
steps and reports exactly what happened.

Run as `python3 /opt/codeforge/runner serve [--once]`; this folder is copied whole into every image.
"""

from __future__ import annotations

import json
import os
import sys
import time

from check import HARNESS_UID, Harness, run_check
from cleanup import finish, kill_all_of_uid, oom_kill_count, read_artifacts, write_files
from identity import LIBC, as_user
from steps import run_step, skipped_step
from zygote import DirectSpawner, Zygote

UID_BASE = 20000

SANDBOX_ROOT = "/sandbox"


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[1] == "serve":
        serve(once="--once" in argv)
        return 0
    if len(argv) >= 3 and argv[1] == "warm-go":
        from warm import warm_go

        return warm_go(argv[2])
    sys.stderr.write("usage: runner serve [--once] | warm-go DIR\n")
    return 2

def serve(once: bool) -> None:
    fresh_uids = os.getuid() == 0
    if fresh_uids:  # no program may trace or read the runner (credentials change per helper thread)
        LIBC.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    # Python programs are forked, not started: from a zygote made before any request is read (so its
    # memory never holds a program's data), or, for a one-request runner, from the runner itself.
    zygote = DirectSpawner() if once else Zygote()
    harness = Harness(zygote, fresh_uids)  # the tests' process
    if fresh_uids and not once:
        harness.start()  # now, while the host is still reading its jobs, not when the first checked run waits
    seq = 0
    stdin = sys.stdin.buffer
    stdout = sys.stdout.buffer
    while True:
        line = stdin.readline()
        if not line:
            return
        if not line.strip():
            continue
        seq += 1
        started = time.monotonic()
        try:
            response = run_request(json.loads(line), seq, fresh_uids, zygote, harness)
        except Exception as exc:  # the runner must always answer; the host discards this container
            response = {"steps": [], "artifacts": {}, "oom": False, "anomaly": f"runner error: {exc!r}"}
        response["duration_s"] = round(time.monotonic() - started, 6)
        stdout.write(json.dumps(response).encode() + b"\n")
        stdout.flush()
        if once:
            return

def run_request(req: dict, seq: int, fresh_uids: bool, zygote=None, harness=None) -> dict:
    uid = UID_BASE + seq if fresh_uids else os.getuid()
    workdir = os.path.join(SANDBOX_ROOT, f"{seq}-{os.urandom(6).hex()}")
    deadline = time.monotonic() + float(req.get("timeout_s", 10.0))
    max_output = int(req.get("max_output_bytes", 1 << 20))
    oom_before = oom_kill_count()
    response: dict = {"steps": [], "artifacts": {}, "oom": False, "anomaly": None}

    # The work dir belongs to the program's uid; /sandbox itself does not, so a program can write only there.
    os.mkdir(workdir, 0o700)
    if fresh_uids:
        os.chown(workdir, uid, uid)
    error = as_user(uid, fresh_uids, write_files, workdir, req.get("files", {}))
    if error:
        response["anomaly"] = f"could not prepare the work dir: {error}"
        finish(uid, fresh_uids, workdir)
        return response
    harness_uid = tests_dir = bin_dir = None
    if req.get("tests") is not None:
        # The tests get a uid and a folder of their own: the program can neither read nor signal them.
        if not fresh_uids:
            response["anomaly"] = "a checked test run needs a runner that can give the tests their own uid"
            finish(uid, fresh_uids, workdir)
            return response
        harness_uid, tests_dir = HARNESS_UID, workdir + "-tests"
        os.mkdir(tests_dir, 0o700)
        os.chown(tests_dir, harness_uid, harness_uid)
        checked = any(step.get("check") is not None for step in req.get("steps", []))
        # A checked run's harness writes its tests itself (and clears them after); other steps' tests the runner.
        error = None if checked else as_user(harness_uid, fresh_uids, write_files, tests_dir, req["tests"])
        if error:
            response["anomaly"] = f"could not prepare the tests' folder: {error}"
            finish(harness_uid, fresh_uids, tests_dir, harness.pid if harness else None)
            finish(uid, fresh_uids, workdir)
            return response
        if req.get("bin_dir"):  # what the tests' side builds for the program to run: it may run it, not read it
            bin_dir = workdir + "-bin"
            os.mkdir(bin_dir, 0o711)
            os.chown(bin_dir, harness_uid, harness_uid)
    places = {"{testsdir}": tests_dir or "", "{bindir}": bin_dir or ""}

    steps = req.get("steps", [])
    for index, step in enumerate(steps):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            response["steps"].append(skipped_step(step, timed_out=True))
            break
        step = placed(step, places)
        tests_side = step.get("as") == "tests" and tests_dir is not None
        step_uid = harness_uid if tests_side else uid
        if step.get("check") is not None and tests_dir is not None:
            result = run_check(uid, fresh_uids, workdir, tests_dir, req["tests"], step, remaining, max_output, zygote,
                               harness)
        else:
            result = run_step(step_uid, fresh_uids, tests_dir if tests_side else workdir, step, remaining,
                              max_output, zygote)
        if step.get("fd3_to") and result.get("fd3") is not None and tests_dir is not None:
            as_user(harness_uid, fresh_uids, write_text, os.path.join(tests_dir, step["fd3_to"]), result["fd3"])
        response["steps"].append(result)
        failed = result["exit_code"] != 0 or result["signal"] is not None
        if result["timed_out"] or result["output_limit"] or (failed and step.get("stop_on_failure", True)):
            break
        if index + 1 < len(steps):  # nothing a step started may run on into the next (scrub ends the last)
            leftover = as_user(step_uid, fresh_uids, kill_all_of_uid, harness.pid if tests_side and harness else None)
            if leftover:
                response["anomaly"] = leftover
                break

    wanted = req.get("artifacts") or []
    if wanted:
        response["artifacts"] = read_artifacts(uid, fresh_uids, workdir, wanted, max_output)
    error = finish(uid, fresh_uids, workdir)
    spare = harness.pid if harness is not None else None
    if bin_dir is not None:
        error = finish(harness_uid, fresh_uids, bin_dir, spare) or error
    if tests_dir is not None:
        try:
            os.rmdir(tests_dir)  # the harness left it empty
        except OSError:
            error = finish(harness_uid, fresh_uids, tests_dir, spare) or error
    if error and not response["anomaly"]:
        response["anomaly"] = f"cleanup failed: {error}"
    response["oom"] = oom_kill_count() > oom_before
    return response


def placed(step: dict, places: dict) -> dict:
    """The step with the tests' folders in its arguments, working dir and environment."""
    def put(text: str) -> str:
        for key, value in places.items():
            text = text.replace(key, value)
        return text

    step = dict(step)
    if "argv" in step:
        step["argv"] = [put(arg) for arg in step["argv"]]
    if step.get("env"):
        step["env"] = {key: put(value) for key, value in step["env"].items()}
    return step


def write_text(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
