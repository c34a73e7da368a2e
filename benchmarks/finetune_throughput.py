"""Fine-tuning throughput: codeforge's defaults (trl's bfd packing, padding-free) against padding every row to
--max-length, as the research notebooks did, on the same MBPP training rows.

The rows are codeforge's own: MBPP's training programs (never its test split) through
codeforge.finetune.rows.build_rows, prompted as bench prompts a base model. By default the model is the tiny
test model (tests/tiny_model.py) built in a temporary directory, so it runs offline and on CPU:

    python benchmarks/finetune_throughput.py [--rows 128] [--max-length 1024] [--batch-size 4] [--hidden 256]
                                             [--layers 4] [--arms packed,longest,padded]
    python benchmarks/finetune_throughput.py --model Qwen/Qwen2.5-Coder-0.5B --4bit   # a real model, on CUDA

Arms (same rows, model, seed, max length, batch size and gradient accumulation; LoRA as `codeforge finetune`
sets it up; each arm in a fresh process, so peak memory is the arm's own):

* packed: SFTConfig exactly as codeforge.finetune.sft.sft_config builds it (packing=True, bfd, padding-free:
  each batch is one flattened sequence, attention kept within each row by its position ids).
* longest: no packing, each batch padded to its longest row.
* padded: no packing, every row padded to --max-length (pad_to_multiple_of=max_length): the anchor.

Each arm trains one epoch over the rows. "Trained tokens" are the tokens the loss is on (label != -100: the
completions); "real tokens" are all non-padding input tokens; both are counted from the batches the trainer was
fed, and are the same in every arm. Tokens/s is over trainer.train() only; "prep s" is the trainer's
construction (tokenizing, packing). Peak RSS is the child's ru_maxrss; CUDA peak is max_memory_allocated.
Checkpoints are not saved (save_strategy="no"), so no arm pays for writing them.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests/tiny_model.py, also when codeforge is not installed in editable mode

ARMS = {
    "packed": "codeforge default: bfd packing, padding-free",
    "longest": "no packing, padded to the longest row in the batch",
    "padded": "no packing, every row padded to max length",
}
ANCHOR = "padded"
TINY_PAD = "<|file_sep|>"  # as the fine-tuning tests: a base model's pad token must not be its eos


def training_rows(model: str, count: int) -> list[dict]:
    from codeforge.finetune.rows import Format, build_rows
    from codeforge.finetune.training import load_tokenizer
    from codeforge.finetune.sources import load

    tokenizer = load_tokenizer(model)
    programs = load(["mbpp"], limit=count).programs
    return build_rows(programs, [], [], Format(None, tokenizer.eos_token)).rows


class Counting:
    """The trainer's collator, counting what each batch holds."""

    def __init__(self, collate):
        self.collate = collate
        self.counts = {"batches": 0, "positions": 0, "real": 0, "trained": 0}

    def __call__(self, examples):
        batch = self.collate(examples)
        ids = batch["input_ids"]
        self.counts["batches"] += 1
        self.counts["positions"] += ids.numel()
        mask = batch.get("attention_mask")
        # padding-free batches have no mask; codeforge's leave pad_to_multiple_of unset, so they hold no padding
        self.counts["real"] += int(mask.sum()) if mask is not None else ids.numel()
        self.counts["trained"] += int((batch["labels"] != -100).sum())
        return batch


