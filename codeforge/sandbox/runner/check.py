"""A checked test run: the program in one process under its uid, the tests in a harness process under
another uid, a pipe pair between them, and the verdict on a third pipe only the harness holds.

The harness's folder (0700, its uid) holds the test files; the program's work dir holds the program. Both
processes are forked from the zygote (or the one-request runner) like any Python step. The run ends when the
harness has written its verdict and exited; whatever of the program is still running then is killed. The
deadline and the output caps are the request's, shared by both processes.
"""

from __future__ import annotations

import os
import select
import time

from cleanup import kill_once
from identity import as_user
from steps import DEFAULT_PATH, read_into, read_report
from zygote import SYNTAX_ERROR


def environment(home: str, extra: dict, workdir: str) -> dict:
    env = {"PATH": DEFAULT_PATH, "HOME": home, "TMPDIR": home, "LANG": "C.UTF-8", "USER": "sandbox"}
    for key, value in (extra or {}).items():
        env[key] = value.replace("{workdir}", workdir)
    return env


def harness_environment(tests_dir: str, extra: dict) -> dict:
    """The program's variables but for paths into the program's work dir: the harness never imports or
    reads the program's files itself."""
    return {key: value for key, value in environment(tests_dir, extra, tests_dir).items() if key != "PYTHONPATH"}


def run_check(uid: int, harness_uid: int, fresh_uids: bool, workdir: str, tests_dir: str, step: dict,
              timeout: float, max_output: int, zygote) -> dict:
    check = step["check"]
    started = time.monotonic()
    requests_r, requests_w = os.pipe()  # harness -> program
    answers_r, answers_w = os.pipe()  # program -> harness
    verdict_r, verdict_w = os.pipe()  # harness -> runner
    report_r, report_w = os.pipe()  # program -> runner: the main module does not compile
    p_out_r, p_out_w = os.pipe()
    p_err_r, p_err_w = os.pipe()
    h_out_r, h_out_w = os.pipe()
    h_err_r, h_err_w = os.pipe()

    main = check.get("main")
    path = os.path.join(workdir, f"{main}.py") if main else os.path.join(workdir, ".codeforge", "nothing.py")
    if not main:
        as_user(uid, fresh_uids, _write_empty, path)
    program = zygote.spawn(
        {"role": "candidate", "uid": uid, "fresh_uids": fresh_uids, "cwd": workdir,
         "env": environment(workdir, check.get("env"), workdir), "path": path, "main": main or "_nothing",
         "modules": check.get("modules") or [], "channels": 3},
        [p_out_w, p_err_w, requests_r, answers_w, report_w], False)
    harness = zygote.spawn(
        {"role": "harness", "uid": harness_uid, "fresh_uids": fresh_uids, "cwd": tests_dir,
         "env": harness_environment(tests_dir, check.get("env")), "tests_dir": tests_dir, "main": main,
         "modules": check.get("modules") or [], "files": check.get("files") or [], "mode": check.get("mode"),
         "channels": 3},
        [h_out_w, h_err_w, requests_w, answers_r, verdict_w], False)
    for fd in (requests_r, requests_w, answers_r, answers_w, verdict_w, report_w, p_out_w, p_err_w, h_out_w,
               h_err_w):
        os.close(fd)

    streams = {fd: bytearray() for fd in (p_out_r, p_err_r, h_out_r, h_err_r, verdict_r)}
    truncated = {fd: False for fd in streams}
    open_fds = set(streams)
    statuses = {"program": None, "harness": None}
    deadline = started + timeout
    timed_out = output_limit = False
    while True:
        for name, process in (("program", program), ("harness", harness)):
            if statuses[name] is None:
                statuses[name] = process.poll()
        if statuses["harness"] is not None and verdict_r not in open_fds:
            break  # the verdict is in (or the harness is gone without one)
        now = time.monotonic()
        if now >= deadline:
            timed_out = True
            break
        readable, _, _ = select.select(list(open_fds) + [program.fileno(), harness.fileno()], [], [],
                                       min(0.05, deadline - now))
        for fd in readable:
            limit = 1 << 20 if fd == verdict_r else max_output
            if fd in open_fds and not read_into(fd, streams, truncated, limit):
                open_fds.discard(fd)
        if any(truncated[fd] for fd in (p_out_r, p_err_r, h_out_r, h_err_r)):
            output_limit = True
            break

    # The tests are done (or time is up): nothing of either side may run on.
    for name, process, who in (("program", program, uid), ("harness", harness, harness_uid)):
        if statuses[name] is None:
            as_user(who, fresh_uids, kill_once)
            statuses[name] = process.wait()
        process.close()
    _drain(open_fds, streams, truncated, max_output)
    syntax_error = read_report(report_r) == SYNTAX_ERROR  # (closes it)
    for fd in streams:
        os.close(fd)

    verdict = None
    if not timed_out and not output_limit and streams[verdict_r]:
        import json

        try:
            verdict = json.loads(bytes(streams[verdict_r]))
        except ValueError:
            verdict = None
    text = lambda fd: bytes(streams[fd][:max_output]).decode("utf-8", errors="replace")  # noqa: E731
    report = _status_fields(statuses["harness"])
    report.update({
        "name": step.get("name", "check"),
        "stdout": text(h_out_r), "stderr": text(h_err_r),
        "stdout_truncated": truncated[h_out_r], "stderr_truncated": truncated[h_err_r],
        "timed_out": timed_out, "output_limit": output_limit, "syntax_error": syntax_error,
        "duration_s": round(time.monotonic() - started, 6),
        "verdict": verdict,
        "program": {**_status_fields(statuses["program"]), "stdout": text(p_out_r), "stderr": text(p_err_r),
                    "stdout_truncated": truncated[p_out_r], "stderr_truncated": truncated[p_err_r]},
    })
    return report


def _write_empty(path: str) -> None:
    with open(path, "w", encoding="utf-8"):
        pass


def _status_fields(status) -> dict:
    exit_code = signal_number = None
    if status is not None and os.WIFEXITED(status):
        exit_code = os.WEXITSTATUS(status)
    elif status is not None and os.WIFSIGNALED(status):
        signal_number = os.WTERMSIG(status)
        exit_code = 128 + signal_number
    return {"exit_code": exit_code, "signal": signal_number}


def _drain(open_fds: set, streams: dict, truncated: dict, max_output: int) -> None:
    """What is left in the pipes once both sides are gone."""
    for fd in list(open_fds):
        os.set_blocking(fd, False)
    while open_fds:
        readable, _, _ = select.select(list(open_fds), [], [], 0)
        if not readable:
            return
        for fd in readable:
            if not read_into(fd, streams, truncated, max_output):
                open_fds.discard(fd)
