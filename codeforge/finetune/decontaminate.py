"""Decontamination: training rows that contain a benchmark's text are dropped before fine-tuning.

    index = Index.from_benchmarks()
    kept, dropped = split(rows, index, text_of=lambda row: row["text"])

Two checks, as the code-model papers run them, both on normalised text:
- BigCode's (StarCoder): a benchmark docstring or canonical solution appears in the row as a whole;
- Qwen2.5-Coder's: the row shares a 10-gram with a benchmark's prompt, solution or tests.

Normalised text is a list of tokens, in one of three views: Python code (`tokenize`), Go/C++ code (a regex
lexer) and words (lower-cased, punctuation dropped). In the code views comments are dropped, string literals are
lower-cased, and every name that is not a keyword, a builtin or an attribute becomes one placeholder, so a copy
with renamed functions and variables, or with comments added, normalises to the benchmark's own tokens. A row is
looked at in every view, as nobody says which language a training row is in. The words view holds each
benchmark's docstring, so that a docstring pasted into a row is caught whether the row is code or prose, and its
solution verbatim, as a short solution is specific by its names alone.

Only the test split of MBPP (tasks 11-510) is a benchmark: its other splits are training data.
"""

from __future__ import annotations

import builtins
import io
import keyword
import re
import tokenize
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Optional, Sequence, TypeVar

# The shipped ones (mbpp-sanitized is MBPP's tasks; go-unittest is humaneval-x-go's solutions and tests)
BENCHMARKS = ("humaneval", "humaneval+", "mbpp", "humaneval-x-go", "humaneval-x-cpp")
MBPP_TEST_SPLIT = range(11, 511)  # task numbers of MBPP's test split (Austin et al. 2021); the rest train on

N = 10  # Qwen2.5-Coder's n-gram length, in words: for code, the tokens that are not punctuation
# Boilerplate is what many benchmark items share (`for _ in range ( len ( _ ) )`, "write a python function to").
# A token is rare when at most RARE_SHARE of the indexed tasks hold it; a 10-gram counts only with MIN_RARE
# distinct rare tokens in it. Measured on the 374 solutions of MBPP's train split: with "5 distinct tokens
# other than placeholders and punctuation" instead, 17 were flagged against HumanEval for loops alone
# (`_ = 0 for _ in range ( 1`); with this rule one is, a true overlap (tests/finetune/test_decontaminate.py).
RARE_SHARE = 0.02
MIN_RARE = 2
# A benchmark piece (a docstring, a canonical solution) is checked as a whole only when its tokens other than
# placeholders and punctuation make at least this many characters: shorter ones (`def _ ( _ , _ ) : if _ in _ :
# return True else : return False`) are code any program may hold and say nothing about where it came from.
# At 40, no MBPP train solution matches a HumanEval piece whole, and those that match an MBPP test solution
# whole are the same task (the splits hold duplicates).
MIN_PIECE_CHARS = 40
ANCHOR = 6  # tokens a piece is first looked up by, before it is compared in full
EVIDENCE_CHARS = 120

PLACEHOLDER = "_"
T = TypeVar("T")


@dataclass(frozen=True)
class Match:
    benchmark: str  # e.g. "humaneval"
    task_id: str  # e.g. "HumanEval/0"
    how: str  # "substring" (BigCode's check) or "10-gram" (Qwen2.5-Coder's)
    evidence: str  # the matched text (normalised), cut to ~120 chars, for the report


# -- normalising ----------------------------------------------------------------------------------------------

_PYTHON_KEPT = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(dir(builtins))
# The regex lexer for Python: what `tokenize` gives for code it can read, for text it cannot (a fragment, code
# inside prose). Longest operators first, as `tokenize` matches them.
_PYTHON_TOKEN = re.compile(r"""
    (?P<comment>\#[^\r\n]*|\\\r?\n)
  | (?P<string>(?:[rRbBuUfF]{1,2})?(?:'''(?:\\.|[^\\])*?'''|\"\"\"(?:\\.|[^\\])*?\"\"\"
                                  |'(?:\\.|[^'\\\r\n])*'|"(?:\\.|[^"\\\r\n])*"))
  | (?P<name>[^\W\d]\w*)
  | (?P<number>0[xXoObB][\w]+|(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?[jJ]?)
  | (?P<op>\*\*=|//=|>>=|<<=|\.\.\.|->|:=|\*\*|//|<<|>>|<=|>=|==|!=|[-+*/%&|^@]=|[^\s\w])
""", re.X | re.S)

