"""Prompts for chat and base models, stop sequences, and getting code back out of an answer.

Pure text functions (no torch), shared by every backend and by the bench. `language` is one of python, go,
cpp, c (a plain str or codeforge.sandbox.jobs.Language).

Chat models get the evalplus instruction and a *prefill*: the assistant's answer is started for them and ends
in an opened code block, so the continuation is code up to the closing fence. Base models continue the task's
prompt and are cut at stop sequences. Both choices move HumanEval scores by points, so a run records them.
"""

from __future__ import annotations

import ast
import re
from typing import Optional, Sequence

LANGUAGE_NAMES = {"python": "Python", "go": "Go", "cpp": "C++", "c": "C"}
FENCE_TAGS = {"python": "python", "go": "go", "cpp": "cpp", "c": "c"}
# Fence tags a model may write for each language; "" is an untagged fence.
ACCEPTED_TAGS = {
    "python": {"python", "py", "python3", ""},
    "go": {"go", "golang", ""},
    "cpp": {"cpp", "c++", "cc", "cxx", "c", ""},
    "c": {"c", "cpp", "c++", ""},
}
COMMENT = {"python": "#", "go": "//", "cpp": "//", "c": "//"}

# After a prefill the answer is code up to the closing fence: backends that continue the prefill stop there.
PREFILL_STOP = "\n```"

# Stops whose text is kept: a column-0 closing brace ends a Go / C / C++ function that the prompt opened,
# and the program needs that brace (see `strip_stop`).
KEPT_STOPS = ("\n}",)

_STOPS = {
    # Column-0 starts of top-level code that is not the function being completed. A column-0 comment inside a
    # function body is legal Python but rare in model output; stopping at "\n#" keeps base models from
    # rambling into example usage. None of these cuts any of HumanEval's 164 canonical solutions. No bare
    # "\nif" and never "###": both have cut real answers in other harnesses (docs/evaluation-notes.md).
    "python": ("\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\n#", "\nassert ", '\n"""', "\n```"),
    # gofmt indents everything inside a function, so the first column-0 "}" closes the function the prompt
    # opened: stop there and keep the brace. The other stops only end output after the function (a server
    # that cannot keep the brace is sent these only).
    "go": ("\n}", "\nfunc main", "\nfunc Test", "\n//", "\n```"),
    "cpp": ("\n}", "\nint main", "\n#", "\n//", "\n/*", "\n```"),
    "c": ("\n}", "\nint main", "\n#", "\n//", "\n/*", "\n```"),
}

# For prompts after which the model writes the whole program.
_PROGRAM_STOPS = {
    "python": ("\nif __name__", "\nprint(", "\nassert ", "\n```"),
    "go": ("\nfunc main", "\nfunc Test", "\n```"),
    "cpp": ("\nint main", "\n```"),
    "c": ("\nint main", "\n```"),
}

# Special tokens that end a document: what follows them is not the answer.
_END_TOKENS = re.compile(r"<\|(?:endoftext|im_end|file_sep|eot_id|end_of_text|end|EOT)\|>|</s>|<end_of_turn>|<eos>")
_OTHER_SPECIAL = re.compile(r"<\|[A-Za-z0-9_]+\|>")
_FENCE_LINE = re.compile(r"^[ \t]*```[ \t]*([^\s`]*)[^\n]*$", re.MULTILINE)


def _lang(language) -> str:
    name = getattr(language, "value", language)
    if name not in LANGUAGE_NAMES:
        # untranslated: internal, the languages come from the Language enum
        raise ValueError(f"unknown language {name!r}: expected one of {', '.join(LANGUAGE_NAMES)}")
    return name


def _instruction(prompt: str, lang: str) -> str:
    body = prompt.strip("\n").rstrip()  # keeps the first line's indentation, drops blank ends
    return (f"Please provide a self-contained {LANGUAGE_NAMES[lang]} script that solves the following problem "
            f"in a markdown code block:\n```{FENCE_TAGS[lang]}\n{body}\n```")


def _prefill(lang: str) -> str:
    return (f"Below is a {LANGUAGE_NAMES[lang]} script with a self-contained function that solves the problem "
            f"and passes corresponding tests:\n```{FENCE_TAGS[lang]}\n")


