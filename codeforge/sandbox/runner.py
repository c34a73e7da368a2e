#!/usr/bin/env python3
"""The program that runs inside every sandbox container (standard library only).

It reads one request per line on stdin and answers one JSON line per request on stdout:

    request:  {"files": {path: text}, "steps": [{"name", "argv", "cwd", "env", "stdin",
               "stop_on_failure"}], "artifacts": [path, ...], "timeout_s": float,
               "max_output_bytes": int}
    response: {"steps": [{"name", "exit_code", "signal", "stdout", "stderr", "stdout_truncated",
               "stderr_truncated", "timed_out", "output_limit", "duration_s"}],
               "artifacts": {path: text or null}, "oom": bool, "anomaly": str or null,
               "duration_s": float}

Two ways to run, chosen by who starts it:

* uid 0 (worker isolation): the container keeps only CAP_SETUID, CAP_SETGID and CAP_CHOWN. Every
  request runs under a uid never used before in this container, in a fresh 0700 work dir under /sandbox
  (which only the runner may write). When the
  request ends, a helper with that uid kills every process the uid owns (kill(-1) loops until nothing is
  left), then deletes every file and SysV IPC object the uid owns. The runner itself cannot be signalled
  or traced by a program: it has another uid.
* any other uid (program isolation): the container is used for one request and then removed, so the
  program runs under the runner's own uid and the container's end cleans everything.

The host decides what a step's outcome means (passed, failed, compile error, ...): this file only runs
steps and reports exactly what happened.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import resource
import select
import shutil
import signal
import sys
import time

UID_BASE = 20000
SANDBOX_ROOT = "/sandbox"
SCRUB_DIRS = ("/tmp", "/dev/shm", "/dev/mqueue")  # every place a program may write besides its work dir
PROCESS_LIMIT = 256  # per program (RLIMIT_NPROC counts the uid's tasks); the container has pids_limit too
KILL_PATIENCE_S = 2.0
DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"
LIBC = ctypes.CDLL(None, use_errno=True)


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[1] == "serve":
        serve(once="--once" in argv)
        return 0
    if len(argv) >= 3 and argv[1] == "warm-go":
        return warm_go(argv[2])
    sys.stderr.write("usage: runner.py serve [--once] | warm-go DIR\n")
    return 2


# ----------------------------------------------------------------------------------------------------
# serving requests


def serve(once: bool) -> None:
    global ZYGOTE
    fresh_uids = os.getuid() == 0
    if fresh_uids:  # no program may trace or read the runner (credentials change per helper thread)
        LIBC.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    if not once:  # for one program, starting python3 is cheaper than a zygote with preloaded modules
        ZYGOTE = Zygote()  # before any request is read, so its memory never holds a program's data
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
            response = run_request(json.loads(line), seq, fresh_uids)
        except Exception as exc:  # the runner must always answer; the host discards this container
            response = {"steps": [], "artifacts": {}, "oom": False, "anomaly": f"runner error: {exc!r}"}
        response["duration_s"] = round(time.monotonic() - started, 6)
        stdout.write(json.dumps(response).encode() + b"\n")
        stdout.flush()
        if once:
            return


def run_request(req: dict, seq: int, fresh_uids: bool) -> dict:
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

    steps = req.get("steps", [])
    for index, step in enumerate(steps):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            response["steps"].append(skipped_step(step, timed_out=True))
            break
        result = run_step(uid, fresh_uids, workdir, step, remaining, max_output)
        response["steps"].append(result)
        failed = result["exit_code"] != 0 or result["signal"] is not None
        if result["timed_out"] or result["output_limit"] or (failed and step.get("stop_on_failure", True)):
            break
        if index + 1 < len(steps):  # nothing a step started may run on into the next (scrub ends the last)
            leftover = as_user(uid, fresh_uids, kill_all_of_uid)
            if leftover:
                response["anomaly"] = leftover
                break

    wanted = req.get("artifacts") or []
    if wanted:
        response["artifacts"] = read_artifacts(uid, fresh_uids, workdir, wanted, max_output)
    error = finish(uid, fresh_uids, workdir)
    if error and not response["anomaly"]:
        response["anomaly"] = f"cleanup failed: {error}"
    response["oom"] = oom_kill_count() > oom_before
    return response


def skipped_step(step: dict, timed_out: bool) -> dict:
    return {
        "name": step.get("name", "run"), "exit_code": None, "signal": None, "stdout": "", "stderr": "",
        "stdout_truncated": False, "stderr_truncated": False, "timed_out": timed_out,
        "output_limit": False, "duration_s": 0.0,
    }


# ----------------------------------------------------------------------------------------------------
# acting as the program's uid


def drop_to(uid: int) -> None:
    """Become `uid` for good: no groups, no capabilities (a uid change from 0 clears them)."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


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


