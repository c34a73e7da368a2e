"""Direct preference optimisation (`--method dpo`) with trl's DPOTrainer and a peft LoRA adapter.

The pairs are mined from stored bench runs (codeforge.finetune.pairs: a passing and a failing answer to one
prompt) and written as bench prompts the tuned model (codeforge.finetune.rows.preference_row), then
decontaminated as sft rows are. With peft there is no second copy of the model: the reference is the base model,
the adapter disabled. The loss is trl's sigmoid DPO loss with --beta; --sft-weight adds trl's `sft` loss (the
chosen answers' negative log-likelihood) with that weight (loss_type ["sigmoid", "sft"], loss_weights [1, w]).

Held back: whole tasks, drawn with --seed until they hold --held-back of the pairs, never trained on (pairs of
one task share answers: a held-back pair whose chosen program is trained on would measure memory). The trainer
evaluates them before training (the base model) and after, and every --save-steps in between: preference
accuracy (the share of pairs whose chosen answer gets the higher implicit reward, beta * log(policy /
reference)), the mean reward margin, and each answer's log-probability.
"""

from __future__ import annotations

import json
import math
import random
import shutil
from pathlib import Path

from ..i18n import _
from .config import FinetuneConfig
from .pairs import mine
from .rows import RowKind, preference_row
from .sources import SourceError
from .training import FinetuneError, Prepared, Progress, Trained, decontaminated, prompt_format

# trl's eval metrics -> the manifest's names
METRICS = {"accuracy": "eval_rewards/accuracies", "margin": "eval_rewards/margins",
           "reward_chosen": "eval_rewards/chosen", "reward_rejected": "eval_rewards/rejected",
           "logps_chosen": "eval_logps/chosen", "logps_rejected": "eval_logps/rejected", "loss": "eval_loss"}
# Before training the adapter is a no-op (peft starts LoRA's B at zero): the policy is the reference, every reward
# is 0 and only the base model's log-probabilities say anything.
BEFORE = ("logps_chosen", "logps_rejected")


def prepare(config: FinetuneConfig, tokenizer, **_hooks) -> Prepared:
    """The pairs, decontaminated (unless --allow-contamination), split into trained and held back."""
    try:
        mined = mine(config.from_run, config.db, max_per_task=config.max_pairs_per_task, limit=config.limit)
    except SourceError as exc:
        raise FinetuneError(str(exc)) from None
    fmt = prompt_format(tokenizer, config.base_only)
    rows, dropped = decontaminated(config, [preference_row(p, fmt) for p in mined.pairs],
                                   lambda row: "\n".join((row["prompt"], row["chosen"], row["rejected"])),
                                   _("check --from-run (and --limit)"))
    train, held = hold_back(rows, config.held_back, config.seed)
    counts = {kind: sum(1 for r in train if r["kind"] == kind)
              for kind in (RowKind.preference, RowKind.feedback_preference)}
    counts.update(total=len(train), held_back=len(held))
    details = {"pairs": mined.counts(), "tasks": len({r["task_id"] for r in rows}),
               "held_back": {"pairs": len(held), "tasks": sorted({r["task_id"] for r in held})},
               "max_pairs_per_task": config.max_pairs_per_task, "beta": config.kl_beta,
               "sft_weight": config.sft_weight}
    prepared = Prepared(train, mined.hashes, counts, dropped, "chat" if fmt.chat else "base", held_back=held,
                        details=details)
    if config.pairs_out is not None:
        write_pairs(config.pairs_out, prepared)
    return prepared


def hold_back(rows: list[dict], share: float, seed: int) -> tuple[list[dict], list[dict]]:
    """(trained, held back): whole tasks drawn with `seed` until the held-back ones hold `share` of the rows;
    at least one task is always trained on."""
    per_task: dict[str, int] = {}
    for row in rows:
        per_task[row["task_id"]] = per_task.get(row["task_id"], 0) + 1
    tasks = list(per_task)
    random.Random(seed).shuffle(tasks)
    wanted, held, count = math.ceil(share * len(rows)), set(), 0
    for task in tasks[:-1]:
        if count >= wanted:
            break
        held.add(task)
        count += per_task[task]
    return [r for r in rows if r["task_id"] not in held], [r for r in rows if r["task_id"] in held]


def write_pairs(path: Path, prepared: Prepared) -> None:
    from .ranks import is_main

    if not is_main():
        return
    fields = ("prompt", "chosen", "rejected", "task_id", "source", "round", "kind")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8") as out:
            for split, rows in (("train", prepared.rows), ("held_back", prepared.held_back)):
                for row in rows:
                    out.write(json.dumps({**{f: row[f] for f in fields}, "split": split}, ensure_ascii=False) + "\n")
    except OSError as exc:
        raise FinetuneError(_("--pairs-out {path}: cannot write it ({error}); name a writable file").format(
            path=path, error=exc.strerror)) from None


def dpo_config(config: FinetuneConfig, out: Path, device: str, held_back: int):
    from trl import DPOConfig

    from .training import trainer_arguments

    losses, weights = (["sigmoid", "sft"], [1.0, config.sft_weight]) if config.sft_weight else (["sigmoid"], None)
    # the mean over evaluation batches is the mean over pairs only when the batches are of one size
    eval_batch = max((d for d in range(1, config.batch_size + 1) if held_back % d == 0), default=1)
    return DPOConfig(**trainer_arguments(config, out, device), beta=config.kl_beta, loss_type=losses,
                     loss_weights=weights, per_device_eval_batch_size=eval_batch,
                     eval_strategy="steps" if held_back else "no", eval_steps=config.save_steps)


def train(config: FinetuneConfig, prepared: Prepared, tokenizer, out: Path, progress: Progress) -> Trained:
    """Train the adapter on the prepared pairs, evaluate the held-back ones, and save it to `out`."""
    from datasets import Dataset
    from transformers import set_seed
    from trl import DPOTrainer

    from .ranks import is_main
    from .training import adapted_model, check_quantization, device_of, fit, quiet_other_processes

    device = device_of(config)
    check_quantization(config, device)
    set_seed(config.seed)
    model, lora = adapted_model(config, device)

    def dataset(rows: list[dict]):
        return Dataset.from_list([{k: r[k] for k in ("prompt", "chosen", "rejected")} for r in rows])

    quiet_other_processes()
    held = prepared.held_back
    trainer = DPOTrainer(model=model, args=dpo_config(config, out, device, len(held)),
                         train_dataset=dataset(prepared.rows), eval_dataset=dataset(held) if held else None,
                         processing_class=tokenizer, peft_config=lora)

    def evaluate(trainer, when: str) -> dict:
        metrics = trainer.evaluate()
        names = BEFORE if when == "before" else METRICS
        return {name: round(float(metrics[METRICS[name]]), 6) for name in names if METRICS[name] in metrics}

    trained = fit(trainer, config, out, tokenizer, progress, evaluate if held else None)
    if config.from_adapter is not None and is_main():
        # trl trains against a frozen copy of --from-adapter (the adapter "ref"), and peft saves it beside the
        # trained one: it is --from-adapter itself, so OUT keeps only what was trained
        shutil.rmtree(out / "ref", ignore_errors=True)
    return trained
