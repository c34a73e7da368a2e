"""Acting as a program's uid: dropping to it for good, or briefly, for the runner's own chores."""

from __future__ import annotations

import ctypes
import json
import os
import resource

PROCESS_LIMIT = 256  # per program (RLIMIT_NPROC counts the uid's tasks); the container has pids_limit too
LIBC = ctypes.CDLL(None, use_errno=True)
# Per-thread credential system calls (setgroups, setresgid, setresuid) on x86_64 and aarch64. The libc
# wrappers would change every thread of the runner.
THREAD_CREDENTIAL_CALLS = {"x86_64": (116, 119, 117), "aarch64": (159, 149, 147)}.get(os.uname().machine)


def drop_to(uid: int) -> None:
    """Become `uid` for good: no groups, no capabilities (a uid change from 0 clears them)."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


def become_program(uid: int, fresh_uids: bool, cwd: str, stdin_fd, out_fd: int, err_fd: int,
                   keep_fd=None, channels=(), inheritable: bool = False) -> None:
    """In a forked child, before the program's code runs: its own session, its uid without any
    capability, its limits, its stdio, its work dir. The OOM killer should pick it, not the runner.
    Every other descriptor is closed but `keep_fd` (the runner's, closed before the program's code runs)
    and the `channels`, which become descriptors 3, 4, ... in their order (kept across exec when
    `inheritable`)."""
    import fcntl

    os.setsid()
    if fresh_uids:
        drop_to(uid)
        resource.setrlimit(resource.RLIMIT_NPROC, (PROCESS_LIMIT, PROCESS_LIMIT))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    try:
        with open("/proc/self/oom_score_adj", "w") as handle:
            handle.write("1000")
    except OSError:
        pass
    os.dup2(stdin_fd if stdin_fd is not None else os.open(os.devnull, os.O_RDONLY), 0)
    os.dup2(out_fd, 1)
    os.dup2(err_fd, 2)
    if channels:
        moved = [fcntl.fcntl(fd, fcntl.F_DUPFD, 1024 + i) for i, fd in enumerate(channels)]
        for number, fd in enumerate(moved, start=3):
            os.dup2(fd, number, inheritable=inheritable)
        os.closerange(3 + len(channels), 65536)
    elif keep_fd is None:
        os.closerange(3, 65536)
    else:
        os.closerange(3, keep_fd)
        os.closerange(keep_fd + 1, 65536)
    os.chdir(cwd)


def as_user(uid: int, fresh_uids: bool, fn, *args):
    """Run fn(*args) as `uid`; return an error text, or None when it succeeded (fn may return an error)."""
    value, error = call_as(uid, fresh_uids, fn, *args)
    return error or value

def call_as(uid: int, fresh_uids: bool, fn, *args):
    """Run fn(*args) with the identity of `uid` and return (its value, an error text or None).

    The runner never touches a program's files or processes with its own identity. On Linux
    credentials belong to each thread, so a short-lived thread that switches only itself to `uid` (raw
    setresuid/setresgid/setgroups system calls, not the libc wrappers that switch every thread) does it
    in a tenth of the time of a forked child; where the call numbers are unknown, a child is forked.
    The runner is not dumpable, so no program can trace such a thread.
    """
    if not fresh_uids:
        try:
            return fn(*args), None
        except Exception as exc:
            return None, repr(exc)
    if THREAD_CREDENTIAL_CALLS is not None:
        return call_in_thread(uid, fn, args)
    return call_in_child(uid, fn, args)


def call_in_thread(uid: int, fn, args):
    import threading

    outcome: list = [None, "the helper thread did not finish"]

    def body():
        try:
            libc = LIBC
            setgroups, setresgid, setresuid = THREAD_CREDENTIAL_CALLS
            for number, call_args in ((setgroups, (0, None)), (setresgid, (uid, uid, uid)),
                                      (setresuid, (uid, uid, uid))):
                if libc.syscall(number, *call_args) != 0:
                    raise OSError(ctypes.get_errno(), "cannot switch the helper thread's identity")
            if os.getuid() != uid or os.getgid() != uid:
                raise OSError("the helper thread did not take the program's identity")
            outcome[:] = [fn(*args), None]
        except BaseException as exc:
            outcome[:] = [None, repr(exc)]

    helper = threading.Thread(target=body)
    helper.start()
    helper.join()
    return outcome[0], outcome[1]

def call_in_child(uid: int, fn, args):
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        code = 0
        try:
            os.close(read_end)
            drop_to(uid)
            payload = json.dumps([fn(*args), None]).encode()
        except BaseException as exc:
            payload = json.dumps([None, repr(exc)]).encode()
            code = 1
        try:
            view = memoryview(payload)
            while view:
                view = view[os.write(write_end, view):]
        finally:
            os._exit(code)
    os.close(write_end)
    payload = read_all(read_end)
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    try:
        value, error = json.loads(payload)
    except ValueError:
        value, error = None, f"helper exited with status {status}"
    return value, error

def read_all(fd: int) -> bytes:
    chunks = []
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
