"""Scoring a stored repair run, epoch by epoch: how many programs are error-free, pass@1, the findings, and
what became of the patches. The one place `codeforge repair`, `bench list/show` and `report` compute these
from stored samples (nothing here analyses, runs or generates anything). The storage is described in
codeforge/store/db.py ("Repair runs").

Definitions:
- A program is (task, sample) for every task of the run and every sample < samples_per_task. Its round 0 is
  the starting code; round e >= 1 the patch the model wrote in epoch e.
- A patch is kept when its analysis says so; round 0 is always kept. The program's code after epoch e is
  its last kept round <= e. A patch with no analysis stored (the sandbox failed) is not kept.
- Error-free after epoch e (the "EF" of EFR): the code then was analysed, has no finding, and passed its
  tests when it has a tests execution. EFR is error-free programs / programs, with Wilson's 95% interval;
  epoch 0 is the first try.
- pass@1 after epoch e: programs whose code then passed its tests / programs whose code has a tests
  execution (files without a task have none); with Wilson's interval.
- Unchecked after epoch e: the code then was never analysed (no round 0 analysis stored), or the patch
  written in epoch e has no analysis. An unchecked program is not error-free.
- A program with no finding after epoch e-1 gets no patch in epoch e: it is done, and stays as it is.

Findings are read as stored (Finding.to_dict of codeforge.analyzers.base), as dicts: showing a stored run must
not load the analyzers package, which loads the sandbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

from ..bench.scores import INTERVAL_TEXT, Interval, Score, share
from ..store import Execution, RunRecord, SampleRecord, Store
from ..vocabulary import Purpose, RejectReason, SampleStatus, Workflow

# The values of codeforge.analyzers.base.Severity, worst first, as every table shows them (a test holds the two
# together).
SEVERITIES = ("high", "medium", "low")


@dataclass(frozen=True)
class FindingCounts:
    total: int
    by_tool: dict[str, int]  # tool -> findings, only the tools that found something, by name
    by_severity: dict[str, int]  # "high", "medium", "low": every key, worst first
    by_cwe: dict[int, int]  # CWE number -> findings, only those a tool named, by number


def count_findings(findings: Iterable[dict]) -> FindingCounts:
    """Stored findings (Finding.to_dict) counted in all, by tool, by severity and by CWE."""
    findings = list(findings)
    tools: dict[str, int] = {}
    cwes: dict[int, int] = {}
    for f in findings:
        tools[str(f["tool"])] = tools.get(str(f["tool"]), 0) + 1
        if f.get("cwe") is not None:
            cwes[int(f["cwe"])] = cwes.get(int(f["cwe"]), 0) + 1
    return FindingCounts(total=len(findings), by_tool=dict(sorted(tools.items())),
                         by_severity={s: sum(1 for f in findings if f["severity"] == s) for s in SEVERITIES},
                         by_cwe=dict(sorted(cwes.items())))


@dataclass(frozen=True)
class EpochSummary:
    epoch: int
    programs: int
    attempted: int  # patches written in this epoch (0 in epoch 0)
    kept: int
    rejected: dict[str, int]  # RejectReason value -> patches, every reason
    error_free: int
    efr: Score  # error_free / programs
    tested: int  # programs whose code after this epoch has a tests execution
    passed: int
    pass_at_1: Optional[Score]  # passed / tested; None when nothing was tested
    findings: FindingCounts  # of the code after this epoch
    unchecked: int


@dataclass(frozen=True)
class ProgramEpoch:
    """One program after one epoch."""

    epoch: int
    code: Optional[SampleRecord]  # the round its code comes from; None when no round 0 is stored
    patch: Optional[SampleRecord]  # the patch written in this epoch; None in epoch 0 and when none was
    findings: Optional[tuple[dict, ...]]  # of the code, as stored (Finding.to_dict); None: never analysed
    tested: bool  # the code has a tests execution
    passed: bool  # ... and passed it

    @property
    def unchecked(self) -> bool:
        return self.findings is None or (self.patch is not None and analysis(self.patch) is None)

    @property
    def error_free(self) -> bool:
        return self.findings is not None and not self.findings and (self.passed or not self.tested)

    @property
    def decision(self) -> Optional[str]:
        """What became of this epoch's patch: "kept", a RejectReason value, "unchecked"; None: no patch."""
        if self.patch is None:
            return None
        if analysis(self.patch) is None:
            return "unchecked"
        return "kept" if kept(self.patch) else reject_reason(self.patch)


def analysis(sample: SampleRecord) -> Optional[Execution]:
    return sample.executions.get(Purpose.analysis.value)


def findings_of(sample: SampleRecord) -> Optional[list[dict]]:
    """What the analyzers found in the sample's code, as stored (Finding.to_dict); None when it was not analysed."""
    found = analysis(sample)
    if found is None:
        return None
    return list(found.result.get("findings") or [])


def kept(sample: SampleRecord) -> bool:
    """Round 0 always is; a patch when its analysis says so (one with no analysis is not)."""
    if sample.round == 0:
        return True
    found = analysis(sample)
    return found is not None and found.result.get("kept") is True


def reject_reason(sample: SampleRecord) -> Optional[str]:
    """Why a patch was not kept (a RejectReason value); None for a kept or unchecked one."""
    found = analysis(sample)
    if found is None or kept(sample):
        return None
    reason = found.result.get("reason")
    if reason:
        return str(reason)
    # stored without a reason: an answer with no code is the one case the status alone tells
    return RejectReason.no_code.value if found.status == SampleStatus.no_code.value else "unknown"


