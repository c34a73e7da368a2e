"""The transformers backend on a tiny random model built by the test session (real loading, real generate)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from codeforge.models import ModelError, ModelOptions, PromptMode, Request, Sampling, load_generator  # noqa: E402
from codeforge.models.hf import HFGenerator  # noqa: E402
from codeforge.models.prompts import chat_prompt  # noqa: E402

PROMPTS = ["def add(a, b):\n", "def is_even(n: int) -> bool:\n    \"\"\"Return True when n is even.\"\"\"\n",
           "class Stack:\n", "func Add(a int, b int) int {\n", "from typing import List\n\n\ndef total(xs):\n"]


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """A tiny model gains nothing from threads, and OpenMP threads that spin-wait while the cores are busy
    (sandbox tests running beside these) make each matmul take milliseconds instead of microseconds."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def chat_requests(n=len(PROMPTS), seed=0):
    requests = []
    for i in range(n):
        messages, prefill = chat_prompt(PROMPTS[i % len(PROMPTS)], "python")
        requests.append(Request(key=f"task/{i}", seed=seed, messages=messages, prefill=prefill))
    return requests


def base_requests(stop=(), seed=0):
    return [Request(key=f"task/{i}", seed=seed, text=text, stop=stop) for i, text in enumerate(PROMPTS)]


def run(generator, requests, **sampling):
    return {g.key: g for g in generator.generate(requests, Sampling(**{"max_new_tokens": 12, **sampling}))}


@pytest.fixture(scope="module")
def chat_generator(tiny_model_dir):
    return HFGenerator(ModelOptions(model=str(tiny_model_dir), batch_size=2))


@pytest.fixture(scope="module")
def base_generator(tiny_base_model_dir):
    return HFGenerator(ModelOptions(model=str(tiny_base_model_dir), batch_size=16))


def test_loads_a_local_model_and_reports_what_it_runs(chat_generator, tiny_model_dir):
    info = chat_generator.info
    assert (info.backend, info.model, info.mode, info.prefills) == ("hf", str(tiny_model_dir), PromptMode.chat, True)
    assert info.details["device"] == "cpu" and info.details["dtype"] == "float32"
    assert info.details["batch_size"] == 2 and "transformers" in info.details and "torch" in info.details


def test_mode_is_base_without_a_chat_template_or_with_base_only(base_generator, tiny_model_dir):
    assert base_generator.info.mode is PromptMode.base and not base_generator.info.prefills
    forced = load_generator(ModelOptions(model=str(tiny_model_dir), base_only=True))
    assert forced.info.mode is PromptMode.base and not forced.info.prefills


def test_chat_prompt_is_the_template_then_the_prefill(chat_generator):
    request = chat_requests(1)[0]
    ids, stops = chat_generator._prompt(request)
    text = chat_generator.tokenizer.decode(ids)
    assert text.startswith("<|im_start|>system\n") and "<|im_start|>user\nPlease provide" in text
    assert text.endswith("<|im_start|>assistant\n" + request.prefill)
    assert stops == ("\n```",)  # the answer ends at the closing fence


def test_batched_generation_gives_one_generation_per_request_with_token_counts(chat_generator):
    requests = chat_requests(5)
    seen = []
    for generation in chat_generator.generate(requests, Sampling(max_new_tokens=7)):
        seen.append(generation.key)
        assert generation.finish_reason == "length" and generation.completion_tokens == 7
        ids, _ = chat_generator._prompt(next(r for r in requests if r.key == generation.key))
        assert generation.prompt_tokens == len(ids)
        assert generation.seconds > 0 and generation.text
    assert sorted(seen) == sorted(r.key for r in requests)


def test_generations_stream_out_batch_by_batch(chat_generator):
    stream = chat_generator.generate(chat_requests(5), Sampling(max_new_tokens=3))
    first = [next(stream), next(stream)]  # the first batch of 2, before the others are generated
    assert len({g.key for g in first}) == 2
    assert len(list(stream)) == 3


def test_greedy_is_deterministic_and_batching_does_not_change_it(tiny_model_dir, chat_generator):
    requests = chat_requests(5)
    batched = {k: (g.text, g.completion_tokens) for k, g in run(chat_generator, requests).items()}
    assert {k: (g.text, g.completion_tokens) for k, g in run(chat_generator, requests).items()} == batched
    one_by_one = HFGenerator(ModelOptions(model=str(tiny_model_dir), batch_size=1))
    single = run(one_by_one, requests)
    # Left padding with an attention mask: the same tokens whatever the batch (float32, this model).
    assert {k: (g.text, g.completion_tokens) for k, g in single.items()} == batched


def test_sampling_follows_the_seed(chat_generator):
    requests = chat_requests(2, seed=7)
    first = run(chat_generator, requests, temperature=1.0, top_p=0.95)
    again = run(chat_generator, requests, temperature=1.0, top_p=0.95)
    other = run(chat_generator, chat_requests(2, seed=8), temperature=1.0, top_p=0.95)
    assert {k: g.text for k, g in first.items()} == {k: g.text for k, g in again.items()}
    assert {k: g.text for k, g in first.items()} != {k: g.text for k, g in other.items()}


