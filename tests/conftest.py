"""Shared fixtures. Tests marked `docker` use the real Docker engine and the sandbox images."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# The tests read English output: a machine whose locale is Russian must not turn it Russian (tests/test_i18n.py
# chooses the language of each command it runs).
os.environ["CODEFORGE_LANG"] = "en"


def docker_or_skip():
    """A client for the real engine with the sandbox images, else skip (locally) or fail (in CI)."""
    from codeforge.sandbox import images
    from codeforge.sandbox.docker_sandbox import SandboxUnavailable, connect

    try:
        client = connect(timeout_s=30)
        missing = [kind for kind in images.IMAGE_KINDS if images.image_state(client, kind) != "ok"]
    except SandboxUnavailable as exc:
        reason = f"no Docker engine: {exc}"
    else:
        if not missing:
            return client
        reason = f"sandbox images missing or stale: {', '.join(missing)} (run `codeforge sandbox build`)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}. `make test` installs the engine and builds the images.")
    pytest.skip(f"{reason}. Run `make test`, which sets them up.")


@pytest.fixture(scope="session")
def docker_client():
    return docker_or_skip()


def _start_engine(root: Path, socket: str):
    """dockerd on its own socket, data root and exec root; None when it does not answer within 30 s."""
    import subprocess
    import time

    engine = subprocess.Popen(
        ["dockerd", "--host", socket, "--data-root", str(root / "data"), "--exec-root", str(root / "exec"),
         "--pidfile", str(root / "docker.pid"), "--bridge=none", "--iptables=false", "--ip-masq=false"],
        stdout=subprocess.DEVNULL, stderr=open(root / "dockerd.log", "a"), start_new_session=True)
    for _ in range(60):
        if subprocess.run(["docker", "-H", socket, "info"], capture_output=True).returncode == 0:
            return engine
        if engine.poll() is not None:
            break
        time.sleep(0.5)
    return None


@pytest.fixture
def own_engine(tmp_path, docker_client):
    """A Docker engine of this test's own, with the Python sandbox image copied from the default engine (never
    rebuilt there), which the test may stop or kill: others use the default one. Skipped where dockerd cannot
    start (locally; CI runs as root with dockerd). A killed engine leaves its containers running under their
    shims: it is started once more to remove them, then stopped."""
    import shutil
    import signal
    import subprocess
    import tempfile

    if os.geteuid() != 0 or shutil.which("dockerd") is None:
        pytest.skip("needs root and dockerd to start an engine of its own")
    root = Path(tempfile.mkdtemp(prefix="cfe-", dir="/tmp"))  # short: containerd's socket path has a length limit
    socket = f"unix://{root}/docker.sock"
    engine = _start_engine(root, socket)
    try:
        if engine is None:
            pytest.skip(f"dockerd did not start: {(root / 'dockerd.log').read_text()[-500:]}")
        from codeforge.sandbox import images

        image = images.image_name(images.IMAGE_OF_LANGUAGE["python"])
        saved = subprocess.Popen(["docker", "save", image], stdout=subprocess.PIPE)
        subprocess.run(["docker", "-H", socket, "load"], stdin=saved.stdout, check=True, capture_output=True)
        saved.wait()
        yield {"socket": socket, "process": engine}
    finally:
        if engine is not None and engine.poll() == -signal.SIGKILL:
            engine = _start_engine(root, socket)
            if engine is not None:
                left = subprocess.run(["docker", "-H", socket, "ps", "-aq"], capture_output=True, text=True)
                if left.stdout.split():
                    subprocess.run(["docker", "-H", socket, "rm", "-f", *left.stdout.split()], capture_output=True)
        if engine is not None and engine.poll() is None:
            engine.send_signal(signal.SIGTERM)
            engine.wait(timeout=60)
        subprocess.run(["umount", "-R", str(root / "data")], capture_output=True)  # dockerd's own, if left
        subprocess.run(["rm", "-rf", str(root)], check=False)
