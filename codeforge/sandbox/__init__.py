"""Run untrusted programs (Python, Go, C/C++) in throwaway Docker containers.

    from codeforge.sandbox import DockerSandbox, Job

    with DockerSandbox() as sandbox:
        result = sandbox.run(Job(id="t1", language="python", source="print(1)"))
        assert result.status == "passed"

Nothing here imports torch or transformers; importing this package does not touch Docker.
"""

from .jobs import Action, Job, Language, Result, Status

__all__ = ["Action", "DockerSandbox", "Job", "Language", "Result", "SandboxSettings", "SandboxUnavailable",
           "Status", "connect"]


def __getattr__(name: str):
    # The Docker parts load on first use, so that `import codeforge.sandbox` stays cheap.
    if name in ("DockerSandbox", "SandboxUnavailable", "connect"):
        from . import docker_sandbox

        return getattr(docker_sandbox, name)
    if name == "SandboxSettings":
        from .settings import SandboxSettings

        return SandboxSettings
    raise AttributeError(name)
