"""Several Docker engines as one sandbox (`--docker-host` more than once): the default engine and one the test
starts on its own socket and data root, with the Python image copied over (tests/conftest.py `own_engine`)."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from codeforge.sandbox import Job, SandboxSettings, SandboxUnavailable, open_sandbox
from codeforge.sandbox.docker_sandbox import DockerSandbox
from codeforge.sandbox.pool import EnginePool

DEFAULT = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"  # the engine the other tests use


def slow_job(i: int, seconds: float = 1.0) -> Job:
    return Job(id=f"j{i}", language="python", source=f"import time\ntime.sleep({seconds})\nprint({i} * {i})\n",
               timeout_s=30)


@pytest.mark.docker
@pytest.mark.slow
def test_jobs_are_spread_over_both_engines_and_each_result_is_its_own(own_engine):
    with open_sandbox(SandboxSettings(workers=2, hosts=(DEFAULT, own_engine["socket"]))) as pool:
        assert isinstance(pool, EnginePool) and pool.hosts == [DEFAULT, own_engine["socket"]]
        pool.check("python")
        results = {r.id: r for r in pool.run_many(slow_job(i, 0.5) for i in range(12))}
        ran = pool.ran
    assert sorted(results) == sorted(f"j{i}" for i in range(12))
    for i in range(12):
        assert results[f"j{i}"].status == "passed" and results[f"j{i}"].stdout.strip() == str(i * i)
    assert ran[DEFAULT] >= 3 and ran[own_engine["socket"]] >= 3, ran  # both engines worked, 2 jobs at a time each


@pytest.mark.docker
@pytest.mark.slow
def test_an_engine_that_dies_mid_run_hands_its_jobs_to_the_other_and_nothing_is_lost(own_engine):
    second = own_engine["socket"]
    results = {}
    with open_sandbox(SandboxSettings(workers=2, hosts=(DEFAULT, second))) as pool:
        killed = threading.Event()

        def kill_second():  # while both engines run jobs
            own_engine["process"].send_signal(signal.SIGKILL)
            own_engine["process"].wait(timeout=60)
            killed.set()

        for result in pool.run_many(slow_job(i) for i in range(16)):
            results[result.id] = result
            if len(results) == 3:
                threading.Thread(target=kill_second).start()
        assert killed.wait(60)
        lost, moved, hosts, ran = dict(pool.lost), pool.moved, pool.hosts, pool.ran
    assert sorted(results) == sorted(f"j{i}" for i in range(16))
    for i in range(16):
        assert results[f"j{i}"].status == "passed", results[f"j{i}"]
        assert results[f"j{i}"].stdout.strip() == str(i * i)
    assert list(lost) == [second] and hosts == [DEFAULT]  # the run says which engine failed
    assert moved >= 1  # the jobs it was running were run again on the other
    assert ran[DEFAULT] + ran[second] == 16


@pytest.mark.docker
def test_an_unreachable_engine_is_named_and_the_others_carry_on(docker_client, tmp_path):
    gone = f"unix://{tmp_path}/no-engine.sock"
    with open_sandbox(SandboxSettings(workers=1, hosts=(DEFAULT, gone))) as pool:
        assert pool.hosts == [DEFAULT] and gone in pool.lost and "does not answer" in pool.lost[gone]
        assert pool.run(Job(id="a", language="python", source="print(7)")).stdout.strip() == "7"
    with pytest.raises(SandboxUnavailable) as none:
        open_sandbox(SandboxSettings(hosts=(gone, f"unix://{tmp_path}/other.sock")))
    assert gone in str(none.value) and "other.sock" in str(none.value)


@pytest.mark.docker
def test_one_host_is_a_plain_sandbox_on_that_engine(docker_client):
    with open_sandbox(SandboxSettings(workers=1, hosts=(DEFAULT,))) as sandbox:
        assert isinstance(sandbox, DockerSandbox)
        assert sandbox.run(Job(id="a", language="python", source="print(7)")).stdout.strip() == "7"


@pytest.mark.docker
def test_bench_over_two_hosts_names_the_one_that_does_not_answer_and_scores_on_the_other(docker_client, tmp_path):
    import json
    import os
    import subprocess
    import sys

    gone = f"unix://{tmp_path}/no-engine.sock"
    result = subprocess.run(
        [sys.executable, "-m", "codeforge", "bench", "humaneval", "--model", "reference", "--limit", "3", "--db",
         str(tmp_path / "db"), "--docker-host", DEFAULT, "--docker-host", gone, "--json"],
        capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"}, timeout=600)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert list(summary["engines_lost"]) == [gone] and summary["rounds"][0]["solved"] == 3
    assert f"Docker engine left out: {gone}" in " ".join(result.stderr.split())


@pytest.mark.docker
def test_doctor_prune_and_build_work_on_the_engine_named(own_engine, tmp_path):
    """`sandbox doctor|prune|build --docker-host`: each looks at that engine only (the test's own holds the Python
    image alone), and an engine that does not answer is named with what to do."""
    import json
    import subprocess
    import sys

    def codeforge(*args: str):
        return subprocess.run([sys.executable, "-m", "codeforge", "sandbox", *args], capture_output=True, text=True,
                              timeout=300)

    doctor = codeforge("doctor", "--docker-host", own_engine["socket"], "--json")
    states = {row["image"].split(":")[0]: row["state"] for row in json.loads(doctor.stdout)["images"]}
    assert states["codeforge-sandbox-python"] == "ok" and states["codeforge-sandbox-go"] != "ok", doctor.stdout
    assert doctor.returncode != 0  # images are missing there, not on the default engine
    assert codeforge("doctor", "--json").returncode == 0
    pruned = codeforge("prune", "--docker-host", own_engine["socket"], "--json")
    assert pruned.returncode == 0 and json.loads(pruned.stdout)["removed"] == [], pruned.stdout
    gone = f"unix://{tmp_path}/no-engine.sock"
    built = codeforge("build", "python", "--docker-host", gone)
    assert built.returncode == 2 and gone in built.stderr and "Traceback" not in built.stderr
