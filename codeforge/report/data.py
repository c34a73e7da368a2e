"""Stored runs as the report sees them: per method, which tasks it solved and its pass@k, round by round.

Definitions (also written on the HTML page):
- A run's name is its method label. Methods are compared on the same tasks only: those every chosen run
  covers (`store.task_ids`). When runs cover different task sets, the report says so and how many; when
  they share none it refuses. A compared task with no stored sample, or whose samples the sandbox could not
  check, counts as not passed.
- A run is unfinished when its command did not run to the end (no `finished_at`) or it stored no sample.
  Unfinished runs are left out (and listed as left out) unless asked for; then they are marked. A run with
  no sample at all has nothing to compare and is always left out.
- A sample counts as passed after round r when any of its rounds <= r passed (`bench.scores.summarize`). A
  run's final result is after its last round (the larger of its last stored round and its --chain).
- A task is *solved* by a method when its first sample (sample 0) passed after the final round. Counts,
  percentages, the heatmap and McNemar's test use this yes/no per task, so that every method gets one
  answer per task even when runs drew different numbers of samples. Its interval is Wilson's.
- pass@k uses every sample (the unbiased estimator) for pass@1 and each k the run stored, with the interval
  bench.scores gives it (Wilson for a proportion of tasks, else a seeded bootstrap over tasks).
- A run of Go unit-test tasks (go-unittest: samples the sandbox's `unittest` action scored) also has its mean
  go-coverage reward on the compared tasks, after each round and after the final one, with its parts
  (`bench.scores.reward_score`); other runs have none.
- Similarity metrics (`bench --metrics`) of a method are over the compared tasks' final answers
  (`bench.scores.run_metrics`): each metric's mean with its bootstrap interval and its correlation with passing
  across samples. Runs of text tasks (prose answers, no tests) are not methods: they have no pass@k to compare;
  each is shown apart with its metrics, over its own tasks.
- Repair runs (made by `codeforge repair`) are not methods: their rounds are epochs of analyser findings, not
  feedback rounds. They never enter the methods, the heatmap, significance or the round curves; each is shown
  on its own, epoch by epoch, as repair.scores scores it. `--runs` and `--dataset` choose among them too, and
  they may come from several datasets (each is shown with its own). Unfinished ones are left out as bench
  runs are.
- Curriculum rounds (the bench run of one round of `codeforge finetune --curriculum`, labelled so in its
  config) are not methods either: each round covers its own tasks (new ones plus those the previous round's
  model failed), so rounds are never compared with each other or with the methods. Each curriculum is shown
  apart, round by round: pass@1 over the round's own tasks, as the methods' pass@1 (every sample, the interval
  bench.scores gives). A task of a round is *failed* when not every checked sample of it passed after the
  round's final round (a task none of whose samples the sandbox could check is neither failed nor solved, as
  the curriculum itself counts it when it chooses what to revisit); the next round's count is how many of
  them it revisited. `--runs` chooses rounds by their run names (`NAME-round-R`: that round alone) or a whole
  curriculum by its name (every stored round of it); `--dataset` applies, and, as for repair runs, curricula
  may come from datasets other than the methods'. Unfinished rounds are left out as bench runs are (and
  marked when asked for).

Only the store, bench.scores and repair.scores are read here; nothing is executed or generated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional, Sequence

from ..bench.scores import (MetricScore, RewardScore, Score, first_passing_round, pass_at_k, run_ks, run_metrics, share,
                            summarize)
from ..i18n import N_, _, ngettext
from ..repair.scores import EpochSummary, is_repair, last_epoch, program_keys, repair_finished, summarize_repair
from ..store import RunRecord, SampleRecord, Store
from .fmt import either


class ReportError(Exception):
    """The report cannot be made from what is stored; the message says what to do."""


@dataclass(frozen=True)
class RoundPoint:
    round: int
    pass_at_1: Score
    solved: int  # tasks whose sample 0 passed in this round or before
    reward: Optional[float] = None  # the mean go-coverage reward after this round (None: no unit-test samples)


@dataclass(frozen=True)
class MethodResult:
    run: RunRecord
    task_ids: tuple[str, ...]  # the compared tasks (those every method of the report covers)
    solved: tuple[bool, ...]  # per task, in task order: sample 0 passed after the final round
    pass1: tuple[float, ...]  # per task: pass@1 (passed samples / samples) after the final round
    scores: dict[int, Score]  # k -> pass@k after the final round, for every k all tasks have samples for
    rounds: tuple[RoundPoint, ...]
    run_tasks: int = 0  # the tasks the run itself covers (some may not be compared)
    finished: bool = True
    reward: Optional[RewardScore] = None  # after the final round, on the compared tasks (None: no unit-test samples)
    metrics: tuple[MetricScore, ...] = ()  # the similarity metrics stored for it, on the compared tasks

    @property
    def name(self) -> str:
        return self.run.name

    @property
    def tasks(self) -> int:
        return len(self.task_ids)

    @property
    def solved_count(self) -> int:
        return sum(self.solved)

    @property
    def solved_share(self) -> float:
        return self.solved_count / self.tasks if self.tasks else 0.0

    @property
    def solved_interval(self) -> Score:
        """The solved share with its Wilson 95% interval."""
        return share(self.solved_count, self.tasks)

    @property
    def chained(self) -> bool:
        return len(self.rounds) > 1

    def solved_by_task(self) -> dict[str, bool]:
        return dict(zip(self.task_ids, self.solved))

    def pass1_by_task(self) -> dict[str, float]:
        return dict(zip(self.task_ids, self.pass1))


@dataclass(frozen=True)
class TextResult:
    """A run of text tasks: prose answers scored by similarity metrics only, over its own tasks."""

    run: RunRecord
    tasks: int
    metrics: tuple[MetricScore, ...]
    finished: bool = True

    @property
    def name(self) -> str:
        return self.run.name


@dataclass(frozen=True)
class LeftOut:
    """A chosen run the report does not compare, and why."""

    run: RunRecord
    tasks: int
    samples: int
    reason: str  # "unfinished" or "no sample stored" (English, as report.json holds it; shown with _())


@dataclass(frozen=True)
class RepairResult:
    """A repair run as the report shows it: every epoch, scored by repair.scores."""

    run: RunRecord
    epochs: tuple[EpochSummary, ...]  # epoch 0 (the first try) to the last
    finished: bool = True

    @property
    def name(self) -> str:
        return self.run.name

    @property
    def first(self) -> EpochSummary:
        return self.epochs[0]

    @property
    def last(self) -> EpochSummary:
        return self.epochs[-1]


@dataclass(frozen=True)
class CurriculumRound:
    """One round of a curriculum: its bench run, scored on its own tasks."""

    run: RunRecord
    round: int  # from 1
    task_ids: tuple[str, ...]  # the round's tasks (new + revisited)
    new: int
    revisited: int
    samples: int  # the samples pass@1 averages over (task, sample index), every round of the run together
    pass_at_1: Score  # over every sample after the run's final round, with the interval bench.scores gives it
    failed: tuple[str, ...]  # tasks not every checked sample of which passed (none checked: not failed)
    revisited_next: Optional[int]  # how many of `failed` the next round revisited (None: no next round stored)
    finished: bool = True
    unchecked: int = 0  # tasks none of whose samples the sandbox could check

    @property
    def name(self) -> str:
        return self.run.name

    @property
    def tasks(self) -> int:
        return len(self.task_ids)

    @property
    def solved(self) -> int:
        """Tasks every checked sample of which passed."""
        return self.tasks - len(self.failed) - self.unchecked

    @property
    def finetune(self) -> Optional[str]:
        """The round's training run (in the finetunes table)."""
        found = (self.run.curriculum or {}).get("finetune")
        return found if isinstance(found, str) else None

    @property
    def adapter(self) -> Optional[str]:
        found = (self.run.curriculum or {}).get("adapter")
        return found if isinstance(found, str) else self.run.adapter