# Per-thread credential system calls (x86_64, aarch64). The libc wrappers would change every thread.
THREAD_CREDENTIAL_CALLS = {"x86_64": (116, 119, 117), "aarch64": (159, 149, 147)}.get(os.uname().machine)


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


def finish(uid: int, fresh_uids: bool, workdir: str):
    """Scrub everything of the program (as its uid), then remove its emptied work dir (as the runner)."""
    error = as_user(uid, fresh_uids, scrub, uid, fresh_uids, workdir)
    if fresh_uids:
        try:
            os.rmdir(workdir)
        except OSError as exc:
            error = error or f"work dir not removed: {exc}"
    return error


def write_files(workdir: str, files: dict) -> None:
    os.mkdir(os.path.join(workdir, ".codeforge"), 0o700)
    root = os.path.realpath(workdir)
    for rel, text in files.items():
        path = os.path.realpath(os.path.join(workdir, rel))
        if not path.startswith(root + os.sep):
            raise ValueError(f"file path escapes the work dir: {rel!r}")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)


def kill_all_of_uid():
    """Kill every process of the caller's uid (but the caller) until none is left.

    kill(-1) alone cannot tell when it is done: Linux counts processes it may not signal, so it never
    reports "no such process" while the runner lives. /proc tells which processes of the uid remain.
    """
    uid = os.getuid()
    give_up = time.monotonic() + KILL_PATIENCE_S
    while True:
        kill_once()
        if not live_processes_of(uid):
            return None
        if time.monotonic() > give_up:
            return "processes of the program survived SIGKILL"
        time.sleep(0.002)


def kill_once():
    try:
        os.kill(-1, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return None


def live_processes_of(uid: int) -> list:
    """Pids whose real uid is `uid`, not counting the caller, init (pid 1, which kill(-1) spares and which
    runs as the runner's uid in program isolation) and zombies (dead, reaped by init soon)."""
    me = os.getpid()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) in (me, 1):
            continue
        try:
            with open(f"/proc/{name}/status") as handle:
                status = handle.read()
        except OSError:
            continue
        state = real_uid = None
        for line in status.splitlines():
            if line.startswith("State:"):
                state = line.split()[1]
            elif line.startswith("Uid:"):
                real_uid = int(line.split()[1])
                break
        if real_uid == uid and state not in ("Z", "X"):
            found.append(int(name))
    return found


def scrub(uid: int, fresh_uids: bool, workdir: str):
    """Leave nothing of this uid behind: processes, files in every writable place, SysV IPC objects."""
    if not fresh_uids:  # the container is removed right after this request
        return kill_all_of_uid()
    error = kill_all_of_uid()
    os.chmod(workdir, 0o700)
    for entry in list(os.scandir(workdir)):
        remove_entry(entry)
    for top in SCRUB_DIRS:
        try:
            entries = list(os.scandir(top))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid == uid:
                    remove_entry(entry)
            except FileNotFoundError:
                continue
    remove_sysv_ipc(uid)
    return error


def remove_entry(entry) -> None:
    if entry.is_dir(follow_symlinks=False):
        os.chmod(entry.path, 0o700)
        shutil.rmtree(entry.path, onerror=_make_writable_and_retry)
    else:
        os.unlink(entry.path)


def _make_writable_and_retry(func, path, _exc_info):
    # A program may leave directories without write or search permission for itself.
    parent = os.path.dirname(path)
    os.chmod(parent, 0o700)
    if os.path.isdir(path) and not os.path.islink(path):
        os.chmod(path, 0o700)
    func(path)


