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

* uid 0 (worker isolation): the container keeps only CAP_SETUID and CAP_SETGID. Every request runs
  under a uid never used before in this container, in a fresh 0700 work dir under /sandbox. When the
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
SCRUB_DIRS = ("/tmp", "/dev/shm", "/dev/mqueue", SANDBOX_ROOT)
PROCESS_LIMIT = 256  # per program (RLIMIT_NPROC counts the uid's tasks); the container has pids_limit too
KILL_PATIENCE_S = 2.0
DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"


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
    fresh_uids = os.getuid() == 0
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

    error = as_user(uid, fresh_uids, prepare_workdir, workdir, req.get("files", {}))
    if error:
        response["anomaly"] = f"could not prepare the work dir: {error}"
        as_user(uid, fresh_uids, scrub, uid, fresh_uids)
        return response

    for step in req.get("steps", []):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            response["steps"].append(skipped_step(step, timed_out=True))
            break
        result = run_step(uid, fresh_uids, workdir, step, remaining, max_output)
        response["steps"].append(result)
        leftover = as_user(uid, fresh_uids, kill_all_of_uid)
        if leftover:
            response["anomaly"] = leftover
            break
        failed = result["exit_code"] != 0 or result["signal"] is not None
        if result["timed_out"] or result["output_limit"] or (failed and step.get("stop_on_failure", True)):
            break

    wanted = req.get("artifacts") or []
    if wanted:
        response["artifacts"] = read_artifacts(uid, fresh_uids, workdir, wanted, max_output)
    error = as_user(uid, fresh_uids, scrub, uid, fresh_uids)
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
    """Run fn(*args) as `uid` and return an error text, or None when it succeeded.

    With fresh uids this happens in a forked child that drops to the uid first, so the runner never
    touches the program's files with its own identity. Otherwise the runner already is that uid.
    """
    if not fresh_uids:
        try:
            return fn(*args)
        except Exception as exc:
            return repr(exc)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        code = 0
        try:
            os.close(read_end)
            drop_to(uid)
            message = fn(*args)
            if message:
                os.write(write_end, str(message).encode()[:8192])
                code = 1
        except BaseException as exc:
            try:
                os.write(write_end, repr(exc).encode()[:8192])
            finally:
                code = 1
        os._exit(code)
    os.close(write_end)
    message = read_all(read_end)
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        return message.decode(errors="replace") or f"helper exited with status {status}"
    return None


def read_all(fd: int) -> bytes:
    chunks = []
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def prepare_workdir(workdir: str, files: dict) -> None:
    os.mkdir(workdir, 0o700)
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
    """Pids whose real uid is `uid`, not counting the caller and zombies (dead, reaped by init soon)."""
    me = os.getpid()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == me:
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


def scrub(uid: int, fresh_uids: bool):
    """Leave nothing of this uid behind: processes, files in every writable place, SysV IPC objects."""
    if not fresh_uids:  # the container is removed right after this request
        return kill_all_of_uid()
    error = kill_all_of_uid()
    for top in SCRUB_DIRS:
        try:
            entries = list(os.scandir(top))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid != uid:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    os.chmod(entry.path, 0o700)
                    shutil.rmtree(entry.path, onerror=_make_writable_and_retry)
                else:
                    os.unlink(entry.path)
            except FileNotFoundError:
                continue
    remove_sysv_ipc(uid)
    return error


def _make_writable_and_retry(func, path, _exc_info):
    # A program may leave directories without write or search permission for itself.
    parent = os.path.dirname(path)
    os.chmod(parent, 0o700)
    if os.path.isdir(path) and not os.path.islink(path):
        os.chmod(path, 0o700)
    func(path)


def remove_sysv_ipc(uid: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
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
    found: dict = {}
    if not fresh_uids:
        for rel in wanted:
            found[rel] = read_text(os.path.join(workdir, rel), limit)
        return found
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_end)
            drop_to(uid)
            data = {rel: read_text(os.path.join(workdir, rel), limit) for rel in wanted}
            payload = json.dumps(data).encode()
            view = memoryview(payload)
            while view:
                view = view[os.write(write_end, view):]
        finally:
            os._exit(0)
    os.close(write_end)
    payload = read_all(read_end)
    os.close(read_end)
    os.waitpid(pid, 0)
    try:
        return json.loads(payload) if payload else {rel: None for rel in wanted}
    except ValueError:
        return {rel: None for rel in wanted}


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
    pid = os.fork()
    if pid == 0:
        exec_child(uid, fresh_uids, cwd, argv, env, in_r, out_w, err_w)
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
            waited, st = os.waitpid(pid, os.WNOHANG)
            if waited:
                status = st
        if status is not None:
            drain(open_fds, streams, truncated, max_output)
            break
        now = time.monotonic()
        if now >= deadline:
            timed_out = True
            break
        writers = [in_w] if in_w is not None else []
        readable, writable, _ = select.select(list(open_fds), writers, [], min(0.05, deadline - now))
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
            if not read_into(fd, streams, truncated, max_output):
                open_fds.discard(fd)
        if truncated[out_r] or truncated[err_r]:
            output_limit = True
            break

    if status is None:  # timed out or flooded: stop everything the program started, then reap it
        # One pass only: the program is our unreaped child, so it stays signalable until waitpid. The
        # sweep after the step repeats the kill until nothing of the uid is left.
        as_user(uid, fresh_uids, kill_once)
        _, status = os.waitpid(pid, 0)
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
