"""The transformers backend: a hub id or a local directory, an optional LoRA adapter, optional 4/8-bit.

Requests are generated in batches of `batch_size` (sorted by prompt length, so little of a batch is padding),
left-padded, and each batch's Generations are yielded as soon as it is done, so the caller can run programs
while the next batch generates. A sequence stops at its eos token or at a stop sequence (checked on its
decoded text as it grows); the batch ends when every sequence has stopped or `max_new_tokens` is reached.

Only `Sampling`'s fields steer decoding: the model's own generation defaults (top_k, repetition_penalty) are
switched off, so one Sampling means the same on every backend. With a temperature, each request samples from
its own random stream, seeded by its Request.seed (see _SeededSampling).

A hub id is loaded from the local cache alone when no hub answers (models/hub.py), with a message at once
instead of a minute of retries.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Iterator, Optional, Sequence

import torch
from transformers import (AutoModelForCausalLM, AutoTokenizer, GenerationConfig, LogitsProcessor,
                          LogitsProcessorList, StoppingCriteria, StoppingCriteriaList)

from ..i18n import _
from ..vocabulary import FinishReason
from .base import Generation, ModelError, ModelInfo, PromptMode, Request, Sampling
from .hub import local_files_only, not_found_message
from .prompts import PREFILL_STOP, strip_stop


class _StopOnText(StoppingCriteria):
    """Stops each row once its new text holds one of its stops; remembers how many tokens that took."""

    def __init__(self, tokenizer, prompt_len: int, stops: list[tuple[str, ...]]):
        self.tokenizer = tokenizer
        self.prompt_len = prompt_len
        self.stops = stops
        # Decoding only the last tokens keeps each step cheap; a stop of n characters lies within the last
        # n tokens (a token is at least one character, or a byte of one), with margin.
        self.window = 2 * max((len(s) for row in stops for s in row), default=0) + 8
        self.stopped_at: list[Optional[int]] = [None] * len(stops)

    def __call__(self, input_ids: torch.LongTensor, scores, **kwargs) -> torch.BoolTensor:
        length = input_ids.shape[1]
        start = max(self.prompt_len, length - self.window)
        for row, stops in enumerate(self.stops):
            if stops and self.stopped_at[row] is None:
                tail = self.tokenizer.decode(input_ids[row, start:], clean_up_tokenization_spaces=False)
                if any(stop in tail for stop in stops):
                    self.stopped_at[row] = length - self.prompt_len
        done = [at is not None for at in self.stopped_at]
        return torch.tensor(done, dtype=torch.bool, device=input_ids.device)


class _SeededSampling(LogitsProcessor):
    """Sampling in which each row draws from its own random stream, seeded by its request.

    Temperature and top-p are applied as transformers applies them; then the Gumbel-max trick turns the
    greedy pick into a draw: argmax(logits + Gumbel noise) is distributed as softmax(logits). The noise of row
    r at step t is the t-th draw of r's own generator, so a request's sample depends on its seed alone, not on
    which requests shared its batch or where it sat in it (one global seed per batch would tie them together).
    """

    def __init__(self, seeds: Sequence[int], temperature: float, top_p: float, device):
        from transformers import TemperatureLogitsWarper, TopPLogitsWarper

        self.warpers = [TemperatureLogitsWarper(temperature)] + ([TopPLogitsWarper(top_p)] if top_p < 1.0 else [])
        self.generators = [torch.Generator(device=device).manual_seed(seed) for seed in seeds]

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        for warper in self.warpers:
            scores = warper(input_ids, scores)
        width = scores.shape[1]
        uniform = torch.stack([torch.rand(width, generator=g, device=scores.device) for g in self.generators])
        gumbel = -torch.log(-torch.log(uniform.clamp(min=1e-20, max=1.0 - 1e-7)))
        return scores.float() + gumbel


def _device(requested: str) -> str:
    requested = str(getattr(requested, "value", requested))
    if requested == "cuda" and not torch.cuda.is_available():
        raise ModelError(_("--device cuda, but torch sees no CUDA GPU: use --device cpu (or auto), or install a "
                           "CUDA build of torch"))
    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return requested


def _dtype(requested: str, device: str) -> torch.dtype:
    if requested != "auto":
        return getattr(torch, str(getattr(requested, "value", requested)))
    if device == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32  # half precision on CPU is slow and lossy


def _quantization_config(quantization: Optional[str], dtype: torch.dtype):
    if quantization is None:
        return None
    if not torch.cuda.is_available():
        raise ModelError(_("--{quantization} needs a CUDA GPU (bitsandbytes); on CPU drop it").format(
            quantization=quantization))
    from transformers import BitsAndBytesConfig

    if quantization == "4bit":
        return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=dtype,
                                  bnb_4bit_use_double_quant=True)
    return BitsAndBytesConfig(load_in_8bit=True)


class HFGenerator:
    def __init__(self, options, *, ignore_eos: bool = False):
        """ignore_eos: generate max_new_tokens for every request (benchmarks only: eos is masked out)."""
        self.options = options
        self.ignore_eos = ignore_eos
        self.device = _device(options.device)
        self.dtype = _dtype(options.dtype, self.device)
        quantization = _quantization_config(options.quantization, self.dtype)
        local = local_files_only(options.model)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(options.model, local_files_only=local)
            kwargs = {"dtype": self.dtype, "local_files_only": local}
            if quantization is not None:
                kwargs.update(quantization_config=quantization, device_map={"": 0})
            self.model = AutoModelForCausalLM.from_pretrained(options.model, **kwargs)
        except Exception as exc:  # OSError, ValueError, HTTP errors...: all mean "this is not a model here"
            if local and not Path(options.model).is_dir():
                raise ModelError(not_found_message(options.model)) from exc
            reason = str(exc).strip().rstrip(".")
            raise ModelError(
                _("could not load {model}: {reason}. Pass a local model directory or check the hub id").format(
                    model=options.model, reason=reason)
            ) from exc
        if quantization is None:
            self.model.to(self.device)
        if options.adapter:
            self.model = _with_adapter(self.model, options.adapter)
        self.model.eval()

        self.tokenizer.padding_side = "left"  # new tokens must line up at the right edge of the batch
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.eos_ids = self._eos_ids()
        chat = bool(getattr(self.tokenizer, "chat_template", None)) and not options.base_only
        self.info = ModelInfo(
            backend="hf", model=options.model, mode=PromptMode.chat if chat else PromptMode.base,
            adapter=options.adapter, prefills=chat, details=self._details(),
        )

    def _eos_ids(self) -> set[int]:
        configured = self.model.generation_config.eos_token_id
        ids = set(configured if isinstance(configured, list) else [configured] if configured is not None else [])
        if self.tokenizer.eos_token_id is not None:
            ids.add(self.tokenizer.eos_token_id)
        return ids

    def _details(self) -> dict:
        import transformers

        details = {"dtype": str(self.dtype).removeprefix("torch."), "device": self.device,
                   "quantization": self.options.quantization, "batch_size": self.options.batch_size,
                   "transformers": transformers.__version__, "torch": torch.__version__}
        if self.options.adapter:
            import peft

            details["peft"] = peft.__version__
        return details

    def _prompt(self, request: Request) -> tuple[list[int], tuple[str, ...]]:
        """Token ids of the full prompt, and the stops of its continuation."""
        if request.messages and self.info.mode is PromptMode.chat:
            text = self.tokenizer.apply_chat_template(list(request.messages), add_generation_prompt=True,
                                                      tokenize=False) + request.prefill
            stops = request.stop + ((PREFILL_STOP,) if request.prefill else ())
            # The template already holds the special tokens (a BOS added again would be a second one).
            return self.tokenizer(text, add_special_tokens=False)["input_ids"], stops
        if request.messages:
            raise ModelError(_("{model} is used as a base model (no chat template, or --base-only): send prompt "
                               "text, not chat messages").format(model=self.options.model))
        return self.tokenizer(request.text)["input_ids"], request.stop

    def generate(self, requests: Sequence[Request], sampling: Sampling) -> Iterator[Generation]:
        prompts = [self._prompt(request) for request in requests]
        order = sorted(range(len(requests)), key=lambda i: len(prompts[i][0]))
        size = self.options.batch_size
        for first in range(0, len(order), size):
            batch = order[first:first + size]
            yield from self._generate_batch([requests[i] for i in batch], [prompts[i] for i in batch], sampling)

    def _generate_batch(self, requests: list[Request], prompts: list, sampling: Sampling) -> list[Generation]:
        started = time.perf_counter()
        pad = self.tokenizer.pad_token_id
        width = max(len(ids) for ids, _ in prompts)
        input_ids = torch.tensor([[pad] * (width - len(ids)) + ids for ids, _ in prompts], device=self.model.device)
        attention = torch.tensor([[0] * (width - len(ids)) + [1] * len(ids) for ids, _ in prompts],
                                 device=self.model.device)
        criteria = _StopOnText(self.tokenizer, width, [stops for _, stops in prompts])
        processors = LogitsProcessorList()
        if sampling.temperature > 0:
            processors.append(_SeededSampling([r.seed for r in requests], sampling.temperature, sampling.top_p,
                                              self.model.device))
        with torch.inference_mode():
            output = self.model.generate(input_ids=input_ids, attention_mask=attention,
                                         generation_config=self._generation_config(sampling),
                                         logits_processor=processors,
                                         stopping_criteria=StoppingCriteriaList([criteria]))
        seconds = (time.perf_counter() - started) / len(requests)
        generations = []
        for row, request in enumerate(requests):
            new = output[row, width:].tolist()
            stopped_at = criteria.stopped_at[row]
            eos_at = next((i for i, token in enumerate(new) if token in self.eos_ids), None)
            if stopped_at is not None and (eos_at is None or stopped_at <= eos_at):
                count, kept = stopped_at, new[:stopped_at]
            elif eos_at is not None:
                count, kept = eos_at + 1, new[:eos_at]  # the eos token counts, but is no text
            else:
                count, kept = len(new), new
            # Special tokens stay in the raw text (extraction drops them); eos and padding do not.
            decoded = self.tokenizer.decode(kept, clean_up_tokenization_spaces=False)  # code, verbatim
            text, cut = strip_stop(decoded, prompts[row][1])
            finished = cut or eos_at is not None or count < sampling.max_new_tokens
            generations.append(Generation(
                key=request.key, text=text, finish_reason=FinishReason.stop if finished else FinishReason.length,
                prompt_tokens=len(prompts[row][0]), completion_tokens=count, seconds=seconds,
            ))
        return generations

    def _generation_config(self, sampling: Sampling) -> GenerationConfig:
        # Explicit values throughout: a field left None is filled in from the model's generation_config.
        # Decoding is always a pick of the best score: sampling happens in _SeededSampling, one stream per row.
        config = GenerationConfig(
            max_new_tokens=sampling.max_new_tokens, do_sample=False, repetition_penalty=1.0,
            eos_token_id=sorted(self.eos_ids), pad_token_id=self.tokenizer.pad_token_id,
        )
        if self.ignore_eos:
            config.min_new_tokens = sampling.max_new_tokens
        return config

    def close(self) -> None:
        self.model = None
        if torch.cuda.is_available():
            torch.cuda.empty_cache()


def _with_adapter(model, adapter: str):
    try:
        from peft import PeftModel
    except ImportError as exc:
        raise ModelError(_("--adapter needs peft: pip install peft")) from exc
    try:
        return PeftModel.from_pretrained(model, adapter)
    except Exception as exc:
        reason = str(exc).strip().rstrip(".")
        raise ModelError(_("could not load adapter {adapter}: {reason}. Pass the directory a LoRA training run saved "
                           "(it holds adapter_config.json), or a hub id").format(adapter=adapter,
                                                                                  reason=reason)) from exc
