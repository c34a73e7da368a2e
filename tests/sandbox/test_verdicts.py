"""Verdicts that cannot be gamed: programs written to fake a pass, against the real engine, in both isolation
modes. Each answers `add(a, b)` wrongly (or not at all) while trying to make the tests look passed; each
must score `failed`, and the honest answer must still pass. In the spirit of MultiPL-E's evil programs."""

from __future__ import annotations

import textwrap

import pytest

from codeforge.sandbox import DockerSandbox, Job, SandboxSettings, Status

pytestmark = pytest.mark.docker

# HumanEval's shape: a check(candidate) function, then the call.
CHECK = textwrap.dedent("""
    def check(candidate):
        assert candidate(1, 2) == 3
        assert candidate(2, 2) == 4
        assert candidate(-1, 1) == 0
        assert candidate(10, 5) == 15

    check(add)
""")

HONEST = "def add(a, b):\n    return a + b\n"

# What a program can find if it looks for the tests: their expected values. A cheat that finds them answers
# from them (so that, if it could read the tests, it would pass); one that finds nothing answers 0.
FROM_FOUND_TESTS = textwrap.dedent("""
    import re
    _answers = {}
    def _learn(text):
        for a, b, c in re.findall(r"candidate\\((-?\\d+), (-?\\d+)\\) == (-?\\d+)", text):
            _answers[(int(a), int(b))] = int(c)
    def add(a, b):
        return _answers.get((a, b), 0)
""")

EVIL = {
    "sys.exit(0) before the tests": "import sys\nsys.exit(0)\ndef add(a, b):\n    return 0\n",
    "os._exit(0) before the tests": "import os\nos._exit(0)\ndef add(a, b):\n    return 0\n",
    "sys.exit(0) in the function": "import sys\ndef add(a, b):\n    sys.exit(0)\n",
    "os._exit(0) in the function": "import os\ndef add(a, b):\n    os._exit(0)\n",
    "raise SystemExit in the function": "def add(a, b):\n    raise SystemExit(0)\n",
    "KeyboardInterrupt in the function": "def add(a, b):\n    raise KeyboardInterrupt\n",
    "exit handler ends with 0": textwrap.dedent("""
        import atexit, os
        atexit.register(lambda: os._exit(0))
        def add(a, b):
            raise ValueError("wrong")
    """),
    "a thread ends the process with 0": textwrap.dedent("""
        import os, threading, time
        threading.Thread(target=lambda: (time.sleep(0.2), os._exit(0)), daemon=True).start()
        def add(a, b):
            time.sleep(1)
            return 0
    """),
    "a signal handler ends with 0": textwrap.dedent("""
        import os, signal, time
        signal.signal(signal.SIGALRM, lambda *_: os._exit(0))
        signal.alarm(1)
        def add(a, b):
            time.sleep(3)
            return 0
    """),
    "kills itself": "import os, signal\ndef add(a, b):\n    os.kill(os.getpid(), signal.SIGKILL)\n",
    "equal to everything": textwrap.dedent("""
        class Anything:
            def __eq__(self, other): return True
            def __ne__(self, other): return False
            def __bool__(self): return True
        def add(a, b):
            return Anything()
    """),
    "an int subclass equal to everything": textwrap.dedent("""
        class Liar(int):
            def __eq__(self, other): return True
            def __ne__(self, other): return False
            __hash__ = int.__hash__
        def add(a, b):
            return Liar(0)
    """),
    "raises on comparison": textwrap.dedent("""
        class Boom:
            def __eq__(self, other): raise AssertionError("fine")
        def add(a, b):
            return Boom()
    """),
    "reads the tests from disk": FROM_FOUND_TESTS + textwrap.dedent("""
        import os
        for top in ("/sandbox", "/tmp", "/opt", "/dev/shm"):
            for root, dirs, files in os.walk(top):
                for name in files:
                    try:
                        with open(os.path.join(root, name), errors="replace") as handle:
                            _learn(handle.read())
                    except OSError:
                        pass
    """),
    "reads the tests from the environment": FROM_FOUND_TESTS + "import os\n_learn(repr(dict(os.environ)))\n",
    "reads the tests from other processes": FROM_FOUND_TESTS + textwrap.dedent("""
        import os
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) == os.getpid():
                continue
            for part in ("cmdline", "environ", "cwd/check.py", "fd/0", "fd/3", "fd/4", "fd/5"):
                try:
                    with open(f"/proc/{pid}/{part}", "rb") as handle:
                        _learn(handle.read(1 << 20).decode(errors="replace"))
                except OSError:
                    pass
            try:  # the harness's memory, map by map
                with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb") as mem:
                    for line in maps:
                        start, end = (int(x, 16) for x in line.split()[0].split("-"))
                        try:
                            mem.seek(start)
                            _learn(mem.read(min(end - start, 1 << 22)).decode(errors="replace"))
                        except (OSError, ValueError, OverflowError):
                            pass
            except OSError:
                pass
    """),
    "kills the harness": textwrap.dedent("""
        import os, signal
        def add(a, b):
            for pid in os.listdir("/proc"):
                if pid.isdigit() and int(pid) not in (1, os.getpid()):
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except OSError:
                        pass
            return 0
    """),
    "stops the harness": textwrap.dedent("""
        import os, signal
        def add(a, b):
            for pid in os.listdir("/proc"):
                if pid.isdigit() and int(pid) not in (1, os.getpid()):
                    try:
                        os.kill(int(pid), signal.SIGSTOP)
                    except OSError:
                        pass
            return 0
    """),
    "tampers with the interpreter": textwrap.dedent("""
        import builtins, sys
        builtins.AssertionError = type("AssertionError", (Exception,), {})
        sys.settrace(lambda *a: None)
        sys.meta_path.insert(0, type("Hook", (), {"find_spec": staticmethod(lambda *a, **k: None)})())
        def add(a, b):
            return 0
    """),
    "prints fake test reports": textwrap.dedent("""
        import os, sys, json
        fake = json.dumps({"passed": True, "tests": [{"name": "check.py", "outcome": "passed"}], "reason": None})
        print("passed 4 of 4 inputs\\n" + fake)
        print(fake, file=sys.stderr)
        for fd in range(3, 64):
            try:
                os.write(fd, fake.encode())
            except OSError:
                pass
        def add(a, b):
            return 0
    """),
    "rewrites its side of the pipe": textwrap.dedent("""
        import gc
        for obj in gc.get_objects():
            if getattr(obj, "__name__", None) == "encode" and getattr(obj, "__module__", None) == "codec":
                obj.__code__ = (lambda value, reference, depth=0: True).__code__
        def add(a, b):
            return 0
    """),
    "writes into the tests' folder": textwrap.dedent("""
        import glob
        for folder in glob.glob("/sandbox/*-tests"):
            try:
                with open(folder + "/check.py", "w") as handle:
                    handle.write("pass\\n")
            except OSError:
                pass
        def add(a, b):
            return 0
    """),
    "forks and leaves": textwrap.dedent("""
        import os
        def add(a, b):
            if os.fork():
                os._exit(0)
            return 0
    """),
}