@dataclass(frozen=True)
class CurriculumResult:
    """The chosen rounds of one curriculum (`codeforge finetune --curriculum`), in round order."""

    name: str
    dataset: str
    planned: int  # the rounds the curriculum was asked for
    rounds: tuple[CurriculumRound, ...]

    @property
    def finished(self) -> bool:
        return all(r.finished for r in self.rounds)


@dataclass(frozen=True)
class Selection:
    methods: list[MethodResult]  # least to most successful, on the compared tasks (none: only repair runs, curricula)
    left_out: list[LeftOut]
    covered: int  # tasks at least one compared run covers; len(methods[0].task_ids) of them are compared
    repairs: list[RepairResult] = field(default_factory=list)  # in the order named (else the store's)
    curricula: list[CurriculumResult] = field(default_factory=list)  # in the order first named (else the store's)
    texts: list[TextResult] = field(default_factory=list)  # runs of text tasks, in the order named (else the store's)

    @property
    def compared(self) -> int:
        return self.methods[0].tasks if self.methods else 0

    @property
    def shared_only(self) -> bool:
        return self.compared < self.covered

    @property
    def scope(self) -> str:
        """"9 methods on 164 tasks", or "9 methods on the 5 tasks all of them cover (of 20)", in English (as
        report.json holds it; `describe()` is the same in the chosen language)."""
        return self.describe(shown=False)

    def describe(self, shown: bool = True) -> str:
        """The scope in the chosen language (`shown` False: in English)."""
        if not self.methods:
            return _("no bench run") if shown else "no bench run"
        n, tasks = len(self.methods), self.compared
        count = (ngettext("{count} method", "{count} methods", n) if shown else
                 "{count} method" if n == 1 else "{count} methods").format(count=n)
        if self.shared_only:
            template = N_("{methods} on the {tasks} tasks all of them cover (of {covered})")
            return (_(template) if shown else template).format(methods=count, tasks=tasks, covered=self.covered)
        return (ngettext("{methods} on {tasks} task", "{methods} on {tasks} tasks", tasks) if shown else
                "{methods} on {tasks} task" if tasks == 1 else "{methods} on {tasks} tasks").format(
            methods=count, tasks=tasks)


