"""Reaching the Docker engine, with an error that says what to do when it does not answer."""

from __future__ import annotations

from typing import Optional

from ..i18n import said


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot run anything: the engine is down or an image is missing. Says what to do."""


def connect(timeout_s: float = 60.0, host: Optional[str] = None):
    """A Docker client for the engine at `host` (unix://, tcp:// with TLS from DOCKER_TLS_VERIFY and
    DOCKER_CERT_PATH as the docker CLI reads them, ssh://user@machine through the ssh client), else the one in the
    environment (DOCKER_HOST or the local socket)."""
    import docker
    import docker.errors

    try:
        if host is None:
            client = docker.from_env(timeout=timeout_s)
        else:
            options = docker.utils.kwargs_from_env()
            options["base_url"] = host
            if host.startswith("ssh://"):
                options.pop("tls", None)
                options["use_ssh_client"] = True  # the system's ssh: its config, keys and agent
            client = docker.DockerClient(timeout=timeout_s, **options)
        client.ping()
    except docker.errors.DockerException as exc:
        if host is not None:
            raise SandboxUnavailable(said(
                "The Docker engine at {host} does not answer ({error}).\n"
                "Fix: start it, or check the address (unix://PATH, tcp://HOST:PORT, ssh://USER@HOST); "
                "`codeforge sandbox doctor --docker-host {host}` checks.", host=host, error=exc)) from exc
        raise SandboxUnavailable(said(
            "The Docker engine does not answer ({error}).\n"
            "Fix: start it (as root: `dockerd --bridge=none --iptables=false --ip-masq=false &`), "
            "or run `make test` once, which installs and starts it; `codeforge sandbox doctor` checks.",
            error=exc)) from exc
    return client
