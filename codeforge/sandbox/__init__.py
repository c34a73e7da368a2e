"""Run untrusted programs (Python, Go, C/C++) in throwaway Docker containers.

    from codeforge.sandbox import DockerSandbox, Job

    with DockerSandbox() as sandbox:
        result = sandbox.run(Job(id="t1", language="python", source="print(1)"))
        assert result.status == "passed"

Nothing here imports torch or transformers. Names load on first use, so that importing a part (the
container code, say) does not pay for the rest.
"""

from importlib import import_module

_HOMES = {
    "Action": "jobs", "Job": "jobs", "Language": "jobs", "Result": "jobs", "Status": "jobs",
    "DockerSandbox": "docker_sandbox", "SandboxUnavailable": "engine", "connect": "engine",
    "SandboxSettings": "settings", "EnginePool": "pool", "open_sandbox": "pool",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)
    raise AttributeError(name)  # untranslated: Python's import protocol
