"""In-process vLLM (optional extra: pip install 'codeforge[vllm]'; Linux with a CUDA GPU).

vLLM schedules requests continuously, so they are handed over in large chunks; each chunk's Generations are
yielded when it is done so the caller can run programs meanwhile. Batch composition changes vLLM's greedy
outputs slightly (docs/evaluation-notes.md): runs record the chunk size.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Iterator, Sequence

from ..i18n import _
from ..vocabulary import FinishReason
from .base import Generation, ModelError, ModelInfo, PromptMode, Request, Sampling
from .options import Device
from .prompts import PREFILL_STOP, strip_stop

MIN_CHUNK = 128  # vLLM is fastest with many requests in flight; smaller chunks only help the first results


class VLLMGenerator:
    def __init__(self, options):
        try:
            import vllm
            from vllm import LLM
        except ImportError as exc:
            raise ModelError(_("the vllm backend needs vLLM: pip install 'codeforge[vllm]' (Linux with a CUDA GPU), "
                               "or use --backend hf")) from exc
        if options.device is Device.cpu:
            raise ModelError(_("the vllm backend runs on a CUDA GPU: on CPU use --backend hf"))
        kwargs = {"model": options.model, "seed": 0, "enable_lora": bool(options.adapter), "dtype": options.dtype.value}
        if options.adapter:
            kwargs["max_lora_rank"] = _lora_rank(options.adapter)
        if options.quantization == "4bit":
            kwargs["quantization"] = "bitsandbytes"
        elif options.quantization == "8bit":
            raise ModelError(_("vLLM loads bitsandbytes models in 4 bit only: use --4bit, or --backend hf for --8bit"))
        try:
            self.llm = LLM(**kwargs)
        except Exception as exc:
            raise ModelError(_("vLLM could not load {model}: {reason}").format(model=options.model,
                                                                                 reason=exc)) from exc
        self.lora = None
        if options.adapter:
            from vllm.lora.request import LoRARequest

            self.lora = LoRARequest("adapter", 1, options.adapter)
        self.tokenizer = self.llm.get_tokenizer()
        chat = bool(getattr(self.tokenizer, "chat_template", None)) and not options.base_only
        self.chunk = max(options.batch_size, MIN_CHUNK)
        self.info = ModelInfo(backend="vllm", model=options.model, mode=PromptMode.chat if chat else PromptMode.base,
                              adapter=options.adapter, prefills=chat,
                              details={"vllm": vllm.__version__, "dtype": options.dtype.value,
                                       "quantization": options.quantization, "chunk": self.chunk})

    def _prompt(self, request: Request) -> tuple[object, tuple[str, ...]]:
        """vLLM's prompt (text, or token ids for a templated chat) and the stops of its continuation."""
        if request.messages and self.info.mode is PromptMode.chat:
            text = self.tokenizer.apply_chat_template(list(request.messages), add_generation_prompt=True,
                                                      tokenize=False) + request.prefill
            # Token ids, because vLLM would tokenize text with special tokens added: a second BOS after the
            # template's own.
            ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
            return {"prompt_token_ids": ids}, request.stop + ((PREFILL_STOP,) if request.prefill else ())
        return request.text, request.stop

    def generate(self, requests: Sequence[Request], sampling: Sampling) -> Iterator[Generation]:
        from vllm import SamplingParams

        for first in range(0, len(requests), self.chunk):
            chunk = requests[first:first + self.chunk]
            prompts = [self._prompt(request) for request in chunk]
            # The stop text stays in the output so that strip_stop can keep a closing brace ("\n}").
            params = [SamplingParams(temperature=sampling.temperature, top_p=sampling.top_p,
                                     max_tokens=sampling.max_new_tokens, stop=list(stops) or None,
                                     include_stop_str_in_output=True, seed=request.seed)
                      for request, (_, stops) in zip(chunk, prompts)]
            started = time.perf_counter()
            outputs = self.llm.generate([prompt for prompt, _ in prompts], params, lora_request=self.lora,
                                        use_tqdm=False)
            seconds = (time.perf_counter() - started) / len(chunk)
            for request, (_prompt, stops), output in zip(chunk, prompts, outputs):
                completion = output.outputs[0]
                text, cut = strip_stop(completion.text, stops)
                yield Generation(key=request.key, text=text,
                                 finish_reason=FinishReason.length
                                 if completion.finish_reason == "length" and not cut else FinishReason.stop,
                                 prompt_tokens=len(output.prompt_token_ids or ()),
                                 completion_tokens=len(completion.token_ids), seconds=seconds)

    def close(self) -> None:
        self.llm = None


def _lora_rank(adapter: str) -> int:
    """vLLM refuses adapters above max_lora_rank (default 16): size it from the adapter's own config."""
    config = Path(adapter) / "adapter_config.json"
    rank = json.loads(config.read_text()).get("r", 16) if config.is_file() else 16
    return next((size for size in (8, 16, 32, 64, 128, 256, 512) if size >= rank), 512)