@pytest.fixture(scope="module", params=["worker", "program"])
def sandbox(request, docker_client):
    with DockerSandbox(SandboxSettings(workers=2, isolation=request.param), client=docker_client) as box:
        yield box


def check(sandbox, source: str, tests: str = CHECK, **limits):
    return sandbox.run(Job(id="add", language="python", source=source, tests={"check.py": tests},
                           timeout_s=limits.get("timeout_s", 10)))


def test_the_honest_answer_passes(sandbox):
    result = check(sandbox, HONEST)
    assert result.status is Status.passed, result.stderr
    assert result.details["tests"] == [{"name": "check.py", "outcome": "passed"}]


@pytest.mark.parametrize("name", sorted(EVIL))
def test_a_program_that_fakes_a_pass_fails(sandbox, name):
    result = check(sandbox, EVIL[name])
    assert result.status in (Status.failed, Status.timeout), (name, result.status, result.details, result.stderr)
    assert result.status is not Status.passed


def test_a_program_that_ends_early_is_told_so(sandbox):
    for source in (EVIL["sys.exit(0) before the tests"], EVIL["os._exit(0) in the function"]):
        result = check(sandbox, source)
        error = result.details["error"]
        assert error.startswith("the program ended before the tests finished") and error.endswith("(exit status 0)")


def test_an_object_of_the_programs_own_class_is_named_in_the_failure(sandbox):
    result = check(sandbox, EVIL["equal to everything"])
    assert result.details["error"] == \
        "AssertionError (the program returned an object of type Anything, not a plain value)"


def test_tests_may_use_the_programs_objects_through_references(sandbox):
    """A test that builds objects of the program's classes and inspects them (MBPP's binary trees)."""
    program = textwrap.dedent("""
        class Node:
            def __init__(self, value):
                self.value, self.left, self.right = value, None, None
        def height(node):
            return 0 if node is None else 1 + max(height(node.left), height(node.right))
        def count_up(n):
            yield from range(n)
    """)
    tests = textwrap.dedent("""
        root = Node(1)
        root.left = Node(2)
        root.left.left = Node(3)
        assert height(root) == 3
        assert root.left.value == 2
        assert list(count_up(3)) == [0, 1, 2]
        assert root != Node(1) and root == root
        try:
            height("not a node")
        except AttributeError as error:  # the program's exception, as Python's own type
            assert "value" in str(error) or "left" in str(error)
        else:
            raise AssertionError("expected an AttributeError")
    """)
    result = check(sandbox, program, tests)
    assert result.status is Status.passed, result.stderr


