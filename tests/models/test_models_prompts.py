"""Prompts, stop sequences and code extraction: pure text, no model."""

from __future__ import annotations

import pytest

from codeforge.models.prompts import (KEPT_STOPS, base_feedback_prompt, chat_feedback_prompt, chat_prompt,
                                      clean_output, extract_code, stop_sequences, strip_stop)
from codeforge.sandbox.jobs import Language

HUMANEVAL_PROMPT = 'def add(a: int, b: int) -> int:\n    """Add two numbers.\n    >>> add(1, 2)\n    3\n    """\n'
SOLUTION = "def add(a: int, b: int) -> int:\n    return a + b\n"

# --- prompts -------------------------------------------------------------------------------------------------


def test_chat_prompt_is_the_evalplus_instruction_with_an_opened_code_block():
    messages, prefill = chat_prompt(HUMANEVAL_PROMPT, "python")
    assert messages == ({"role": "user", "content":
                         "Please provide a self-contained Python script that solves the following problem in a "
                         "markdown code block:\n```python\n" + HUMANEVAL_PROMPT.rstrip() + "\n```"},)
    assert prefill == ("Below is a Python script with a self-contained function that solves the problem and "
                       "passes corresponding tests:\n```python\n")


@pytest.mark.parametrize("language, name, fence", [("go", "Go", "go"), ("cpp", "C++", "cpp"), ("c", "C", "c"),
                                                   (Language.go, "Go", "go")])
def test_chat_prompt_names_the_language(language, name, fence):
    messages, prefill = chat_prompt("func F() int {\n", language)
    assert f"self-contained {name} script" in messages[0]["content"]
    assert f"```{fence}\nfunc F() int {{\n```" in messages[0]["content"]
    assert prefill.endswith(f"```{fence}\n")


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="rust"):
        chat_prompt("fn main() {}", "rust")


def test_chat_feedback_prompt_shows_the_attempt_then_the_feedback():
    messages, prefill = chat_feedback_prompt(HUMANEVAL_PROMPT, "python", "def add(a, b):\n    return a - b",
                                             "add(1, 2) returned -1, expected 3")
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert messages[0] == chat_prompt(HUMANEVAL_PROMPT, "python")[0][0]
    assert messages[1]["content"] == "```python\ndef add(a, b):\n    return a - b\n```"
    assert messages[2]["content"].startswith("add(1, 2) returned -1, expected 3\n")
    assert "complete corrected Python program in one markdown code block" in messages[2]["content"]
    assert prefill == chat_prompt(HUMANEVAL_PROMPT, "python")[1]


@pytest.mark.parametrize("language, mark", [("python", "#"), ("go", "//"), ("cpp", "//")])
def test_base_feedback_prompt_comments_out_the_attempt_and_ends_with_the_prompt(language, mark):
    text = base_feedback_prompt("PROMPT\n", language, "x = 1\ny = 2\n", "it failed:\nboom")
    assert text.endswith("\n\nPROMPT\n")
    before = text[:-len("PROMPT\n")]
    assert all(line.startswith(mark) for line in before.splitlines() if line)
    assert f"{mark} x = 1\n{mark} y = 2\n" in text and f"{mark} boom\n" in text


# --- stops ---------------------------------------------------------------------------------------------------


def test_python_stops_are_column_zero_and_never_hash_hash_hash():
    stops = stop_sequences("python")
    assert {"\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\nassert ", "\n```"} <= set(stops)
    assert all(stop.startswith("\n") for stop in stops)
    assert "###" not in stops and "\nif" not in stops


def test_python_stop_keeps_the_function_and_its_newline():
    completion = "    return a + b\n\n\ndef test():\n    assert add(1, 2) == 3\n"
    text, cut = strip_stop(completion, stop_sequences("python"))
    assert cut and text == "    return a + b\n\n"
    # Indented code is never a column-0 stop.
    body = "    # a comment\n    if a:\n        print(a)\n    return a\n"
    assert strip_stop(body, stop_sequences("python")) == (body, False)


