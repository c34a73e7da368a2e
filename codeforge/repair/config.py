"""The settings of `codeforge repair`: what to repair (files, a stored run, or a dataset generated first), which
analyzers judge it, the model that writes the patches (models.options), epochs, sandbox limits, the store.

One repair run = one stored configuration, as for bench: the fields marked identity are what its stored epochs
depend on, so a resumed run must not change them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..analyzers.base import Tool
from ..config import setting
from ..i18n import _
from ..models.options import ModelOptions
from ..sandbox.config import ProgramLimits
from ..vocabulary import Language

INPUT, LOOP, SAMPLING, STORE = "Input", "Repair loop", "Sampling", "Store"
DEFAULT_ANALYZERS = (Tool.bandit, Tool.memcheck, Tool.go_vet, Tool.staticcheck, Tool.tests)


@dataclass(frozen=True)
class RepairConfig(ProgramLimits, ModelOptions):
    targets: tuple[str, ...] = setting((), "Program files to repair, or one dataset name (humaneval, mbpp, "
                                       "humaneval-x-go, ..., jsonl:PATH) to generate solutions for first, as "
                                       "bench does, and repair those.", argument=True, repeat=True)
    run: Optional[str] = setting(None, "Repair every sample of this stored bench run instead; the repair is "
                                 "stored as the run NAME+REPAIR beside it.", panel=INPUT)
    lang: Optional[Language] = setting(None, "The files' language (default: from each file's suffix).",
                                       panel=INPUT)
    dataset: Optional[str] = setting(None, "The stored run's dataset, when --run names a run stored on several.",
                                     panel=INPUT)
    dataset_path: Optional[Path] = setting(None, "The dataset's file (or a folder holding it) instead of the copy "
                                           "shipped with codeforge.", identity=True, panel=INPUT)
    from_hub: bool = setting(False, "Load the dataset from the Hugging Face hub instead of the shipped copy.",
                             identity=True, panel=INPUT)
    limit: Optional[int] = setting(None, "Only the first N tasks.", min=1, panel=INPUT)
    tasks: tuple[str, ...] = setting((), "Only these task ids, comma-separated.", panel=INPUT)

    analyzers: tuple[Tool, ...] = setting(DEFAULT_ANALYZERS, "The analyzers that judge the code, comma-separated "
                                          "(each applies to its languages): bandit (Python), memcheck (C, C++), "
                                          "go-vet and staticcheck (Go), tests (the task's own tests: their failures "
                                          "are shown to the model, which makes it oracle feedback).",
                                          identity=True, panel=LOOP)
    epochs: int = setting(3, "Rounds of findings fed back at most; a program stops early once clean.", min=0,
                          panel=LOOP)
    max_findings: int = setting(20, "Findings shown to the model per program at most (the prompt says how many "
                                "were left out).", min=1, identity=True, panel=LOOP)
    dry_run: bool = setting(False, "Only analyse and print the findings: no model, nothing stored (a dataset's "
                            "own reference solutions are analysed).", stored=False, panel=LOOP)

    temperature: float = setting(0.0, "0 is greedy.", min=0.0, identity=True, panel=SAMPLING)
    top_p: float = setting(0.95, "Nucleus sampling: keep the smallest set of tokens with this much probability.",
                           min=0.0, max=1.0, identity=True, panel=SAMPLING)
    max_new_tokens: int = setting(1024, "Tokens generated per patch at most.", min=1, identity=True,
                                  panel=SAMPLING)
    seed: int = setting(0, "Seeds every patch (each program and epoch gets its own).", identity=True,
                        panel=SAMPLING)

    run_name: Optional[str] = setting(None, "The repair run's name. The same name again resumes. Default: the "
                                      "source run's name (or the model's) + REPAIR.", panel=STORE)
    db: Optional[Path] = setting(None, "The results store (default ./runs/codeforge.db).", env="CODEFORGE_DB",
                                 stored=False, panel=STORE)
    export_dir: Optional[Path] = setting(None, "Also write each program's code per epoch into its own folder "
                                         "here, with its findings beside it.", stored=False, panel=STORE)
    json: bool = setting(False, "Print the results as JSON on stdout.", stored=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.run and self.targets:
            raise ValueError(_("give files, a dataset, or --run NAME, not several: codeforge repair --run BASE"))
        if not self.analyzers:
            raise ValueError(_("--analyzers needs at least one of {tools}").format(
                tools=", ".join(t.value for t in Tool)))
        object.__setattr__(self, "analyzers", tuple(dict.fromkeys(self.analyzers)))

    @property
    def static_analyzers(self) -> tuple[Tool, ...]:
        """The chosen analyzers other than the tests (which the loop runs itself: they also gate a patch)."""
        return tuple(t for t in self.analyzers if t is not Tool.tests)
