"""What one report holds, and the definitions every form of it (terminal, report.json, the page) states.

build.py makes a `Report`; terminal.py, html.py and report.json only read one. Kept apart from build.py so
that imports go one way: build -> html -> document, never back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ..bench.scores import INTERVAL_TEXT, Interval
from ..i18n import N_, _
from .data import CurriculumResult, LeftOut, MethodResult, RepairResult, Selection, TextResult
from .fmt import interval_text, mined_note
from .stats import Comparison

# Marked N_: report.json holds them in English; where they are shown, definition() gives them in the chosen
# language.
_WILSON = N_("{interval}: right at 0% and 100%, where a normal approximation has no width")
DEFINITIONS = {
    "tasks": N_("methods are compared on the same tasks only: those every method of the report covers; when runs "
                "cover different task sets, the report says how many tasks that leaves"),
    "solved": N_("a task is solved by a method when its first sample (sample 0) passed the benchmark's tests after "
                 "the run's final round; counts, percentages, the heatmap and McNemar's test use this"),
    "solved_interval": N_("the Wilson score 95% interval of the solved share"),
    "passed_after_round": N_("a sample counts as passed after round r when any of its rounds up to r passed"),
    "pass_at_k": N_("unbiased pass@k over all samples (Chen et al. 2021), with a 95% interval over tasks: Wilson's "
                    "when every task's value is 0 or 1, else a percentile bootstrap over tasks"),
    "wilson": _WILSON.format(interval=INTERVAL_TEXT[Interval.wilson]),
    "bootstrap_interval": INTERVAL_TEXT[Interval.bootstrap],
    "mean_reward": N_("a run of Go unit-test tasks (go-unittest) is scored by the go-coverage reward of each "
                      "model-written test: 0 when it cannot run, 0.5 when it runs, +0.25 when it succeeds, +0.05 when "
                      "all its tests pass, +0.2 x the share of the function under test it covers; each sample counts "
                      "with its best round so far, and the mean reward is the mean over tasks of each task's mean "
                      "sample reward, with the 95% interval pass@k has; its parts, over those samples: runnable, the "
                      "share whose test ran; tests passed, the TestXxx functions that passed of those declared; "
                      "coverage of the function, the mean share of the function under test covered (none "
                      "measured counts 0)"),
    "similarity": N_("a similarity metric (codeforge bench --metrics: BLEU and chrF by sacrebleu, CodeBLEU by the "
                     "codebleu package, BERTScore F1 by bert-score; 0 to 1) compares each sample's final answer with "
                     "its task's reference; an answer with no code scores 0, a task without a reference is skipped; "
                     "a run's value is the mean over tasks of each task's mean sample value, with a percentile "
                     "bootstrap 95% interval over tasks; r is Pearson's r between the metric and passing (1) or not "
                     "(0) across samples (the point-biserial correlation), with a bootstrap interval over samples, "
                     "undefined when every sample passed or none did; it says how far the metric tracks correctness"),
    "text_runs": N_("runs of text tasks (prose answers, no tests) have no pass@k; they are shown apart with their "
                    "similarity metrics over their own tasks and never compared as methods"),
    "mcnemar": N_("exact two-sided McNemar test on the tasks only one of the two methods solved"),
    "holm": N_("Holm step-down correction over all pairs; significant means Holm-adjusted p < 0.05"),
    "bootstrap": N_("paired bootstrap over tasks of the difference in pass@1 (B - A), 95% percentile interval"),
    "unfinished": N_("a run whose command did not run to the end, or that stored no sample; left out unless "
                     "--include-unfinished, and marked where it is shown"),
    "mined": N_("a set of tasks made by codeforge bench mine-hard holds the tasks some stored runs' models failed; a "
                "method whose model is one of those (marked) is scored on its own failures"),
    "oracle_feedback": N_("the run's later rounds were told the benchmark's own (hidden) tests: not comparable with "
                          "plain pass@k"),
    "repair_runs": N_("runs made by codeforge repair are shown apart, epoch by epoch, and never compared as "
                      "methods: their rounds are epochs of analyser findings fed back, not feedback rounds; a "
                      "program's code after epoch e is its last patch kept (still passing its tests, fewer findings "
                      "by severity), else its starting code"),
    "efr": N_("EFR, the error-free rate of a repair run after an epoch, is the share of its programs whose code then "
              "was analysed, has no finding and passed its tests where it has tests (epoch 0: the first try), with the "
              "Wilson 95% interval"),
    "curriculum": N_("the rounds of codeforge finetune --curriculum are shown apart, round by round, and never "
                     "compared as methods or with each other: each round's bench run covers its own tasks (new ones "
                     "plus those the previous round's model failed); a round's pass@1 is over its own tasks and every "
                     "sample, with the interval pass@k has; a task of a round is failed when not every checked sample "
                     "of it passed after the run's final round (a task with no checked sample is neither failed nor "
                     "solved), and the next round says "
                     "how many of those it revisited"),
    "repair_pass_at_1": N_("a repair run's pass@1 after an epoch is the share of its programs whose code then passed "
                           "its tests, of those with tests, with the Wilson 95% interval"),
}

# What the page calls each definition (its key in report.json), in the chosen language.
TERMS = {
    "tasks": N_("tasks"), "solved": N_("solved"), "solved_interval": N_("solved_interval"),
    "passed_after_round": N_("passed_after_round"), "pass_at_k": N_("pass_at_k"), "wilson": N_("wilson"),
    "bootstrap_interval": N_("bootstrap_interval"), "mean_reward": N_("mean_reward"), "similarity": N_("similarity"),
    "text_runs": N_("text_runs"), "mcnemar": N_("mcnemar"), "holm": N_("holm"), "bootstrap": N_("bootstrap"),
    "unfinished": N_("unfinished"), "mined": N_("mined"), "oracle_feedback": N_("oracle_feedback"),
    "repair_runs": N_("repair_runs"), "efr": N_("efr"), "curriculum": N_("curriculum"),
    "repair_pass_at_1": N_("repair_pass_at_1"),
}


def definition(key: str) -> str:
    """DEFINITIONS[key] in the chosen language."""
    if key == "wilson":
        return _(_WILSON).format(interval=interval_text(Interval.wilson))
    if key == "bootstrap_interval":
        return interval_text(Interval.bootstrap)
    return _(DEFINITIONS[key])


def term(key: str) -> str:
    """The name of DEFINITIONS[key] as the page shows it (in English: the key itself)."""
    return _(TERMS[key]) if key in TERMS else key


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
        """In English, as report.json holds it; `shown_scope` is the same in the chosen language."""
        return self.selection.scope

    @property
    def shown_scope(self) -> str:
        return self.selection.describe()

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
        return _("Compared on the {tasks} tasks all {count} runs cover, of {covered} any of them covers (tasks per "
                 "run: {runs}).").format(tasks=self.tasks, count=len(self.methods), covered=self.covered, runs=runs)

    def mined_note(self, shown: bool = True) -> Optional[str]:
        """Where a mined set's tasks came from, and which methods are scored on their own failures (`shown`
        False: in English, for report.json)."""
        return mined_note([m.run for m in self.methods], shown)

    def left_out_note(self) -> Optional[str]:
        if not self.left_out:
            return None
        runs = ", ".join(f"{x.run.name} ({_(x.reason)})" for x in self.left_out)
        hint = " " + _("--include-unfinished adds unfinished runs that stored samples.") \
            if any(x.reason == "unfinished" for x in self.left_out) else ""
        return _("Left out: {runs}.").format(runs=runs) + hint