_C_KEPT = frozenset("""
    break case chan const continue default defer else fallthrough for func go goto if import interface map
    package range return select struct switch type var bool byte complex64 complex128 error float32 float64 int
    int8 int16 int32 int64 rune string uint uint8 uint16 uint32 uint64 uintptr true false iota nil append cap
    close complex copy delete imag len make new panic print println real recover fmt math strings strconv sort
    unicode auto char class do double enum extern float inline long namespace nullptr private public short
    signed sizeof static template this typedef typename unsigned using void while include define std vector
    set pair unordered_map unordered_set stack queue deque priority_queue abs max min swap pow sqrt floor ceil
    printf cout endl to_string stoi atoi isalpha isdigit isupper islower tolower toupper strlen
""".split())
_C_TOKEN = re.compile(r"""
    (?P<comment>//[^\r\n]*|/\*.*?\*/)
  | (?P<string>"(?:\\.|[^"\\\r\n])*"|`[^`]*`|'(?:\\.|[^'\\\r\n])*')
  | (?P<name>[^\W\d]\w*)
  | (?P<number>\d[\w.]*)
  | (?P<op><<=|>>=|&\^=|\.\.\.|&&|\|\||<-|\+\+|--|==|!=|<=|>=|:=|->|::|<<|>>|&\^|[-+*/%&|^]=|[^\s\w])
""", re.X | re.S)
_STRING_BODY = re.compile(r"""^[a-zA-Z]{0,2}('''|\"\"\"|'|"|`)(.*)\1$""", re.S)
_WORD = re.compile(r"\w+")


def python_tokens(text: str) -> list[str]:
    """`text` as Python tokens, normalised; by `tokenize` where it reads the text, else by the regex lexer."""
    try:
        raw = [(kind, string) for kind, string, *_ in tokenize.generate_tokens(io.StringIO(text).readline)]
    except (tokenize.TokenError, SyntaxError):
        return _lex(_PYTHON_TOKEN, text, _PYTHON_KEPT)
    if any(kind == tokenize.ERRORTOKEN and string.strip() for kind, string in raw):
        return _lex(_PYTHON_TOKEN, text, _PYTHON_KEPT)
    kinds = {tokenize.NAME: "name", tokenize.STRING: "string", tokenize.NUMBER: "number", tokenize.OP: "op"}
    return _normalise(((kinds[kind], string) for kind, string in raw if kind in kinds), _PYTHON_KEPT)


def c_tokens(text: str) -> list[str]:
    """`text` as Go or C++ tokens, normalised (one lexer and one keyword set serve both)."""
    return _lex(_C_TOKEN, text, _C_KEPT)


def words(text: str) -> list[str]:
    """`text` as prose: its lower-cased words, punctuation and layout dropped."""
    return _WORD.findall(text.lower())


def _lex(pattern: re.Pattern, text: str, kept: frozenset) -> list[str]:
    found = ((match.lastgroup, match.group()) for match in pattern.finditer(text))
    return _normalise(((kind, string) for kind, string in found if kind != "comment"), kept)


def _normalise(tokens: Iterable[tuple[str, str]], kept: frozenset) -> list[str]:
    out: list[str] = []
    for kind, string in tokens:
        if kind == "name":
            # An attribute is a library's name (`.append`, `math.sqrt`) more often than the program's own.
            attribute = bool(out) and out[-1] in (".", "->", "::")
            out.append(string if string in kept or attribute else PLACEHOLDER)
        elif kind == "string":
            body = _STRING_BODY.match(string)
            out.append('"' + " ".join((body.group(2) if body else string).lower().split()) + '"')
        elif kind == "number":
            out.append(string.lower())
        else:
            out.append(string)
    return out


def c_prose(text: str) -> str:
    """The natural language of Go or C++ source: its comments."""
    return " ".join(match.group() for match in _C_TOKEN.finditer(text) if match.lastgroup == "comment")


# -- the index ------------------------------------------------------------------------------------------------

VIEWS = {"python": python_tokens, "c": c_tokens, "words": words}


@dataclass(frozen=True)
class _Text:
    """One benchmark text in one view; `whole`: also looked for as a whole (BigCode's check)."""

    view: str
    benchmark: str
    task_id: str
    tokens: list[str]
    whole: bool


def _is_word(token: str) -> bool:
    return token[0].isalnum() or token[0] in "_\"`'"


def _is_content(token: str) -> bool:
    return token != PLACEHOLDER and _is_word(token)


def _hashes(tokens: Sequence[str], n: int) -> Iterator[tuple[int, int]]:
    """(position, hash) of every n-gram of `tokens`."""
    for start in range(len(tokens) - n + 1):
        yield start, hash(tuple(tokens[start:start + n]))


