"""Who owns a sandbox container, and removing the ones whose owner is gone.

Every container carries the label `codeforge.sandbox` and `codeforge.owner` = "host:pid:start", the
start time making a recycled pid look like a different process. A run sweeps the leftovers of dead runs
on this host when it starts; `codeforge sandbox prune` does the same on demand (`--all`: every
labelled container, live runs included).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from typing import Optional

LABEL = "codeforge.sandbox"
OWNER_LABEL = "codeforge.owner"


def process_start(pid: int) -> Optional[str]:
    """The kernel's start time of `pid` (clock ticks since boot), or None if there is no such process."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read().decode(errors="replace")
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its closing parenthesis.
    return stat.rsplit(")", 1)[1].split()[19]


def current_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{process_start(os.getpid())}"


def owner_alive(owner: str) -> Optional[bool]:
    """True or False for an owner on this host; None when it belongs to another host (cannot tell)."""
    parts = owner.rsplit(":", 2)
    if len(parts) != 3:
        return False
    host, pid, start = parts
    if host != socket.gethostname():
        return None
    if not pid.isdigit():
        return False
    return process_start(int(pid)) == start


@dataclass
class PruneReport:
    removed: list[str]
    kept_live: list[str]
    kept_other_host: list[str]


def prune(client, everything: bool = False) -> PruneReport:
    """Remove labelled containers whose owner process is gone (or all of them with `everything`)."""
    report = PruneReport([], [], [])
    for info in client.api.containers(all=True, filters={"label": LABEL}):
        owner = (info.get("Labels") or {}).get(OWNER_LABEL, "")
        alive = owner_alive(owner)
        if not everything and alive is True:
            report.kept_live.append(info["Id"])
            continue
        if not everything and alive is None:
            report.kept_other_host.append(info["Id"])
            continue
        if remove_container(client.api, info["Id"]):
            report.removed.append(info["Id"])
    return report


def remove_container(api, container_id: str) -> bool:
    """Force-remove by id. True if it is gone (also when it was already gone or being removed)."""
    import docker.errors

    try:
        api.remove_container(container_id, force=True)
    except docker.errors.NotFound:
        return True
    except docker.errors.APIError as exc:
        # 409: removal already in progress (auto-remove raced us); it will be gone in a moment.
        return exc.status_code == 409
    return True
