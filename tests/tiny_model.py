"""A tiny causal LM that tests build themselves: this machine (and CI) has no model hub.

`build_tiny_model` writes a directory that `AutoTokenizer` / `AutoModelForCausalLM` load like a hub model: a
2-layer Qwen2 with random weights and a byte-level BPE tokenizer trained on a few lines of code, with a
Qwen-style chat template. It generates deterministic nonsense, which is all the backends need to be tested.

Import it from any test as `from tests.tiny_model import build_tiny_model` (the repository root is on
sys.path through the editable install) or, like the other helpers, `from tiny_model import ...`.
"""

from __future__ import annotations

from pathlib import Path

CORPUS = [
    "def add(a, b):\n    return a + b\n",
    "def is_even(n: int) -> bool:\n    \"\"\"Return True when n is even.\"\"\"\n    return n % 2 == 0\n",
    "from typing import List\n\n\ndef total(xs: List[int]) -> int:\n    s = 0\n    for x in xs:\n        s += x\n"
    "    return s\n",
    "class Stack:\n    def __init__(self):\n        self.items = []\n\n    def push(self, x):\n"
    "        self.items.append(x)\n",
    "if __name__ == \"__main__\":\n    print(add(1, 2))\n    assert is_even(4)\n",
    "func Add(a int, b int) int {\n\treturn a + b\n}\n",
    "package main\n\nimport (\n\t\"strings\"\n)\n\nfunc Upper(s string) string {\n"
    "\treturn strings.ToUpper(s)\n}\n",
    "#include <vector>\nusing namespace std;\nint sum(vector<int> xs){\n    int s = 0;\n"
    "    for (int x : xs) s += x;\n    return s;\n}\n",
    "Please provide a self-contained Python script that solves the following problem in a markdown code block:",
    "Below is a Python script with a self-contained function that solves the problem and passes corresponding "
    "tests:\n```python\n",
    "You are a helpful assistant. The program failed the tests. Return the complete corrected program.",
]

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|file_sep|>"]

# The shape of Qwen2.5's template, without tools: a default system turn, then <|im_start|>role\n...<|im_end|>.
CHAT_TEMPLATE = (
    "{% if messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}"
    "{% endif %}"
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def _train_tokenizer(vocab_size: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),  # every byte encodes: no unknown token
        show_progress=False,
    )
    tokenizer.train_from_iterator(CORPUS, trainer=trainer)
    return tokenizer


def build_tiny_model(path: Path, chat: bool = True, *, hidden_size: int = 64, layers: int = 2,
                     vocab_size: int = 512, seed: int = 0, pad_token: str = "<|endoftext|>") -> Path:
    """Write a tiny Qwen2ForCausalLM and its tokenizer to `path`; same arguments, same weights.

    chat=True gives the tokenizer a chat template (an "instruct" model, eos `<|im_end|>`); chat=False gives
    none (a "base" model, eos `<|endoftext|>`). `<|endoftext|>` is the pad token in both, as in Qwen. The
    pad token's embedding starts at zero and gets no gradient, and the output layer shares it: a base model
    that is to learn when to stop (fine-tuning tests) needs another `pad_token`, e.g. `<|file_sep|>`.
    """
    import torch
    from transformers import GenerationConfig, PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    eos = "<|im_end|>" if chat else "<|endoftext|>"
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=_train_tokenizer(vocab_size),
        eos_token=eos,
        pad_token=pad_token,
        additional_special_tokens=[t for t in SPECIAL_TOKENS if t not in (eos, pad_token)],
    )
    if chat:
        tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(path)

    ids = {token: tokenizer.convert_tokens_to_ids(token) for token in SPECIAL_TOKENS}
    eos_ids = [ids["<|im_end|>"], ids["<|endoftext|>"]] if chat else [ids["<|endoftext|>"]]
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        tie_word_embeddings=True,
        bos_token_id=ids["<|endoftext|>"],
        eos_token_id=eos_ids[0],
        pad_token_id=ids[pad_token],
        # Random weights with the usual 0.02 give almost flat logits, so greedy picks would hinge on float
        # rounding; larger weights make them clear-cut, and tests about greedy decoding stable.
        initializer_range=0.5,
    )
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(config)
    model.generation_config = GenerationConfig(
        bos_token_id=ids["<|endoftext|>"], eos_token_id=eos_ids, pad_token_id=ids[pad_token]
    )
    model.save_pretrained(path)
    return path


def build_tiny_adapter(model_dir: Path, path: Path, *, seed: int = 1) -> Path:
    """Write a LoRA adapter for the tiny model whose B matrices are non-zero, so it changes the outputs
    (peft initialises B to zero: a fresh adapter is a no-op)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    peft_model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules="all-linear"))
    with torch.no_grad():
        for name, param in peft_model.named_parameters():
            if "lora_B" in name:
                param.normal_(std=1.0)
    peft_model.save_pretrained(path)
    return Path(path)


def build_tiny_bert(path: Path, *, hidden_size: int = 32, layers: int = 2, seed: int = 0) -> Path:
    """Write a tiny BertModel with random weights and a WordPiece tokenizer (vocab.txt) over the characters and
    words of CORPUS to `path`: what bert-score loads with `--bertscore-model path` (no hub here)."""
    import re

    import torch
    from transformers import BertConfig, BertModel, BertTokenizer

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    words = sorted({w.lower() for line in CORPUS for w in re.findall(r"\w+|[^\w\s]", line)})
    characters = sorted({c.lower() for line in CORPUS for c in line if not c.isspace()})
    vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *dict.fromkeys(
        [*words, *characters, *(f"##{c}" for c in characters)])]
    (path / "vocab.txt").write_text("\n".join(vocabulary) + "\n", encoding="utf-8")
    BertTokenizer(str(path / "vocab.txt"), model_max_length=512).save_pretrained(path)
    torch.manual_seed(seed)
    BertModel(BertConfig(vocab_size=len(vocabulary), hidden_size=hidden_size, num_hidden_layers=layers,
                         num_attention_heads=2, intermediate_size=hidden_size * 2, max_position_embeddings=512)
              ).save_pretrained(path)
    return path
