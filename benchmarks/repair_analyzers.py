"""Analyzer throughput: bandit over HumanEval's 164 canonical programs, codeforge against the research's way.

* codeforge: `analyzers.analyze(code, "python", ["bandit"], sandbox)` per program, in the sandbox (JSON
  report parsed into Findings), `--workers` programs at a time on a warm DockerSandbox.
* per-file subprocess: `bandit -f json FILE` once per program on the host (what CodePatchLLM does, minus its
  shell string), `--workers` at a time. Needs bandit on the host (`pip install bandit`); skipped without it.
  The host's bandit may be a later release than the image's (Debian bookworm's 1.6.2): the versions are shown.

    python benchmarks/repair_analyzers.py [--workers 4] [--limit 164]

Wall time of all programs, start-up of the sandbox excluded; files/s = programs / wall time.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rich.console import Console
from rich.table import Table

from codeforge.analyzers import analyze
from codeforge.sandbox import DockerSandbox, SandboxSettings
from codeforge.tasks import load_tasks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--limit", type=int, default=164)
    args = parser.parse_args()
    programs = [task.reference for task in load_tasks("humaneval", limit=args.limit)]

    with DockerSandbox(SandboxSettings(workers=args.workers)) as sandbox:
        analyze("x = 1\n", "python", ["bandit"], sandbox)  # a warm container, as in a long run
        start = time.perf_counter()
        with ThreadPoolExecutor(args.workers) as pool:
            found = list(pool.map(lambda code: analyze(code, "python", ["bandit"], sandbox), programs))
        took = time.perf_counter() - start
    rules = Counter(f.rule for findings in found for f in findings)
    table = Table(title=f"bandit over {len(programs)} HumanEval canonical programs, {args.workers} workers")
    for column in ("way", "bandit", "wall s", "files/s", "findings"):
        table.add_column(column, overflow="fold")
    table.add_row("codeforge analyze (sandbox)", "image (Debian)", f"{took:.1f}", f"{len(programs) / took:.1f}",
                  ", ".join(f"{rule} x{count}" for rule, count in sorted(rules.items())) or "none")
    bandit = shutil.which("bandit")
    if not bandit:
        table.add_row("per-file subprocess", "not on the host: skipped", "", "", "")
        Console().print(table)
        return
    version = subprocess.run([bandit, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for index, code in enumerate(programs):
            path = Path(folder) / f"p{index}.py"
            path.write_text(code)
            paths.append(path)
        start = time.perf_counter()
        with ThreadPoolExecutor(args.workers) as pool:
            list(pool.map(lambda p: subprocess.run([bandit, "-f", "json", "-q", str(p)], capture_output=True), paths))
        took = time.perf_counter() - start
    table.add_row("per-file subprocess (host)", version, f"{took:.1f}", f"{len(programs) / took:.1f}", "")
    Console().print(table)


if __name__ == "__main__":
    main()
