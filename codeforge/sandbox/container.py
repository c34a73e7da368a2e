"""One sandbox container running the runner, spoken to through its attached stdin and stdout.

Hardening (every container): no network, read-only root filesystem, size-capped exec-able tmpfs for
/sandbox and /tmp, all capabilities dropped, no-new-privileges, pids limit, memory limit with swap equal
to it, CPU limit, no log driver (output is capped by the runner at the source), an init process as PID 1,
and the `codeforge.sandbox` label. The runner is uid 0 with only CAP_SETUID, CAP_SETGID and CAP_CHOWN, so
that it can give each program a fresh uid and work dir, and a checked test run's tests a uid of their own; in
program isolation it serves one request and the container is removed.
"""

from __future__ import annotations

import json
import socket
import struct
import time
from .lifecycle import LABEL, OWNER_LABEL, remove_container
from .settings import SandboxSettings

RUNNER_PATH = "/opt/codeforge/runner"  # a folder with __main__.py
STDOUT, STDERR = 1, 2


class RunnerLost(RuntimeError):
    """The runner stopped answering (it died, the container went away, or the watchdog fired)."""


class RunnerContainer:
    def __init__(self, client, image: str, memory_mb: int, settings: SandboxSettings, owner: str,
                 once: bool = False):
        self.api = client.api
        self.image = image
        self.memory_mb = memory_mb
        self.served = 0
        self.sock = None
        worker = not once
        limit = f"{memory_mb + settings.runner_overhead_mb}m"
        host_config = self.api.create_host_config(
            network_mode="none",
            read_only=True,
            tmpfs={
                # Work dirs: only the runner may create them, each owned by its program (or its tests).
                "/sandbox": f"rw,exec,nosuid,nodev,size={settings.workdir_mb}m,mode=0711",
                "/tmp": f"rw,exec,nosuid,nodev,size={settings.tmp_mb}m,mode=1777",
            },
            cap_drop=["ALL"],
            cap_add=["SETUID", "SETGID", "CHOWN"],
            security_opt=["no-new-privileges"],
            pids_limit=settings.pids_limit,
            mem_limit=limit,
            memswap_limit=limit,
            nano_cpus=int(settings.cpus * 1e9),
            init=True,
            log_config={"type": "none", "config": {}},
            auto_remove=True,
            ipc_mode="private",
            shm_size="64m",
        )
        command = ["python3", RUNNER_PATH, "serve"] + ([] if worker else ["--once"])
        created = self.api.create_container(
            image, command=command, user="0:0", stdin_open=True,  # with detach=False this also sets StdinOnce: stdin closes when we go
           
            network_disabled=True, labels={LABEL: "1", OWNER_LABEL: owner}, host_config=host_config,
            working_dir="/sandbox",
        )
        self.id = created["Id"]
        try:
            raw = self.api.attach_socket(self.id, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
            self.sock = getattr(raw, "_sock", raw)
            self.api.start(self.id)
        except BaseException:
            self.remove()
            raise
        self._buffer = b""
        self._line = bytearray()
        self.runner_stderr = bytearray()

    def ask(self, request: dict, wait_s: float) -> dict:
        """Send one request and wait up to `wait_s` for the runner's one-line answer."""
        payload = json.dumps(request).encode() + b"\n"
        deadline = time.monotonic() + wait_s
        sock = self.sock  # another thread may hang up meanwhile: reads then fail, as they should
        if sock is None:
            raise RunnerLost("the container was closed")  # untranslated: stored in a sandbox_error result
        try:
            sock.settimeout(max(0.1, wait_s))
            sock.sendall(payload)
            while True:
                stream, data = self._next_frame(sock, deadline)
                if stream == STDERR:
                    self.runner_stderr += data[-65536:]
                    continue
                self._line += data
                newline = self._line.find(b"\n")
                if newline >= 0:
                    line, rest = bytes(self._line[:newline]), self._line[newline + 1:]
                    self._line = bytearray(rest)
                    self.served += 1
                    return json.loads(line)
        except (OSError, EOFError, ValueError) as exc:
            raise RunnerLost(f"runner did not answer: {exc}") from exc  # untranslated: stored in a result

    def _next_frame(self, sock, deadline: float) -> tuple[int, bytes]:
        header = self._read(sock, 8, deadline)
        stream, size = struct.unpack(">BxxxL", header)
        return stream, self._read(sock, size, deadline)

    def _read(self, sock, size: int, deadline: float) -> bytes:
        while len(self._buffer) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise socket.timeout("watchdog: no answer in time")  # untranslated: caught, becomes RunnerLost
            chunk = _receive(sock, size - len(self._buffer), remaining)
            if not chunk:
                tail = bytes(self.runner_stderr[-500:]).decode(errors="replace").strip()
                # untranslated: caught, becomes RunnerLost, stored in a result
                raise EOFError(f"the container closed the stream{': ' + tail if tail else ''}")
            self._buffer += chunk
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def oom_killed(self) -> bool:
        import docker.errors

        try:
            return bool(self.api.inspect_container(self.id)["State"].get("OOMKilled"))
        except docker.errors.APIError:
            return False

    def retire(self, patience_s: float = 10.0) -> None:
        """Let a container whose runner is done exit on its own and the engine remove it (auto-remove); remove
        it ourselves only when that is not seen within `patience_s`."""
        import docker.errors
        import requests

        self._hang_up()  # stdin closes too: a runner still waiting for a request exits
        try:
            self.api.wait(self.id, timeout=patience_s, condition="removed")
            return
        except (docker.errors.APIError, requests.exceptions.RequestException):
            pass  # gone already (not found), or still there: removing it says which
        self.remove()

    def remove(self) -> None:
        self._hang_up()
        remove_container(self.api, self.id)

    def _hang_up(self) -> None:
        """Close our end of the stream; shutdown() also wakes a thread blocked reading it."""
        sock, self.sock = self.sock, None
        if sock is None:
            return
        for action in (lambda: sock.shutdown(socket.SHUT_RDWR), sock.close):
            try:
                action()
            except OSError:
                pass


def _receive(sock, wanted: int, remaining: float) -> bytes:
    """What the container's stream holds next: up to 64 KiB from a socket within `remaining` seconds. An engine
    reached over ssh (docker's ssh transport) gives the ssh client's output pipe instead, whose recv waits for all
    it is asked: read what is there (at least a byte), which the watchdog cannot cut short; the runner's own time
    limits still end every program."""
    proc = getattr(sock, "proc", None)
    if proc is not None and hasattr(proc.stdout, "read1"):
        return proc.stdout.read1(max(1, wanted))
    sock.settimeout(remaining)
    return sock.recv(max(65536, wanted))

