"""The closed vocabularies more than one part of codeforge speaks: languages, sandbox actions and statuses,
and what the results store records about a sample. Each is an enum declared once, here; the parts re-export
what they use (codeforge.sandbox.jobs, codeforge.graphs.vocabulary, codeforge.store). Dependency-free.
"""

from __future__ import annotations

from enum import Enum


class Language(str, Enum):
    python = "python"
    go = "go"
    c = "c"
    cpp = "cpp"


class Action(str, Enum):
    run = "run"  # run the program
    test = "test"  # run its tests (pytest, go test)
    memcheck = "memcheck"  # compile and run under Valgrind memcheck
    analyze = "analyze"  # run the language's static analyzers on it (python: bandit; go: go vet, staticcheck)
    unittest = "unittest"  # score a candidate unit test against trusted code (go: goimports, vet, go test + coverage)


class Status(str, Enum):
    """What the sandbox says about one program."""

    passed = "passed"  # the program or its tests ran to completion and succeeded
    failed = "failed"  # it ran and failed: non-zero exit, failed test, uncaught exception
    timeout = "timeout"  # the wall-clock limit was reached; everything it started was killed
    oom = "oom"  # the memory limit was reached and the kernel killed it
    compile_error = "compile_error"  # the compiler (or `go test`'s build, or Python's parser) rejected it
    memory_error = "memory_error"  # Valgrind found an invalid access or a definite leak
    output_limit = "output_limit"  # stdout or stderr went past the cap; the program was killed
    sandbox_error = "sandbox_error"  # the sandbox itself failed; says nothing about the program


# A stored sample's status: what the sandbox said about its program, or `no_code` (the answer held no code, so
# nothing ran), or `unchecked` (no verdict stored yet: the sandbox failed, the next run checks it).
SampleStatus = Enum("SampleStatus", {**{s.name: s.value for s in Status if s is not Status.sandbox_error},
                                     "no_code": "no_code", "unchecked": "unchecked"}, type=str, module=__name__)


class Purpose(str, Enum):
    """Why a sample's program was run."""

    tests = "tests"  # the benchmark's own (hidden) tests: the score
    visible = "visible"  # the examples the prompt shows: feedback only
    analysis = "analysis"  # the analyzers `codeforge repair` chose, on the program: its findings


class Workflow(str, Enum):
    """What made a stored run."""

    bench = "bench"  # `codeforge bench`: rounds are feedback rounds
    repair = "repair"  # `codeforge repair`: rounds are epochs of analyser findings fed back


class RejectReason(str, Enum):
    """Why `codeforge repair` did not keep a patch (the program keeps its previous code)."""

    no_code = "no_code"  # the answer held no code
    fails_tests = "fails_tests"  # the task's tests do not pass on it
    not_fewer_findings = "not_fewer_findings"  # its findings are not fewer, counted by severity


class FinishReason(str, Enum):
    """Why a generation ended."""

    stop = "stop"  # end of sequence or a stop sequence
    length = "length"  # max_new_tokens reached
    error = "error"  # the request failed (after retries); nothing was generated
