"""Who owns a container: live, dead and foreign owners, without Docker."""

from __future__ import annotations

import os
import socket
import subprocess

from codeforge.sandbox import lifecycle
from codeforge.sandbox.lifecycle import current_owner, owner_alive, process_start


def test_this_process_is_alive_and_a_finished_one_is_not():
    assert owner_alive(current_owner()) is True
    child = subprocess.Popen(["true"])
    child.wait()
    start = process_start(os.getpid())
    assert owner_alive(f"{socket.gethostname()}:{child.pid}:{start}") is False


def test_a_recycled_pid_is_not_the_same_owner():
    assert owner_alive(f"{socket.gethostname()}:{os.getpid()}:1") is False


def test_other_hosts_and_garbage():
    assert owner_alive(f"elsewhere-{socket.gethostname()}:1:1") is None
    assert owner_alive("garbage") is False
    assert process_start(2 ** 22 + 12345) is None


def test_a_host_without_proc_cannot_tell_and_says_why(tmp_path, monkeypatch):
    me = current_owner()
    monkeypatch.setattr(lifecycle, "PROC_ROOT", tmp_path / "no-proc")  # as on Docker Desktop's macOS side
    assert process_start(os.getpid()) is None
    assert owner_alive(me) is None
    alive, why = lifecycle.judge_owner(f"{socket.gethostname()}:1:1")
    assert alive is None and "no" in why and "no-proc" in why
    assert owner_alive("garbage") is False  # not a codeforge owner at all


def test_removing_a_container_of_an_engine_that_went_away_says_it_may_remain(tmp_path):
    import docker

    from codeforge.sandbox.lifecycle import remove_container

    gone = docker.APIClient(base_url=f"unix://{tmp_path / 'no-engine.sock'}", version="1.41")
    assert remove_container(gone, "0123456789ab") is False  # not an exception: closing a sandbox must not raise
