"""The test harness of a checked run: it holds the tests and decides the verdict, outside the program.

It runs under a uid of its own, in a folder (0700) that only it can read, holding the test files; the
program runs in another process under another uid and never sees them (not on disk, not in memory, not in
its environment or on any command line). The tests see the program's module through references: calling
one of its functions sends the arguments to the program's process as plain data (codec.py) and gets the
result back as plain data, decoded here into Python's own values, so every comparison is Python's. What the
program returns that is not plain data (an instance of its class, a generator) is a `Remote` here: it can be
called, iterated or asked for attributes, never compared to a value (it equals only itself) or used as a
truth value.

The verdict is positive evidence: `passed` only when every test ran here to its end and held. If the program
ends (any exit status, any signal) before the tests are done, the run fails with "the program ended before
the tests finished". The verdict goes to the runner on a pipe the program has no descriptor of.

Two kinds of tests: scripts (HumanEval's `check(candidate)`, MBPP's asserts: each file runs top to bottom in
a namespace holding the program's names) and pytest files (`test_*.py` / `*_test.py`, run by pytest here,
importing the program's modules through references).

A failed test says how it failed (`failure`, decided here, where the program cannot reach): `assertion` (a
check of the tests did not hold), `program_raised` (the program raised an exception the test did not
expect), `program_ended` (the program ended while the test needed it) or `error` (the test's own code
raised, as on a value of the wrong type). A reward tells a wrong answer from a crash by it.
"""

from __future__ import annotations

import builtins
import os
import sys
import traceback

import codec
from cleanup import scrub, write_files

HERE = os.path.dirname(os.path.abspath(__file__))


class ProgramEnded(BaseException):
    """The program's process ended (or ended itself) while the tests still needed it. A BaseException, so
    that a test's `except Exception` cannot swallow it."""


class ProgramError(Exception):
    """The program raised an exception that is not one of Python's own; its type's name and message."""


class Program:
    """The pipe to the program's process."""

    def __init__(self, requests_fd: int, answers_fd: int):
        self.requests_fd, self.answers_fd = requests_fd, answers_fd
        self.last_type = None  # the type of the last object returned that was not plain data

    def ask(self, request: dict):
        try:
            codec.send(self.requests_fd, request)
            reply = codec.receive(self.answers_fd)
        except codec.Closed:
            raise ProgramEnded("the program ended before the tests finished") from None
        if "ended" in reply:
            raise ProgramEnded(f"{reply['ended']} before the tests finished")
        if "raised" in reply:
            raise remote_exception(reply["raised"])
        if "module" in reply:
            return reply
        if "value" not in reply:
            raise codec.ProtocolError("an answer without a value")
        value = codec.decode(reply["value"], self.remote)
        self.last_type = value.kind if isinstance(value, Remote) else None
        return value

    def remote(self, data: dict) -> "Remote":
        return Remote(self, int(data["r"]), str(data.get("type", "object")))

    def send_value(self, value):
        def refuse(obj):
            if isinstance(obj, Remote) and obj._program is self:
                return {"r": obj._ref}
            raise TypeError(f"the test passes an object of type {type(obj).__name__} to the program, which "
                            "only takes plain data (numbers, text, lists, tuples, dicts, sets) or its own objects")

        return codec.encode(value, refuse)


def remote_exception(raised: dict) -> BaseException:
    """The program's exception as one of Python's own types when it is one (a test may expect a ValueError),
    else a ProgramError; its traceback in the program's process is kept as a note."""
    name, message = str(raised.get("type", "Exception")), str(raised.get("message", ""))
    kind = getattr(builtins, name, None) if raised.get("builtin") else None
    if isinstance(kind, type) and issubclass(kind, Exception):
        try:
            exc = kind(message)
        except Exception:
            exc = ProgramError(f"{name}: {message}")
    else:
        exc = ProgramError(f"{name}: {message}" if message else name)
    trace = str(raised.get("traceback") or "").strip()
    if trace and hasattr(exc, "add_note"):
        exc.add_note("in the program:\n" + trace)
    exc._raised_by_program = True  # see failure_kind
    return exc


def failure_kind(exc: BaseException) -> str:
    """How a test failed (see the module's docstring)."""
    if isinstance(exc, ProgramEnded):
        return "program_ended"
    if getattr(exc, "_raised_by_program", False):
        return "program_raised"
    # pytest.fail and pytest.raises that saw nothing raise `Failed`: a check that did not hold.
    if isinstance(exc, AssertionError) or type(exc).__name__ == "Failed":
        return "assertion"
    return "error"


