"""What every fine-tuning method shares: the prepared data, the checks made before a model loads, the base model
and its LoRA adapter, the arguments every trl trainer gets, and the training loop around `trainer.train()`.

A method (codeforge.finetune.sft, .dpo) prepares its rows (`Prepared`) and builds its trl trainer; `fit` runs it:
the rich progress, Ctrl-C or SIGTERM saving a checkpoint at the end of the current step, and the adapter and the
tokenizer saved to OUT. Under a launcher (DDP) a stop asked of any process stops them all at the same step.

Heavy imports happen inside the functions: importing this module is cheap.
"""

from __future__ import annotations

import json
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Protocol

from ..i18n import _
from .config import FinetuneConfig

CHECKPOINTS = "checkpoints"


class FinetuneError(ValueError):
    """Bad input: nothing was trained or changed; the message says what to do."""


class TrainError(ValueError):
    """Bad input found before training starts: the message says what to do."""


@dataclass
class Prepared:
    """A method's training data, found before any model loads."""

    rows: list[dict]  # what the trainer trains on (sft: prompt/completion; dpo: prompt/chosen/rejected)
    data: dict  # source -> sha256 of what was read, for the manifest
    counts: dict  # row kind -> count, and "total"
    dropped: list[tuple[dict, object]]  # (row, decontaminate.Match)
    prompt_mode: str
    feedback_sources: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # programs whose graph could not be built
    held_back: list[dict] = field(default_factory=list)  # rows kept out of training to evaluate on
    details: dict = field(default_factory=dict)  # what the method adds to the manifest about its data
    tasks: dict = field(default_factory=dict)  # task id -> Task, for a method that runs them (grpo's reward)

    @property
    def all_rows(self) -> list[dict]:
        return self.rows + self.held_back


def prompt_format(tokenizer, base_only: bool):
    """How the model is prompted, as bench prompts it: its chat template, unless it has none or --base-only."""
    from .rows import Format

    if tokenizer.chat_template and not base_only:
        def render(messages: list) -> str:
            return tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        return Format(render, tokenizer.eos_token)
    return Format(None, tokenizer.eos_token)


def decontaminated(config: FinetuneConfig, rows: list[dict], text_of: Callable[[dict], str],
                   check: str) -> tuple[list[dict], list[tuple[dict, object]]]:
    """The rows to train on (those that match no benchmark, unless --allow-contamination) and the matches;
    refused when none is left. `check` says which options to look at then."""
    from .decontaminate import Index, split

    kept, dropped = split(rows, Index.from_benchmarks(), text_of)
    chosen = rows if config.allow_contamination else kept
    if not chosen:
        why = _("all {count} rows match a benchmark and were dropped").format(count=len(rows)) if rows \
            else _("the sources gave no rows")
        raise FinetuneError(_("no training data left: {why}. {check}, or pass --allow-contamination to keep "
                              "matching rows (the adapter is then marked)").format(
            why=why, check=check[0].upper() + check[1:]))
    return chosen, dropped


class Progress(Protocol):
    def started(self, total_steps: int, start_step: int) -> None: ...

    def step(self, step: int, loss: Optional[float], tokens: int) -> None: ...

    def saved(self, folder: Path) -> None: ...

    def evaluated(self, step: int, metrics: dict) -> None: ...


@dataclass
class Trained:
    steps: int
    final_loss: Optional[float]
    seconds: float
    tokens: int  # tokens the model saw, all processes together (prompt and completion; padding-free with packing)
    interrupted: bool
    checkpoint: Optional[Path]
    world_size: int = 1  # processes that trained (DDP), each on its share of every step's rows
    evaluation: dict = field(default_factory=dict)  # what the method measured on held-back rows
    details: dict = field(default_factory=dict)  # what the method measured while training (grpo: its rewards)


def device_of(config: FinetuneConfig) -> str:
    import torch

    if config.device.value == "cuda" and not torch.cuda.is_available():
        raise TrainError(_("--device cuda, but torch sees no GPU: use --device cpu (or auto)"))
    if config.device.value == "cpu":
        return "cpu"
    return "cuda" if torch.cuda.is_available() else "cpu"


def on_cpu(config: FinetuneConfig) -> bool:
    """Whether training is on the CPU, as device_of says, but never refused: the processes of a launch must meet
    over the same backend (gloo on CPUs, nccl on GPUs) even to agree that the input is wrong."""
    import torch

    return config.device.value == "cpu" or not torch.cuda.is_available()


