"""Reward throughput: completions scored per second by the `tests` reward, beside the KodCode evaluator's way.

The programs are MBPP tasks' answers, half the reference solution, half a wrong one (a function that returns
None), each with its task's graded tests: a pytest file with one test per assert (Task.graded_job). Two ways
to score them, same programs, same machine, same run:

* the `tests` reward: `codeforge.rewards.score` queues every program of the call in a DockerSandbox (worker
  isolation, `--workers` workers); the tests run in the sandbox's harness, outside the program. The first
  call starts the containers (cold); later calls find them warm.
* the KodCode evaluator's way: each program in a temp dir beside its test file, `python -m pytest` in a fresh
  subprocess on the host (no sandbox), one at a time; and, for the same parallelism, `--workers` at a time.

    python benchmarks/reward_throughput.py [--completions 64] [--workers 2] [--repeat 2]

Each row but the cold one is the best of `--repeat` runs. Both ways must agree on which programs pass.
The share of a GRPO step's wall time spent waiting on rewards needs GRPO (not in codeforge yet): a reward's
`stats.wait_share(train_seconds)` gives it once it runs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rich.console import Console
from rich.table import Table

from codeforge.rewards import Verdict, score
from codeforge.sandbox import DockerSandbox, SandboxSettings
from codeforge.tasks import load_tasks


def completions(count: int) -> list[tuple]:
    """(task, code) pairs: for each of count/2 MBPP tasks, its reference and a wrong answer."""
    tasks = [task for task in load_tasks("mbpp") if "flaky" not in task.extra][:(count + 1) // 2]
    pairs = []
    for task in tasks:
        pairs.append((task, task.reference))
        pairs.append((task, f"def {task.entry_point}(*args, **kwargs):\n    return None\n"))
    return pairs[:count]


def on_the_host(pairs: list[tuple], workers: int) -> tuple[float, list[bool]]:
    """Seconds, and whether each program passed, running `python -m pytest` per program in a temp dir."""
    def one(pair) -> bool:
        task, code = pair
        spec = task.graded_job(code)
        with tempfile.TemporaryDirectory(prefix="reward-bench-") as folder:
            for name, text in {**spec.files, **spec.tests}.items():
                Path(folder, name).write_text(text)
            done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", folder],
                                  cwd=folder, capture_output=True, timeout=spec.timeout_s + 60,
                                  env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
        return done.returncode == 0

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        passed = list(pool.map(one, pairs))
    return time.perf_counter() - started, passed


def in_the_sandbox(pairs: list[tuple], sandbox) -> tuple[float, list[bool], int]:
    started = time.perf_counter()
    results = score(pairs, sandbox)
    seconds = time.perf_counter() - started
    return seconds, [r.verdict is Verdict.accepted for r in results], sum(r.reward is None for r in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--completions", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    pairs = completions(args.completions)
    count = len(pairs)
    console = Console()
    rows: list[tuple[str, float]] = []
    verdicts: dict[str, list[bool]] = {}

    with DockerSandbox(SandboxSettings(workers=args.workers)) as sandbox:
        seconds, verdicts["sandbox"], unscored = in_the_sandbox(pairs, sandbox)
        rows.append((f"`tests` reward, {args.workers} workers, first call (containers start)", seconds))
        best = min(in_the_sandbox(pairs, sandbox)[0] for _ in range(args.repeat))
        rows.append((f"`tests` reward, {args.workers} workers, warm", best))
    seconds_one = []
    for _ in range(args.repeat):
        seconds, verdicts["host"] = on_the_host(pairs, 1)
        seconds_one.append(seconds)
    anchor = min(seconds_one)
    best = min(on_the_host(pairs, args.workers)[0] for _ in range(args.repeat))
    rows[:0] = [("`python -m pytest` per program on the host, one at a time (KodCode's way)", anchor),
                (f"`python -m pytest` per program on the host, {args.workers} at a time", best)]

    table = Table(title=f"{count} completions (MBPP, half right), best of {args.repeat}")
    for column in ("what", "completions/s", "ms per completion", "vs one at a time"):
        table.add_column(column, overflow="fold", justify="left" if column == "what" else "right")
    for what, seconds in rows:
        table.add_row(what, f"{count / seconds:.1f}", f"{1000 * seconds / count:.0f}", f"{anchor / seconds:.2f}x")
    console.print(table)
    differ = [pairs[i][0].task_id for i, (a, b) in enumerate(zip(verdicts["sandbox"], verdicts["host"])) if a != b]
    console.print(f"passed: {sum(verdicts['sandbox'])} in the sandbox, {sum(verdicts['host'])} on the host; "
                  f"the two differ on {len(differ)} of {count}{': ' + ', '.join(differ) if differ else ''}; "
                  f"unscored (sandbox failures): {unscored}", markup=False)


if __name__ == "__main__":
    main()
