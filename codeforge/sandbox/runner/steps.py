"""One step of a request: a process with a deadline and capped output."""

from __future__ import annotations

import os
import select
import signal
import time

from cleanup import kill_once
from identity import as_user, become_program
from zygote import SYNTAX_ERROR

DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"


class ChildProcess:
    """A program the runner forked and exec'd itself; its pidfd wakes select when it exits."""

    def __init__(self, pid: int):
        self.pid = pid
        try:
            self.pidfd = os.pidfd_open(pid)
        except (AttributeError, OSError):  # old kernel: select times out instead (50 ms at most)
            self.pidfd = None
        self._wakeup = self.pidfd if self.pidfd is not None else os.open(os.devnull, os.O_RDONLY)

    def fileno(self) -> int:
        return self.pidfd if self.pidfd is not None else -1

    def poll(self):
        waited, status = os.waitpid(self.pid, os.WNOHANG)
        return status if waited else None

    def wait(self):
        return os.waitpid(self.pid, 0)[1]

    def close(self) -> None:
        os.close(self._wakeup)
        self.pidfd = None

def run_step(uid: int, fresh_uids: bool, workdir: str, step: dict, timeout: float, max_output: int,
             zygote=None) -> dict:
    """Run one step; `zygote` (Zygote or DirectSpawner) forks Python steps instead of exec'ing python3."""
    argv = [arg.replace("{workdir}", workdir) for arg in step["argv"]]
    cwd = os.path.join(workdir, step.get("cwd") or ".")
    env = {"PATH": DEFAULT_PATH, "HOME": workdir, "TMPDIR": workdir, "LANG": "C.UTF-8", "USER": "sandbox"}
    for key, value in (step.get("env") or {}).items():
        env[key] = value.replace("{workdir}", workdir)
    stdin_data = step.get("stdin")
    stdin_bytes = stdin_data.encode() if stdin_data is not None else None

    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    in_r, in_w = os.pipe() if stdin_bytes is not None else (None, None)
    # A report the program writes on its descriptor 3 (a Go test binary's coverage profile): a pipe, so that
    # no file of it can be found and rewritten later.
    fd3_r, fd3_w = os.pipe() if step.get("capture_fd3") else (None, None)
    if fd3_w is not None and fresh_uids:
        os.fchown(fd3_w, uid, uid)  # the program reopens it by name (/dev/fd/3), so its inode must be the program's
    report_r = report_w = None
    started = time.monotonic()
    if step.get("python") and zygote is not None:
        report_r, report_w = os.pipe()  # the child says here whether the script compiled
        spec = {"uid": uid, "fresh_uids": fresh_uids, "cwd": cwd, "env": env, "path": step["python"],
                "report_fd": True}
        fds = [fd for fd in (in_r, out_w, err_w, report_w) if fd is not None]
        process = zygote.spawn(spec, fds, in_r is not None)
    else:
        pid = os.fork()
        if pid == 0:
            exec_child(uid, fresh_uids, cwd, argv, env, in_r, out_w, err_w, [fd3_w] if fd3_w is not None else [])
        process = ChildProcess(pid)
    for fd in (out_w, err_w, in_r, report_w, fd3_w):
        if fd is not None:
            os.close(fd)

    streams = {out_r: bytearray(), err_r: bytearray()}
    truncated = {out_r: False, err_r: False}
    if fd3_r is not None:
        streams[fd3_r], truncated[fd3_r] = bytearray(), False
    pending_in = memoryview(stdin_bytes) if stdin_bytes is not None else None
    if in_w is not None:
        os.set_blocking(in_w, False)
        if not pending_in:
            os.close(in_w)
            in_w = None
    deadline = started + timeout
    status = None
    timed_out = output_limit = False
    open_fds = set(streams)

    while True:
        if status is None:
            status = process.poll()
        if status is not None:
            drain(open_fds, streams, truncated, max_output)
            break
        now = time.monotonic()
        if now >= deadline:
            timed_out = True
            break
        writers = [in_w] if in_w is not None else []
        readable, writable, _ = select.select(list(open_fds) + [process.fileno()], writers, [],
                                              min(0.05, deadline - now))
        for fd in writable:
            try:
                written = os.write(fd, pending_in[:65536])
                pending_in = pending_in[written:]
            except BrokenPipeError:
                pending_in = memoryview(b"")
            if not pending_in:
                os.close(in_w)
                in_w = None
        for fd in readable:
            if fd in open_fds and not read_into(fd, streams, truncated, max_output):
                open_fds.discard(fd)
        if truncated[out_r] or truncated[err_r]:
            output_limit = True
            break

    if status is None:  # timed out or flooded: stop everything the program started, then reap it
        # One pass only: the program is our unreaped child, so it stays signalable until waitpid. The
        # sweep after the step repeats the kill until nothing of the uid is left.
        as_user(uid, fresh_uids, kill_once)
        status = process.wait()
    process.close()
    duration = time.monotonic() - started
    syntax_error = report_r is not None and read_report(report_r) == SYNTAX_ERROR
    fd3 = bytes(streams[fd3_r]).decode("utf-8", errors="replace") if fd3_r is not None else None
    for fd in (out_r, err_r, in_w, fd3_r):
        if fd is not None:
            os.close(fd)

    exit_code = signal_number = None
    if os.WIFEXITED(status):
        exit_code = os.WEXITSTATUS(status)
    elif os.WIFSIGNALED(status):
        signal_number = os.WTERMSIG(status)
        exit_code = 128 + signal_number
    return {
        "name": step.get("name", "run"),
        "exit_code": exit_code,
        "signal": signal_number,
        "stdout": bytes(streams[out_r][:max_output]).decode("utf-8", errors="replace"),
        "stderr": bytes(streams[err_r][:max_output]).decode("utf-8", errors="replace"),
        "stdout_truncated": truncated[out_r],
        "stderr_truncated": truncated[err_r],
        "timed_out": timed_out,
        "output_limit": output_limit,
        "syntax_error": syntax_error,
        "duration_s": round(duration, 6),
        **({"fd3": fd3, "fd3_truncated": truncated[fd3_r]} if fd3_r is not None else {}),
    }


