"""What one report holds, and the definitions every form of it (terminal, report.json, the page) states.

build.py makes a `Report`; terminal.py, html.py and report.json only read one. Kept apart from build.py so
that imports go one way: build -> html -> document, never back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ..bench.scores import INTERVAL_TEXT, Interval
from .data import CurriculumResult, LeftOut, MethodResult, RepairResult, Selection, TextResult
from .fmt import mined_note
from .stats import Comparison

DEFINITIONS = {
    "tasks": "methods are compared on the same tasks only: those every method of the report covers; when runs "
             "cover different task sets, the report says how many tasks that leaves",
    "solved": "a task is solved by a method when its first sample (sample 0) passed the benchmark's tests after "
              "the run's final round; counts, percentages, the heatmap and McNemar's test use this",
    "solved_interval": "the Wilson score 95% interval of the solved share",
    "passed_after_round": "a sample counts as passed after round r when any of its rounds up to r passed",
    "pass_at_k": "unbiased pass@k over all samples (Chen et al. 2021), with a 95% interval over tasks: Wilson's "
                 "when every task's value is 0 or 1, else a percentile bootstrap over tasks",
    "wilson": INTERVAL_TEXT[Interval.wilson] + ": right at 0% and 100%, where a normal approximation has no width",
    "bootstrap_interval": INTERVAL_TEXT[Interval.bootstrap],
    "mean_reward": "a run of Go unit-test tasks (go-unittest) is scored by the go-coverage reward of each "
                   "model-written test: 0 when it cannot run, 0.5 when it runs, +0.25 when it succeeds, +0.05 when all its tests "
                   "pass, +0.2 x the share of the function under test it covers; each sample counts with its best "
                   "round so far, and the mean reward is the mean over tasks of each task's mean sample reward, with "
                   "the 95% interval pass@k has; its parts, over those samples: runnable, the share whose test ran; "
                   "tests passed, the TestXxx functions that passed of those declared; coverage of the function, "
                   "the mean share of the function under test covered (none measured counts 0)",
    "similarity": "a similarity metric (codeforge bench --metrics: BLEU and chrF by sacrebleu, CodeBLEU by the "
                  "codebleu package, BERTScore F1 by bert-score; 0 to 1) compares each sample's final answer with "
                  "its task's reference; an answer with no code scores 0, a task without a reference is skipped; "
                  "a run's value is the mean over tasks of each task's mean sample value, with a percentile "
                  "bootstrap 95% interval over tasks; r is Pearson's r between the metric and passing (1) or not "
                  "(0) across samples (the point-biserial correlation), with a bootstrap interval over samples, "
                  "undefined when every sample passed or none did; it says how far the metric tracks correctness",
    "text_runs": "runs of text tasks (prose answers, no tests) have no pass@k; they are shown apart with their "
                 "similarity metrics over their own tasks and never compared as methods",
    "mcnemar": "exact two-sided McNemar test on the tasks only one of the two methods solved",
    "holm": "Holm step-down correction over all pairs; significant means Holm-adjusted p < 0.05",
    "bootstrap": "paired bootstrap over tasks of the difference in pass@1 (B - A), 95% percentile interval",
    "unfinished": "a run whose command did not run to the end, or that stored no sample; left out unless "
                  "--include-unfinished, and marked where it is shown",
    "mined": "a set of tasks made by codeforge bench mine-hard holds the tasks some stored runs' models failed; a "
             "method whose model is one of those (marked) is scored on its own failures",
    "oracle_feedback": "the run's later rounds were told the benchmark's own (hidden) tests: not comparable with "
                       "plain pass@k",
    "repair_runs": "runs made by codeforge repair are shown apart, epoch by epoch, and never compared as methods: "
                   "their rounds are epochs of analyser findings fed back, not feedback rounds; a program's code after "
                   "epoch e is its last patch kept (still passing its tests, fewer findings by severity), else its "
                   "starting code",
    "efr": "EFR, the error-free rate of a repair run after an epoch, is the share of its programs whose code then "
           "was analysed, has no finding and passed its tests where it has tests (epoch 0: the first try), with the "
           "Wilson 95% interval",
    "curriculum": "the rounds of codeforge finetune --curriculum are shown apart, round by round, and never "
                  "compared as methods or with each other: each round's bench run covers its own tasks (new ones "
                  "plus those the previous round's model failed); a round's pass@1 is over its own tasks and every "
                  "sample, with the interval pass@k has; a task of a round is failed when not every checked sample "
                  "of it passed after the run's final round (a task with no checked sample is neither failed nor "
                  "solved), and the next round says "
                  "how many of those it revisited",
    "repair_pass_at_1": "a repair run's pass@1 after an epoch is the share of its programs whose code then passed "
                        "its tests, of those with tests, with the Wilson 95% interval",
}


@dataclass
class Report:
    db: Path
    dataset: str  # the methods' dataset (no method: the repair runs' and curricula's, comma-separated)
    methods: list[MethodResult]  # least to most successful (none: only repair runs or curricula)
    comparisons: list[Comparison]  # every pair, A weaker or equal
    pairs: list[tuple[MethodResult, MethodResult]]  # (method, chained version)
    pair_tests: list[Comparison]  # one per pair, A = the method, B = its chained version
    baseline: Optional[MethodResult]
    deltas: dict[str, Comparison]  # method -> (baseline vs method), when there is a baseline
    resamples: int
    seed: int
    selection: Selection  # which tasks are compared, and the runs left out
    files: dict[str, Path] = field(default_factory=dict)  # chart or page -> where it was written
    removed: list[str] = field(default_factory=list)  # files of an earlier report in the same folder

    @property
    def chained(self) -> list[MethodResult]:
        return [m for m in self.methods if m.chained]

    @property
    def rewarded(self) -> list[MethodResult]:
        """The methods that are runs of Go unit-test tasks, scored by the go-coverage reward."""
        return [m for m in self.methods if m.reward is not None]

    @property
    def measured(self) -> list[MethodResult]:
        """The methods with similarity metrics stored (bench --metrics)."""
        return [m for m in self.methods if m.metrics]

    @property
    def texts(self) -> list[TextResult]:
        return self.selection.texts

    @property
    def repairs(self) -> list[RepairResult]:
        return self.selection.repairs

    @property
    def curricula(self) -> list[CurriculumResult]:
        return self.selection.curricula

    @property
    def tasks(self) -> int:
        """The number of tasks every number compares (0: no bench run)."""
        return self.selection.compared

    @property
    def covered(self) -> int:
        """The number of tasks any method of the report covers."""
        return self.selection.covered

    @property
    def shared_only(self) -> bool:
        return self.tasks < self.covered

    @property
    def scope(self) -> str:
        return self.selection.scope

    @property
    def left_out(self) -> list[LeftOut]:
        return self.selection.left_out

    @property
    def intervals(self) -> list[Interval]:
        """The interval methods the report's scores use, in a fixed order (the solved share: Wilson)."""
        used = {Interval.wilson} | {s.interval for m in self.methods for s in m.scores.values()} | \
            {s.interval for r in self.repairs for e in r.epochs for s in (e.efr, e.pass_at_1) if s is not None} | \
            {r.pass_at_1.interval for c in self.curricula for r in c.rounds} | \
            {m.reward.mean.interval for m in self.methods if m.reward is not None} | \
            {s.mean.interval for m in [*self.methods, *self.texts] for s in m.metrics}
        return [m for m in Interval if m in used and m is not Interval.none]

    def coverage_note(self) -> Optional[str]:
        """Which runs cover which tasks, when not all of them cover the same ones."""
        if not self.shared_only:
            return None
        runs = ", ".join(f"{m.name} {m.run_tasks}" for m in self.methods)
        return (f"Compared on the {self.tasks} tasks all {len(self.methods)} runs cover, of {self.covered} any of "
                f"them covers (tasks per run: {runs}).")

    def mined_note(self) -> Optional[str]:
        """Where a mined set's tasks came from, and which methods are scored on their own failures."""
        return mined_note([m.run for m in self.methods])

    def left_out_note(self) -> Optional[str]:
        if not self.left_out:
            return None
        runs = ", ".join(f"{x.run.name} ({x.reason})" for x in self.left_out)
        hint = " --include-unfinished adds unfinished runs that stored samples." \
            if any(x.reason == "unfinished" for x in self.left_out) else ""
        return f"Left out: {runs}.{hint}"
