"""Settings of the `codeforge graphs` commands, one dataclass each (see codeforge.config).

Nothing here loads networkx or a grammar: the command line builds its options from these classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..config import Settings, setting
from ..i18n import _
from ..tasks import DATASET_NAMES
from .vocabulary import GraphKind, Language, RowFormat, ShowFormat

DATASETS_HELP = (f"{', '.join(DATASET_NAMES)}, or jsonl:PATH for your own tasks (the schema of "
                 "codeforge/tasks/jsonl.py)")
KIND_HELP = ("ast: syntax tree; cfg: control flow; cdg: control dependence; dfg: data dependence "
             "(def -> use); pdg: cdg and dfg together.")
QA_KINDS = (GraphKind.cfg, GraphKind.cdg, GraphKind.dfg, GraphKind.pdg)


@dataclass(frozen=True)
class ShowConfig(Settings):
    """`codeforge graphs show FILE`."""

    file: Path = setting(help="A .py, .go, .c or .cpp file (C++ also .cc, .cxx, .hpp).", argument=True)
    kind: GraphKind = setting(GraphKind.pdg, KIND_HELP, flags=("--kind", "-k"))
    format: ShowFormat = setting(ShowFormat.table, "table: readable tables for the terminal; text: the "
                                                   "linearised form; json; dot (Graphviz).",
                                 flags=("--format", "-f"))
    function: Optional[str] = setting(None, "Only this function, by its qualified name (Python C.m and f.g, "
                                            "Go T.M, C++ ns::C::m).")
    language: Optional[Language] = setting(None, "The file's language (default: from its suffix).")
    allow_errors: bool = setting(False, "Build from what parses; what does not becomes `error` nodes.")
    depth: Optional[int] = setting(None, "With --kind ast: cut the tree below this depth.", min=0)
    types: Optional[tuple[str, ...]] = setting(None, "With --kind ast: keep only these tree-sitter node types "
                                                     "(comma-separated).")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.kind is not GraphKind.ast:
            given = [flag for flag, value in (("--depth", self.depth), ("--types", self.types)) if value]
            if given:
                raise ValueError((_("{options} shape an AST only: add --kind ast, or leave them out for --kind {kind}")
                                  if len(given) > 1 else
                                  _("{options} shape an AST only: add --kind ast, or leave it out for --kind {kind}"))
                                 .format(options=_("{first} and {second}").format(first=given[0], second=given[1])
                                         if len(given) > 1 else given[0], kind=self.kind.value))


@dataclass(frozen=True)
class BuildConfig(Settings):
    """`codeforge graphs build`."""

    dataset: str = setting(help=f"The tasks: {DATASETS_HELP}.", flags=("--dataset", "-d"))
    out: Path = setting(help="The JSONL file to write (replaced only once the build is complete).",
                        flags=("--out", "-o"))
    kind: GraphKind = setting(GraphKind.pdg, KIND_HELP, flags=("--kind", "-k"))
    format: RowFormat = setting(RowFormat.sft, "sft: one training row per task; qa: also question / answer "
                                               "rows about each graph (cfg, cdg, dfg or pdg).",
                                flags=("--format", "-f"))
    dataset_path: Optional[Path] = setting(None, "The dataset's file, or a folder holding it (default: "
                                                 "$CODEFORGE_DATA_DIR, else the copy shipped with codeforge).")
    from_hub: bool = setting(False, "Load the dataset from the Hugging Face hub (its usual name) instead of the "
                                    "copy shipped with codeforge.")
    limit: Optional[int] = setting(None, "Only the first N tasks.", min=1)
    json: bool = setting(False, "Print a summary as JSON: rows written, tasks, skipped tasks and why.",
                         stored=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.format is RowFormat.qa and self.kind not in QA_KINDS:
            raise ValueError(_("--format qa asks about control and data flow, which an {kind} does not have: use "
                               "--kind cfg, cdg, dfg or pdg, or --format sft").format(kind=self.kind.value))