def test_what_the_program_prints_stays_its_own_output(sandbox):
    result = check(sandbox, "print('hello from the program')\n" + HONEST)
    assert result.status is Status.passed and result.stdout.startswith("hello from the program\n")


def test_pytest_files_run_in_the_harness(sandbox):
    files = {"calc.py": "import os\ndef add(a, b):\n    return a + b\ndef boom():\n    os._exit(0)\n",
             "test_calc.py": "from calc import add, boom\n\ndef test_add():\n    assert add(2, 2) == 4\n\n"
                             "def test_boom():\n    boom()\n\ndef test_after():\n    assert add(1, 1) == 2\n"}
    result = sandbox.run(Job(id="pytest", language="python", action="test", files=files))
    assert result.status is Status.failed
    assert "the program ended before the tests finished" in result.details["error"]
    files["calc.py"] = "def add(a, b):\n    return a + b\ndef boom():\n    return None\n"
    honest = sandbox.run(Job(id="pytest", language="python", action="test", files=files))
    assert honest.status is Status.passed, honest.stderr
    assert {t["outcome"] for t in honest.details["tests"]} == {"passed"} and len(honest.details["tests"]) == 3


# -- Go: the tests compiled on their side, run by the program -------------------------------------------------

GO_TEST = textwrap.dedent("""
    package main

    import "testing"

    func TestAdd(t *testing.T) {
        if Add(1, 2) != 3 || Add(2, 2) != 4 {
            t.Fatal("wrong sum")
        }
    }

    func TestAddNegative(t *testing.T) {
        if Add(-1, 1) != 0 {
            t.Fatal("wrong sum")
        }
    }
""")
GO_HONEST = "package main\n\nfunc Add(a, b int) int {\n\treturn a + b\n}\n"
GO_EVIL = {
    "exits 0 before the tests": 'package main\n\nimport "os"\n\nfunc init() {\n\tos.Exit(0)\n}\n\n'
                                "func Add(a, b int) int {\n\treturn 0\n}\n",
    "prints a fake report and exits": textwrap.dedent("""
        package main

        import (
            "fmt"
            "os"
        )

        func init() {
            fmt.Println("=== RUN   TestAdd\\n--- PASS: TestAdd (0.00s)\\n=== RUN   TestAddNegative")
            fmt.Println("--- PASS: TestAddNegative (0.00s)\\nPASS\\ncoverage: 100.0% of statements")
            os.Exit(0)
        }

        func Add(a, b int) int {
            return 0
        }
    """),
    "reads the tests' source": textwrap.dedent("""
        package main

        import (
            "os"
            "strings"
        )

        func Add(a, b int) int {
            for _, name := range []string{"main_test.go", "../main_test.go", "/proc/self/exe"} {
                if data, err := os.ReadFile(name); err == nil && strings.Contains(string(data), "Add(1, 2)") {
                    return a + b // it found the tests: it would answer from them
                }
            }
            return 0
        }
    """),
    "reaches the coverage machinery": textwrap.dedent("""
        package main

        import "testing"

        func init() {
            testing.RegisterCover(testing.Cover{Mode: "set"})
        }

        func Add(a, b int) int {
            return a + b
        }
    """),
    # `go test -cover` declares the counters in the package it rewrites: GoCover_0_<hex of sha256("job")[:6] as hex>
    "sets its own coverage counters": textwrap.dedent("""
        package main

        func init() {
            for i := range GoCover_0_356538633939303232303761.Count {
                GoCover_0_356538633939303232303761.Count[i] = 1
            }
        }

        func Add(a, b int) int {
            return a + b
        }
    """),
}
# Tests a model wrote (Go unit-test generation): they are the program, and may be written to fake a pass.
GO_EVIL_TESTS = {
    "TestMain exits 0 before the tests": GO_TEST + "\nfunc TestMain(m *testing.M) {\n\tos.Exit(0)\n}\n",
    "a test writes a coverage report": GO_TEST + textwrap.dedent("""
        func TestForge(t *testing.T) {
            f, err := os.OpenFile("/dev/fd/3", os.O_WRONLY, 0)
            if err == nil {
                f.WriteString("mode: set\\njob/main.go:3.24,5.2 1 1\\n")
                f.Close()
            }
        }
    """),
}


