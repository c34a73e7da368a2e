"""Program text as the pages show it: highlighted by pygments (classes, with their stylesheet served from
static/), and diffs by difflib. Everything returned is escaped markup: a program holding `<script>` shows it."""

from __future__ import annotations

import difflib
from functools import lru_cache
from typing import Optional

from markupsafe import Markup, escape

STYLE = "default"


def language_of(dataset: str) -> str:
    """The pygments lexer for a dataset's programs, from its name (humaneval-x-go, cpp, ...; else Python)."""
    name = dataset.lower()
    if "cpp" in name or "c++" in name:
        return "cpp"
    if "go" in name.replace("google", ""):
        return "go"
    if name.endswith("-c") or ":c" in name:
        return "c"
    return "python"


@lru_cache(maxsize=8)
def _formatter():
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(style=STYLE, cssclass="code", nowrap=False)


def highlight(code: str, language: str) -> Markup:
    """The program with its syntax highlighted (pygments escapes every character of it)."""
    from pygments import highlight as pygmentize
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        lexer = get_lexer_by_name(language)
    except ClassNotFound:
        lexer = get_lexer_by_name("text")
    return Markup(pygmentize(code, lexer, _formatter()))


def stylesheet() -> str:
    """The highlighting's CSS, for static/ (written once; `python -m codeforge.serve.render` prints it)."""
    return _formatter().get_style_defs(".code")


def diff(before: Optional[str], after: Optional[str], before_name: str, after_name: str) -> Markup:
    """A unified diff of two programs, each line escaped and classed: add, del, hunk or ctx."""
    lines = difflib.unified_diff((before or "").splitlines(), (after or "").splitlines(), before_name, after_name,
                                 lineterm="")
    shown = []
    for line in lines:
        kind = "hunk" if line.startswith("@@") else "head" if line.startswith(("---", "+++")) else \
            "add" if line.startswith("+") else "del" if line.startswith("-") else "ctx"
        shown.append(f'<span class="{kind}">{escape(line)}</span>')
    return Markup('<pre class="diff">' + "\n".join(shown) + "</pre>") if shown else Markup("")


if __name__ == "__main__":
    print(stylesheet())
