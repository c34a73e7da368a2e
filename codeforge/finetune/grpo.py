"""Group relative policy optimisation (`--method grpo`) with trl's GRPOTrainer, a peft LoRA adapter and rewards
from the sandbox (codeforge.rewards.SandboxReward).

The prompts are those bench shows the tuned model for the tasks of --data (codeforge.finetune.rows.code_row),
so the adapter is evaluated with `bench --adapter` on the format it learned; a task's reference solution is never
shown to the model, but a prompt is dropped, as an sft row would be, when its task or reference matches a
benchmark. Every step the model samples --num-generations answers per prompt; each answer's program runs in the
sandbox against its task's tests (all of a step's answers at once, --workers at a time) and gets the --reward
(shaped by --reward-shape), or no reward when the sandbox failed (trl leaves it out of the step).

OUT gets, beside the adapter: rewards.jsonl (one line per answer: step, task, verdict, sandbox status, per-test
outcomes, reward, seconds) and grpo-steps.jsonl (one line per step: mean reward, the share of groups whose
rewards were all equal, the seconds spent waiting on rewards and the step's wall time). The manifest's
`preference.reward` sums them up. If the sandbox stops answering during training (the engine is down), the step
fails with a message that says so, and the checkpoints saved so far stay in OUT for --resume.
"""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path

from ..i18n import _
from ..rewards.rules import RewardKind
from .config import FinetuneConfig
from .rows import code_row
from .sources import SourceError, load
from .training import FinetuneError, Prepared, Progress, Trained, TrainError, decontaminated, prompt_format

REWARDS_LOG = "rewards.jsonl"
STEPS_LOG = "grpo-steps.jsonl"


def prepare(config: FinetuneConfig, tokenizer, **_hooks) -> Prepared:
    """One prompt per task of --data, decontaminated (unless --allow-contamination)."""
    try:
        loaded = load(config.data, limit=config.limit, db=config.db)
    except SourceError as exc:
        raise FinetuneError(str(exc)) from None
    if loaded.pairs:
        raise FinetuneError(_("--method grpo rewards answers with their task's tests, and text pairs (prompt/"
                              "completion or messages rows) have none: use mbpp or a jsonl of tasks (task_id, "
                              "prompt, test, entry_point)"))
    programs = list({p.task.task_id: p for p in reversed(loaded.programs)}.values())[::-1]  # first of each task
    unit_tests = [p.task.task_id for p in programs if p.task.answer == "test"]
    if config.reward is RewardKind.go_coverage and len(unit_tests) < len(programs):
        other = next(p.task.task_id for p in programs if p.task.task_id not in set(unit_tests))
        raise FinetuneError(_("--reward go-coverage scores Go unit tests, and {task} (with {count} more) is no Go "
                              "unit-test task: use --data go-unittest[:FOLDER] (or jsonl rows of kind go-unittest), "
                              "or --reward tests").format(task=other, count=len(programs) - len(unit_tests) - 1))
    if config.reward is not RewardKind.go_coverage and unit_tests:
        raise FinetuneError(_("{task} is a Go unit-test task: its answer is a test, which --reward {reward} would "
                              "score by its own tests passing (a model gains by writing easy ones); use --reward "
                              "go-coverage").format(task=unit_tests[0], reward=config.reward.value))
    fmt = prompt_format(tokenizer, config.base_only)
    rows = []
    for program in programs:
        row = code_row(program, fmt)
        rows.append({"prompt": row["prompt"], "kind": "prompt", "task_id": row["task_id"], "source": row["source"],
                     "reference": program.code})
    kept, dropped = decontaminated(config, rows, lambda row: row["prompt"] + "\n" + row["reference"],
                                   _("check --data (and --limit)"))
    kept = [{k: v for k, v in row.items() if k != "reference"} for row in kept]
    tasks = {p.task.task_id: p.task for p in programs}
    counts = {"prompt": len(kept), "total": len(kept)}
    return Prepared(kept, loaded.hashes, counts, dropped, "chat" if fmt.chat else "base", tasks=tasks)


def grpo_config(config: FinetuneConfig, out: Path, device: str):
    from dataclasses import fields

    from trl import GRPOConfig

    from .training import trainer_arguments

    known = {f.name for f in fields(GRPOConfig)}
    # GRPOConfig has no max_length: a row is the prompt and --max-completion-length sampled tokens
    arguments = {k: v for k, v in trainer_arguments(config, out, device).items() if k in known}
    arguments.update(
        num_generations=config.num_generations, max_completion_length=config.max_completion_length,
        temperature=config.temperature, beta=config.kl_beta,
        remove_unused_columns=False,  # the reward reads each answer's task_id
        # trl counts the prompt and sampled tokens itself; transformers' count finds no input_ids and warns each step
        include_num_input_tokens_seen=False,
        log_completions=False)  # the answers are in rewards.jsonl; trl's table would interleave the progress
    return GRPOConfig(**arguments)


def _sandbox(config: FinetuneConfig):
    from ..sandbox import SandboxSettings, open_sandbox

    return open_sandbox(SandboxSettings(workers=config.workers, isolation=config.isolation,
                                        hosts=config.docker_hosts))