@pytest.mark.parametrize("language", ["go", "cpp", "c"])
def test_brace_languages_stop_after_the_closing_brace_and_keep_it(language):
    completion = "\tif a > b {\n\t\treturn a\n\t}\n\treturn b\n}\n\nfunc main() {\n\tfmt.Println(Max(1, 2))\n}\n"
    text, cut = strip_stop(completion, stop_sequences(language))
    assert cut and text == "\tif a > b {\n\t\treturn a\n\t}\n\treturn b\n}\n"
    assert "\n}" in KEPT_STOPS


@pytest.mark.parametrize("language, program", [
    ("python", "import math\n\n# a helper\ndef helper(x):\n    return x\n\n\ndef f(x):\n    return helper(x)\n"),
    ("go", "import \"strings\"\n\nfunc helper() int {\n\treturn 1\n}\n\n// F calls helper.\nfunc F() int {\n"
           "\treturn helper()\n}\n"),
    ("cpp", "#include <vector>\nint helper() {\n    return 1;\n}\n// f calls helper\nint f() {\n"
            "    return helper();\n}\n"),
])
def test_whole_program_stops_keep_imports_helpers_and_comments(language, program):
    stops = stop_sequences(language, prompt_opens_function=False)
    tail = {"python": "\nassert f(1) == 1\n", "go": "\nfunc main() {\n}\n", "cpp": "\nint main() {\n}\n"}[language]
    assert strip_stop(program + tail, stops) == (program, True)
    assert strip_stop("\n" + program, stops) == ("\n" + program, False)


def test_strip_stop_takes_the_earliest_stop():
    assert strip_stop("a\nprint(1)\ndef f", ("\ndef ", "\nprint(")) == ("a", True)
    assert strip_stop("abc", ()) == ("abc", False)


# --- extraction ----------------------------------------------------------------------------------------------


def test_prefilled_answer_is_code_up_to_the_closing_fence():
    raw = SOLUTION + "```\n\nThis adds the numbers.\n```python\nprint(add(1, 2))\n```\n"
    assert extract_code(raw, "python", "add", prefilled=True) == SOLUTION


def test_prefilled_answer_without_closing_fence_is_all_code():
    assert extract_code("def add(a, b):\n    return a +", "python", "add", prefilled=True) == \
        "def add(a, b):\n    return a +\n"


def test_prefilled_code_that_does_not_parse_is_still_code():
    raw = "def add(a, b)\n    return a + b\n```\nDone."
    assert extract_code(raw, "python", "add", prefilled=True) == "def add(a, b)\n    return a + b\n"


def test_prefilled_flag_copes_with_an_answer_that_opened_its_own_fence():
    # A server that does not continue the prefill: the model writes prose and its own fences.
    assert extract_code(f"Here is the code:\n```\n{SOLUTION}```\n", "python", "add", prefilled=True) == SOLUTION
    assert extract_code(f"```python\n{SOLUTION}```", "python", "add", prefilled=True) == SOLUTION


def test_fenced_block_is_extracted_with_its_trailing_newline():
    raw = f"Sure! Here you go:\n\n```python\n{SOLUTION}```\n\nIt returns the sum."
    assert extract_code(raw, "python", "add") == SOLUTION


@pytest.mark.parametrize("tag", ["python", "py", "Python", "python3", ""])
def test_python_fence_tags(tag):
    assert extract_code(f"```{tag}\n{SOLUTION}```", "python", "add") == SOLUTION


def test_the_block_that_defines_the_entry_point_wins_over_a_longer_one():
    usage = "".join(f"print(add({i}, {i}))\n" for i in range(20))
    raw = f"```python\n{SOLUTION}```\nUsage:\n```python\n{usage}```\n"
    assert extract_code(raw, "python", "add") == SOLUTION