class Remote:
    """An object in the program's process: a function, a class, an instance, an iterator."""

    __slots__ = ("_program", "_ref", "kind")

    def __init__(self, program: Program, ref: int, kind: str):
        object.__setattr__(self, "_program", program)
        object.__setattr__(self, "_ref", ref)
        object.__setattr__(self, "kind", kind)

    def _ask(self, op: str, **fields):
        return self._program.ask({"op": op, "ref": {"r": self._ref}, **fields})

    def __call__(self, *args, **kwargs):
        program = self._program
        return self._ask("call", args=program.send_value(list(args)), kwargs=program.send_value(dict(kwargs)))

    def __getattr__(self, name: str):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self._ask("getattr", name=name)

    def __setattr__(self, name: str, value) -> None:
        self._ask("setattr", name=name, value=self._program.send_value(value))

    def __getitem__(self, key):
        return self._ask("getitem", key=self._program.send_value(key))

    def __len__(self) -> int:
        size = self._ask("len")
        if type(size) is not int:
            raise TypeError(f"len() of an object of type {self.kind} is not an int")
        return size

    def __contains__(self, item) -> bool:
        found = self._ask("contains", item=self._program.send_value(item))
        if type(found) is not bool:
            raise TypeError(f"`in` on an object of type {self.kind} did not give True or False")
        return found

    def __iter__(self):
        iterator = self._ask("iter")
        if not isinstance(iterator, Remote):
            raise TypeError(f"iter() of an object of type {self.kind} did not give an iterator")
        return _RemoteIterator(iterator)

    def __eq__(self, other) -> bool:
        return isinstance(other, Remote) and other._program is self._program and other._ref == self._ref

    def __ne__(self, other) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(("remote", self._ref))

    def __bool__(self) -> bool:
        # The program's own answer, as any value it returns: a truth value tells it nothing about the tests
        # (unlike `==`, which would show it the expected value).
        truth = self._ask("bool")
        if type(truth) is not bool:
            raise TypeError(f"bool() of an object of type {self.kind} is not True or False")
        return truth

    def __str__(self) -> str:
        text = self._ask("str")
        if type(text) is not str:
            raise TypeError(f"str() of an object of type {self.kind} is not text")
        return text

    def __repr__(self) -> str:
        return f"<an object of type {self.kind}, not a plain value>"


class _RemoteIterator:
    def __init__(self, remote: Remote):
        self.remote = remote

    def __iter__(self):
        return self

    def __next__(self):
        return self.remote._ask("next")


class RemoteModule:
    """One of the program's modules as the tests import it: its functions and classes are Remotes, its
    plain data are values."""

    def __init__(self, name: str, program: Program, reply: dict):
        self.__name__ = name
        for key, entry in (reply.get("names") or {}).items():
            if "callable" in entry:
                setattr(self, key, program.remote(entry["callable"]))
            elif "value" in entry:
                setattr(self, key, codec.decode(entry["value"], program.remote))


class ProgramModules:
    """An import hook: `import solution` in a test gives the program's module, through references."""

    def __init__(self, program: Program, names: list, loaded: dict):
        self.program, self.names, self.loaded = program, set(names), loaded

    def find_spec(self, name, path=None, target=None):
        if name not in self.names:
            return None
        import importlib.machinery

        return importlib.machinery.ModuleSpec(name, self)

    def create_module(self, spec):
        if spec.name not in self.loaded:
            self.loaded[spec.name] = self.program.ask({"op": "import", "module": spec.name})
        module = RemoteModule(spec.name, self.program, self.loaded[spec.name])
        return module

    def exec_module(self, module) -> None:
        pass


def shown_traceback(exc: BaseException) -> str:
    """The failure as the tests see it: their own frames, not this file's or the codec's."""
    tb = exc.__traceback__
    frames = []
    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.startswith(HERE + os.sep):
            frames.append(tb)
        tb = tb.tb_next
    lines = ["Traceback (most recent call last):\n"] if frames else []
    for frame in frames:
        lines.extend(traceback.format_list(traceback.extract_tb(frame, limit=1)))
    lines.extend(traceback.format_exception_only(type(exc), exc))  # with its notes: the program's traceback
    return "".join(lines)


def run_scripts(tests_dir: str, files: list, namespace: dict, program: Program) -> dict:
    tests = []
    for name in files:
        path = os.path.join(tests_dir, name)
        with open(path, encoding="utf-8") as handle:
            code = compile(handle.read(), name, "exec")
        try:
            exec(code, namespace)
        except ProgramEnded as exc:
            tests.append({"name": name, "outcome": "failed", "failure": failure_kind(exc)})
            return {"passed": False, "tests": tests, "reason": str(exc)}
        except BaseException as exc:
            sys.stderr.write(shown_traceback(exc))
            tests.append({"name": name, "outcome": "failed", "failure": failure_kind(exc)})
            reason = f"{type(exc).__name__}: {exc}".rstrip(": ")
            if isinstance(exc, AssertionError) and program.last_type is not None:
                reason += f" (the program returned an object of type {program.last_type}, not a plain value)"
            return {"passed": False, "tests": tests, "reason": reason}
        tests.append({"name": name, "outcome": "passed"})
    return {"passed": bool(tests), "tests": tests, "reason": None if tests else "no tests ran"}