def chat_prompt(prompt: str, language, ask=None) -> tuple[tuple[dict, ...], str]:
    """(messages, prefill) for an instruct model: the evalplus instruction, and an answer opened for it; or the
    task's own wording, `ask` (a codeforge.tasks.Ask: its request and prefill)."""
    lang = _lang(language)
    if ask is not None:
        return ({"role": "user", "content": ask.request},), ask.prefill
    return ({"role": "user", "content": _instruction(prompt, lang)},), _prefill(lang)


def chat_feedback_prompt(prompt: str, language, code: str, feedback: str, ask=None) -> tuple[tuple[dict, ...], str]:
    """The conversation for another round: the request, the previous answer, and what went wrong with it."""
    lang = _lang(language)
    fence = FENCE_TAGS[lang]
    fix = ask.fix if ask is not None else (f"Fix the program. Return the complete corrected {LANGUAGE_NAMES[lang]} "
                                           f"program in one markdown code block.")
    messages = (
        chat_prompt(prompt, lang, ask)[0][0],
        {"role": "assistant", "content": f"```{fence}\n{_with_newline(code)}```"},
        {"role": "user", "content": f"{feedback.strip()}\n\n{fix}"},
    )
    return messages, (ask.prefill if ask is not None else _prefill(lang))


def base_feedback_prompt(prompt: str, language, code: str, feedback: str) -> str:
    """A base model's prompt for another round: the failed attempt and the feedback as comments, then the
    original prompt again for the model to continue."""
    lang = _lang(language)
    mark = COMMENT[lang]

    def commented(text: str) -> str:
        return "".join(f"{mark} {line}".rstrip() + "\n" for line in text.rstrip("\n").splitlines())

    return (f"{mark} A previous attempt at this problem:\n{commented(code)}"
            f"{mark} It was wrong:\n{commented(feedback)}"
            f"{mark} A corrected version:\n\n{prompt}")


# For prompts after which the model writes a test file (go-unittest): it ends where another file would start.
_TEST_STOPS = {
    "python": ("\nif __name__", "\n```"),
    "go": ("\npackage ", "\nfunc main", "\n```"),
    "cpp": ("\nint main", "\n```"),
    "c": ("\nint main", "\n```"),
}


def stop_sequences(language, *, prompt_opens_function: bool = True, answer: str = "program") -> tuple[str, ...]:
    """Stops for base mode.

    For prompts that open the function (HumanEval: signature + docstring), Python stops at column-0 code that
    starts something else, and Go / C / C++ stop at the column-0 "}" that closes the function and keep it
    (`KEPT_STOPS`), as MultiPL-E does. The price, as for Python's "\\ndef ": a helper function written after
    the main one is cut off (1 of HumanEval-X's 164 canonical Go solutions, Go/72, is written that way).

    prompt_opens_function=False is for prompts after which the model writes the whole program (MBPP: a
    docstring and a test): imports, helpers and comments at column 0 are then part of the answer, so only
    what follows a program (a main, tests, a closing fence) stops it. answer="test": the model writes a test
    file (go-unittest), which only another file, a main or a closing fence ends.
    """
    lang = _lang(language)
    if answer == "test":  # a test file: its Test functions are the answer, so "\nfunc Test" must not stop it
        return _TEST_STOPS[lang]
    return _STOPS[lang] if prompt_opens_function else _PROGRAM_STOPS[lang]


def strip_stop(text: str, stops: Sequence[str]) -> tuple[str, bool]:
    """Cut `text` at the earliest stop; (text, whether a stop was found).

    A kept stop ("\\n}") stays in the text with a newline after it, because the brace closes the function.
    """
    best: Optional[tuple[int, str]] = None
    for stop in stops:
        at = text.find(stop) if stop else -1
        if at >= 0 and (best is None or at < best[0]):
            best = (at, stop)
    if best is None:
        return text, False
    at, stop = best
    if stop in KEPT_STOPS:
        return text[:at] + stop + "\n", True
    return text[:at], True


def _with_newline(code: str) -> str:
    return code if code.endswith("\n") else code + "\n"


def clean_output(raw: str) -> str:
    """Drop reasoning (<think>...</think>) and special tokens that leaked into a decoded answer."""
    # A leading end token is a stray from the template; a later one ends the answer (a new document follows).
    text = re.sub(rf"^(?:\s*(?:{_END_TOKENS.pattern}))+", "", raw)
    text = _END_TOKENS.split(text, maxsplit=1)[0]
    text = re.sub(r"<think>.*?</think>", "", text, flags=re.DOTALL)
    if "</think>" in text:  # the template opened the reasoning; the output holds only its end
        text = text.rsplit("</think>", 1)[1]
    if text.lstrip().startswith("<think>"):  # reasoning that never ended: no answer follows it
        return ""
    return _OTHER_SPECIAL.sub("", text)