class Index:
    """What training text must not contain, built once from the benchmarks' prompts, docstrings, tests and
    canonical solutions."""

    def __init__(self, texts: Iterable[_Text] = ()) -> None:
        self._grams: dict[str, dict[int, tuple[str, str]]] = {view: {} for view in VIEWS}
        # view -> hash of a piece's first ANCHOR tokens -> [(tokens, benchmark, task_id)]
        self._pieces: dict[str, dict[int, list[tuple[tuple[str, ...], str, str]]]] = {view: {} for view in VIEWS}
        texts = list(texts)
        for view in VIEWS:
            self._add(view, [text for text in texts if text.view == view])

    @classmethod
    def from_benchmarks(cls, names: Sequence[str] = BENCHMARKS) -> "Index":
        seen: dict[tuple[str, str], list[str]] = {}  # HumanEval+ repeats HumanEval's prompts and tests

        def tokens_of(view: str, text: str) -> list[str]:
            if (view, text) not in seen:
                seen[view, text] = VIEWS[view](text)
            return seen[view, text]

        return cls(text for name in names for task in _benchmark_tasks(name)
                   for text in _task_texts(name, task, tokens_of))

    @classmethod
    def from_texts(cls, items: Iterable[tuple[str, str, str]]) -> "Index":
        """Each (benchmark, task_id, text) in every view, as a whole and as 10-grams."""
        return cls(_Text(view, benchmark, task_id, tokens_of(text), True)
                   for benchmark, task_id, text in items for view, tokens_of in VIEWS.items())

    def match(self, text: str) -> Optional[Match]:
        """The first benchmark text found in `text` (a whole piece before a 10-gram), else None."""
        views = {view: tokens_of(text) for view, tokens_of in VIEWS.items()}
        for view, tokens in views.items():
            pieces = self._pieces[view]
            for start, key in _hashes(tokens, ANCHOR):
                for piece, benchmark, task_id in pieces.get(key, ()):
                    if tuple(tokens[start:start + len(piece)]) == piece:
                        return Match(benchmark, task_id, "substring", _evidence(piece))
        for view, tokens in views.items():
            grams, found = self._grams[view], [token for token in tokens if _is_word(token)]
            for start, key in _hashes(found, N):
                if key in grams:
                    benchmark, task_id = grams[key]
                    return Match(benchmark, task_id, "10-gram", _evidence(found[start:start + N]))
        return None

    def __len__(self) -> int:
        """The number of 10-grams indexed."""
        return sum(len(grams) for grams in self._grams.values())

    def _add(self, view: str, texts: list[_Text]) -> None:
        # Tasks, not texts, are counted: HumanEval+ repeats HumanEval's tasks under the same ids.
        holders: dict[str, set[str]] = {}
        for text in texts:
            for token in text.tokens:
                holders.setdefault(token, set()).add(text.task_id)
        tasks = len({text.task_id for text in texts})
        rare = {token for token, ids in holders.items() if len(ids) <= max(1, RARE_SHARE * tasks)
                and _is_content(token)}
        grams, pieces = self._grams[view], self._pieces[view]
        for text in texts:
            if text.whole and len(text.tokens) >= ANCHOR and \
                    len(" ".join(token for token in text.tokens if _is_content(token))) >= MIN_PIECE_CHARS:
                pieces.setdefault(hash(tuple(text.tokens[:ANCHOR])), []).append(
                    (tuple(text.tokens), text.benchmark, text.task_id))
            found = [token for token in text.tokens if _is_word(token)]
            flags = [token in rare for token in found]
            for start in range(len(found) - N + 1):
                if sum(flags[start:start + N]) < MIN_RARE:
                    continue
                gram = tuple(found[start:start + N])
                if len({token for token in gram if token in rare}) >= MIN_RARE:
                    grams.setdefault(hash(gram), (text.benchmark, text.task_id))


def _task_texts(benchmark: str, task, tokens_of: Callable[[str, str], list[str]]) -> Iterator[_Text]:
    """A task's prompt, canonical solution and tests in its language's view (the solution also as a whole),
    and its docstring in the prose view (also as a whole)."""
    at = task.reference.find(task.prompt)  # HumanEval-X C++ puts includes before the prompt
    solution = task.reference[at + len(task.prompt):] if task.prompt and at >= 0 else task.reference
    if task.language.value == "python":
        view = "python"
        prose = " ".join(token[1:-1] for token in tokens_of(view, task.prompt) if token.startswith('"'))
    else:
        view, prose = "c", c_prose(task.prompt)
    yield _Text(view, benchmark, task.task_id, tokens_of(view, solution), True)
    for code in (task.prompt, getattr(task, "test", ""), "\n".join(getattr(task, "tests", ()))):
        yield _Text(view, benchmark, task.task_id, tokens_of(view, code), False)
    yield _Text("words", benchmark, task.task_id, tokens_of("words", prose), True)
    # Verbatim, names and all: what makes a short solution (`return sum([x for x in arr if arr.count(x) > 1])`)
    # specific is its names, which the code view drops.
    yield _Text("words", benchmark, task.task_id, tokens_of("words", solution), True)


def _evidence(tokens: Sequence[str]) -> str:
    text = " ".join(tokens)
    return text if len(text) <= EVIDENCE_CHARS else text[:EVIDENCE_CHARS - 3] + "..."


def _benchmark_tasks(name: str) -> list:
    from ..tasks import load_tasks

    tasks = load_tasks(name)
    if name == "mbpp":
        return [task for task in tasks if int(task.task_id.split("/")[1]) in MBPP_TEST_SPLIT]
    return tasks


def split(rows: Sequence[T], index: Index, text_of: Callable[[T], str]) -> tuple[list[T], list[tuple[T, Match]]]:
    """(kept, dropped with why), order kept."""
    kept: list[T] = []
    dropped: list[tuple[T, Match]] = []
    for row in rows:
        found = index.match(text_of(row))
        if found is None:
            kept.append(row)
        else:
            dropped.append((row, found))
    return kept, dropped
