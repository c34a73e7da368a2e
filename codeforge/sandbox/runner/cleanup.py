"""Leaving nothing behind: killing every process of a uid, deleting its files and IPC objects,
reading tool reports out of a work dir, and the memory cgroup's OOM kill count."""

from __future__ import annotations

import os
import shutil
import signal
import time

from identity import LIBC, as_user, call_as

SCRUB_DIRS = ("/tmp", "/dev/shm", "/dev/mqueue")  # every place a program may write besides its work dir
KILL_PATIENCE_S = 2.0


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

def finish(uid: int, fresh_uids: bool, workdir: str, spare=None):
    """Scrub everything of the program (as its uid), then remove its emptied work dir (as the runner).
    `spare`: a process of the uid that stays (the container's harness process)."""
    error = as_user(uid, fresh_uids, scrub, uid, fresh_uids, workdir, spare)
    if fresh_uids:
        try:
            os.rmdir(workdir)
        except OSError as exc:
            error = error or f"work dir not removed: {exc}"
    return error

def kill_all_of_uid(spare=None):
    """Kill every process of the caller's uid (but the caller, and `spare`) until none is left.

    kill(-1) alone cannot tell when it is done: Linux counts processes it may not signal, so it never
    reports "no such process" while the runner lives. /proc tells which processes of the uid remain.
    """
    uid = os.getuid()
    give_up = time.monotonic() + KILL_PATIENCE_S
    while True:
        if spare is None:
            kill_once()
        for pid in live_processes_of(uid) if spare is not None else ():
            if pid != spare:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if not [pid for pid in live_processes_of(uid) if pid != spare]:
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

def scrub(uid: int, fresh_uids: bool, workdir: str, spare=None):
    """Leave nothing of this uid behind (but the process `spare`): processes, files in every writable place,
    SysV IPC objects."""
    if not fresh_uids:  # the container is removed right after this request
        return kill_all_of_uid(spare)
    error = kill_all_of_uid(spare)
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
