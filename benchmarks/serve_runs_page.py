"""`codeforge serve` on a large store: how long its pages take on a store of 100,000 samples (many runs), beside
`bench list --json`'s way of reading the same runs (every run's every sample, scored) in the same run.

    python benchmarks/serve_runs_page.py [--runs 204] [--tasks 164] [--datasets 12] [--repeat 5] [--db PATH]

The store is built through the store's API (each run: every task answered in rounds 0..2, with prompt, answer,
program and sandbox output of realistic length) unless --db names one that exists. Pages are asked for through
FastAPI's TestClient (in-process: the time is the app's, not a network's); each is timed `repeat` times and the
median and the slowest are shown.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

PROMPT = '[{"role": "user", "content": "' + "Write a function that does the task described here. " * 10 + '"}]'
CODE = "def solve(values):\n" + "    total = 0\n    for v in values:\n        total += v\n" * 6 + "    return total\n"
STDERR = "Traceback (most recent call last):\n  File \"main.py\", line 12, in <module>\nAssertionError\n" * 3


def build(path: Path, runs: int, tasks: int, datasets: int) -> int:
    from codeforge.store import Store

    task_ids = [f"Task/{i}" for i in range(tasks)]
    count = 0
    with Store.open(path) as store:
        for i in range(runs):
            run = store.create_run(f"RUN_{i:04d}", f"dataset-{i % datasets}", model="Qwen/Qwen2.5-Coder-0.5B-Instruct",
                                   backend="hf", adapter=None, prompt_mode="chat", feedback="visible", chain=2,
                                   samples_per_task=1, seed=0, config={"chain": 2, "ks": [1]}, versions={})
            store.set_tasks(run.id, task_ids)
            for t, task in enumerate(task_ids):
                for r in range(3):
                    passed = (t + i) % (r + 3) == 0
                    sample = store.add_sample(run.id, task, 0, r, prompt=PROMPT, raw_output=f"```python\n{CODE}```",
                                              code=CODE, finish_reason="stop", prompt_tokens=120,
                                              completion_tokens=90, gen_seconds=0.2,
                                              feedback=STDERR if r else None, feedback_source="visible" if r else None)
                    status = "passed" if passed else "failed"
                    store.add_execution(sample, "tests", status, passed, 0.05,
                                        {"status": status, "stdout": "", "stderr": "" if passed else STDERR,
                                         "details": {}})
                    count += 1
            store.finish_run(run.id)
    return count


def timed(call, repeat: int) -> tuple[float, float]:
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), max(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=204)
    parser.add_argument("--tasks", type=int, default=164)
    parser.add_argument("--datasets", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db", type=Path, default=None, help="use (or build, when missing) the store here")
    args = parser.parse_args()

    from fastapi.testclient import TestClient
    from rich.console import Console
    from rich.table import Table

    from codeforge.commands.bench_view import runs_json
    from codeforge.serve.app import create_app
    from codeforge.store import Store

    folder = tempfile.TemporaryDirectory()
    path = args.db or Path(folder.name) / "codeforge.db"
    if not path.exists():
        start = time.perf_counter()
        made = build(path, args.runs, args.tasks, args.datasets)
        print(f"built {path}: {made} samples in {time.perf_counter() - start:.1f} s")
    with Store.open_read_only(path) as store:
        samples = store._db.execute("SELECT COUNT(*) FROM samples").fetchone()[0]
        runs = store.runs()
    client = TestClient(create_app(path))
    first, last = runs[0].id, runs[-1].id
    same = next(r.id for r in runs[1:] if r.dataset == runs[0].dataset)

    def page(url: str):
        def call():
            found = client.get(url)
            assert found.status_code == 200, (url, found.status_code)
        return call

    def anchor():
        with Store.open_read_only(path) as store:
            runs_json(store)

    rows = [("runs page (first 50 runs, scored)", "/"), ("runs page, sorted by name, last page",
                                                         f"/?sort=name&page={(len(runs) + 49) // 50}"),
            ("runs page, sorted by pass@1 (every run's in SQL)", "/?sort=pass@1&desc=true"),
            ("runs page, filtered", "/?q=RUN_01"), ("a run (rounds, first 50 tasks)", f"/runs/{first}"),
            ("a run's tasks, page 2 (htmx)", f"/runs/{first}/tasks?page=2"),
            ("a run's heatmap (htmx; every run on its dataset)", f"/runs/{first}/heatmap"),
            ("a task's rounds", f"/runs/{last}/tasks/Task/7"), ("compare two runs", f"/compare?a={first}&b={same}")]
    table = Table(title=f"codeforge serve on {samples} samples in {len(runs)} runs "
                        f"({len({r.dataset for r in runs})} datasets); median and slowest of {args.repeat}")
    for header in ("page", "median s", "slowest s"):
        table.add_column(header, justify="left" if header == "page" else "right")
    for name, url in rows:
        page(url)()  # warm: the first request imports the page's modules
        median, slowest = timed(page(url), args.repeat)
        table.add_row(name, f"{median:.3f}", f"{slowest:.3f}")
    median, slowest = timed(anchor, max(1, min(args.repeat, 2)))
    table.add_row("anchor: every run scored from every sample (bench list --json)", f"{median:.3f}", f"{slowest:.3f}")
    Console().print(table)


if __name__ == "__main__":
    main()
