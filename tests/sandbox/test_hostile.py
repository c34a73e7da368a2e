"""Hostile programs against the real engine: each gets the right status, and nothing of it survives.

After each hostile program, a probe runs in the same warm container (one worker) and reports what it can
see: other processes, files in the writable places, SysV IPC objects. It must see nothing.
"""

from __future__ import annotations

import json
import textwrap

import pytest

from codeforge.sandbox import Job, Status

pytestmark = pytest.mark.docker

PROBE = textwrap.dedent(
    """
    import json, os
    mine = {os.getpid(), 1}
    others = []
    for pid in os.listdir("/proc"):
        if pid.isdigit() and int(pid) not in mine:
            try:
                with open(f"/proc/{pid}/status") as f:
                    status = dict(line.split(":", 1) for line in f if ":" in line)
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read().replace(b"\\0", b" ").decode(errors="replace").strip()
            except OSError:
                continue
            uid = int(status["Uid"].split()[0])
            # The runner and its zygote are uid 0; the container's test harness has a uid of its own.
            if uid not in (0, 520000):
                others.append([int(pid), uid, cmd])
    files = {d: sorted(os.listdir(d)) for d in ("/tmp", "/dev/shm", "/dev/mqueue")}
    ipc = {k: open(f"/proc/sysvipc/{k}").read().splitlines()[1:] for k in ("shm", "sem", "msg")}
    print(json.dumps({"others": others, "files": files, "ipc": ipc}))
    """
)


def run(sandbox, source: str, **job) -> "Result":
    return sandbox.run(Job(id=job.pop("id", "hostile"), language=job.pop("language", "python"), source=source, **job))


def assert_clean(sandbox) -> None:
    result = run(sandbox, PROBE, id="probe")
    assert result.status is Status.passed, result.stderr
    seen = json.loads(result.stdout)
    assert seen["others"] == [], f"processes left behind: {seen['others']}"
    assert seen["files"] == {"/tmp": [], "/dev/shm": [], "/dev/mqueue": []}
    assert seen["ipc"] == {"shm": [], "sem": [], "msg": []}


def test_fork_bomb_is_stopped_and_leaves_nothing(serial_sandbox):
    bomb = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    result = run(serial_sandbox, bomb, timeout_s=3)
    assert result.status is Status.timeout
    assert result.duration_s < 10
    assert_clean(serial_sandbox)


def test_memory_bomb_is_oom(serial_sandbox):
    bomb = "blocks = []\nwhile True:\n    blocks.append(bytearray(10 * 1024 * 1024))\n"
    result = run(serial_sandbox, bomb, memory_mb=64, timeout_s=20)
    assert result.status is Status.oom
    assert result.duration_s < 15
    assert_clean(serial_sandbox)


def test_infinite_loop_times_out(serial_sandbox):
    result = run(serial_sandbox, "while True:\n    pass\n", timeout_s=1.5)
    assert result.status is Status.timeout
    assert 1.4 < result.duration_s < 5
    assert_clean(serial_sandbox)


def test_child_sleeping_on_after_its_parent_exits_is_killed(serial_sandbox):
    source = textwrap.dedent(
        """
        import os, subprocess, sys
        subprocess.Popen(["sleep", "600"])                  # a child
        if os.fork() == 0:                                   # and a daemon that detaches itself
            os.setsid()
            if os.fork() == 0:
                os.execvp("sleep", ["sleep", "601"])
            os._exit(0)
        print("parent done")
        """
    )
    result = run(serial_sandbox, source, timeout_s=10)
    assert result.status is Status.passed, result.stderr
    assert result.stdout == "parent done\n"
    assert result.duration_s < 3  # the parent's exit ends the program; its children do not hold it open
    assert_clean(serial_sandbox)


def test_output_flood_is_cut_at_the_cap(serial_sandbox):
    result = run(serial_sandbox, "while True:\n    print('x' * 9999)\n", timeout_s=10)
    assert result.status is Status.output_limit
    assert result.truncated
    assert len(result.stdout) == serial_sandbox.settings.max_output_bytes
    assert result.duration_s < 5
    assert_clean(serial_sandbox)


def test_network_is_unreachable(serial_sandbox):
    source = textwrap.dedent(
        """
        import socket
        for host in ("1.1.1.1", "8.8.8.8"):
            try:
                socket.create_connection((host, 53), timeout=2)
                print("connected", host)
            except OSError as exc:
                print("refused", host, exc.errno)
        try:
            socket.getaddrinfo("pypi.org", 443)
            print("resolved")
        except OSError:
            print("no dns")
        """
    )
    result = run(serial_sandbox, source)
    assert result.status is Status.passed, result.stderr
    assert "connected" not in result.stdout and "resolved" not in result.stdout
    assert result.stdout.count("refused") == 2 and "no dns" in result.stdout


def test_writes_outside_the_work_dir_fail(serial_sandbox):
    source = textwrap.dedent(
        """
        import json, os
        outcome = {}
        for path in ("/etc/evil", "/usr/bin/evil", "/opt/codeforge/runner/__main__.py", "/evil", "/sandbox/evil",
                     "/var/tmp/evil", "/root/evil", "/proc/sys/kernel/evil"):
            try:
                with open(path, "a") as handle:
                    handle.write("x")
                outcome[path] = "written"
            except OSError as exc:
                outcome[path] = exc.strerror
        with open("inside.txt", "w") as handle:   # the work dir itself is writable
            handle.write("fine")
        outcome["workdir"] = open("inside.txt").read()
        print(json.dumps(outcome))
        """
    )
    result = run(serial_sandbox, source)
    assert result.status is Status.passed, result.stderr
    outcome = json.loads(result.stdout)
    assert outcome.pop("workdir") == "fine"
    assert "written" not in outcome.values(), outcome
    assert_clean(serial_sandbox)


