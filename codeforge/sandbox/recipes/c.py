"""C and C++: compile with gcc / g++; `run` runs the binary, `memcheck` runs it under Valgrind memcheck.

Under memcheck every error Valgrind reports (invalid read or write, invalid free, use of uninitialised
values, a definite leak, ...) makes the status `memory_error`, even when the program exits 0. Possible
and still-reachable leaks are not errors. The report is Valgrind's XML, written inside the work dir: a
program that sets out to forge it can, so memcheck certifies ordinary code, not adversarial code.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Optional

from ..jobs import Action, Job, Language, Result, Status
from .common import exit_status, find_step, make_result, sandbox_limits_status, step

BINARY = "{workdir}/.codeforge/prog"
REPORT = ".codeforge/valgrind.xml"
COMPILERS = {Language.c: ("gcc", "-std=gnu17", (".c",)), Language.cpp: ("g++", "-std=gnu++17", (".cpp", ".cc", ".cxx"))}
DEFAULT_NAME = {Language.c: "main.c", Language.cpp: "main.cpp"}  # of a `source` job


def plan(job: Job) -> dict:
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
    """The first frame with a source file (else the first frame) as {function, file, line, object}."""
    located = next((f for f in frames if f.findtext("file")), frames[0] if frames else None)
    if located is None:
        return None
    return {
        "function": located.findtext("fn"),
        "file": located.findtext("file"),
        "line": int(located.findtext("line")) if located.findtext("line") else None,
        "object": located.findtext("obj"),
    }


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
