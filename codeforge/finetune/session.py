"""`codeforge finetune` end to end, for every method: the method prepares its rows in bench's prompt format
(sft: programs and feedback rows from the sources; dpo: preference pairs mined from stored runs; grpo: the
prompts of the sources' tasks) and drops what matches a benchmark, then trains with its trl trainer; the manifest
and the store record the outcome.

Everything that can be wrong with the input is found before the model loads: unknown sources, bad jsonl rows
(with their line), runs that give no pairs, an --out that holds another adapter, --4bit on CPU, no rows left
after decontamination. Under a launcher every process finds it for itself, and they agree
(codeforge.finetune.ranks) before any of them trains or writes to --out.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Collection, Optional

from ..bench.runs import versions
from ..i18n import _
from ..models.manifest import Manifest
from . import dpo, grpo, sft
from .config import FinetuneConfig, Method
from .ranks import agree, is_main
from .training import (FinetuneError, Prepared, Progress, TrainError, Trained, check_from_adapter, check_out,
                       check_quantization, device_of, load_tokenizer, on_cpu)

# Each method is one module with `prepare(config, tokenizer, **hooks) -> Prepared` (its rows, found before any
# model loads) and `train(config, prepared, tokenizer, out, progress) -> Trained` (its trl trainer, run by
# codeforge.finetune.training.fit). A new method is a module, a Method member, its options and a line here.
METHODS = {Method.sft: sft, Method.dpo: dpo, Method.grpo: grpo}


def prepare(config: FinetuneConfig, tokenizer, *, sandbox_factory: Optional[Callable] = None,
            on_progress: Optional[Callable] = None, tasks: Optional[Collection[str]] = None) -> Prepared:
    """The method's training rows, decontaminated (unless --allow-contamination); sft: only the programs of
    `tasks` when given (a curriculum round)."""
    hooks = {"tasks": tasks} if tasks is not None else {}
    return METHODS[config.method].prepare(config, tokenizer, sandbox_factory=sandbox_factory,
                                          on_progress=on_progress, **hooks)


def _record(config: FinetuneConfig, write: Callable) -> None:
    from ..store import Store, StoreError, db_path

    try:
        with Store.open(db_path(config.db)) as store:
            write(store)
    except StoreError as exc:
        raise FinetuneError(_("{error} (the adapter in {path} is kept)").format(error=exc, path=config.out)) from None


def manifest_for(config: FinetuneConfig, prepared: Prepared, trained: Optional[Trained],
                 curriculum: Optional[dict] = None) -> Manifest:
    train = {} if trained is None else {"steps": trained.steps, "final_loss": trained.final_loss,
                                        "seconds": round(trained.seconds, 2), "tokens": trained.tokens,
                                        "world_size": trained.world_size, "learning_rate": config.learning_rate}
    preference = dict(prepared.details)
    if trained is not None and trained.evaluation:
        preference["held_back"] = {**preference.get("held_back", {}), **trained.evaluation}
    if trained is not None:
        preference.update(trained.details)
    return Manifest(
        base_model=config.model, data=prepared.data, graph=config.graph.value,
        graph_format=config.graph_format.value, feedback=prepared.feedback_sources, rows=prepared.counts,
        contamination={"dropped": 0 if config.allow_contamination else len(prepared.dropped),
                       "matched": len(prepared.dropped),
                       "contaminated": bool(config.allow_contamination and prepared.dropped)},
        prompt_mode=prepared.prompt_mode, settings=config.to_dict(), seed=config.seed, versions=versions(),
        train=train, method=config.method.value, preference=preference, curriculum=curriculum or {})


@dataclass
class Outcome:
    prepared: Prepared
    trained: Optional[Trained]
    manifest: Optional[Manifest]
    out: Optional[Path]
    merged: Optional[Path] = None


def run_finetune(config: FinetuneConfig, progress: Progress, *, on_data: Optional[Callable] = None,
                 sandbox_factory: Optional[Callable] = None, tasks: Optional[Collection[str]] = None,
                 curriculum: Optional[dict] = None) -> Outcome:
    """Train one adapter as `config` says (`tasks`: only these tasks' programs; `curriculum`: the round this
    adapter is, for its manifest)."""
    from .training import merge

    prepared, error = None, None
    try:
        if not config.dry_run:
            if config.out is None:
                raise FinetuneError(_("name the adapter's folder: --out DIR"))
            check_out(config, config.out)
            check_quantization(config, device_of(config))
        check_from_adapter(config)
        tokenizer = load_tokenizer(config.model)
        prepared = prepare(config, tokenizer, sandbox_factory=sandbox_factory, tasks=tasks)
    except (TrainError, FinetuneError) as exc:
        error = str(exc)
    if not config.dry_run:
        error = agree(error, prepared and prepared.all_rows, cpu=on_cpu(config))
    if error:
        raise FinetuneError(error)
    if on_data is not None:
        on_data(prepared)
    if config.dry_run:
        return Outcome(prepared, None, None, None)
    _record(config, lambda store: store.start_finetune(config.run_name, str(config.out.resolve()), config.model,
                                                        config.to_dict()))
    try:
        trained = METHODS[config.method].train(config, prepared, tokenizer, config.out, progress)
    except TrainError as exc:
        raise FinetuneError(str(exc)) from None
    if trained.interrupted:
        return Outcome(prepared, trained, None, config.out)
    manifest = manifest_for(config, prepared, trained, curriculum)
    if not is_main():  # the main process writes the manifest and merges; the trainer saved the adapter
        return Outcome(prepared, trained, manifest, config.out)
    manifest.save(config.out)
    _record(config, lambda store: store.finish_finetune(config.run_name, asdict(manifest)))
    merged = merge(config, config.out) if config.merge else None
    return Outcome(prepared, trained, manifest, config.out, merged)