def check_quantization(config: FinetuneConfig, device: str) -> None:
    if config.quantization and device != "cuda":
        raise TrainError(_("{option} (QLoRA) needs a CUDA GPU and bitsandbytes; on this machine train without it "
                           "(LoRA in full precision), or on a GPU machine").format(option=f"--{config.quantization}"))


def last_checkpoint(out: Path) -> Optional[Path]:
    from transformers.trainer_utils import get_last_checkpoint

    folder = out / CHECKPOINTS
    return Path(found) if folder.is_dir() and (found := get_last_checkpoint(str(folder))) else None


def check_out(config: FinetuneConfig, out: Path) -> None:
    """Never train over another adapter, and only resume one of the same base model."""
    from ..models.manifest import load_manifest

    if not out.exists():
        if config.resume:
            raise TrainError(_("--resume: {path} does not exist; start without --resume").format(path=out))
        return
    if not out.is_dir():
        raise TrainError(_("--out {path} is a file: name a folder").format(path=out))
    held = _base_model_in(out)
    if held is not None and held != config.model:
        raise TrainError(_("{path} holds an adapter or checkpoint of another model ({model}); choose another --out")
                         .format(path=out, model=held))
    if config.resume:
        if last_checkpoint(out) is None:
            raise TrainError(_("--resume: {path} holds no checkpoint to continue from; start without --resume")
                             .format(path=out))
        return
    if load_manifest(out) is not None or last_checkpoint(out) is not None:
        raise TrainError(_("{path} already holds a trained adapter or checkpoints: pass --resume to continue, or "
                           "choose another --out (nothing was changed)").format(path=out))


def check_from_adapter(config: FinetuneConfig) -> None:
    """--from-adapter names a LoRA adapter of the same base model."""
    folder = config.from_adapter
    if folder is None:
        return
    if not (folder / "adapter_config.json").is_file():
        raise TrainError(_("--from-adapter {path}: no LoRA adapter there (adapter_config.json is missing); name "
                           "the folder codeforge finetune --out wrote").format(path=folder))
    held = _base_model_in(folder)
    if held is not None and held != config.model:
        raise TrainError(_("--from-adapter {path} was trained on {held}, not on --model {model}: pass "
                           "--model {held}").format(path=folder, held=held, model=config.model))


def _base_model_in(out: Path) -> Optional[str]:
    for path in [out / "codeforge-adapter.json", out / "adapter_config.json",
                 *sorted((out / CHECKPOINTS).glob("checkpoint-*/adapter_config.json"))]:
        if path.is_file():
            try:
                values = json.loads(path.read_text())
            except json.JSONDecodeError:
                continue
            held = values.get("base_model") or values.get("base_model_name_or_path")
            if held:
                return held
    return None


def load_tokenizer(model: str):
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(model)
    except (OSError, ValueError) as exc:
        raise TrainError(_("cannot load the tokenizer of {model}: {error} (a hub id needs the hub or its cache; a "
                           "folder needs the tokenizer files)").format(model=repr(model),
                                                                        error=str(exc).splitlines()[0])) from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_model(config: FinetuneConfig, device: str):
    import torch
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    kwargs = {}
    if device == "cuda":
        kwargs["dtype"] = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if config.quantization == "4bit":
        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=kwargs["dtype"])
    elif config.quantization == "8bit":
        kwargs["quantization_config"] = BitsAndBytesConfig(load_in_8bit=True)
    try:
        model = AutoModelForCausalLM.from_pretrained(config.model, **kwargs)
    except (OSError, ValueError) as exc:
        raise TrainError(_("cannot load the model {model}: {error}").format(
            model=repr(config.model), error=str(exc).splitlines()[0])) from None
    if config.quantization:
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=config.gradient_checkpointing)
    return model


def adapted_model(config: FinetuneConfig, device: str):
    """(the model to train, the peft config its trainer gets): the base model and a new LoRA adapter's config,
    or with --from-adapter the base model wearing that adapter, trainable, and no config."""
    model = load_model(config, device)
    if config.from_adapter is None:
        return model, lora_config(config)
    from peft import PeftModel

    return PeftModel.from_pretrained(model, str(config.from_adapter), is_trainable=True), None


def lora_config(config: FinetuneConfig):
    from peft import LoraConfig

    return LoraConfig(r=config.rank, lora_alpha=config.alpha, lora_dropout=config.dropout,
                      target_modules=config.target_module_list, task_type="CAUSAL_LM")