def read_report(fd: int) -> bytes:
    """What a Python step's child wrote on its report pipe (every writer is gone: it never blocks long)."""
    os.set_blocking(fd, False)
    try:
        return os.read(fd, 64)
    except BlockingIOError:
        return b""
    finally:
        os.close(fd)

def read_into(fd: int, streams: dict, truncated: dict, max_output: int) -> bool:
    """Read what is there; False at end of stream. Output past the cap is a flood: mark it."""
    try:
        chunk = os.read(fd, 65536)
    except BlockingIOError:
        return True
    if not chunk:
        return False
    buffer = streams[fd]
    if len(buffer) + len(chunk) > max_output:
        buffer.extend(chunk[: max(0, max_output - len(buffer))])
        truncated[fd] = True
    else:
        buffer.extend(chunk)
    return True

def drain(open_fds: set, streams: dict, truncated: dict, max_output: int) -> None:
    """After the program exits, take what it left in the pipes without waiting for descendants.

    A child that outlives the program keeps the pipes open; its output after this point is not the
    program's result, and it is killed right after.
    """
    for fd in list(open_fds):
        os.set_blocking(fd, False)
    while open_fds:
        readable, _, _ = select.select(list(open_fds), [], [], 0)
        if not readable:
            return
        for fd in readable:
            if not read_into(fd, streams, truncated, max_output):
                open_fds.discard(fd)
        if any(truncated.values()):
            return

def exec_child(uid, fresh_uids, cwd, argv, env, in_fd, out_fd, err_fd, channels=()) -> None:
    """In the forked child: become the program and exec it (`channels` become its descriptors 3, ...).
    Never returns."""
    try:
        become_program(uid, fresh_uids, cwd, in_fd, out_fd, err_fd, channels=channels, inheritable=True)
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # the runner ignores it; exec'd programs expect it
        os.execvpe(argv[0], argv, env)
    except BaseException as exc:  # report why the program could not start, as a shell would
        try:
            os.write(2, f"codeforge runner: cannot run {argv[0]!r}: {exc}\n".encode())
        finally:
            os._exit(127 if isinstance(exc, FileNotFoundError) else 126)

def skipped_step(step: dict, timed_out: bool) -> dict:
    return {
        "name": step.get("name", "run"), "exit_code": None, "signal": None, "stdout": "", "stderr": "",
        "stdout_truncated": False, "stderr_truncated": False, "timed_out": timed_out,
        "output_limit": False, "syntax_error": False, "duration_s": 0.0,
    }
