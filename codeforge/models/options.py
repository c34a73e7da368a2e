"""How to load and ask a model: the settings every command that runs a model shares (bench today; repair and
finetune's evaluation later). A command's settings class inherits these fields (as trl's configs do)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Optional

from ..config import Settings, setting
from ..i18n import _

DEFAULT_MODEL = "Qwen/Qwen2.5-Coder-0.5B-Instruct"
MODEL_PANEL = "Model"


class Backend(str, Enum):
    hf = "hf"  # transformers in this process
    openai = "openai"  # any OpenAI-compatible server (vLLM, TGI, Ollama, llama.cpp)
    vllm = "vllm"  # vLLM in this process
    reference = "reference"  # the dataset's own solutions: the harness's self-check


class Device(str, Enum):
    auto = "auto"
    cuda = "cuda"
    cpu = "cpu"


class DType(str, Enum):
    auto = "auto"
    float32 = "float32"
    bfloat16 = "bfloat16"
    float16 = "float16"


@dataclass(frozen=True)
class ModelOptions(Settings):
    model: str = setting(DEFAULT_MODEL, "Hub id or local directory; `reference` runs the dataset's own solutions.",
                         flags=("--model", "-m"), identity=True, panel=MODEL_PANEL)
    backend: Backend = setting(Backend.hf, "hf: transformers in this process; openai: any OpenAI-compatible "
                               "server; vllm: vLLM in this process; reference: the dataset's own solutions.",
                               identity=True, panel=MODEL_PANEL)
    adapter: Optional[str] = setting(None, "A LoRA adapter directory (peft) or hub id.", identity=True,
                                     panel=MODEL_PANEL)
    base_only: bool = setting(False, "Prompt as a base model (plain continuation with stop sequences) even when "
                              "the model has a chat template.", identity=True, panel=MODEL_PANEL)
    four_bit: bool = setting(False, "Load the weights in 4 bits (bitsandbytes NF4, CUDA only).", flags=("--4bit",),
                             identity=True, panel=MODEL_PANEL)
    eight_bit: bool = setting(False, "Load the weights in 8 bits (bitsandbytes, CUDA only).", flags=("--8bit",),
                              identity=True, panel=MODEL_PANEL)
    device: Device = setting(Device.auto, "hf backend: where the model runs (auto: cuda when torch sees a GPU).",
                             identity=True, panel=MODEL_PANEL)
    dtype: DType = setting(DType.auto, "hf/vllm: weight dtype (auto: bfloat16 or float16 on GPU, float32 on "
                           "CPU).", identity=True, panel=MODEL_PANEL)
    batch_size: int = setting(16, "hf: prompts per forward pass; vllm: requests per scheduling chunk.", min=1,
                              panel=MODEL_PANEL)
    base_url: Optional[str] = setting(None, "openai backend: the server, e.g. http://127.0.0.1:8000/v1.",
                                      env="CODEFORGE_BASE_URL", panel=MODEL_PANEL)
    api_key_env: str = setting("OPENAI_API_KEY", "openai backend: the environment variable holding the API key "
                               "(read when sending, never stored).", panel=MODEL_PANEL)
    concurrency: int = setting(8, "openai backend: requests in flight.", min=1, panel=MODEL_PANEL)
    max_retries: int = setting(5, "openai backend: retries of a failed request (with backoff).", min=0,
                               panel=MODEL_PANEL)
    request_timeout_s: float = setting(600.0, "openai backend: seconds to wait for one answer.",
                                       flags=("--request-timeout",), min=1, panel=MODEL_PANEL)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.four_bit and self.eight_bit:
            raise ValueError(_("choose one of --4bit and --8bit"))
        if self.model == "reference" and self.backend is not Backend.reference:
            object.__setattr__(self, "backend", Backend.reference)

    @property
    def quantization(self) -> Optional[str]:
        """"4bit", "8bit" or None."""
        return "4bit" if self.four_bit else "8bit" if self.eight_bit else None