def trainer_arguments(config: FinetuneConfig, out: Path, device: str) -> dict:
    """What every method's trl config gets from the settings (sft_config, dpo_config add their own)."""
    import torch

    bf16 = device == "cuda" and torch.cuda.is_bf16_supported()
    return dict(
        output_dir=str(out / CHECKPOINTS), num_train_epochs=config.epochs, learning_rate=config.learning_rate,
        per_device_train_batch_size=config.batch_size, gradient_accumulation_steps=config.grad_accum,
        max_length=config.max_length, gradient_checkpointing=config.gradient_checkpointing, bf16=bf16,
        fp16=device == "cuda" and not bf16, use_cpu=device == "cpu", seed=config.seed, data_seed=config.seed,
        lr_scheduler_type="cosine", warmup_steps=0, logging_steps=1, save_strategy="steps",
        save_steps=config.save_steps, save_total_limit=2, report_to=[], disable_tqdm=True,
        include_num_input_tokens_seen=True, dataset_num_proc=None, remove_unused_columns=True,
        # DDP: every LoRA weight gets a gradient in every step, so the search for unused ones is wasted work
        ddp_find_unused_parameters=False,
    )


def quiet_other_processes() -> None:
    from datasets.utils.logging import disable_progress_bar

    from .ranks import is_main

    if not is_main():
        disable_progress_bar()  # the rows are prepared in every process: their bars would repeat the main one's


def fit(trainer, config: FinetuneConfig, out: Path, tokenizer, progress: Progress,
        evaluate: Optional[Callable] = None) -> Trained:
    """Train (or resume) and save the adapter and the tokenizer to `out`. `evaluate(trainer, when)` ("before",
    "after") measures held-back rows; what it returns is the Trained's `evaluation`."""
    from transformers import PrinterCallback, TrainerCallback

    state = {"asked": False, "stop": False, "loss": None}

    class Report(TrainerCallback):
        def on_train_begin(self, args, st, control, **kwargs):
            if st.is_world_process_zero:
                progress.started(st.max_steps, st.global_step)

        def on_log(self, args, st, control, logs=None, **kwargs):
            if logs and "loss" in logs:
                state["loss"] = float(logs["loss"])
            if logs and st.is_world_process_zero and any(k.startswith("eval_") for k in logs):
                progress.evaluated(st.global_step, logs)

        def on_step_end(self, args, st, control, **kwargs):
            if st.is_world_process_zero:
                progress.step(st.global_step, state["loss"], int(st.num_input_tokens_seen or 0))
            stop = state["asked"]
            if args.world_size > 1:  # a signal that comes during the all-reduce is seen at the next step
                stop = _anywhere(stop, args.device)
            if stop:
                state["stop"] = True
                control.should_save = True
                control.should_training_stop = True

        def on_save(self, args, st, control, **kwargs):
            if st.is_world_process_zero:
                progress.saved(Path(args.output_dir) / f"checkpoint-{st.global_step}")

    trainer.add_callback(Report())
    trainer.remove_callback(PrinterCallback)  # the rich progress shows the loss; no dict per step on stdout

    def stop(signum, frame):
        state["asked"] = True

    evaluation = {}
    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    started = time.perf_counter()
    try:
        if evaluate is not None:
            evaluation["before"] = evaluate(trainer, "before")
        trainer.train(resume_from_checkpoint=str(last_checkpoint(out)) if config.resume else None)
        if evaluate is not None and not state["stop"]:
            evaluation["after"] = evaluate(trainer, "after")
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    seconds = time.perf_counter() - started
    st = trainer.state
    checkpoint = last_checkpoint(out)
    if not state["stop"]:
        trainer.save_model(str(out))  # every process calls it: with DeepSpeed/FSDP it gathers the sharded weights
        if trainer.args.should_save:
            tokenizer.save_pretrained(str(out))
    return Trained(st.global_step, state["loss"], seconds, int(st.num_input_tokens_seen or 0), state["stop"],
                   checkpoint, trainer.args.world_size, evaluation)


def _anywhere(flag: bool, device) -> bool:
    """Whether any process has `flag`: processes that stopped at different steps would wait for each other in
    the next step's all-reduce until the launcher's timeout."""
    import torch
    import torch.distributed as dist

    found = torch.tensor([int(flag)], device=device)
    dist.all_reduce(found, op=dist.ReduceOp.MAX)
    return bool(found.item())


def merge(config: FinetuneConfig, out: Path) -> Path:
    """The base model with the adapter folded in, saved to OUT/merged (what vLLM and bench --model load)."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(config.model)
    merged = PeftModel.from_pretrained(base, str(out)).merge_and_unload()
    target = out / "merged"
    merged.save_pretrained(str(target))
    load_tokenizer(str(out)).save_pretrained(str(target))
    return target