def method_result(store: Store, run: RunRecord, task_ids: Optional[Sequence[str]] = None,
                  samples: Optional[list[SampleRecord]] = None) -> MethodResult:
    """The run's results on `task_ids` (default: every task it covers)."""
    samples = store.samples(run.id) if samples is None else samples
    own = store.task_ids(run.id)
    task_ids = list(own if task_ids is None else task_ids)
    if not task_ids:
        raise ReportError(_("run {name} on {dataset} has no tasks stored (it never started): leave it out with --runs, "
                            "or remove it with `codeforge bench delete {run}`").format(
            name=repr(run.name), dataset=run.dataset, run=run.name))
    n = run.samples_per_task
    last = max([run.chain, *(s.round for s in samples)])
    first = first_passing_round(samples)

    def passed_by(task_id: str, sample: int, upto: int) -> bool:
        found = first.get((task_id, sample))
        return found is not None and found <= upto

    ks = sorted({1, *run_ks(run)})  # pass@1 always: the report's rounds and order rest on it
    summaries = [summarize(samples, task_ids, n, r, ks) for r in range(last + 1)]
    rounds = [RoundPoint(r, summaries[r].scores[1], sum(passed_by(t, 0, r) for t in task_ids),
                         summaries[r].reward.mean.value if summaries[r].reward is not None else None)
              for r in range(last + 1)]
    return MethodResult(
        run=run, task_ids=tuple(task_ids),
        solved=tuple(passed_by(t, 0, last) for t in task_ids),
        pass1=tuple(pass_at_k(n, sum(passed_by(t, s, last) for s in range(n)), 1) for t in task_ids),
        scores=summaries[-1].scores, rounds=tuple(rounds), run_tasks=len(own),
        finished=run.finished_at is not None and bool(samples), reward=summaries[-1].reward,
        metrics=tuple(run_metrics(samples, task_ids)))


