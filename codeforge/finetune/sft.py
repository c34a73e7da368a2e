"""Supervised fine-tuning (`--method sft`) with trl's SFTTrainer and a peft LoRA adapter (QLoRA with --4bit /
--8bit on CUDA).

The rows are prompt/completion text (codeforge.finetune.rows) from the sources (--data), feedback rows from
mutants (--feedback) and from stored chain runs (--from-run), decontaminated. The loss is on the completion
only, and rows are packed into sequences of --max-length without padding (trl's bfd packing). The loop around
the trainer (progress, checkpoints, Ctrl-C, saving) is codeforge.finetune.training's.
"""

from __future__ import annotations

from pathlib import Path
from dataclasses import replace
from typing import Callable, Collection, Optional

from ..i18n import _
from .config import FinetuneConfig
from .rows import build_rows
from .sources import Loaded, Repair, SourceError, load, repairs_from_run
from .training import FinetuneError, Prepared, Progress, Trained, decontaminated, prompt_format


def prepare(config: FinetuneConfig, tokenizer, *, sandbox_factory: Optional[Callable] = None,
            on_progress: Optional[Callable] = None, tasks: Optional[Collection[str]] = None) -> Prepared:
    """The training rows, decontaminated (unless --allow-contamination); only the programs of `tasks` when
    given."""
    try:
        loaded = load(config.data, limit=config.limit, db=config.db)
        if tasks is not None:
            wanted = set(tasks)
            loaded = replace(loaded, programs=[p for p in loaded.programs if p.task.task_id in wanted])
        repairs, feedback_sources = [], []
        for name in config.from_run:
            repairs.extend(repairs_from_run(name, config.db))
            feedback_sources.append(f"run:{name}")
    except SourceError as exc:
        raise FinetuneError(str(exc)) from None
    unanswered = [p for p in loaded.programs if not p.code.strip()]
    if unanswered:  # a Go package's functions (go-unittest:FOLDER) come with no test to learn from
        raise FinetuneError(_("{source}: task {task} and {count} more have no reference answer to train on: sft "
                              "needs one; --method grpo learns from rewards instead").format(
            source=unanswered[0].source, task=unanswered[0].task.task_id, count=len(unanswered) - 1))
    if config.feedback and config.mutants and loaded.programs:
        from ..sandbox import SandboxUnavailable

        try:
            repairs.extend(_mutant_repairs(config, loaded, sandbox_factory, on_progress))
        except SandboxUnavailable as exc:  # no engine or a stale image: it says how to fix it
            raise FinetuneError(_("--feedback runs mutants in the sandbox: {error}").format(error=exc)) from None
        feedback_sources.append("mutants")
    fmt = prompt_format(tokenizer, config.base_only)
    try:
        built = build_rows(loaded.programs, loaded.pairs, repairs, fmt, graph=config.graph,
                           graph_format=config.graph_format, graph_ratio=config.graph_ratio, seed=config.seed)
    except ValueError as exc:
        raise FinetuneError(str(exc)) from None
    rows, dropped = decontaminated(config, built.rows, lambda row: row["prompt"] + "\n" + row["completion"],
                                   _("check --data (and --limit)"))
    counts = {}
    for row in rows:
        counts[row["kind"]] = counts.get(row["kind"], 0) + 1
    counts["total"] = len(rows)
    return Prepared(rows, loaded.hashes, counts, dropped, "chat" if fmt.chat else "base", feedback_sources,
                    built.skipped)


def _mutant_repairs(config: FinetuneConfig, loaded: Loaded, sandbox_factory, on_progress) -> list[Repair]:
    from .mutants import feedback_examples

    by_id = {p.task.task_id: p for p in loaded.programs}
    tasks = [p.task for p in loaded.programs]
    with _sandbox(config, sandbox_factory) as sandbox:
        examples = feedback_examples(tasks, sandbox, per_task=config.mutants, seed=config.seed,
                                     on_progress=on_progress)
    return [Repair(by_id[e.task_id].task, e.failed_code, e.feedback, e.target, "mutants") for e in examples]


def _sandbox(config: FinetuneConfig, factory):
    if factory is not None:
        return factory()
    from ..sandbox import SandboxSettings, open_sandbox

    return open_sandbox(SandboxSettings(workers=config.workers, isolation=config.isolation,
                                        hosts=config.docker_hosts))


def sft_config(config: FinetuneConfig, out: Path, device: str):
    from trl import SFTConfig

    from .training import trainer_arguments

    return SFTConfig(**trainer_arguments(config, out, device), packing=config.packing, completion_only_loss=True)


def train(config: FinetuneConfig, prepared: Prepared, tokenizer, out: Path, progress: Progress) -> Trained:
    """Train the adapter on the prepared rows and save it to `out`."""
    from datasets import Dataset
    from transformers import set_seed
    from trl import SFTTrainer

    from .training import adapted_model, check_quantization, device_of, fit, quiet_other_processes

    device = device_of(config)
    check_quantization(config, device)
    set_seed(config.seed)
    model, lora = adapted_model(config, device)
    dataset = Dataset.from_list([{"prompt": r["prompt"], "completion": r["completion"]} for r in prepared.rows])
    quiet_other_processes()
    trainer = SFTTrainer(model=model, args=sft_config(config, out, device), train_dataset=dataset,
                         processing_class=tokenizer, peft_config=lora)
    return fit(trainer, config, out, tokenizer, progress)
