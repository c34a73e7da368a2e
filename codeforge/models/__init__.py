"""Model backends behind one protocol (`base.Generator`), and the factory that picks one.

    from codeforge.models import ModelOptions, load_generator
    generator = load_generator(ModelOptions(backend="hf", model="Qwen/Qwen2.5-Coder-0.5B-Instruct"))

Backends: `hf` (transformers, optional LoRA adapter and 4/8-bit), `openai` (any OpenAI-compatible server:
vLLM, TGI, Ollama, llama.cpp), `vllm` (in-process, optional extra) and `reference` (the dataset's own
answers: the harness's self-check). Importing this package imports no torch or transformers: each backend
imports its stack when it is loaded, so `codeforge --help` stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from .base import Generation, Generator, ModelError, ModelInfo, PromptMode, Request, Sampling

DEFAULT_MODEL = "Qwen/Qwen2.5-Coder-0.5B-Instruct"

BACKENDS = ("hf", "openai", "vllm", "reference")
QUANTIZATIONS = ("4bit", "8bit")
DEVICES = ("auto", "cuda", "cpu")
DTYPES = ("auto", "float32", "bfloat16", "float16")


@dataclass(frozen=True)
class ModelOptions:
    """How to load and ask a model; one field per CLI flag.

    base_only: prompt as a base model (continuation with stop sequences) even when the tokenizer has a chat
        template.
    api_key_env: the environment variable that holds the server's API key (read when sending, never stored).
    batch_size: prompts per forward pass (hf); requests per scheduling chunk (vllm).
    concurrency, max_retries, request_timeout_s: for the openai backend.
    """

    backend: str = "hf"
    model: str = DEFAULT_MODEL
    adapter: Optional[str] = None
    base_only: bool = False
    quantization: Optional[str] = None
    device: str = "auto"
    dtype: str = "auto"
    batch_size: int = 16
    base_url: Optional[str] = None
    api_key_env: str = "OPENAI_API_KEY"
    concurrency: int = 8
    max_retries: int = 5
    request_timeout_s: float = 600.0

    def __post_init__(self) -> None:
        for name, value, allowed in (("backend", self.backend, BACKENDS), ("device", self.device, DEVICES),
                                     ("dtype", self.dtype, DTYPES)):
            if value not in allowed:
                raise ModelError(f"unknown {name} {value!r}: use one of {', '.join(allowed)}")
        if self.quantization not in (None, *QUANTIZATIONS):
            raise ModelError(f"unknown quantization {self.quantization!r}: use 4bit or 8bit, or leave it out")
        if self.batch_size < 1 or self.concurrency < 1 or self.max_retries < 0:
            raise ModelError("batch size and concurrency must be at least 1, retries at least 0")


def load_generator(options: ModelOptions) -> Generator:
    """The backend `options` name, loaded and ready; ModelError (saying what to do) when it cannot be."""
    if options.backend == "reference" or options.model == "reference":
        from .reference import ReferenceGenerator

        return ReferenceGenerator(options)
    if options.backend == "hf":
        from .hf import HFGenerator

        return HFGenerator(options)
    if options.backend == "openai":
        from .openai import OpenAIGenerator

        return OpenAIGenerator(options)
    from .vllm import VLLMGenerator

    return VLLMGenerator(options)


__all__ = [
    "DEFAULT_MODEL", "Generation", "Generator", "ModelError", "ModelInfo", "ModelOptions", "PromptMode",
    "Request", "Sampling", "load_generator",
]