def run_pytest(tests_dir: str) -> dict:
    import pytest

    outcomes: dict[str, str] = {}
    failures: dict[str, str] = {}
    ended: list[str] = []

    class Outcomes:
        def pytest_runtest_logreport(self, report):
            if report.when == "call" or report.outcome != "passed":
                previous = outcomes.get(report.nodeid)
                if previous in (None, "passed"):
                    outcomes[report.nodeid] = report.outcome

        def pytest_exception_interact(self, node, call, report):
            if call.excinfo is not None and call.excinfo.errisinstance(ProgramEnded):
                ended.append(str(call.excinfo.value))
            if call.excinfo is not None:
                failures.setdefault(node.nodeid, failure_kind(call.excinfo.value))

    code = pytest.main([tests_dir, "-q", "-p", "no:cacheprovider", "-p", "no:pastebin", "--rootdir", tests_dir],
                       plugins=[Outcomes()])
    tests = [{"name": name, "outcome": outcome, **({"failure": failures[name]} if outcome == "failed"
                                                   and name in failures else {})}
             for name, outcome in outcomes.items()]
    if ended:
        return {"passed": False, "tests": tests, "reason": ended[0]}
    if not tests:
        return {"passed": False, "tests": tests, "reason": "no tests ran"}
    failed = [t["name"] for t in tests if t["outcome"] != "passed"]
    passed = int(code) == 0 and not failed
    return {"passed": passed, "tests": tests,
            "reason": None if passed else f"{len(failed)} of {len(tests)} tests did not pass" if failed
            else f"pytest ended with exit code {int(code)}"}


def run_job(spec: dict, requests_fd: int, answers_fd: int, verdict_fd: int) -> dict:
    """Run the tests in spec["tests_dir"] against the program; write the verdict on `verdict_fd` (and close
    it, and the request pipe, so that the program sees its input end)."""
    program = Program(requests_fd, answers_fd)
    verdict = {"passed": False, "tests": [], "reason": "the harness did not finish"}
    try:
        try:
            ready = codec.receive(answers_fd)
        except codec.Closed:
            raise ProgramEnded("the program ended before the tests finished (while it loaded)") from None
        if not ready.get("ready"):
            raised = ready.get("raised") or {}
            verdict = {"passed": False, "tests": [],  # (its traceback is on the program's stderr)
                       "reason": f"the program raised {raised.get('type')} while it loaded: {raised.get('message')}"}
            return _finish(verdict_fd, verdict, requests_fd)
        main_module = spec.get("main")
        loaded = {main_module: ready} if main_module else {}
        sys.meta_path.insert(0, ProgramModules(program, spec.get("modules") or [], loaded))
        sys.path.insert(0, spec["tests_dir"])
        files = sorted(spec.get("files") or [])
        if spec.get("mode") == "pytest":
            verdict = run_pytest(spec["tests_dir"])
        else:
            namespace = {"__name__": "__main__", "__builtins__": builtins}
            if main_module:
                namespace.update(vars(RemoteModule(main_module, program, ready)))
                namespace["__name__"] = "__main__"
            verdict = run_scripts(spec["tests_dir"], files, namespace, program)
    except ProgramEnded as exc:
        verdict = {"passed": False, "tests": verdict.get("tests", []), "reason": str(exc)}
    except codec.ProtocolError as exc:
        verdict = {"passed": False, "tests": [], "reason": f"the program broke the test protocol: {exc}"}
    except BaseException as exc:  # the harness itself failed: no verdict of the program's
        sys.stderr.write(traceback.format_exc())
        verdict = {"passed": False, "tests": [], "reason": f"the harness failed: {exc!r}", "harness_error": True}
    return _finish(verdict_fd, verdict, requests_fd)


def _finish(verdict_fd: int, verdict: dict, requests_fd: int) -> dict:
    import json

    try:
        os.close(requests_fd)  # the program sees its input end, and ends
    except OSError:
        pass
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    payload = json.dumps(verdict).encode()
    view = memoryview(payload)
    try:
        while view:
            view = view[os.write(verdict_fd, view):]
    finally:
        os.close(verdict_fd)
    return verdict


