"""C and C++: compile with gcc / g++; `run` runs the binary, `memcheck` runs it under Valgrind memcheck.

Under memcheck every error Valgrind reports (invalid read or write, invalid free, use of uninitialised
values, a definite leak, ...) makes the status `memory_error`, even when the program exits 0. Possible
and still-reachable leaks are not errors. The report is Valgrind's XML, written inside the work dir: a
program that sets out to forge it can, so memcheck certifies ordinary code, not adversarial code.

With `tests` (a benchmark's test translation units, which #include the program's files they test): they
are compiled on the tests' side, in a folder the program cannot read, and their `main` is renamed and
called from one that, once it has returned, says so on descriptor 3, a pipe to the runner. A pass then
needs that word: a program that exits early (exit(0) in the function, a static destructor, a signal), with
whatever status, has `failed`. The tests run in the program's process, so a program written to forge that
word can; it cannot get it by ending early.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Optional

from ..jobs import Action, Job, Language, Result, Status
from .common import exit_status, find_step, make_result, sandbox_limits_status, step

BINARY = "{workdir}/.codeforge/prog"
TESTED_BINARY = "{bindir}/prog"
REPORT = ".codeforge/valgrind.xml"
FINISHED = "codeforge: the tests returned\n"
TESTS_MAIN = re.compile(r"\bint\s+main\s*\(([^)]*)\)")
WRAPPER = """
#include <unistd.h>
int main(int argc, char **argv) {{
    (void)argc; (void)argv;
    int code = codeforge_tests_main({arguments});
    if (write(3, "{said}", {length}) != {length}) return 70;
    return code;
}}
"""
COMPILERS = {Language.c: ("gcc", "-std=gnu17", (".c",)), Language.cpp: ("g++", "-std=gnu++17", (".cpp", ".cc", ".cxx"))}
DEFAULT_NAME = {Language.c: "main.c", Language.cpp: "main.cpp"}  # of a `source` job


def with_finish_word(test: str) -> str:
    """The tests' source with its main renamed (and its implicit `return 0` written out, which only main
    has) and a main that calls it and says when it returned."""
    found = TESTS_MAIN.search(test)
    opening = test.find("{", found.end()) if found else -1
    closing = _closing_brace(test, opening) if opening >= 0 else None
    if closing is None:
        return test
    arguments = "" if found.group(1).strip() in ("", "void") else "argc, argv"
    said = FINISHED.replace("\n", "\\n")
    return (test[:found.start()] + f"int codeforge_tests_main({found.group(1)})" + test[found.end():closing]
            + "\n    return 0;\n" + test[closing:]
            + WRAPPER.format(arguments=arguments, said=said, length=len(FINISHED)))


def _closing_brace(text: str, opening: int):
    """The index of the brace closing the one at `opening`, past strings, characters and comments."""
    depth, index = 0, opening
    while index < len(text):
        char = text[index]
        if text.startswith("//", index):
            index = text.find("\n", index)
            if index < 0:
                return None
        elif text.startswith("/*", index):
            index = text.find("*/", index + 2)
            if index < 0:
                return None
            index += 1
        elif char in "\"'":
            index += 1
            while index < len(text) and text[index] != char:
                index += 2 if text[index] == "\\" else 1
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return None


def plan(job: Job) -> dict:
    if job.tests:
        return plan_tested(job)
    compiler, standard, suffixes = COMPILERS[job.language]
    files = job.file_map(DEFAULT_NAME[job.language])
    sources = sorted(path for path in files if path.endswith(suffixes))
    optimise = "-O0" if job.action is Action.memcheck else "-O2"
    libraries = ["-lm"]
    if any("openssl/" in text for text in files.values()):  # e.g. MD5 in HumanEval-X C++
        libraries += ["-lcrypto"]
    compile_step = step("compile", [compiler, "-g", optimise, standard, "-o", BINARY, *sources, *libraries])
    if job.action is Action.memcheck:
        argv = ["valgrind", "--tool=memcheck", "-q", "--xml=yes", f"--xml-file={{workdir}}/{REPORT}",
                "--leak-check=full", "--show-leak-kinds=definite", "--errors-for-leak-kinds=definite",
                "--child-silent-after-fork=yes", BINARY]
        run_step = step("memcheck", argv, stdin=job.stdin)
        return {"files": files, "steps": [compile_step, run_step], "artifacts": [REPORT]}
    return {"files": files, "steps": [compile_step, step("run", [BINARY], stdin=job.stdin)]}


def plan_tested(job: Job) -> dict:
    compiler, standard, suffixes = COMPILERS[job.language]
    program = job.file_map(DEFAULT_NAME[job.language])
    tests = {path: with_finish_word(text) if path.endswith(suffixes) else text for path, text in job.tests.items()}
    sources = sorted(path for path in tests if path.endswith(suffixes))
    optimise = "-O0" if job.action is Action.memcheck else "-O2"
    libraries = ["-lm"] + (["-lcrypto"] if any("openssl/" in t for t in [*program.values(), *tests.values()]) else [])
    # Valgrind reads the binary it runs: it is readable, but built where the program cannot see the tests' source.
    build = step("compile", ["sh", "-c", " ".join([compiler, "-g", optimise, standard, "-o", TESTED_BINARY, *sources,
                                                   *libraries]) + f" && chmod 0755 {TESTED_BINARY}"])
    build["as"] = "tests"
    if job.action is Action.memcheck:
        argv = ["valgrind", "--tool=memcheck", "-q", "--xml=yes", f"--xml-file={{workdir}}/{REPORT}",
                "--leak-check=full", "--show-leak-kinds=definite", "--errors-for-leak-kinds=definite",
                "--child-silent-after-fork=yes", TESTED_BINARY]
        run = step("memcheck", argv, stdin=job.stdin)
    else:
        run = step("run", [TESTED_BINARY], stdin=job.stdin)
    run["capture_fd3"] = True
    return {"files": program, "tests": {**program, **tests}, "bin_dir": True, "steps": [build, run],
            "artifacts": [REPORT] if job.action is Action.memcheck else []}


def interpret(job: Job, response: dict) -> Result:
    compiled = find_step(response, "compile")
    limits = sandbox_limits_status(response)
    if compiled and compiled.get("exit_code") != 0 and limits is None:
        return make_result(job, response, Status.compile_error, compiled,
                           {"compiler": compiled.get("stderr", "")})
    name = "memcheck" if job.action is Action.memcheck else "run"
    shown = find_step(response, name)
    details: dict = {}
    status = limits or exit_status(shown)
    if job.tests and shown is not None and limits is None and shown.get("fd3") != FINISHED:
        # No word from the tests' main that it returned: the program ended the run before the tests did.
        status = Status.failed
        details["error"] = "the program ended before the tests finished"
    if shown is not None:
        shown = {k: v for k, v in shown.items() if k not in ("fd3", "fd3_truncated")}
    if job.action is Action.memcheck and shown is not None:
        report = response.get("artifacts", {}).get(REPORT)
        errors = parse_valgrind_xml(report)
        fatal = parse_fatal_signal(report)
        if fatal:
            details["fatal_signal"] = fatal
        if errors is None:
            details["valgrind"] = "no readable Valgrind report"
            if limits is None:
                status = Status.failed
        else:
            details["memory_errors"] = errors
            if errors and limits is None:
                status = Status.memory_error
    return make_result(job, response, status, shown, details)


def parse_fatal_signal(text: Optional[str]) -> Optional[dict]:
    """What Valgrind says about the signal that ended the program: {signal, number, event, address, frame}."""
    if not text:
        return None
    try:
        fatal = ET.fromstring(text).find("fatal_signal")
    except ET.ParseError:
        return None
    if fatal is None:
        return None
    number = fatal.findtext("signo")
    return {"signal": fatal.findtext("signame"), "number": int(number) if number and number.isdigit() else None,
            "event": fatal.findtext("event"), "address": fatal.findtext("siaddr"),
            "frame": first_frame(fatal.findall("stack/frame"))}


def first_frame(frames: list) -> Optional[dict]:
    """The first frame of the program's own code (else the first with a source file, else the first) as
    {function, file, line, object}: Valgrind's own replacements (malloc, free in vg_replace_malloc.c) come
    first in a leak's or a bad free's stack and would hide the line that called them."""
    with_file = [f for f in frames if f.findtext("file")]
    own = [f for f in with_file if not _is_valgrinds(f)]
    located = (own or with_file or frames or [None])[0]
    if located is None:
        return None
    return {
        "function": located.findtext("fn"),
        "file": located.findtext("file"),
        "line": int(located.findtext("line")) if located.findtext("line") else None,
        "object": located.findtext("obj"),
    }


def _is_valgrinds(frame) -> bool:
    return (frame.findtext("file") or "").startswith("vg_replace_") or "/valgrind/" in (frame.findtext("obj") or "")


def parse_valgrind_xml(text: Optional[str]) -> Optional[list[dict]]:
    """Valgrind memcheck XML -> [{kind, message, frame}], frame being the first with a source file."""
    if not text:
        return None
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return None
    errors = []
    for error in root.findall("error"):
        message = error.findtext("what") or error.findtext("xwhat/text") or ""
        errors.append({"kind": error.findtext("kind") or "Unknown", "message": message.strip(),
                       "frame": first_frame(error.findall("stack/frame"))})
    return errors
