"""Settings of `codeforge report` (see codeforge.config)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..config import Settings, setting
from ..i18n import _


def _pair(text: str) -> tuple[str, str]:
    a, sep, b = text.partition(":")
    if not sep or not a.strip() or not b.strip():
        raise ValueError(_("--pair takes two run names joined by a colon, like PDG:PDG_CHAIN_FEEDBACK (got {text})")
                         .format(text=repr(text)))
    return a.strip(), b.strip()


@dataclass(frozen=True)
class ReportConfig(Settings):
    """`codeforge report`."""

    runs: Optional[tuple[str, ...]] = setting(None, "Only these runs, comma-separated (default: all); a curriculum's "
                                                    "name stands for all its rounds.")
    dataset: Optional[str] = setting(None, "The dataset, when runs cover several.")
    baseline: Optional[str] = setting(None, "Add each method's difference from this run (pass@1, with interval "
                                            "and McNemar p).")
    pair: tuple[str, ...] = setting((), "Show run B as run A's chained version, given as A:B (X and X_CHAIN pair "
                                        "by themselves). Repeatable.", repeat=True)
    out: Path = setting(Path("runs") / "report", "Folder for the PNGs, report.json and report.html; files an "
                                                 "earlier report wrote there and this one does not are removed.")
    heatmap: bool = setting(False, "Also draw every task by every method.")
    html: bool = setting(False, "Also write report.html: one self-contained page.")
    open_page: bool = setting(False, "Open report.html in a browser (implies --html).", flags=("--open",),
                              stored=False)
    include_unfinished: bool = setting(False, "Also compare runs that did not finish (marked as unfinished); "
                                              "by default they are left out and listed.")
    resamples: int = setting(10_000, "Bootstrap resamples.", min=100)
    seed: int = setting(0, "Bootstrap seed.")
    db: Optional[Path] = setting(None, "The results store (default ./runs/codeforge.db).", env="CODEFORGE_DB")
    json: bool = setting(False, "Print report.json on stdout (tables go to stderr).", stored=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.runs is not None and not self.runs:
            raise ValueError(_("--runs takes run names separated by commas, like BASE,PDG_CHAIN"))
        self.pairs  # each one must read as A:B

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """--pair as (method, chained version); one --pair may also hold several, comma-separated."""
        return [_pair(part) for text in self.pair for part in text.split(",") if part.strip()]

    @property
    def writes_html(self) -> bool:
        return self.html or self.open_page