def select_runs(runs: Sequence[RunRecord], names: Optional[Sequence[str]], dataset: Optional[str],
                where: str) -> list[RunRecord]:
    """The runs to report on, all on one dataset, in the order named (else the store's order)."""
    if not runs:
        raise ReportError(_("no runs in {path}: run `codeforge bench ...` first").format(path=where))
    if dataset is not None:
        datasets = sorted({r.dataset for r in runs})
        if dataset not in datasets:
            raise ReportError(_("no runs on dataset {dataset} in {path} (datasets: {datasets})").format(
                dataset=repr(dataset), path=where, datasets=", ".join(datasets)))
    chosen = [r for r in runs if dataset is None or r.dataset == dataset]
    if names:
        names = _curricula_named(chosen, names)
        known = {r.name for r in chosen}
        unknown = [n for n in names if n not in known]
        if unknown:
            named, listed = ", ".join(map(repr, unknown)), ", ".join(sorted(known))
            if dataset:
                raise ReportError(_("no run named {names} on {dataset} in {path}. Known runs on {dataset}: {known}")
                                  .format(names=named, dataset=dataset, path=where, known=listed))
            raise ReportError(_("no run named {names} in {path}. Known runs: {known}").format(
                names=named, path=where, known=listed))
        chosen = [r for name in dict.fromkeys(names) for r in chosen if r.name == name]
    datasets = sorted({r.dataset for r in chosen if not is_repair(r) and not is_curriculum(r) and not r.text_answers})
    if len(datasets) > 1:
        raise ReportError(_("the runs are on several datasets ({datasets}): pass --dataset to compare runs on one "
                            "of them").format(datasets=", ".join(datasets)))
    return chosen


def is_curriculum(run: RunRecord) -> bool:
    """A bench run of one round of `codeforge finetune --curriculum`."""
    return run.curriculum is not None and not is_repair(run)


def _curriculum_name(run: RunRecord) -> str:
    found = run.curriculum.get("name")
    return found if isinstance(found, str) and found else run.name


def _number(run: RunRecord, key: str) -> int:
    found = run.curriculum.get(key)
    return found if isinstance(found, int) and not isinstance(found, bool) else 0


def _ids(run: RunRecord, key: str) -> Optional[list[str]]:
    found = run.curriculum.get(key)
    return [str(t) for t in found] if isinstance(found, (list, tuple)) else None


def _curricula_named(runs: Sequence[RunRecord], names: Sequence[str]) -> list[str]:
    """`names` with each curriculum's name (one no run bears) replaced by its rounds' run names, in round order."""
    run_names = {r.name for r in runs}
    expanded = []
    for name in names:
        rounds = [] if name in run_names else sorted(
            (r for r in runs if is_curriculum(r) and _curriculum_name(r) == name), key=lambda r: _number(r, "round"))
        expanded.extend([r.name for r in rounds] or [name])
    return expanded