def remove_sysv_ipc(uid: int) -> None:
    libc = LIBC
    ipc_rmid = 0
    for kind, remove in (
        ("shm", lambda ident: libc.shmctl(ident, ipc_rmid, None)),
        ("sem", lambda ident: libc.semctl(ident, 0, ipc_rmid)),
        ("msg", lambda ident: libc.msgctl(ident, ipc_rmid, None)),
    ):
        try:
            with open(f"/proc/sysvipc/{kind}") as handle:
                header = handle.readline().split()
                rows = [line.split() for line in handle]
        except OSError:
            continue
        id_col, uid_col = header.index(kind == "shm" and "shmid" or kind == "sem" and "semid" or "msqid"), header.index("uid")
        for row in rows:
            if int(row[uid_col]) == uid:
                remove(int(row[id_col]))


def read_artifacts(uid: int, fresh_uids: bool, workdir: str, wanted: list, limit: int) -> dict:
    def read_all_wanted():
        return {rel: read_text(os.path.join(workdir, rel), limit) for rel in wanted}

    found, _error = call_as(uid, fresh_uids, read_all_wanted)
    return found or {rel: None for rel in wanted}


def read_text(path: str, limit: int):
    try:
        with open(path, "rb") as handle:
            return handle.read(limit).decode("utf-8", errors="replace")
    except OSError:
        return None


def oom_kill_count() -> int:
    """Kills by the OOM killer in this container's memory cgroup so far (cgroup v1 or v2)."""
    for path, key in (("/sys/fs/cgroup/memory.events", "oom_kill"),
                      ("/sys/fs/cgroup/memory/memory.oom_control", "oom_kill")):
        try:
            with open(path) as handle:
                for line in handle:
                    name, _, value = line.partition(" ")
                    if name == key:
                        return int(value)
        except OSError:
            continue
    return 0


# ----------------------------------------------------------------------------------------------------
# one step: a process with a deadline and capped output


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
        self.buffer = b""

    def spawn(self, spec: dict, fds: list, has_stdin: bool) -> "ZygoteChild":
        import socket

        spec = dict(spec, has_stdin=has_stdin)
        socket.send_fds(self.sock, [json.dumps(spec).encode()], fds)
        while "pid" not in self.statuses:
            self._read(block=True)
        return ZygoteChild(self, self.statuses.pop("pid"))

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
        # Statuses of the program's own children that the zygote reaped are of no interest.
        self.zygote.statuses = {k: v for k, v in self.zygote.statuses.items() if k == "pid"}


ZYGOTE = None


def zygote_main(sock) -> None:
    """The zygote's loop: fork a program for each order, report each exit. Never returns."""
    import atexit  # noqa: F401  (imported once here, so that no program pays for them)
    import io  # noqa: F401
    import socket
    import threading  # noqa: F401
    import traceback  # noqa: F401
    import types  # noqa: F401

    preload_modules()

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
                message, fds, _flags, _addr = socket.recv_fds(sock, 1 << 20, 3)
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


def run_python_child(spec: dict, fds: list) -> None:
    """In a child of the zygote: become the program, run the script as `python3 PATH` would. Never returns."""
    import io
    import types

    code = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.setsid()
        if spec["fresh_uids"]:
            drop_to(spec["uid"])
            resource.setrlimit(resource.RLIMIT_NPROC, (PROCESS_LIMIT, PROCESS_LIMIT))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        try:
            with open("/proc/self/oom_score_adj", "w") as handle:
                handle.write("1000")
        except OSError:
            pass
        if spec["has_stdin"]:
            stdin_fd, out_fd, err_fd = fds
        else:
            stdin_fd, (out_fd, err_fd) = os.open(os.devnull, os.O_RDONLY), fds
        os.dup2(stdin_fd, 0)
        os.dup2(out_fd, 1)
        os.dup2(err_fd, 2)
        os.closerange(3, 65536)
        os.chdir(spec["cwd"])
        os.environ.clear()
        os.environ.update(spec["env"])
        sys.stdin = sys.__stdin__ = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
        sys.stdout = sys.__stdout__ = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8",
                                                       write_through=True)
        sys.stderr = sys.__stderr__ = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8",
                                                       errors="backslashreplace", write_through=True)
        if "random" in sys.modules:  # never share a random state between programs
            sys.modules["random"].seed()
        path = spec["path"]
        sys.argv = [path]
        sys.path[0] = os.path.dirname(os.path.abspath(path))
        main = types.ModuleType("__main__")
        main.__file__ = path
        main.__builtins__ = __builtins__
        sys.modules["__main__"] = main
        code = run_script(path, main.__dict__)
    except BaseException as exc:
        try:
            os.write(2, f"codeforge runner: cannot start the program: {exc!r}\n".encode())
        except OSError:
            pass
    finally:
        os._exit(code)