def test_each_sample_follows_its_own_seed_whatever_its_batch(tiny_model_dir):
    """Samples of one prompt with seeds 0..5: the same text alone, in a batch of 3 or of 6, in any order."""
    messages, prefill = chat_prompt(PROMPTS[0], "python")
    requests = [Request(key=f"s{seed}", seed=seed, messages=messages, prefill=prefill) for seed in range(6)]
    sampling = {"temperature": 1.0, "top_p": 0.95, "max_new_tokens": 10}
    texts = {}
    for batch_size in (1, 3, 6):
        generator = HFGenerator(ModelOptions(model=str(tiny_model_dir), batch_size=batch_size))
        for order in (requests, requests[::-1]):
            texts[(batch_size, order[0].key)] = {k: g.text for k, g in run(generator, order, **sampling).items()}
    first = next(iter(texts.values()))
    assert all(found == first for found in texts.values())
    assert len(set(first.values())) > 1  # different seeds, different samples of the same prompt


def test_a_stop_sequence_cuts_its_sequence_and_leaves_the_others(base_generator):
    free = run(base_generator, base_requests(), max_new_tokens=16)
    text = free["task/0"].text
    stop = text[6:9]  # a piece of what the model writes anyway, so it will be met
    assert stop.strip() and text.find(stop) == 6
    stopped = run(base_generator, base_requests(stop=(stop,)), max_new_tokens=16)
    assert stopped["task/0"].text == text[:6]
    assert stopped["task/0"].finish_reason == "stop"
    assert 0 < stopped["task/0"].completion_tokens < 16
    for key, generation in stopped.items():
        if stop not in free[key].text:  # rows that never meet the stop run to the end, unchanged
            assert generation.text == free[key].text and generation.completion_tokens == 16
            assert generation.finish_reason == "length"


def test_eos_ends_a_sequence_and_is_counted_once_without_padding(tiny_base_model_dir):
    generator = HFGenerator(ModelOptions(model=str(tiny_base_model_dir)))
    free = run(generator, base_requests(), max_new_tokens=10)
    tokens = generator.tokenizer(free["task/0"].text, add_special_tokens=False)["input_ids"]
    # Make the model's 4th token of the first answer an eos token: that row then ends there.
    generator.eos_ids = generator.eos_ids | {tokens[3]}
    ended = run(generator, base_requests(), max_new_tokens=10)
    first = ended["task/0"]
    assert first.finish_reason == "stop" and first.completion_tokens == 4
    assert first.text == generator.tokenizer.decode(tokens[:3])
    for key, generation in ended.items():
        assert generation.completion_tokens <= 10
        if generation.finish_reason == "length":
            assert generation.completion_tokens == 10


def test_an_adapter_changes_the_outputs(tiny_model_dir, tiny_adapter_dir, chat_generator):
    adapted = HFGenerator(ModelOptions(model=str(tiny_model_dir), adapter=str(tiny_adapter_dir)))
    assert adapted.info.adapter == str(tiny_adapter_dir) and "peft" in adapted.info.details
    requests = chat_requests(3)
    assert {k: g.text for k, g in run(adapted, requests).items()} != \
        {k: g.text for k, g in run(chat_generator, requests).items()}


def test_a_missing_adapter_is_a_model_error(tiny_model_dir, tmp_path):
    with pytest.raises(ModelError, match="could not load adapter"):
        HFGenerator(ModelOptions(model=str(tiny_model_dir), adapter=str(tmp_path / "no-adapter")))


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU refusal")
@pytest.mark.parametrize("quantization", ["4bit", "8bit"])
def test_quantization_on_cpu_is_refused_before_loading(quantization):
    flags = {"four_bit": quantization == "4bit", "eight_bit": quantization == "8bit"}
    with pytest.raises(ModelError, match=f"--{quantization} needs a CUDA GPU"):
        HFGenerator(ModelOptions(model="/nonexistent/model", **flags))


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the refusal without a GPU")
def test_cuda_without_a_gpu_is_refused(tiny_model_dir):
    with pytest.raises(ModelError, match="no CUDA GPU"):
        HFGenerator(ModelOptions(model=str(tiny_model_dir), device="cuda"))


def test_a_bad_model_path_is_a_model_error_that_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # a hub id is not looked up on the network
    with pytest.raises(ModelError, match="HF_HUB_OFFLINE is set, and .* is not in the local cache: pass a local "
                                         "model directory"):
        HFGenerator(ModelOptions(model=str(tmp_path / "missing")))


def test_a_hub_id_without_a_hub_fails_at_once_naming_the_hub(tmp_path, monkeypatch):
    import time

    from codeforge.models import hub

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there: refused at once
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))  # an empty cache
    hub.hub_answers.cache_clear()
    started = time.monotonic()
    try:
        with pytest.raises(ModelError, match=r"no Hugging Face hub answers from this machine \(http://127.0.0.1:9\)"
                                             r", and someone/some-model is not in the local cache"):
            HFGenerator(ModelOptions(model="someone/some-model"))
    finally:
        hub.hub_answers.cache_clear()
    assert time.monotonic() - started < 10


def test_chat_messages_to_a_base_model_are_refused(base_generator):
    with pytest.raises(ModelError, match="base model"):
        list(base_generator.generate(chat_requests(1), Sampling(max_new_tokens=2)))
