"""Analyzer throughput, codeforge against the research's way (each tool once per file in a subprocess), one table.

bandit over HumanEval's 164 canonical programs:
* codeforge: `analyzers.analyze(code, "python", ["bandit"], sandbox)` per program, in the sandbox (JSON
  report parsed into Findings; B101 assert_used and B322 input skipped, codeforge's default).
* per-file subprocess: `bandit -f json FILE` once per program on the host (what CodePatchLLM does, minus its
  shell string), every rule counted. Needs bandit on the host (`pip install bandit`; looked for on PATH and
  beside the Python running this); skipped without it. The host's bandit may be a later release than the
  image's (Debian bookworm's 1.6.2): the versions are shown.

memcheck over HumanEval-X C++'s 164 canonical programs. Each file is the task's reference composed with its
tests as `codeforge bench` runs it (the program with the task's headers, then the tests' `main`), joined into
one translation unit, the #include the bench's tests.cpp does written out. Not the program alone: it has no
`main`, so it does not link, and memcheck only sees code that runs: the tests are what call the function.
* codeforge: `analyzers.analyze(source, "cpp", ["memcheck"], sandbox)` per file: g++ -g -O0, then Valgrind
  with its XML report parsed into Findings (definite leaks count, as in the analyzer).
* per-file subprocess: `g++ -g -O0 -std=gnu++17 FILE -lm [-lcrypto]` (the sandbox's flags), then
  `valgrind --leak-check=full ./prog`, once per file, on the host when g++ and valgrind are there. Without
  them (or with `--per-file docker`) the same loop runs as one `docker run` of the sandbox's valgrind image per
  file (no network, the file mounted read-only), and the table says so. Findings: the error contexts in
  Valgrind's ERROR SUMMARY (its default counts possible leaks too); the research's loop reads only the
  exit code, which Valgrind leaves at the program's own, so the files it would flag are shown as well.

    python benchmarks/repair_analyzers.py [--workers 4] [--limit 164] [--tools bandit,memcheck]
                                          [--per-file auto|host|docker]

Wall time of all files, start-up of the sandbox excluded (one warm-up file per tool first);
files/s = files / wall time. Every row comes from the same run, `--workers` files at a time on each side.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Optional

from rich.console import Console
from rich.table import Table

from codeforge.analyzers import analyze
from codeforge.sandbox import DockerSandbox, SandboxSettings, Status
from codeforge.sandbox.images import image_name
from codeforge.tasks import load_tasks

COMPILE = ["g++", "-g", "-O0", "-std=gnu++17"]  # as the sandbox compiles C++ for memcheck (recipes/c.py)
SUMMARY = re.compile(r"ERROR SUMMARY: (\d+) errors? from (\d+) contexts?")
CLEAN_CPP = "int main() { return 0; }\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--limit", type=int, default=164, help="the first N programs of each dataset")
    parser.add_argument("--tools", default="bandit,memcheck", help="which halves to run")
    parser.add_argument("--per-file", choices=("auto", "host", "docker"), default="auto",
                        help="where the per-file memcheck loop runs (auto: the host when it has g++ and valgrind)")
    args = parser.parse_args()
    tools = {tool.strip() for tool in args.tools.split(",") if tool.strip()}
    if not tools <= {"bandit", "memcheck"}:
        parser.error(f"--tools takes bandit and memcheck, not {args.tools!r}")

    table = Table(title=f"analyzers over canonical programs, {args.workers} workers on each side")
    for column in ("tool", "way", "version", "files", "wall s", "files/s", "findings"):
        table.add_column(column, overflow="fold")
    settings = SandboxSettings(workers=args.workers)
    with DockerSandbox(settings) as sandbox:
        if "bandit" in tools:
            bandit_half(table, sandbox, args.workers, args.limit)
        if "memcheck" in tools:
            memcheck_half(table, sandbox, args.workers, args.limit, args.per_file, settings.image_prefix)
    Console().print(table)


def timed(function, items: list, workers: int) -> tuple[list, float]:
    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        out = list(pool.map(function, items))
    return out, time.perf_counter() - start


def rate(count: int, took: float) -> tuple[str, str]:
    return f"{took:.1f}", f"{count / took:.1f}"


def by_rule(rules: Counter) -> str:
    total = sum(rules.values())
    return f"{total}: " + ", ".join(f"{rule} x{count}" for rule, count in sorted(rules.items())) if total else "0"


def bandit_half(table: Table, sandbox, workers: int, limit: int) -> None:
    programs = [task.reference for task in load_tasks("humaneval", limit=limit)]
    analyze("x = 1\n", "python", ["bandit"], sandbox)  # a warm container, as in a long run
    found, took = timed(lambda code: analyze(code, "python", ["bandit"], sandbox), programs, workers)
    table.add_row("bandit", "codeforge analyze (sandbox)", "image (Debian)", str(len(programs)),
                  *rate(len(programs), took), by_rule(Counter(f.rule for fs in found for f in fs)))
    bandit = shutil.which("bandit") or shutil.which("bandit", path=str(Path(sys.executable).parent))
    if not bandit:
        table.add_row("bandit", "per-file subprocess", "not on the host: skipped", "", "", "", "")
        return
    version = subprocess.run([bandit, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    with tempfile.TemporaryDirectory() as folder:
        paths = [write(Path(folder) / f"p{index}.py", code) for index, code in enumerate(programs)]
        reports, took = timed(lambda p: subprocess.run([bandit, "-f", "json", "-q", str(p)], capture_output=True,
                                                       text=True).stdout, paths, workers)
    rules = Counter(r["test_id"] for report in reports for r in json.loads(report or "{}").get("results", []))
    table.add_row("bandit", "per-file subprocess (host)", version, str(len(programs)), *rate(len(programs), took),
                  by_rule(rules))


def composed(task) -> str:
    """The reference and its tests as one file: what the bench compiles, tests.cpp's #include written out."""
    spec = task.test_job(task.reference)
    [(_, program)] = spec.files.items()
    [(_, tests)] = spec.tests.items()
    return program + tests.replace('#include "main.cpp"\n', "", 1)


