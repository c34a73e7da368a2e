"""The Python API against the real engine: many jobs, stdin, languages, actions, isolation modes."""

from __future__ import annotations

import gzip
import json
import textwrap
from pathlib import Path

import pytest

from codeforge.sandbox import DockerSandbox, Job, SandboxSettings, Status
from codeforge.tasks.base import PACKAGED

pytestmark = pytest.mark.docker
DATA = PACKAGED  # the benchmark data shipped in the package


def test_two_hundred_jobs_over_two_workers_all_come_back_with_their_ids(sandbox):
    jobs = [Job(id=f"job-{i}", language="python", source=f"import sys\nprint({i} * {i})\nsys.exit({i % 3 == 0})")
            for i in range(200)]
    results = {r.id: r for r in sandbox.run_many(jobs)}
    assert sorted(results) == sorted(job.id for job in jobs)
    for i in range(200):
        result = results[f"job-{i}"]
        assert result.stdout == f"{i * i}\n"
        assert result.status is (Status.failed if i % 3 == 0 else Status.passed)
        assert result.exit_code == (1 if i % 3 == 0 else 0)


def test_submit_returns_futures_while_earlier_jobs_run(sandbox):
    slow = sandbox.submit(Job(id="slow", language="python", source="import time\ntime.sleep(1)\nprint('slow')"))
    quick = [sandbox.submit(Job(id=f"quick{i}", language="python", source=f"print({i})")) for i in range(5)]
    assert [f.result(timeout=30).stdout for f in quick] == [f"{i}\n" for i in range(5)]
    assert not slow.done()  # the quick ones went through the other worker meanwhile
    assert slow.result(timeout=30).stdout == "slow\n"


def test_stdin_reaches_the_program(sandbox):
    source = "import sys\ndata = sys.stdin.read()\nprint(len(data), data.upper()[:5])"
    big = "hello" + "x" * 300_000  # larger than a pipe buffer
    result = sandbox.run(Job(id="stdin", language="python", source=source, stdin=big))
    assert result.status is Status.passed
    assert result.stdout == f"{len(big)} HELLO\n"
    no_stdin = sandbox.run(Job(id="no-stdin", language="python", source="import sys\nprint(repr(sys.stdin.read()))"))
    assert no_stdin.stdout == "''\n"


def test_python_behaves_like_the_interpreter(sandbox):
    source = textwrap.dedent(
        """
        import atexit, sys, random
        atexit.register(lambda: print("bye"))
        print(__name__, sys.argv, random.random() != random.random())
        raise SystemExit("fatal: stop")
        """
    )
    result = sandbox.run(Job(id="interp", language="python", source=source))
    assert result.status is Status.failed and result.exit_code == 1
    assert result.stdout == "__main__ ['main.py'] True\nbye\n"
    assert result.stderr == "fatal: stop\n"
    error = sandbox.run(Job(id="error", language="python", source="def f():\n    return 1 / 0\nf()\n"))
    assert error.stderr.startswith("Traceback (most recent call last):\n  File \"main.py\", line 3")
    assert error.stderr.endswith("ZeroDivisionError: division by zero\n")
    syntax = sandbox.run(Job(id="syntax", language="python", source="def f(:\n"))
    assert syntax.status is Status.compile_error and syntax.stderr.startswith('  File "main.py", line 1')
    assert syntax.stderr.endswith("SyntaxError: invalid syntax\n") and syntax.exit_code == 1
    raised = sandbox.run(Job(id="raised", language="python", source="import sys\nprint(1)\nexec('def f(:')\n"))
    assert raised.status is Status.failed and raised.stdout == "1\n" and "SyntaxError" in raised.stderr
    imported = sandbox.run(Job(id="imported", language="python", files={"main.py": "import helper\n",
                                                                         "helper.py": "def f(:\n"}))
    assert imported.status is Status.failed and "SyntaxError" in imported.stderr


def test_random_state_differs_between_programs(sandbox):
    jobs = [Job(id=str(i), language="python", source="import random\nprint(random.getrandbits(64))")
            for i in range(4)]
    values = {r.stdout for r in sandbox.run_many(jobs)}
    assert len(values) == 4


def test_python_files_and_pytest_action(sandbox):
    files = {
        "calc.py": "def add(a, b):\n    return a + b\n",
        "test_calc.py": "from calc import add\n\ndef test_add():\n    assert add(2, 2) == 4\n\n"
                        "def test_wrong():\n    assert add(2, 2) == 5\n",
    }
    result = sandbox.run(Job(id="pytest", language="python", action="test", files=files))
    assert result.status is Status.failed
    outcomes = {t["name"].split("::")[-1]: t["outcome"] for t in result.details["tests"]}
    assert outcomes == {"test_add": "passed", "test_wrong": "failed"}
    files["test_calc.py"] = "from calc import add\n\ndef test_add():\n    assert add(2, 2) == 4\n"
    assert sandbox.run(Job(id="pytest-ok", language="python", action="test", files=files)).status is Status.passed


