"""The zygote: a clean interpreter that forks Python programs in about a millisecond instead of the
20 ms a new python3 takes, and runs each one exactly as `python3 PATH` would."""

from __future__ import annotations

import json
import os
import select
import signal
import sys

from identity import become_program

SYNTAX_ERROR = b"syntax-error"  # what a Python step's report pipe carries when the script does not compile


class Zygote:
    """A clean interpreter that forks Python programs in about a millisecond instead of starting python3.

    It is forked before the runner reads its first request and afterwards only ever receives small
    spawn orders (uid, paths, environment) and the program's stdio descriptors: no program's files, output
    or result passes through it, so a program cannot find another's data in the memory it inherits.
    """

    def __init__(self):
        import socket

        self.sock, theirs = socket.socketpair()
        self.pid = os.fork()
        if self.pid == 0:
            self.sock.close()
            zygote_main(theirs)
        theirs.close()
        self.statuses: dict = {}
        self.live: set = set()  # the children spawned and not closed: their exits are kept until asked for
        self.buffer = b""

    def spawn(self, spec: dict, fds: list, has_stdin: bool) -> "ZygoteChild":
        import socket

        spec = dict(spec, has_stdin=has_stdin)
        socket.send_fds(self.sock, [json.dumps(spec).encode()], fds)
        while "pid" not in self.statuses:
            self._read(block=True)
        pid = self.statuses.pop("pid")
        self.live.add(pid)
        return ZygoteChild(self, pid)

    def _read(self, block: bool) -> None:
        if not block and not select.select([self.sock], [], [], 0)[0]:
            return
        data = self.sock.recv(65536)
        if not data:
            raise RuntimeError("the zygote died")
        self.buffer += data
        while b"\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\n", 1)
            kind, *values = line.decode().split()
            if kind == "pid":
                self.statuses["pid"] = int(values[0])
            elif kind == "exit":
                self.statuses[int(values[0])] = int(values[1])

class DirectSpawner:
    """For a runner that serves one request only: it forks the program from itself. Its memory holds
    nothing but this request, so there is nothing to keep clean, and no interpreter to start."""

    def spawn(self, spec: dict, fds: list, has_stdin: bool):
        from steps import ChildProcess

        pid = os.fork()
        if pid == 0:
            run_python_child(dict(spec, has_stdin=has_stdin), fds)
        return ChildProcess(pid)


class ZygoteChild:
    def __init__(self, zygote: Zygote, pid: int):
        self.zygote = zygote
        self.pid = pid

    def fileno(self) -> int:
        return self.zygote.sock.fileno()

    def poll(self):
        self.zygote._read(block=False)
        return self.zygote.statuses.pop(self.pid, None)

    def wait(self):
        while self.pid not in self.zygote.statuses:
            self.zygote._read(block=True)
        return self.zygote.statuses.pop(self.pid)

    def close(self) -> None:
        # Another child's exit (the harness process's, say) stays until that child is asked about it.
        self.zygote.live.discard(self.pid)
        self.zygote.statuses = {k: v for k, v in self.zygote.statuses.items() if k == "pid" or k in self.zygote.live}

def zygote_main(sock) -> None:
    """The zygote's loop: fork a program for each order, report each exit. Never returns."""
    import atexit  # noqa: F401  (imported once here, so that no program pays for them)
    import io  # noqa: F401
    import socket
    import threading  # noqa: F401
    import traceback  # noqa: F401
    import types  # noqa: F401

    import candidate  # noqa: F401  (the two sides of a checked test run, ready in every fork)
    import harness  # noqa: F401

    preload_modules()
    # What the zygote holds now is shared by every fork; a collection in a child would touch (and so copy)
    # all of it. Frozen objects are never collected.
    import gc

    gc.collect()
    gc.freeze()

    try:
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0)  # the runner's stdin and stdout are the host's channel: not the zygote's
        os.dup2(devnull, 1)
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_r, False)
        os.set_blocking(wake_w, False)
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        while True:
            readable = select.select([sock, wake_r], [], [])[0]
            if wake_r in readable:
                try:
                    while os.read(wake_r, 4096):
                        pass
                except BlockingIOError:
                    pass
                while True:
                    try:
                        pid, status = os.waitpid(-1, os.WNOHANG)
                    except ChildProcessError:
                        break
                    if pid == 0:
                        break
                    sock.sendall(f"exit {pid} {status}\n".encode())
            if sock in readable:
                message, fds, _flags, _addr = socket.recv_fds(sock, 1 << 20, 16)
                if not message:
                    os._exit(0)
                spec = json.loads(message)
                pid = os.fork()
                if pid == 0:
                    sock.close()
                    os.close(wake_r)
                    os.close(wake_w)
                    run_python_child(spec, fds)
                for fd in fds:
                    os.close(fd)
                sock.sendall(f"pid {pid}\n".encode())
    finally:
        os._exit(0)

