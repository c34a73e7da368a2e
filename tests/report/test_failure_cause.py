"""Why a sample failed, as `bench show --task` tells it: the program's frames and the failing assertion, not
the test harness's lines. Unit tests on sandbox results as the sandbox writes them, then the real sandbox."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from report_store import make_run

from codeforge.bench.failure import MAX_LINES, failure_cause
from codeforge.store import Execution, Store

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def cause(status: str, code: str = "", **result) -> str:
    return failure_cause(Execution("tests", status, False, 0.1, {"status": status, **result}), code)


def test_a_bare_assertion_is_shown_with_its_line_and_the_harness_call_is_not():
    stderr = ('Traceback (most recent call last):\n  File "main.py", line 23, in <module>\n'
              '    check(has_close_elements)\n  File "main.py", line 15, in check\n'
              '    assert candidate([1.0, 2.0, 3.9], 0.3) == True\n'
              '           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\nAssertionError\n')
    text = cause("failed", "def has_close_elements(numbers, threshold):\n    return False\n", stderr=stderr)
    assert "assert candidate([1.0, 2.0, 3.9], 0.3) == True" in text and text.endswith("AssertionError")
    assert "check(has_close_elements)" not in text and "(1 frame of the test harness not shown)" in text


def test_an_exception_in_the_program_shows_its_frames_and_the_test_line_that_called_it():
    code = "def f(xs):\n    return g(xs)\n\ndef g(xs):\n    return xs[5]\n"
    stderr = ('Traceback (most recent call last):\n  File "main.py", line 27, in <module>\n    check(f)\n'
              '  File "main.py", line 19, in check\n    assert candidate([1]) == 1\n'
              '  File "main.py", line 2, in f\n    return g(xs)\n  File "main.py", line 5, in g\n'
              '    return xs[5]\n           ~~^^^\nIndexError: list index out of range\n')
    text = cause("failed", code, stderr=stderr)
    assert text.splitlines() == [
        "Traceback (most recent call last):", "  (1 frame of the test harness not shown)",
        '  File "main.py", line 19, in check', "    assert candidate([1]) == 1",
        '  File "main.py", line 2, in f', "    return g(xs)", '  File "main.py", line 5, in g', "    return xs[5]",
        "           ~~^^^", "IndexError: list index out of range"]


def test_a_separate_harness_file_keeps_only_its_message():
    """HumanEval+: main.py loads solution.py and raises with the input; its own lines are not the cause."""
    raised = ('input 1 of 1006: f([1.0]) raised:\nTraceback (most recent call last):\n'
              '  File "main.py", line 84, in <module>\n    main()\n  File "main.py", line 70, in main\n'
              '    got = candidate(*copy.deepcopy(args))\n  File "solution.py", line 2, in f\n'
              '    return xs[100]\nIndexError: list index out of range\n')
    text = cause("failed", "def f(xs):\n    return xs[100]\n", stderr=raised)
    assert "input 1 of 1006: f([1.0]) raised:" in text and 'File "solution.py", line 2, in f' in text
    assert "main()" not in text and "copy.deepcopy" not in text
    wrong = ('Traceback (most recent call last):\n  File "main.py", line 84, in <module>\n    main()\n'
             '  File "main.py", line 79, in main\n    raise AssertionError(where + " returned " + _show(repr(got)))\n'
             'AssertionError: input 1 of 1006: f([1.0]) returned False, expected True\n')
    text = cause("failed", "def f(xs):\n    return False\n", stderr=wrong)
    assert text.endswith("AssertionError: input 1 of 1006: f([1.0]) returned False, expected True")
    assert "_show" not in text and "raise AssertionError" not in text


def test_a_go_panic_keeps_the_frames_of_the_jobs_files():
    output = ("=== RUN   TestF\n--- FAIL: TestF (0.00s)\npanic: runtime error: index out of range [6] with length 1 "
              "[recovered]\n\tpanic: runtime error: index out of range [6] with length 1\n\ngoroutine 18 [running]:\n"
              "testing.tRunner.func1.2({0x5bbc40, 0xc0000de228})\n"
              "\t/usr/lib/go-1.19/src/testing/testing.go:1396 +0x24e\n"
              "panic({0x5bbc40, 0xc0000de228})\n\t/usr/lib/go-1.19/src/runtime/panic.go:884 +0x212\n"
              "job.F(...)\n\t/sandbox/1-647faf34a29a/gopath/src/job/main.go:11\n"
              "job.TestF(0x0?)\n\t/sandbox/1-647faf34a29a/gopath/src/job/main_test.go:10 +0x27\n"
              "created by testing.(*T).Run\n\t/usr/lib/go-1.19/src/testing/testing.go:1493 +0x35f\n")
    text = cause("failed", details={"tests": [{"name": "TestF", "outcome": "failed", "output": output}]},
                 stdout=output + "FAIL\tjob\t0.007s\n")
    assert "job.F(...)\n\tmain.go:11" in text and "job.TestF(0x0?)\n\tmain_test.go:10 +0x27" in text
    assert "testing.go" not in text and "runtime/panic.go" not in text and "/sandbox/" not in text


def test_valgrind_errors_come_from_the_details_not_its_chatter():
    stderr = ("==16==  If you believe this happened as a result of a stack\n"
              "==16==  overflow in your program's main thread (unlikely but\n")
    details = {"signal": "SIGSEGV", "memory_errors": [
        {"kind": "InvalidRead", "message": "Invalid read of size 4",
         "frame": {"function": "f(int*)", "file": "main.cpp", "line": 15, "object": "/sandbox/1-e5/.codeforge/prog"}}]}
    text = cause("memory_error", stderr=stderr, details=details)
    assert text == ("Killed by SIGSEGV.\nValgrind found memory errors:\n"
                    "- InvalidRead: Invalid read of size 4 at main.cpp:15 in f(int*)")


def test_compiler_timeout_and_long_output():
    assert cause("compile_error", details={"compiler": "main.cpp:15:12: error: 'nope' was not declared"}) == \
        "Does not compile:\nmain.cpp:15:12: error: 'nope' was not declared"
    assert cause("timeout", duration_s=5.0).startswith("Did not finish within the time limit (5.0 s)")
    text = cause("failed", stdout="\n".join(f"line {i}" for i in range(500)))
    lines = text.splitlines()
    assert lines[0] == f"... ({500 - MAX_LINES} earlier lines not shown)" and lines[-1] == "line 499"
    assert failure_cause(Execution("tests", "passed", True, 0.1, {}), "x") is None
    assert failure_cause(None, "x") is None


def _run_jobs(tasks_and_code):
    from codeforge.sandbox.docker_sandbox import DockerSandbox
    from codeforge.sandbox.settings import SandboxSettings

    with DockerSandbox(SandboxSettings(workers=2)) as sandbox:
        futures = [sandbox.submit(task.test_job(code).job(str(i), memory_mb=512))
                   for i, (task, code) in enumerate(tasks_and_code)]
        return [future.result() for future in futures]


HELPER_BUG = ("def has_close_elements(numbers, threshold):\n    return closest(numbers)\n\n\n"
              "def closest(numbers):\n    return numbers[100] < 0\n")


@pytest.mark.docker
@pytest.mark.parametrize("dataset", ["humaneval", "humaneval+"])
def test_bench_show_tells_why_a_real_sandbox_run_failed(dataset, docker_client, tmp_path):
    from codeforge.tasks import load_tasks

    if dataset == "humaneval+" and not DATA.is_dir():
        pytest.skip(f"no HumanEval+ data in {DATA.name}")
    task = load_tasks(dataset, DATA if dataset == "humaneval+" else None, limit=1)[0]
    wrong = "def has_close_elements(numbers, threshold):\n    return False\n"
    results = _run_jobs([(task, HELPER_BUG), (task, wrong)])
    db = tmp_path / "c.db"
    with Store.open(db) as store:
        run = make_run(store, "R", dataset=task.dataset, tasks=[task.task_id])
        for sample, (code, result) in enumerate(zip((HELPER_BUG, wrong), results)):
            sample_id = store.add_sample(run.id, task.task_id, sample, 0, prompt="{}", raw_output=code, code=code,
                                         finish_reason="stop", prompt_tokens=1, completion_tokens=1, gen_seconds=0.1)
            store.add_execution(sample_id, "tests", result.status.value, result.passed, result.duration_s,
                                json.loads(result.to_json()))
        store.finish_run(run.id)
    shown = subprocess.run([sys.executable, "-m", "codeforge", "bench", "show", "R", "--task", task.task_id,
                            "--db", str(db)], capture_output=True, text=True, timeout=120,
                           env={**os.environ, "COLUMNS": "200"})
    assert shown.returncode == 0, shown.stderr
    causes = shown.stdout.split("why it failed (the benchmark's tests):")[1:]
    assert len(causes) == 2
    crashed, wrong_answer = causes[0].split("─" * 5)[0], causes[1]
    assert "return numbers[100] < 0" in crashed and "IndexError: list index out of range" in crashed
    assert "return closest(numbers)" in crashed  # the program's frames, caller to callee
    assert "check(has_close_elements)" not in crashed and "main()" not in crashed  # the harness's are not
    assert "AssertionError" in wrong_answer and "main()" not in wrong_answer
    if dataset == "humaneval":
        assert "assert candidate([1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.3) == True" in wrong_answer
    else:
        assert "returned False, expected True" in wrong_answer and "_show(" not in wrong_answer
