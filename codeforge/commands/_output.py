"""What every command prints the same way: rich consoles and errors that end the command."""

from __future__ import annotations

from typing import Optional, Sequence

import typer

from ..i18n import _


def console(stderr: bool = False):
    """A console that turns no `:name:` into an emoji: what it prints quotes run names (`run:A:`), paths and
    program output."""
    from rich.console import Console

    return Console(stderr=stderr, emoji=False)


def fail(message: str, code: int = 2) -> None:
    """Print `error: message` on stderr and end the command with `code` (2: nothing was done). The message is
    printed as it is: it often quotes user input, paths or program output (`[hf]`, `a[i]`), never markup."""
    from rich.text import Text

    console(stderr=True).print(Text.assemble((_("error:"), "bold red"), " ", message), highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def table(title: Optional[str], columns: Sequence[tuple[str, str]], caption: Optional[str] = None):
    """A rich table whose cells fold rather than cut: (header, justify) per column; title and caption are text."""
    from rich.table import Table
    from rich.text import Text

    made = Table(title=Text(title) if title else None, caption=Text(caption) if caption else None,
                 caption_justify="left")
    for header, justify in columns:
        made.add_column(Text(header), justify=justify, overflow="fold")
    return made
