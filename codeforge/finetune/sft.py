"""Supervised fine-tuning with trl's SFTTrainer and a peft LoRA adapter (QLoRA with --4bit / --8bit on CUDA).

The rows are prompt/completion text (codeforge.finetune.rows): the loss is on the completion only, rows are
packed into sequences of --max-length without padding (trl's bfd packing), and checkpoints go to
OUT/checkpoints so --resume continues at the last saved step. Ctrl-C (or SIGTERM) saves a checkpoint at the
end of the current step and stops. The adapter, the tokenizer and the manifest are written to OUT.

Under a launcher (DDP: `accelerate launch`, `torchrun`) every process trains on its share of the rows; the main
process reports progress and writes what the trainer does not, and a stop asked of any process stops them all
at the same step.

Heavy imports happen inside the functions: importing this module is cheap.
"""

from __future__ import annotations

import json
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Protocol

from .config import FinetuneConfig

CHECKPOINTS = "checkpoints"


class TrainError(ValueError):
    """Bad input found before training starts: the message says what to do."""


class Progress(Protocol):
    def started(self, total_steps: int, start_step: int) -> None: ...

    def step(self, step: int, loss: Optional[float], tokens: int) -> None: ...

    def saved(self, folder: Path) -> None: ...


@dataclass
class Trained:
    steps: int
    final_loss: Optional[float]
    seconds: float
    tokens: int  # tokens the model saw, all processes together (prompt and completion; padding-free with packing)
    interrupted: bool
    checkpoint: Optional[Path]
    world_size: int = 1  # processes that trained (DDP), each on its share of every step's rows


def device_of(config: FinetuneConfig) -> str:
    import torch

    if config.device.value == "cuda" and not torch.cuda.is_available():
        raise TrainError("--device cuda, but torch sees no GPU: use --device cpu (or auto)")
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
        raise TrainError(f"--{config.quantization} (QLoRA) needs a CUDA GPU and bitsandbytes; on this machine "
                         f"train without it (LoRA in full precision), or on a GPU machine")


def last_checkpoint(out: Path) -> Optional[Path]:
    from transformers.trainer_utils import get_last_checkpoint

    folder = out / CHECKPOINTS
    return Path(found) if folder.is_dir() and (found := get_last_checkpoint(str(folder))) else None


def check_out(config: FinetuneConfig, out: Path) -> None:
    """Never train over another adapter, and only resume one of the same base model."""
    from ..models.manifest import load_manifest

    if not out.exists():
        if config.resume:
            raise TrainError(f"--resume: {out} does not exist; start without --resume")
        return
    if not out.is_dir():
        raise TrainError(f"--out {out} is a file: name a folder")
    held = _base_model_in(out)
    if held is not None and held != config.model:
        raise TrainError(f"{out} holds an adapter or checkpoint of another model ({held}); choose another --out")
    if config.resume:
        if last_checkpoint(out) is None:
            raise TrainError(f"--resume: {out} holds no checkpoint to continue from; start without --resume")
        return
    if load_manifest(out) is not None or last_checkpoint(out) is not None:
        raise TrainError(f"{out} already holds a trained adapter or checkpoints: pass --resume to continue, or "
                         f"choose another --out (nothing was changed)")


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
        raise TrainError(f"cannot load the tokenizer of {model!r}: {str(exc).splitlines()[0]} (a hub id needs "
                         f"the hub or its cache; a folder needs the tokenizer files)") from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def _load_model(config: FinetuneConfig, device: str):
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
        raise TrainError(f"cannot load the model {config.model!r}: {str(exc).splitlines()[0]}") from None
    if config.quantization:
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=config.gradient_checkpointing)
    return model


def sft_config(config: FinetuneConfig, out: Path, device: str):
    import torch
    from trl import SFTConfig

    bf16 = device == "cuda" and torch.cuda.is_bf16_supported()
    return SFTConfig(
        output_dir=str(out / CHECKPOINTS), num_train_epochs=config.epochs, learning_rate=config.lr,
        per_device_train_batch_size=config.batch_size, gradient_accumulation_steps=config.grad_accum,
        max_length=config.max_length, packing=config.packing, completion_only_loss=True,
        gradient_checkpointing=config.gradient_checkpointing, bf16=bf16, fp16=device == "cuda" and not bf16,
        use_cpu=device == "cpu", seed=config.seed, data_seed=config.seed, lr_scheduler_type="cosine",
        warmup_steps=0, logging_steps=1, save_strategy="steps", save_steps=config.save_steps,
        save_total_limit=2, report_to=[], disable_tqdm=True, include_num_input_tokens_seen=True,
        dataset_num_proc=None, remove_unused_columns=True,
        # DDP: every LoRA weight gets a gradient in every step, so the search for unused ones is wasted work
        ddp_find_unused_parameters=False,
    )


def train(config: FinetuneConfig, rows: list[dict], tokenizer, out: Path, progress: Progress) -> Trained:
    """Train the adapter on `rows` and save it to `out`."""
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import PrinterCallback, TrainerCallback, set_seed
    from trl import SFTTrainer

    from .ranks import is_main

    device = device_of(config)
    check_quantization(config, device)
    set_seed(config.seed)
    model = _load_model(config, device)
    peft_config = LoraConfig(r=config.rank, lora_alpha=config.alpha, lora_dropout=config.dropout,
                             target_modules=config.target_module_list, task_type="CAUSAL_LM")
    dataset = Dataset.from_list([{"prompt": r["prompt"], "completion": r["completion"]} for r in rows])
    state = {"asked": False, "stop": False, "loss": None}

    class Report(TrainerCallback):
        def on_train_begin(self, args, st, control, **kwargs):
            if st.is_world_process_zero:
                progress.started(st.max_steps, st.global_step)

        def on_log(self, args, st, control, logs=None, **kwargs):
            if logs and "loss" in logs:
                state["loss"] = float(logs["loss"])

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

    if not is_main():
        from datasets.utils.logging import disable_progress_bar

        disable_progress_bar()  # the rows are prepared in every process: their bars would repeat the main one's
    trainer = SFTTrainer(model=model, args=sft_config(config, out, device), train_dataset=dataset,
                         processing_class=tokenizer, peft_config=peft_config, callbacks=[Report()])
    trainer.remove_callback(PrinterCallback)  # the rich progress shows the loss; no dict per step on stdout

    def stop(signum, frame):
        state["asked"] = True

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    started = time.perf_counter()
    try:
        trainer.train(resume_from_checkpoint=str(last_checkpoint(out)) if config.resume else None)
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
                   checkpoint, trainer.args.world_size)


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