def test_without_the_entry_point_the_longest_block_wins():
    helper = "def helper(x):\n    return x\n"
    raw = f"```python\nx = 1\n```\n```python\n{helper}```"
    assert extract_code(raw, "python", "missing") == helper


def test_blocks_in_another_language_are_passed_over():
    raw = f"Run it with:\n```bash\npython solution.py --with-a-long-command-line\n```\n```python\n{SOLUTION}```"
    assert extract_code(raw, "python", "add") == SOLUTION


def test_unclosed_block_of_a_cut_off_answer_runs_to_the_end():
    assert extract_code("```python\ndef add(a, b):\n    return a", "python", "add") == \
        "def add(a, b):\n    return a\n"


def test_think_blocks_are_dropped():
    raw = f"<think>\nMaybe:\n```python\ndef add(a, b):\n    return 0\n```\n</think>\n```python\n{SOLUTION}```"
    assert extract_code(raw, "python", "add") == SOLUTION
    # The template opened the reasoning; the output holds only its end.
    assert extract_code(f"thinking...\n</think>\n```python\n{SOLUTION}```", "python", "add") == SOLUTION
    # Reasoning that never ended holds no answer.
    assert extract_code(f"<think>\n```python\n{SOLUTION}```\nhmm", "python", "add") is None


@pytest.mark.parametrize("token", ["<|endoftext|>", "<|im_end|>", "<|file_sep|>"])
def test_leaked_special_tokens_end_the_answer(token):
    raw = f"```python\n{SOLUTION}```{token}\n```python\ndef add(a, b):\n    return 'another document'\n```"
    assert extract_code(raw, "python", "add") == SOLUTION
    assert extract_code(f"{SOLUTION}{token}garbage", "python", "add", prefilled=True) == SOLUTION


def test_special_tokens_are_removed_and_a_leading_end_token_is_skipped():
    assert clean_output("<|im_end|>\nabc<|fim_middle|>def") == "\nabcdef"


def test_unfenced_python_is_code_when_it_parses_and_defines_something():
    assert extract_code(SOLUTION.rstrip("\n"), "python", "add") == SOLUTION
    assert extract_code("I cannot solve this problem.", "python", "add") is None
    assert extract_code("Hello", "python", "add") is None  # parses (a name), defines nothing


@pytest.mark.parametrize("raw", ["", "   \n", "```python\n```", "<think>only thoughts</think>"])
def test_no_code_gives_none(raw):
    assert extract_code(raw, "python", "add") is None
    assert extract_code(raw, "python", "add", prefilled=True) is None


GO = "func Max(a int, b int) int {\n\tif a > b {\n\t\treturn a\n\t}\n\treturn b\n}\n"
CPP = "#include <vector>\nint max_of(int a, int b) {\n    return a > b ? a : b;\n}\n"


def test_go_extraction_prefers_the_block_that_defines_the_function():
    main = "func main() {\n\tfmt.Println(Max(1, 2))\n\tfmt.Println(Max(3, 4))\n\tfmt.Println(Max(5, 6))\n}\n"
    raw = f"```go\n{GO}```\nand\n```go\n{main}```"
    assert extract_code(raw, "go", "Max") == GO
    assert extract_code(f"```golang\n{GO}```", "go", "Max") == GO
    assert extract_code(GO + "```", "go", "Max", prefilled=True) == GO


def test_cpp_extraction_tells_a_definition_from_a_declaration():
    declaration = "int max_of(int a, int b);\nint main() {\n    return max_of(1, 2) + max_of(3, 4) + max_of(5, 6);\n}\n"
    raw = f"```cpp\n{declaration}```\n```c++\n{CPP}```"
    assert extract_code(raw, "cpp", "max_of") == CPP


def test_unfenced_go_and_cpp_need_the_entry_point():
    assert extract_code(GO, "go", "Max") == GO
    assert extract_code(CPP, "cpp", "max_of") == CPP
    assert extract_code("I would use a loop.", "go", "Max") is None
