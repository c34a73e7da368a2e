"""Build the sandbox images from `sandbox_images/` and tell whether they are up to date.

Each image is labelled with a hash of its build context (Dockerfile, runner, extra files) and the id of
the base it was built on; `build` skips an image whose labels match, and a sandbox refuses to start on an
image whose context hash differs from this installed codeforge (its runner would not match).

The base is a build argument: `debian:bookworm-slim` where it is present or a registry answers, otherwise
`codeforge-base:bookworm`, made without any registry by `sandbox_images/base/make-base.sh` (debootstrap
from the Debian archive + `docker import`).
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Callable, Optional

from ..i18n import _
from .settings import ImageKind

IMAGE_KINDS = tuple(kind.value for kind in ImageKind if kind is not ImageKind.all)
IMAGE_OF_LANGUAGE = {"python": "python", "go": "go", "c": "valgrind", "cpp": "valgrind"}
REGISTRY_BASE = "debian:bookworm-slim"
LOCAL_BASE = "codeforge-base:bookworm"
CONTEXT_LABEL = "codeforge.context"
BASE_LABEL = "codeforge.base"
RUNNER_DIR = Path(__file__).with_name("runner")  # copied whole into every image


class ImageError(RuntimeError):
    """An image could not be built or found; the message says what to do."""


def kinds_named(kinds) -> list[str]:
    """The image kinds `kinds` (ImageKind or their names) stand for, in build order; `all` is every one."""
    chosen = {getattr(kind, "value", kind) for kind in kinds} or {ImageKind.all.value}
    return [kind for kind in IMAGE_KINDS if kind in chosen or ImageKind.all.value in chosen]


def images_dir() -> Path:
    """`sandbox_images/` of a source checkout, else where a wheel installed it (<prefix>/share/codeforge)."""
    checkout = Path(__file__).resolve().parents[2] / "sandbox_images"
    if checkout.is_dir():
        return checkout
    return Path(sys.prefix) / "share" / "codeforge" / "sandbox_images"


def image_name(kind: str, prefix: str = "codeforge-sandbox") -> str:
    return f"{prefix}-{kind}:latest"


def context_files(kind: str) -> dict[str, bytes]:
    folder = images_dir() / kind
    if not (folder / "Dockerfile").is_file():
        raise ImageError(_("no Dockerfile for the {kind} image in {folder}").format(kind=repr(kind), folder=folder))
    files = {f"runner/{path.name}": path.read_bytes() for path in sorted(RUNNER_DIR.glob("*.py"))}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            files[path.relative_to(folder).as_posix()] = path.read_bytes()
    return files


def context_hash(kind: str) -> str:
    digest = hashlib.sha256()
    for name, data in sorted(context_files(kind).items()):
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()[:16]


def context_tar(files: dict[str, bytes]) -> io.BytesIO:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    buffer.seek(0)
    return buffer


def image_labels(client, name: str) -> Optional[dict]:
    import docker.errors

    try:
        return client.api.inspect_image(name)["Config"].get("Labels") or {}
    except docker.errors.ImageNotFound:
        return None


def image_state(client, kind: str, prefix: str = "codeforge-sandbox") -> str:
    """'ok', 'missing' or 'stale' (built from other Dockerfiles or another runner)."""
    labels = image_labels(client, image_name(kind, prefix))
    if labels is None:
        return "missing"
    return "ok" if labels.get(CONTEXT_LABEL) == context_hash(kind) else "stale"


def image_id(client, name: str) -> Optional[str]:
    import docker.errors

    try:
        return client.api.inspect_image(name)["Id"]
    except docker.errors.ImageNotFound:
        return None


def resolve_base(client, requested: Optional[str], say: Callable[[str], None]) -> str:
    """The base image to build on, making the registry-free one when nothing else is available."""
    import docker.errors

    if requested:
        if image_id(client, requested) is None:
            say(_("pulling {image}").format(image=requested))
            try:
                client.images.pull(requested)
            except docker.errors.APIError as exc:
                raise ImageError(_("base image {image} is not here and cannot be pulled: {error}").format(
                    image=requested, error=exc.explanation)) from exc
        return requested
    if image_id(client, REGISTRY_BASE) is not None:
        return REGISTRY_BASE
    try:
        client.images.pull(REGISTRY_BASE)
        return REGISTRY_BASE
    except docker.errors.APIError:
        pass
    if image_id(client, LOCAL_BASE) is not None:
        return LOCAL_BASE
    say(_("no registry answers: making {image} with debootstrap (about a minute)").format(image=LOCAL_BASE))
    script = images_dir() / "base" / "make-base.sh"
    done = subprocess.run(["bash", str(script), LOCAL_BASE], capture_output=True, text=True)
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-5:])
        raise ImageError(_("could not make the base image {image}:\n{output}\n"
                           "Fix: run `sudo bash {script}`, or pass --base IMAGE with a Debian bookworm image.")
                         .format(image=LOCAL_BASE, output=tail, script=script))
    return LOCAL_BASE


def build_image(client, kind: str, base: str, force: bool = False, prefix: str = "codeforge-sandbox",
                on_line: Callable[[str], None] = lambda line: None) -> bool:
    """Build one image; False when it was already up to date (and not forced)."""
    name = image_name(kind, prefix)
    wanted = {CONTEXT_LABEL: context_hash(kind), BASE_LABEL: image_id(client, base) or base}
    labels = image_labels(client, name)
    if not force and labels is not None and all(labels.get(k) == v for k, v in wanted.items()):
        return False
    stream = client.api.build(
        fileobj=context_tar(context_files(kind)), custom_context=True, tag=name, buildargs={"BASE_IMAGE": base},
        labels=wanted, network_mode="host", rm=True, forcerm=True, pull=False, decode=True,
    )
    for chunk in stream:
        if "error" in chunk:
            raise ImageError(_("building {image} failed: {error}").format(image=name, error=chunk["error"].strip()))
        text = (chunk.get("stream") or chunk.get("status") or "").strip()
        if text:
            on_line(text)
    if image_state(client, kind, prefix) != "ok":
        raise ImageError(_("building {image} finished but the image is not there").format(image=name))
    return True
