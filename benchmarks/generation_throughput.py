"""Generation throughput of the hf backend: prompts batched (batch_size 16) against one prompt at a time.

Builds the tiny test model (tests/tiny_model.py) in a temporary directory, so it runs offline and on CPU:

    python benchmarks/generation_throughput.py [--prompts 16] [--max-new-tokens 64] [--repeat 3] [--threads N]
                                               [--hidden 64] [--layers 2]

Both modes get the same prompts and generate greedily with eos ignored and no stop sequences, so every prompt
yields exactly --max-new-tokens tokens on both sides. Each row is the best of --repeat runs after one warm-up
run. A tiny model is all overhead per step, which batching shares out; a real model on a GPU behaves alike
until the batch fills the device.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests/tiny_model.py, also when codeforge is not installed in editable mode

SNIPPETS = [
    "def add(a, b):\n", "def is_even(n: int) -> bool:\n", "class Stack:\n    def __init__(self):\n",
    "from typing import List\n\n\ndef total(xs: List[int]) -> int:\n", "func Add(a int, b int) int {\n",
    "#include <vector>\nint sum(std::vector<int> xs){\n",
    "def fib(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n",
    "if __name__ == \"__main__\":\n",
]


def prompts(count: int) -> list[str]:
    # Different lengths, as in a real benchmark: batches carry some padding.
    return [SNIPPETS[i % len(SNIPPETS)] * (1 + i % 3) for i in range(count)]


def measure(model_dir: Path, batch_size: int, texts: list[str], max_new_tokens: int, repeat: int) -> dict:
    from codeforge.models import ModelOptions, Request, Sampling
    from codeforge.models.hf import HFGenerator

    generator = HFGenerator(ModelOptions(model=str(model_dir), batch_size=batch_size, device="cpu"),
                            ignore_eos=True)
    requests = [Request(key=str(i), seed=0, text=text) for i, text in enumerate(texts)]
    sampling = Sampling(temperature=0.0, max_new_tokens=max_new_tokens)
    list(generator.generate(requests, sampling))  # warm-up: first-call allocations, lazy initialisation
    best, outputs = float("inf"), {}
    for _ in range(repeat):
        started = time.perf_counter()
        generations = list(generator.generate(requests, sampling))
        best = min(best, time.perf_counter() - started)
        outputs = {g.key: g for g in generations}
    return {"seconds": best, "tokens": sum(g.completion_tokens for g in outputs.values()),
            "texts": {key: g.text for key, g in outputs.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=16)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own choice)")
    parser.add_argument("--hidden", type=int, default=64, help="hidden size of the tiny model")
    parser.add_argument("--layers", type=int, default=2, help="layers of the tiny model")
    args = parser.parse_args()

    import torch
    from rich.console import Console
    from rich.table import Table

    from tests.tiny_model import build_tiny_model

    if args.threads:
        torch.set_num_threads(args.threads)
    texts = prompts(args.prompts)
    with tempfile.TemporaryDirectory() as folder:
        model_dir = build_tiny_model(Path(folder) / "tiny", chat=False, hidden_size=args.hidden, layers=args.layers)
        one = measure(model_dir, 1, texts, args.max_new_tokens, args.repeat)
        batched = measure(model_dir, args.prompts, texts, args.max_new_tokens, args.repeat)

    table = Table(title=f"hf backend, tiny Qwen2 (hidden {args.hidden}, {args.layers} layers), CPU, "
                        f"{torch.get_num_threads()} torch threads, greedy, {args.max_new_tokens} new tokens per "
                        f"prompt, best of {args.repeat}")
    for column in ("mode", "prompts", "tokens", "seconds", "tokens/s", "ratio"):
        table.add_column(column, justify="left" if column == "mode" else "right")
    base_rate = one["tokens"] / one["seconds"]
    for name, result in (("one at a time", one), (f"batched x{args.prompts}", batched)):
        rate = result["tokens"] / result["seconds"]
        table.add_row(name, str(len(texts)), str(result["tokens"]), f"{result['seconds']:.2f}", f"{rate:,.0f}",
                      f"{rate / base_rate:.1f}x")
    console = Console()
    console.print(table)
    same = one["texts"] == batched["texts"]
    console.print(f"Same text from both modes: {'yes' if same else 'no (padding changed some greedy picks)'}")


if __name__ == "__main__":
    main()