def curriculum_round(store: Store, run: RunRecord, samples: Optional[list[SampleRecord]] = None,
                     following: Optional[RunRecord] = None) -> CurriculumRound:
    """The round's pass@1 over its own tasks and the tasks it failed; `following` is the curriculum's next round
    (what it revisited of them), when stored."""
    samples = store.samples(run.id) if samples is None else samples
    task_ids = store.task_ids(run.id)
    last = max([run.chain, *(s.round for s in samples)])
    scores = summarize(samples, task_ids, run.samples_per_task, last, (1,)).scores
    first = first_passing_round(samples)  # every round of the run: a sample passed by the last one
    checked: dict[str, list[bool]] = {}
    for key in dict.fromkeys((s.task_id, s.sample) for s in samples if s.tested is not None):
        checked.setdefault(key[0], []).append(first.get(key) is not None)
    failed = tuple(t for t in task_ids if checked.get(t) and not all(checked[t]))
    unchecked = sum(1 for t in task_ids if not checked.get(t))
    revisited = _ids(run, "revisited")
    new = _ids(run, "new")
    revisited_next = None
    if following is not None:
        again = _ids(following, "revisited")
        again = set(store.task_ids(following.id) if again is None else again)
        revisited_next = sum(t in again for t in failed)
    wanted = set(task_ids)
    return CurriculumRound(
        run=run, round=_number(run, "round"), task_ids=tuple(task_ids),
        new=len(new) if new is not None else len(task_ids) - len(revisited or ()),
        revisited=len(revisited) if revisited is not None else len(task_ids) - len(new or ()),
        samples=len({(s.task_id, s.sample) for s in samples if s.task_id in wanted}),
        pass_at_1=scores.get(1, share(0, len(task_ids))), failed=failed, unchecked=unchecked,
        revisited_next=revisited_next,
        finished=run.finished_at is not None and bool(samples))


def curricula(store: Store, rounds: Sequence[tuple[RunRecord, list[SampleRecord]]],
              everything: Sequence[RunRecord]) -> list[CurriculumResult]:
    """The chosen rounds grouped by curriculum (in the order each first comes), each in round order; the next
    round of each is looked up among `everything` stored, chosen or not."""
    def key(run: RunRecord) -> tuple[str, str]:
        return _curriculum_name(run), run.dataset

    stored = {(key(r), _number(r, "round")): r for r in everything if is_curriculum(r)}
    grouped: dict[tuple[str, str], list[CurriculumRound]] = {}
    for run, samples in rounds:
        following = stored.get((key(run), _number(run, "round") + 1))
        grouped.setdefault(key(run), []).append(curriculum_round(store, run, samples, following))
    made = []
    for (name, dataset), found in grouped.items():
        found.sort(key=lambda r: (r.round, r.name))
        planned = max(max(_number(r.run, "rounds"), r.round) for r in found)
        made.append(CurriculumResult(name, dataset, planned, tuple(found)))
    return made


def _tasks(count: int) -> str:
    return ngettext("{count} task", "{count} tasks", count).format(count=count)


def repair_result(store: Store, run: RunRecord, samples: Optional[list[SampleRecord]] = None) -> RepairResult:
    samples = store.samples(run.id) if samples is None else samples
    epochs = summarize_repair(samples, program_keys(store, run), last_epoch(run, samples))
    return RepairResult(run, tuple(epochs), repair_finished(run, epochs))


def _workflow_command(run: RunRecord) -> str:
    return "repair" if is_repair(run) else "finetune --curriculum" if is_curriculum(run) else "bench"


