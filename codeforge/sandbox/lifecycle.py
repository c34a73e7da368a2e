"""Who owns a sandbox container, and removing the ones whose owner is gone.

Every container carries the label `codeforge.sandbox` and `codeforge.owner` = "host:pid:start", the
start time making a recycled pid look like a different process. A run sweeps the leftovers of dead runs
on this host when it starts; `codeforge sandbox prune` does the same on demand (`--all`: every
labelled container, live runs included).

Whether an owner is alive is read in /proc. Where it cannot be read (the containers of another host, or a
host without /proc, such as Docker Desktop's macOS or Windows side) nothing is removed: the container may
belong to a run that is still going, and only `prune --all` takes it.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ..i18n import N_

LABEL = "codeforge.sandbox"
OWNER_LABEL = "codeforge.owner"
PROC_ROOT = Path("/proc")
UNKNOWN_OWNER = N_("cannot tell whether its run is alive")  # shown with _() where printed


def process_start(pid: int) -> Optional[str]:
    """The kernel's start time of `pid` (clock ticks since boot), or None if there is no such process."""
    try:
        with open(PROC_ROOT / str(pid) / "stat", "rb") as handle:
            stat = handle.read().decode(errors="replace")
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its closing parenthesis.
    return stat.rsplit(")", 1)[1].split()[19]


def current_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{process_start(os.getpid())}"


def processes_visible() -> bool:
    """Whether this host shows processes in /proc: it has no /proc on macOS and Windows."""
    return process_start(os.getpid()) is not None


def owner_alive(owner: str) -> Optional[bool]:
    """True or False for an owner on this host; None when it cannot be told (another host, or no /proc)."""
    return judge_owner(owner)[0]


def judge_owner(owner: str) -> tuple[Optional[bool], str]:
    """(alive, why it cannot be told): alive is None where it cannot be told."""
    parts = owner.rsplit(":", 2)
    if len(parts) != 3:
        return False, ""
    host, pid, start = parts
    if host != socket.gethostname():
        return None, f"started from another host ({host})"
    if not processes_visible():
        return None, f"this host has no {PROC_ROOT} to look its process up in"
    if not pid.isdigit():
        return False, ""
    return process_start(int(pid)) == start, ""


@dataclass
class PruneReport:
    removed: list[str] = field(default_factory=list)
    kept_live: list[str] = field(default_factory=list)
    kept_unknown: list[str] = field(default_factory=list)  # UNKNOWN_OWNER: left to `prune --all`
    reasons: list[str] = field(default_factory=list)  # why, for kept_unknown (each reason once)

    def as_dict(self) -> dict:
        return {"removed": self.removed, "kept_live": self.kept_live, "kept_unknown": self.kept_unknown,
                "reasons": self.reasons}


def prune(client, everything: bool = False) -> PruneReport:
    """Remove labelled containers whose owner process is gone (or all of them with `everything`).

    A container whose owner cannot be judged is kept: removing it could kill a live run's program."""
    report = PruneReport()
    for info in client.api.containers(all=True, filters={"label": LABEL}):
        owner = (info.get("Labels") or {}).get(OWNER_LABEL, "")
        alive, why = judge_owner(owner)
        if not everything and alive is True:
            report.kept_live.append(info["Id"])
            continue
        if not everything and alive is None:
            report.kept_unknown.append(info["Id"])
            if why not in report.reasons:
                report.reasons.append(why)
            continue
        if remove_container(client.api, info["Id"]):
            report.removed.append(info["Id"])
    return report


def remove_container(api, container_id: str) -> bool:
    """Force-remove by id. True if it is gone (also when it was already gone or being removed); False when it
    may remain, for `codeforge sandbox prune` (the engine refused, or cannot be reached: closing a sandbox whose
    engine went away must not raise)."""
    import docker.errors
    import requests

    try:
        api.remove_container(container_id, force=True)
    except docker.errors.NotFound:
        return True
    except docker.errors.APIError as exc:
        # 409: removal already in progress (auto-remove raced us); it will be gone in a moment.
        return exc.status_code == 409
    except requests.exceptions.ConnectionError:
        return False
    return True