def run_script(path: str, namespace: dict) -> int:
    """Compile and run a script; return the exit code, printing errors exactly as the interpreter does."""
    import threading
    import traceback

    def report(exc: BaseException) -> None:
        tb = exc.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename != path:
            tb = tb.tb_next  # hide the runner's own frames
        traceback.print_exception(type(exc), exc, tb)

    code = 0
    try:
        with open(path, "rb") as handle:
            source = handle.read()
        exec(compile(source, path, "exec"), namespace)
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


def exit_code_of(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code & 0xFF
    print(exc.code, file=sys.stderr)
    return 1


def run_step(uid: int, fresh_uids: bool, workdir: str, step: dict, timeout: float, max_output: int) -> dict:
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
    started = time.monotonic()
    if step.get("python") and ZYGOTE is not None:
        spec = {"uid": uid, "fresh_uids": fresh_uids, "cwd": cwd, "env": env, "path": step["python"]}
        process = ZYGOTE.spawn(spec, [fd for fd in (in_r, out_w, err_w) if fd is not None], in_r is not None)
    else:
        pid = os.fork()
        if pid == 0:
            exec_child(uid, fresh_uids, cwd, argv, env, in_r, out_w, err_w)
        process = ChildProcess(pid)
    for fd in (out_w, err_w, in_r):
        if fd is not None:
            os.close(fd)

    streams = {out_r: bytearray(), err_r: bytearray()}
    truncated = {out_r: False, err_r: False}
    pending_in = memoryview(stdin_bytes) if stdin_bytes is not None else None
    if in_w is not None:
        os.set_blocking(in_w, False)
        if not pending_in:
            os.close(in_w)
            in_w = None
    deadline = started + timeout
    status = None
    timed_out = output_limit = False
    open_fds = {out_r, err_r}

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
    for fd in (out_r, err_r, in_w):
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
        "duration_s": round(duration, 6),
    }


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


def exec_child(uid, fresh_uids, cwd, argv, env, in_fd, out_fd, err_fd) -> None:
    """In the forked child: become the program and exec it. Never returns."""
    try:
        os.setsid()
        if fresh_uids:
            drop_to(uid)
            resource.setrlimit(resource.RLIMIT_NPROC, (PROCESS_LIMIT, PROCESS_LIMIT))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        try:  # the OOM killer should pick the program, not the runner
            with open("/proc/self/oom_score_adj", "w") as handle:
                handle.write("1000")
        except OSError:
            pass
        os.dup2(in_fd if in_fd is not None else os.open(os.devnull, os.O_RDONLY), 0)
        os.dup2(out_fd, 1)
        os.dup2(err_fd, 2)
        os.closerange(3, 65536)
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        os.chdir(cwd)
        os.execvpe(argv[0], argv, env)
    except BaseException as exc:  # report why the program could not start, as a shell would
        try:
            os.write(2, f"codeforge runner: cannot run {argv[0]!r}: {exc}\n".encode())
        finally:
            os._exit(127 if isinstance(exc, FileNotFoundError) else 126)


# ----------------------------------------------------------------------------------------------------
# image build helpers


def warm_go(directory: str) -> int:
    """Fill a read-only Go build cache with std, testing and testify as the sandbox builds them."""
    import subprocess
    import tempfile

    cache = os.environ.get("GOCACHE_WARM", "/opt/gocache")
    with tempfile.TemporaryDirectory() as gopath:
        package = os.path.join(gopath, "src", "warm")
        shutil.copytree(directory, package)
        env = dict(os.environ, GOCACHE=cache, GOPATH=f"{gopath}:/usr/share/gocode", HOME=gopath)
        for argv in (["go", "test", "-count=1", "-cover", "-json", "./"], ["go", "build", "-o", "/dev/null", "./"]):
            subprocess.run(argv, cwd=package, env=env, check=True, stdout=subprocess.DEVNULL)
    for root, dirs, files in os.walk(cache):
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o555)
        for name in files:
            os.chmod(os.path.join(root, name), 0o444)
    os.chmod(cache, 0o555)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
