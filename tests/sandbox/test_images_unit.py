"""What goes into each image's build context, without Docker."""

from __future__ import annotations

import tarfile

from codeforge.sandbox import Language, images


def test_every_language_has_an_image_and_every_image_a_context():
    assert set(images.IMAGE_OF_LANGUAGE) == {language.value for language in Language}
    assert set(images.IMAGE_OF_LANGUAGE.values()) == set(images.IMAGE_KINDS)
    for kind in images.IMAGE_KINDS:
        files = images.context_files(kind)
        assert "Dockerfile" in files and "runner/__main__.py" in files
        assert b"/opt/codeforge/runner" in files["Dockerfile"]
    assert "warm/main_test.go" in images.context_files("go")


def test_context_hash_is_stable_and_tracks_the_runner(tmp_path, monkeypatch):
    first = images.context_hash("python")
    assert first == images.context_hash("python") and first != images.context_hash("go")
    runner = tmp_path / "runner"
    runner.mkdir()
    for path in images.RUNNER_DIR.glob("*.py"):
        (runner / path.name).write_bytes(path.read_bytes())
    (runner / "steps.py").write_text("# changed\n")
    monkeypatch.setattr(images, "RUNNER_DIR", runner)
    assert images.context_hash("python") != first  # a changed runner makes the image stale


def test_context_tar_holds_the_files():
    files = images.context_files("valgrind")
    with tarfile.open(fileobj=images.context_tar(files)) as tar:
        assert sorted(tar.getnames()) == sorted(files)
        assert tar.extractfile("Dockerfile").read() == files["Dockerfile"]