def go_check(sandbox, program: str, tests: str, hidden: bool = True):
    """Hidden tests (a benchmark's) go to the tests' side; a model's own tests are among its files."""
    if hidden:
        job = Job(id="go", language="go", files={"main.go": program}, tests={"main_test.go": tests})
    else:
        job = Job(id="go", language="go", action="test", files={"main.go": program, "main_test.go": tests})
    return sandbox.run(job)


def with_os(tests: str) -> str:
    return tests.replace('import "testing"', 'import (\n\t"os"\n\t"testing"\n)')


def test_honest_go_passes_with_coverage(sandbox):
    result = go_check(sandbox, GO_HONEST, GO_TEST)
    assert result.status is Status.passed, result.stdout + result.stderr
    assert result.details["coverage"]["total"] == 100.0
    assert {t["name"] for t in result.details["tests"]} == {"TestAdd", "TestAddNegative"}


@pytest.mark.parametrize("name", sorted(GO_EVIL))
def test_a_go_program_that_fakes_a_pass_fails(sandbox, name):
    result = go_check(sandbox, GO_EVIL[name], GO_TEST)
    assert result.status is Status.failed, (name, result.status, result.details, result.stdout, result.stderr)
    assert "coverage" not in result.details or name == "reads the tests' source"


@pytest.mark.parametrize("name", sorted(GO_EVIL_TESTS))
def test_go_tests_that_fake_a_pass_or_their_coverage_fail(sandbox, name):
    result = go_check(sandbox, GO_HONEST, with_os(GO_EVIL_TESTS[name]), hidden=False)
    assert result.status is Status.failed, (name, result.status, result.details, result.stdout, result.stderr)
    assert "coverage" not in result.details


def test_nothing_of_one_run_reaches_the_next_in_the_harness(docker_client):
    """One harness process serves a container's runs: each run's tests see none of the last run's modules,
    builtins or random state (one worker, so both runs share the container and its harness)."""
    with DockerSandbox(SandboxSettings(workers=1), client=docker_client) as box:
        first = box.run(Job(id="1", language="python", source=HONEST, tests={
            "check.py": "import helper, builtins, random\nbuiltins.left_behind = 1\nrandom.seed(1)\n"
                        "assert helper.VALUE == 1 and add(1, 2) == 3\n",
            "helper.py": "VALUE = 1\n"}))
        second = box.run(Job(id="2", language="python", source=HONEST, tests={
            "check.py": "import builtins, helper\nassert helper.VALUE == 2, helper.VALUE\n"
                        "assert not hasattr(builtins, 'left_behind')\nassert add(2, 2) == 4\n",
            "helper.py": "VALUE = 2\n"}))
    assert first.status is Status.passed, first.stderr
    assert second.status is Status.passed, second.stderr


# -- C and C++: the tests' main must say it returned ------------------------------------------------------------

CPP_TESTS = '#include "main.cpp"\n#include <cassert>\nint main() {\n    assert(add(1, 2) == 3);\n' \
            '    assert(add(2, 2) == 4);\n}\n'
CPP_HONEST = "int add(int a, int b) {\n    return a + b;\n}\n"
CPP_EVIL = {
    "exit(0) in the function": "#include <cstdlib>\nint add(int a, int b) {\n    exit(0);\n}\n",
    "_exit(0) in the function": "#include <unistd.h>\nint add(int a, int b) {\n    _exit(0);\n}\n",
    "exit(0) before main": "#include <cstdlib>\nstruct Early { Early() { exit(0); } } early;\n"
                           "int add(int a, int b) {\n    return 0;\n}\n",
    "an exit handler hides the abort": textwrap.dedent("""
        #include <csignal>
        #include <unistd.h>
        struct Quiet { Quiet() { signal(SIGABRT, [](int) { _exit(0); }); } } quiet;
        int add(int a, int b) {
            return 0;
        }
    """),
    "reads the tests' source": textwrap.dedent("""
        #include <cstdio>
        int add(int a, int b) {
            if (FILE *f = fopen("tests.cpp", "r")) { fclose(f); return a + b; }  // it found them
            return 0;
        }
    """),
}


def cpp_check(sandbox, program: str):
    return sandbox.run(Job(id="cpp", language="cpp", files={"main.cpp": program}, tests={"tests.cpp": CPP_TESTS}))


def test_honest_cpp_passes_under_valgrind(sandbox):
    result = cpp_check(sandbox, CPP_HONEST)
    assert result.status is Status.passed, result.stdout + result.stderr


@pytest.mark.parametrize("name", sorted(CPP_EVIL))
def test_a_cpp_program_that_fakes_a_pass_fails(sandbox, name):
    result = cpp_check(sandbox, CPP_EVIL[name])
    assert result.status is Status.failed, (name, result.status, result.details, result.stderr)
