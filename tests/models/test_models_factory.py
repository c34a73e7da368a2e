"""The factory, the reference backend, the vLLM extra's absence, and the lazy imports."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from codeforge.models import (DEFAULT_MODEL, ModelError, ModelOptions, PromptMode, Request, Sampling,
                              load_generator)
from codeforge.models.prompts import chat_prompt, extract_code
from codeforge.models.reference import ReferenceGenerator

GO_REFERENCE = "import \"strings\"\n\nfunc Upper(s string) string {\n\treturn strings.ToUpper(s)\n}"


def test_defaults():
    options = ModelOptions()
    assert (options.backend, options.model, options.batch_size, options.device) == ("hf", DEFAULT_MODEL, 16, "auto")
    assert DEFAULT_MODEL == "Qwen/Qwen2.5-Coder-0.5B-Instruct"


@pytest.mark.parametrize("field, value", [("backend", "tgi"), ("device", "tpu"), ("quantization", "3bit"),
                                          ("dtype", "int8"), ("batch_size", 0)])
def test_bad_options_say_what_is_allowed(field, value):
    with pytest.raises(ModelError):
        ModelOptions(**{field: value})


@pytest.mark.parametrize("options", [ModelOptions(backend="reference"), ModelOptions(model="reference")])
def test_reference_backend_is_chosen_by_backend_or_model_name(options):
    generator = load_generator(options)
    assert isinstance(generator, ReferenceGenerator)
    assert (generator.info.backend, generator.info.model, generator.info.mode) == ("reference", "reference",
                                                                                    PromptMode.chat)


@pytest.mark.parametrize("language, reference, entry_point", [
    ("python", "def add(a, b):\n    return a + b\n", "add"),
    ("go", GO_REFERENCE, "Upper"),
])
def test_reference_answers_extract_to_the_reference_itself(language, reference, entry_point):
    generator = load_generator(ModelOptions(backend="reference"))
    messages, prefill = chat_prompt("PROMPT", language)
    request = Request(key="k", seed=0, messages=messages, prefill=prefill, reference=reference)
    [generation] = list(generator.generate([request], Sampling()))
    assert generation.key == "k" and generation.finish_reason == "stop"
    assert generation.text.startswith(f"```{language}\n") and generation.text.endswith("\n```")
    expected = reference if reference.endswith("\n") else reference + "\n"
    for prefilled in (generator.info.prefills, True, False):  # whatever the bench assumes
        assert extract_code(generation.text, language, entry_point, prefilled=prefilled) == expected


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vLLM is installed here")
def test_vllm_backend_without_vllm_names_the_install_command():
    with pytest.raises(ModelError, match=r"pip install 'codeforge\[vllm\]'"):
        load_generator(ModelOptions(backend="vllm"))


def test_importing_the_package_imports_no_model_stack():
    code = ("import sys, codeforge.models, codeforge.models.prompts, codeforge.models.openai, "
            "codeforge.models.reference; heavy = [m for m in ('torch', 'transformers', 'peft', 'vllm') "
            "if m in sys.modules]; assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True)