# -- one harness process per container --------------------------------------------------------------------------
#
# A harness process costs as much to start as the program's, so one serves every checked run of its
# container, under its own uid (never a program's): each run's script tests execute in a namespace of their
# own, and what a run adds to the interpreter (the program's modules, the tests' own modules and paths,
# builtins, the random state, the environment, the working directory, files and processes of its uid) is
# undone before the next. pytest runs, whose collection and plugins change more than that, run in a fork
# made for them. A run that leaves a thread behind ends the process; the runner starts another for the next.
# (A test that rewrites a library module, `math.pi = 3`, would reach later runs of the container: dataset
# tests do not.) Nothing of a program reaches the harness but plain data and references.


def serve(control) -> int:
    """Take one run at a time from the runner over `control` (a socket): an order {spec} with the run's
    descriptors (stdout, stderr, requests, answers, verdict); answer "done" when its verdict is written."""
    import json
    import socket
    import threading

    while True:
        try:
            header, fds, _flags, _addr = socket.recv_fds(control, 4, 8)
            while header and len(header) < 4:
                header += control.recv(4 - len(header))
            if len(header) < 4:
                return 0
            body = bytearray()
            size = int.from_bytes(header, "big")
            while len(body) < size:
                chunk = control.recv(min(1 << 20, size - len(body)))
                if not chunk:
                    return 0
                body += chunk
        except OSError:
            return 0
        spec = json.loads(body)
        out_fd, err_fd, requests_fd, answers_fd, verdict_fd = fds
        try:
            write_files(spec["tests_dir"], spec.get("tests") or {})
        except Exception as exc:  # nothing to run the program against: no verdict (a sandbox failure)
            _finish(verdict_fd, {"passed": False, "tests": [], "reason": f"the tests could not be written: {exc}",
                                 "harness_error": True}, requests_fd)
            spec["mode"] = "none"
        if spec.get("mode") == "pytest":
            _import_pytest()
            _in_fork(spec, fds)
            clean = True
        elif spec.get("mode") != "none":
            clean = _in_place(spec, out_fd, err_fd, requests_fd, answers_fd, verdict_fd)
        for fd in (out_fd, err_fd, requests_fd, answers_fd, verdict_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        # Nothing of this run stays for the next: whatever the tests started, and every file of this uid.
        clean = clean and threading.active_count() == 1 and scrub(os.getuid(), True, spec["tests_dir"]) is None
        control.sendall(b"done\n" if clean else b"done-and-leaving\n")
        if not clean:
            return 0


def _import_pytest() -> None:
    """Import pytest and its own plugins here, once, so that each pytest run's fork finds them loaded: importing
    them took most of a run's time. Only once a pytest run comes: script runs never pay for it."""
    import importlib

    try:
        import _pytest.config
        import pytest  # noqa: F401
    except Exception:  # the run's fork reports it, as a harness failure
        return
    for name in _pytest.config.default_plugins:
        try:
            importlib.import_module(f"_pytest.{name}")
        except Exception:  # a plugin of another pytest version: pytest itself says so when it runs
            continue


def _in_fork(spec: dict, fds: list) -> None:
    out_fd, err_fd, requests_fd, answers_fd, verdict_fd = fds
    child = os.fork()
    if child == 0:
        code = 1
        try:
            _stdio(out_fd, err_fd)
            os.chdir(spec["tests_dir"])
            run_job(spec, requests_fd, answers_fd, verdict_fd)
            code = 0
        finally:
            os._exit(code)
    os.waitpid(child, 0)


def _in_place(spec: dict, out_fd, err_fd, requests_fd, answers_fd, verdict_fd) -> bool:
    """Run the tests in this process and undo what they changed; False when that cannot be trusted."""
    import random

    modules, path, meta_path = set(sys.modules), list(sys.path), list(sys.meta_path)
    environ, limit, names = dict(os.environ), sys.getrecursionlimit(), dict(vars(builtins))
    saved = [os.dup(1), os.dup(2)]
    clean = True
    try:
        _stdio(out_fd, err_fd)
        os.chdir(spec["tests_dir"])
        random.seed()
        verdict = run_job(spec, requests_fd, answers_fd, verdict_fd)
        clean = not verdict.get("harness_error")
    except BaseException:
        clean = False
    finally:
        for name in set(sys.modules) - modules:
            module = sys.modules.get(name)
            origin = getattr(module, "__file__", None) or ""
            if isinstance(module, RemoteModule) or not origin or origin.startswith(spec["tests_dir"]):
                del sys.modules[name]
        sys.path[:], sys.meta_path[:] = path, meta_path
        kept = builtins.__dict__  # taken first: once cleared, not even `vars` is there to find it
        kept.clear()
        kept.update(names)
        os.environ.clear()
        os.environ.update(environ)
        sys.setrecursionlimit(limit)
        _stdio(*saved)
        for fd in saved:
            os.close(fd)
        os.chdir("/")
    return clean


def _stdio(out_fd: int, err_fd: int) -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    os.dup2(out_fd, 1)
    os.dup2(err_fd, 2)
