"""Reaching the Docker engine, with an error that says what to do when it does not answer."""

from __future__ import annotations


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot run anything: the engine is down or an image is missing. Says what to do."""


def connect(timeout_s: float = 60.0):
    """A Docker client for the engine in the environment (DOCKER_HOST or the local socket)."""
    import docker
    import docker.errors

    try:
        client = docker.from_env(timeout=timeout_s)
        client.ping()
    except docker.errors.DockerException as exc:
        raise SandboxUnavailable(
            f"The Docker engine does not answer ({exc}).\n"
            "Fix: start it (as root: `dockerd --bridge=none --iptables=false --ip-masq=false &`), "
            "or run `make test` once, which installs and starts it; `codeforge sandbox doctor` checks."
        ) from exc
    return client
