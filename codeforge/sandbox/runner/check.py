"""A checked test run: the program in one process under its uid, the tests in the container's harness
process under the tests' uid, a pipe pair between them, and the verdict on a third pipe only the harness
holds.

The harness process (harness.serve) is started once per container, from the zygote, under HARNESS_UID,
which is never a program's; it takes one run at a time over a control socket, with that run's pipes. Each
run's tests sit in a folder of their own (0700, the tests' uid); the program's work dir holds the program.
The run ends when the harness says it is done and its verdict is in; whatever of the program is still
running then is killed. The deadline and the output caps are the request's, shared by both sides.
"""

from __future__ import annotations

import json
import os
import select
import socket
import struct
import time

from cleanup import kill_once
from identity import as_user
from steps import DEFAULT_PATH, drain, read_into, read_report
from zygote import SYNTAX_ERROR

HARNESS_UID = 520000  # the tests' uid in every container: never a program's (those count up from 20000)


def environment(home: str, extra: dict, workdir: str) -> dict:
    env = {"PATH": DEFAULT_PATH, "HOME": home, "TMPDIR": home, "LANG": "C.UTF-8", "USER": "sandbox"}
    for key, value in (extra or {}).items():
        env[key] = value.replace("{workdir}", workdir)
    return env


class Harness:
    """The container's harness process, started when the first checked run needs it and again after it
    leaves (a run left a thread behind, or it was stopped at a deadline)."""

    def __init__(self, spawner, fresh_uids: bool):
        self.spawner, self.fresh_uids = spawner, fresh_uids
        self.process = self.control = None
        self.buffer = b""

    @property
    def pid(self):
        return self.process.pid if self.process is not None else None

    def start(self) -> None:
        ours, theirs = socket.socketpair()
        quiet = os.open(os.devnull, os.O_WRONLY)
        spec = {"role": "harness", "uid": HARNESS_UID, "fresh_uids": self.fresh_uids, "cwd": "/",
                "env": {"PATH": DEFAULT_PATH, "LANG": "C.UTF-8", "USER": "sandbox", "HOME": "/"}}
        self.process = self.spawner.spawn(spec, [quiet, os.dup(quiet), theirs.fileno()], False)
        os.close(quiet)
        theirs.close()
        self.control, self.buffer = ours, b""

    def order(self, spec: dict, fds: list) -> None:
        """Send one run: its length first, with its descriptors, then its JSON (the tests can be megabytes)."""
        if self.process is None:
            self.start()
        body = json.dumps(spec).encode()
        socket.send_fds(self.control, [struct.pack(">I", len(body))], fds)
        self.control.sendall(body)

    def answer(self):
        """b"done", b"done-and-leaving", or None when nothing has come yet (or the process is gone)."""
        try:
            chunk = self.control.recv(64, socket.MSG_DONTWAIT)
        except BlockingIOError:
            return None
        except OSError:
            chunk = b""
        if not chunk:
            return b"gone"
        self.buffer += chunk
        if b"\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\n", 1)
            return line
        return None

    def stop(self) -> None:
        """End the process (it overran a deadline, or said it is leaving) and forget it."""
        if self.process is None:
            return
        as_user(HARNESS_UID, self.fresh_uids, kill_once)
        self.process.wait()
        self.process.close()
        self.control.close()
        self.process = self.control = None


def run_check(uid: int, fresh_uids: bool, workdir: str, tests_dir: str, tests: dict, step: dict, timeout: float,
              max_output: int, zygote, harness: Harness) -> dict:
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
         "modules": check.get("modules") or []},
        [p_out_w, p_err_w, requests_r, answers_w, report_w], False)
    harness.order({"tests_dir": tests_dir, "tests": tests, "main": main, "modules": check.get("modules") or [],
                   "files": check.get("files") or [], "mode": check.get("mode")},
                  [h_out_w, h_err_w, requests_w, answers_r, verdict_w])
    for fd in (requests_r, requests_w, answers_r, answers_w, verdict_w, report_w, p_out_w, p_err_w, h_out_w,
               h_err_w):
        os.close(fd)

    streams = {fd: bytearray() for fd in (p_out_r, p_err_r, h_out_r, h_err_r, verdict_r)}
    truncated = {fd: False for fd in streams}
    open_fds = set(streams)
    status = said = None
    deadline = started + timeout
    timed_out = output_limit = False
    while True:
        if status is None:
            status = program.poll()
        if said is None:
            said = harness.answer()
        if said is not None and verdict_r not in open_fds:
            break  # the verdict is in (or the harness is gone without one)
        now = time.monotonic()
        if now >= deadline:
            timed_out = True
            break
        readable, _, _ = select.select(list(open_fds) + [program.fileno(), harness.control.fileno()], [], [],
                                       min(0.05, deadline - now))
        for fd in readable:
            limit = 1 << 20 if fd == verdict_r else max_output
            if fd in open_fds and not read_into(fd, streams, truncated, limit):
                open_fds.discard(fd)
        if any(truncated[fd] for fd in (p_out_r, p_err_r, h_out_r, h_err_r)):
            output_limit = True
            break

    # The tests are done (or time is up): nothing of the program may run on. It ends by itself once the
    # harness closed its input; one that does not is killed (and the runner's clean-up kills what it started).
    if status is None and not timed_out and not output_limit:
        status = _exit_within(program, 0.05)
    if status is None:
        as_user(uid, fresh_uids, kill_once)
        status = program.wait()
    program.close()
    if said != b"done":
        harness.stop()  # mid-run at a deadline, leaving, or gone: the next run gets a fresh one
    drain(open_fds, streams, truncated, max_output)
    syntax_error = read_report(report_r) == SYNTAX_ERROR  # (closes it)
    for fd in streams:
        os.close(fd)

    verdict = None
    if not timed_out and not output_limit and streams[verdict_r]:
        try:
            verdict = json.loads(bytes(streams[verdict_r]))
        except ValueError:
            verdict = None
    text = lambda fd: bytes(streams[fd][:max_output]).decode("utf-8", errors="replace")  # noqa: E731
    return {
        "name": step.get("name", "check"), "exit_code": 0 if verdict is not None else None, "signal": None,
        "stdout": text(h_out_r), "stderr": text(h_err_r),
        "stdout_truncated": truncated[h_out_r], "stderr_truncated": truncated[h_err_r],
        "timed_out": timed_out, "output_limit": output_limit, "syntax_error": syntax_error,
        "duration_s": round(time.monotonic() - started, 6),
        "verdict": verdict,
        "program": {**_status_fields(status), "stdout": text(p_out_r), "stderr": text(p_err_r),
                    "stdout_truncated": truncated[p_out_r], "stderr_truncated": truncated[p_err_r]},
    }


def _exit_within(process, seconds: float):
    """The process's exit status if it ends within `seconds`, else None."""
    give_up = time.monotonic() + seconds
    while True:
        status = process.poll()
        if status is not None or time.monotonic() >= give_up:
            return status
        select.select([process.fileno()], [], [], max(0.0, give_up - time.monotonic()))


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