def program_epochs(rounds: Sequence[SampleRecord], epochs: int) -> list[ProgramEpoch]:
    """One program's state after each epoch 0..epochs, from its stored rounds."""
    by_round = {s.round: s for s in rounds}
    states = []
    code = by_round.get(0)
    for epoch in range(epochs + 1):
        patch = by_round.get(epoch) if epoch else None
        if patch is not None and kept(patch):
            code = patch
        found = findings_of(code) if code is not None else None
        tests = code.tested if code is not None else None
        states.append(ProgramEpoch(epoch, code, patch, tuple(found) if found is not None else None,
                                   tested=tests is not None, passed=tests is not None and tests.passed))
    return states


def program_keys(store: Store, run: RunRecord) -> list[tuple[str, int]]:
    """Every program of the run, (task or file, sample), in task order."""
    return [(task_id, sample) for task_id in store.task_ids(run.id) for sample in range(run.samples_per_task)]


def program_histories(samples: Sequence[SampleRecord], programs: Sequence[tuple[str, int]],
                      epochs: int) -> dict[tuple[str, int], list[ProgramEpoch]]:
    """Each program's state after each epoch 0..epochs, in the order of `programs`; samples of other programs
    are left out."""
    by_program: dict[tuple[str, int], list[SampleRecord]] = {key: [] for key in programs}
    for s in samples:
        if (s.task_id, s.sample) in by_program:
            by_program[(s.task_id, s.sample)].append(s)
    return {key: program_epochs(rounds, epochs) for key, rounds in by_program.items()}


def summarize_repair(samples: Sequence[SampleRecord], programs: Sequence[tuple[str, int]],
                     epochs: int) -> list[EpochSummary]:
    """One summary per epoch 0..epochs over `programs`; samples of other programs are not counted."""
    states = list(program_histories(samples, programs, epochs).values())
    return [_summary(epoch, [history[epoch] for history in states]) for epoch in range(epochs + 1)]


def _summary(epoch: int, states: Sequence[ProgramEpoch]) -> EpochSummary:
    decisions = [s.decision for s in states if s.patch is not None]
    rejected = {reason.value: 0 for reason in RejectReason}
    for decision in decisions:
        if decision not in ("kept", "unchecked"):
            rejected[decision] = rejected.get(decision, 0) + 1
    error_free = sum(s.error_free for s in states)
    tested = sum(s.tested for s in states)
    passed = sum(s.passed for s in states)
    return EpochSummary(
        epoch=epoch, programs=len(states), attempted=len(decisions), kept=decisions.count("kept"),
        rejected=rejected, error_free=error_free, efr=share(error_free, len(states)), tested=tested,
        passed=passed, pass_at_1=share(passed, tested) if tested else None,
        findings=count_findings(f for s in states for f in s.findings or ()),
        unchecked=sum(s.unchecked for s in states))


def last_epoch(run: RunRecord, samples: Sequence[SampleRecord]) -> int:
    """The epochs asked for, or the last one stored when more were (a run resumed with fewer)."""
    return max([run.chain, *(s.round for s in samples)])


def repair_summaries(store: Store, run: RunRecord) -> list[EpochSummary]:
    samples = store.samples(run.id)
    return summarize_repair(samples, program_keys(store, run), last_epoch(run, samples))


def is_repair(run: RunRecord) -> bool:
    return run.workflow is Workflow.repair


def repair_finished(run: RunRecord, summaries: Sequence[EpochSummary]) -> bool:
    """Its command ran to the end and at least one program was analysed; anything else is unfinished."""
    return run.finished_at is not None and bool(summaries) and summaries[0].unchecked < summaries[0].programs


def score_dict(s: Optional[Score]) -> Optional[dict]:
    return None if s is None else {"value": s.value, "low": s.low, "high": s.high, "interval": s.interval.value}


def counts_dict(counts: FindingCounts) -> dict:
    return {"total": counts.total, "by_tool": dict(counts.by_tool), "by_severity": dict(counts.by_severity),
            "by_cwe": {str(cwe): n for cwe, n in counts.by_cwe.items()}}


def summary_dict(s: EpochSummary) -> dict:
    """One epoch as JSON (the same in `codeforge repair --json`, `bench show --json` and report.json)."""
    return {"epoch": s.epoch, "programs": s.programs, "attempted": s.attempted, "kept": s.kept,
            "rejected": dict(s.rejected), "error_free": s.error_free, "efr": score_dict(s.efr), "tested": s.tested,
            "passed": s.passed, "pass_at_1": score_dict(s.pass_at_1), "findings": counts_dict(s.findings),
            "unchecked": s.unchecked}


def repair_dict(run: RunRecord, summaries: Sequence[EpochSummary]) -> dict:
    """A repair run and its epochs as JSON: first try against the last epoch, then every epoch."""
    first, last = (summaries[0], summaries[-1]) if summaries else (None, None)
    intervals = dict.fromkeys(s.interval for e in summaries for s in (e.efr, e.pass_at_1) if s is not None)
    return {
        "run": run.name, "dataset": run.dataset, "workflow": run.workflow.value, "model": run.model,
        "backend": run.backend, "adapter": run.adapter, "prompt_mode": run.prompt_mode,
        "epochs_asked": run.chain, "samples_per_task": run.samples_per_task, "seed": run.seed,
        "programs": first.programs if first else 0, "finished": repair_finished(run, summaries),
        "efr": {"first": score_dict(first.efr), "final": score_dict(last.efr)} if first else None,
        "pass_at_1": {"before": score_dict(first.pass_at_1), "after": score_dict(last.pass_at_1)} if first else None,
        "findings": {"before": counts_dict(first.findings), "after": counts_dict(last.findings)} if first else None,
        "intervals": {m.value: INTERVAL_TEXT[m] for m in intervals if m is not Interval.none},
        "epochs": [summary_dict(s) for s in summaries],
    }