def select_methods(store: Store, names: Optional[Sequence[str]] = None, dataset: Optional[str] = None,
                   include_unfinished: bool = False) -> Selection:
    """The chosen bench runs that can be compared, on the tasks all of them cover, the chosen repair runs and
    curricula, and the ones left out."""
    where = str(store.path)
    kept: list[tuple[RunRecord, list[str], list[SampleRecord]]] = []
    repairs: list[RepairResult] = []
    rounds: list[tuple[RunRecord, list[SampleRecord]]] = []
    left_out: list[LeftOut] = []
    texts: list[TextResult] = []
    everything = store.runs()
    for run in select_runs(everything, names, dataset, where):
        samples, task_ids = store.samples(run.id, texts=False), store.task_ids(run.id)  # scores need no texts
        repair = repair_result(store, run, samples) if is_repair(run) and samples and task_ids else None
        done = repair.finished if repair else run.finished_at is not None
        reason = N_("no sample stored") if not samples or not task_ids else \
            N_("unfinished") if not done and not include_unfinished else None
        if reason is None:
            if repair:
                repairs.append(repair)
            elif is_curriculum(run):
                rounds.append((run, samples))
            elif run.text_answers:
                texts.append(TextResult(run, len(task_ids), tuple(run_metrics(samples, task_ids)),
                                        run.finished_at is not None))
            else:
                kept.append((run, task_ids, samples))
            continue
        command = _workflow_command(run)
        if names:
            if reason == "unfinished":
                raise ReportError(_("run {name} on {dataset} is unfinished: run its {command} command again to finish "
                                    "it, or pass --include-unfinished to report on it as it is").format(
                    name=repr(run.name), dataset=run.dataset, command=command))
            raise ReportError(_("run {name} on {dataset} is unfinished and stored no sample, so there is nothing to "
                                "report: leave it out of --runs, or remove it with `codeforge bench delete {run} "
                                "--dataset {dataset}`").format(name=repr(run.name), dataset=run.dataset, run=run.name))
        left_out.append(LeftOut(run, len(task_ids), len(samples), reason))
    chosen_curricula = curricula(store, rounds, everything)
    if not kept and not repairs and not chosen_curricula and not texts:
        found = "; ".join(f"{x.run.name} ({_(x.reason)})" for x in left_out)
        commands = either(dict.fromkeys(_workflow_command(x.run) for x in left_out))
        raise ReportError(_("no finished run to report on in {path}: {runs}. Run their {commands} command again to "
                            "finish them; --include-unfinished reports on unfinished runs that stored samples").format(
            path=where, runs=found, commands=commands))
    if not kept:
        return Selection([], left_out, 0, repairs, chosen_curricula, texts)
    covered = list(dict.fromkeys(t for _run, task_ids, _samples in kept for t in task_ids))
    every = set.intersection(*(set(task_ids) for _run, task_ids, _samples in kept))
    shared = [t for t in covered if t in every]
    if not shared:
        runs = ", ".join(f"{run.name} ({_tasks(len(task_ids))})" for run, task_ids, _samples in kept)
        raise ReportError(_("the runs share no task, so there is nothing to compare: {runs}. Choose runs over the "
                            "same tasks with --runs").format(runs=runs))
    methods = [method_result(store, run, shared, samples) for run, _tasks_of_run, samples in kept]
    methods.sort(key=lambda m: (m.solved_count, m.scores[1].value, m.name))
    return Selection(methods, left_out, len(covered), repairs, chosen_curricula, texts)


def load_methods(store: Store, names: Optional[Sequence[str]] = None, dataset: Optional[str] = None,
                 include_unfinished: bool = False) -> list[MethodResult]:
    """The chosen runs' results on the tasks all of them cover, least to most successful (solved tasks, then
    pass@1, then name)."""
    return select_methods(store, names, dataset, include_unfinished).methods


_CHAINED = re.compile(r"^(?P<base>.+)_CHAIN\d*$")


def chain_pairs(methods: Sequence[MethodResult],
                explicit: Sequence[tuple[str, str]] = ()) -> list[tuple[MethodResult, MethodResult]]:
    """(method, its chained version): X with X_CHAIN (or X_CHAIN3, as bench names runs), plus explicit pairs."""
    by_name = {m.name: m for m in methods}
    wanted = []
    for m in methods:
        match = _CHAINED.match(m.name)
        if match and match["base"] in by_name:
            wanted.append((match["base"], m.name))
    for a, b in explicit:
        missing = [x for x in (a, b) if x not in by_name]
        if missing:
            raise ReportError(_("--pair {pair}: no run {missing} in this report (runs: {runs})").format(
                pair=f"{a}:{b}", missing=", ".join(map(repr, missing)), runs=", ".join(sorted(by_name))))
        wanted.append((a, b))
    return [(by_name[a], by_name[b]) for a, b in dict.fromkeys(wanted)]