def train(config: FinetuneConfig, prepared: Prepared, tokenizer, out: Path, progress: Progress) -> Trained:
    """Train the adapter on the model's own answers, rewarded in the sandbox, and save it to `out`."""
    from datasets import Dataset
    from transformers import set_seed
    from trl import GRPOTrainer

    from ..models.base import PromptMode
    from ..rewards import SandboxReward
    from ..sandbox import SandboxUnavailable
    from .ranks import is_main, rank
    from .training import (adapted_model, check_quantization, device_of, fit, last_checkpoint,
                           quiet_other_processes)

    device = device_of(config)
    check_quantization(config, device)
    set_seed(config.seed)
    sandbox = None
    try:  # before the model loads: no engine or a stale image is said at once
        sandbox = _sandbox(config)
        for language in sorted({task.language.value for task in prepared.tasks.values()}):
            sandbox.check(language)
    except SandboxUnavailable as exc:
        if sandbox is not None:
            sandbox.close()
        raise TrainError(_("--method grpo rewards answers in the sandbox: {error}").format(error=exc)) from None
    out.mkdir(parents=True, exist_ok=True)
    chat = prepared.prompt_mode == "chat"
    failed = None
    try:
        reward = SandboxReward(
            prepared.tasks, sandbox, kind=config.reward, shape=config.reward_shape,
            group_size=config.num_generations, prompt_mode=PromptMode.chat if chat else PromptMode.base,
            prefilled=chat, log_file=out / (REWARDS_LOG if is_main() else f"rewards-rank{rank()}.jsonl"))
        model, lora = adapted_model(config, device)
        dataset = Dataset.from_list([{"prompt": r["prompt"], "task_id": r["task_id"]} for r in prepared.rows])
        quiet_other_processes()
        trainer = GRPOTrainer(model=model, reward_funcs=[reward], args=grpo_config(config, out, device),
                              train_dataset=dataset, processing_class=tokenizer, peft_config=lora)
        steps = StepLog(reward, out / STEPS_LOG if is_main() else None)
        trainer.add_callback(steps)
        try:
            trained = fit(trainer, config, out, tokenizer, progress)
        except SandboxUnavailable as exc:
            failed = exc
    finally:
        if failed is None:
            sandbox.close()
        else:  # the engine is gone, and its containers with it: removing them could only fail again
            with contextlib.suppress(Exception):
                sandbox.close()
    if failed is not None:
        checkpoint = last_checkpoint(out)
        kept = _("The last checkpoint, {path}, stays").format(path=checkpoint) if checkpoint \
            else _("No checkpoint was saved yet")
        raise TrainError(_("step {step} failed: {error}. {kept}; start the Docker engine, then run the same command "
                           "with --resume").format(step=trainer.state.global_step + 1, error=failed, kept=kept))
    trained.details = {"reward": summary(config, reward, steps.records, trained.seconds)}
    return trained


def summary(config: FinetuneConfig, reward, records: list[dict], seconds: float) -> dict:
    """What the manifest says about the rewards (this process's answers; the step means are all processes')."""
    stats = reward.stats
    means = [r["reward_mean"] for r in records if r.get("reward_mean") is not None]
    return {"kind": config.reward.value, "shape": config.reward_shape.value, "name": reward.__name__,
            "num_generations": config.num_generations, "beta": config.kl_beta, "temperature": config.temperature,
            "max_completion_length": config.max_completion_length,
            "mean_first_step": means[0] if means else None, "mean_last_step": means[-1] if means else None,
            "completions": stats.completions, "masked": stats.unscored,
            "zero_variance_groups": stats.zero_variance_groups, "groups": stats.groups,
            "zero_variance_share": round(stats.zero_variance_groups / stats.groups, 4) if stats.groups else None,
            "reward_seconds": round(stats.seconds, 3), "wait_share": round(stats.wait_share(seconds), 4)}


class StepLog:
    """A trainer callback: one record per optimizer step from trl's logged metrics, and its wall time (written to
    `path` as JSON lines when given)."""

    def __new__(cls, reward, path):
        from transformers import TrainerCallback

        class _StepLog(TrainerCallback):
            def __init__(self):
                self.records: list[dict] = []
                self.began = None

            def on_step_begin(self, args, state, control, **kwargs):
                self.began = time.perf_counter()

            def on_log(self, args, state, control, logs=None, **kwargs):
                name = reward.__name__
                if not logs or f"rewards/{name}/mean" not in logs:
                    return
                record = {"step": state.global_step, "reward_mean": logs[f"rewards/{name}/mean"],
                          "reward_std": logs.get(f"rewards/{name}/std"),
                          "zero_variance_share": logs.get(f"{name}/zero_variance_groups"),
                          "unscored": logs.get(f"{name}/unscored"), "reward_seconds": logs.get(f"{name}/seconds"),
                          "step_seconds": round(time.perf_counter() - self.began, 3) if self.began else None}
                self.records.append(record)
                if path is not None:
                    with open(path, "a", encoding="utf-8") as handle:
                        handle.write(json.dumps(record) + "\n")

        return _StepLog()