# Standard modules that benchmark programs import all the time (typing alone costs ~6 ms a program).
# Importing them once in the zygote changes nothing a program can observe except the time: a fresh
# interpreter would import the same modules. `random` is left out, so that every program seeds its own.
# Kept short: every module makes the zygote bigger, and so every fork slower.
PRELOAD = ("typing", "math", "re", "collections", "itertools", "functools", "string", "heapq", "bisect",
           "hashlib", "operator", "copy")

def preload_modules() -> None:
    import importlib

    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass

RUNNER_MODULES = ("cleanup", "identity", "steps", "zygote", "warm", "check", "codec", "candidate", "harness")


def run_python_child(spec: dict, fds: list) -> None:
    """In a child of the zygote: become the program, run the script as `python3 PATH` would. Never returns.

    spec["role"], for a checked test run: "candidate" (load the program and answer the harness: candidate.py;
    descriptors stdout, stderr, requests, answers, report) or "harness" (the container's harness process:
    harness.py; descriptors stdout, stderr, control socket)."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        fds = list(fds)
        role = spec.get("role")
        if role == "candidate":
            code = run_candidate(spec, fds)
            return
        if role == "harness":
            code = run_harness(spec, fds)
            return
        report_fd = fds.pop() if spec.get("report_fd") else None
        stdin_fd, out_fd, err_fd = fds if spec["has_stdin"] else (None, *fds)
        become(spec, stdin_fd, out_fd, err_fd, report_fd=report_fd)
        code = run_script(spec["path"], new_main(spec["path"]).__dict__, report_fd)
    except BaseException as exc:
        try:
            os.write(2, f"codeforge runner: cannot start the program: {exc!r}\n".encode())
        except OSError:
            pass
    finally:
        os._exit(code)


def become(spec: dict, stdin_fd, out_fd: int, err_fd: int, report_fd=None, channels=()) -> None:
    """Take the identity, descriptors, environment and standard streams spec names."""
    import io

    become_program(spec["uid"], spec["fresh_uids"], spec["cwd"], stdin_fd, out_fd, err_fd, report_fd, channels)
    os.environ.clear()
    os.environ.update(spec["env"])
    sys.stdin = sys.__stdin__ = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
    sys.stdout = sys.__stdout__ = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8",
                                                   write_through=True)
    sys.stderr = sys.__stderr__ = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8",
                                                   errors="backslashreplace", write_through=True)
    if "random" in sys.modules:  # never share a random state between programs
        sys.modules["random"].seed()


def new_main(path: str):
    """A fresh __main__ for the program at `path`, the runner's own modules forgotten (the program's own
    `steps.py` or `check.py` must not be the runner's)."""
    import types

    for name in RUNNER_MODULES:
        sys.modules.pop(name, None)
    sys.argv = [path]
    sys.path[0] = os.path.dirname(os.path.abspath(path))
    main = types.ModuleType("__main__")
    main.__file__ = path
    main.__builtins__ = __builtins__
    sys.modules["__main__"] = main
    return main


def run_candidate(spec: dict, fds: list) -> int:
    import candidate

    out_fd, err_fd, requests_fd, answers_fd, report_fd = fds
    become(spec, None, out_fd, err_fd, channels=[requests_fd, answers_fd, report_fd])
    new_main(spec["path"])
    return candidate.serve(spec["path"], spec["main"], spec.get("modules") or [], 3, 4, 5)


def run_harness(spec: dict, fds: list) -> int:
    import socket

    import harness
    from identity import LIBC

    out_fd, err_fd, control_fd = fds
    become(spec, None, out_fd, err_fd, channels=[control_fd])
    LIBC.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 0: the tests in its memory stay unreadable
    return harness.serve(socket.socket(fileno=3))


def run_script(path: str, namespace: dict, report_fd=None) -> int:
    """Compile and run a script; return the exit code, printing errors exactly as the interpreter does.

    `report_fd` tells the runner that the script itself does not compile (it gets SYNTAX_ERROR), as
    opposed to a SyntaxError the program raises while it runs. It is closed before any of the program's
    code runs, so the program cannot write to it."""
    import threading
    import traceback

    def report(exc: BaseException) -> None:
        tb = exc.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename != path:
            tb = tb.tb_next  # hide the runner's own frames
        traceback.print_exception(type(exc), exc, tb)

    code = 0
    try:
        try:
            with open(path, "rb") as handle:
                source = handle.read()
            program = compile(source, path, "exec")
        except SyntaxError:
            tell_runner(report_fd, SYNTAX_ERROR)
            raise
        finally:
            if report_fd is not None:
                os.close(report_fd)
        exec(program, namespace)
    except SystemExit as exc:
        code = exit_code_of(exc)
    except BaseException as exc:
        report(exc)
        code = 1
    try:
        threading._shutdown()
    except Exception:
        pass
    try:
        import atexit

        atexit._run_exitfuncs()
    except SystemExit as exc:
        code = exit_code_of(exc)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            code = code or 120
    return code

def tell_runner(fd, message: bytes) -> None:
    if fd is None:
        return
    try:
        os.write(fd, message)
    except OSError:
        pass


def exit_code_of(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code & 0xFF
    print(exc.code, file=sys.stderr)
    return 1
