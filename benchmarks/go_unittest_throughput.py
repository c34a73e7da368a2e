"""Go unit tests scored per second: HumanEval-X's own Go tests, each scored as a candidate unit test of its task's
canonical solution (the sandbox's `unittest` action and the go-coverage reward), against the way the Go unit-test
work scores them (a fresh `go test -cover` per sample in a temporary folder, no warm build cache), same run.

    python benchmarks/go_unittest_throughput.py [--limit 164] [--workers 2] [--second-engine unix:///run/b.sock]
                                                [--anchor-limit 40]

Rows: the sandbox on the default engine (`--workers` at a time); with `--second-engine`, the same spread over the
default engine and that one (`--workers` on each: an EnginePool; on one machine the second engine shares its
cores, so it shows the cost of the spreading, not a gain); the anchor, `go test -cover` per sample, `--workers`
at a time, each with an empty GOCACHE in its own temporary folder (Go on this machine: apt's golang-go and
golang-github-stretchr-testify-dev, GOPATH mode; skipped when `go` is missing). These are the dataset's own tests
and solutions, so the anchor runs them on the host; a model's test never does. The reward column is the mean
go-coverage reward (anchor: 1 when `go test` passed, as it gives no per-function split).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rich.console import Console
from rich.table import Table

from codeforge.rewards import go_coverage_reward
from codeforge.sandbox import Job, SandboxSettings, open_sandbox
from codeforge.tasks import load_tasks


def cases(limit: int) -> list[tuple[str, dict, str, str]]:
    """(task id, package files, the test file, function under test) per task of `codeforge bench go-unittest`:
    a HumanEval-X Go solution, and its dataset's own test as the answer."""
    return [(task.task_id, task.files, task.reference, task.entry_point)
            for task in load_tasks("go-unittest", limit=limit)]


def sandbox_row(items, hosts: tuple, workers: int) -> dict:
    jobs = [Job(id=task_id, language="go", files=files, tests={"main_test.go": test}, function=function,
                action="unittest", timeout_s=120) for task_id, files, test, function in items]
    with open_sandbox(SandboxSettings(workers=workers, hosts=hosts)) as sandbox:
        list(sandbox.run_many(jobs[:2 * workers * max(1, len(hosts))]))  # warm: the containers exist
        started = time.perf_counter()
        results = list(sandbox.run_many(jobs))
        wall = time.perf_counter() - started
    rewards = [go_coverage_reward(r.details) for r in results]
    return {"wall": wall, "total": len(results), "reward": sum(rewards) / len(rewards),
            "passed": sum(bool(r.details.get("succeeded")) for r in results)}


def anchor_row(items, workers: int) -> dict:
    gopath = "/usr/share/gocode"  # Debian's testify

    def one(item) -> bool:
        _, files, test, _ = item
        with tempfile.TemporaryDirectory() as folder:
            package = Path(folder) / "src" / "job"
            package.mkdir(parents=True)
            for name, text in {**files, "main_test.go": test}.items():
                (package / name).write_text(text)
            env = {**os.environ, "GOPATH": f"{folder}:{gopath}", "GO111MODULE": "off", "GOFLAGS": "-buildvcs=false",
                   "GOCACHE": str(Path(folder) / "cache"), "CGO_ENABLED": "0", "GOTOOLCHAIN": "local"}
            done = subprocess.run(["go", "test", "-cover", "./"], cwd=package, env=env, capture_output=True,
                                  timeout=300)
            return done.returncode == 0

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        passed = list(pool.map(one, items))
    wall = time.perf_counter() - started
    return {"wall": wall, "total": len(items), "reward": sum(passed) / len(items), "passed": sum(passed)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=164)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--second-engine", default=None, help="another engine's URL, for the two-engine row")
    parser.add_argument("--anchor-limit", type=int, default=None,
                        help="time the anchor on the first N tasks only (it runs ~0.1 samples/s here)")
    args = parser.parse_args()
    items = cases(args.limit)
    rows = {"sandbox, one engine (go-coverage reward)": sandbox_row(items, (), args.workers)}
    if args.second_engine:
        default = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
        rows["sandbox, two engines (an EnginePool)"] = sandbox_row(items, (default, args.second_engine),
                                                                   args.workers)
    anchor = None
    if shutil.which("go"):
        anchor = rows["anchor: fresh `go test -cover` per sample, empty GOCACHE"] = anchor_row(
            items[:args.anchor_limit], args.workers)
    table = Table(title=f"HumanEval-X Go tests scored as unit tests: {len(items)}, {args.workers} workers")
    for column in ("what", "succeeded", "mean reward", "wall s", "samples/s", "vs anchor"):
        table.add_column(column, justify="left" if column == "what" else "right")
    for name, row in rows.items():
        rate = row["total"] / row["wall"]
        versus = f"{rate / (anchor['total'] / anchor['wall']):.2f}x" if anchor else "-"
        table.add_row(name, f"{row['passed']}/{row['total']}", f"{row['reward']:.3f}", f"{row['wall']:.1f}",
                      f"{rate:.2f}", versus)
    Console(width=140).print(table)


if __name__ == "__main__":
    main()