def _fenced_blocks(text: str) -> list[tuple[str, str]]:
    """(tag, body) of every fenced block; an unclosed last block (a cut-off answer) runs to the end."""
    blocks = []
    fences = list(_FENCE_LINE.finditer(text))
    i = 0
    while i < len(fences):
        opener = fences[i]
        start = opener.end() + 1
        if i + 1 < len(fences):
            closer = fences[i + 1]
            blocks.append((opener.group(1).lower(), text[start:closer.start()]))
            i += 2
        else:
            blocks.append((opener.group(1).lower(), text[start:]))
            i += 1
    return [(tag, body) for tag, body in blocks if body.strip()]


_DECLARES_TESTS = {
    "python": re.compile(r"^\s*def\s+test\w*\s*\(", re.M),
    "go": re.compile(r"^func\s+Test\w*\s*\(\s*\w+\s+\*testing\.T\s*\)", re.M),
    "cpp": re.compile(r"\bTEST(?:_F)?\s*\("),
    "c": re.compile(r"\bTEST(?:_F)?\s*\("),
}


def _defines(code: str, lang: str, entry_point: str, answer: str = "program") -> bool:
    if answer == "test":
        return _DECLARES_TESTS[lang].search(code) is not None
    if not entry_point:
        return False
    name = re.escape(entry_point)
    if lang == "python":
        return re.search(rf"^\s*(?:async\s+)?def\s+{name}\s*\(", code, re.MULTILINE) is not None
    if lang == "go":
        return re.search(rf"\bfunc\s+(?:\([^)]*\)\s*)?{name}\s*\(", code) is not None
    # C / C++: the name, its parameter list, then a body (a declaration ends in ";" instead)
    return re.search(rf"\b{name}\s*\([^;{{}}]*\)\s*(?:const\s*)?\{{", code) is not None


def _looks_like_code(text: str, lang: str, entry_point: str, answer: str = "program") -> bool:
    if answer == "test":
        return _defines(text, lang, entry_point, answer)
    if lang == "python":
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            return False
        # A bare expression parses too ("Hello"): code defines, assigns or imports something.
        return any(isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Assign,
                                     ast.AnnAssign, ast.Import, ast.ImportFrom)) for node in tree.body)
    return bool(entry_point) and re.search(rf"\b{re.escape(entry_point)}\b", text) is not None


def extract_code(raw: str, language, entry_point: str = "", prefilled: bool = False,
                 answer: str = "program") -> Optional[str]:
    """The program in a model's answer, with its trailing newline; None when the answer holds no code.

    prefilled: the answer continues a prefill that opened a code block, so it is code up to the first
    closing fence. When that text does not look like code (a server that ignored the prefill and wrote
    its own fences), the answer is read as a plain answer instead.
    answer="test": the answer is a test file (a task's Ask says so): of several blocks, the longest that
    declares tests is taken, not one that repeats the function under test.
    """
    lang = _lang(language)
    text = clean_output(raw)
    if prefilled:
        first = _FENCE_LINE.search(text)
        code = text[:first.start()] if first else text
        if first is None:  # no closing fence: all of it is code (perhaps cut off at the length limit)
            return _with_newline(code) if code.strip() else None
        # "```python" opens a block rather than closing one, and a line of prose before a bare fence
        # ("Here is the code:") is not code: either way the model wrote its own fences (a server that
        # ignored the prefill), so read it as a plain answer. Code that does not parse is still code:
        # its indented lines give it away, and the sandbox reports its syntax error.
        indented = any(line[:1] in (" ", "\t") for line in code.splitlines() if line.strip())
        if first.group(1) == "" and code.strip() and (indented or _looks_like_code(code, lang, entry_point, answer)):
            return _with_newline(code)
    blocks = _fenced_blocks(text)
    if blocks:
        ours = [body for tag, body in blocks if tag in ACCEPTED_TAGS[lang]] or [body for _, body in blocks]
        defining = [body for body in ours if _defines(body, lang, entry_point, answer)]
        return _with_newline(max(defining or ours, key=len))
    if text.strip() and _looks_like_code(text, lang, entry_point, answer):
        return _with_newline(text)
    return None
