"""Model backends behind one protocol (`base.Generator`), and the factory that picks one.

    from codeforge.models import ModelOptions, load_generator
    generator = load_generator(ModelOptions(backend="hf", model="Qwen/Qwen2.5-Coder-0.5B-Instruct"))

Backends: `hf` (transformers, optional LoRA adapter and 4/8-bit), `openai` (any OpenAI-compatible server:
vLLM, TGI, Ollama, llama.cpp), `vllm` (in-process, optional extra) and `reference` (the dataset's own
answers: the harness's self-check). Importing this package imports no torch or transformers: each backend
imports its stack when it is loaded, so `codeforge --help` stays fast.
"""

from __future__ import annotations

from typing import Optional

from ..i18n import _
from .base import Generation, Generator, ModelError, ModelInfo, PromptMode, Request, Sampling
from .options import DEFAULT_MODEL, Backend, Device, DType, ModelOptions


def load_generator(options: ModelOptions, references: Optional[dict[str, str]] = None,
                   prose: frozenset = frozenset()) -> Generator:
    """The backend `options` name, loaded and ready; ModelError (saying what to do) when it cannot be.

    references: {task_id: known answer}, for the reference backend only; no other backend is given them.
    prose: the task ids whose answers are prose (text tasks), which the reference backend gives as they are.
    """
    if options.backend is Backend.reference:
        from .reference import ReferenceGenerator

        return ReferenceGenerator(references or {}, prose)
    if options.backend is Backend.openai:
        from .openai import OpenAIGenerator

        return OpenAIGenerator(options)
    try:
        if options.backend is Backend.hf:
            from .hf import HFGenerator

            return HFGenerator(options)
        from .vllm import VLLMGenerator
    except ImportError as exc:
        extra = "vllm" if options.backend is Backend.vllm else "hf"
        raise ModelError(_("the {backend} backend needs {package}, which is not installed: pip install "
                           "'codeforge[{extra}]'").format(backend=options.backend.value,
                                                         package=exc.name or _("a package"), extra=extra)) from exc
    return VLLMGenerator(options)


__all__ = [
    "DEFAULT_MODEL", "Backend", "DType", "Device", "Generation", "Generator", "ModelError", "ModelInfo",
    "ModelOptions", "PromptMode", "Request", "Sampling", "load_generator",
]
