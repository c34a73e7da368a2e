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


@pytest.mark.parametrize("values, message", [
    ({"backend": "tgi"}, "backend is 'tgi': use one of hf, openai, vllm, reference"),
    ({"device": "tpu"}, "use one of auto, cuda, cpu"),
    ({"dtype": "int8"}, "use one of auto, float32, bfloat16, float16"),
    ({"batch_size": 0}, "--batch-size must be at least 1"),
    ({"four_bit": True, "eight_bit": True}, "choose one of --4bit and --8bit")])
def test_bad_options_say_what_is_allowed(values, message):
    with pytest.raises(ValueError, match=message):
        ModelOptions(**values)


@pytest.mark.parametrize("options", [ModelOptions(backend="reference"), ModelOptions(model="reference")])
def test_reference_backend_is_chosen_by_backend_or_model_name(options):
    generator = load_generator(options, {})
    assert isinstance(generator, ReferenceGenerator)
    assert (generator.info.backend, generator.info.model, generator.info.mode) == ("reference", "reference",
                                                                                    PromptMode.chat)


@pytest.mark.parametrize("language, reference, entry_point", [
    ("python", "def add(a, b):\n    return a + b\n", "add"),
    ("go", GO_REFERENCE, "Upper"),
])
def test_reference_answers_extract_to_the_reference_itself(language, reference, entry_point):
    generator = load_generator(ModelOptions(backend="reference"), {"T/1": reference})
    messages, prefill = chat_prompt("PROMPT", language)
    request = Request(key="k", seed=0, task_id="T/1", messages=messages, prefill=prefill)
    [generation] = list(generator.generate([request], Sampling()))
    assert generation.key == "k" and generation.finish_reason == "stop"
    assert generation.text.startswith(f"```{language}\n") and generation.text.endswith("\n```")
    expected = reference if reference.endswith("\n") else reference + "\n"
    for prefilled in (generator.info.prefills, True, False):  # whatever the bench assumes
        assert extract_code(generation.text, language, entry_point, prefilled=prefilled) == expected


def test_the_reference_backend_without_an_answer_for_a_task_fails_that_request():
    generator = load_generator(ModelOptions(backend="reference"), {"T/1": "x = 1\n"})
    [generation] = list(generator.generate([Request(key="k", seed=0, task_id="T/2")], Sampling()))
    assert generation.finish_reason == "error" and "T/2" in generation.error


def test_no_request_field_carries_an_answer():
    """Requests carry prompts only; the reference backend alone is given answers, when it is made."""
    assert not {"reference", "answer", "solution", "tests"} & set(Request.__dataclass_fields__)


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vLLM is installed here")
def test_vllm_backend_without_vllm_names_the_install_command():
    with pytest.raises(ModelError, match=r"pip install 'codeforge\[vllm\]'"):
        load_generator(ModelOptions(backend="vllm"))


def test_importing_the_package_imports_no_model_stack():
    code = ("import sys, codeforge.models, codeforge.models.prompts, codeforge.models.openai, "
            "codeforge.models.reference; heavy = [m for m in ('torch', 'transformers', 'peft', 'vllm') "
            "if m in sys.modules]; assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True)