def humaneval_x_go(task: int) -> dict:
    with gzip.open(DATA / "humaneval_x_go.jsonl.gz", "rt") as handle:
        rows = [json.loads(line) for line in handle]
    row = rows[task]
    return {"main.go": "package main\n\n" + row["prompt"] + row["canonical_solution"],
            "main_test.go": row["test_setup"] + row["test"]}


def test_go_humaneval_x_task_passes_with_coverage_and_test_outcomes(sandbox):
    result = sandbox.run(Job(id="go0", language="go", files=humaneval_x_go(0)))
    assert result.status is Status.passed, result.stdout + result.stderr
    assert result.details["tests"][0]["name"] == "TestHasCloseElements"
    assert result.details["tests"][0]["outcome"] == "passed"
    assert result.details["coverage"]["total"] == 100.0
    assert result.details["coverage"]["functions"][0]["function"] == "HasCloseElements"
    test_step = next(s for s in result.details["steps"] if s["name"] == "test")
    assert test_step["duration_s"] < 3  # the image's warm build cache: about a second, not several


def test_go_failing_test_is_failed_with_its_name(sandbox):
    files = humaneval_x_go(0)
    files["main.go"] = files["main.go"].replace("return true", "return false")
    result = sandbox.run(Job(id="go0-wrong", language="go", files=files))
    assert result.status is Status.failed
    assert result.details["tests"][0]["outcome"] == "failed"
    assert "Error Trace" in result.stdout


def test_go_and_cpp_run_actions(sandbox):
    go = sandbox.run(Job(id="go-run", language="go", action="run", stdin="7\n",
                         source='package main\n\nimport "fmt"\n\nfunc main() {\n\tvar n int\n\tfmt.Scan(&n)\n'
                                '\tfmt.Println(n * 6)\n}\n'))
    assert go.status is Status.passed and go.stdout == "42\n"
    cpp = sandbox.run(Job(id="cpp-run", language="cpp", action="run",
                          source="#include <iostream>\nint main() { std::cout << 6 * 7 << std::endl; return 3; }\n"))
    assert cpp.status is Status.failed and cpp.exit_code == 3 and cpp.stdout == "42\n"


def test_cpp_memcheck_clean_program_passes(sandbox):
    source = "#include <vector>\n#include <cassert>\nint main() {\n  std::vector<int> v{1, 2, 3};\n" \
             "  assert(v.size() == 3);\n  return 0;\n}\n"
    result = sandbox.run(Job(id="cpp-clean", language="cpp", source=source))
    assert result.status is Status.passed, result.details
    assert result.details["memory_errors"] == []


def test_cpp_has_the_boost_and_openssl_headers_humaneval_x_uses(sandbox):
    source = textwrap.dedent(
        """
        #include <boost/any.hpp>
        #include <openssl/md5.h>
        #include <cstdio>
        int main() {
            boost::any value = 3;
            unsigned char digest[MD5_DIGEST_LENGTH];
            MD5((const unsigned char *)"abc", 3, digest);
            printf("%d %02x%02x\\n", boost::any_cast<int>(value), digest[0], digest[1]);
            return 0;
        }
        """
    )
    result = sandbox.run(Job(id="cpp-libs", language="cpp", action="run", source=source))
    assert result.status is Status.passed, result.stderr
    assert result.stdout == "3 9001\n"  # md5("abc") starts 900150...


def test_a_crash_is_reported_with_its_signal(sandbox):
    result = sandbox.run(Job(id="segv", language="c", action="run",
                             source="int main(void) { volatile int *p = 0; return *p; }\n"))
    assert result.status is Status.failed
    assert result.details["signal"] == "SIGSEGV"


def test_program_isolation_gives_each_program_its_own_container(docker_client):
    settings = SandboxSettings(workers=2, isolation="program")
    source = "import socket, os\nprint(socket.gethostname(), os.getuid())"
    with DockerSandbox(settings, client=docker_client) as box:
        results = list(box.run_many([Job(id=str(i), language="python", source=source) for i in range(6)]))
        timeout = box.run(Job(id="loop", language="python", source="while True: pass", timeout_s=1))
    assert all(r.status is Status.passed for r in results)
    hostnames = {r.stdout.split()[0] for r in results}
    assert len(hostnames) == 6  # six containers
    assert {r.stdout.split()[1] for r in results} == {"20001"}  # each container's first (and only) uid
    assert timeout.status is Status.timeout


def test_a_missing_image_says_how_to_build_it(docker_client):
    from codeforge.sandbox import SandboxUnavailable

    with DockerSandbox(SandboxSettings(image_prefix="codeforge-absent"), client=docker_client) as box:
        with pytest.raises(SandboxUnavailable, match="codeforge sandbox build python"):
            box.run(Job(id="x", language="python", source="print(1)"))