def memcheck_half(table: Table, sandbox, workers: int, limit: int, where: str, image_prefix: str) -> None:
    sources = [composed(task) for task in load_tasks("humaneval-x-cpp", limit=limit)]
    analyze(CLEAN_CPP, "cpp", ["memcheck"], sandbox)
    watched = Watched(sandbox)
    found, took = timed(lambda code: analyze(code, "cpp", ["memcheck"], watched), sources, workers)
    flagged = sum(1 for fs in found if fs)
    unfinished = sum(count for status, count in watched.statuses.items()
                     if status in (Status.timeout, Status.oom, Status.output_limit))
    table.add_row("memcheck", "codeforge analyze (sandbox)", "image (Debian)", str(len(sources)),
                  *rate(len(sources), took),
                  by_rule(Counter(f.rule for fs in found for f in fs)) + f" ({flagged} files)"
                  + (f"; {unfinished} stopped before Valgrind's report (time, memory or output limit)"
                     if unfinished else ""))
    on_host = shutil.which("g++") and shutil.which("valgrind")
    if where == "host" and not on_host:
        raise SystemExit("--per-file host: g++ or valgrind is not on this machine")
    if where == "docker" or not on_host:
        image = image_name("valgrind", image_prefix)
        label, version = f"one `docker run` per file ({'asked' if on_host else 'no g++/valgrind on the host'})", \
            docker_version(image)
        docker_run(image, CLEAN_CPP)  # the image's layers in the page cache, as for the sandbox
        check = partial(docker_run, image)
    else:
        label, version = "per-file subprocess (host)", host_version()
        check = host_run
    runs, took = timed(check, sources, workers)
    contexts = sum(r["contexts"] for r in runs if r["contexts"] is not None)
    with_errors = sum(1 for r in runs if r["contexts"])
    failed_build = sum(1 for r in runs if r["contexts"] is None)
    exits = sum(1 for r in runs if r["contexts"] is not None and r["exit_code"] != 0)
    findings = (f"{contexts} error contexts ({with_errors} files); the exit code flags {exits}"
                + (f"; {failed_build} did not compile" if failed_build else ""))
    table.add_row("memcheck", label, version, str(len(sources)), *rate(len(sources), took), findings)


class Watched:
    """The sandbox, counting the statuses of the runs the analyzer asks of it: a run stopped by a limit ended
    before Valgrind's report, and throughput over files not checked to the end would flatter either side."""

    def __init__(self, sandbox):
        self.sandbox, self.statuses, self.lock = sandbox, Counter(), threading.Lock()

    def run(self, job):
        result = self.sandbox.run(job)
        with self.lock:
            self.statuses[result.status] += 1
        return result


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def libraries(source: str) -> list[str]:
    return ["-lm"] + (["-lcrypto"] if "openssl/" in source else [])


def read_valgrind(compiled: subprocess.CompletedProcess, ran: Optional[subprocess.CompletedProcess]) -> dict:
    if ran is None:
        return {"contexts": None, "exit_code": compiled.returncode}
    match = SUMMARY.search(ran.stderr)
    return {"contexts": int(match[2]) if match else 0, "exit_code": ran.returncode}


def host_run(source: str) -> dict:
    """g++, then `valgrind --leak-check=full` on the binary: two subprocesses, as the research runs them."""
    with tempfile.TemporaryDirectory() as folder:
        path, binary = write(Path(folder) / "main.cpp", source), Path(folder) / "prog"
        compiled = subprocess.run([*COMPILE, "-o", str(binary), str(path), *libraries(source)], capture_output=True,
                                  text=True, timeout=120)
        if compiled.returncode != 0:
            return read_valgrind(compiled, None)
        ran = subprocess.run(["valgrind", "--leak-check=full", str(binary)], capture_output=True, text=True,
                             stdin=subprocess.DEVNULL, timeout=120)
        return read_valgrind(compiled, ran)


def docker_run(image: str, source: str) -> dict:
    """The same two steps in one throwaway container of the valgrind image: no network, the file read-only."""
    with tempfile.TemporaryDirectory() as folder:
        write(Path(folder) / "main.cpp", source)
        script = (" ".join([*COMPILE, "-o", "/tmp/prog", "/job/main.cpp", *libraries(source)])
                  + " || exit 201; exec valgrind --leak-check=full /tmp/prog")
        ran = subprocess.run(["docker", "run", "--rm", "--network", "none", "--memory", "512m", "--tmpfs",
                              "/tmp:exec,size=256m", "-v", f"{folder}:/job:ro", image, "sh", "-c", script],
                             capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)
    if ran.returncode == 201:
        return read_valgrind(ran, None)
    return read_valgrind(ran, ran)


def host_version() -> str:
    valgrind = subprocess.run(["valgrind", "--version"], capture_output=True, text=True).stdout.strip()
    gxx = subprocess.run(["g++", "-dumpfullversion"], capture_output=True, text=True).stdout.strip()
    return f"{valgrind}, g++ {gxx}"


def docker_version(image: str) -> str:
    ran = subprocess.run(["docker", "run", "--rm", "--network", "none", image, "sh", "-c",
                          "valgrind --version; g++ -dumpfullversion"], capture_output=True, text=True, timeout=120)
    valgrind, _, gxx = ran.stdout.strip().partition("\n")
    return f"{valgrind}, g++ {gxx} ({image})"


if __name__ == "__main__":
    main()