def run_arm(arm: str, options: dict) -> dict:
    """One arm, in this (fresh) process."""
    import resource
    import warnings

    import torch
    from datasets import Dataset, disable_progress_bars
    from peft import LoraConfig
    from transformers import PrinterCallback, set_seed
    from transformers.trainer_utils import SaveStrategy
    from trl import SFTTrainer

    from codeforge.finetune.config import FinetuneConfig
    from codeforge.finetune.sft import sft_config
    from codeforge.finetune.training import check_quantization, device_of, load_model, load_tokenizer

    disable_progress_bars()
    warnings.filterwarnings("ignore", category=FutureWarning)  # deprecations inside transformers, not ours
    config = FinetuneConfig(model=options["model"], epochs=1.0, batch_size=options["batch_size"],
                            grad_accum=options["grad_accum"], max_length=options["max_length"],
                            seed=options["seed"], four_bit=options["four_bit"], device=options["device"])
    device = device_of(config)
    check_quantization(config, device)
    set_seed(config.seed)
    tokenizer = load_tokenizer(config.model)
    model = load_model(config, device)
    rows = json.loads(Path(options["rows_file"]).read_text())
    dataset = Dataset.from_list([{"prompt": r["prompt"], "completion": r["completion"]} for r in rows])
    with tempfile.TemporaryDirectory() as out:
        args = sft_config(config, Path(out), device)
        args.save_strategy = SaveStrategy.NO
        if arm != "packed":
            args.packing, args.padding_free = False, False
            args.pad_to_multiple_of = config.max_length if arm == "padded" else None
        peft_config = LoraConfig(r=config.rank, lora_alpha=config.alpha, lora_dropout=config.dropout,
                                 target_modules=config.target_module_list, task_type="CAUSAL_LM")
        started = time.perf_counter()
        trainer = SFTTrainer(model=model, args=args, train_dataset=dataset, processing_class=tokenizer,
                             peft_config=peft_config)
        prep = time.perf_counter() - started
        trainer.remove_callback(PrinterCallback)
        counting = Counting(trainer.data_collator)
        trainer.data_collator = counting
        if device == "cuda":
            torch.cuda.synchronize()
        started = time.perf_counter()
        result = trainer.train()
        if device == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - started
    return {"arm": arm, "device": device, "prep": prep, "seconds": seconds, "steps": trainer.state.global_step,
            "loss": result.training_loss, **counting.counts,
            "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "cuda_mib": torch.cuda.max_memory_allocated() / 2**20 if device == "cuda" else None}


def spawn(arm: str, options: dict) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", arm, "--options", json.dumps(options)],
                          stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise SystemExit(f"arm {arm} failed (exit {done.returncode}); its error is above")
    return json.loads(done.stdout.strip().splitlines()[-1])


def render(results: list[dict], options: dict, title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    anchor = next((r for r in results if r["arm"] == ANCHOR), None)
    table = Table(title=title)
    for column in ("arm", "steps", "batches", "positions", "padding", "trained tokens", "prep s", "train s",
                   "trained tok/s", f"vs {ANCHOR}", "peak RSS MiB", "CUDA peak MiB", "loss"):
        table.add_column(column, justify="left" if column == "arm" else "right", overflow="fold")
    for r in results:
        rate = r["trained"] / r["seconds"]
        ratio = f"{rate / (anchor['trained'] / anchor['seconds']):.2f}x" if anchor else "-"
        table.add_row(r["arm"], str(r["steps"]), str(r["batches"]), f"{r['positions']:,}",
                      f"{1 - r['real'] / r['positions']:.0%}", f"{r['trained']:,}", f"{r['prep']:.1f}",
                      f"{r['seconds']:.1f}", f"{rate:,.0f}", ratio, f"{r['rss_mib']:,.0f}",
                      "-" if r["cuda_mib"] is None else f"{r['cuda_mib']:,.0f}", f"{r['loss']:.3f}")
    console = Console(width=160)
    console.print(table)
    for arm in (r["arm"] for r in results):
        console.print(f"{arm}: {ARMS[arm]}", markup=False)
    if len({(r["trained"], r["real"]) for r in results}) > 1:
        console.print("note: the arms trained on different token counts (truncation differs): compare with care",
                      markup=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=128, help="MBPP training programs, one row each")
    parser.add_argument("--max-length", type=int, default=1024)
    parser.add_argument("--batch-size", type=int, default=4, help="rows per step (packed: packed sequences)")
    parser.add_argument("--grad-accum", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--arms", default=",".join(ARMS), help=f"comma-separated, of {', '.join(ARMS)}")
    parser.add_argument("--model", default=None, help="hub id or directory (default: the tiny test model)")
    parser.add_argument("--4bit", dest="four_bit", action="store_true", help="QLoRA (CUDA and bitsandbytes)")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--hidden", type=int, default=256, help="hidden size of the tiny model")
    parser.add_argument("--layers", type=int, default=4, help="layers of the tiny model")
    parser.add_argument("--threads", type=int, default=None, help="torch threads per arm (default: torch's)")
    parser.add_argument("--child", choices=list(ARMS), help=argparse.SUPPRESS)
    parser.add_argument("--options", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        options = json.loads(args.options)
        if options["threads"]:
            import torch

            torch.set_num_threads(options["threads"])
        print(json.dumps(run_arm(args.child, options)))
        return

    arms = [a.strip() for a in args.arms.split(",") if a.strip()]
    unknown = [a for a in arms if a not in ARMS]
    if unknown:
        parser.error(f"unknown arm {unknown[0]!r}: choose from {', '.join(ARMS)}")
    with tempfile.TemporaryDirectory() as folder:
        model = args.model
        if model is None:
            from tests.tiny_model import build_tiny_model

            model = str(build_tiny_model(Path(folder) / "tiny", chat=False, hidden_size=args.hidden,
                                         layers=args.layers, pad_token=TINY_PAD))
        rows = training_rows(model, args.rows)
        rows_file = Path(folder) / "rows.json"
        rows_file.write_text(json.dumps(rows))
        options = {"model": model, "rows_file": str(rows_file), "batch_size": args.batch_size,
                   "grad_accum": args.grad_accum, "max_length": args.max_length, "seed": args.seed,
                   "four_bit": args.four_bit, "device": args.device, "threads": args.threads}
        results = [spawn(arm, options) for arm in arms]
    name = args.model or f"tiny Qwen2 (hidden {args.hidden}, {args.layers} layers)"
    render(results, options, f"{name}, {len(rows)} MBPP training rows, one epoch, max length {args.max_length}, "
                             f"batch {args.batch_size} x {args.grad_accum} accumulation, on {results[0]['device']}")


if __name__ == "__main__":
    main()
