"""Reading rich tables back out of a command's output, to check that no cell was cut short."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ParsedTable:
    title: str
    headers: list[str]  # each column's header, its folded lines joined, spaces dropped
    columns: list[str]  # each column's body, every row's folded lines joined in order, spaces dropped

    def column(self, header: str) -> str:
        return self.columns[self.headers.index(header.replace(" ", ""))]


def _cells(line: str, bar: str) -> list[str]:
    return [cell.strip() for cell in line.strip()[1:-1].split(bar)]


def parse_tables(output: str) -> list[ParsedTable]:
    """Every box-drawn table in `output` (rich's default heavy-head box), in order."""
    lines = output.splitlines()
    found = []
    for i, line in enumerate(lines):
        if not line.lstrip().startswith("┏"):
            continue
        title = []
        j = i - 1
        while j >= 0 and lines[j].strip() and not lines[j].lstrip().startswith(("└", "│", "┃")):
            title.insert(0, lines[j].strip())
            j -= 1
        head, body = [], []
        k = i + 1
        while not lines[k].lstrip().startswith("┡"):
            head.append(_cells(lines[k], "┃"))
            k += 1
        k += 1
        while not lines[k].lstrip().startswith("└"):
            body.append(_cells(lines[k], "│"))
            k += 1
        width = len(head[0])
        joined = ["".join(row[c] for row in head).replace(" ", "") for c in range(width)]
        columns = ["".join(row[c] for row in body).replace(" ", "") for c in range(width)]
        found.append(ParsedTable(" ".join(title), joined, columns))
    return found


def holds(column: str, text: str) -> bool:
    """`text` appears whole in a column (folded or wrapped over lines as it may be)."""
    return text.replace(" ", "") in column