def test_a_program_cannot_read_the_previous_programs_files(serial_sandbox):
    writer = textwrap.dedent(
        """
        import os
        for path in ("secret.txt", "/tmp/secret.txt", "/dev/shm/secret.txt"):
            with open(path, "w") as handle:
                handle.write("TOP SECRET")
            os.chmod(path, 0o644)
        os.chmod(".", 0o755)
        print(os.path.abspath("secret.txt"))
        """
    )
    first = run(serial_sandbox, writer, id="writer")
    assert first.status is Status.passed, first.stderr
    secret_path = first.stdout.strip()
    reader = textwrap.dedent(
        f"""
        import glob
        found = []
        for path in [{secret_path!r}, "/tmp/secret.txt", "/dev/shm/secret.txt"] + glob.glob("/sandbox/*/secret.txt"):
            try:
                found.append(open(path).read())
            except OSError:
                pass
        print(found)
        """
    )
    second = run(serial_sandbox, reader, id="reader")
    assert second.status is Status.passed, second.stderr
    assert second.stdout.strip() == "[]"


def test_each_program_gets_a_fresh_uid_and_work_dir(serial_sandbox):
    source = "import os\nprint(os.getuid(), os.getcwd())\n"
    first = run(serial_sandbox, source).stdout.split()
    second = run(serial_sandbox, source).stdout.split()
    assert first[0] != second[0] and first[1] != second[1]
    assert int(first[0]) != 0 and int(second[0]) != 0


def test_programs_have_no_capabilities(serial_sandbox):
    source = "print([l for l in open('/proc/self/status') if l.startswith(('CapEff', 'CapPrm', 'NoNewPrivs'))])"
    result = run(serial_sandbox, source)
    assert "CapEff:\\t0000000000000000" in result.stdout
    assert "CapPrm:\\t0000000000000000" in result.stdout
    assert "NoNewPrivs:\\t1" in result.stdout


def test_go_test_that_never_returns_times_out(sandbox):
    files = {
        "main.go": "package main\n\nfunc Answer() int { return 42 }\n",
        "main_test.go": 'package main\n\nimport (\n\t"testing"\n\t"time"\n)\n\n'
                        "func TestForever(t *testing.T) {\n\ttime.Sleep(time.Hour)\n}\n",
    }
    result = sandbox.run(Job(id="go-hang", language="go", files=files, timeout_s=4))
    assert result.status is Status.timeout
    assert result.duration_s < 8


def test_c_use_after_free_is_a_memory_error(sandbox):
    source = textwrap.dedent(
        """
        #include <stdio.h>
        #include <stdlib.h>
        int main(void) {
            int *p = malloc(4 * sizeof(int));
            p[0] = 7;
            free(p);
            printf("%d\\n", p[0]);
            return 0;
        }
        """
    )
    result = sandbox.run(Job(id="uaf", language="c", source=source))
    assert result.status is Status.memory_error
    assert result.exit_code == 0  # the program itself "worked": only memcheck sees the bug
    kinds = [error["kind"] for error in result.details["memory_errors"]]
    assert "InvalidRead" in kinds
    frame = result.details["memory_errors"][kinds.index("InvalidRead")]["frame"]
    assert frame["file"] == "main.c" and frame["line"] == 8 and frame["function"] == "main"


def test_c_definite_leak_is_a_memory_error(sandbox):
    source = "#include <stdlib.h>\nint main(void) {\n    char *p = malloc(100);\n    p = 0;\n    return 0;\n}\n"
    result = sandbox.run(Job(id="leak", language="c", source=source))
    assert result.status is Status.memory_error
    kinds = [error["kind"] for error in result.details["memory_errors"]]
    assert kinds == ["Leak_DefinitelyLost"]
    assert "100 bytes" in result.details["memory_errors"][0]["message"]


def test_still_reachable_memory_is_not_an_error(sandbox):
    source = "#include <stdlib.h>\nstatic char *keep;\nint main(void) {\n    keep = malloc(100);\n    return 0;\n}\n"
    result = sandbox.run(Job(id="reachable", language="c", source=source))
    assert result.status is Status.passed, result.details


def test_compile_errors(sandbox):
    c_result = sandbox.run(Job(id="c-broken", language="c", source="int main(void) { return x; }\n"))
    assert c_result.status is Status.compile_error
    assert "x" in c_result.stderr and "error" in c_result.stderr
    cpp_result = sandbox.run(Job(id="cpp-broken", language="cpp", source="int main() { undefined(); }\n"))
    assert cpp_result.status is Status.compile_error
    go_files = {"main.go": "package main\n\nfunc F() int { return \"s\" }\n",
                "main_test.go": "package main\n\nimport \"testing\"\n\nfunc TestF(t *testing.T) { F() }\n"}
    go_result = sandbox.run(Job(id="go-broken", language="go", files=go_files))
    assert go_result.status is Status.compile_error
    assert "cannot use" in go_result.stderr + go_result.stdout


def test_a_program_cannot_claim_it_did_not_compile(serial_sandbox):
    forger = ("import os\nfor fd in range(3, 1024):\n    try:\n        os.write(fd, b'syntax-error')\n"
              "    except OSError:\n        pass\nraise SystemExit(1)\n")
    result = serial_sandbox.run(Job(id="forger", language="python", source=forger))
    assert result.status is Status.failed
